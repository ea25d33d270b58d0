//! The reasons a text request fails, and the one table that maps each to an HTTP status.

use http_reply::Reply;
use lettering::{MAX_TEXT_CHARS, TextError};
use order_intake::body::BodyError;
use order_intake::limit::LimitError;
use order_intake::options::OptionError;
use order_intake::storage::StoreError;

/// Message sent with every 503, whatever the Redis error was (the error itself is logged).
pub const STORAGE_UNAVAILABLE_MESSAGE: &str = "storage is unavailable; try again in a minute";

/// A reason a text request was rejected or could not be completed.
#[derive(Debug, thiserror::Error)]
pub enum TextRequestError {
    /// An option is missing, unknown or invalid.
    #[error(transparent)]
    Options(#[from] OptionError),

    /// The body, or its declared `Content-Length`, is larger than the body limit.
    #[error("text is larger than {limit_bytes} bytes; the limit is {MAX_TEXT_CHARS} characters")]
    TooLarge {
        /// The body limit in bytes.
        limit_bytes: usize,
    },

    /// The body stream failed before its end (the client went away, say).
    #[error("the request body could not be read: {0}")]
    BodyRead(String),

    /// The body is not UTF-8 text.
    #[error("text is not valid UTF-8 (invalid byte at offset {valid_up_to}); send the text as UTF-8")]
    NotUtf8 {
        /// Length of the valid prefix in bytes.
        valid_up_to: usize,
    },

    /// The text is empty, too long, or has characters the font cannot draw.
    #[error(transparent)]
    Text(#[from] TextError),

    /// This client address has used up its order budget; the message states the limit.
    #[error("{0}")]
    RateLimited(LimitError),

    /// Redis could not be reached or failed a command.
    #[error("{STORAGE_UNAVAILABLE_MESSAGE}")]
    StorageUnavailable(String),

    /// A configuration or programming error. The details are logged, not sent.
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl From<BodyError> for TextRequestError {
    fn from(error: BodyError) -> Self {
        match error {
            BodyError::Empty => TextRequestError::Text(TextError::Empty),
            BodyError::TooLarge { limit_bytes } => TextRequestError::TooLarge { limit_bytes },
            BodyError::Read(cause) => TextRequestError::BodyRead(cause),
        }
    }
}

impl From<LimitError> for TextRequestError {
    fn from(error: LimitError) -> Self {
        match error {
            LimitError::Unavailable(cause) => TextRequestError::StorageUnavailable(cause),
            limited @ LimitError::Limited { .. } => TextRequestError::RateLimited(limited),
        }
    }
}

impl From<StoreError> for TextRequestError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(cause) => TextRequestError::StorageUnavailable(cause),
            StoreError::Internal(cause) => TextRequestError::Internal(cause),
        }
    }
}

impl TextRequestError {
    /// Returns the HTTP status for this error. This is the only place statuses are chosen.
    pub fn status(&self) -> u16 {
        match self {
            TextRequestError::Options(_)
            | TextRequestError::BodyRead(_)
            | TextRequestError::NotUtf8 { .. } => 400,
            TextRequestError::TooLarge { .. } => 413,
            TextRequestError::Text(TextError::Unsupported { .. }) => 422,
            TextRequestError::Text(_) => 400,
            TextRequestError::RateLimited(_) => 429,
            TextRequestError::StorageUnavailable(_) => 503,
            TextRequestError::Internal(_) => 500,
        }
    }

    /// Returns the request field the error is about, if any: an option name or `text`.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            TextRequestError::Options(error) => error.field(),
            TextRequestError::Text(TextError::FrameTooSmall { .. }) => Some("size"),
            TextRequestError::Text(_)
            | TextRequestError::TooLarge { .. }
            | TextRequestError::NotUtf8 { .. } => Some("text"),
            _ => None,
        }
    }

    /// Builds the JSON error response: `{"error": message}`, plus `"field"` when the error is about
    /// one, `"unsupported"` (the characters as strings) when the font cannot draw some, and
    /// `Retry-After` on 429.
    pub fn to_reply(&self) -> Reply {
        let mut body = serde_json::json!({ "error": self.to_string() });
        if let Some(field) = self.field() {
            body["field"] = field.into();
        }
        if let TextRequestError::Text(TextError::Unsupported { chars }) = self {
            let names: Vec<String> = chars.iter().map(char::to_string).collect();
            body["unsupported"] = names.into();
        }
        let mut reply = Reply::json(self.status(), &body);
        if let TextRequestError::RateLimited(LimitError::Limited { retry_after_secs, .. }) = self {
            reply.set_header("retry-after", retry_after_secs.to_string());
        }
        reply
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limited_reply_states_limit_and_retry_after() {
        let error = TextRequestError::from(LimitError::Limited { max_requests: 20, retry_after_secs: 3600 });
        let reply = error.to_reply();
        assert_eq!(reply.status, 429);
        assert_eq!(reply.header("retry-after"), Some("3600"));
        let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        assert!(body["error"].as_str().unwrap().contains("the limit is 20 orders per hour"), "{body}");

        let error = TextRequestError::from(LimitError::Unavailable("refused".into()));
        assert_eq!(error.status(), 503);
        assert!(error.to_reply().header("retry-after").is_none());
    }

    #[test]
    fn status_table_covers_every_error() {
        let cases: Vec<(TextRequestError, u16)> = vec![
            (TextRequestError::Options(OptionError::AgeNotConfirmed), 400),
            (TextRequestError::TooLarge { limit_bytes: 4096 }, 413),
            (TextRequestError::BodyRead("reset".into()), 400),
            (TextRequestError::NotUtf8 { valid_up_to: 3 }, 400),
            (TextRequestError::Text(TextError::Empty), 400),
            (TextRequestError::Text(TextError::TooLong { chars: 201 }), 400),
            (TextRequestError::Text(TextError::TooManyLines { lines: 13 }), 400),
            (TextRequestError::Text(TextError::Unsupported { chars: vec!['☃'] }), 422),
            (TextRequestError::StorageUnavailable("refused".into()), 503),
            (TextRequestError::Internal(anyhow::anyhow!("bad key")), 500),
        ];
        for (error, status) in cases {
            assert_eq!(error.status(), status, "{error:?}");
            assert_eq!(error.to_reply().status, status, "{error:?}");
        }
    }

    #[test]
    fn unsupported_reply_lists_chars() {
        let reply = TextRequestError::Text(TextError::Unsupported { chars: vec!['☃', '😀'] }).to_reply();
        let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(body["field"], "text");
        assert_eq!(body["unsupported"], serde_json::json!(["☃", "😀"]));
        assert!(body["error"].as_str().unwrap().contains("U+2603"), "{body}");
    }

    #[test]
    fn empty_body_is_empty_text() {
        let error = TextRequestError::from(BodyError::Empty);
        assert_eq!(error.status(), 400);
        assert_eq!(error.field(), Some("text"));
        assert!(error.to_string().contains("text is empty"), "{error}");
    }

    #[test]
    fn storage_details_stay_out_of_reply() {
        let reply = TextRequestError::from(StoreError::Unavailable("refused at 10.0.0.1".into())).to_reply();
        let text = String::from_utf8_lossy(&reply.body).into_owned();
        assert!(text.contains(STORAGE_UNAVAILABLE_MESSAGE), "{text}");
        assert!(!text.contains("refused"), "{text}");
    }
}
