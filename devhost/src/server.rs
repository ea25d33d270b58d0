//! The HTTP server: accepts connections, routes each request and runs a fresh component
//! instance for it.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Instant;

use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Bytes, Frame, Incoming};
use hyper::http::{self, HeaderName, HeaderValue, Request, Response, StatusCode};
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use wasmtime_wasi_http::WasiHttpView;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

use crate::app::AppRuntime;
use crate::routes::{RouteMatch, Target, WELL_KNOWN_PREFIX};

/// Default limit on a request body: 16 MiB.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 16 * 1024 * 1024;

/// Server settings.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Maximum request body in bytes. Larger requests get 413, and the component receives no
    /// more than this.
    pub max_body_bytes: u64,
}

/// Everything a connection task needs.
struct Shared {
    /// The loaded application.
    app: AppRuntime,
    /// Server settings.
    options: ServerOptions,
}

/// Serves the application on `listener` until the task is cancelled.
pub async fn serve(listener: TcpListener, app: AppRuntime, options: ServerOptions) -> anyhow::Result<()> {
    let shared = Arc::new(Shared { app, options });
    loop {
        let (stream, client_addr) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "failed to accept a connection");
                continue;
            }
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let shared = shared.clone();
                async move { Ok::<_, Infallible>(handle(&shared, request, client_addr).await) }
            });
            if let Err(error) =
                http1::Builder::new().keep_alive(true).serve_connection(TokioIo::new(stream), service).await
            {
                tracing::debug!(%error, "connection closed with an error");
            }
        });
    }
}

