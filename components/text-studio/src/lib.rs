//! The text studio component: `POST /api/text-animations` turns typed text into an order, and
//! `POST /api/text-animations/preview` returns its strokes as SVG without storing anything.
//!
//! The body is the text as UTF-8 (1 to 200 characters, up to 12 lines), cut off at
//! [`order::MAX_BODY_BYTES`]. The options are the portrait's, from query parameters or `x-sketch-*`
//! headers (`order_intake::options`), and the preview needs no age confirmation. The text becomes
//! strokes with the `lettering` crate and is then dropped. The order is stored, and the response
//! built, exactly as for a portrait order (`order_intake::storage`), so the orders component and the
//! render workers handle it unchanged. An order request first counts against the client IP's order
//! budget, which portrait orders share (`order_intake::limit`), and gets `429` with `Retry-After`
//! over it. Previews are not counted: they touch no storage and cost one text layout, and the body
//! limit bounds that.
//!
//! Layout:
//! - [`order`]: body decoding, the text-to-strokes step, and the preview reply.
//! - [`error`]: every failure and its HTTP status, in one table.
//! - `adapter` (wasm only): the Spin entry point, which reads variables and wires the steps.

pub mod error;
pub mod order;

pub use error::TextRequestError;
pub use http_reply::Reply;

/// The route that creates an order.
pub const ROUTE: &str = "/api/text-animations";

/// The route that returns a preview.
pub const PREVIEW_ROUTE: &str = "/api/text-animations/preview";

/// The action a request path selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Create an order.
    Create,
    /// Return the strokes as SVG.
    Preview,
}

impl Action {
    /// Returns the action for a request path, or `None` for a path this component does not serve.
    pub fn from_path(path: &str) -> Option<Self> {
        match path {
            ROUTE => Some(Action::Create),
            PREVIEW_ROUTE => Some(Action::Preview),
            _ => None,
        }
    }
}

/// Settings read from Spin variables on every request.
#[derive(Debug)]
pub struct Config {
    /// Address of the Redis server, such as `redis://127.0.0.1:6379`.
    pub redis_url: String,
    /// The keys that seal stored values.
    pub keyring: store::Keyring,
    /// The per-client-IP order budget.
    pub order_budget: order_intake::limit::OrderBudget,
}

impl Config {
    /// Builds the settings from the variables' text. A bad value is a configuration error (500).
    pub fn from_values(
        redis_url: String,
        storage_key: &str,
        orders_requests_per_hour: Option<&str>,
    ) -> anyhow::Result<Self> {
        use anyhow::Context;

        let keyring = store::Keyring::parse(storage_key).context("invalid storage_key variable")?;
        let order_budget = order_intake::limit::OrderBudget::from_values(&keyring, orders_requests_per_hour)?;
        Ok(Self { redis_url, keyring, order_budget })
    }
}

/// Returns the current time in milliseconds since the Unix epoch.
pub fn now_ms() -> anyhow::Result<u64> {
    let elapsed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?;
    Ok(u64::try_from(elapsed.as_millis())?)
}

