//! The text studio end to end: typed text through the devhost-served `text-studio` component, a real
//! render worker, and the orders component, checked with ffprobe and against Redis's contents.

use e2e::Stack;
use e2e::http::{Reply, get, order_keys, post_raw, reply, wait_until_ready};
use e2e::video::assert_main_job_video;
use serde_json::Value;

/// Options for a short, small video, so the render takes a few seconds.
const QUICK: &str =
    "style=pen&size=720x720&duration=5&background=%23ffffff&sketch=%23102030&age_confirmed=true";

/// A text with an accented letter, punctuation and a line break.
const GREETING: &str = "Hi there!\nÇa va, Zoë?";

fn order_text(stack: &Stack, query: &str, text: &str) -> Reply {
    let url = stack.url(&format!("/api/text-animations?{query}"));
    reply(stack.http.post(url).header("content-type", "text/plain; charset=utf-8").send(text.as_bytes()))
}

/// Parses the JSON object in a raw response body, which may be sent in chunked transfer coding.
fn json_in(body: &str) -> Option<Value> {
    let start = body.find('{')?;
    let end = body.rfind('}')?;
    serde_json::from_str(&body[start..=end]).ok()
}

fn redis_key_count(stack: &Stack) -> i64 {
    let mut connection = stack.redis.connection();
    redis::cmd("DBSIZE").query(&mut connection).unwrap()
}

/// Returns every key except the order-budget counters, which order requests create before their
/// text is read, so rejected ones create them too.
fn keys_besides_counters(stack: &Stack) -> Vec<String> {
    let mut connection = stack.redis.connection();
    let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut connection).unwrap();
    keys.into_iter().filter(|key| !key.starts_with("ratelimit:orders:")).collect()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// Returns the expiry instant of every key, in milliseconds since the epoch.
fn expiries(stack: &Stack, keys: &[String]) -> Vec<i64> {
    let mut connection = stack.redis.connection();
    keys.iter().map(|key| redis::cmd("PEXPIRETIME").arg(key).query(&mut connection).unwrap()).collect()
}

