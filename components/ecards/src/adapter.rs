//! The Spin entry point: reads the request and variables, runs the handlers, sends the mail through
//! Spin's outbound HTTP, and converts the reply.
#![allow(unsafe_code, reason = "spin-sdk's #[http_component] expands to the exported C-ABI entry point")]

use std::time::Duration;

use anyhow::Context;
use spin_sdk::http::{IncomingRequest, Method, Request, Response};
use spin_sdk::http_component;

use ecards::schedule::NextStep;

use crate::handlers::{self, IN_REQUEST_RETRIES, IN_REQUEST_RETRY_DELAY_MS, Route};
use crate::{Config, ConfigValues, Reply, dispatch, storage};

#[http_component]
async fn handle_ecards(request: IncomingRequest) -> Response {
    let reply = serve(request).await;
    let mut builder = Response::builder();
    builder.status(reply.status);
    for (name, value) in reply.headers {
        builder.header(name, value);
    }
    builder.body(reply.body).build()
}

fn header(request: &IncomingRequest, name: &str) -> Option<String> {
    request.headers().get(name).first().map(|value| String::from_utf8_lossy(value).into_owned())
}

async fn serve(request: IncomingRequest) -> Reply {
    let path_and_query = request.path_with_query().unwrap_or_default();
    let (path, query) = path_and_query.split_once('?').unwrap_or((&path_and_query, ""));
    let method = match request.method() {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Delete => "DELETE",
        _ => "OTHER",
    };
    let route = match handlers::route(method, path) {
        Ok(route) => route,
        Err(reply) => return reply,
    };

    if let Route::Pixel(token) = route {
        // The GIF is returned even when recording fails, such as with Redis down or a bad variable.
        let user_agent = header(&request, "user-agent");
        let client_addr = header(&request, "spin-client-addr");
        if let Err(error) = record_pixel(&token, user_agent.as_deref(), client_addr.as_deref()) {
            eprintln!("ecards: could not record a pixel hit: {error:#}");
        }
        return handlers::pixel_reply();
    }

    if let Route::View(token) = route {
        return view(&request, &token);
    }

    let config = match read_config() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("ecards: configuration error: {error:#}");
            return handlers::error_reply(500, "server configuration error");
        }
    };
    let redis = match spin_sdk::redis::Connection::open(&config.redis_url) {
        Ok(redis) => redis,
        Err(error) => {
            eprintln!("ecards: storage unavailable: failed to connect: {error}");
            return handlers::error_reply(503, "storage unavailable; try again later");
        }
    };
    let token = handlers::query_token(query);
    match route {
        Route::Stats(id) => handlers::stats(&redis, &config.keyring, &id, token.as_deref()),
        Route::Delete(id) => handlers::purge(&redis, &config.keyring, &id, token.as_deref()),
        Route::Create => {
            let client_addr = header(&request, "spin-client-addr").unwrap_or_default();
            if let Err(reply) = crate::limit::count_create(
                &redis,
                &config.create_limit,
                &config.rate_limit_secret,
                &client_addr,
            ) {
                return reply;
            }
            let body = request.into_body().await.unwrap_or_default();
            create_and_send(&redis, &config, &body).await
        }
        Route::Dispatch => {
            let authorization = header(&request, "authorization");
            if let Err(reply) =
                handlers::authorize_dispatch(&config.dispatch_secret, authorization.as_deref())
            {
                return reply;
            }
            dispatch_due(&redis, &config).await
        }
        Route::Pixel(_) => handlers::pixel_reply(),
        Route::View(_) => crate::view::method_not_allowed(),
    }
}

