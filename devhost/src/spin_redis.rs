//! Host side of `fermyon:spin/redis@2.0.0`, backed by the `redis` crate.
//!
//! `open` checks the address against the component's `allowed_outbound_hosts` (as Spin does,
//! a denied address is `invalid-address`) and hands out a handle to the component's multiplexed
//! connection for that address, which [`RedisPool`] keeps across requests, so a request pays for
//! no TCP connect or handshake once the first one has. The handle lives in the instance's resource
//! table until the guest drops it or the request ends. Failures of the Redis server (down, timed
//! out, error reply) reach the guest as `other(message)`, so the component decides the HTTP status.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use wasmtime::component::Resource;

use crate::bindings::fermyon::spin::redis::{
    Error, Host, HostConnection, Payload, RedisParameter, RedisResult,
};
use crate::state::InstanceState;

/// Maximum Redis connections one component instance may hold open at a time; `open` beyond
/// it returns `too-many-connections`.
pub const MAX_CONNECTIONS_PER_INSTANCE: usize = 16;

/// Time allowed to establish a connection before `open` fails with `other`.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Time allowed for the reply to one command before it fails with `other`.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(30);

/// The host value behind a guest `connection` resource.
pub struct RedisConnection {
    /// The open connection; cloning it shares the same socket.
    connection: MultiplexedConnection,
    /// The address it was opened with, the key in [`RedisPool`].
    address: String,
}

/// One multiplexed connection per Redis address, shared by every instance of a component.
///
/// A multiplexed connection pipelines the commands of concurrent requests over one socket. A
/// connection that fails with an I/O error or is dropped by the server is removed, so the next
/// `open` connects again. NOTE: the command that met the broken connection still fails, so the
/// first request after a Redis restart gets `other` where a fresh connection would have worked.
#[derive(Default)]
pub struct RedisPool {
    connections: Mutex<HashMap<String, MultiplexedConnection>>,
}

impl std::fmt::Debug for RedisPool {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self.connections.lock().unwrap_or_else(PoisonError::into_inner).len();
        formatter.debug_struct("RedisPool").field("connections", &count).finish()
    }
}

impl RedisPool {
    /// Returns the pooled connection to `address`, connecting first when there is none.
    async fn connect(
        &self,
        client: &redis::Client,
        address: &str,
    ) -> Result<MultiplexedConnection, redis::RedisError> {
        let pooled = self.connections.lock().unwrap_or_else(PoisonError::into_inner).get(address).cloned();
        if let Some(connection) = pooled {
            return Ok(connection);
        }
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(CONNECT_TIMEOUT)
            .set_response_timeout(RESPONSE_TIMEOUT);
        let connection = client.get_multiplexed_async_connection_with_config(&config).await?;
        // Two requests may connect at once; the first connection stored is the one kept.
        let mut connections = self.connections.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(connections.entry(address.to_owned()).or_insert(connection).clone())
    }

    /// Forgets the connection to `address`, so the next `open` connects again.
    fn evict(&self, address: &str) {
        self.connections.lock().unwrap_or_else(PoisonError::into_inner).remove(address);
    }
}

/// A guest handle's connection and address, cloned out of the resource table for one command.
struct Handle {
    connection: MultiplexedConnection,
    address: String,
}

impl Host for InstanceState {}

impl InstanceState {
    /// Returns the connection behind `resource`.
    fn redis(&self, resource: &Resource<RedisConnection>) -> Result<Handle, Error> {
        self.table
            .get(resource)
            .map(|entry| Handle { connection: entry.connection.clone(), address: entry.address.clone() })
            .map_err(|error| Error::Other(format!("invalid Redis connection handle: {error}")))
    }

    /// Converts a command's error, evicting the pooled connection when the error means it broke.
    fn command_failed(&self, address: &str, error: redis::RedisError) -> Error {
        if error.is_io_error() || error.is_connection_dropped() || error.is_unrecoverable_error() {
            tracing::warn!(component = %self.policy.id, %error, "Redis connection lost; reconnecting on next open");
            self.policy.redis_pool.evict(address);
        }
        other(error)
    }
}

