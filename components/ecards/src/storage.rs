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

use anyhow::Context;
use serde::{Deserialize, Serialize};
use spin_sdk::redis::{RedisParameter, RedisResult};
use store::Keyring;

/// How long every e-card key lives: 30 days, in milliseconds.
pub const RETENTION_MS: u64 = 30 * 24 * 60 * 60 * 1000;

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
        }
        names
    }
}

/// A recipient's delivery state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    /// The provider's reason for the last failure; it may quote the address, so it is never logged.
    pub reason: Option<String>,
    /// Send attempts made.
    pub attempts: u32,
    /// Time of the last change, in milliseconds since the Unix epoch.
    pub updated_at_ms: u64,
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
