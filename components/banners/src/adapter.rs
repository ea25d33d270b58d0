//! The Spin entry point: reads the route, variables, client address and body, then calls
//! [`crate::handle`] and converts the reply.
#![allow(unsafe_code, reason = "spin-sdk's #[http_component] expands to the exported C-ABI entry point")]

use anyhow::Context;
use futures::StreamExt;
use spin_sdk::http::{IncomingRequest, Method, Response};
use spin_sdk::http_component;

use crate::{Config, MAX_BODY_BYTES, Reply, ServeError};

#[http_component]
async fn handle_banners(request: IncomingRequest) -> Response {
    let reply = match serve(request).await {
        Ok(reply) => reply,
        Err(error) => {
            log_error(&error);
            error.to_reply()
        }
    };
    let mut builder = Response::builder();
    builder.status(reply.status);
    for (name, value) in reply.headers {
        builder.header(name, value);
    }
    builder.body(reply.body).build()
}

async fn serve(request: IncomingRequest) -> Result<Reply, ServeError> {
    // Route and method.
    let path_and_query = request.path_with_query().unwrap_or_default();
    let path = path_and_query.split_once('?').map_or(path_and_query.as_str(), |(path, _)| path);
    let method = if request.method() == Method::Post { "POST" } else { "OTHER" };
    let action = match crate::route(method, path) {
        Ok(action) => action,
        Err(reply) => return Ok(reply),
    };

    // Configuration and the client address that Spin sets for every request.
    let config = read_config()?;
    let client_addr = request
        .headers()
        .get("spin-client-addr")
        .first()
        .map(|value| String::from_utf8_lossy(value).into_owned())
        .unwrap_or_default();

    // The body, cut off at the limit.
    let body = read_body(request).await?;

    let redis = spin_sdk::redis::Connection::open(&config.redis_url)
        .map_err(|error| ServeError::StorageUnavailable(format!("failed to connect: {error}")))?;
    crate::handle(&redis, &config, action, &client_addr, &body, crate::now_ms()?)
}

/// Reads the body, stopping at the first chunk that takes it past [`MAX_BODY_BYTES`].
async fn read_body(request: IncomingRequest) -> Result<Vec<u8>, ServeError> {
    let mut stream = std::pin::pin!(request.into_body_stream());
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|error| ServeError::BodyRead(error.to_string()))?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(ServeError::BodyTooLarge { limit_bytes: MAX_BODY_BYTES });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn read_config() -> anyhow::Result<Config> {
    let redis_url = spin_sdk::variables::get("redis_url").context("could not read the redis_url variable")?;
    let storage_key =
        spin_sdk::variables::get("storage_key").context("could not read the storage_key variable")?;
    let requests_per_minute = spin_sdk::variables::get("banners_requests_per_minute").ok();
    Config::from_values(redis_url, &storage_key, requests_per_minute.as_deref())
}

/// Logs failures the operator must see. Client errors are not logged, and neither are names, emails
/// or tokens.
fn log_error(error: &ServeError) {
    match error {
        ServeError::StorageUnavailable(cause) => eprintln!("banners: storage unavailable: {cause}"),
        ServeError::Internal(cause) => eprintln!("banners: internal error: {cause:#}"),
        ServeError::Banner(banners::BannerError::Output(cause)) => {
            eprintln!("banners: output failed: {cause}")
        }
        ServeError::RateLimited { .. } => eprintln!("banners: request rate-limited"),
        _ => {}
    }
}