#[test]
fn text_order_renders_playable_video() {
    let stack = Stack::start(1);

    // The order: 201 with the same links as a portrait order, and the strokes as SVG.
    let created = order_text(&stack, &format!("{QUICK}&plan=pro"), GREETING);
    assert_eq!(created.status, 201, "{}", created.text());
    let created = created.json();
    let token = created["token"].as_str().expect("token").to_owned();
    assert_eq!(created["order_url"], format!("/orders/{token}"));
    assert_eq!(created["status_url"], format!("/api/orders/{token}"));
    let svg = created["strokes_svg"].as_str().expect("strokes_svg");
    assert!(svg.contains(r#"viewBox="0 0 720 720""#), "{}", &svg[..120]);
    assert!(svg.matches("<path").count() > 20, "one path per pen stroke");

    // The text itself is not stored: only sealed strokes and the sealed record.
    let keys = order_keys(&stack, &token);
    assert_eq!(keys.len(), 2, "{keys:?}");

    // The worker renders it; the point cloud is then deleted.
    let status = wait_until_ready(&stack, &token);
    assert_eq!(status["state"], "ready");
    let keys = order_keys(&stack, &token);
    assert!(keys.iter().all(|key| !key.ends_with(":strokes")), "point cloud still stored: {keys:?}");

    // Every key expires at one instant, 30 days after creation on the pro plan.
    let instants = expiries(&stack, &keys);
    assert!(instants.iter().all(|instant| *instant == instants[0]), "expiries differ: {instants:?}");
    let thirty_days_ms = 30 * 24 * 3600 * 1000;
    assert!(
        (instants[0] - now_ms() - thirty_days_ms).abs() < 60_000,
        "expiry {} is not 30 days away",
        instants[0]
    );

    // The video passes the main job's checks.
    let video = get(&stack, &format!("/api/orders/{token}/animation.mp4"), None);
    assert_eq!(video.status, 200);
    assert_eq!(video.header("content-type"), Some("video/mp4"));
    assert_main_job_video(&video.body, 720, 720, 5.0);

    // The order page, the export and the deletion are the orders component's, unchanged.
    let page = get(&stack, &format!("/orders/{token}"), None);
    assert_eq!(page.status, 200);
    let export = get(&stack, &format!("/api/orders/{token}/data"), None);
    assert_eq!(export.status, 200);
    assert!(!export.text().contains("Zoë"), "the export holds no text: the text was never stored");
    let deleted = reply(stack.http.delete(stack.url(&format!("/api/orders/{token}"))).call());
    assert_eq!(deleted.status, 204);
    assert_eq!(order_keys(&stack, &token), Vec::<String>::new());
}

#[test]
fn single_plan_text_order_keeps_24_hours() {
    let stack = Stack::start(0);
    let created = order_text(&stack, &format!("{QUICK}&plan=single"), "24 hours");
    assert_eq!(created.status, 201, "{}", created.text());
    let token = created.json()["token"].as_str().unwrap().to_owned();

    let keys = order_keys(&stack, &token);
    assert_eq!(keys.len(), 2, "expected the record and the point cloud: {keys:?}");
    for (key, expiry) in keys.iter().zip(expiries(&stack, &keys)) {
        assert!((expiry - now_ms() - 24 * 3600 * 1000).abs() < 60_000, "{key} expires at {expiry}");
    }
}

#[test]
fn unsupported_characters_get_422_naming_them() {
    let stack = Stack::start(0);
    let rejected = order_text(&stack, QUICK, "Snow ☃, sun ☀ and ☃ again 😀");
    assert_eq!(rejected.status, 422, "{}", rejected.text());
    let body = rejected.json();
    assert_eq!(body["field"], "text");
    assert_eq!(body["unsupported"], serde_json::json!(["☃", "☀", "😀"]));
    let message = body["error"].as_str().unwrap();
    for name in ["U+2603", "U+2600", "U+1F600"] {
        assert!(message.contains(name), "{name} missing from {message}");
    }
    assert_eq!(message.matches("U+2603").count(), 1, "each character is named once: {message}");
    assert_eq!(keys_besides_counters(&stack), Vec::<String>::new(), "a rejected text stored something");
}

/// A request the component must reject, with the status, field and message text expected.
struct BadRequest<'a> {
    name: &'a str,
    query: &'a str,
    body: &'a [u8],
    status: u16,
    field: &'a str,
    text: &'a str,
}

#[test]
fn bad_requests_get_4xx_naming_field() {
    let stack = Stack::start(0);
    let too_long = "a".repeat(201);
    let thirteen_lines = ["line"; 13].join("\n");
    let cases = [
        BadRequest {
            name: "odd size",
            query: "size=721x720&age_confirmed=true",
            body: b"Hi",
            status: 400,
            field: "size",
            text: "odd",
        },
        BadRequest {
            name: "long duration",
            query: "duration=60&age_confirmed=true",
            body: b"Hi",
            status: 400,
            field: "duration",
            text: "30",
        },
        BadRequest {
            name: "unknown style",
            query: "style=sketchy&age_confirmed=true",
            body: b"Hi",
            status: 400,
            field: "style",
            text: "sketchy",
        },
        BadRequest {
            name: "bad colour",
            query: "sketch=red&age_confirmed=true",
            body: b"Hi",
            status: 400,
            field: "sketch",
            text: "six hex digits",
        },
        BadRequest {
            name: "unknown plan",
            query: "plan=gold&age_confirmed=true",
            body: b"Hi",
            status: 400,
            field: "plan",
            text: "single or pro",
        },
        BadRequest {
            name: "no age confirmation",
            query: "style=pen",
            body: b"Hi",
            status: 400,
            field: "age_confirmed",
            text: "13 or older",
        },
        BadRequest { name: "empty text", query: QUICK, body: b"", status: 400, field: "text", text: "empty" },
        BadRequest {
            name: "only spaces",
            query: QUICK,
            body: b"  \n  ",
            status: 400,
            field: "text",
            text: "empty",
        },
        BadRequest {
            name: "too long",
            query: QUICK,
            body: too_long.as_bytes(),
            status: 400,
            field: "text",
            text: "the limit is 200",
        },
        BadRequest {
            name: "too many lines",
            query: QUICK,
            body: thirteen_lines.as_bytes(),
            status: 400,
            field: "text",
            text: "the limit is 12",
        },
        BadRequest {
            name: "not UTF-8",
            query: QUICK,
            body: b"Hi \xff\xfe",
            status: 400,
            field: "text",
            text: "UTF-8",
        },
    ];
    for case in cases {
        let (status, message) = post_raw(&stack, &format!("/api/text-animations?{}", case.query), case.body);
        assert_eq!(status, case.status, "{}: {message}", case.name);
        let json = json_in(&message).unwrap_or_else(|| panic!("{}: no JSON in {message}", case.name));
        assert_eq!(json["field"], case.field, "{}: {message}", case.name);
        assert!(json["error"].as_str().unwrap().contains(case.text), "{}: {message}", case.name);
    }

    // A body over the byte limit is rejected from its declared length.
    let (status, message) = post_raw(&stack, &format!("/api/text-animations?{QUICK}"), &[b'a'; 5000]);
    assert_eq!(status, 413, "{message}");
    assert!(message.contains("4096 bytes"), "message does not name the limit: {message}");

    // Wrong method and unknown path.
    let wrong_method = get(&stack, "/api/text-animations", None);
    assert_eq!(wrong_method.status, 405);
    assert_eq!(wrong_method.header("allow"), Some("POST"));
    let (status, _) = post_raw(&stack, "/api/text-animations/nothing", b"Hi");
    assert_eq!(status, 404);

    assert_eq!(keys_besides_counters(&stack), Vec::<String>::new(), "a rejected request stored something");
}

#[test]
fn preview_returns_svg_and_stores_nothing() {
    let stack = Stack::start(0);
    let url = stack.url("/api/text-animations/preview?size=720x1280&background=%23102030");
    let preview = reply(stack.http.post(url).send("Hello\nworld".as_bytes()));
    assert_eq!(preview.status, 200, "{}", preview.text());
    let body = preview.json();
    let svg = body["strokes_svg"].as_str().unwrap();
    assert!(svg.contains(r#"viewBox="0 0 720 1280""#), "{}", &svg[..120]);
    assert!(svg.contains("#102030"), "the chosen background");
    assert_eq!(body["line_count"], 2);

    let (status, message) = post_raw(&stack, "/api/text-animations/preview", "Snow ☃".as_bytes());
    assert_eq!(status, 422, "{message}");
    assert!(message.contains("U+2603"), "{message}");

    assert_eq!(redis_key_count(&stack), 0, "a preview stored something");
}
