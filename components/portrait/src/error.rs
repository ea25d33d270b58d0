//! Why an upload failed, and the one table that maps each reason to an HTTP status.

use order_intake::body::BodyError;
use order_intake::limit::LimitError;
use order_intake::options::OptionError;
use order_intake::storage::StoreError;
use strokes::PhotoError;

use crate::reply::Reply;

/// Message sent with every 503, whatever the Redis error was (the error itself is logged).
pub const STORAGE_UNAVAILABLE_MESSAGE: &str = "storage is unavailable; try again in a minute";

/// Bytes in a mebibyte, for messages about the upload limit.
const MIB: usize = 1024 * 1024;

/// A reason an upload was rejected or could not be completed.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// An option is missing, unknown or invalid.
    #[error(transparent)]
    Options(#[from] OptionError),

    /// The request body has no bytes.
    #[error("the request body is empty; send the photo (JPEG, PNG, GIF or WebP) as the body")]
    EmptyBody,

    /// The body, or its declared `Content-Length`, is larger than the upload limit.
    #[error("image is larger than {} ({limit_bytes} bytes); send a smaller photo", format_mib(*limit_bytes))]
    TooLarge {
        /// The `max_upload_bytes` limit.
        limit_bytes: usize,
    },

    /// The body stream failed before its end (the client went away, say).
    #[error("the request body could not be read: {0}")]
    BodyRead(String),

    /// The photo library rejected the image.
    #[error(transparent)]
    Photo(#[from] PhotoError),

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

impl From<BodyError> for UploadError {
    fn from(error: BodyError) -> Self {
        match error {
            BodyError::Empty => UploadError::EmptyBody,
            BodyError::TooLarge { limit_bytes } => UploadError::TooLarge { limit_bytes },
            BodyError::Read(cause) => UploadError::BodyRead(cause),
        }
    }
}

impl From<LimitError> for UploadError {
    fn from(error: LimitError) -> Self {
        match error {
            LimitError::Unavailable(cause) => UploadError::StorageUnavailable(cause),
            limited @ LimitError::Limited { .. } => UploadError::RateLimited(limited),
        }
    }
}

impl From<StoreError> for UploadError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(cause) => UploadError::StorageUnavailable(cause),
            StoreError::Internal(cause) => UploadError::Internal(cause),
        }
    }
}

impl UploadError {
    /// Returns the HTTP status for this error. This is the only place statuses are chosen.
    pub fn status(&self) -> u16 {
        match self {
            UploadError::Options(_) | UploadError::EmptyBody | UploadError::BodyRead(_) => 400,
            UploadError::TooLarge { .. } => 413,
            UploadError::Photo(photo) => photo_status(photo),
            UploadError::RateLimited(_) => 429,
            UploadError::StorageUnavailable(_) => 503,
            UploadError::Internal(_) => 500,
        }
    }

    /// Returns the option the error is about, if any.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            UploadError::Options(error) => error.field(),
            _ => None,
        }
    }

    /// Builds the JSON error response: `{"error": message}`, plus `"field"` for option errors and
    /// `Retry-After` on 429.
    pub fn to_reply(&self) -> Reply {
        let mut body = serde_json::json!({ "error": self.to_string() });
        if let Some(field) = self.field() {
            body["field"] = field.into();
        }
        let mut reply = Reply::json(self.status(), &body);
        if let UploadError::RateLimited(LimitError::Limited { retry_after_secs, .. }) = self {
            reply.set_header("retry-after", retry_after_secs.to_string());
        }
        reply
    }
}

/// Maps the photo library's rejections: the client sent nothing (400), too much (413), a format or
/// format variant the decoder does not handle (415), or an image it cannot use (422).
fn photo_status(error: &PhotoError) -> u16 {
    match error {
        PhotoError::Empty => 400,
        PhotoError::TooLarge { .. } => 413,
        PhotoError::UnsupportedFormat { .. } | PhotoError::UnsupportedFeature { .. } => 415,
        PhotoError::DimensionsTooLarge { .. }
        | PhotoError::NoPixels { .. }
        | PhotoError::MemoryLimit { .. }
        | PhotoError::Truncated { .. }
        | PhotoError::Corrupt { .. }
        | PhotoError::NoLinesFound => 422,
    }
}

