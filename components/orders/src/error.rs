//! Why an order request failed, and the one table that maps each reason to an HTTP status.

use crate::reply::Reply;

/// Message of every 404: unknown, expired, deleted and malformed tokens all get the same body, so a
/// response never tells whether an order existed.
pub const NOT_FOUND_MESSAGE: &str = "order not found: the link is wrong, or the order expired or was deleted";

/// Message sent with every 503, whatever the Redis error was (the error itself is logged).
pub const STORAGE_UNAVAILABLE_MESSAGE: &str = "storage is unavailable; try again in a minute";

/// A reason an order request could not be served.
#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    /// No such order: unknown, expired, deleted, or the token is malformed. Also any path this
    /// component does not serve.
    #[error("{NOT_FOUND_MESSAGE}")]
    NotFound,

    /// The path exists but not for this method.
    #[error("method not allowed; use {allow}")]
    MethodNotAllowed {
        /// The `Allow` header value.
        allow: &'static str,
    },

    /// The video was requested before it is ready.
    #[error("the video is not ready yet; poll the status URL until its state is ready")]
    NotReady {
        /// The order status JSON, sent along so the client sees the progress.
        status: serde_json::Value,
    },

    /// The `Range` starts at or past the end of the video, or asks for its last 0 bytes.
    #[error("range not satisfiable: the video is {size_bytes} bytes")]
    RangeNotSatisfiable {
        /// Size of the video in bytes.
        size_bytes: u64,
    },

    /// Redis could not be reached or failed a command.
    #[error("{STORAGE_UNAVAILABLE_MESSAGE}")]
    StorageUnavailable(String),

    /// A configuration error, stored data that does not open or parse, or a programming error.
    /// The details are logged, not sent.
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl OrderError {
    /// Returns the HTTP status for this error. This is the only place statuses are chosen.
    pub fn status(&self) -> u16 {
        match self {
            OrderError::NotFound => 404,
            OrderError::MethodNotAllowed { .. } => 405,
            OrderError::NotReady { .. } => 409,
            OrderError::RangeNotSatisfiable { .. } => 416,
            OrderError::StorageUnavailable(_) => 503,
            OrderError::Internal(_) => 500,
        }
    }

    /// Builds the JSON error response, with the headers some statuses require.
    pub fn to_reply(&self) -> Reply {
        let mut body = serde_json::json!({ "error": self.to_string() });
        if let OrderError::NotReady { status } = self {
            body["status"] = status.clone();
        }
        let mut reply = Reply::json(self.status(), &body);
        match self {
            OrderError::MethodNotAllowed { allow } => reply.set_header("allow", *allow),
            OrderError::RangeNotSatisfiable { size_bytes } => {
                reply.set_header("content-range", format!("bytes */{size_bytes}"));
            }
            _ => {}
        }
        reply
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_table_covers_every_error() {
        let cases = [
            (OrderError::NotFound, 404),
            (OrderError::MethodNotAllowed { allow: "GET" }, 405),
            (OrderError::NotReady { status: serde_json::json!({ "state": "queued" }) }, 409),
            (OrderError::RangeNotSatisfiable { size_bytes: 10 }, 416),
            (OrderError::StorageUnavailable("refused".into()), 503),
            (OrderError::Internal(anyhow::anyhow!("tampered")), 500),
        ];
        for (error, status) in cases {
            assert_eq!(error.status(), status, "{error:?}");
            let reply = error.to_reply();
            assert_eq!(reply.status, status, "{error:?}");
            assert_eq!(reply.header("referrer-policy"), Some("no-referrer"), "{error:?}");
            assert_eq!(reply.header("cache-control"), Some("no-store"), "{error:?}");
        }
    }

    #[test]
    fn error_headers_follow_status() {
        let reply = OrderError::MethodNotAllowed { allow: "GET, DELETE" }.to_reply();
        assert_eq!(reply.header("allow"), Some("GET, DELETE"));
        let reply = OrderError::RangeNotSatisfiable { size_bytes: 1234 }.to_reply();
        assert_eq!(reply.header("content-range"), Some("bytes */1234"));
    }

    #[test]
    fn not_ready_reply_carries_status() {
        let reply =
            OrderError::NotReady { status: serde_json::json!({ "state": "rendering", "percent": 40 }) }
                .to_reply();
        let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(body["status"]["percent"], 40);
    }

    #[test]
    fn causes_stay_out_of_reply() {
        for error in [
            OrderError::StorageUnavailable("refused".into()),
            OrderError::Internal(anyhow::anyhow!("tampered")),
        ] {
            let body = String::from_utf8(error.to_reply().body).unwrap();
            assert!(!body.contains("refused") && !body.contains("tampered"), "{body}");
        }
    }
}
