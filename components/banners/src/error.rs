//! Every failure of a banner request, and the one table that maps each to an HTTP status.

use banners::BannerError;

use crate::Reply;

/// A reason a banner request failed.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The request fields are invalid; the banners library names the field.
    #[error(transparent)]
    Banner(#[from] BannerError),

    /// The body is larger than [`crate::MAX_BODY_BYTES`].
    #[error("the request body is larger than {limit_bytes} bytes; send only the banner fields")]
    BodyTooLarge {
        /// The limit in bytes.
        limit_bytes: usize,
    },

    /// The body stream failed before its end.
    #[error("the request body could not be read: {0}")]
    BodyRead(String),

    /// This client address sent more requests than the rate limit allows in the current window.
    #[error("too many banner requests from your address; wait {retry_after_secs} seconds and try again")]
    RateLimited {
        /// Seconds until the next request is accepted, sent as `Retry-After`.
        retry_after_secs: u32,
    },

    /// `order_token` is not a well-formed order token.
    #[error("order_token is not a valid order token; copy it from your order page link")]
    InvalidOrderToken,

    /// No order has this token: it never existed, expired, or was deleted.
    #[error(
        "order_token names no current portrait order; orders are deleted after 24 hours (30 days on the pro \
         plan) or when you delete them, so make the banner without a portrait or order a new one"
    )]
    OrderNotFound,

    /// The order exists, but its strokes were deleted once its video was rendered.
    #[error(
        "the portrait's strokes are no longer stored because they are deleted once its video is rendered; \
         make the banner without a portrait, or add the portrait before the video is finished"
    )]
    StrokesDeleted,

    /// Redis could not be reached or failed a command.
    #[error("the service is unavailable; try again in a minute")]
    StorageUnavailable(String),

    /// A configuration or programming error. The details are logged, not sent.
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl ServeError {
    /// Returns the HTTP status for this error. This is the only place statuses are chosen.
    pub fn status(&self) -> u16 {
        match self {
            ServeError::Banner(BannerError::Output(_)) => 500,
            ServeError::Banner(_) | ServeError::BodyRead(_) | ServeError::InvalidOrderToken => 400,
            ServeError::BodyTooLarge { .. } => 413,
            ServeError::RateLimited { .. } => 429,
            ServeError::OrderNotFound => 404,
            ServeError::StrokesDeleted => 410,
            ServeError::StorageUnavailable(_) => 503,
            ServeError::Internal(_) => 500,
        }
    }

    /// Returns the request field the error is about, if any.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            ServeError::Banner(error) => error.field(),
            ServeError::InvalidOrderToken | ServeError::OrderNotFound | ServeError::StrokesDeleted => {
                Some("order_token")
            }
            _ => None,
        }
    }

    /// Builds the JSON error response `{"error": message, "field": name}`, with `Retry-After` on 429.
    pub fn to_reply(&self) -> Reply {
        let message = match self {
            // The library's output errors carry allocation details meant for the log.
            ServeError::Banner(BannerError::Output(_)) => "internal error".to_owned(),
            other => other.to_string(),
        };
        let mut body = serde_json::json!({ "error": message });
        if let Some(field) = self.field() {
            body["field"] = field.into();
        }
        let mut reply = Reply::json(self.status(), &body);
        if let ServeError::RateLimited { retry_after_secs } = self {
            reply.set_header("retry-after", retry_after_secs.to_string());
        }
        reply
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_table_covers_every_error() {
        let invalid = BannerError::Invalid { field: "email", message: "is required".into() };
        let cases: Vec<(ServeError, u16)> = vec![
            (ServeError::Banner(invalid), 400),
            (ServeError::Banner(BannerError::NotJson("eof".into())), 400),
            (ServeError::Banner(BannerError::MissingGlyphs { field: "name", chars: vec!['中'] }), 400),
            (ServeError::Banner(BannerError::Output("no memory".into())), 500),
            (ServeError::BodyTooLarge { limit_bytes: 16 }, 413),
            (ServeError::BodyRead("reset".into()), 400),
            (ServeError::RateLimited { retry_after_secs: 60 }, 429),
            (ServeError::InvalidOrderToken, 400),
            (ServeError::OrderNotFound, 404),
            (ServeError::StrokesDeleted, 410),
            (ServeError::StorageUnavailable("refused".into()), 503),
            (ServeError::Internal(anyhow::anyhow!("bad key")), 500),
        ];
        for (error, status) in cases {
            assert_eq!(error.status(), status, "{error:?}");
            assert_eq!(error.to_reply().status, status, "{error:?}");
        }
    }

    #[test]
    fn rate_limited_reply_has_retry_after() {
        let reply = ServeError::RateLimited { retry_after_secs: 60 }.to_reply();
        assert_eq!(reply.header("retry-after"), Some("60"));
    }

    #[test]
    fn reply_names_field() {
        let reply = ServeError::StrokesDeleted.to_reply();
        let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(body["field"], "order_token");
        let reply = ServeError::Internal(anyhow::anyhow!("storage_key is short")).to_reply();
        assert!(!String::from_utf8_lossy(&reply.body).contains("storage_key"));
    }
}
