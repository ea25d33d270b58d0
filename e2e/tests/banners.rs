//! The banners component end to end: devhost serving spin.toml with the built components, a real
//! redis-server, and real HTTP. Checks the images, the error replies, the rate limit, and that
//! Redis receives only the rate-limit commands, plus one read when a portrait order is named.

use std::collections::BTreeMap;
use std::thread;
use std::time::{Duration, Instant};

use e2e::{Devhost, RedisServer, TEST_STORAGE_KEY, start_workers};
use serde_json::{Value, json};

const ASTRONAUT: &[u8] = include_bytes!("../../assets/samples/astronaut.png");
/// Upload options for a short, small portrait video, so its render takes a few seconds.
const QUICK: &str =
    "style=pen&size=720x720&duration=5&background=%23ffffff&sketch=%23102030&age_confirmed=true";
const ACCENT: [u8; 3] = [0xc2, 0x41, 0x0c];

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

/// Redis and a devhost whose banners budget is `requests_per_minute`.
struct Site {
    http: ureq::Agent,
    devhost: Devhost,
    redis: RedisServer,
}

impl Site {
    fn start(requests_per_minute: u32) -> Self {
        let redis = RedisServer::start();
        let devhost = Devhost::start(&[
            ("redis_url", redis.url()),
            ("redis_host", format!("127.0.0.1:{}", redis.port)),
            ("storage_key", TEST_STORAGE_KEY.to_owned()),
            ("banners_requests_per_minute", requests_per_minute.to_string()),
        ]);
        let http = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        Self { http, devhost, redis }
    }

    fn post(&self, path: &str, body: &[u8]) -> Reply {
        let url = format!("{}{}", self.devhost.base_url, path);
        let response = self.http.post(url).header("content-type", "application/json").send(body);
        let mut response = response.expect("HTTP request completes");
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| (name.as_str().to_owned(), value.to_str().unwrap_or_default().to_owned()))
            .collect();
        let body =
            response.body_mut().with_config().limit(64 * 1024 * 1024).read_to_vec().expect("body reads");
        Reply { status, headers, body }
    }

    fn banner(&self, path: &str, body: &Value) -> Reply {
        self.post(path, body.to_string().as_bytes())
    }

    /// Returns the calls per command since the last reset, leaving out the test's own INFO and CONFIG.
    fn command_counts(&self) -> BTreeMap<String, u64> {
        let info: String =
            redis::cmd("INFO").arg("commandstats").query(&mut self.redis.connection()).unwrap();
        info.lines()
            .filter_map(|line| line.strip_prefix("cmdstat_"))
            .filter_map(|line| {
                let (name, stats) = line.split_once(':')?;
                let calls = stats.split(',').find_map(|pair| pair.strip_prefix("calls="))?;
                Some((name.to_owned(), calls.parse().ok()?))
            })
            .filter(|(name, _)| {
                // The test's own commands: INFO, CONFIG RESETSTAT, and the client's handshake.
                let command = name.split('|').next().unwrap_or_default();
                !matches!(command, "info" | "config" | "ping" | "hello" | "client")
            })
            .collect()
    }

    fn reset_command_counts(&self) {
        let _: () = redis::cmd("CONFIG").arg("RESETSTAT").query(&mut self.redis.connection()).unwrap();
    }

    fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut self.redis.connection()).unwrap();
        keys.sort();
        keys
    }
}

fn request() -> Value {
    json!({
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "tagline": "Poetical science",
        "layout": "classic",
        "background_color": "#ffffff",
        "text_color": "#1d2a3a",
        "accent_color": "#c2410c",
        "size": "social-share",
    })
}

fn with(mut value: Value, field: &str, field_value: Value) -> Value {
    value[field] = field_value;
    value
}

fn decode(png: &[u8]) -> image::RgbImage {
    image::load_from_memory_with_format(png, image::ImageFormat::Png).expect("a PNG").to_rgb8()
}

/// Counts accent-coloured pixels in the right half, where the classic layout draws the portrait.
fn accent_pixels_on_right(png: &[u8]) -> usize {
    let image = decode(png);
    image
        .enumerate_pixels()
        .filter(|(x, _, pixel)| {
            *x > image.width() / 2 && pixel.0.iter().zip(ACCENT).all(|(a, b)| a.abs_diff(b) < 12)
        })
        .count()
}