/// Handles one request and writes the request log line.
async fn handle(
    shared: &Shared,
    request: Request<Incoming>,
    client_addr: SocketAddr,
) -> Response<HyperOutgoingBody> {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();

    let (response, route, component) = dispatch(shared, request, client_addr, &path).await;

    // The log names the route pattern, never the path or query, which may carry tokens.
    tracing::info!(
        %method,
        route = route.as_deref().unwrap_or("-"),
        component = component.as_deref().unwrap_or("-"),
        status = response.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}

/// Routes the request and produces the response, with the matched route and component for
/// the log line.
async fn dispatch(
    shared: &Shared,
    request: Request<Incoming>,
    client_addr: SocketAddr,
    path: &str,
) -> (Response<HyperOutgoingBody>, Option<String>, Option<String>) {
    // Reserved routes are handled by the host, never by a component.
    if let Some(rest) = path.strip_prefix(WELL_KNOWN_PREFIX) {
        let response = match rest {
            "health" => text_response(StatusCode::OK, "OK"),
            "info" => info_response(&shared.app),
            _ => text_response(StatusCode::NOT_FOUND, "Not Found"),
        };
        return (response, Some(path.to_owned()), None);
    }

    // Routing.
    let Some(route_match) = shared.app.router.route(path) else {
        return (text_response(StatusCode::NOT_FOUND, "Not Found"), None, None);
    };
    let route = Some(route_match.raw_route.clone());
    let component_id = match &route_match.target {
        Target::StaticResponse(index) => {
            let response = static_response(&shared.app, *index);
            return (response, route, None);
        }
        Target::Component(id) => id.clone(),
    };

    // A declared body over the limit is rejected before the component starts.
    let max = shared.options.max_body_bytes;
    if declared_length(&request).is_some_and(|length| length > max) {
        return (body_too_large(max), route, Some(component_id));
    }

    let response = run_component(shared, request, client_addr, &route_match, &component_id).await;
    (response, route, Some(component_id))
}

/// Runs a fresh instance of the component on the request.
async fn run_component(
    shared: &Shared,
    request: Request<Incoming>,
    client_addr: SocketAddr,
    route_match: &RouteMatch,
    component_id: &str,
) -> Response<HyperOutgoingBody> {
    let route = route_match.raw_route.as_str();
    let Some(component) = shared.app.components.get(component_id) else {
        tracing::error!(component = component_id, route, "route names a component that was not loaded");
        return text_response(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
    };

    // Request: Spin's headers, an absolute URI and a body that stops at the limit.
    let max = shared.options.max_body_bytes;
    let exceeded = Arc::new(AtomicBool::new(false));
    let request = match prepare_request(request, route_match, client_addr, max, exceeded.clone()) {
        Ok(request) => request,
        Err(error) => {
            tracing::warn!(component = component_id, route, %error, "invalid request");
            return text_response(StatusCode::BAD_REQUEST, "Bad Request");
        }
    };

    // Store and resources for this request only.
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let prepared = component.new_store().and_then(|mut store| {
        let incoming = store.data_mut().http().new_incoming_request(Scheme::Http, request)?;
        let outparam = store.data_mut().http().new_response_outparam(sender)?;
        Ok((store, incoming, outparam))
    });
    let (mut store, incoming, outparam) = match prepared {
        Ok(prepared) => prepared,
        Err(error) => {
            tracing::error!(
                component = component_id,
                route,
                error = format!("{error:#}"),
                "failed to prepare the instance"
            );
            return text_response(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
        }
    };

    // Instance: runs in its own task so it can keep streaming the body after the response
    // head is sent.
    let pre = component.pre.clone();
    let task = tokio::spawn(async move {
        let proxy = pre.instantiate_async(&mut store).await?;
        proxy.wasi_http_incoming_handler().call_handle(&mut store, incoming, outparam).await
    });

    // Response: the component's, or 500 when it trapped or never set a response.
    let response = match receiver.await {
        Ok(Ok(response)) => {
            let component_id = component_id.to_owned();
            let route = route.to_owned();
            tokio::spawn(async move {
                if let Some((error, detail)) = task_error(task).await {
                    tracing::error!(
                        component = component_id,
                        route,
                        error,
                        "component failed after sending its response"
                    );
                    tracing::debug!(component = component_id, detail, "component failure detail");
                }
            });
            response
        }
        Ok(Err(code)) => {
            tracing::error!(component = component_id, route, error = ?code, "component answered with an error code");
            text_response(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
        }
        Err(_) => {
            let (error, detail) = task_error(task).await.unwrap_or_else(|| {
                ("the component returned without setting a response".to_owned(), String::new())
            });
            tracing::error!(component = component_id, route, error, "component failed");
            tracing::debug!(component = component_id, detail, "component failure detail");
            text_response(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
        }
    };

    // A body that went over the limit while the component read it gets 413.
    if exceeded.load(Ordering::SeqCst) {
        return body_too_large(max);
    }
    response
}

/// Waits for the instance task and returns its error, if it failed: the root cause for the
/// error log, and the full chain with the wasm backtrace, which is logged at debug level.
async fn task_error(task: tokio::task::JoinHandle<wasmtime::Result<()>>) -> Option<(String, String)> {
    match task.await {
        Ok(Ok(())) => None,
        Ok(Err(error)) => Some((error.root_cause().to_string(), format!("{error:?}"))),
        Err(error) => Some((format!("instance task ended abnormally: {error}"), String::new())),
    }
}

/// Sets Spin's request headers, makes the URI absolute and limits the body.
fn prepare_request(
    request: Request<Incoming>,
    route_match: &RouteMatch,
    client_addr: SocketAddr,
    max_body_bytes: u64,
    exceeded: Arc<AtomicBool>,
) -> anyhow::Result<Request<LimitedBody>> {
    let (mut parts, body) = request.into_parts();

    // URI: wasi-http needs an authority; take it from the Host header as Spin does.
    let host = match parts.headers.get(http::header::HOST) {
        Some(value) => value.to_str()?.to_owned(),
        None => "localhost".to_owned(),
    };
    let path_and_query = parts.uri.path_and_query().map_or("/", |pq| pq.as_str()).to_owned();
    let full_url = format!("http://{host}{path_and_query}");
    parts.uri = full_url.parse()?;

    // Spin's headers; they replace any that the client sent with the same names.
    let mut headers = vec![
        ("spin-full-url", full_url.clone()),
        ("spin-path-info", route_match.path_info.clone()),
        ("spin-matched-route", route_match.raw_route.clone()),
        ("spin-base-path", "/".to_owned()),
        ("spin-raw-component-route", route_match.raw_route.clone()),
        ("spin-component-route", route_match.component_route.clone()),
        ("spin-client-addr", client_addr.to_string()),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value))
    .collect::<Vec<_>>();
    for (name, value) in &route_match.named_wildcards {
        headers.push((format!("spin-path-match-{}", name.to_ascii_lowercase()), value.clone()));
    }
    for (name, value) in headers {
        parts.headers.insert(HeaderName::try_from(name)?, HeaderValue::try_from(value)?);
    }

    let body = LimitedBody { inner: body, remaining: max_body_bytes, limit: max_body_bytes, exceeded };
    Ok(Request::from_parts(parts, body))
}

/// Returns the `Content-Length` of the request, if it has a valid one.
fn declared_length(request: &Request<Incoming>) -> Option<u64> {
    request.headers().get(http::header::CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}

/// A request body that fails once more than `limit` bytes arrive, and records that it did.
pub struct LimitedBody {
    /// The body from the client.
    inner: Incoming,
    /// Bytes still allowed.
    remaining: u64,
    /// The limit, for the error.
    limit: u64,
    /// Set when the limit was passed, so the server returns 413.
    exceeded: Arc<AtomicBool>,
}

impl Body for LimitedBody {
    type Data = Bytes;
    type Error = wasmtime_wasi_http::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    let length = data.len() as u64;
                    if length > this.remaining {
                        this.exceeded.store(true, Ordering::SeqCst);
                        return Poll::Ready(Some(Err(wasmtime_wasi_http::Error::HttpRequestBodySize(Some(
                            this.limit,
                        )))));
                    }
                    this.remaining -= length;
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(error))) => Poll::Ready(Some(Err(error.into()))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

/// Builds a plain-text response.
fn text_response(status: StatusCode, text: &str) -> Response<HyperOutgoingBody> {
    let mut response = Response::new(full_body(Bytes::from(format!("{text}\n"))));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(http::header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

/// Builds the 413 response, naming the limit.
fn body_too_large(max_body_bytes: u64) -> Response<HyperOutgoingBody> {
    let mut response = text_response(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!("request body exceeds the limit of {max_body_bytes} bytes"),
    );
    response.headers_mut().insert(http::header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Builds the `/.well-known/spin/info` response.
fn info_response(app: &AppRuntime) -> Response<HyperOutgoingBody> {
    let version = app.version.as_deref().unwrap_or("");
    let json = format!(
        "{{\"application\":{{\"name\":{:?},\"version\":{:?}}},\"host\":\"devhost\"}}",
        app.name, version
    );
    let mut response = Response::new(full_body(Bytes::from(json)));
    response.headers_mut().insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// Serves a trigger's `static_response`.
fn static_response(app: &AppRuntime, index: usize) -> Response<HyperOutgoingBody> {
    let Some(config) = app.static_responses.get(&index) else {
        return text_response(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
    };
    let mut response = Response::new(full_body(Bytes::from(config.body.clone().unwrap_or_default())));
    *response.status_mut() =
        StatusCode::from_u16(config.status_code.unwrap_or(200)).unwrap_or(StatusCode::OK);
    for (name, value) in &config.headers {
        if let (Ok(name), Ok(value)) =
            (HeaderName::try_from(name.as_str()), HeaderValue::try_from(value.as_str()))
        {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

/// Wraps bytes as the outgoing body type of wasmtime-wasi-http.
fn full_body(bytes: Bytes) -> HyperOutgoingBody {
    Full::new(bytes).map_err(|never| match never {}).boxed_unsync()
}
