//! HTTP: `/rpc/{chainId}` (API key in `x-api-key` or a bearer token) and
//! `/rpc/{chainId}/{apiKey}`, the sponsor profile `/.well-known/harbor-sponsor/{apiKey}`, plus
//! `/healthz` and `/metrics`.
//!
//! Connections are bounded in number, and each in time: headers must arrive within
//! `header_timeout_seconds`, a whole request within `request_timeout_seconds`, and a connection
//! silent for `idle_timeout_seconds` is closed.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use harbor_core::codes;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tower::ServiceExt;

use crate::error::RpcFailure;
use crate::relay::{Relay, StartError};
use crate::rpc::{Caller, METHODS, PASS_THROUGH};

/// The router of the relay.
pub fn router(relay: Arc<Relay>) -> Router {
    let limit = relay.config.max_body_bytes;
    let request_timeout = Duration::from_secs(relay.config.request_timeout_seconds.max(1));
    Router::new()
        .route("/rpc/{chain_id}", post(rpc_with_header))
        .route("/rpc/{chain_id}/{api_key}", post(rpc_with_path))
        .route(
            "/.well-known/harbor-sponsor/{api_key}",
            get(sponsor_profile),
        )
        .route("/alerts/{api_key}/accounts", post(register_alerts))
        .route("/alerts/{api_key}/events", get(alert_events))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(limit))
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            time_limited(request, next, request_timeout)
        }))
        .with_state(relay)
}

/// Answers 408 when a request (its body included) takes longer than `limit`.
async fn time_limited(request: Request, next: Next, limit: Duration) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => (StatusCode::REQUEST_TIMEOUT, "the request took too long").into_response(),
    }
}

/// Binds `relay.config.listen` and serves until the process ends; starts the chain watchers.
pub async fn serve(relay: Arc<Relay>) -> Result<(), StartError> {
    let address = relay.config.listen;
    let listener =
        tokio::net::TcpListener::bind(address)
            .await
            .map_err(|e| StartError::Listen {
                address: address.to_string(),
                message: e.to_string(),
            })?;
    if let Some(admin) = relay.config.admin.clone() {
        let listener = tokio::net::TcpListener::bind(admin.listen)
            .await
            .map_err(|e| StartError::Listen {
                address: admin.listen.to_string(),
                message: e.to_string(),
            })?;
        let relay = relay.clone();
        tokio::spawn(async move {
            if let Err(error) = crate::admin::serve_on(listener, relay).await {
                tracing::error!(%error, "the admin API stopped");
            }
        });
    }
    serve_on(listener, relay).await
}

/// Serves on an already bound listener (tests bind port 0); starts the chain watchers.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    relay: Arc<Relay>,
) -> Result<(), StartError> {
    let bound = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let _watchers = relay.spawn_watchers();
    tracing::info!(address = %bound, "harbor-paymaster listening");
    serve_connections(listener, relay).await;
    Ok(())
}

/// Accepts connections (at most `max_connections` at once; more are closed at once) and serves
/// each with the header, request and idle time limits.
pub async fn serve_connections(listener: tokio::net::TcpListener, relay: Arc<Relay>) {
    let app = router(relay.clone());
    let permits = Arc::new(tokio::sync::Semaphore::new(
        relay.config.max_connections.max(1),
    ));
    let header_timeout = Duration::from_secs(relay.config.header_timeout_seconds.max(1));
    let idle_timeout = Duration::from_secs(relay.config.idle_timeout_seconds.max(1));
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            relay
                .metrics
                .inc("harbor_paymaster_connections_refused_total", &[]);
            drop(stream);
            continue;
        };
        let app = app.clone();
        tokio::spawn(async move {
            let (io, last_activity) = Watched::new(stream);
            let service = hyper::service::service_fn(
                move |mut request: hyper::Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(ConnectInfo(peer));
                    app.clone().oneshot(request.map(Body::new))
                },
            );
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .serve_connection(TokioIo::new(io), service);
            tokio::pin!(connection);
            loop {
                tokio::select! {
                    _ = &mut connection => break,
                    () = tokio::time::sleep(Duration::from_millis(500)) => {
                        if last_activity.idle() > idle_timeout {
                            break;
                        }
                    }
                }
            }
            drop(permit);
        });
    }
}

/// When a connection last read or wrote, from the server's start.
#[derive(Debug, Clone)]
struct Activity {
    started: Instant,
    last_ms: Arc<AtomicU64>,
}

