//! The order model shared by the edge components and the render workers.
//!
//! It defines what an order is ([`order`]), where each piece lives in Redis and when it expires
//! ([`keys`]), and how every stored value is encrypted ([`seal`]). The crate does no I/O: callers run
//! the Redis commands, through Spin's Redis API at the edge or the `redis` crate in the worker. It
//! builds for `wasm32-wasip2` and the host.
//!
//! Layout:
//! - [`token`]: order tokens (128 random bits, URL-safe) and the key ids derived from them.
//! - [`order`]: plans and their retention, order options, status and the stored record.
//! - [`keys`]: the Redis key schema, the job queue names, and MP4 chunking.
//! - [`seal`]: AES-256-GCM sealing with the Redis key name as associated data.
//! - [`time`]: RFC 3339 timestamps for the HTTP API.
#![forbid(unsafe_code)]

pub mod keys;
pub mod order;
pub mod seal;
pub mod time;
pub mod token;

pub use keys::{ChunkRange, MP4_CHUNK_BYTES, OrderKeys, QueueKeys};
pub use order::{OrderOptions, OrderRecord, OrderStatus, Plan, VideoInfo};
pub use seal::{Keyring, SealError};
pub use token::{OrderId, OrderToken, TokenError};
