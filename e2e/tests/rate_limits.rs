//! The per-client-IP budgets of the write endpoints end to end: the devhost serving spin.toml with
//! small budgets set through Spin variables, and a real redis-server. Every request comes from
//! 127.0.0.1, so one test's requests share one budget per scope.

use std::collections::BTreeSet;

use e2e::http::{Reply, post_raw_to, reply};
use e2e::{Devhost, RedisServer, TEST_STORAGE_KEY};
use serde_json::json;

const ASTRONAUT: &[u8] = include_bytes!("../../assets/samples/astronaut.png");
/// Options of a small, short video; the tests render nothing, so only validity matters.
const QUICK: &str =
    "style=pen&size=720x720&duration=5&background=%23ffffff&sketch=%23102030&age_confirmed=true";
/// The window of the order and e-card budgets, in seconds.
const HOUR_SECS: i64 = 3600;

/// Redis and a devhost whose order and e-card budgets are set, with an HTTP agent that returns
/// every status.
struct Site {
    http: ureq::Agent,
    devhost: Devhost,
    redis: RedisServer,
}

impl Site {
    fn start(orders_per_hour: u32, ecards_per_hour: u32) -> Self {
        let redis = RedisServer::start();
        let devhost = Devhost::start(&[
            ("redis_url", redis.url()),
            ("redis_host", format!("127.0.0.1:{}", redis.port)),
            ("storage_key", TEST_STORAGE_KEY.to_owned()),
            ("mail_api_token", "re_test_token_123".to_owned()),
            ("orders_requests_per_hour", orders_per_hour.to_string()),
            ("ecards_requests_per_hour", ecards_per_hour.to_string()),
        ]);
        let http = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        Self { http, devhost, redis }
    }

    /// Posts `body` through a socket that tolerates a response before the body is read, as a `429`
    /// is sent.
    fn post(&self, path: &str, body: &[u8]) -> Reply {
        post_raw_to(&self.devhost.base_url, path, body)
    }

    fn upload_photo(&self) -> Reply {
        self.post(&format!("/api/portraits?{QUICK}"), ASTRONAUT)
    }

    fn order_text(&self, text: &str) -> Reply {
        self.post(&format!("/api/text-animations?{QUICK}"), text.as_bytes())
    }

    /// Creates an e-card scheduled a day ahead, so no mail is sent.
    fn schedule_ecard(&self) -> Reply {
        let send_at_secs =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 86_400;
        let body = json!({
            "sender": { "name": "Ada Lovelace", "email": "ada@example.com" },
            "recipients": [{ "name": "Bob", "email": "bob@example.com" }],
            "message": "Happy birthday!",
            "design": "birthday",
            "send_at": format_rfc3339(send_at_secs),
        });
        let url = format!("{}/api/ecards", self.devhost.base_url);
        reply(self.http.post(url).header("content-type", "application/json").send(body.to_string()))
    }

    /// Returns the name of every key in Redis.
    fn keys(&self) -> BTreeSet<String> {
        let mut connection = self.redis.connection();
        redis::cmd("KEYS").arg("*").query(&mut connection).unwrap()
    }

    fn counter_keys(&self, scope: &str) -> Vec<String> {
        self.keys().into_iter().filter(|key| key.starts_with(&format!("ratelimit:{scope}:"))).collect()
    }

    fn get_count(&self, key: &str) -> i64 {
        let mut connection = self.redis.connection();
        redis::cmd("GET").arg(key).query(&mut connection).unwrap()
    }

    fn ttl_secs(&self, key: &str) -> i64 {
        let mut connection = self.redis.connection();
        redis::cmd("TTL").arg(key).query(&mut connection).unwrap()
    }
}

/// Formats Unix seconds as RFC 3339 UTC through the store crate's formatter.
fn format_rfc3339(unix_secs: u64) -> String {
    store::time::format_rfc3339_ms(unix_secs * 1000)
}