#[test]
fn preview_and_export_store_nothing() {
    let site = Site::start(1000);
    site.reset_command_counts();

    // Preview: a PNG with the long side at 600 px.
    let preview = site.banner("/api/banners/preview", &request());
    assert_eq!(preview.status, 200, "{}", String::from_utf8_lossy(&preview.body));
    assert_eq!(preview.header("content-type"), Some("image/png"));
    assert_eq!(preview.header("content-disposition"), None);
    assert_eq!(decode(&preview.body).dimensions(), (600, 314));

    // Export PNG at full size for each preset, and SVG.
    let presets = [
        ("leaderboard", 728, 90),
        ("medium-rectangle", 300, 250),
        ("x-header", 1500, 500),
        ("email-signature", 600, 200),
    ];
    for (preset, width, height) in presets {
        let body = with(with(request(), "size", preset.into()), "format", "png".into());
        let export = site.banner("/api/banners/export", &body);
        assert_eq!(export.status, 200, "{preset}");
        assert_eq!(export.header("content-type"), Some("image/png"));
        let disposition = format!("attachment; filename=\"banner-{width}x{height}.png\"");
        assert_eq!(export.header("content-disposition"), Some(disposition.as_str()));
        assert_eq!(decode(&export.body).dimensions(), (width, height), "{preset}");
    }
    let body = with(with(request(), "size", "linkedin-banner".into()), "format", "svg".into());
    let svg = site.banner("/api/banners/export", &body);
    assert_eq!(svg.status, 200);
    assert_eq!(svg.header("content-type"), Some("image/svg+xml"));
    assert_eq!(svg.header("content-disposition"), Some("attachment; filename=\"banner-1584x396.svg\""));
    let svg_text = String::from_utf8(svg.body).unwrap();
    assert!(svg_text.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1584\" height=\"396\""));
    assert!(svg_text.contains("viewBox=\"0 0 1584 396\""));
    assert!(!svg_text.contains("<text"), "text is outlined");

    // Redis: only the counter's two commands, once per request, and only the counter key, expiring.
    let requests = 1 + presets.len() as u64 + 1;
    let counts = site.command_counts();
    let expected = BTreeMap::from([("expire".to_owned(), requests), ("incr".to_owned(), requests)]);
    assert_eq!(counts, expected);
    let keys = site.keys();
    assert_eq!(keys.len(), 1, "only the rate-limit counter: {keys:?}");
    assert!(keys[0].starts_with("ratelimit:banners:"), "{keys:?}");
    assert!(!keys[0].contains("127.0.0.1"), "the key holds a hash, not the address");
    let ttl: i64 = redis::cmd("TTL").arg(&keys[0]).query(&mut site.redis.connection()).unwrap();
    assert!((1..=60).contains(&ttl), "the counter expires within the minute: {ttl}");
}

#[test]
fn bad_input_names_field() {
    let site = Site::start(1000);
    let cases = [
        (with(request(), "name", "".into()), "name"),
        (with(request(), "name", "n".repeat(81).into()), "name"),
        (with(request(), "name", "Ada 中文".into()), "name"),
        (with(request(), "email", "ada-at-example.com".into()), "email"),
        (with(request(), "tagline", "t".repeat(121).into()), "tagline"),
        (with(request(), "layout", "zigzag".into()), "layout"),
        (with(request(), "background_color", "white".into()), "background_color"),
        (with(request(), "text_color", "#12".into()), "text_color"),
        (with(request(), "accent_color", "#gggggg".into()), "accent_color"),
        (with(request(), "size", "poster".into()), "size"),
        (
            with(with(with(request(), "size", "custom".into()), "width", 5000.into()), "height", 200.into()),
            "width",
        ),
        (
            with(with(with(request(), "size", "custom".into()), "width", 400.into()), "height", 10.into()),
            "height",
        ),
        (with(request(), "format", "jpeg".into()), "format"),
        (with(request(), "order_token", "not-a-token".into()), "order_token"),
    ];
    for (body, field) in cases {
        for path in ["/api/banners/preview", "/api/banners/export"] {
            let reply = site.banner(path, &body);
            assert_eq!(reply.status, 400, "{path} {field}: {}", String::from_utf8_lossy(&reply.body));
            let json = reply.json();
            assert_eq!(json["field"], field, "{json}");
            assert!(json["error"].as_str().unwrap().starts_with(field), "{json}");
        }
    }

    // The missing letters are named in the message.
    let reply = site.banner("/api/banners/preview", &with(request(), "name", "Ada 中".into()));
    assert!(reply.json()["error"].as_str().unwrap().contains("U+4E2D"), "{}", reply.json());

    // Not JSON, too large, and the wrong method.
    let reply = site.post("/api/banners/preview", b"name=Ada");
    assert_eq!(reply.status, 400);
    assert!(reply.json()["error"].as_str().unwrap().contains("JSON"));
    let reply = site.post("/api/banners/preview", &vec![b' '; 20 * 1024]);
    assert_eq!(reply.status, 413);
    let url = format!("{}/api/banners/preview", site.devhost.base_url);
    let reply = site.http.get(url).call().unwrap();
    assert_eq!(reply.status().as_u16(), 405);
}

