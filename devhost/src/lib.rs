//! devhost runs a Spin application (`spin.toml`, manifest version 2) locally on wasmtime, for
//! tests and machines without the `spin` CLI. It serves HTTP triggers only, with Spin's route
//! rules and request headers, Spin variables, Spin's Redis interface backed by a real Redis
//! server, outbound HTTP limited by `allowed_outbound_hosts`, read-only `files` mounts and a
//! request body limit. Production runs on Spin; devhost is development tooling.
//!
//! It does not provide key-value, SQLite, LLM, MQTT or database interfaces, service chaining,
//! Redis triggers, or WASI 0.3 components.
//!
//! # Layout
//!
//! - [`manifest`]: `spin.toml` shapes and checks.
//! - [`variables`]: application variables, `SPIN_VARIABLE_*` and component templates.
//! - [`routes`]: route matching (the `routefinder` crate, as in Spin).
//! - [`allowed_hosts`]: the outbound allow-list.
//! - [`files`]: staging of `files` for the read-only mount.
//! - [`app`]: start-up, compiling and pre-instantiating components.
//! - [`server`]: the hyper server and the per-request instance.
//! - [`state`], [`spin_redis`], [`spin_variables`], [`bindings`]: what the host gives each
//!   instance: WASI, outbound HTTP, `fermyon:spin/redis` and `fermyon:spin/variables`.
//!
//! The work is carried by `wasmtime`, `wasmtime-wasi` and `wasmtime-wasi-http` (48.0.8),
//! `hyper`, `redis`, `routefinder`, `toml` and `glob`.

pub mod allowed_hosts;
pub mod app;
pub mod bindings;
pub mod files;
pub mod manifest;
pub mod routes;
pub mod server;
pub mod spin_redis;
pub mod spin_variables;
pub mod state;
pub mod variables;
