//! Storing an order: the sealed stroke set, the sealed record and the render job in Redis, and the
//! `201 Created` response that links the order.
//!
//! The Redis commands go through [`RedisCommands`], implemented for Spin's Redis connection, so
//! tests record them without a Spin host.

use anyhow::Context;
use http_reply::Reply;
use serde_json::json;
use spin_sdk::redis::{RedisParameter, RedisResult};
use store::{Keyring, OrderKeys, OrderOptions, OrderRecord, OrderToken, QueueKeys};
use strokes::StrokeSet;

/// The reasons an order cannot be stored.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Redis could not be reached or failed a command.
    #[error("storage is unavailable: {0}")]
    Unavailable(String),

    /// Sealing or an expiry time failed: a configuration or programming error.
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

/// The Redis commands an order needs, so tests can record them without a Spin host.
pub trait RedisCommands {
    /// Runs one command, as Spin's `Connection::execute` does.
    fn execute(&self, command: &str, arguments: &[RedisParameter]) -> Result<Vec<RedisResult>, String>;
}

impl RedisCommands for spin_sdk::redis::Connection {
    fn execute(&self, command: &str, arguments: &[RedisParameter]) -> Result<Vec<RedisResult>, String> {
        spin_sdk::redis::Connection::execute(self, command, arguments).map_err(|error| error.to_string())
    }
}

/// An order converted to strokes and ready to store. The visitor's input is already dropped.
pub struct NewOrder {
    /// The secret in the order's URLs.
    pub token: OrderToken,
    /// The record to store, status queued.
    pub record: OrderRecord,
    /// The stroke set in its serialised form, for the render worker.
    pub strokes_bytes: Vec<u8>,
    /// The strokes as SVG, sent back as an instant preview.
    pub strokes_svg: String,
    /// Time the conversion to strokes took, in milliseconds, reported in `Server-Timing`.
    pub conversion_ms: f64,
}

impl NewOrder {
    /// Builds a queued order for `stroke_set`: a fresh token, the record created at `now_ms`, the
    /// serialised strokes and their SVG preview in the order's colours.
    pub fn new(
        options: OrderOptions,
        stroke_set: &StrokeSet,
        conversion_ms: f64,
        now_ms: u64,
    ) -> Result<Self, StoreError> {
        let token = OrderToken::generate().context("could not draw an order token")?;
        Ok(NewOrder {
            token,
            record: OrderRecord::new(options, now_ms),
            strokes_bytes: stroke_set.to_bytes(),
            strokes_svg: strokes::to_svg(stroke_set, options.background, options.sketch),
            conversion_ms,
        })
    }
}

/// Stores the order and queues its render job, every key expiring at the record's `expires_at_ms`.
///
/// The steps follow the storage protocol shared with the render worker: strokes, then record, then
/// `LPUSH` of the id, so a worker never takes a job whose data is missing. When a later step fails,
/// the keys already written are deleted (best effort) so a failed order leaves nothing behind.
pub fn store_order(
    redis: &impl RedisCommands,
    keyring: &Keyring,
    order: &NewOrder,
) -> Result<(), StoreError> {
    let id = order.token.order_id();
    let keys = OrderKeys::new(&id);
    let expires_at_ms =
        i64::try_from(order.record.expires_at_ms).context("expiry time does not fit in i64")?;

    // Seal both values before the first write, so a sealing failure stores nothing.
    let strokes_key = keys.strokes();
    let record_key = keys.record();
    let sealed_strokes =
        keyring.seal(&strokes_key, &order.strokes_bytes).context("could not seal the strokes")?;
    let sealed_record =
        keyring.seal(&record_key, &order.record.to_json()).context("could not seal the record")?;

    set_expiring_at(redis, &strokes_key, sealed_strokes, expires_at_ms)?;

    if let Err(error) = set_expiring_at(redis, &record_key, sealed_record, expires_at_ms) {
        delete_quietly(redis, &[&strokes_key]);
        return Err(error);
    }

    let push = [bytes(QueueKeys::PENDING), bytes(id.as_str())];
    if let Err(error) = redis.execute("LPUSH", &push) {
        delete_quietly(redis, &[&strokes_key, &record_key]);
        return Err(StoreError::Unavailable(error));
    }
    Ok(())
}

