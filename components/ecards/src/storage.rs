//! The Redis key schema of e-cards and the sealed values stored under it.
//!
//! Every value is sealed with the storage keyring, the key name as associated data. Keys that a
//! link token leads to are named by the token's hash (its [`store::OrderId`] form), so a copy of the
//! database contains no working link. Every key expires at the e-card's `expires_at_ms`, 30 days
//! after creation.
//!
//! - `ecard:{id}:record`: the [`EcardRecord`].
//! - `ecard:{id}:delivery:{recipient_id}`: the recipient's [`Delivery`].
//! - `ecard:{id}:hits:{recipient_id}`: a list of [`StoredHit`] values, one per pixel fetch.
//! - `ecard:pixel:{pixel_token_hash}` and `ecard:view:{view_token_hash}`: the [`LinkTarget`].
//! - `ecard:{id}:outbox:{recipient_id}`: a scheduled recipient's [`PendingLinks`], deleted once
//!   the send has its final outcome.
//! - `ecard:{id}:send:{recipient_id}`: the send marker, `sending:{dispatcher}` while one dispatcher
//!   holds the send (expiring after the lease) and `done` once the outcome is final.
//! - `ecard:{id}:dispatch`: one dispatcher's claim on the whole e-card, expiring after the lease.
//! - [`DUE_SET`]: the sorted set of scheduled e-card ids, scored by due time in milliseconds. It
//!   is shared by every e-card, so it has no expiry; dispatch and purge remove the members.

use anyhow::Context;
use serde::{Deserialize, Serialize};
use spin_sdk::redis::{RedisParameter, RedisResult};
use store::Keyring;

/// How long every e-card key lives: 30 days, in milliseconds.
pub const RETENTION_MS: u64 = 30 * 24 * 60 * 60 * 1000;

/// The sorted set of e-cards waiting to be sent: member the e-card id, score the due time in
/// milliseconds since the Unix epoch.
pub const DUE_SET: &str = "ecards:due";

/// The Redis commands the component runs, so tests can record them without a Spin host.
pub trait RedisCommands {
    /// Runs one command, as Spin's `Connection::execute` does.
    fn execute(&self, command: &str, arguments: &[RedisParameter]) -> Result<Vec<RedisResult>, String>;
}

impl RedisCommands for spin_sdk::redis::Connection {
    fn execute(&self, command: &str, arguments: &[RedisParameter]) -> Result<Vec<RedisResult>, String> {
        spin_sdk::redis::Connection::execute(self, command, arguments).map_err(|error| error.to_string())
    }
}

/// Key names of one e-card.
pub struct EcardKeys {
    id: String,
}

impl EcardKeys {
    /// Addresses the e-card with id `id` (32 hex characters).
    pub fn new(id: &str) -> Self {
        Self { id: id.to_owned() }
    }

    /// The sealed [`EcardRecord`].
    pub fn record(&self) -> String {
        format!("ecard:{}:record", self.id)
    }

    /// A recipient's sealed [`Delivery`].
    pub fn delivery(&self, recipient_id: &str) -> String {
        format!("ecard:{}:delivery:{recipient_id}", self.id)
    }

    /// A recipient's list of sealed [`StoredHit`] values.
    pub fn hits(&self, recipient_id: &str) -> String {
        format!("ecard:{}:hits:{recipient_id}", self.id)
    }

    /// Returns the key of a recipient's sealed [`PendingLinks`], kept until a scheduled or retried
    /// send is final.
    pub fn outbox(&self, recipient_id: &str) -> String {
        format!("ecard:{}:outbox:{recipient_id}", self.id)
    }

    /// Returns the key of a recipient's send marker (plain text, no personal data).
    pub fn send_marker(&self, recipient_id: &str) -> String {
        format!("ecard:{}:send:{recipient_id}", self.id)
    }

    /// Returns the key of a dispatcher's claim on the e-card (plain text, no personal data).
    pub fn dispatch_claim(&self) -> String {
        format!("ecard:{}:dispatch", self.id)
    }
}