impl HostConnection for InstanceState {
    async fn open(&mut self, address: String) -> Result<Resource<RedisConnection>, Error> {
        // Permission: the address must match `allowed_outbound_hosts`.
        if !self.policy.allowed_hosts.allows_url(&address) {
            tracing::warn!(
                component = %self.policy.id,
                "Redis address denied: not in allowed_outbound_hosts"
            );
            return Err(Error::InvalidAddress);
        }
        if self.redis_connections >= MAX_CONNECTIONS_PER_INSTANCE {
            return Err(Error::TooManyConnections);
        }

        // Connection: a bad URL is `invalid-address`, an unreachable server is `other`.
        let client = redis::Client::open(address.as_str()).map_err(|_| Error::InvalidAddress)?;
        let connection = self.policy.redis_pool.connect(&client, &address).await.map_err(|error| {
            tracing::warn!(component = %self.policy.id, %error, "Redis connection failed");
            other(error)
        })?;

        let resource = self
            .table
            .push(RedisConnection { connection, address })
            .map_err(|error| Error::Other(format!("failed to store Redis connection: {error}")))?;
        self.redis_connections += 1;
        Ok(resource)
    }

    async fn publish(
        &mut self,
        resource: Resource<RedisConnection>,
        channel: String,
        payload: Payload,
    ) -> Result<(), Error> {
        let Handle { mut connection, address } = self.redis(&resource)?;
        redis::cmd("PUBLISH")
            .arg(channel)
            .arg(payload)
            .query_async::<i64>(&mut connection)
            .await
            .map_err(|error| self.command_failed(&address, error))?;
        Ok(())
    }

    async fn get(
        &mut self,
        resource: Resource<RedisConnection>,
        key: String,
    ) -> Result<Option<Payload>, Error> {
        let Handle { mut connection, address } = self.redis(&resource)?;
        redis::cmd("GET")
            .arg(key)
            .query_async(&mut connection)
            .await
            .map_err(|error| self.command_failed(&address, error))
    }

    async fn set(
        &mut self,
        resource: Resource<RedisConnection>,
        key: String,
        value: Payload,
    ) -> Result<(), Error> {
        let Handle { mut connection, address } = self.redis(&resource)?;
        redis::cmd("SET")
            .arg(key)
            .arg(value)
            .query_async::<()>(&mut connection)
            .await
            .map_err(|error| self.command_failed(&address, error))
    }

    async fn incr(&mut self, resource: Resource<RedisConnection>, key: String) -> Result<i64, Error> {
        let Handle { mut connection, address } = self.redis(&resource)?;
        redis::cmd("INCR")
            .arg(key)
            .query_async(&mut connection)
            .await
            .map_err(|error| self.command_failed(&address, error))
    }

    async fn del(&mut self, resource: Resource<RedisConnection>, keys: Vec<String>) -> Result<u32, Error> {
        let Handle { mut connection, address } = self.redis(&resource)?;
        redis::cmd("DEL")
            .arg(keys)
            .query_async(&mut connection)
            .await
            .map_err(|error| self.command_failed(&address, error))
    }

    async fn sadd(
        &mut self,
        resource: Resource<RedisConnection>,
        key: String,
        values: Vec<String>,
    ) -> Result<u32, Error> {
        let Handle { mut connection, address } = self.redis(&resource)?;
        redis::cmd("SADD")
            .arg(key)
            .arg(values)
            .query_async(&mut connection)
            .await
            .map_err(|error| self.command_failed(&address, error))
    }

    async fn smembers(
        &mut self,
        resource: Resource<RedisConnection>,
        key: String,
    ) -> Result<Vec<String>, Error> {
        let Handle { mut connection, address } = self.redis(&resource)?;
        redis::cmd("SMEMBERS")
            .arg(key)
            .query_async(&mut connection)
            .await
            .map_err(|error| self.command_failed(&address, error))
    }

    async fn srem(
        &mut self,
        resource: Resource<RedisConnection>,
        key: String,
        values: Vec<String>,
    ) -> Result<u32, Error> {
        let Handle { mut connection, address } = self.redis(&resource)?;
        redis::cmd("SREM")
            .arg(key)
            .arg(values)
            .query_async(&mut connection)
            .await
            .map_err(|error| self.command_failed(&address, error))
    }

