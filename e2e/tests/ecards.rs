//! E-cards end to end: the ecards component under the devhost, a real Redis, render workers as
//! schedulers, and a loopback stand-in for the mail API that records every request it receives.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use e2e::{Devhost, Process, RedisServer, TEST_STORAGE_KEY};
use serde_json::{Value, json};

const API_TOKEN: &str = "re_test_token_123";
const GMAIL_PROXY_AGENT: &str =
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)";
const APPLE_PREFETCH_AGENT: &str = "Mozilla/5.0";
const DESKTOP_AGENT: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36";
const THIRTY_DAYS_MS: i64 = 30 * 24 * 60 * 60 * 1000;
const DISPATCH_SECRET: &str = "dispatch-secret-for-e2e-tests-0123";
/// The Redis sorted set of scheduled e-cards.
const DUE_SET: &str = "ecards:due";

fn now_ms() -> u64 {
    u64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis()).unwrap()
}

/// One request the stand-in received.
#[derive(Debug, Clone)]
struct Recorded {
    /// When the request line arrived, in milliseconds since the Unix epoch.
    at_ms: u64,
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

/// The stand-in's response to a successful request.
#[derive(Clone, Copy)]
enum Success {
    /// `200` with a JSON id, as Resend and Postmark return.
    JsonId,
    /// `202` with an empty body, as SendGrid returns.
    AcceptedEmpty,
}

/// A loopback HTTP server standing in for the mail provider. It answers each request with the next
/// queued status, or success once the queue is empty. The first `unanswered` requests are recorded
/// and never answered.
struct StandIn {
    base_url: String,
    received: Arc<Mutex<Vec<Recorded>>>,
    statuses: Arc<Mutex<VecDeque<u16>>>,
    unanswered: Arc<AtomicUsize>,
}

impl StandIn {
    fn start() -> Self {
        Self::start_with(Success::JsonId)
    }

    fn start_with(success: Success) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the stand-in provider");
        let base_url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let received = Arc::new(Mutex::new(Vec::new()));
        let statuses = Arc::new(Mutex::new(VecDeque::new()));
        let unanswered = Arc::new(AtomicUsize::new(0));
        let (received_writer, statuses_reader, unanswered_counter) =
            (received.clone(), statuses.clone(), unanswered.clone());
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let received = received_writer.clone();
                let statuses = statuses_reader.clone();
                let unanswered = unanswered_counter.clone();
                thread::spawn(move || answer(stream, &received, &statuses, &unanswered, success));
            }
        });
        Self { base_url, received, statuses, unanswered }
    }

    fn received(&self) -> Vec<Recorded> {
        self.received.lock().unwrap().clone()
    }
}

