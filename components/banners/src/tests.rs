//! Handler tests against an in-memory Redis that records every command.

use std::cell::RefCell;
use std::collections::HashMap;

use spin_sdk::redis::{RedisParameter, RedisResult};
use store::{Keyring, OrderKeys, OrderOptions, OrderRecord, OrderToken, Plan};
use strokes::{Pass, Point, Rgb, Stroke, StrokeSet};

use super::*;

const KEY: &str = "1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const CLIENT: &str = "127.0.0.1:50000";
const NOW_MS: u64 = 1_000_000;

/// A Redis stand-in for INCR, EXPIRE and MGET that records each command name and its arguments.
#[derive(Default)]
struct FakeRedis {
    values: RefCell<HashMap<String, Vec<u8>>>,
    counters: RefCell<HashMap<String, i64>>,
    commands: RefCell<Vec<(String, Vec<String>)>>,
}

impl RedisCommands for FakeRedis {
    fn execute(&self, command: &str, arguments: &[RedisParameter]) -> Result<Vec<RedisResult>, String> {
        let arguments: Vec<String> = arguments
            .iter()
            .map(|argument| match argument {
                RedisParameter::Binary(bytes) => String::from_utf8_lossy(bytes).into_owned(),
                RedisParameter::Int64(number) => number.to_string(),
            })
            .collect();
        self.commands.borrow_mut().push((command.to_owned(), arguments.clone()));
        match command {
            "INCR" => {
                let mut counters = self.counters.borrow_mut();
                let count = counters.entry(arguments[0].clone()).or_insert(0);
                *count += 1;
                Ok(vec![RedisResult::Int64(*count)])
            }
            "EXPIRE" => Ok(vec![RedisResult::Int64(1)]),
            "MGET" => Ok(arguments
                .iter()
                .map(|key| match self.values.borrow().get(key) {
                    Some(value) => RedisResult::Binary(value.clone()),
                    None => RedisResult::Nil,
                })
                .collect()),
            other => Err(format!("unexpected command {other}")),
        }
    }
}

impl FakeRedis {
    fn command_names(&self) -> Vec<String> {
        self.commands.borrow().iter().map(|(name, _)| name.clone()).collect()
    }
}

fn config(requests_per_minute: &str) -> Config {
    Config::from_values("redis://127.0.0.1:6379".into(), KEY, Some(requests_per_minute)).unwrap()
}

fn request(extra: serde_json::Value) -> Vec<u8> {
    let mut body = serde_json::json!({
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "layout": "classic",
        "background_color": "#ffffff",
        "text_color": "#222222",
        "accent_color": "#0066cc",
        "size": "social-share",
    });
    for (name, value) in extra.as_object().unwrap() {
        body[name] = value.clone();
    }
    body.to_string().into_bytes()
}

fn png_size(bytes: &[u8]) -> (u32, u32) {
    let reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().unwrap();
    (reader.info().width, reader.info().height)
}

/// Stores a sealed order as the portrait component does, optionally without its strokes.
fn store_order(redis: &FakeRedis, with_strokes: bool, created_at_ms: u64) -> OrderToken {
    let keyring = Keyring::parse(KEY).unwrap();
    let token = OrderToken::generate().unwrap();
    let keys = OrderKeys::new(&token.order_id());
    let options = OrderOptions {
        style: animation::Style::Pen,
        width: 400,
        height: 400,
        duration_ms: 10_000,
        background: Rgb::WHITE,
        sketch: Rgb::BLACK,
        plan: Plan::Single,
    };
    let record = OrderRecord::new(options, created_at_ms);
    let strokes = StrokeSet {
        width: 400,
        height: 400,
        strokes: vec![Stroke {
            pass: Pass::Contour,
            points: vec![
                Point { x: 20.0, y: 20.0 },
                Point { x: 380.0, y: 380.0 },
                Point { x: 20.0, y: 380.0 },
            ],
        }],
    };
    let mut values = redis.values.borrow_mut();
    values.insert(keys.record(), keyring.seal(&keys.record(), &record.to_json()).unwrap());
    if with_strokes {
        values.insert(keys.strokes(), keyring.seal(&keys.strokes(), &strokes.to_bytes()).unwrap());
    }
    token
}

#[test]
fn routes_and_methods() {
    assert_eq!(route("POST", "/api/banners/preview").unwrap(), Action::Preview);
    assert_eq!(route("POST", "/api/banners/export").unwrap(), Action::Export);
    let reply = route("OTHER", "/api/banners/preview").unwrap_err();
    assert_eq!(reply.status, 405);
    assert_eq!(reply.header("allow"), Some("POST"));
    assert_eq!(route("POST", "/api/banners/other").unwrap_err().status, 404);
}