/// Builds the `201 Created` response for a stored order.
pub fn created_reply(order: &NewOrder) -> Reply {
    let token = order.token.as_text();
    let status_url = format!("/api/orders/{token}");
    let body = json!({
        "token": token,
        "order_url": format!("/orders/{token}"),
        "status_url": status_url,
        "video_url": format!("/api/orders/{token}/animation.mp4"),
        "expires_at": store::time::format_rfc3339_ms(order.record.expires_at_ms),
        "strokes_svg": order.strokes_svg,
    });
    let mut reply = Reply::json(201, &body);
    reply.set_header("location", status_url);
    reply.set_header("server-timing", format!("strokes;dur={:.1}", order.conversion_ms));
    reply
}

/// `SET key value PXAT expires_at_ms`.
fn set_expiring_at(
    redis: &impl RedisCommands,
    key: &str,
    value: Vec<u8>,
    expires_at_ms: i64,
) -> Result<(), StoreError> {
    let arguments =
        [bytes(key), RedisParameter::Binary(value), bytes("PXAT"), RedisParameter::Int64(expires_at_ms)];
    redis.execute("SET", &arguments).map(drop).map_err(StoreError::Unavailable)
}

/// Deletes keys after a failed write. Its own failure is logged: the keys then expire with the order.
fn delete_quietly(redis: &impl RedisCommands, keys: &[&str]) {
    let arguments: Vec<RedisParameter> = keys.iter().map(|key| bytes(key)).collect();
    if let Err(error) = redis.execute("DEL", &arguments) {
        eprintln!("could not delete the keys of a failed order; they expire with the order: {error}");
    }
}

