//! The portrait component: `POST /api/portraits` turns an uploaded photo into an order.
//!
//! The body is the photo, read as a stream and cut off at the `max_upload_bytes` variable. Options
//! come from query parameters or `x-sketch-*` headers ([`options`]). The photo becomes strokes here,
//! inside the component, and is then dropped. Only the sealed stroke set and order record reach
//! Redis, with the render job queued for the workers ([`order`]). The response is `201` with the order's
//! URLs and an SVG preview. Once the body is read, before it is decoded, the request counts
//! against the client IP's order budget (`order_intake::limit`, shared with text orders), and a
//! client over it gets `429` with `Retry-After`. Apart from that counter, nothing is stored for a rejected upload: options
//! and photo are checked before the order's first Redis write.
//!
//! Layout:
//! - [`options`]: query and header options to validated order options.
//! - [`body`]: the size limit, enforced while the body is read.
//! - [`order`]: conversion, the Redis writes of the storage protocol, and the `201` response.
//! - [`error`]: every failure and its HTTP status, in one table.
//! - [`reply`]: a plain response value, so all of the above test natively without a Spin host.
//! - `adapter` (wasm only): the Spin entry point, which reads variables and wires the steps.

pub mod body;
pub mod error;
pub mod options;
pub mod order;
pub mod reply;

pub use error::UploadError;
pub use reply::Reply;

/// The route this component serves.
pub const ROUTE: &str = "/api/portraits";

/// Upload limit when the `max_upload_bytes` variable is unset: 10 MiB.
pub const DEFAULT_MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;

/// Settings read from Spin variables on every request.
#[derive(Debug)]
pub struct Config {
    /// Address of the Redis server, such as `redis://127.0.0.1:6379`.
    pub redis_url: String,
    /// The keys that seal stored values.
    pub keyring: store::Keyring,
    /// Largest accepted body in bytes.
    pub max_upload_bytes: usize,
    /// The per-client-IP order budget.
    pub order_budget: order_intake::limit::OrderBudget,
}

impl Config {
    /// Builds the settings from the variables' text. A bad value is a configuration error (500).
    pub fn from_values(
        redis_url: String,
        storage_key: &str,
        max_upload_bytes: Option<&str>,
        orders_requests_per_hour: Option<&str>,
    ) -> anyhow::Result<Self> {
        use anyhow::Context;

        let keyring = store::Keyring::parse(storage_key).context("invalid storage_key variable")?;
        let max_upload_bytes = match max_upload_bytes {
            None => DEFAULT_MAX_UPLOAD_BYTES,
            Some(text) => {
                text.trim().parse::<usize>().ok().filter(|bytes| *bytes > 0).with_context(|| {
                    format!("invalid max_upload_bytes variable {text:?}: expected a positive number of bytes")
                })?
            }
        };
        let order_budget = order_intake::limit::OrderBudget::from_values(&keyring, orders_requests_per_hour)?;
        Ok(Self { redis_url, keyring, max_upload_bytes, order_budget })
    }
}

/// Returns the current time in milliseconds since the Unix epoch.
pub fn now_ms() -> anyhow::Result<u64> {
    let elapsed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?;
    Ok(u64::try_from(elapsed.as_millis())?)
}

/// Builds the `405` response for methods other than `POST`.
pub fn method_not_allowed() -> Reply {
    let mut reply = Reply::json(405, &serde_json::json!({ "error": "method not allowed; upload with POST" }));
    reply.set_header("allow", "POST");
    reply
}

// The entry point is compiled for wasm only: natively, the exported `wasi:http` symbol names are
// not valid in a linker version script, and tests call the plain functions above instead.
#[cfg(target_arch = "wasm32")]
mod adapter {
    //! The Spin entry point: reads the request and variables, runs the steps, and converts the reply.
    #![allow(unsafe_code, reason = "spin-sdk's #[http_component] expands to the exported C-ABI entry point")]

    use anyhow::Context;
    use spin_sdk::http::{IncomingRequest, Method, Response};
    use spin_sdk::http_component;

    use crate::{Config, Reply, UploadError, body, options, order};

    #[http_component]
    async fn handle_portrait(request: IncomingRequest) -> Response {
        let reply = match upload(request).await {
            Ok(reply) => reply,
            Err(error) => {
                log_error(&error);
                error.to_reply()
            }
        };
        order_intake::spin::into_response(reply)
    }

