//! E-cards end to end: the ecards component under the devhost, a real Redis, and a loopback
//! stand-in for the Resend API that records every request it receives.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{SystemTime, UNIX_EPOCH};

use e2e::{Devhost, RedisServer, TEST_STORAGE_KEY};
use serde_json::{Value, json};

const API_TOKEN: &str = "re_test_token_123";
const GMAIL_PROXY_AGENT: &str =
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)";
const APPLE_PREFETCH_AGENT: &str = "Mozilla/5.0";
const DESKTOP_AGENT: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36";
const THIRTY_DAYS_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// One request the stand-in received.
#[derive(Debug, Clone)]
struct Recorded {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Recorded {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("provider request body is JSON")
    }
}

/// A loopback HTTP server standing in for the mail provider. It answers each request with the next
/// queued status, or `200` once the queue is empty.
struct StandIn {
    base_url: String,
    received: Arc<Mutex<Vec<Recorded>>>,
    statuses: Arc<Mutex<VecDeque<u16>>>,
}

impl StandIn {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the stand-in provider");
        let base_url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let received = Arc::new(Mutex::new(Vec::new()));
        let statuses = Arc::new(Mutex::new(VecDeque::new()));
        let (received_writer, statuses_reader) = (received.clone(), statuses.clone());
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let received = received_writer.clone();
                let statuses = statuses_reader.clone();
                thread::spawn(move || answer(stream, &received, &statuses));
            }
        });
        Self { base_url, received, statuses }
    }

    fn received(&self) -> Vec<Recorded> {
        self.received.lock().unwrap().clone()
    }
}

fn answer(stream: std::net::TcpStream, received: &Mutex<Vec<Recorded>>, statuses: &Mutex<VecDeque<u16>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    let header = |wanted: &str| {
        headers.iter().find(|(name, _)| name.eq_ignore_ascii_case(wanted)).map(|(_, value)| value.clone())
    };
    let chunked = header("transfer-encoding").is_some_and(|value| value.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        read_chunked(&mut reader)
    } else {
        let length: usize = header("content-length").and_then(|value| value.parse().ok()).unwrap_or(0);
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        body
    };
    received.lock().unwrap().push(Recorded { method, path, headers, body });

    let status = statuses.lock().unwrap().pop_front().unwrap_or(200);
    let reply_body = if status == 200 {
        r#"{"id":"stand-in-message"}"#.to_owned()
    } else {
        r#"{"name":"stand_in_error","message":"stand-in failure"}"#.to_owned()
    };
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status} Stand-in\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply_body}",
        reply_body.len()
    );
}

/// Reads a `Transfer-Encoding: chunked` body, which is how the devhost's outbound HTTP sends one.
fn read_chunked(reader: &mut impl BufRead) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let mut size_line = String::new();
        reader.read_line(&mut size_line).unwrap();
        let size_text = size_line.trim().split(';').next().unwrap_or_default();
        let size = usize::from_str_radix(size_text, 16).expect("chunk size in hex");
        let mut chunk = vec![0; size + 2];
        reader.read_exact(&mut chunk).unwrap();
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&chunk[..size]);
    }
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not JSON ({}): {}", self.status, String::from_utf8_lossy(&self.body)))
    }
}

fn reply(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
    let mut response = response.expect("HTTP request completes");
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), value.to_str().unwrap_or_default().to_owned()))
        .collect();
    let body = response.body_mut().read_to_vec().expect("body reads");
    Reply { status, headers, body }
}

/// Redis, the devhost configured for the stand-in, and an HTTP agent that returns every status.
struct EcardStack {
    http: ureq::Agent,
    provider: StandIn,
    devhost: Devhost,
    redis: RedisServer,
}

impl EcardStack {
    fn start() -> Self {
        let provider = StandIn::start();
        let redis = RedisServer::start();
        let devhost = Devhost::start(&[
            ("redis_url", redis.url()),
            ("redis_host", format!("127.0.0.1:{}", redis.port)),
            ("storage_key", TEST_STORAGE_KEY.to_owned()),
            ("mail_provider", "resend".to_owned()),
            ("mail_api_base", provider.base_url.clone()),
            ("mail_api_token", API_TOKEN.to_owned()),
            ("mail_from_email", "cards@example.com".to_owned()),
            ("site_base_url", "http://127.0.0.1:3000".to_owned()),
        ]);
        let http = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        Self { http, provider, devhost, redis }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.devhost.base_url, path)
    }

    fn post_ecard(&self, body: &Value) -> Reply {
        reply(
            self.http
                .post(self.url("/api/ecards"))
                .header("content-type", "application/json")
                .send(body.to_string()),
        )
    }

    fn get_with_agent(&self, path: &str, agent: &str) -> Reply {
        reply(self.http.get(self.url(path)).header("user-agent", agent).call())
    }

    fn keys(&self) -> Vec<String> {
        let mut connection = self.redis.connection();
        redis::cmd("KEYS").arg("ecard:*").query(&mut connection).unwrap()
    }
}