    async fn execute(
        &mut self,
        resource: Resource<RedisConnection>,
        command: String,
        arguments: Vec<RedisParameter>,
    ) -> Result<Vec<RedisResult>, Error> {
        let Handle { mut connection, address } = self.redis(&resource)?;
        let mut cmd = redis::cmd(&command);
        for argument in arguments {
            match argument {
                RedisParameter::Int64(value) => cmd.arg(value),
                RedisParameter::Binary(value) => cmd.arg(value),
            };
        }
        let value: redis::Value =
            cmd.query_async(&mut connection).await.map_err(|error| self.command_failed(&address, error))?;
        let mut results = Vec::new();
        flatten_reply(value, &mut results).map_err(Error::Other)?;
        Ok(results)
    }

    async fn drop(&mut self, resource: Resource<RedisConnection>) -> wasmtime::Result<()> {
        self.table.delete(resource)?;
        self.redis_connections = self.redis_connections.saturating_sub(1);
        Ok(())
    }
}

/// Maps a `redis` crate error to the WIT error: a wrong-type reply is `type-error`, anything
/// else is `other` with the error text.
fn other(error: redis::RedisError) -> Error {
    if error.kind() == redis::ErrorKind::TypeError || error.code() == Some("WRONGTYPE") {
        Error::TypeError
    } else {
        Error::Other(error.to_string())
    }
}

/// Converts a reply of `execute` to the flat list the WIT returns, as Spin does: arrays and
/// sets are flattened, `OK` and simple strings become `status`, integers and booleans
/// `int64`, strings and doubles `binary`, a missing value `nil`. Maps and push messages have
/// no WIT form and are an error.
pub fn flatten_reply(value: redis::Value, results: &mut Vec<RedisResult>) -> Result<(), String> {
    match value {
        redis::Value::Nil => results.push(RedisResult::Nil),
        redis::Value::Int(number) => results.push(RedisResult::Int64(number)),
        redis::Value::BulkString(bytes) => results.push(RedisResult::Binary(bytes)),
        redis::Value::SimpleString(text) => results.push(RedisResult::Status(text)),
        redis::Value::Okay => results.push(RedisResult::Status("OK".to_owned())),
        redis::Value::Array(values) | redis::Value::Set(values) => {
            for value in values {
                flatten_reply(value, results)?;
            }
        }
        redis::Value::Double(number) => results.push(RedisResult::Binary(number.to_string().into_bytes())),
        redis::Value::Boolean(flag) => results.push(RedisResult::Int64(i64::from(flag))),
        redis::Value::ServerError(error) => return Err(format!("Redis error reply: {error:?}")),
        other => {
            return Err(format!("Redis reply type is not supported by the Spin Redis interface: {other:?}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flatten(value: redis::Value) -> Result<Vec<RedisResult>, String> {
        let mut results = Vec::new();
        flatten_reply(value, &mut results).map(|()| results)
    }

    #[test]
    fn scalar_replies_convert() {
        assert!(
            matches!(flatten(redis::Value::Okay).unwrap()[..], [RedisResult::Status(ref s)] if s == "OK")
        );
        assert!(matches!(flatten(redis::Value::Int(7)).unwrap()[..], [RedisResult::Int64(7)]));
        assert!(matches!(flatten(redis::Value::Nil).unwrap()[..], [RedisResult::Nil]));
        assert!(
            matches!(flatten(redis::Value::BulkString(b"v".to_vec())).unwrap()[..], [RedisResult::Binary(ref b)] if b == b"v")
        );
    }

    #[test]
    fn arrays_flatten() {
        let value = redis::Value::Array(vec![
            redis::Value::Int(1),
            redis::Value::Array(vec![redis::Value::Nil, redis::Value::BulkString(b"x".to_vec())]),
        ]);
        let results = flatten(value).unwrap();
        assert_eq!(results.len(), 3);
        assert!(matches!(results[1], RedisResult::Nil));
    }

    #[test]
    fn maps_are_rejected() {
        let value = redis::Value::Map(vec![(redis::Value::Int(1), redis::Value::Int(2))]);
        assert!(flatten(value).is_err());
    }
}
