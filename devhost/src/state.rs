//! Per-request store data: the WASI contexts, the resource table and the component's
//! permissions, plus the outbound HTTP hook that enforces `allowed_outbound_hosts`.

use std::collections::BTreeMap;
use std::sync::Arc;

use hyper::http;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{
    RequestOptions, WasiBody, WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView,
};

use crate::allowed_hosts::{AllowedHosts, Destination};

/// Permissions and variables of a component, fixed at start-up and shared by its instances.
#[derive(Debug)]
pub struct ComponentPolicy {
    /// Component id from the manifest.
    pub id: String,
    /// Resolved component variables (values may be secret: never log them).
    pub variables: BTreeMap<String, String>,
    /// The parsed `allowed_outbound_hosts`, used for HTTP and Redis.
    pub allowed_hosts: AllowedHosts,
    /// Redis connections kept across the component's requests.
    pub redis_pool: crate::spin_redis::RedisPool,
}

/// The `T` of each `Store<T>`: one per request, dropped when the request ends.
pub struct InstanceState {
    /// WASI context: environment, preopened files, stdio.
    pub wasi: WasiCtx,
    /// WASI HTTP context.
    pub http: WasiHttpCtx,
    /// Resources of this instance: WASI handles and Redis connections.
    pub table: ResourceTable,
    /// Outbound HTTP hook with the component's allow-list.
    pub hooks: OutboundHttp,
    /// The component's permissions and variables.
    pub policy: Arc<ComponentPolicy>,
    /// Redis connections currently open by this instance.
    pub redis_connections: usize,
}

impl WasiView for InstanceState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl WasiHttpView for InstanceState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { ctx: &mut self.http, table: &mut self.table, hooks: &mut self.hooks }
    }
}

/// Outbound HTTP hook: checks each request against the component's allow-list and sends the
/// allowed ones with wasmtime-wasi-http's default client.
pub struct OutboundHttp {
    /// The component's permissions.
    pub policy: Arc<ComponentPolicy>,
}

/// The future type that [`WasiHttpHooks::send_request`] returns.
type SendFuture = Box<
    dyn Future<
            Output = wasmtime_wasi_http::Result<(
                http::Response<WasiBody>,
                Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
            )>,
        > + Send,
>;

impl WasiHttpHooks for OutboundHttp {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> SendFuture {
        drop(fut);

        // Spin fails a request to a denied destination with `HttpRequestDenied`, which the
        // guest receives as the result of its request.
        let allowed = match Destination::from_uri(request.uri()) {
            Ok(destination) => self.policy.allowed_hosts.allows(&destination),
            Err(_) => false,
        };
        if !allowed {
            tracing::warn!(
                component = %self.policy.id,
                scheme = request.uri().scheme_str().unwrap_or(""),
                host = request.uri().host().unwrap_or(""),
                port = request.uri().port_u16(),
                "outbound request denied: destination is not in allowed_outbound_hosts"
            );
            return Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) });
        }

        Box::new(async move {
            use http_body_util::BodyExt;

            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
            ))
        })
    }
}