fn bytes(text: &str) -> RedisParameter {
    RedisParameter::Binary(text.as_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use store::{OrderStatus, Plan};
    use strokes::Rgb;

    use super::*;

    const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    /// Records commands and fails the command numbered `fail_at` (0-based), if set.
    #[derive(Default)]
    struct RecordingRedis {
        commands: RefCell<Vec<(String, Vec<RedisParameter>)>>,
        fail_at: Option<usize>,
    }

    impl RedisCommands for RecordingRedis {
        fn execute(&self, command: &str, arguments: &[RedisParameter]) -> Result<Vec<RedisResult>, String> {
            let mut commands = self.commands.borrow_mut();
            commands.push((command.to_owned(), arguments.to_vec()));
            if self.fail_at == Some(commands.len() - 1) {
                return Err("connection refused".to_owned());
            }
            Ok(vec![RedisResult::Status("OK".to_owned())])
        }
    }

    impl RecordingRedis {
        fn command_names(&self) -> Vec<String> {
            self.commands.borrow().iter().map(|(name, _)| name.clone()).collect()
        }
    }

    fn text(parameter: &RedisParameter) -> String {
        match parameter {
            RedisParameter::Binary(bytes) => String::from_utf8_lossy(bytes).into_owned(),
            RedisParameter::Int64(number) => number.to_string(),
        }
    }

    fn options() -> OrderOptions {
        OrderOptions {
            style: animation::Style::Pen,
            width: 720,
            height: 720,
            duration_ms: 10_000,
            background: Rgb::WHITE,
            sketch: Rgb::BLACK,
            plan: Plan::Pro,
        }
    }

    fn sample_order() -> NewOrder {
        NewOrder {
            token: OrderToken::generate().unwrap(),
            record: OrderRecord::new(options(), 1_000),
            strokes_bytes: b"strokes".to_vec(),
            strokes_svg: "<svg/>".to_owned(),
            conversion_ms: 12.34,
        }
    }

    #[test]
    fn store_follows_protocol_order() {
        let redis = RecordingRedis::default();
        let keyring = Keyring::parse(KEY).unwrap();
        let order = sample_order();
        store_order(&redis, &keyring, &order).unwrap();

        let id = order.token.order_id();
        let keys = OrderKeys::new(&id);
        let commands = redis.commands.borrow();
        assert_eq!(redis.command_names(), ["SET", "SET", "LPUSH"]);

        let expiry = (1_000 + Plan::Pro.retention_ms()).to_string();
        let strokes_set: Vec<String> = commands[0].1.iter().map(text).collect();
        assert_eq!(strokes_set[0], keys.strokes());
        assert_eq!(&strokes_set[2..], ["PXAT", expiry.as_str()]);
        let record_set: Vec<String> = commands[1].1.iter().map(text).collect();
        assert_eq!(record_set[0], keys.record());
        assert_eq!(&record_set[2..], ["PXAT", expiry.as_str()]);
        let push: Vec<String> = commands[2].1.iter().map(text).collect();
        assert_eq!(push, [QueueKeys::PENDING, id.as_str()]);

        // Values are sealed under their own key names.
        let RedisParameter::Binary(sealed_record) = &commands[1].1[1] else {
            panic!("record value is binary")
        };
        let record = OrderRecord::from_json(&keyring.open(&keys.record(), sealed_record).unwrap()).unwrap();
        assert_eq!(record.status, OrderStatus::Queued);
        let RedisParameter::Binary(sealed_strokes) = &commands[0].1[1] else {
            panic!("strokes value is binary")
        };
        assert!(!sealed_strokes.windows(7).any(|window| window == b"strokes"));
        assert_eq!(keyring.open(&keys.strokes(), sealed_strokes).unwrap(), b"strokes");
    }

    #[test]
    fn failed_record_write_deletes_strokes() {
        let redis = RecordingRedis { fail_at: Some(1), ..Default::default() };
        let order = sample_order();
        let error = store_order(&redis, &Keyring::parse(KEY).unwrap(), &order).unwrap_err();
        assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
        assert_eq!(redis.command_names(), ["SET", "SET", "DEL"]);
        let deleted: Vec<String> = redis.commands.borrow()[2].1.iter().map(text).collect();
        assert_eq!(deleted, [OrderKeys::new(&order.token.order_id()).strokes()]);
    }

    #[test]
    fn failed_push_deletes_both_keys() {
        let redis = RecordingRedis { fail_at: Some(2), ..Default::default() };
        let error = store_order(&redis, &Keyring::parse(KEY).unwrap(), &sample_order()).unwrap_err();
        assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
        assert_eq!(redis.command_names(), ["SET", "SET", "LPUSH", "DEL"]);
        assert_eq!(redis.commands.borrow()[3].1.len(), 2);
    }

    #[test]
    fn failed_first_write_stops() {
        let redis = RecordingRedis { fail_at: Some(0), ..Default::default() };
        let error = store_order(&redis, &Keyring::parse(KEY).unwrap(), &sample_order()).unwrap_err();
        assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
        assert_eq!(redis.command_names(), ["SET"]);
    }

    #[test]
    fn created_reply_links_order() {
        let order = sample_order();
        let reply = created_reply(&order);
        assert_eq!(reply.status, 201);
        let token = order.token.as_text();
        assert_eq!(reply.header("location"), Some(format!("/api/orders/{token}").as_str()));
        assert_eq!(reply.header("cache-control"), Some("no-store"));
        assert_eq!(reply.header("server-timing"), Some("strokes;dur=12.3"));
        let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(body["token"], token.as_str());
        assert_eq!(body["order_url"], format!("/orders/{token}"));
        assert_eq!(body["status_url"], format!("/api/orders/{token}"));
        assert_eq!(body["video_url"], format!("/api/orders/{token}/animation.mp4"));
        assert_eq!(body["expires_at"], "1970-01-31T00:00:01Z");
        assert_eq!(body["strokes_svg"], "<svg/>");
    }
}