fn card_request() -> Value {
    json!({
        "sender": { "name": "Ada Lovelace", "email": "ada@example.com" },
        "recipients": [
            { "name": "Bob", "email": "bob@example.com" },
            { "name": "Carol", "email": "carol@example.org" }
        ],
        "message": "Happy birthday! <b>cake</b> & \"tea\"",
        "design": "birthday"
    })
}

/// Returns the pixel path `/t/{token}.gif` from a provider request's HTML.
fn pixel_path(recorded: &Recorded) -> String {
    let html = recorded.json()["html"].as_str().expect("html field").to_owned();
    let start = html.find("/t/").expect("pixel link in the HTML");
    let end = start + html[start..].find(".gif").expect("pixel link ends in .gif") + ".gif".len();
    html[start..end].to_owned()
}

fn assert_pixel_reply(reply: &Reply) {
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body.len(), 43);
    assert!(reply.body.starts_with(b"GIF89a"));
    assert_eq!(reply.header("content-type"), Some("image/gif"));
    let cache_control = reply.header("cache-control").expect("cache-control header");
    assert!(cache_control.contains("no-store"), "{cache_control}");
}

#[test]
fn send_now_reaches_provider_per_recipient() {
    let stack = EcardStack::start();
    let created = stack.post_ecard(&card_request());
    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    let json = created.json();
    let id = json["id"].as_str().expect("id").to_owned();
    let stats_url = json["stats_url"].as_str().expect("stats_url").to_owned();
    assert!(stats_url.starts_with(&format!("/api/ecards/{id}/stats?token=")), "{stats_url}");

    let received = stack.provider.received();
    assert_eq!(received.len(), 2, "{received:?}");
    let mut idempotency_keys = Vec::new();
    let mut addressees = Vec::new();
    for request in &received {
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/emails");
        assert_eq!(request.header("authorization"), Some(format!("Bearer {API_TOKEN}").as_str()));
        assert_eq!(request.header("content-type"), Some("application/json"));
        let body = request.json();
        assert_eq!(body["subject"], "Ada Lovelace sent you a birthday card");
        assert_eq!(body["reply_to"], "Ada Lovelace <ada@example.com>");
        assert!(body["from"].as_str().unwrap().contains("cards@example.com"), "{body}");
        let html = body["html"].as_str().unwrap();
        assert!(html.contains("&lt;b&gt;cake&lt;/b&gt; &amp; &quot;tea&quot;"), "{html}");
        assert!(!html.contains("<b>cake</b>"), "{html}");
        assert!(html.contains("http://127.0.0.1:3000/t/"), "{html}");
        let key = request.header("idempotency-key").expect("idempotency key").to_owned();
        assert!(key.starts_with(&format!("{id}-r")), "{key}");
        idempotency_keys.push(key);
        addressees.push(body["to"][0].as_str().unwrap().to_owned());
    }
    idempotency_keys.sort();
    assert_eq!(idempotency_keys, [format!("{id}-r0"), format!("{id}-r1")]);
    addressees.sort();
    assert_eq!(addressees, ["Bob <bob@example.com>", "Carol <carol@example.org>"]);

    let stats = reply(stack.http.get(stack.url(&stats_url)).call());
    assert_eq!(stats.status, 200);
    let stats = stats.json();
    for recipient in stats["recipients"].as_array().unwrap() {
        assert_eq!(recipient["delivery"]["state"], "delivered", "{recipient}");
        assert_eq!(recipient["delivery"]["attempts"], 1, "{recipient}");
    }
}

