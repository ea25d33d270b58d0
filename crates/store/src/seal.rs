//! Sealing: AES-256-GCM encryption of every value stored in Redis.
//!
//! A sealed value is `key id (1 byte) || nonce (12 bytes) || ciphertext || tag (16 bytes)`. The nonce
//! is random for every value. The Redis key name is bound as associated data, so a sealed value moved
//! under another key (another order's record, say) fails to open. The key id lets keys rotate: values
//! are sealed with the current key and opened with whichever key of the ring their id names.
//!
//! [`Keyring::derive_key`] gives other code a secret of its own, HMAC-SHA256 of a purpose name under
//! the current key, so the storage key itself never leaves this module.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Bytes a sealed value adds to its plaintext: key id, nonce and tag.
pub const SEAL_OVERHEAD_BYTES: usize = 1 + NONCE_BYTES + TAG_BYTES;

const NONCE_BYTES: usize = 12;
const TAG_BYTES: usize = 16;

/// Error from building a keyring, sealing or opening a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The key setting is not in the `ID:HEX,ID:HEX` form (or a bare 64-hex-digit key).
    #[error("invalid storage key setting: {0}")]
    InvalidKeySetting(String),
    /// The value names a key id the ring does not hold.
    #[error("sealed value uses key id {0}, which is not configured")]
    UnknownKeyId(u8),
    /// The value is shorter than the seal overhead.
    #[error("sealed value is truncated")]
    Truncated,
    /// The tag did not verify: wrong key, wrong key name, or altered bytes.
    #[error("sealed value failed to open: wrong key, wrong key name or altered data")]
    Tampered,
    /// The system random source failed.
    #[error("random source failed: {0}")]
    Random(String),
}

/// Prefix of the message that [`Keyring::derive_key`] authenticates, which keeps derived keys apart
/// from any other HMAC a future version might compute under the storage key.
const DERIVE_CONTEXT: &[u8] = b"smart-banner-hub derived key\0";

/// The storage keys: the current one seals, all of them open.
pub struct Keyring {
    current_id: u8,
    keys: Vec<(u8, Aes256Gcm)>,
    /// The current key's bytes, kept only to derive purpose-specific keys from.
    current_key: [u8; 32],
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Keyring").field("current_id", &self.current_id).finish_non_exhaustive()
    }
}

impl Keyring {
    /// Parses the storage key setting.
    ///
    /// The form is `ID:HEX[,ID:HEX...]`: key ids 1–255, each key 64 hex digits (32 bytes), the first
    /// entry sealing new values. A bare 64-hex-digit key is key id 1.
    pub fn parse(setting: &str) -> Result<Self, SealError> {
        let invalid = |reason: &str| SealError::InvalidKeySetting(reason.to_owned());
        let mut keys = Vec::new();
        let mut current_key = None;
        for entry in setting.split(',').map(str::trim) {
            let (id, hex) = match entry.split_once(':') {
                Some((id, hex)) => {
                    let id: u8 = id.parse().map_err(|_| invalid("key id must be a number from 1 to 255"))?;
                    (id, hex)
                }
                None => (1, entry),
            };
            if id == 0 {
                return Err(invalid("key id must be a number from 1 to 255"));
            }
            if keys.iter().any(|(existing, _)| *existing == id) {
                return Err(invalid("a key id appears twice"));
            }
            let bytes =
                decode_hex(hex).ok_or_else(|| invalid("each key must be 64 hex digits (32 bytes)"))?;
            let cipher = Aes256Gcm::new_from_slice(&bytes).map_err(|_| invalid("key must be 32 bytes"))?;
            if current_key.is_none() {
                current_key = <[u8; 32]>::try_from(bytes.as_slice()).ok();
            }
            keys.push((id, cipher));
        }
        let current_id = keys.first().map(|(id, _)| *id).ok_or_else(|| invalid("no key given"))?;
        let current_key = current_key.ok_or_else(|| invalid("no key given"))?;
        Ok(Self { current_id, keys, current_key })
    }