/// The key a pixel token leads to.
pub fn pixel_key(token_hash: &str) -> String {
    format!("ecard:pixel:{token_hash}")
}

/// The key a "view in browser" token leads to.
pub fn view_key(token_hash: &str) -> String {
    format!("ecard:view:{token_hash}")
}

/// One recipient as stored: the validated person, its id, and the hashes of its link tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRecipient {
    /// Id within the e-card, such as `r0`.
    pub id: String,
    /// Hash of the pixel token.
    pub pixel_hash: String,
    /// Hash of the "view in browser" token.
    pub view_hash: String,
}

/// An e-card as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EcardRecord {
    /// The validated request.
    pub card: ecards::ValidEcard,
    /// Hash of the sender token that the stats and delete requests carry.
    pub sender_token_hash: String,
    /// The recipients' ids and link hashes, in the order of `card.recipients`.
    pub recipients: Vec<StoredRecipient>,
    /// Creation time, in milliseconds since the Unix epoch.
    pub created_at_ms: u64,
    /// Expiry of every key of the e-card, in milliseconds since the Unix epoch.
    pub expires_at_ms: u64,
}

impl EcardRecord {
    /// Lists every key of the e-card, for purging.
    pub fn all_keys(&self, id: &str) -> Vec<String> {
        let keys = EcardKeys::new(id);
        let mut names = vec![keys.record()];
        for recipient in &self.recipients {
            names.push(keys.delivery(&recipient.id));
            names.push(keys.hits(&recipient.id));
            names.push(pixel_key(&recipient.pixel_hash));
            names.push(view_key(&recipient.view_hash));
            names.push(keys.outbox(&recipient.id));
            names.push(keys.send_marker(&recipient.id));
        }
        names.push(keys.dispatch_claim());
        names
    }
}

/// A recipient's delivery state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// `pending` (send now, in progress), `scheduled`, `retrying`, `delivered` or `failed`.
    pub state: String,
    /// The provider's reason for the last failure; it may quote the address, so it is never logged.
    pub reason: Option<String>,
    /// Send attempts made.
    pub attempts: u32,
    /// Time of the last change, in milliseconds since the Unix epoch.
    pub updated_at_ms: u64,
    /// For a scheduled send, the requested send time in milliseconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_at_ms: Option<u64>,
    /// For a `retrying` send, when the next attempt is due, in milliseconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at_ms: Option<u64>,
}

impl Delivery {
    /// Reports whether the send has its final outcome.
    pub fn is_final(&self) -> bool {
        matches!(self.state.as_str(), "delivered" | "failed")
    }
}

/// The link tokens of a scheduled recipient, kept sealed until the mail is built at send time.
/// They are the only copy of working links in Redis, which is why the key is deleted as soon as
/// the send has its final outcome.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingLinks {
    /// The pixel token text.
    pub pixel_token: String,
    /// The "view in browser" token text.
    pub view_token: String,
}

/// What a pixel or view token leads to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkTarget {
    /// The e-card id.
    pub ecard_id: String,
    /// The recipient id.
    pub recipient_id: String,
    /// When the mail was handed to the provider, or the creation time until then.
    pub sent_at_ms: u64,
    /// Expiry of the e-card's keys.
    pub expires_at_ms: u64,
}

/// One recorded pixel fetch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredHit {
    /// Time and classification.
    pub hit: ecards::Hit,
    /// The client address from `spin-client-addr`; kept only inside this sealed, expiring value.
    pub ip: Option<String>,
}

/// Wraps text as a binary Redis argument.
pub fn bytes(text: &str) -> RedisParameter {
    RedisParameter::Binary(text.as_bytes().to_vec())
}