#[test]
fn pixel_hits_are_classified_in_stats() {
    let stack = EcardStack::start();
    let created = stack.post_ecard(&card_request());
    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    let stats_url = created.json()["stats_url"].as_str().unwrap().to_owned();
    let received = stack.provider.received();
    let first =
        received.iter().find(|request| request.header("idempotency-key").unwrap().ends_with("-r0")).unwrap();
    let pixel = pixel_path(first);

    for agent in [GMAIL_PROXY_AGENT, APPLE_PREFETCH_AGENT, DESKTOP_AGENT] {
        assert_pixel_reply(&stack.get_with_agent(&pixel, agent));
    }

    let stats = reply(stack.http.get(stack.url(&stats_url)).call()).json();
    let recipient = &stats["recipients"][0];
    assert_eq!(recipient["id"], "r0");
    assert_eq!(recipient["opens"]["hits"], 3, "{recipient}");
    assert_eq!(recipient["opens"]["proxy_opens"], 2, "{recipient}");
    assert_eq!(recipient["opens"]["unique_human_opens"], 1, "{recipient}");
    assert_eq!(recipient["hits_by_class"]["gmail_proxy"], 1, "{recipient}");
    assert_eq!(recipient["hits_by_class"]["apple_mail_prefetch"], 1, "{recipient}");
    assert_eq!(recipient["hits_by_class"]["human"], 1, "{recipient}");
    assert_eq!(recipient["opens"]["device"], "desktop", "{recipient}");
    assert_eq!(stats["recipients"][1]["opens"]["hits"], 0, "{stats}");

    // The timeline lists the three hits oldest first, classified, without the client address.
    let timeline = &recipient["timeline"];
    assert_eq!(timeline["limit"], 200, "{timeline}");
    assert_eq!(timeline["omitted"], 0, "{timeline}");
    let listed = timeline["hits"].as_array().expect("timeline hits");
    let classes: Vec<&str> = listed.iter().map(|hit| hit["class"].as_str().unwrap()).collect();
    assert_eq!(classes, ["gmail_proxy", "apple_mail_prefetch", "human"], "{timeline}");
    assert_eq!(listed[0]["client"], "gmail", "{timeline}");
    assert_eq!(listed[2]["device"], "desktop", "{timeline}");
    assert_eq!(listed[2]["client"], "chrome", "{timeline}");
    let times: Vec<u64> = listed.iter().map(|hit| hit["at_unix_ms"].as_u64().unwrap()).collect();
    assert!(times.windows(2).all(|pair| pair[0] <= pair[1]), "{timeline}");
    assert!(listed[0]["at"].as_str().unwrap().ends_with('Z'), "{timeline}");
    let body = stats.to_string();
    assert!(!body.contains("127.0.0.1\"") && !body.contains("\"ip\""), "no client address: {body}");
    assert_eq!(stats["recipients"][1]["timeline"]["hits"], json!([]), "{stats}");
}

#[test]
fn unknown_pixel_token_gets_gif() {
    let stack = EcardStack::start();
    for path in ["/t/AAAAAAAAAAAAAAAAAAAAAA.gif", "/t/not-a-token.gif", "/t/"] {
        assert_pixel_reply(&stack.get_with_agent(path, DESKTOP_AGENT));
    }
    assert!(stack.keys().is_empty(), "{:?}", stack.keys());
}

#[test]
fn pixel_answers_with_redis_down() {
    let mut stack = EcardStack::start();
    let created = stack.post_ecard(&card_request());
    assert_eq!(created.status, 201);
    let pixel = pixel_path(&stack.provider.received()[0]);
    stack.redis.stop();
    assert_pixel_reply(&stack.get_with_agent(&pixel, DESKTOP_AGENT));
    assert_pixel_reply(&stack.get_with_agent("/t/AAAAAAAAAAAAAAAAAAAAAA.gif", DESKTOP_AGENT));
}

#[test]
fn keys_expire_in_thirty_days() {
    let stack = EcardStack::start();
    let created = stack.post_ecard(&card_request());
    assert_eq!(created.status, 201);
    let pixel = pixel_path(&stack.provider.received()[0]);
    assert_pixel_reply(&stack.get_with_agent(&pixel, DESKTOP_AGENT));

    let now_ms = i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis()).unwrap();
    let mut connection = stack.redis.connection();
    let keys = stack.keys();
    // A record, and per recipient a delivery state, a pixel and a view link; one hit list.
    assert_eq!(keys.len(), 1 + 2 * 3 + 1, "{keys:?}");
    for key in keys {
        let expires_at: i64 = redis::cmd("PEXPIRETIME").arg(&key).query(&mut connection).unwrap();
        let remaining = expires_at - now_ms;
        assert!(
            (THIRTY_DAYS_MS - 60_000..=THIRTY_DAYS_MS).contains(&remaining),
            "{key}: {remaining} ms left"
        );
    }
}