fn answer(
    stream: std::net::TcpStream,
    received: &Mutex<Vec<Recorded>>,
    statuses: &Mutex<VecDeque<u16>>,
    unanswered: &AtomicUsize,
    success: Success,
) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return;
    }
    let at_ms = now_ms();
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
    received.lock().unwrap().push(Recorded { at_ms, method, path, headers, body });
    let leave_unanswered =
        unanswered.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| left.checked_sub(1));
    if leave_unanswered.is_ok() {
        // Keep the connection open without a response until the client gives up.
        let _ = reader.read_to_end(&mut Vec::new());
        return;
    }

    let queued = statuses.lock().unwrap().pop_front();
    let (status, reply_body) = match (queued, success) {
        (Some(status), _) => (status, r#"{"name":"stand_in_error","message":"stand-in failure"}"#.to_owned()),
        (None, Success::JsonId) => (200, r#"{"id":"stand-in-message"}"#.to_owned()),
        (None, Success::AcceptedEmpty) => (202, String::new()),
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
    /// Starts the stack for the Resend stand-in, with the dispatch endpoint on.
    fn start() -> Self {
        Self::start_with("resend", StandIn::start(), DISPATCH_SECRET)
    }

    fn start_with(mail_provider: &str, provider: StandIn, dispatch_secret: &str) -> Self {
        let redis = RedisServer::start();
        let devhost = Devhost::start(&stack_variables(&redis, mail_provider, &provider, dispatch_secret));
        let http = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        Self { http, provider, devhost, redis }
    }

    /// Starts a `render-worker serve` process whose scheduler calls this stack's dispatch endpoint.
    fn start_scheduler(&self, name: &str) -> Process {
        let binary = std::env::var_os("RENDER_WORKER_BIN").expect("RENDER_WORKER_BIN is set");
        let child = Command::new(binary)
            .args(["serve", "--workers", "1", "--name", name, "--dispatch-url"])
            .arg(self.url("/api/ecards/dispatch"))
            .env("REDIS_URL", self.redis.url())
            .env("SBH_STORAGE_KEY", TEST_STORAGE_KEY)
            .env("SBH_DISPATCH_SECRET", DISPATCH_SECRET)
            .stdout(Stdio::null())
            .spawn()
            .expect("render-worker serve starts");
        Process { child }
    }

    fn dispatch(&self, authorization: Option<&str>) -> Reply {
        let mut request = self.http.post(self.url("/api/ecards/dispatch"));
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        reply(request.send_empty())
    }

    fn due_members(&self) -> Vec<(String, u64)> {
        let mut connection = self.redis.connection();
        redis::cmd("ZRANGE").arg(DUE_SET).arg(0).arg(-1).arg("WITHSCORES").query(&mut connection).unwrap()
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

/// Returns the Spin variables of a stack whose mail goes to `provider`.
fn stack_variables(
    redis: &RedisServer,
    mail_provider: &str,
    provider: &StandIn,
    dispatch_secret: &str,
) -> Vec<(&'static str, String)> {
    vec![
        ("redis_url", redis.url()),
        ("redis_host", format!("127.0.0.1:{}", redis.port)),
        ("storage_key", TEST_STORAGE_KEY.to_owned()),
        ("mail_provider", mail_provider.to_owned()),
        ("mail_api_base", provider.base_url.clone()),
        ("mail_api_token", API_TOKEN.to_owned()),
        ("mail_from_email", "cards@example.com".to_owned()),
        ("site_base_url", "http://127.0.0.1:3000".to_owned()),
        ("dispatch_secret", dispatch_secret.to_owned()),
    ]
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
fn unset_mail_token_records_failure_and_sends_nothing() {
    // The default `mail_api_token` is empty. The card is accepted and stored, no request leaves
    // the component, and the stats give the reason nothing was delivered.
    let redis = RedisServer::start();
    let provider = StandIn::start();
    let mut variables = stack_variables(&redis, "resend", &provider, DISPATCH_SECRET);
    variables.retain(|(name, _)| *name != "mail_api_token");
    let devhost = Devhost::start(&variables);
    let http = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let stack = EcardStack { http, provider, devhost, redis };

    let created = stack.post_ecard(&card_request());
    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    assert!(stack.provider.received().is_empty());

    let stats_url = created.json()["stats_url"].as_str().expect("stats_url").to_owned();
    let stats = reply(stack.http.get(stack.url(&stats_url)).call());
    assert_eq!(stats.status, 200);
    for recipient in stats.json()["recipients"].as_array().unwrap() {
        assert_eq!(recipient["delivery"]["state"], "failed", "{recipient}");
        let reason = recipient["delivery"]["reason"].as_str().unwrap_or_default();
        assert!(reason.contains("mail_api_token"), "{recipient}");
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
fn send_at_beyond_a_year_is_rejected() {
    let stack = EcardStack::start();
    let mut body = card_request();
    let year_and_a_day_ms = 366 * 24 * 60 * 60 * 1000;
    for send_at in ["2999-01-01T00:00:00Z".to_owned(), rfc3339_ms(now_ms() + year_and_a_day_ms)] {
        body["send_at"] = json!(send_at);
        let reply = stack.post_ecard(&body);
        assert_eq!(reply.status, 400, "{send_at}");
        let json = reply.json();
        assert_eq!(json["fields"][0]["field"], "send_at", "{json}");
        assert!(json["error"].as_str().unwrap().contains("365 days"), "{json}");
    }
    assert!(stack.provider.received().is_empty());
    assert!(stack.keys().is_empty(), "{:?}", stack.keys());
    assert!(stack.due_members().is_empty());
}

#[test]
fn past_send_at_sends_now() {
    let stack = EcardStack::start();
    let mut body = card_request();
    body["send_at"] = json!("2001-01-01T00:00:00Z");
    let created = stack.post_ecard(&body);
    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    assert_eq!(created.json()["send_at"], Value::Null);
    assert_eq!(stack.provider.received().len(), 2);
    assert!(stack.due_members().is_empty());
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

#[test]
fn send_now_failure_retried_by_scheduler() {
    // Three 500s use up the attempts made inside the request. The send then waits in the due set,
    // and a scheduler's dispatch call delivers it on the next step of the retry schedule (16 s).
    let stack = EcardStack::start();
    stack.provider.statuses.lock().unwrap().extend([500, 500, 500]);
    let _scheduler = stack.start_scheduler("e2e-retry");
    let mut body = card_request();
    body["recipients"] = json!([{ "name": "Bob", "email": "bob@example.com" }]);
    let created = stack.post_ecard(&body);
    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let stats_url = created.json()["stats_url"].as_str().unwrap().to_owned();
    assert_eq!(stack.provider.received().len(), 3);

    let stats = reply(stack.http.get(stack.url(&stats_url)).call()).json();
    let delivery = &stats["recipients"][0]["delivery"];
    assert_eq!(delivery["state"], "retrying", "{delivery}");
    assert_eq!(delivery["attempts"], 3, "{delivery}");
    assert!(delivery["reason"].as_str().unwrap().contains("HTTP 500"), "{delivery}");
    let next_attempt_ms = delivery["next_attempt_at_ms"].as_u64().expect("next attempt time");
    assert_eq!(stack.due_members().len(), 1);

    let received = wait_for_requests(&stack, 4, next_attempt_ms + 5_000);
    assert_eq!(received.len(), 4, "{received:?}");
    assert!(received[3].at_ms >= next_attempt_ms, "retried before its time");
    for request in &received {
        assert_eq!(request.header("idempotency-key"), Some(format!("{id}-r0").as_str()));
    }
    let delivered = (0..50).find_map(|_| {
        let stats = reply(stack.http.get(stack.url(&stats_url)).call()).json();
        let delivery = stats["recipients"][0]["delivery"].clone();
        if delivery["state"] == "delivered" {
            return Some(delivery);
        }
        thread::sleep(Duration::from_millis(100));
        None
    });
    let delivered = delivered.expect("the retry is recorded as delivered");
    assert_eq!(delivered["attempts"], 4, "{delivered}");
    assert!(stack.due_members().is_empty(), "{:?}", stack.due_members());
    let outbox = format!("ecard:{id}:outbox:r0");
    assert!(!stack.keys().contains(&outbox), "{:?}", stack.keys());

    // No further request after the delivery.
    thread::sleep(Duration::from_secs(2));
    assert_eq!(stack.provider.received().len(), 4);
}

/// Formats Unix milliseconds as RFC 3339 UTC, for `send_at` values.
fn rfc3339_ms(unix_ms: u64) -> String {
    store::time::format_rfc3339_ms(unix_ms)
}

/// Posts a card due `lead_ms` from now and returns its id, stats URL and due time.
fn schedule_card(stack: &EcardStack, body: &mut Value, lead_ms: u64) -> (String, String, u64) {
    // `send_at` is formatted to whole seconds, so the due time is rounded up to one.
    let due_ms = (now_ms() + lead_ms).div_ceil(1000) * 1000;
    body["send_at"] = json!(rfc3339_ms(due_ms));
    let created = stack.post_ecard(body);
    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    let json = created.json();
    assert_eq!(json["send_at"], rfc3339_ms(due_ms), "{json}");
    let id = json["id"].as_str().unwrap().to_owned();
    (id, json["stats_url"].as_str().unwrap().to_owned(), due_ms)
}

/// Waits until the stand-in has received `count` requests or `deadline_ms` passes, then a further
/// second to catch any extra request, and returns what it received.
fn wait_for_requests(stack: &EcardStack, count: usize, deadline_ms: u64) -> Vec<Recorded> {
    while stack.provider.received().len() < count && now_ms() < deadline_ms {
        thread::sleep(Duration::from_millis(50));
    }
    thread::sleep(Duration::from_secs(1));
    stack.provider.received()
}

/// Asserts one request per expected idempotency key, each inside `[due_ms, due_ms + 5 s]`.
fn assert_sent_once_each(received: &[Recorded], mut expected_keys: Vec<String>, due_ms: u64) {
    let mut keys: Vec<String> =
        received.iter().map(|request| request.header("idempotency-key").unwrap().to_owned()).collect();
    keys.sort();
    expected_keys.sort();
    assert_eq!(keys, expected_keys, "one request per recipient");
    for request in received {
        assert!(request.at_ms >= due_ms, "sent {} ms before send_at", due_ms - request.at_ms);
        assert!(request.at_ms <= due_ms + 5_000, "sent {} ms after send_at", request.at_ms - due_ms);
    }
}

fn expected_keys(id: &str, recipients: usize) -> Vec<String> {
    (0..recipients).map(|index| format!("{id}-r{index}")).collect()
}

#[test]
fn scheduled_card_sends_once_after_send_at() {
    let stack = EcardStack::start();
    let _scheduler = stack.start_scheduler("e2e-scheduler");
    let (id, stats_url, due_ms) = schedule_card(&stack, &mut card_request(), 3_000);

    // Stored and due: the due set holds only the id, scored by the due time.
    assert_eq!(stack.due_members(), [(id.clone(), due_ms)]);
    let stats = reply(stack.http.get(stack.url(&stats_url)).call()).json();
    assert_eq!(stats["send_at"], rfc3339_ms(due_ms), "{stats}");
    for recipient in stats["recipients"].as_array().unwrap() {
        assert_eq!(recipient["delivery"]["state"], "scheduled", "{recipient}");
        assert_eq!(recipient["delivery"]["scheduled_at_ms"], due_ms, "{recipient}");
    }
    let mut connection = stack.redis.connection();
    let record_expiry: u64 =
        redis::cmd("PEXPIRETIME").arg(format!("ecard:{id}:record")).query(&mut connection).unwrap();
    assert_eq!(record_expiry, due_ms + 30 * 24 * 60 * 60 * 1000);

    // Nothing before the due time, then one request per recipient.
    while now_ms() + 300 < due_ms {
        assert!(stack.provider.received().is_empty(), "sent before send_at");
        thread::sleep(Duration::from_millis(100));
    }
    let received = wait_for_requests(&stack, 2, due_ms + 5_000);
    assert_sent_once_each(&received, expected_keys(&id, 2), due_ms);
    let html = received[0].json()["html"].as_str().unwrap().to_owned();
    assert!(html.contains("&lt;b&gt;cake&lt;/b&gt;"), "{html}");

    let stats = reply(stack.http.get(stack.url(&stats_url)).call()).json();
    for recipient in stats["recipients"].as_array().unwrap() {
        assert_eq!(recipient["delivery"]["state"], "delivered", "{recipient}");
        assert_eq!(recipient["delivery"]["attempts"], 1, "{recipient}");
    }
    assert!(stack.due_members().is_empty());
    let outbox: Vec<String> =
        redis::cmd("KEYS").arg(format!("ecard:{id}:outbox:*")).query(&mut connection).unwrap();
    assert!(outbox.is_empty(), "link tokens kept after sending: {outbox:?}");
}

#[test]
fn two_schedulers_one_restarted_send_once() {
    let stack = EcardStack::start();
    let mut first = stack.start_scheduler("e2e-scheduler-a");
    let _second = stack.start_scheduler("e2e-scheduler-b");
    let mut body = card_request();
    body["recipients"] = json!([
        { "name": "Bob", "email": "bob@example.com" },
        { "name": "Carol", "email": "carol@example.org" },
        { "name": "Dan", "email": "dan@example.net" }
    ]);
    let (first_id, _, due_ms) = schedule_card(&stack, &mut body, 3_000);
    let (second_id, _, second_due_ms) = schedule_card(&stack, &mut card_request(), 3_000);

    // One scheduler dies and comes back while the cards wait.
    thread::sleep(Duration::from_millis(1_000));
    first.kill();
    let _restarted = stack.start_scheduler("e2e-scheduler-a");

    let received = wait_for_requests(&stack, 5, second_due_ms + 5_000);
    let mut keys = expected_keys(&first_id, 3);
    keys.extend(expected_keys(&second_id, 2));
    assert_sent_once_each(&received, keys, due_ms);
    assert!(stack.due_members().is_empty());
}

#[test]
fn dead_dispatcher_claim_expires_then_sends() {
    let stack = EcardStack::start();
    let (id, stats_url, due_ms) = schedule_card(&stack, &mut card_request(), 1_000);

    // A dispatcher that died after claiming the card and one recipient's send leaves both claims.
    let lease_ms = 4_000;
    let mut connection = stack.redis.connection();
    for key in [format!("ecard:{id}:dispatch"), format!("ecard:{id}:send:r0")] {
        let set: Option<String> = redis::cmd("SET")
            .arg(&key)
            .arg("sending:dead")
            .arg("NX")
            .arg("PX")
            .arg(lease_ms)
            .query(&mut connection)
            .unwrap();
        assert_eq!(set.as_deref(), Some("OK"), "{key}");
    }
    let claims_end_ms = now_ms() + lease_ms;
    let _scheduler = stack.start_scheduler("e2e-scheduler");

    while now_ms() + 300 < claims_end_ms {
        assert!(stack.provider.received().is_empty(), "sent while another dispatcher held the claim");
        thread::sleep(Duration::from_millis(100));
    }
    let received = wait_for_requests(&stack, 2, claims_end_ms + 5_000);
    assert_sent_once_each(&received, expected_keys(&id, 2), due_ms);
    let stats = reply(stack.http.get(stack.url(&stats_url)).call()).json();
    for recipient in stats["recipients"].as_array().unwrap() {
        assert_eq!(recipient["delivery"]["state"], "delivered", "{recipient}");
    }
}

#[test]
fn delete_before_send_at_sends_nothing() {
    let stack = EcardStack::start();
    let _scheduler = stack.start_scheduler("e2e-scheduler");
    let (id, stats_url, due_ms) = schedule_card(&stack, &mut card_request(), 2_000);
    let token = stats_url.split_once("token=").unwrap().1.to_owned();
    assert_eq!(stack.due_members().len(), 1);

    let deleted = reply(stack.http.delete(stack.url(&format!("/api/ecards/{id}?token={token}"))).call());
    assert_eq!(deleted.status, 204);
    assert!(stack.due_members().is_empty());
    assert!(stack.keys().is_empty(), "{:?}", stack.keys());

    while now_ms() < due_ms + 3_000 {
        thread::sleep(Duration::from_millis(200));
    }
    assert!(stack.provider.received().is_empty(), "{:?}", stack.provider.received());
    assert!(stack.keys().is_empty(), "{:?}", stack.keys());
}

#[test]
fn dispatch_rejects_bad_secret() {
    let stack = EcardStack::start();
    let (id, _, due_ms) = schedule_card(&stack, &mut card_request(), 500);
    while now_ms() <= due_ms {
        thread::sleep(Duration::from_millis(50));
    }

    let wrong_secret = format!("Bearer {DISPATCH_SECRET}x");
    let prefix_only = format!("Bearer {}", &DISPATCH_SECRET[..10]);
    let basic = format!("Basic {DISPATCH_SECRET}");
    for authorization in [None, Some(wrong_secret.as_str()), Some(prefix_only.as_str()), Some(basic.as_str())]
    {
        let refused = stack.dispatch(authorization);
        assert_eq!(refused.status, 401, "{authorization:?}");
        assert_eq!(refused.json()["error"], "unauthorized");
    }
    let get = reply(stack.http.get(stack.url("/api/ecards/dispatch")).call());
    assert_eq!(get.status, 405);
    assert!(stack.provider.received().is_empty());
    assert_eq!(stack.due_members(), [(id.clone(), due_ms)]);

    // The right secret sends the card that was due all along.
    let done = stack.dispatch(Some(&format!("Bearer {DISPATCH_SECRET}")));
    assert_eq!(done.status, 200, "{}", String::from_utf8_lossy(&done.body));
    assert_eq!(done.json()["delivered"], 2);
    assert_sent_once_each(&stack.provider.received(), expected_keys(&id, 2), due_ms);
}

#[test]
fn dispatch_is_off_without_secret() {
    let stack = EcardStack::start_with("resend", StandIn::start(), "");
    let (_, stats_url, due_ms) = schedule_card(&stack, &mut card_request(), 500);
    while now_ms() <= due_ms {
        thread::sleep(Duration::from_millis(50));
    }
    for authorization in [None, Some("Bearer "), Some("Bearer anything")] {
        assert_eq!(stack.dispatch(authorization).status, 404, "{authorization:?}");
    }
    assert!(stack.provider.received().is_empty());
    let stats = reply(stack.http.get(stack.url(&stats_url)).call()).json();
    assert_eq!(stats["recipients"][0]["delivery"]["state"], "scheduled", "{stats}");
}

#[test]
fn postmark_request_reaches_stand_in() {
    let stack = EcardStack::start_with("postmark", StandIn::start(), DISPATCH_SECRET);
    let created = stack.post_ecard(&card_request());
    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    let json = created.json();
    let id = json["id"].as_str().unwrap().to_owned();

    let received = stack.provider.received();
    assert_eq!(received.len(), 2, "{received:?}");
    let mut recipient_ids = Vec::new();
    for request in &received {
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/email");
        assert_eq!(request.header("x-postmark-server-token"), Some(API_TOKEN));
        assert_eq!(request.header("authorization"), None);
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(request.header("accept"), Some("application/json"));
        // Postmark documents no idempotency key.
        assert_eq!(request.header("idempotency-key"), None);
        let body = request.json();
        assert_eq!(body["Subject"], "Ada Lovelace sent you a birthday card");
        assert_eq!(body["ReplyTo"], "Ada Lovelace <ada@example.com>");
        assert_eq!(body["From"], "Ada Lovelace via Smart Banner Hub <cards@example.com>");
        assert_eq!(body["MessageStream"], "outbound");
        assert_eq!(body["TrackOpens"], false);
        assert_eq!(body["TrackLinks"], "None");
        assert_eq!(body["Metadata"]["ecard_id"], id.as_str());
        let html = body["HtmlBody"].as_str().unwrap();
        assert!(html.contains("&lt;b&gt;cake&lt;/b&gt; &amp; &quot;tea&quot;"), "{html}");
        assert!(!html.contains("<b>cake</b>"), "{html}");
        let text = body["TextBody"].as_str().unwrap();
        assert!(text.contains("<b>cake</b> & \"tea\""), "{text}");
        recipient_ids.push(body["Metadata"]["recipient_id"].as_str().unwrap().to_owned());
    }
    recipient_ids.sort();
    assert_eq!(recipient_ids, ["r0", "r1"]);
    let mut addressees: Vec<String> =
        received.iter().map(|request| request.json()["To"].as_str().unwrap().to_owned()).collect();
    addressees.sort();
    assert_eq!(addressees, ["Bob <bob@example.com>", "Carol <carol@example.org>"]);

    let stats = reply(stack.http.get(stack.url(json["stats_url"].as_str().unwrap())).call()).json();
    for recipient in stats["recipients"].as_array().unwrap() {
        assert_eq!(recipient["delivery"]["state"], "delivered", "{recipient}");
    }
}

#[test]
fn sendgrid_request_reaches_stand_in() {
    let stack =
        EcardStack::start_with("sendgrid", StandIn::start_with(Success::AcceptedEmpty), DISPATCH_SECRET);
    let created = stack.post_ecard(&card_request());
    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    let json = created.json();
    let id = json["id"].as_str().unwrap().to_owned();

    let received = stack.provider.received();
    assert_eq!(received.len(), 2, "{received:?}");
    let mut addressees = Vec::new();
    for request in &received {
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/v3/mail/send");
        assert_eq!(request.header("authorization"), Some(format!("Bearer {API_TOKEN}").as_str()));
        assert_eq!(request.header("x-postmark-server-token"), None);
        assert_eq!(request.header("content-type"), Some("application/json"));
        // SendGrid documents no idempotency key.
        assert_eq!(request.header("idempotency-key"), None);
        let body = request.json();
        assert_eq!(body["subject"], "Ada Lovelace sent you a birthday card");
        assert_eq!(
            body["from"],
            json!({"email": "cards@example.com", "name": "Ada Lovelace via Smart Banner Hub"})
        );
        assert_eq!(body["reply_to"], json!({"email": "ada@example.com", "name": "Ada Lovelace"}));
        assert_eq!(body["custom_args"]["ecard_id"], id.as_str());
        assert_eq!(body["tracking_settings"]["open_tracking"]["enable"], false);
        assert_eq!(body["tracking_settings"]["click_tracking"]["enable"], false);
        assert_eq!(body["content"][0]["type"], "text/plain");
        assert_eq!(body["content"][1]["type"], "text/html");
        let html = body["content"][1]["value"].as_str().unwrap();
        assert!(html.contains("&lt;b&gt;cake&lt;/b&gt; &amp; &quot;tea&quot;"), "{html}");
        assert!(!html.contains("<b>cake</b>"), "{html}");
        let personalizations = body["personalizations"].as_array().unwrap();
        assert_eq!(personalizations.len(), 1, "{body}");
        addressees.push(personalizations[0]["to"][0]["email"].as_str().unwrap().to_owned());
    }
    addressees.sort();
    assert_eq!(addressees, ["bob@example.com", "carol@example.org"]);

    // A 202 with an empty body counts as delivered.
    let stats = reply(stack.http.get(stack.url(json["stats_url"].as_str().unwrap())).call()).json();
    for recipient in stats["recipients"].as_array().unwrap() {
        assert_eq!(recipient["delivery"]["state"], "delivered", "{recipient}");
        assert_eq!(recipient["delivery"]["attempts"], 1, "{recipient}");
    }
}

#[test]
fn provider_timeout_is_retried() {
    let stack = EcardStack::start();
    stack.provider.unanswered.store(1, Ordering::SeqCst);
    let _scheduler = stack.start_scheduler("e2e-scheduler");
    let mut body = card_request();
    body["recipients"] = json!([{ "name": "Bob", "email": "bob@example.com" }]);
    let (id, stats_url, due_ms) = schedule_card(&stack, &mut body, 1_000);

    // The first attempt gets no response; the component gives up after its 10 s first-byte
    // timeout and stores a retryable failure.
    let mut delivery = Value::Null;
    while now_ms() < due_ms + 20_000 {
        let stats = reply(stack.http.get(stack.url(&stats_url)).call()).json();
        delivery = stats["recipients"][0]["delivery"].clone();
        if delivery["state"] == "retrying" || delivery["state"] == "delivered" {
            break;
        }
        thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(delivery["state"], "retrying", "{delivery}");
    assert_eq!(delivery["attempts"], 1, "{delivery}");
    assert!(delivery["reason"].as_str().unwrap().contains("timed out"), "{delivery}");
    let first_attempt_ms = stack.provider.received()[0].at_ms;
    let failed_at_ms = delivery["updated_at_ms"].as_u64().unwrap();
    let waited_ms = failed_at_ms - first_attempt_ms;
    assert!((9_000..15_000).contains(&waited_ms), "gave up after {waited_ms} ms");

    // The retry, due a second later, is answered.
    let received = wait_for_requests(&stack, 2, failed_at_ms + 5_000);
    assert_eq!(received.len(), 2, "{received:?}");
    for request in &received {
        assert_eq!(request.header("idempotency-key"), Some(format!("{id}-r0").as_str()));
    }
    let stats = reply(stack.http.get(stack.url(&stats_url)).call()).json();
    let delivery = &stats["recipients"][0]["delivery"];
    assert_eq!(delivery["state"], "delivered", "{delivery}");
    assert_eq!(delivery["attempts"], 2, "{delivery}");
    assert!(stack.due_members().is_empty());
}

/// Returns the view path `/ecards/{token}` from a provider request's HTML.
fn view_path(recorded: &Recorded) -> String {
    let html = recorded.json()["html"].as_str().expect("html field").to_owned();
    let start = html.find("/ecards/").expect("view link in the HTML");
    let end = start + html[start..].find('"').expect("view link ends in a quote");
    html[start..end].to_owned()
}

fn assert_page_headers(reply: &Reply, context: &str) {
    assert_eq!(reply.header("content-type"), Some("text/html; charset=utf-8"), "{context}");
    assert_eq!(reply.header("cache-control"), Some("no-store"), "{context}");
    assert_eq!(reply.header("referrer-policy"), Some("no-referrer"), "{context}");
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"), "{context}");
    let policy = reply.header("content-security-policy").expect("content-security-policy header");
    assert!(policy.contains("default-src 'self'"), "{context}: {policy}");
    assert!(policy.contains("style-src 'self'"), "{context}: {policy}");
    assert!(!policy.contains("unsafe-inline"), "{context}: {policy}");
}

#[test]
fn view_page_shows_card_and_counts_view() {
    let stack = EcardStack::start();
    let created = stack.post_ecard(&card_request());
    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    let json = created.json();
    let (id, stats_url) =
        (json["id"].as_str().unwrap().to_owned(), json["stats_url"].as_str().unwrap().to_owned());
    let received = stack.provider.received();
    let first =
        received.iter().find(|request| request.header("idempotency-key").unwrap().ends_with("-r0")).unwrap();
    let view = view_path(first);
    assert!(first.json()["text"].as_str().unwrap().contains(&format!("http://127.0.0.1:3000{view}")));

    let page = stack.get_with_agent(&view, DESKTOP_AGENT);
    assert_eq!(page.status, 200);
    assert_page_headers(&page, "card");
    let html = String::from_utf8(page.body.clone()).unwrap();
    assert!(html.contains("Happy birthday! &lt;b&gt;cake&lt;/b&gt; &amp; &quot;tea&quot;"), "{html}");
    assert!(!html.contains("<b>cake</b>"), "{html}");
    assert!(html.contains("Dear Bob,"), "{html}");
    assert!(html.contains("From Ada Lovelace"), "{html}");
    assert!(html.contains("design-birthday"), "{html}");
    assert!(!html.contains("bob@example.com"), "{html}");
    let stylesheet = reply(stack.http.get(stack.url("/static/css/ecard-view.css")).call());
    assert_eq!(stylesheet.status, 200);
    assert!(String::from_utf8_lossy(&stylesheet.body).contains(".design-birthday"));

    // The load is a browser-view hit of that recipient only.
    let stats = reply(stack.http.get(stack.url(&stats_url)).call()).json();
    let recipient = &stats["recipients"][0];
    assert_eq!(recipient["id"], "r0");
    assert_eq!(recipient["opens"]["hits"], 1, "{recipient}");
    assert_eq!(recipient["hits_by_class"]["browser_view"], 1, "{recipient}");
    assert_eq!(recipient["opens"]["unique_human_opens"], 1, "a view is an open: {recipient}");
    assert_eq!(stats["recipients"][1]["opens"]["hits"], 0, "{stats}");

    let post = reply(stack.http.post(stack.url(&view)).send_empty());
    assert_eq!(post.status, 405);
    assert_eq!(post.header("allow"), Some("GET"));

    // After the purge the link leads to the 404 page.
    let token = stats_url.split_once("token=").unwrap().1.to_owned();
    let deleted = reply(stack.http.delete(stack.url(&format!("/api/ecards/{id}?token={token}"))).call());
    assert_eq!(deleted.status, 204);
    let gone = stack.get_with_agent(&view, DESKTOP_AGENT);
    assert_eq!(gone.status, 404);
    assert!(stack.keys().is_empty(), "{:?}", stack.keys());
}

#[test]
fn view_page_unknown_token_is_404() {
    let stack = EcardStack::start();
    for path in ["/ecards/AAAAAAAAAAAAAAAAAAAAAA", "/ecards/not-a-token", "/ecards/"] {
        let page = stack.get_with_agent(path, DESKTOP_AGENT);
        assert_eq!(page.status, 404, "{path}");
        assert_page_headers(&page, path);
        assert!(String::from_utf8_lossy(&page.body).contains("Page not found"), "{path}");
    }
    assert!(stack.keys().is_empty(), "{:?}", stack.keys());
}

/// A directory under the system temp dir, removed when dropped.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(label: &str) -> Self {
        let path = std::env::temp_dir().join(format!("sbh-e2e-{label}-{}-{}", std::process::id(), now_ms()));
        std::fs::create_dir_all(&path).expect("create a temp dir");
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn unlisted_mail_host_is_denied() {
    // A copy of spin.toml whose ecards component may reach Redis and a closed loopback port only.
    let manifest = std::fs::read_to_string(e2e::repo_root().join("spin.toml")).unwrap();
    let listed = r#"allowed_outbound_hosts = ["redis://{{ redis_host }}", "{{ mail_api_base }}"]"#;
    assert_eq!(manifest.matches(listed).count(), 1, "the ecards component's allowed_outbound_hosts line");
    let unlisted = r#"allowed_outbound_hosts = ["redis://{{ redis_host }}", "http://127.0.0.1:9"]"#;
    let dir = TempDir::new("unlisted-host");
    std::fs::write(dir.0.join("spin.toml"), manifest.replace(listed, unlisted)).unwrap();
    std::os::unix::fs::symlink(e2e::repo_root().join("static"), dir.0.join("static")).unwrap();

    let provider = StandIn::start();
    let redis = RedisServer::start();
    let variables = stack_variables(&redis, "resend", &provider, DISPATCH_SECRET);
    let devhost = Devhost::start_with_manifest(&dir.0.join("spin.toml"), &variables);
    let stack = EcardStack {
        http: ureq::Agent::config_builder().http_status_as_error(false).build().into(),
        provider,
        devhost,
        redis,
    };

    let created = stack.post_ecard(&card_request());
    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    let stats_url = created.json()["stats_url"].as_str().unwrap().to_owned();
    thread::sleep(Duration::from_millis(500));
    assert!(stack.provider.received().is_empty(), "{:?}", stack.provider.received());

    let stats = reply(stack.http.get(stack.url(&stats_url)).call()).json();
    for recipient in stats["recipients"].as_array().unwrap() {
        let delivery = &recipient["delivery"];
        assert_eq!(delivery["state"], "failed", "{delivery}");
        // A denied destination is permanent, so it is not retried.
        assert_eq!(delivery["attempts"], 1, "{delivery}");
        let reason = delivery["reason"].as_str().unwrap();
        assert!(reason.contains("allowed_outbound_hosts"), "{reason}");
    }
}