#[test]
fn rate_limit_returns_429() {
    let site = Site::start(3);
    let body = with(request(), "size", "email-signature".into());
    for attempt in 0..3 {
        let reply = site.banner("/api/banners/preview", &body);
        assert_eq!(reply.status, 200, "request {attempt} is within the budget");
    }
    let limited = site.banner("/api/banners/export", &body);
    assert_eq!(limited.status, 429);
    assert_eq!(limited.header("retry-after"), Some("60"));
    assert!(limited.json()["error"].as_str().unwrap().contains("60 seconds"), "{}", limited.json());
}

#[test]
fn order_token_draws_portrait_strokes() {
    let site = Site::start(1000);

    // A portrait order, created as the Portrait Studio does.
    let url = format!("{}/api/portraits?{QUICK}", site.devhost.base_url);
    let mut created = site.http.post(url).send(ASTRONAUT).expect("upload completes");
    assert_eq!(created.status().as_u16(), 201);
    let created: Value = serde_json::from_slice(&created.body_mut().read_to_vec().unwrap()).unwrap();
    let token = created["token"].as_str().unwrap().to_owned();

    // With the token the right half carries the strokes in the accent colour; without, it is empty.
    let export = |body: &Value| site.banner("/api/banners/export", body);
    let plain = export(&with(request(), "tagline", Value::Null));
    assert_eq!(plain.status, 200);
    site.reset_command_counts();
    let portrait =
        export(&with(with(request(), "tagline", Value::Null), "order_token", token.clone().into()));
    assert_eq!(portrait.status, 200, "{}", String::from_utf8_lossy(&portrait.body));
    assert_eq!(decode(&portrait.body).dimensions(), (1200, 628));
    assert_eq!(accent_pixels_on_right(&plain.body), 0);
    let stroke_pixels = accent_pixels_on_right(&portrait.body);
    assert!(stroke_pixels > 1000, "the strokes cover {stroke_pixels} pixels");
    let counts = site.command_counts();
    let expected = BTreeMap::from([("expire".to_owned(), 1), ("incr".to_owned(), 1), ("mget".to_owned(), 1)]);
    assert_eq!(counts, expected, "one read of the order, no writes");

    // Once the video is rendered the strokes are deleted, and the banner reply reports it.
    let _workers = start_workers(&site.redis.url(), 1);
    let status_url = format!("{}/api/orders/{token}", site.devhost.base_url);
    let started = Instant::now();
    loop {
        let mut response = site.http.get(&status_url).call().unwrap();
        let status: Value = serde_json::from_slice(&response.body_mut().read_to_vec().unwrap()).unwrap();
        if status["state"] == "ready" {
            break;
        }
        assert_ne!(status["state"], "failed", "{status}");
        assert!(started.elapsed() < Duration::from_secs(180), "the render did not finish: {status}");
        thread::sleep(Duration::from_millis(250));
    }
    let deleted = site.banner("/api/banners/preview", &with(request(), "order_token", token.into()));
    assert_eq!(deleted.status, 410);
    assert_eq!(deleted.json()["field"], "order_token");
    assert!(deleted.json()["error"].as_str().unwrap().contains("rendered"), "{}", deleted.json());

    // An unknown but well-formed token is not found.
    let unknown = store::OrderToken::generate().unwrap().as_text();
    let missing = site.banner("/api/banners/preview", &with(request(), "order_token", unknown.into()));
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["field"], "order_token");
}