/// Seals `value` as JSON and runs `SET key sealed PXAT expires_at_ms`.
pub fn set_sealed<T: Serialize>(
    redis: &impl RedisCommands,
    keyring: &Keyring,
    key: &str,
    value: &T,
    expires_at_ms: u64,
) -> anyhow::Result<()> {
    let json = serde_json::to_vec(value).context("could not encode a stored value")?;
    let sealed = keyring.seal(key, &json).with_context(|| format!("could not seal {key}"))?;
    let expires_at = i64::try_from(expires_at_ms).context("expiry time does not fit in i64")?;
    let arguments =
        [bytes(key), RedisParameter::Binary(sealed), bytes("PXAT"), RedisParameter::Int64(expires_at)];
    redis.execute("SET", &arguments).map_err(|error| anyhow::anyhow!("SET {key} failed: {error}"))?;
    Ok(())
}

/// Reads and opens a sealed JSON value; `None` when the key does not exist.
pub fn get_sealed<T: for<'de> Deserialize<'de>>(
    redis: &impl RedisCommands,
    keyring: &Keyring,
    key: &str,
) -> anyhow::Result<Option<T>> {
    let reply =
        redis.execute("GET", &[bytes(key)]).map_err(|error| anyhow::anyhow!("GET {key} failed: {error}"))?;
    match reply.as_slice() {
        [RedisResult::Nil] | [] => Ok(None),
        [RedisResult::Binary(sealed)] => {
            let json = keyring.open(key, sealed).with_context(|| format!("could not open {key}"))?;
            Ok(Some(serde_json::from_slice(&json).with_context(|| format!("could not parse {key}"))?))
        }
        other => anyhow::bail!("unexpected GET reply for {key}: {other:?}"),
    }
}

/// Redis script that appends `ARGV[1]` to the list `KEYS[1]` and sets its expiry to `ARGV[2]`
/// (Unix milliseconds).
const PUSH_HIT_SCRIPT: &str =
    "redis.call('RPUSH', KEYS[1], ARGV[1]) return redis.call('PEXPIREAT', KEYS[1], ARGV[2])";

/// Appends a sealed hit to a recipient's list and sets the list's expiry.
///
/// Both happen in one script: one round trip for the busiest write of the component, and no list
/// can be left without its expiry by a failure between two commands.
pub fn push_hit(
    redis: &impl RedisCommands,
    keyring: &Keyring,
    key: &str,
    hit: &StoredHit,
    expires_at_ms: u64,
) -> anyhow::Result<()> {
    let json = serde_json::to_vec(hit).context("could not encode a hit")?;
    let sealed = keyring.seal(key, &json).with_context(|| format!("could not seal {key}"))?;
    let expires_at = i64::try_from(expires_at_ms).context("expiry time does not fit in i64")?;
    let arguments = [
        bytes(PUSH_HIT_SCRIPT),
        RedisParameter::Int64(1),
        bytes(key),
        RedisParameter::Binary(sealed),
        RedisParameter::Int64(expires_at),
    ];
    redis
        .execute("EVAL", &arguments)
        .map_err(|error| anyhow::anyhow!("RPUSH and PEXPIREAT of {key} failed: {error}"))?;
    Ok(())
}

/// Reads and opens every hit of a recipient. Values that fail to open are skipped and counted.
pub fn read_hits(redis: &impl RedisCommands, keyring: &Keyring, key: &str) -> anyhow::Result<Vec<StoredHit>> {
    let reply = redis
        .execute("LRANGE", &[bytes(key), RedisParameter::Int64(0), RedisParameter::Int64(-1)])
        .map_err(|error| anyhow::anyhow!("LRANGE {key} failed: {error}"))?;
    let mut hits = Vec::with_capacity(reply.len());
    let mut unreadable = 0usize;
    for value in reply {
        let parsed = match value {
            RedisResult::Binary(sealed) => keyring
                .open(key, &sealed)
                .ok()
                .and_then(|json| serde_json::from_slice::<StoredHit>(&json).ok()),
            _ => None,
        };
        match parsed {
            Some(hit) => hits.push(hit),
            None => unreadable += 1,
        }
    }
    if unreadable > 0 {
        eprintln!("ecards: skipped {unreadable} unreadable hits in {key}");
    }
    Ok(hits)
}

