//! The steps that every order endpoint (the portrait and text studios) shares, so both accept the
//! same options, enforce body limits the same way and store orders by one protocol.
//!
//! The crate runs no I/O of its own: Redis commands go through the [`storage::RedisCommands`]
//! trait, which Spin's Redis connection implements. It builds for `wasm32-wasip2` and the host.
//!
//! Layout:
//! - [`options`]: query parameters and `x-sketch-*` headers to validated order options.
//! - [`body`]: the size limit, enforced while a request body is read.
//! - [`limit`]: the per-client-IP order budget, counted in Redis before the body is decoded.
//! - [`storage`]: the Redis writes of an order, in the order the render worker relies on, and the
//!   `201 Created` response.
//! - [`spin`]: request headers and the conversion of a reply into Spin's response.
#![forbid(unsafe_code)]

pub mod body;
pub mod limit;
pub mod options;
pub mod spin;
pub mod storage;