/// Serves the "view in browser" page. It needs only Redis and the storage key, so a bad mail
/// setting never hides a card.
fn view(request: &IncomingRequest, token: &str) -> Reply {
    let opened = (|| {
        let redis_url =
            spin_sdk::variables::get("redis_url").context("could not read the redis_url variable")?;
        let storage_key =
            spin_sdk::variables::get("storage_key").context("could not read the storage_key variable")?;
        let keyring = store::Keyring::parse(&storage_key).context("invalid storage_key variable")?;
        let redis = spin_sdk::redis::Connection::open(&redis_url)
            .map_err(|error| anyhow::anyhow!("failed to connect to Redis: {error}"))?;
        anyhow::Ok((redis, keyring))
    })();
    let (redis, keyring) = match opened {
        Ok(opened) => opened,
        Err(error) => {
            eprintln!("ecards: storage unavailable for a view page: {error:#}");
            return crate::view::unavailable();
        }
    };
    let user_agent = header(request, "user-agent");
    let client_addr = header(request, "spin-client-addr");
    let visitor =
        crate::view::Visitor { user_agent: user_agent.as_deref(), client_addr: client_addr.as_deref() };
    let now_ms = crate::now_ms().unwrap_or_default();
    crate::view::view_page(&redis, &keyring, token, &visitor, now_ms)
}

/// Sends every due scheduled e-card, one attempt per waiting recipient, and returns counts.
async fn dispatch_due(redis: &spin_sdk::redis::Connection, config: &Config) -> Reply {
    let storage_error = |error: anyhow::Error| {
        eprintln!("ecards: dispatch failed: {error:#}");
        handlers::error_reply(503, "storage unavailable; try again later")
    };
    let now_ms = match crate::now_ms() {
        Ok(now_ms) => now_ms,
        Err(error) => {
            eprintln!("ecards: clock error: {error:#}");
            return handlers::error_reply(500, "server clock error");
        }
    };
    // The claim value names this call, so each claim in Redis shows which call made it.
    let dispatcher = match store::OrderToken::generate() {
        Ok(token) => token.order_id().to_string(),
        Err(error) => return storage_error(anyhow::anyhow!("could not draw a dispatcher id: {error}")),
    };
    let due = match storage::due_ids(redis, now_ms, ecards::schedule::MAX_ECARDS_PER_DISPATCH) {
        Ok(due) => due,
        Err(error) => return storage_error(error),
    };

    let provider = &config.provider;
    let (mut claimed_count, mut delivered, mut failed, mut retrying, mut busy) = (0usize, 0, 0, 0, 0);
    for id in &due {
        let claimed = match dispatch::claim(redis, config, id, &dispatcher, now_ms) {
            Ok(Some(claimed)) => claimed,
            Ok(None) => continue,
            Err(error) => {
                eprintln!("ecards: could not claim a due e-card ecard_id={id}: {error:#}");
                continue;
            }
        };
        claimed_count += 1;
        failed += claimed.failed_unsent;
        let mut steps = Vec::with_capacity(claimed.sends.len());
        for send in &claimed.sends {
            match dispatch::begin_send(redis, id, &send.recipient_id, &dispatcher) {
                Ok(true) => {}
                Ok(false) => {
                    // Another dispatcher is sending it or has finished: look again after the lease.
                    busy += 1;
                    let due_at_ms = crate::now_ms().unwrap_or(now_ms) + ecards::schedule::DISPATCH_LEASE_MS;
                    steps.push(NextStep::RetryAt { due_at_ms, reason: "sent by another dispatcher".into() });
                    continue;
                }
                Err(error) => {
                    eprintln!(
                        "ecards: could not take a send marker ecard_id={id} recipient_id={}: {error:#}",
                        send.recipient_id
                    );
                    let due_at_ms = crate::now_ms().unwrap_or(now_ms) + ecards::schedule::DISPATCH_LEASE_MS;
                    steps.push(NextStep::RetryAt { due_at_ms, reason: "storage unavailable".into() });
                    continue;
                }
            }
            let outcome = send_once(provider, &send.request).await;
            let now_ms = crate::now_ms().unwrap_or(now_ms);
            let step = match dispatch::record_attempt(redis, config, &claimed, send, &outcome, now_ms) {
                Ok(step) => step,
                Err(error) => {
                    // The marker keeps others off until the lease ends; the e-card stays due.
                    eprintln!(
                        "ecards: could not store a send outcome ecard_id={id} recipient_id={}: {error:#}",
                        send.recipient_id
                    );
                    NextStep::RetryAt {
                        due_at_ms: now_ms + ecards::schedule::DISPATCH_LEASE_MS,
                        reason: "the outcome could not be stored".into(),
                    }
                }
            };
            match &step {
                NextStep::Delivered => delivered += 1,
                NextStep::Failed(_) => failed += 1,
                NextStep::RetryAt { .. } => retrying += 1,
            }
            // The reason may quote the address, so only the ids are logged.
            if !matches!(step, NextStep::Delivered) {
                eprintln!(
                    "ecards: scheduled send failed ecard_id={id} recipient_id={} attempts={}",
                    send.recipient_id,
                    send.attempts_before + 1
                );
            }
            steps.push(step);
        }
        if let Err(error) = dispatch::release(redis, &claimed, &steps) {
            eprintln!("ecards: could not release a due e-card ecard_id={id}: {error:#}");
        }
    }
    if !due.is_empty() {
        eprintln!(
            "ecards: dispatch due={} claimed={claimed_count} delivered={delivered} failed={failed} retrying={retrying} busy={busy}",
            due.len()
        );
    }
    Reply::json(
        200,
        &serde_json::json!({
            "due": due.len(),
            "claimed": claimed_count,
            "delivered": delivered,
            "failed": failed,
            "retrying": retrying,
            "busy": busy,
        }),
    )
}

