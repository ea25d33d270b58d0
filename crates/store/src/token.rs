//! Order tokens and the ids derived from them.
//!
//! A visitor's order URL carries an [`OrderToken`]: 16 random bytes, base64url without padding
//! (22 characters). Redis never stores the token itself, only its [`OrderId`] (the first 16 bytes of
//! SHA-256 of the token, in hex), so a copy of the database does not contain working order links.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// Random bytes in a token: 128 bits.
pub const TOKEN_BYTES: usize = 16;

/// Length of a token's text form: 16 bytes in base64url without padding.
pub const TOKEN_CHARS: usize = 22;

/// Error from parsing or generating a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// The text is not 22 base64url characters.
    #[error("invalid order token: expected 22 URL-safe base64 characters")]
    Malformed,
    /// The system random source failed.
    #[error("random source failed: {0}")]
    Random(String),
}

/// The secret in an order's URL: 128 random bits.
#[derive(Clone, PartialEq, Eq)]
pub struct OrderToken([u8; TOKEN_BYTES]);

impl OrderToken {
    /// Draws a new token from the system's random source.
    pub fn generate() -> Result<Self, TokenError> {
        let mut bytes = [0u8; TOKEN_BYTES];
        getrandom::fill(&mut bytes).map_err(|error| TokenError::Random(error.to_string()))?;
        Ok(Self(bytes))
    }

    /// Parses the text form used in URLs.
    pub fn parse(text: &str) -> Result<Self, TokenError> {
        if text.len() != TOKEN_CHARS {
            return Err(TokenError::Malformed);
        }
        let decoded = URL_SAFE_NO_PAD.decode(text).map_err(|_| TokenError::Malformed)?;
        let bytes: [u8; TOKEN_BYTES] = decoded.try_into().map_err(|_| TokenError::Malformed)?;
        // Only the canonical encoding is accepted, so each order has exactly one URL.
        if URL_SAFE_NO_PAD.encode(bytes) != text {
            return Err(TokenError::Malformed);
        }
        Ok(Self(bytes))
    }

    /// Returns the text form used in URLs.
    pub fn as_text(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }

    /// Returns the id under which the order is stored.
    pub fn order_id(&self) -> OrderId {
        let digest = Sha256::digest(self.0);
        let mut hex = String::with_capacity(32);
        for byte in &digest[..16] {
            hex.push_str(&format!("{byte:02x}"));
        }
        OrderId(hex)
    }
}

/// Tokens are secrets: debug output never shows them.
impl fmt::Debug for OrderToken {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("OrderToken(..)")
    }
}

/// The id an order is stored under in Redis: 32 hex characters derived from its token.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrderId(String);

impl OrderId {
    /// Parses an id read back from the job queue.
    pub fn parse(text: &str) -> Option<Self> {
        let valid = text.len() == 32 && text.bytes().all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'));
        valid.then(|| Self(text.to_owned()))
    }

    /// Returns the id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_round_trips_through_text() {
        let token = OrderToken::generate().unwrap();
        let text = token.as_text();
        assert_eq!(text.len(), TOKEN_CHARS);
        assert!(text.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'));
        assert_eq!(OrderToken::parse(&text).unwrap(), token);
    }

    #[test]
    fn tokens_differ() {
        let first = OrderToken::generate().unwrap();
        let second = OrderToken::generate().unwrap();
        assert_ne!(first, second);
        assert_ne!(first.order_id(), second.order_id());
    }

    #[test]
    fn malformed_tokens_are_rejected() {
        for text in
            ["", "short", "AAAAAAAAAAAAAAAAAAAAAA=", "AAAAAAAAAAAAAAAAAAAAA/", "AAAAAAAAAAAAAAAAAAAAAB"]
        {
            assert_eq!(OrderToken::parse(text), Err(TokenError::Malformed), "{text:?}");
        }
    }

    #[test]
    fn order_id_hides_token() {
        let token = OrderToken::generate().unwrap();
        let id = token.order_id();
        assert_eq!(id.as_str().len(), 32);
        assert!(!id.as_str().contains(&token.as_text()));
        assert_eq!(OrderId::parse(id.as_str()), Some(id));
        assert_eq!(format!("{token:?}"), "OrderToken(..)");
    }
}
