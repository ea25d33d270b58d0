//! `GET /orders/{token}`: the order page, an HTML document whose script reads the token from the URL
//! and polls the status API. Failures get HTML pages too, because a person opens this URL.

use crate::error::OrderError;
use crate::reply::Reply;

/// The order page, built into the component.
pub const ORDER_PAGE: &str = include_str!("../../../static/order.html");

/// Body of every `404` of the page route (an unknown, expired, deleted or malformed token): the
/// site's own 404 page, which explains that orders expire and links back to the studio.
pub const NOT_FOUND_PAGE: &str = include_str!("../../../static/404.html");

/// Builds the `200` with the order page. Besides the common headers (`no-store`, `no-referrer`,
/// `nosniff`), it sends `policy` as the `Content-Security-Policy`.
pub fn order_page(policy: &str) -> Reply {
    html_reply(200, ORDER_PAGE, policy)
}

/// Builds the HTML response for a failed page request, with the status from [`OrderError::status`]
/// and the same headers as the page. Causes of `500` and `503` stay out of the body.
pub fn error_page(error: &OrderError, policy: &str) -> Reply {
    let mut reply = match error {
        OrderError::NotFound => html_reply(404, NOT_FOUND_PAGE, policy),
        _ => {
            let title = match error.status() {
                503 => "Service unavailable",
                405 => "Method not allowed",
                _ => "Something went wrong",
            };
            let body = format!(
                "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
                 <body><main><h1>{title}</h1><p>{message}</p></main></body>\n</html>\n",
                message = error
            );
            html_reply(error.status(), &body, policy)
        }
    };
    if let OrderError::MethodNotAllowed { allow } = error {
        reply.set_header("allow", *allow);
    }
    reply
}

fn html_reply(status: u16, body: &str, policy: &str) -> Reply {
    let mut reply = Reply::empty(status);
    reply.set_header("content-type", "text/html; charset=utf-8");
    reply.set_header("content-security-policy", policy);
    reply.body = body.as_bytes().to_vec();
    reply
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = "default-src 'self'";

    fn assert_page_headers(reply: &Reply, context: &str) {
        assert_eq!(reply.header("content-type"), Some("text/html; charset=utf-8"), "{context}");
        assert_eq!(reply.header("referrer-policy"), Some("no-referrer"), "{context}");
        assert_eq!(reply.header("cache-control"), Some("no-store"), "{context}");
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"), "{context}");
        assert_eq!(reply.header("content-security-policy"), Some(POLICY), "{context}");
    }

    #[test]
    fn order_page_is_embedded_html() {
        let reply = order_page(POLICY);
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body, ORDER_PAGE.as_bytes());
        assert!(ORDER_PAGE.contains("<html"), "order.html is not an HTML page");
        assert_page_headers(&reply, "200");
    }

    #[test]
    fn error_pages_are_html_with_status() {
        let cases = [
            (OrderError::NotFound, 404),
            (OrderError::MethodNotAllowed { allow: "GET" }, 405),
            (OrderError::StorageUnavailable("connection refused".into()), 503),
            (OrderError::Internal(anyhow::anyhow!("tampered record")), 500),
        ];
        for (error, status) in cases {
            let reply = error_page(&error, POLICY);
            assert_eq!(reply.status, status, "{error:?}");
            assert_page_headers(&reply, &format!("{error:?}"));
            let body = String::from_utf8(reply.body).unwrap();
            assert!(body.starts_with("<!doctype html>"), "{error:?}: {body}");
            assert!(!body.contains("refused"), "{error:?}: {body}");
            assert!(!body.contains("tampered"), "{error:?}: {body}");
        }
        assert_eq!(error_page(&OrderError::NotFound, POLICY).body, NOT_FOUND_PAGE.as_bytes());
        let reply = error_page(&OrderError::MethodNotAllowed { allow: "GET" }, POLICY);
        assert_eq!(reply.header("allow"), Some("GET"));
    }
}