/// Deletes keys in one `DEL`.
pub fn delete_keys(redis: &impl RedisCommands, keys: &[String]) -> anyhow::Result<()> {
    let arguments: Vec<RedisParameter> = keys.iter().map(|key| bytes(key)).collect();
    redis.execute("DEL", &arguments).map_err(|error| anyhow::anyhow!("DEL failed: {error}"))?;
    Ok(())
}

/// Runs `SET key value NX PX lease_ms` and reports whether this call set the key.
pub fn set_if_absent(
    redis: &impl RedisCommands,
    key: &str,
    value: &str,
    lease_ms: u64,
) -> anyhow::Result<bool> {
    let lease = i64::try_from(lease_ms).context("lease does not fit in i64")?;
    let reply = redis
        .execute("SET", &[bytes(key), bytes(value), bytes("NX"), bytes("PX"), RedisParameter::Int64(lease)])
        .map_err(|error| anyhow::anyhow!("SET {key} NX failed: {error}"))?;
    Ok(matches!(reply.as_slice(), [RedisResult::Status(status)] if status == "OK"))
}

/// Runs `SET key value PXAT expires_at_ms`, for plain-text markers.
pub fn set_plain(
    redis: &impl RedisCommands,
    key: &str,
    value: &str,
    expires_at_ms: u64,
) -> anyhow::Result<()> {
    let expires_at = i64::try_from(expires_at_ms).context("expiry time does not fit in i64")?;
    redis
        .execute("SET", &[bytes(key), bytes(value), bytes("PXAT"), RedisParameter::Int64(expires_at)])
        .map_err(|error| anyhow::anyhow!("SET {key} failed: {error}"))?;
    Ok(())
}

/// Adds or moves an e-card in [`DUE_SET`] to `due_at_ms`.
pub fn schedule(redis: &impl RedisCommands, id: &str, due_at_ms: u64) -> anyhow::Result<()> {
    let score = i64::try_from(due_at_ms).context("due time does not fit in i64")?;
    redis
        .execute("ZADD", &[bytes(DUE_SET), RedisParameter::Int64(score), bytes(id)])
        .map_err(|error| anyhow::anyhow!("ZADD {DUE_SET} failed: {error}"))?;
    Ok(())
}

/// Removes an e-card from [`DUE_SET`].
pub fn unschedule(redis: &impl RedisCommands, id: &str) -> anyhow::Result<()> {
    redis
        .execute("ZREM", &[bytes(DUE_SET), bytes(id)])
        .map_err(|error| anyhow::anyhow!("ZREM {DUE_SET} failed: {error}"))?;
    Ok(())
}

/// Returns up to `limit` e-card ids of [`DUE_SET`] due at or before `now_ms`, earliest first.
pub fn due_ids(redis: &impl RedisCommands, now_ms: u64, limit: usize) -> anyhow::Result<Vec<String>> {
    let now = i64::try_from(now_ms).context("time does not fit in i64")?;
    let limit = i64::try_from(limit).context("limit does not fit in i64")?;
    let reply = redis
        .execute(
            "ZRANGEBYSCORE",
            &[
                bytes(DUE_SET),
                bytes("-inf"),
                RedisParameter::Int64(now),
                bytes("LIMIT"),
                RedisParameter::Int64(0),
                RedisParameter::Int64(limit),
            ],
        )
        .map_err(|error| anyhow::anyhow!("ZRANGEBYSCORE {DUE_SET} failed: {error}"))?;
    reply
        .into_iter()
        .map(|value| match value {
            RedisResult::Binary(id) => String::from_utf8(id).context("e-card id in the due set is not UTF-8"),
            other => anyhow::bail!("unexpected ZRANGEBYSCORE reply: {other:?}"),
        })
        .collect()
}
