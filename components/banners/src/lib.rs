//! The banners component: renders banners for the banners studio and stores nothing.
//!
//! | route | response |
//! |---|---|
//! | `POST /api/banners/preview` | `200` PNG, long side at most 600 px |
//! | `POST /api/banners/export` | `200` PNG or SVG at full size, as an attachment `banner-WxH.ext` |
//!
//! The body is the JSON request of [`banners::request`], at most [`MAX_BODY_BYTES`]. Each request
//! first counts against a per-client-IP budget in Redis: `INCR` and `EXPIRE` on a hashed key, built
//! by the `rate-limit` crate. A request over the budget gets `429` with `Retry-After`. When the request names
//! an `order_token`, one `MGET` reads that order's record and sealed strokes, which are drawn in the
//! accent colour. No other Redis command is sent. Bad input gets a `400` JSON body naming the field.
//!
//! Layout:
//! - [`storage`]: the rate-limit counter and the portrait read, behind a trait that tests fake.
//! - [`error`]: every failure and its HTTP status, in one table.
//! - `adapter` (wasm only): the Spin entry point, which reads variables and the body.

pub mod error;
pub mod storage;

pub use error::ServeError;
pub use http_reply::Reply;
use rate_limit::{KeySecret, RateLimit};
use storage::RedisCommands;

/// Largest accepted request body in bytes: the longest valid request is under 2 KiB.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Requests per minute and client IP when the `banners_requests_per_minute` variable is unset.
pub const DEFAULT_REQUESTS_PER_MINUTE: u32 = 120;

/// Length of the rate-limit window, in seconds.
pub const RATE_WINDOW_SECS: u32 = 60;

/// The requested operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A small PNG for the live editor.
    Preview,
    /// The full-size banner as a download.
    Export,
}

/// Maps method and path to an action, or to the `404` or `405` reply.
pub fn route(method: &str, path: &str) -> Result<Action, Reply> {
    let action = match path {
        "/api/banners/preview" => Action::Preview,
        "/api/banners/export" => Action::Export,
        _ => return Err(Reply::json(404, &serde_json::json!({ "error": "not found" }))),
    };
    if method != "POST" {
        let mut reply = Reply::json(405, &serde_json::json!({ "error": "use POST with a JSON body" }));
        reply.set_header("allow", "POST");
        return Err(reply);
    }
    Ok(action)
}

/// Settings read from Spin variables on every request.
#[derive(Debug)]
pub struct Config {
    /// Address of the Redis server, such as `redis://127.0.0.1:6379`.
    pub redis_url: String,
    /// The keys that open a portrait order's sealed values.
    pub keyring: store::Keyring,
    /// The per-client-IP request budget.
    pub rate_limit: RateLimit,
    /// The secret the budget's counter keys are hashed under, derived from the storage key.
    pub rate_limit_secret: KeySecret,
}

impl Config {
    /// Builds the settings from the variables' text. A bad value is a configuration error (500).
    pub fn from_values(
        redis_url: String,
        storage_key: &str,
        requests_per_minute: Option<&str>,
    ) -> anyhow::Result<Self> {
        use anyhow::Context;

        let keyring = store::Keyring::parse(storage_key).context("invalid storage_key variable")?;
        let max_requests = rate_limit::parse_max_requests(
            "banners_requests_per_minute",
            requests_per_minute,
            DEFAULT_REQUESTS_PER_MINUTE,
        )?;
        let rate_limit = RateLimit { scope: "banners", max_requests, window_secs: RATE_WINDOW_SECS };
        let rate_limit_secret = KeySecret::new(keyring.derive_key(rate_limit::SECRET_PURPOSE));
        Ok(Self { redis_url, keyring, rate_limit, rate_limit_secret })
    }
}

/// Serves one request whose route and body are already read: rate limit, validation, the portrait
/// read, rendering, and the reply.
pub fn handle<R: RedisCommands>(
    redis: &R,
    config: &Config,
    action: Action,
    client_addr: &str,
    body: &[u8],
    now_ms: u64,
) -> Result<Reply, ServeError> {
    storage::count_request(redis, &config.rate_limit, &config.rate_limit_secret, client_addr)?;

    let spec = banners::parse_request(body)?;
    let portrait = match &spec.order_token {
        Some(token) => Some(storage::load_portrait(redis, &config.keyring, token, now_ms)?),
        None => None,
    };
    let scene = banners::build_scene(&spec, portrait.as_ref());

    let mut reply = Reply::empty(200);
    match action {
        Action::Preview => {
            let scale = banners::preview_scale(spec.width_px, spec.height_px);
            reply.body = banners::render_png(&scene, scale)?;
            reply.set_header("content-type", "image/png");
        }
        Action::Export => {
            reply.body = match spec.format {
                banners::Format::Png => banners::render_png(&scene, 1.0)?,
                banners::Format::Svg => banners::render_svg(&scene).into_bytes(),
            };
            reply.set_header("content-type", spec.format.content_type());
            let file_name = banners::export_file_name(&spec);
            reply.set_header("content-disposition", format!("attachment; filename=\"{file_name}\""));
        }
    }
    Ok(reply)
}

/// Returns the current time in milliseconds since the Unix epoch.
pub fn now_ms() -> anyhow::Result<u64> {
    let elapsed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?;
    Ok(u64::try_from(elapsed.as_millis())?)
}

// The Spin entry point exists only in the wasm build: the native test build has no host to call it.
#[cfg(target_arch = "wasm32")]
mod adapter;

#[cfg(test)]
mod tests;
