//! The only Redis commands the component sends: the rate-limit counter, and one `MGET` of a
//! portrait order's record and strokes when the request names an order. Nothing is written except
//! the counter.

use anyhow::Context;
use rate_limit::{CountError, Decision, KeySecret, RateLimit};
use spin_sdk::redis::{RedisParameter, RedisResult};
use store::{Keyring, OrderKeys, OrderRecord, OrderToken};
use strokes::StrokeSet;

use crate::error::ServeError;

/// The Redis commands this component needs, so tests can run them against a recording fake.
pub trait RedisCommands {
    /// Runs one command, as Spin's `Connection::execute` does: the reply flattened into a list.
    fn execute(&self, command: &str, arguments: &[RedisParameter]) -> Result<Vec<RedisResult>, String>;
}

impl RedisCommands for spin_sdk::redis::Connection {
    fn execute(&self, command: &str, arguments: &[RedisParameter]) -> Result<Vec<RedisResult>, String> {
        spin_sdk::redis::Connection::execute(self, command, arguments).map_err(|error| error.to_string())
    }
}

fn text(value: &str) -> RedisParameter {
    RedisParameter::Binary(value.as_bytes().to_vec())
}

fn run<R: RedisCommands>(
    redis: &R,
    command: &str,
    arguments: &[String],
) -> Result<Vec<RedisResult>, ServeError> {
    let arguments: Vec<RedisParameter> = arguments.iter().map(|argument| text(argument)).collect();
    redis.execute(command, &arguments).map_err(ServeError::StorageUnavailable)
}

/// Counts this request against the client's budget: `INCR`, then `EXPIRE … NX`.
pub fn count_request<R: RedisCommands>(
    redis: &R,
    limit: &RateLimit,
    secret: &KeySecret,
    client_addr: &str,
) -> Result<(), ServeError> {
    let decision = limit
        .count_request(secret, client_addr, |command, arguments| {
            Ok::<_, ServeError>(match run(redis, command, arguments)?.as_slice() {
                [RedisResult::Int64(count)] => Some(*count),
                _ => None,
            })
        })
        .map_err(|error| match error {
            CountError::Command { error, .. } => error,
            CountError::UnexpectedReply => anyhow::anyhow!("unexpected INCR reply").into(),
        })?;
    match decision {
        Decision::Allowed { .. } => Ok(()),
        Decision::Limited { retry_after_secs } => Err(ServeError::RateLimited { retry_after_secs }),
    }
}

/// Reads the stroke set of the order of `token_text` with one `MGET` of its record and strokes.
///
/// A missing or expired record is [`ServeError::OrderNotFound`]; a record whose strokes are gone
/// (deleted after the video was rendered) is [`ServeError::StrokesDeleted`].
pub fn load_portrait<R: RedisCommands>(
    redis: &R,
    keyring: &Keyring,
    token_text: &str,
    now_ms: u64,
) -> Result<StrokeSet, ServeError> {
    let token = OrderToken::parse(token_text).map_err(|_| ServeError::InvalidOrderToken)?;
    let keys = OrderKeys::new(&token.order_id());
    let (record_key, strokes_key) = (keys.record(), keys.strokes());
    let reply = run(redis, "MGET", &[record_key.clone(), strokes_key.clone()])?;

    let (sealed_record, sealed_strokes) = match reply.as_slice() {
        [RedisResult::Nil, _] => return Err(ServeError::OrderNotFound),
        [RedisResult::Binary(record), RedisResult::Nil] => (record, None),
        [RedisResult::Binary(record), RedisResult::Binary(strokes)] => (record, Some(strokes)),
        other => return Err(anyhow::anyhow!("unexpected MGET reply: {other:?}").into()),
    };
    let record_json = keyring.open(&record_key, sealed_record).context("could not open the order record")?;
    let record = OrderRecord::from_json(&record_json).context("could not parse the order record")?;
    // Redis drops expired keys itself; this covers the instant between its check and ours.
    if now_ms >= record.expires_at_ms {
        return Err(ServeError::OrderNotFound);
    }
    let sealed_strokes = sealed_strokes.ok_or(ServeError::StrokesDeleted)?;
    let strokes_bytes = keyring.open(&strokes_key, sealed_strokes).context("could not open the strokes")?;
    let set = StrokeSet::from_bytes(&strokes_bytes).context("could not decode the strokes")?;
    Ok(set)
}