    async fn upload(request: IncomingRequest) -> Result<Reply, UploadError> {
        // Route and method: only `POST /api/portraits` is served.
        let path_and_query = request.path_with_query().unwrap_or_default();
        let (path, query) = path_and_query.split_once('?').unwrap_or((&path_and_query, ""));
        if path != crate::ROUTE {
            return Ok(Reply::json(404, &serde_json::json!({ "error": "not found" })));
        }
        if request.method() != Method::Post {
            return Ok(crate::method_not_allowed());
        }

        // Configuration, then the options and the declared length, all before the body is read.
        let config = read_config()?;
        let headers = order_intake::spin::request_headers(&request);
        let header_pairs = headers.iter().map(|(name, value)| (name.as_str(), value.as_str()));
        let options = options::parse_options(query, header_pairs)?;
        body::check_declared_length(order_intake::spin::content_length(&headers), config.max_upload_bytes)?;

        // The body, cut off at the limit. It is read before the budget is counted: a reply sent
        // while the client is still uploading reaches browsers as a broken connection, not as the
        // 429 or 503 it is.
        let image = body::read_body_limited(request.into_body_stream(), config.max_upload_bytes).await?;

        // The client's order budget, counted before the photo is decoded, which is the costly step.
        let connection = spin_sdk::redis::Connection::open(&config.redis_url)
            .map_err(|error| UploadError::StorageUnavailable(format!("failed to connect: {error}")))?;
        let client_addr = order_intake::spin::client_addr(&headers);
        order_intake::limit::count_request(&connection, &config.order_budget, client_addr)?;

        // Photo to strokes. `prepare_order` drops the image once the strokes exist.
        let new_order = order::prepare_order(options, image, crate::now_ms()?)?;

        // The order's keys and its render job.
        order::store_order(&connection, &config.keyring, &new_order)?;
        eprintln!(
            "portrait: order created order_id={} strokes_bytes={} plan={}",
            new_order.token.order_id(),
            new_order.strokes_bytes.len(),
            new_order.record.options.plan.as_str()
        );
        Ok(order::created_reply(&new_order))
    }

    fn read_config() -> anyhow::Result<Config> {
        let redis_url =
            spin_sdk::variables::get("redis_url").context("could not read the redis_url variable")?;
        let storage_key =
            spin_sdk::variables::get("storage_key").context("could not read the storage_key variable")?;
        let max_upload_bytes = spin_sdk::variables::get("max_upload_bytes").ok();
        let orders_requests_per_hour = spin_sdk::variables::get(order_intake::limit::VARIABLE).ok();
        Config::from_values(
            redis_url,
            &storage_key,
            max_upload_bytes.as_deref(),
            orders_requests_per_hour.as_deref(),
        )
    }

    /// Logs failures the operator must see. Client errors are not logged, and neither are the image,
    /// tokens or option values.
    fn log_error(error: &UploadError) {
        match error {
            UploadError::StorageUnavailable(cause) => eprintln!("portrait: storage unavailable: {cause}"),
            UploadError::Internal(cause) => eprintln!("portrait: internal error: {cause:#}"),
            UploadError::RateLimited(_) => eprintln!("portrait: request rate-limited"),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn config_defaults_upload_limit() {
        let config = Config::from_values("redis://127.0.0.1:6379".into(), KEY, None, None).unwrap();
        assert_eq!(config.max_upload_bytes, 10_485_760);
        assert_eq!(config.order_budget.limit.max_requests, order_intake::limit::DEFAULT_REQUESTS_PER_HOUR);
        let config =
            Config::from_values("redis://127.0.0.1:6379".into(), KEY, Some(" 2048 "), Some("7")).unwrap();
        assert_eq!(config.max_upload_bytes, 2048);
        assert_eq!(config.order_budget.limit.max_requests, 7);
    }

    #[test]
    fn config_rejects_bad_values() {
        for limit in ["0", "-1", "ten"] {
            let error = Config::from_values(String::new(), KEY, Some(limit), None).unwrap_err();
            assert!(format!("{error:#}").contains("max_upload_bytes"), "{limit}: {error:#}");
            let error = Config::from_values(String::new(), KEY, None, Some(limit)).unwrap_err();
            assert!(format!("{error:#}").contains("orders_requests_per_hour"), "{limit}: {error:#}");
        }
        let error = Config::from_values(String::new(), "not-a-key", None, None).unwrap_err();
        assert!(format!("{error:#}").contains("storage_key"), "{error:#}");
    }

    #[test]
    fn other_methods_get_allow_header() {
        let reply = method_not_allowed();
        assert_eq!(reply.status, 405);
        assert_eq!(reply.header("allow"), Some("POST"));
    }

    #[test]
    fn sample_photo_converts_to_order() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/samples/astronaut.png");
        let image = std::fs::read(path).unwrap();
        let options = options::parse_options("age_confirmed=true&style=pen", []).unwrap();
        let order = order::prepare_order(options, image, 0).unwrap();
        assert!(order.strokes_svg.starts_with("<svg"), "{}", &order.strokes_svg[..40]);
        assert!(!order.strokes_bytes.is_empty());
        assert_eq!(order.record.expires_at_ms, store::Plan::Single.retention_ms());
    }
}
