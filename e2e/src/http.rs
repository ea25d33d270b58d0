//! HTTP and Redis helpers for the end-to-end tests: requests that return every status, polling an
//! order until its video is ready, and the Redis keys of an order.

use std::collections::HashSet;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;
use store::{OrderKeys, OrderToken};

use crate::Stack;

/// A response read whole: status, headers and body.
pub struct Reply {
    /// HTTP status code.
    pub status: u16,
    /// Header names and values as received.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Reply {
    /// Returns the first value of header `name`, compared without case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }

    /// Parses the body as JSON, panicking with the body when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not JSON ({}): {}", self.status, String::from_utf8_lossy(&self.body)))
    }

    /// Returns the body as text, with invalid UTF-8 replaced.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Reads a ureq response whole (bodies up to 64 MiB).
pub fn reply(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
    let mut response = response.expect("HTTP request completes");
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), value.to_str().unwrap_or_default().to_owned()))
        .collect();
    let body = response.body_mut().with_config().limit(64 * 1024 * 1024).read_to_vec().expect("body reads");
    Reply { status, headers, body }
}

/// Sends a GET, with a `Range` header when `range` is given.
pub fn get(stack: &Stack, path: &str, range: Option<&str>) -> Reply {
    let mut request = stack.http.get(stack.url(path));
    if let Some(range) = range {
        request = request.header("Range", range);
    }
    reply(request.call())
}

/// Polls the order's status until it is `ready` and returns the status JSON. Panics when the render
/// fails or takes longer than 180 s.
pub fn wait_until_ready(stack: &Stack, token: &str) -> Value {
    let started = Instant::now();
    let mut seen_states = HashSet::new();
    loop {
        let status = get(stack, &format!("/api/orders/{token}"), None);
        assert_eq!(status.status, 200, "status request failed: {}", status.text());
        let json = status.json();
        let state = json["state"].as_str().expect("state field").to_owned();
        seen_states.insert(state.clone());
        match state.as_str() {
            "ready" => return json,
            "failed" => panic!("render failed: {json}"),
            _ => {}
        }
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "not ready after 180 s; states seen {seen_states:?}"
        );
        thread::sleep(Duration::from_millis(200));
    }
}

/// Returns the Redis keys of the order with token `token`.
pub fn order_keys(stack: &Stack, token: &str) -> Vec<String> {
    let id = OrderToken::parse(token).expect("valid token").order_id();
    let mut connection = stack.redis.connection();
    redis::cmd("KEYS").arg(OrderKeys::new(&id).pattern()).query(&mut connection).unwrap()
}

/// Posts `body` over a plain TCP connection and returns the status and the body text.
pub fn post_raw(stack: &Stack, path: &str, body: &[u8]) -> (u16, String) {
    let reply = post_raw_to(&stack.devhost.base_url, path, body);
    (reply.status, reply.text())
}

/// Posts `body` to the server at `base_url` over a plain TCP connection, which tolerates a server
/// that responds before it has read the whole body. The reply's body is as sent, so a chunked body
/// keeps its chunk sizes; status 0 means no response arrived.
pub fn post_raw_to(base_url: &str, path: &str, body: &[u8]) -> Reply {
    use std::io::{Read, Write};

    let address = base_url.trim_start_matches("http://");
    let mut socket = std::net::TcpStream::connect(address).expect("connect to devhost");
    socket.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/octet-stream\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    socket.write_all(head.as_bytes()).expect("send request head");
    // The server may stop reading once it has responded, so a failed write here is expected.
    let _ = socket.write_all(body);
    let mut response = Vec::new();
    let _ = socket.read_to_end(&mut response);

    let text = String::from_utf8_lossy(&response).into_owned();
    let (response_head, response_body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = response_head.split("\r\n");
    let status =
        lines.next().and_then(|line| line.split_whitespace().nth(1)).and_then(|code| code.parse().ok());
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    Reply { status: status.unwrap_or(0), headers, body: response_body.as_bytes().to_vec() }
}