    /// Derives a 32-byte secret for `purpose`, such as `rate-limit`: HMAC-SHA256 of the purpose
    /// name under the current key. Each purpose gets an independent secret, and the secret reveals
    /// nothing about the storage key. Rotating the storage key changes every derived secret.
    pub fn derive_key(&self, purpose: &str) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.current_key)
            .expect("HMAC-SHA256 accepts a key of any length");
        mac.update(DERIVE_CONTEXT);
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// Encrypts `plaintext` for storage under the Redis key `key_name`.
    pub fn seal(&self, key_name: &str, plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce).map_err(|error| SealError::Random(error.to_string()))?;
        let cipher = &self.keys[0].1;
        let ciphertext = cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad: key_name.as_bytes() })
            .map_err(|_| SealError::Tampered)?;

        let mut sealed = Vec::with_capacity(1 + NONCE_BYTES + ciphertext.len());
        sealed.push(self.current_id);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        Ok(sealed)
    }

    /// Decrypts a value read from the Redis key `key_name`.
    pub fn open(&self, key_name: &str, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        if sealed.len() < SEAL_OVERHEAD_BYTES {
            return Err(SealError::Truncated);
        }
        let (id, rest) = (sealed[0], &sealed[1..]);
        let (nonce, ciphertext) = rest.split_at(NONCE_BYTES);
        let cipher = self
            .keys
            .iter()
            .find(|(key_id, _)| *key_id == id)
            .map(|(_, cipher)| cipher)
            .ok_or(SealError::UnknownKeyId(id))?;
        cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad: key_name.as_bytes() })
            .map_err(|_| SealError::Tampered)
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() != 64 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| text.get(at..at + 2).and_then(|pair| u8::from_str_radix(pair, 16).ok()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    const KEY_B: &str = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f";

    #[test]
    fn sealed_value_opens_under_same_key_name() {
        let ring = Keyring::parse(KEY_A).unwrap();
        let sealed = ring.seal("order:abc:record", b"{\"hello\":1}").unwrap();
        assert_eq!(sealed.len(), 11 + SEAL_OVERHEAD_BYTES);
        assert!(!sealed.windows(5).any(|window| window == b"hello"));
        assert_eq!(ring.open("order:abc:record", &sealed).unwrap(), b"{\"hello\":1}");
    }

    #[test]
    fn value_moved_to_other_key_fails() {
        let ring = Keyring::parse(KEY_A).unwrap();
        let sealed = ring.seal("order:abc:record", b"secret").unwrap();
        assert_eq!(ring.open("order:def:record", &sealed), Err(SealError::Tampered));
    }

    #[test]
    fn altered_or_short_value_fails() {
        let ring = Keyring::parse(KEY_A).unwrap();
        let mut sealed = ring.seal("k", b"secret").unwrap();
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert_eq!(ring.open("k", &sealed), Err(SealError::Tampered));
        assert_eq!(ring.open("k", &sealed[..10]), Err(SealError::Truncated));
    }

    #[test]
    fn rotation_opens_old_values() {
        let old = Keyring::parse(&format!("1:{KEY_A}")).unwrap();
        let sealed_old = old.seal("k", b"old").unwrap();
        let rotated = Keyring::parse(&format!("2:{KEY_B},1:{KEY_A}")).unwrap();
        assert_eq!(rotated.open("k", &sealed_old).unwrap(), b"old");
        let sealed_new = rotated.seal("k", b"new").unwrap();
        assert_eq!(sealed_new[0], 2);
        assert_eq!(old.open("k", &sealed_new), Err(SealError::UnknownKeyId(2)));
    }

    #[test]
    fn derived_keys_differ_by_purpose_and_key() {
        let ring = Keyring::parse(KEY_A).unwrap();
        let rate_limit = ring.derive_key("rate-limit");
        assert_eq!(rate_limit, Keyring::parse(KEY_A).unwrap().derive_key("rate-limit"), "deterministic");
        assert_ne!(rate_limit, ring.derive_key("other"));
        assert_ne!(rate_limit, Keyring::parse(KEY_B).unwrap().derive_key("rate-limit"));
        assert_ne!(rate_limit.as_slice(), decode_hex(KEY_A).unwrap().as_slice(), "not the key itself");

        // The current (first) key derives; older keys of the ring do not.
        let rotated = Keyring::parse(&format!("2:{KEY_B},1:{KEY_A}")).unwrap();
        assert_eq!(rotated.derive_key("rate-limit"), Keyring::parse(KEY_B).unwrap().derive_key("rate-limit"));
    }

    #[test]
    fn bad_key_settings_are_rejected() {
        for setting in
            ["", "abc", "0:00", &format!("0:{KEY_A}"), &format!("1:{KEY_A},1:{KEY_B}"), &KEY_A[..62]]
        {
            assert!(matches!(Keyring::parse(setting), Err(SealError::InvalidKeySetting(_))), "{setting:?}");
        }
    }
}
