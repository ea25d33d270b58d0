//! Paths and methods of the orders API, parsed into an [`Action`] on one order.

use store::OrderToken;

use crate::error::OrderError;

/// Prefix of every API path this component serves.
pub const PREFIX: &str = "/api/orders/";

/// Prefix of the order page, `/orders/{token}`.
pub const PAGE_PREFIX: &str = "/orders/";

/// What a request asks to do with its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `GET /api/orders/{token}`: the status JSON.
    Status,
    /// `DELETE /api/orders/{token}`: delete every key of the order.
    Delete,
    /// `GET /api/orders/{token}/animation.mp4`: the video, whole or by range.
    Video,
    /// `GET /api/orders/{token}/data`: the JSON export of everything held.
    Export,
}

/// Parses the method and path (without the query). A malformed token is [`OrderError::NotFound`],
/// like an unknown one, and is checked before the method so that 405 never confirms a token's form.
pub fn route(method: &str, path: &str) -> Result<(OrderToken, Action), OrderError> {
    let rest = path.strip_prefix(PREFIX).ok_or(OrderError::NotFound)?;
    let (token_text, resource) = match rest.split_once('/') {
        Some((token_text, resource)) => (token_text, Some(resource)),
        None => (rest, None),
    };
    let token = OrderToken::parse(token_text).map_err(|_| OrderError::NotFound)?;

    let action = match (resource, method) {
        (None, "GET") => Action::Status,
        (None, "DELETE") => Action::Delete,
        (None, _) => return Err(OrderError::MethodNotAllowed { allow: "GET, DELETE" }),
        (Some("animation.mp4"), "GET") => Action::Video,
        (Some("data"), "GET") => Action::Export,
        (Some("animation.mp4" | "data"), _) => return Err(OrderError::MethodNotAllowed { allow: "GET" }),
        (Some(_), _) => return Err(OrderError::NotFound),
    };
    Ok((token, action))
}

/// Parses a request for the order page, `GET /orders/{token}`. As in [`route`], a malformed token or
/// any longer path is [`OrderError::NotFound`], checked before the method.
pub fn page_route(method: &str, path: &str) -> Result<OrderToken, OrderError> {
    let token_text = path.strip_prefix(PAGE_PREFIX).ok_or(OrderError::NotFound)?;
    let token = OrderToken::parse(token_text).map_err(|_| OrderError::NotFound)?;
    match method {
        "GET" => Ok(token),
        _ => Err(OrderError::MethodNotAllowed { allow: "GET" }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token_text() -> String {
        OrderToken::generate().unwrap().as_text()
    }

    #[test]
    fn known_paths_route_to_actions() {
        let token = token_text();
        let cases = [
            ("GET", format!("/api/orders/{token}"), Action::Status),
            ("DELETE", format!("/api/orders/{token}"), Action::Delete),
            ("GET", format!("/api/orders/{token}/animation.mp4"), Action::Video),
            ("GET", format!("/api/orders/{token}/data"), Action::Export),
        ];
        for (method, path, expected) in cases {
            let (parsed, action) = route(method, &path).unwrap();
            assert_eq!(action, expected, "{method} {path}");
            assert_eq!(parsed.as_text(), token);
        }
    }

    #[test]
    fn wrong_method_lists_allowed_ones() {
        let token = token_text();
        let cases = [
            ("POST", format!("/api/orders/{token}"), "GET, DELETE"),
            ("PUT", format!("/api/orders/{token}"), "GET, DELETE"),
            ("DELETE", format!("/api/orders/{token}/animation.mp4"), "GET"),
            ("POST", format!("/api/orders/{token}/data"), "GET"),
        ];
        for (method, path, allow) in cases {
            let error = route(method, &path).unwrap_err();
            assert!(
                matches!(error, OrderError::MethodNotAllowed { allow: listed } if listed == allow),
                "{method} {path}"
            );
        }
    }

    #[test]
    fn malformed_tokens_and_unknown_paths_are_not_found() {
        let token = token_text();
        let paths = [
            "/api/orders/".to_owned(),
            "/api/orders/short".to_owned(),
            format!("/api/orders/{token}x"),
            format!("/api/orders/{token}/"),
            format!("/api/orders/{token}/other"),
            format!("/api/orders/{token}/animation.mp4/more"),
            format!("/api/other/{token}"),
        ];
        for path in paths {
            assert!(matches!(route("GET", &path), Err(OrderError::NotFound)), "{path}");
        }
        assert!(matches!(route("POST", "/api/orders/short"), Err(OrderError::NotFound)));
    }

    #[test]
    fn page_route_reads_token() {
        let token = token_text();
        let parsed = page_route("GET", &format!("/orders/{token}")).unwrap();
        assert_eq!(parsed.as_text(), token);

        let error = page_route("POST", &format!("/orders/{token}")).unwrap_err();
        assert!(matches!(error, OrderError::MethodNotAllowed { allow: "GET" }), "{error:?}");
    }

    #[test]
    fn page_route_rejects_other_paths() {
        let token = token_text();
        let paths = [
            "/orders/".to_owned(),
            "/orders/short".to_owned(),
            format!("/orders/{token}x"),
            format!("/orders/{token}/"),
            format!("/orders/{token}/animation.mp4"),
            format!("/orders//{token}"),
            format!("/api/orders/{token}"),
            format!("/order/{token}"),
        ];
        for path in paths {
            assert!(matches!(page_route("GET", &path), Err(OrderError::NotFound)), "{path}");
        }
        assert!(matches!(page_route("POST", "/orders/short"), Err(OrderError::NotFound)));
    }
}
