//! A plain HTTP response value shared by the API components (portrait, orders, ecards), so their
//! handlers can be tested without a Spin host.
#![forbid(unsafe_code)]

/// Headers every API response carries: bodies may hold an order or sender token, so they must not be
/// cached (the video replaces `cache-control` with a bounded lifetime), and pages that link onwards
/// must not leak a token in a `Referer`.
const COMMON_HEADERS: [(&str, &str); 3] = [
    ("cache-control", "no-store"),
    ("referrer-policy", "no-referrer"),
    ("x-content-type-options", "nosniff"),
];

/// Status, headers and body of a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status code.
    pub status: u16,
    /// Header names (lowercase) and values.
    pub headers: Vec<(String, String)>,
    /// Response body.
    pub body: Vec<u8>,
}

impl Reply {
    /// Builds a JSON response with the common headers.
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        let mut reply = Self::empty(status);
        reply.set_header("content-type", "application/json");
        reply.body = body.to_string().into_bytes();
        reply
    }

    /// Builds a response without a body, with the common headers.
    pub fn empty(status: u16) -> Self {
        let headers =
            COMMON_HEADERS.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect();
        Self { status, headers, body: Vec::new() }
    }

    /// Sets a header, replacing any earlier value of the same name.
    pub fn set_header(&mut self, name: &str, value: impl Into<String>) {
        self.headers.retain(|(existing, _)| existing != name);
        self.headers.push((name.to_owned(), value.into()));
    }

    /// Returns the value of a header, if set.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(existing, _)| existing == name).map(|(_, value)| value.as_str())
    }
}