/// Formats a byte count as MiB: "10 MiB", or "9.5 MiB" when it is not a whole number of MiB.
fn format_mib(bytes: usize) -> String {
    if bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{:.1} MiB", bytes as f64 / MIB as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn photo_error(bytes: &[u8]) -> PhotoError {
        strokes::photo_to_strokes(bytes).unwrap_err()
    }

    #[test]
    fn rate_limited_reply_states_limit_and_retry_after() {
        let error = UploadError::from(LimitError::Limited { max_requests: 20, retry_after_secs: 3600 });
        let reply = error.to_reply();
        assert_eq!(reply.status, 429);
        assert_eq!(reply.header("retry-after"), Some("3600"));
        let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        assert!(body["error"].as_str().unwrap().contains("the limit is 20 orders per hour"), "{body}");

        let error = UploadError::from(LimitError::Unavailable("refused".into()));
        assert_eq!(error.status(), 503);
        assert!(error.to_reply().header("retry-after").is_none());
    }

    #[test]
    fn status_table_covers_every_error() {
        let cases: Vec<(UploadError, u16)> = vec![
            (UploadError::Options(OptionError::AgeNotConfirmed), 400),
            (UploadError::Options(OptionError::UnknownOption { name: "x".into() }), 400),
            (UploadError::Options(OptionError::InvalidOption { field: "size", message: "bad".into() }), 400),
            (UploadError::EmptyBody, 400),
            (UploadError::BodyRead("reset".into()), 400),
            (UploadError::TooLarge { limit_bytes: 10 * MIB }, 413),
            (UploadError::Photo(PhotoError::Empty), 400),
            (UploadError::Photo(PhotoError::TooLarge { len_bytes: 11 * MIB }), 413),
            (UploadError::Photo(PhotoError::UnsupportedFormat { format: Some("BMP") }), 415),
            (UploadError::Photo(PhotoError::Truncated { format: "PNG" }), 422),
            (UploadError::Photo(PhotoError::DimensionsTooLarge { width: 100_000, height: 100_000 }), 422),
            (UploadError::Photo(PhotoError::NoPixels { width: 0, height: 1 }), 422),
            (UploadError::Photo(PhotoError::NoLinesFound), 422),
            (UploadError::StorageUnavailable("connection refused".into()), 503),
            (UploadError::Internal(anyhow::anyhow!("bad key setting")), 500),
        ];
        for (error, status) in cases {
            assert_eq!(error.status(), status, "{error:?}");
            assert_eq!(error.to_reply().status, status, "{error:?}");
        }
    }

    #[test]
    fn real_photo_errors_map_to_client_statuses() {
        let bmp = photo_error(b"BM\x36\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00");
        assert_eq!(UploadError::from(bmp).status(), 415);

        let png_signature = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR";
        let truncated = UploadError::from(photo_error(png_signature));
        assert_eq!(truncated.status(), 422, "{truncated}");
    }

    #[test]
    fn too_large_message_states_limit() {
        let error = UploadError::TooLarge { limit_bytes: 10_485_760 };
        assert_eq!(error.to_string(), "image is larger than 10 MiB (10485760 bytes); send a smaller photo");
        let error = UploadError::TooLarge { limit_bytes: 1_572_864 };
        assert!(error.to_string().starts_with("image is larger than 1.5 MiB"), "{error}");
    }

    #[test]
    fn reply_names_field_of_option_errors() {
        let reply =
            UploadError::Options(OptionError::InvalidOption { field: "size", message: "bad size".into() })
                .to_reply();
        let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(body["field"], "size");
        assert_eq!(body["error"], "bad size");

        let reply = UploadError::StorageUnavailable("refused".into()).to_reply();
        let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(body["error"], STORAGE_UNAVAILABLE_MESSAGE);
        assert!(body.get("field").is_none());
        assert!(!String::from_utf8_lossy(&reply.body).contains("refused"));
    }

    #[test]
    fn internal_error_details_stay_out_of_reply() {
        let reply = UploadError::Internal(anyhow::anyhow!("storage_key is not 64 hex digits")).to_reply();
        assert!(!String::from_utf8_lossy(&reply.body).contains("storage_key"));
    }

    #[test]
    fn shared_errors_keep_upload_messages() {
        let query_error = order_intake::options::parse_options("style=pen", []).unwrap_err();
        let error = UploadError::from(query_error);
        assert!(matches!(error, UploadError::Options(OptionError::AgeNotConfirmed)), "{error:?}");
        assert_eq!(error.to_string(), "confirm that you are 13 or older: send age_confirmed=true");

        let option_error =
            order_intake::options::parse_options("age_confirmed=true&size=big", []).unwrap_err();
        let error = UploadError::from(option_error);
        assert_eq!(error.status(), 400);
        assert_eq!(error.field(), Some("size"));

        let error = UploadError::from(BodyError::TooLarge { limit_bytes: 10 * MIB });
        assert_eq!(error.status(), 413);
        assert!(error.to_string().starts_with("image is larger than 10 MiB"), "{error}");
        assert!(matches!(UploadError::from(BodyError::Empty), UploadError::EmptyBody));
        let error = UploadError::from(StoreError::Unavailable("refused".into()));
        assert_eq!(error.status(), 503);
    }
}