fn record_pixel(token: &str, user_agent: Option<&str>, client_addr: Option<&str>) -> anyhow::Result<()> {
    let redis_url = spin_sdk::variables::get("redis_url").context("could not read the redis_url variable")?;
    let storage_key =
        spin_sdk::variables::get("storage_key").context("could not read the storage_key variable")?;
    let keyring = store::Keyring::parse(&storage_key).context("invalid storage_key variable")?;
    let redis = spin_sdk::redis::Connection::open(&redis_url)
        .map_err(|error| anyhow::anyhow!("failed to connect to Redis: {error}"))?;
    handlers::record_pixel_hit(&redis, &keyring, token, user_agent, client_addr, crate::now_ms()?)?;
    Ok(())
}

async fn create_and_send(redis: &spin_sdk::redis::Connection, config: &Config, body: &[u8]) -> Reply {
    let now_ms = match crate::now_ms() {
        Ok(now_ms) => now_ms,
        Err(error) => {
            eprintln!("ecards: clock error: {error:#}");
            return handlers::error_reply(500, "server clock error");
        }
    };
    let created = match handlers::create(redis, config, body, now_ms) {
        Ok(created) => created,
        Err(reply) => return reply,
    };
    if created.sends.is_empty() {
        eprintln!(
            "ecards: e-card scheduled ecard_id={} recipients={}",
            created.id,
            created.record.recipients.len()
        );
        return created.reply;
    }
    let provider = &config.provider;
    let (mut delivered, mut handed_over) = (0usize, 0usize);
    // The earliest retry of a handed-over send. The e-card enters the due set only after every
    // send of this request is recorded, so no dispatcher takes a recipient this request still sends.
    let mut first_retry_ms: Option<u64> = None;
    for send in &created.sends {
        let (outcome, attempts) = send_with_retries(provider, &send.request).await;
        if outcome == ecards::SendOutcome::Delivered {
            delivered += 1;
        } else {
            // The reason may quote the address, so only the ids are logged.
            eprintln!(
                "ecards: send failed ecard_id={} recipient_id={} attempts={attempts}",
                created.id, send.recipient_id
            );
        }
        let now_ms = crate::now_ms().unwrap_or(now_ms);
        let stored = match ecards::schedule::after_attempt(&outcome, attempts, now_ms) {
            NextStep::RetryAt { due_at_ms, reason } => {
                handed_over += 1;
                first_retry_ms = Some(first_retry_ms.map_or(due_at_ms, |first| first.min(due_at_ms)));
                handlers::hand_over_retry(
                    redis,
                    &config.keyring,
                    &created,
                    send,
                    attempts,
                    (due_at_ms, &reason),
                    now_ms,
                )
            }
            NextStep::Delivered | NextStep::Failed(_) => handlers::record_delivery(
                redis,
                &config.keyring,
                &created,
                &send.recipient_id,
                &outcome,
                attempts,
                now_ms,
            ),
        };
        if let Err(error) = stored {
            eprintln!(
                "ecards: could not store the delivery state ecard_id={} recipient_id={}: {error:#}",
                created.id, send.recipient_id
            );
        }
    }
    if let Some(due_at_ms) = first_retry_ms
        && let Err(error) = storage::schedule(redis, &created.id, due_at_ms)
    {
        eprintln!("ecards: could not put the e-card in the due set ecard_id={}: {error:#}", created.id);
    }
    eprintln!(
        "ecards: e-card send finished ecard_id={} recipients={} delivered={delivered} retrying={handed_over} provider={}",
        created.id,
        created.sends.len(),
        provider.provider().as_str()
    );
    created.reply
}

