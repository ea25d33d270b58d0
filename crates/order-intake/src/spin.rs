//! Conversions between Spin's HTTP types and the plain values the order endpoints work with.

use http_reply::Reply;
use spin_sdk::http::{IncomingRequest, Response};

/// Returns the request's headers as `(name, value)` pairs, with values decoded lossily as UTF-8.
pub fn request_headers(request: &IncomingRequest) -> Vec<(String, String)> {
    request
        .headers()
        .entries()
        .into_iter()
        .map(|(name, value)| (name, String::from_utf8_lossy(&value).into_owned()))
        .collect()
}

/// Returns the value of the `Content-Length` header among `headers`, if present.
pub fn content_length(headers: &[(String, String)]) -> Option<&str> {
    headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .map(|(_, value)| value.as_str())
}

/// Returns the client's address from the `spin-client-addr` header that Spin sets on every request,
/// or an empty string when it is missing, which then counts as one shared address.
pub fn client_addr(headers: &[(String, String)]) -> &str {
    headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("spin-client-addr"))
        .map_or("", |(_, value)| value.as_str())
}

/// Converts a [`Reply`] into Spin's response.
pub fn into_response(reply: Reply) -> Response {
    let mut builder = Response::builder();
    builder.status(reply.status);
    for (name, value) in reply.headers {
        builder.header(name, value);
    }
    builder.body(reply.body).build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_length_is_found_in_any_case() {
        let headers = vec![
            ("Content-Type".to_owned(), "text/plain".to_owned()),
            ("Content-Length".to_owned(), "42".to_owned()),
        ];
        assert_eq!(content_length(&headers), Some("42"));
        assert_eq!(content_length(&headers[..1]), None);
    }

    #[test]
    fn client_addr_is_read_from_spin_header() {
        let headers = vec![("spin-client-addr".to_owned(), "127.0.0.1:40000".to_owned())];
        assert_eq!(client_addr(&headers), "127.0.0.1:40000");
        assert_eq!(client_addr(&[]), "");
    }

    #[test]
    fn reply_converts_to_response() {
        let mut reply = Reply::json(201, &serde_json::json!({ "ok": true }));
        reply.set_header("location", "/api/orders/x");
        let response = into_response(reply);
        assert_eq!(*response.status(), 201);
        assert_eq!(response.header("location").and_then(|value| value.as_str()), Some("/api/orders/x"));
        assert_eq!(response.body(), br#"{"ok":true}"#);
    }
}
