//! Reading and deleting one order's keys, through any [`RedisCommands`] implementation.

use anyhow::Context;
use spin_sdk::redis::{RedisParameter, RedisResult};
use store::{Keyring, OrderKeys, OrderRecord, OrderToken};

use crate::error::OrderError;

/// The Redis commands the orders API needs, so tests can run them against an in-memory fake.
pub trait RedisCommands {
    /// Runs one command, as Spin's `Connection::execute` does: the reply flattened into a list.
    fn execute(&self, command: &str, arguments: &[RedisParameter]) -> Result<Vec<RedisResult>, String>;
}

impl RedisCommands for spin_sdk::redis::Connection {
    fn execute(&self, command: &str, arguments: &[RedisParameter]) -> Result<Vec<RedisResult>, String> {
        spin_sdk::redis::Connection::execute(self, command, arguments).map_err(|error| error.to_string())
    }
}

/// One order's keys, with the Redis connection and the keyring that opens its values.
pub struct OrderStore<'a, R> {
    redis: &'a R,
    keyring: &'a Keyring,
    /// The order's id as text: what the render queue holds.
    pub id: String,
    /// The order's key names.
    pub keys: OrderKeys,
}

impl<'a, R: RedisCommands> OrderStore<'a, R> {
    /// Addresses the order of `token`.
    pub fn new(redis: &'a R, keyring: &'a Keyring, token: &OrderToken) -> Self {
        let id = token.order_id();
        Self { redis, keyring, id: id.to_string(), keys: OrderKeys::new(&id) }
    }

    /// Runs a command, mapping a failure to [`OrderError::StorageUnavailable`].
    pub fn execute(
        &self,
        command: &str,
        arguments: &[RedisParameter],
    ) -> Result<Vec<RedisResult>, OrderError> {
        self.redis.execute(command, arguments).map_err(OrderError::StorageUnavailable)
    }

    /// Reads and opens one sealed value, `None` if the key does not exist.
    pub fn get_opened(&self, key: &str) -> Result<Option<Vec<u8>>, OrderError> {
        let reply = self.execute("GET", &[bytes(key)])?;
        match reply.as_slice() {
            [RedisResult::Nil] | [] => Ok(None),
            [RedisResult::Binary(sealed)] => {
                let plain =
                    self.keyring.open(key, sealed).with_context(|| format!("could not open {key}"))?;
                Ok(Some(plain))
            }
            other => Err(anyhow::anyhow!("unexpected GET reply for {key}: {other:?}").into()),
        }
    }

    /// Reads several sealed values in one `MGET`, failing with [`OrderError::NotFound`] if any is
    /// missing (the order expired or was deleted between the reads).
    pub fn mget_opened(&self, keys: &[String]) -> Result<Vec<Vec<u8>>, OrderError> {
        let arguments: Vec<RedisParameter> = keys.iter().map(|key| bytes(key)).collect();
        let reply = self.execute("MGET", &arguments)?;
        if reply.len() != keys.len() {
            return Err(anyhow::anyhow!("MGET of {} keys returned {} values", keys.len(), reply.len()).into());
        }
        keys.iter()
            .zip(reply)
            .map(|(key, value)| match value {
                RedisResult::Binary(sealed) => {
                    Ok(self.keyring.open(key, &sealed).with_context(|| format!("could not open {key}"))?)
                }
                RedisResult::Nil => Err(OrderError::NotFound),
                other => Err(anyhow::anyhow!("unexpected MGET value for {key}: {other:?}").into()),
            })
            .collect()
    }

    /// Reads the order record. A missing record means the order never existed, expired or was deleted.
    pub fn load_record(&self, now_ms: u64) -> Result<OrderRecord, OrderError> {
        let key = self.keys.record();
        let json = self.get_opened(&key)?.ok_or(OrderError::NotFound)?;
        let record = OrderRecord::from_json(&json).with_context(|| format!("could not parse {key}"))?;
        // Redis drops expired keys itself, and this check covers the instant between its check and ours.
        if now_ms >= record.expires_at_ms {
            return Err(OrderError::NotFound);
        }
        Ok(record)
    }

    /// Deletes every key of the order and removes it from the pending queue.
    ///
    /// `chunk_count` comes from the record. Chunks a worker is writing while the record does not
    /// list them yet are deleted by that worker, whose record update fails once the record is gone.
    pub fn delete(&self, chunk_count: u32) -> Result<(), OrderError> {
        let keys: Vec<RedisParameter> = self.keys.all(chunk_count).iter().map(|key| bytes(key)).collect();
        self.execute("DEL", &keys)?;
        self.execute("LREM", &[bytes(store::QueueKeys::PENDING), RedisParameter::Int64(0), bytes(&self.id)])?;
        Ok(())
    }
}

/// Wraps a key name or other text as a binary Redis argument.
pub fn bytes(text: &str) -> RedisParameter {
    RedisParameter::Binary(text.as_bytes().to_vec())
}