/// Sends one request, retrying retryable outcomes [`IN_REQUEST_RETRIES`] times; returns the last
/// outcome and the number of attempts.
async fn send_with_retries(
    provider: &ecards::ProviderConfig,
    request: &ecards::HttpRequest,
) -> (ecards::SendOutcome, u32) {
    let mut attempts = 0;
    loop {
        attempts += 1;
        let outcome = send_once(provider, request).await;
        let retry =
            matches!(outcome, ecards::SendOutcome::RetryableError(_)) && attempts <= IN_REQUEST_RETRIES;
        if !retry {
            return (outcome, attempts);
        }
        eprintln!(
            "ecards: provider send failed, retrying in {IN_REQUEST_RETRY_DELAY_MS} ms (attempt {attempts})"
        );
        std::thread::sleep(std::time::Duration::from_millis(IN_REQUEST_RETRY_DELAY_MS));
    }
}

/// Time allowed to open the connection to the mail provider.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Time allowed between sending the request and the first byte of the response, and between two
/// later bytes of it.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);

async fn send_once(provider: &ecards::ProviderConfig, request: &ecards::HttpRequest) -> ecards::SendOutcome {
    if !provider.has_token() {
        return ecards::SendOutcome::PermanentError(ecards::MAIL_NOT_CONFIGURED.to_owned());
    }
    match send_with_timeouts(request).await {
        Ok((status, body)) => ecards::classify_response(provider.provider(), status, &body),
        Err(failure) => failure,
    }
}