impl Activity {
    fn touch(&self) {
        let ms = self.started.elapsed().as_millis() as u64;
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    fn idle(&self) -> Duration {
        let now = self.started.elapsed().as_millis() as u64;
        Duration::from_millis(now.saturating_sub(self.last_ms.load(Ordering::Relaxed)))
    }
}

/// A stream that notes when bytes last moved.
struct Watched<S> {
    inner: S,
    activity: Activity,
}

impl<S> Watched<S> {
    fn new(inner: S) -> (Self, Activity) {
        let activity = Activity {
            started: Instant::now(),
            last_ms: Arc::new(AtomicU64::new(0)),
        };
        (
            Watched {
                inner,
                activity: activity.clone(),
            },
            activity,
        )
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The `method` label of a request: one of the methods the relay knows, else `other` (a label
/// taken from the request would let anyone add series, or forge metric lines).
fn method_label(method: &str) -> &str {
    if METHODS.contains(&method) || PASS_THROUGH.contains(&method) {
        method
    } else {
        "other"
    }
}

fn header_key(headers: &HeaderMap) -> Option<String> {
    if let Some(key) = headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
        return Some(key.to_owned());
    }
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned)
}

/// The client's address and the body, read within the body limit (413 above it).
async fn read(relay: &Relay, request: Request) -> Result<(String, Bytes), Response> {
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
        .unwrap_or_default();
    let body = axum::body::to_bytes(request.into_body(), relay.config.max_body_bytes)
        .await
        .map_err(|_| {
            (
                StatusCode::PAYLOAD_TOO_LARGE,
                "the request body is too large",
            )
                .into_response()
        })?;
    Ok((client, body))
}

async fn rpc_with_header(
    State(relay): State<Arc<Relay>>,
    Path(chain_id): Path<String>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    match read(&relay, request).await {
        Ok((client, body)) => {
            let key = header_key(&headers);
            handle(relay, &chain_id, key, &client, body).await
        }
        Err(response) => response,
    }
}

async fn rpc_with_path(
    State(relay): State<Arc<Relay>>,
    Path((chain_id, api_key)): Path<(String, String)>,
    request: Request,
) -> Response {
    match read(&relay, request).await {
        Ok((client, body)) => handle(relay, &chain_id, Some(api_key), &client, body).await,
        Err(response) => response,
    }
}

fn reply(id: Value, result: Result<Value, RpcFailure>) -> Value {
    match result {
        Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
        Err(error) => json!({"jsonrpc": "2.0", "id": id, "error": error.to_json()}),
    }
}

async fn handle(
    relay: Arc<Relay>,
    chain_id: &str,
    api_key: Option<String>,
    client: &str,
    body: Bytes,
) -> Response {
    let parsed: Result<Value, _> = serde_json::from_slice(&body);
    let Ok(request) = parsed else {
        let error = RpcFailure::new(codes::PARSE_ERROR, "the request body is not valid JSON");
        return (StatusCode::OK, axum::Json(reply(Value::Null, Err(error)))).into_response();
    };
    let app = api_key.as_deref().and_then(|key| relay.app(key));
    let Some(app) = app else {
        relay.metrics.inc(
            "harbor_paymaster_requests_total",
            &[("method", "-"), ("outcome", "unauthorized")],
        );
        let error = RpcFailure::new(
            codes::UNAUTHORIZED,
            "unauthorized: send a valid API key in the x-api-key header or as /rpc/{chainId}/{apiKey}",
        );
        let id = request.get("id").cloned().unwrap_or(Value::Null);
        return (StatusCode::UNAUTHORIZED, axum::Json(reply(id, Err(error)))).into_response();
    };
    let chain_id = chain_id
        .strip_prefix("0x")
        .map(|hex| u64::from_str_radix(hex, 16).ok())
        .unwrap_or_else(|| chain_id.parse().ok());
    let caller = Caller { app: &app, client };
    let answer = match request {
        Value::Array(batch) if batch.is_empty() => reply(
            Value::Null,
            Err(RpcFailure::new(codes::INVALID_REQUEST, "empty batch")),
        ),
        Value::Array(batch) if batch.len() > 50 => reply(
            Value::Null,
            Err(RpcFailure::new(
                codes::INVALID_REQUEST,
                "batches are limited to 50 calls",
            )),
        ),
        Value::Array(batch) => {
            let mut out = Vec::with_capacity(batch.len());
            for call in batch {
                out.push(one(&relay, chain_id, caller, call).await);
            }
            Value::Array(out)
        }
        call => one(&relay, chain_id, caller, call).await,
    };
    (StatusCode::OK, axum::Json(answer)).into_response()
}

async fn one(relay: &Relay, chain_id: Option<u64>, caller: Caller<'_>, call: Value) -> Value {
    let id = call.get("id").cloned().unwrap_or(Value::Null);
    let Some(method) = call.get("method").and_then(Value::as_str) else {
        return reply(
            id,
            Err(RpcFailure::new(
                codes::INVALID_REQUEST,
                "a JSON-RPC request needs a method",
            )),
        );
    };
    let Some(chain_id) = chain_id else {
        return reply(
            id,
            Err(RpcFailure::new(
                codes::UNSUPPORTED_CHAIN,
                "the chain id in the URL is not a number",
            )),
        );
    };
    let params = call.get("params").cloned().unwrap_or(json!([]));
    let started = Instant::now();
    let result = relay.dispatch(chain_id, caller, method, &params).await;
    let outcome = match &result {
        Ok(_) => "ok".to_owned(),
        Err(e) => e.code.to_string(),
    };
    let label = method_label(method);
    relay.metrics.inc(
        "harbor_paymaster_requests_total",
        &[("method", label), ("outcome", &outcome)],
    );
    tracing::debug!(method = label, chain_id, app = %caller.app.name, outcome, micros = started.elapsed().as_micros() as u64, "rpc");
    reply(id, result)
}

/// A JSON error answer.
fn refuse(status: StatusCode, message: impl Into<String>) -> Response {
    (status, axum::Json(json!({"error": message.into()}))).into_response()
}

/// `POST /alerts/{apiKey}/accounts` `{"chainId", "accounts": [..]}`: registers accounts for
/// recovery alerts on a chain where the app has a policy.
async fn register_alerts(
    State(relay): State<Arc<Relay>>,
    Path(api_key): Path<String>,
    body: Bytes,
) -> Response {
    let Some(app) = relay.app(&api_key) else {
        return refuse(StatusCode::UNAUTHORIZED, "unknown API key");
    };
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Registration {
        chain_id: u64,
        accounts: Vec<alloy_primitives::Address>,
    }
    let registration: Registration = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                format!("expected {{\"chainId\": number, \"accounts\": [address…]}}: {e}"),
            );
        }
    };
    if !app
        .policies
        .iter()
        .any(|p| p.chain_id == registration.chain_id)
    {
        return refuse(
            StatusCode::FORBIDDEN,
            format!("chain {} is not served for this key", registration.chain_id),
        );
    }
    if registration.accounts.is_empty() || registration.accounts.len() > crate::alerts::MAX_REGISTER
    {
        return refuse(
            StatusCode::BAD_REQUEST,
            format!("name 1 to {} accounts", crate::alerts::MAX_REGISTER),
        );
    }
    match relay
        .store
        .register_alerts(&app.name, registration.chain_id, &registration.accounts)
    {
        Ok(added) => axum::Json(json!({"chainId": registration.chain_id, "registered": added}))
            .into_response(),
        Err(e) => refuse(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// `GET /alerts/{apiKey}/events?after=ID&wait=SECONDS&accounts=0x…,0x…`: the app's recovery
/// alerts after `after`, waiting up to `wait` seconds (at most 25) for one to arrive.
async fn alert_events(
    State(relay): State<Arc<Relay>>,
    Path(api_key): Path<String>,
    axum::extract::Query(query): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    let Some(app) = relay.app(&api_key) else {
        return refuse(StatusCode::UNAUTHORIZED, "unknown API key");
    };
    let after: i64 = match query.get("after").map(|a| a.parse()) {
        None => 0,
        Some(Ok(a)) => a,
        Some(Err(_)) => return refuse(StatusCode::BAD_REQUEST, "after must be an event id"),
    };
    let wait: u64 = query
        .get("wait")
        .and_then(|w| w.parse().ok())
        .unwrap_or(0u64)
        .min(25)
        .min(relay.config.request_timeout_seconds.saturating_sub(2));
    let mut accounts = Vec::new();
    for text in query
        .get("accounts")
        .map(String::as_str)
        .unwrap_or("")
        .split(',')
        .filter(|t| !t.is_empty())
    {
        match text.parse::<alloy_primitives::Address>() {
            Ok(a) => accounts.push(a),
            Err(_) => return refuse(StatusCode::BAD_REQUEST, format!("{text} is not an address")),
        }
    }
    let deadline = Instant::now() + Duration::from_secs(wait);
    loop {
        let events =
            match relay
                .store
                .alert_events(&app.name, after, &accounts, crate::alerts::MAX_EVENTS)
            {
                Ok(events) => events,
                Err(e) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
            };
        if !events.is_empty() || Instant::now() >= deadline {
            let next = events
                .last()
                .and_then(|e| e["id"].as_i64())
                .unwrap_or(after);
            return axum::Json(json!({"events": events, "next": next})).into_response();
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The sponsor profile of the app whose API key is in the path (see `profile`).
async fn sponsor_profile(
    State(relay): State<Arc<Relay>>,
    Path(api_key): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(app) = relay.app(&api_key) else {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"error": "no sponsor profile for this key"})),
        )
            .into_response();
    };
    let base = match &relay.config.public_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("127.0.0.1");
            format!("http://{host}")
        }
    };
    axum::Json(crate::profile::profile(&relay.config, &app, &base)).into_response()
}

async fn healthz(State(relay): State<Arc<Relay>>) -> Response {
    let chains: serde_json::Map<String, Value> = relay
        .chains
        .iter()
        .map(|(id, chain)| (id.to_string(), json!({"latestBlock": chain.latest_block()})))
        .collect();
    axum::Json(json!({"status": "ok", "chains": chains})).into_response()
}

async fn metrics(State(relay): State<Arc<Relay>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        relay.metrics.render(),
    )
        .into_response()
}