/// Parses the JSON object in a raw response body, which may be sent in chunked transfer coding.
fn json_in(body: &str) -> serde_json::Value {
    let start = body.find('{').unwrap_or_else(|| panic!("no JSON in {body}"));
    let end = body.rfind('}').unwrap_or_else(|| panic!("no JSON in {body}"));
    serde_json::from_str(&body[start..=end]).unwrap_or_else(|error| panic!("{error}: {body}"))
}

/// Checks a `429`: `Retry-After` of one hour and a JSON error that contains `limit_text`.
fn assert_limited(reply: &Reply, limit_text: &str) {
    assert_eq!(reply.status, 429, "{}", reply.text());
    assert_eq!(reply.header("retry-after"), Some("3600"));
    let message = json_in(&reply.text())["error"].as_str().expect("error message").to_owned();
    assert!(message.contains(limit_text), "{message}");
}

/// Checks the one counter key of `scope`: its name contains no address, and it expires within the window.
fn assert_counter_key(site: &Site, scope: &str, expected_count: i64) {
    let keys = site.counter_keys(scope);
    assert_eq!(keys.len(), 1, "one counter per scope and address: {keys:?}");
    let key = &keys[0];
    assert!(!key.contains("127.0.0.1"), "{key}");
    let hash = key.strip_prefix(&format!("ratelimit:{scope}:")).unwrap();
    assert_eq!(hash.len(), 32, "{key}");
    assert!(hash.bytes().all(|byte| byte.is_ascii_hexdigit()), "{key}");
    assert_eq!(site.get_count(key), expected_count);
    let ttl_secs = site.ttl_secs(key);
    assert!(ttl_secs > 0, "{key} has no expiry (TTL {ttl_secs})");
    assert!(ttl_secs <= HOUR_SECS, "{key} outlives the window (TTL {ttl_secs} s)");
}

#[test]
fn order_budget_is_shared_by_photo_and_text() {
    let site = Site::start(2, 100);

    // One photo and one text order use the budget of two. Previews are not counted.
    assert_eq!(site.upload_photo().status, 201);
    let preview = site.post(&format!("/api/text-animations/preview?{QUICK}"), b"Hello");
    assert_eq!(preview.status, 200, "{}", preview.text());
    assert_eq!(site.order_text("Hello").status, 201);
    let preview = site.post(&format!("/api/text-animations/preview?{QUICK}"), b"Hello");
    assert_eq!(preview.status, 200, "{}", preview.text());
    let keys_before = site.keys();

    // The third order of either kind is limited, and leaves Redis as it was, counter value aside.
    let limited_photo = site.upload_photo();
    assert_limited(&limited_photo, "the limit is 2 orders per hour");
    let limited_text = site.order_text("Hello");
    assert_limited(&limited_text, "the limit is 2 orders per hour");
    assert_eq!(site.keys(), keys_before, "a limited order stores nothing");
    assert_counter_key(&site, "orders", 4);
}

#[test]
fn ecard_budget_returns_429() {
    let site = Site::start(100, 2);
    for _ in 0..2 {
        let created = site.schedule_ecard();
        assert_eq!(created.status, 201, "{}", created.text());
    }
    let keys_before = site.keys();

    let limited = site.schedule_ecard();
    assert_limited(&limited, "the limit is 2 e-cards per hour");
    assert_eq!(site.keys(), keys_before, "a limited e-card stores nothing");
    assert_counter_key(&site, "ecards", 3);
    assert!(site.counter_keys("orders").is_empty(), "scopes are separate");
}

#[test]
fn redis_down_gives_503() {
    let mut site = Site::start(100, 100);
    site.redis.stop();
    for limited in [site.upload_photo(), site.order_text("Hello"), site.schedule_ecard()] {
        assert_eq!(limited.status, 503, "{}", limited.text());
        assert!(limited.header("retry-after").is_none());
    }
}