/// Sends one request with connect and response timeouts, and returns the status and body.
///
/// `spin_sdk::http::send` passes no request options, so this goes to `wasi:http/outgoing-handler`
/// through spin-sdk's generated bindings (`spin_sdk::wit`). Spin (its outbound HTTP factor) and
/// the devhost (wasmtime-wasi-http 48's default client) both apply the connect and first-byte
/// timeouts of these options.
async fn send_with_timeouts(request: &ecards::HttpRequest) -> Result<(u16, Vec<u8>), ecards::SendOutcome> {
    use futures::SinkExt;
    use spin_sdk::http::conversions::TryIntoOutgoingRequest;
    use spin_sdk::wit::wasi::http0_2_0::outgoing_handler;
    use spin_sdk::wit::wasi::http0_2_0::types::RequestOptions;

    let retryable = ecards::SendOutcome::RetryableError;

    let mut builder = Request::builder();
    builder.method(Method::Post).uri(request.url.clone());
    for (name, value) in &request.headers {
        builder.header(name.clone(), value.clone());
    }
    let (outgoing, body) =
        builder.body(request.body.clone()).build().try_into_outgoing_request().map_err(|error| {
            ecards::SendOutcome::PermanentError(format!("invalid provider request: {error}"))
        })?;

    let options = RequestOptions::new();
    let nanos = |duration: Duration| u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
    let set = options
        .set_connect_timeout(Some(nanos(CONNECT_TIMEOUT)))
        .and_then(|()| options.set_first_byte_timeout(Some(nanos(RESPONSE_TIMEOUT))))
        .and_then(|()| options.set_between_bytes_timeout(Some(nanos(RESPONSE_TIMEOUT))));
    if set.is_err() {
        // The host does not support a timeout option; the request goes without it.
        eprintln!("ecards: the host rejected the provider request timeouts");
    }

    // The body is written after the request is handed over, as spin-sdk's own `send` does.
    let mut body_sink = outgoing.take_body();
    let response = outgoing_handler::handle(outgoing, Some(options)).map_err(|code| failure(&code))?;
    // A host that rejects the request, such as for a denied destination, closes the body stream,
    // so the response's error code explains more than the failed write.
    let mut body_error = None;
    if let Some(body) = body {
        body_error = body_sink.send(body).await.err();
    }
    drop(body_sink);
    response.subscribe().block();
    let response = match (response.get(), body_error) {
        (Some(Ok(Err(code))), _) => return Err(failure(&code)),
        (_, Some(error)) => return Err(retryable(format!("request body failed: {error:?}"))),
        (Some(Ok(Ok(response))), None) => response,
        (Some(Err(())) | None, None) => return Err(retryable("request failed: no response".to_owned())),
    };
    let status = response.status();
    let body =
        response.into_body().await.map_err(|error| retryable(format!("response body failed: {error:?}")))?;
    Ok((status, body))
}

/// Classifies a failed request: a denied destination is permanent (only a manifest change helps),
/// every other failure, timeouts included, is retryable.
fn failure(code: &spin_sdk::wit::wasi::http0_2_0::types::ErrorCode) -> ecards::SendOutcome {
    use spin_sdk::wit::wasi::http0_2_0::types::ErrorCode;

    fn retryable(reason: impl Into<String>) -> ecards::SendOutcome {
        ecards::SendOutcome::RetryableError(reason.into())
    }

    match code {
        ErrorCode::HttpRequestDenied => ecards::SendOutcome::PermanentError(
            "request denied: the mail API is not in allowed_outbound_hosts".to_owned(),
        ),
        ErrorCode::ConnectionTimeout => retryable("timed out connecting to the mail provider"),
        ErrorCode::ConnectionReadTimeout | ErrorCode::HttpResponseTimeout => {
            retryable("the mail provider timed out before answering")
        }
        ErrorCode::ConnectionRefused => retryable("the mail provider refused the connection"),
        ErrorCode::DnsTimeout | ErrorCode::DnsError(_) => {
            retryable("the mail provider's host name did not resolve")
        }
        // The wasi:http error names the rest well enough for the sender and the log.
        _ => retryable(format!("request to the mail provider failed: {code:?}")),
    }
}

fn read_config() -> anyhow::Result<Config> {
    let variable = |name: &str| {
        spin_sdk::variables::get(name).with_context(|| format!("could not read the {name} variable"))
    };
    let redis_url = variable("redis_url")?;
    let storage_key = variable("storage_key")?;
    let mail_provider = variable("mail_provider")?;
    let mail_api_base = variable("mail_api_base")?;
    let mail_api_token = variable("mail_api_token")?;
    let mail_from_email = variable("mail_from_email")?;
    let site_base_url = variable("site_base_url")?;
    let dispatch_secret = variable("dispatch_secret")?;
    let ecards_requests_per_hour = spin_sdk::variables::get(crate::limit::VARIABLE).unwrap_or_default();
    Config::from_values(&ConfigValues {
        redis_url: &redis_url,
        storage_key: &storage_key,
        mail_provider: &mail_provider,
        mail_api_base: &mail_api_base,
        mail_api_token: &mail_api_token,
        mail_from_email: &mail_from_email,
        site_base_url: &site_base_url,
        dispatch_secret: &dispatch_secret,
        ecards_requests_per_hour: &ecards_requests_per_hour,
    })
}