#[test]
fn preview_is_small_png_and_stores_nothing() {
    let redis = FakeRedis::default();
    let reply =
        handle(&redis, &config("10"), Action::Preview, CLIENT, &request(serde_json::json!({})), NOW_MS)
            .unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("image/png"));
    assert_eq!(reply.header("content-disposition"), None);
    assert_eq!(png_size(&reply.body), (600, 314), "1200×628 scaled to a 600 px long side");
    assert_eq!(redis.command_names(), ["INCR", "EXPIRE"]);
    let expire = &redis.commands.borrow()[1].1;
    assert_eq!(&expire[1..], ["60", "NX"]);
}

#[test]
fn export_is_attachment_in_chosen_format() {
    let redis = FakeRedis::default();
    let svg = request(serde_json::json!({ "format": "svg", "size": "leaderboard" }));
    let reply = handle(&redis, &config("10"), Action::Export, CLIENT, &svg, NOW_MS).unwrap();
    assert_eq!(reply.header("content-type"), Some("image/svg+xml"));
    assert_eq!(reply.header("content-disposition"), Some("attachment; filename=\"banner-728x90.svg\""));
    assert!(String::from_utf8(reply.body).unwrap().starts_with("<svg "));

    let png = request(serde_json::json!({ "format": "png" }));
    let reply = handle(&redis, &config("10"), Action::Export, CLIENT, &png, NOW_MS).unwrap();
    assert_eq!(reply.header("content-type"), Some("image/png"));
    assert_eq!(reply.header("content-disposition"), Some("attachment; filename=\"banner-1200x628.png\""));
    assert_eq!(png_size(&reply.body), (1200, 628));
}

#[test]
fn rate_limit_rejects_after_budget() {
    let redis = FakeRedis::default();
    let config = config("3");
    let body = request(serde_json::json!({ "size": "email-signature" }));
    for _ in 0..3 {
        assert!(handle(&redis, &config, Action::Preview, CLIENT, &body, NOW_MS).is_ok());
    }
    let error = handle(&redis, &config, Action::Preview, "127.0.0.1:50001", &body, NOW_MS).unwrap_err();
    assert_eq!(error.status(), 429);
    assert_eq!(error.to_reply().header("retry-after"), Some("60"));
    assert!(handle(&redis, &config, Action::Preview, "127.0.0.2:50000", &body, NOW_MS).is_ok(), "another IP");
}

#[test]
fn invalid_field_is_400_and_named() {
    let redis = FakeRedis::default();
    let body = request(serde_json::json!({ "accent_color": "blue" }));
    let error = handle(&redis, &config("10"), Action::Preview, CLIENT, &body, NOW_MS).unwrap_err();
    assert_eq!(error.status(), 400);
    assert_eq!(error.field(), Some("accent_color"));
}

#[test]
fn order_token_draws_portrait() {
    let redis = FakeRedis::default();
    let token = store_order(&redis, true, NOW_MS - 1_000);
    let plain =
        handle(&redis, &config("10"), Action::Export, CLIENT, &request(serde_json::json!({})), NOW_MS)
            .unwrap();
    let body = request(serde_json::json!({ "order_token": token.as_text() }));
    let with_portrait = handle(&redis, &config("10"), Action::Export, CLIENT, &body, NOW_MS).unwrap();
    assert_eq!(with_portrait.status, 200);
    assert_ne!(with_portrait.body, plain.body, "the strokes change the image");
    assert_eq!(redis.command_names(), ["INCR", "EXPIRE", "INCR", "EXPIRE", "MGET"]);
}

#[test]
fn order_problems_name_order_token() {
    let redis = FakeRedis::default();
    let expired = store_order(&redis, true, NOW_MS - Plan::Single.retention_ms() - 1);
    let rendered = store_order(&redis, false, NOW_MS - 1_000);
    let unknown = OrderToken::generate().unwrap();
    let cases = [
        ("not a token".to_owned(), 400),
        (unknown.as_text(), 404),
        (expired.as_text(), 404),
        (rendered.as_text(), 410),
    ];
    for (token, status) in cases {
        let body = request(serde_json::json!({ "order_token": token }));
        let error = handle(&redis, &config("100"), Action::Preview, CLIENT, &body, NOW_MS).unwrap_err();
        assert_eq!(error.status(), status, "{error}");
        assert_eq!(error.field(), Some("order_token"));
    }
}

#[test]
fn config_checks_rate_variable() {
    let config = Config::from_values(String::new(), KEY, None).unwrap();
    assert_eq!(config.rate_limit.max_requests, DEFAULT_REQUESTS_PER_MINUTE);
    assert_eq!(config.rate_limit.window_secs, 60);
    for bad in ["0", "-3", "many"] {
        let error = Config::from_values(String::new(), KEY, Some(bad)).unwrap_err();
        assert!(format!("{error:#}").contains("banners_requests_per_minute"), "{bad}: {error:#}");
    }
}