/// Builds the `405` response for methods other than `POST`.
pub fn method_not_allowed() -> Reply {
    let mut reply =
        Reply::json(405, &serde_json::json!({ "error": "method not allowed; send the text with POST" }));
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
    use order_intake::{body, limit, options, spin, storage};
    use spin_sdk::http::{IncomingRequest, Method, Response};
    use spin_sdk::http_component;

    use crate::{Action, Config, Reply, TextRequestError, order};

    #[http_component]
    async fn handle_text_studio(request: IncomingRequest) -> Response {
        let reply = match respond(request).await {
            Ok(reply) => reply,
            Err(error) => {
                log_error(&error);
                error.to_reply()
            }
        };
        spin::into_response(reply)
    }

    async fn respond(request: IncomingRequest) -> Result<Reply, TextRequestError> {
        // Route and method: only POST to the two routes is served.
        let path_and_query = request.path_with_query().unwrap_or_default();
        let (path, query) = path_and_query.split_once('?').unwrap_or((&path_and_query, ""));
        let Some(action) = Action::from_path(path) else {
            return Ok(Reply::json(404, &serde_json::json!({ "error": "not found" })));
        };
        if request.method() != Method::Post {
            return Ok(crate::method_not_allowed());
        }

        // The options and the declared length, before the body is read.
        let headers = spin::request_headers(&request);
        let header_pairs = headers.iter().map(|(name, value)| (name.as_str(), value.as_str()));
        let options = match action {
            Action::Create => options::parse_options(query, header_pairs)?,
            Action::Preview => options::parse_preview_options(query, header_pairs)?,
        };
        body::check_declared_length(spin::content_length(&headers), order::MAX_BODY_BYTES)?;

        // A preview stores nothing and is not counted.
        if action == Action::Preview {
            let bytes = body::read_body_limited(request.into_body_stream(), order::MAX_BODY_BYTES).await?;
            return order::preview_reply(&options, &order::decode_text(bytes)?);
        }

        // The client's order budget, counted before the text is read.
        let config = read_config()?;
        let connection = spin_sdk::redis::Connection::open(&config.redis_url)
            .map_err(|error| TextRequestError::StorageUnavailable(format!("failed to connect: {error}")))?;
        limit::count_request(&connection, &config.order_budget, spin::client_addr(&headers))?;

        // The text, cut off at the limit, to strokes, then the order in Redis.
        let bytes = body::read_body_limited(request.into_body_stream(), order::MAX_BODY_BYTES).await?;
        let text = order::decode_text(bytes)?;
        let new_order = order::prepare_order(options, text, crate::now_ms()?)?;
        storage::store_order(&connection, &config.keyring, &new_order)?;
        eprintln!(
            "text-studio: order created order_id={} strokes_bytes={} plan={}",
            new_order.token.order_id(),
            new_order.strokes_bytes.len(),
            new_order.record.options.plan.as_str()
        );
        Ok(storage::created_reply(&new_order))
    }

    fn read_config() -> anyhow::Result<Config> {
        let redis_url =
            spin_sdk::variables::get("redis_url").context("could not read the redis_url variable")?;
        let storage_key =
            spin_sdk::variables::get("storage_key").context("could not read the storage_key variable")?;
        let orders_requests_per_hour = spin_sdk::variables::get(limit::VARIABLE).ok();
        Config::from_values(redis_url, &storage_key, orders_requests_per_hour.as_deref())
    }

    /// Logs failures the operator must see. Client errors are not logged, and neither are the text,
    /// tokens or option values.
    fn log_error(error: &TextRequestError) {
        match error {
            TextRequestError::StorageUnavailable(cause) => {
                eprintln!("text-studio: storage unavailable: {cause}")
            }
            TextRequestError::Internal(cause) => eprintln!("text-studio: internal error: {cause:#}"),
            TextRequestError::RateLimited(_) => eprintln!("text-studio: request rate-limited"),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_actions() {
        assert_eq!(Action::from_path("/api/text-animations"), Some(Action::Create));
        assert_eq!(Action::from_path("/api/text-animations/preview"), Some(Action::Preview));
        assert_eq!(Action::from_path("/api/text-animations/other"), None);
        assert_eq!(Action::from_path("/api/text-animations/"), None);
    }

    #[test]
    fn config_reads_order_budget() {
        const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
        let config = Config::from_values(String::new(), KEY, None).unwrap();
        assert_eq!(config.order_budget.limit.max_requests, order_intake::limit::DEFAULT_REQUESTS_PER_HOUR);
        assert_eq!(config.order_budget.limit.scope, "orders");
        let config = Config::from_values(String::new(), KEY, Some("3")).unwrap();
        assert_eq!(config.order_budget.limit.max_requests, 3);
        let error = Config::from_values(String::new(), KEY, Some("none")).unwrap_err();
        assert!(format!("{error:#}").contains("orders_requests_per_hour"), "{error:#}");
    }

    #[test]
    fn other_methods_get_allow_header() {
        let reply = method_not_allowed();
        assert_eq!(reply.status, 405);
        assert_eq!(reply.header("allow"), Some("POST"));
    }
}