#[test]
fn delete_purges_every_key() {
    let stack = EcardStack::start();
    let created = stack.post_ecard(&card_request()).json();
    let id = created["id"].as_str().unwrap().to_owned();
    let stats_url = created["stats_url"].as_str().unwrap().to_owned();
    let token = stats_url.split_once("token=").unwrap().1.to_owned();
    let pixel = pixel_path(&stack.provider.received()[0]);
    assert_pixel_reply(&stack.get_with_agent(&pixel, DESKTOP_AGENT));
    assert!(!stack.keys().is_empty());

    let wrong =
        reply(stack.http.delete(stack.url(&format!("/api/ecards/{id}?token=AAAAAAAAAAAAAAAAAAAAAA"))).call());
    assert_eq!(wrong.status, 404);
    let wrong_stats = reply(
        stack.http.get(stack.url(&format!("/api/ecards/{id}/stats?token=AAAAAAAAAAAAAAAAAAAAAA"))).call(),
    );
    assert_eq!(wrong_stats.status, 404);
    assert!(!stack.keys().is_empty());

    let deleted = reply(stack.http.delete(stack.url(&format!("/api/ecards/{id}?token={token}"))).call());
    assert_eq!(deleted.status, 204);
    assert!(stack.keys().is_empty(), "{:?}", stack.keys());
    let stats = reply(stack.http.get(stack.url(&stats_url)).call());
    assert_eq!(stats.status, 404);
    // The pixel still answers after the purge, and records nothing.
    assert_pixel_reply(&stack.get_with_agent(&pixel, DESKTOP_AGENT));
    assert!(stack.keys().is_empty(), "{:?}", stack.keys());
}

#[test]
fn invalid_requests_name_the_field() {
    let stack = EcardStack::start();
    let cases = [
        ("recipients[0].email", json!({ "recipients": [{ "name": "Bob", "email": "bob-at-example.com" }] })),
        (
            "sender.name",
            json!({ "sender": { "name": "Ada\r\nBcc: x@example.com", "email": "ada@example.com" } }),
        ),
        ("design", json!({ "design": "unicorn" })),
        (
            "recipients[1].email",
            json!({ "recipients": [
            { "name": "Bob", "email": "bob@example.com" },
            { "name": "Bobby", "email": "BOB@example.com" }
        ] }),
        ),
        ("send_at", json!({ "send_at": "tomorrow" })),
    ];
    for (field, change) in cases {
        let mut body = card_request();
        for (key, value) in change.as_object().unwrap() {
            body[key] = value.clone();
        }
        let reply = stack.post_ecard(&body);
        assert_eq!(reply.status, 400, "{field}");
        let json = reply.json();
        let fields: Vec<&str> =
            json["fields"].as_array().unwrap().iter().map(|error| error["field"].as_str().unwrap()).collect();
        assert!(fields.contains(&field), "{field}: {json}");
    }

    let not_json = reply(stack.http.post(stack.url("/api/ecards")).send("not json"));
    assert_eq!(not_json.status, 400);
    assert!(stack.provider.received().is_empty());
    assert!(stack.keys().is_empty(), "{:?}", stack.keys());
}

#[test]
fn future_send_at_is_not_available() {
    let stack = EcardStack::start();
    let mut body = card_request();
    body["send_at"] = json!("2999-01-01T00:00:00Z");
    assert_eq!(stack.post_ecard(&body).status, 400, "beyond one year ahead");
    let soon_secs = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() + 3600;
    body["send_at"] = json!(rfc3339(soon_secs));
    let reply = stack.post_ecard(&body);
    assert_eq!(reply.status, 501, "{}", String::from_utf8_lossy(&reply.body));
    assert!(stack.provider.received().is_empty());
}

#[test]
fn provider_errors_retry_then_record() {
    let stack = EcardStack::start();
    stack.provider.statuses.lock().unwrap().extend([500, 200, 400]);
    let created = stack.post_ecard(&card_request());
    assert_eq!(created.status, 201);
    let stats_url = created.json()["stats_url"].as_str().unwrap().to_owned();
    assert_eq!(stack.provider.received().len(), 3);

    let stats = reply(stack.http.get(stack.url(&stats_url)).call()).json();
    let first = &stats["recipients"][0]["delivery"];
    assert_eq!(first["state"], "delivered", "{stats}");
    assert_eq!(first["attempts"], 2, "{stats}");
    let second = &stats["recipients"][1]["delivery"];
    assert_eq!(second["state"], "failed", "{stats}");
    assert_eq!(second["attempts"], 1, "{stats}");
    assert!(second["reason"].as_str().unwrap().contains("HTTP 400"), "{stats}");
}

/// Formats Unix seconds as RFC 3339 UTC, for `send_at` values.
fn rfc3339(unix_secs: u64) -> String {
    store::time::format_rfc3339_ms(unix_secs * 1000)
}
