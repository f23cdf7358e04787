//! The local provider: while the app runs, the core's dApp engine is served on the loopback
//! interface to paired programs only — the Harbor browser extension (which forwards pages'
//! requests with the origin it saw) and scripts. JSON-RPC 2.0 over WebSocket (`/ws`, events
//! pushed) and over HTTP (`POST /`, one request per call).
//!
//! No web page can use it: a request whose `Origin` is a web origin is refused before anything
//! else (so is CORS: no `Access-Control-Allow-*` header is ever sent), the `Host` must be the
//! loopback name and port (DNS rebinding), and every request but pairing needs a token that
//! only the person's approval in the app hands out. Sizes, connections and rates are bounded.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use alloy_primitives::Address;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use harbor_core::dapp::{Answer, DappEngine, DappError, PendingRequest};
use harbor_core::vault::PairedClient;
use harbor_core::wallet::SharedVault;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

/// The port the provider listens on when it is free.
pub const DEFAULT_PORT: u16 = 18545;
/// How many ports after [`DEFAULT_PORT`] are tried when it is taken (clients try them in order).
pub const PORT_FALLBACKS: u16 = 9;
/// The largest request accepted (bytes).
pub const MAX_REQUEST_BYTES: usize = 256 * 1024;
/// Requests per second allowed to one connection (and to all HTTP callers together).
pub const MAX_REQUESTS_PER_SECOND: u32 = 50;
/// WebSocket connections open at once.
pub const MAX_CONNECTIONS: usize = 32;
/// Pairings waiting for the person at once.
pub const MAX_PENDING_PAIRINGS: usize = 4;
/// How long a request may wait for the person before the site is told it was not answered.
pub const APPROVAL_TIMEOUT: Duration = Duration::from_secs(600);

/// What the provider needs from the app around it.
pub trait ProviderHost: Send + Sync + 'static {
    /// The dApp engine, when a wallet file is open.
    fn engine(&self) -> Option<Arc<DappEngine>>;
    /// The wallet file, when open (pairings are kept there).
    fn vault(&self) -> Option<SharedVault>;
    /// A request waits for the person: bring the window to the front.
    fn request_waiting(&self, request: &PendingRequest);
    /// A program asks to be paired: bring the window to the front.
    fn pairing_waiting(&self, pairing: &Pairing);
    /// A request came while the wallet is locked: bring the window up for the password.
    fn unlock_wanted(&self);
}

/// A program asking to be paired, as the app shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Pairing {
    /// The id to approve or refuse it with.
    pub id: String,
    /// The name the program gives.
    pub name: String,
    /// `extension` or `script`.
    pub kind: String,
    /// A short code the program also shows, so the person can match them.
    pub code: String,
}

#[derive(Debug)]
enum PairingState {
    Waiting(Pairing),
    Approved(String),
    Refused,
}

type Decision = Result<Value, DappError>;

/// The running provider.
pub struct Provider {
    host: Arc<dyn ProviderHost>,
    address: SocketAddr,
    waiters: Mutex<HashMap<u64, oneshot::Sender<Decision>>>,
    pairings: Mutex<HashMap<String, PairingState>>,
    connections: Mutex<Vec<(PairedClient, mpsc::UnboundedSender<Value>)>>,
    http_window: Mutex<(Instant, u32)>,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Provider({})", self.address)
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn random_array<const N: usize>() -> Option<[u8; N]> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).ok()?;
    Some(buf)
}

fn random_hex<const N: usize>() -> String {
    random_array::<N>()
        .map(alloy_primitives::hex::encode)
        .unwrap_or_default()
}

/// The origin a script's requests are answered for (scripts cannot choose it).
pub fn script_origin(client: &PairedClient) -> String {
    format!("harbor-script://{}", client.id)
}

fn rpc_error(id: &Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

impl Provider {
    /// Starts serving on 127.0.0.1: `port`, or when it is 0, [`DEFAULT_PORT`] or the first free
    /// one of the next [`PORT_FALLBACKS`].
    pub async fn start(host: Arc<dyn ProviderHost>, port: u16) -> std::io::Result<Arc<Self>> {
        let candidates: Vec<u16> = if port == 0 {
            (DEFAULT_PORT..=DEFAULT_PORT + PORT_FALLBACKS).collect()
        } else {
            vec![port]
        };
        let mut last = None;
        let mut listener = None;
        for p in candidates {
            match tokio::net::TcpListener::bind(("127.0.0.1", p)).await {
                Ok(l) => {
                    listener = Some(l);
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        let listener = match listener {
            Some(l) => l,
            None => {
                return Err(last.unwrap_or_else(|| std::io::Error::other("no port to listen on")));
            }
        };
        let address = listener.local_addr()?;
        let provider = Arc::new(Provider {
            host,
            address,
            waiters: Mutex::new(HashMap::new()),
            pairings: Mutex::new(HashMap::new()),
            connections: Mutex::new(Vec::new()),
            http_window: Mutex::new((Instant::now(), 0)),
        });
        let app = Router::new()
            .route("/", post(http_request))
            .route("/ws", get(websocket))
            .route("/pair", post(pair))
            .route("/pair/{id}", get(pairing_status))
            .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
            .layer(middleware::from_fn_with_state(provider.clone(), guard))
            .with_state(provider.clone());
        tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::warn!(%error, "the local provider stopped");
            }
        });
        tracing::info!(%address, "local provider listening");
        Ok(provider)
    }

    /// Where it listens.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Programs waiting to be paired.
    pub fn pending_pairings(&self) -> Vec<Pairing> {
        lock(&self.pairings)
            .values()
            .filter_map(|s| match s {
                PairingState::Waiting(p) => Some(p.clone()),
                _ => None,
            })
            .collect()
    }

    /// The person's answer to a pairing; approving keeps the program's token (hashed) in the
    /// wallet file, which must be unlocked.
    pub fn decide_pairing(&self, id: &str, approve: bool) -> Result<(), String> {
        let mut pairings = lock(&self.pairings);
        let Some(PairingState::Waiting(pairing)) = pairings.get(id) else {
            return Err("this pairing is no longer waiting".into());
        };
        if !approve {
            pairings.insert(id.to_owned(), PairingState::Refused);
            return Ok(());
        }
        let vault = self.host.vault().ok_or("no wallet is open")?;
        let token = random_hex::<32>();
        if token.is_empty() {
            return Err("the system's random source failed".into());
        }
        let client = PairedClient {
            id: random_hex::<8>(),
            name: pairing.name.clone(),
            kind: pairing.kind.clone(),
            created_at: harbor_core::wallet::now(),
        };
        {
            let mut v = lock(&vault);
            if !v.is_unlocked() {
                return Err("unlock Harbor first".into());
            }
            v.add_paired_client(&client, &token)
                .map_err(|e| e.to_string())?;
        }
        pairings.insert(id.to_owned(), PairingState::Approved(token));
        Ok(())
    }

    /// Unpairs a client and closes its connections.
    pub fn unpair(&self, client_id: &str) -> Result<bool, String> {
        let vault = self.host.vault().ok_or("no wallet is open")?;
        let removed = lock(&vault)
            .remove_paired_client(client_id)
            .map_err(|e| e.to_string())?;
        lock(&self.connections).retain(|(c, _)| c.id != client_id);
        Ok(removed)
    }

    /// The person's answer to pending request `id`: carries it out (or rejects it) and answers
    /// the program that asked.
    pub async fn decide(&self, id: u64, approve: bool, account: Option<Address>) -> Decision {
        let engine = self.host.engine().ok_or(DappError::Locked)?;
        let decision = if approve {
            engine.approve(id, account).await
        } else {
            engine.reject(id).and_then(Err)
        };
        if let Some(waiter) = lock(&self.waiters).remove(&id) {
            let _ = waiter.send(clone_decision(&decision));
        }
        self.flush_events();
        decision
    }

    /// The wallet locked: requests waiting for the person are answered 4900, and every
    /// connected site gets `disconnect`.
    pub fn on_locked(&self) {
        let Some(engine) = self.host.engine() else {
            return;
        };
        let origins: Vec<String> = self
            .host
            .vault()
            .and_then(|v| lock(&v).dapp_sessions().ok())
            .unwrap_or_default()
            .into_iter()
            .map(|s| s.origin)
            .collect();
        engine.locked(&origins);
        for (_, waiter) in lock(&self.waiters).drain() {
            let _ = waiter.send(Err(DappError::Locked));
        }
        self.flush_events();
    }

    /// Pushes the engine's events to the connections they are for.
    pub fn flush_events(&self) {
        let Some(engine) = self.host.engine() else {
            return;
        };
        let events = engine.take_events();
        if events.is_empty() {
            return;
        }
        let connections = lock(&self.connections);
        for event in events {
            for (client, sender) in connections.iter() {
                let message = if client.kind == "extension" {
                    json!({"type": "event", "origin": event.origin, "name": event.name, "data": event.data})
                } else if script_origin(client) == event.origin {
                    json!({"jsonrpc": "2.0", "method": "harbor_event", "params": {"name": event.name, "data": event.data}})
                } else {
                    continue;
                };
                let _ = sender.send(message);
            }
        }
    }

    fn client_for(&self, token: &str) -> Option<PairedClient> {
        let vault = self.host.vault()?;
        lock(&vault).paired_client_by_token(token).ok().flatten()
    }

    /// Answers one request of `client`; waits for the person when the engine asks.
    async fn answer(&self, client: &PairedClient, message: &Value) -> Value {
        let id = message.get("id").cloned().unwrap_or(Value::Null);
        let Some(method) = message.get("method").and_then(Value::as_str) else {
            return rpc_error(
                &id,
                harbor_core::codes::INVALID_REQUEST,
                "a request needs a method",
            );
        };
        let params = message.get("params").cloned().unwrap_or(Value::Null);
        // An extension forwards a page's request with the origin it saw; a script is always
        // answered as itself.
        let origin = if client.kind == "extension" {
            match message.get("origin").and_then(Value::as_str) {
                Some(o) if o.starts_with("https://") || o.starts_with("http://") => o.to_owned(),
                _ => {
                    return rpc_error(
                        &id,
                        harbor_core::codes::INVALID_REQUEST,
                        "the extension must name the page's origin",
                    );
                }
            }
        } else {
            script_origin(client)
        };
        let Some(engine) = self.host.engine() else {
            self.host.unlock_wanted();
            return rpc_error(
                &id,
                harbor_core::codes::DISCONNECTED,
                "Harbor has no wallet open yet",
            );
        };
        let outcome = match engine.request(&origin, method, &params).await {
            Ok(Answer::Result(result)) => Ok(result),
            Ok(Answer::Pending(pending)) => {
                let (sender, receiver) = oneshot::channel();
                lock(&self.waiters).insert(pending.id, sender);
                self.host.request_waiting(&pending);
                match tokio::time::timeout(APPROVAL_TIMEOUT, receiver).await {
                    Ok(Ok(decision)) => decision,
                    _ => {
                        lock(&self.waiters).remove(&pending.id);
                        let _ = engine.reject(pending.id);
                        Err(DappError::UserRejected)
                    }
                }
            }
            Err(DappError::Locked) => {
                self.host.unlock_wanted();
                Err(DappError::Locked)
            }
            Err(e) => Err(e),
        };
        self.flush_events();
        match outcome {
            Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
            Err(e) => json!({"jsonrpc": "2.0", "id": id, "error": e.to_rpc_error()}),
        }
    }

    fn http_allowed(&self) -> bool {
        let mut window = lock(&self.http_window);
        if window.0.elapsed() >= Duration::from_secs(1) {
            *window = (Instant::now(), 0);
        }
        window.1 += 1;
        window.1 <= MAX_REQUESTS_PER_SECOND
    }
}

fn clone_decision(d: &Decision) -> Decision {
    match d {
        Ok(v) => Ok(v.clone()),
        Err(e) => Err(DappError::Node {
            code: e.rpc_code(),
            message: e.to_string(),
            data: None,
        }),
    }
}

/// Refuses what no paired program sends: a web page's origin, a foreign `Host`.
async fn guard(State(provider): State<Arc<Provider>>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let port = provider.address.port();
    let host_ok = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|h| {
            [
                format!("127.0.0.1:{port}"),
                format!("localhost:{port}"),
                format!("[::1]:{port}"),
            ]
            .iter()
            .any(|ok| h.eq_ignore_ascii_case(ok))
        });
    if !host_ok {
        return (
            StatusCode::FORBIDDEN,
            "Harbor answers only on the loopback address",
        )
            .into_response();
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let allowed = origin.to_str().is_ok_and(|o| {
            o.starts_with("chrome-extension://") || o.starts_with("moz-extension://")
        });
        if !allowed {
            return (
                StatusCode::FORBIDDEN,
                "web pages cannot use Harbor directly; install the Harbor extension",
            )
                .into_response();
        }
    }
    next.run(request).await
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
}

async fn http_request(
    State(provider): State<Arc<Provider>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let Some(client) = bearer(&headers).and_then(|t| provider.client_for(t)) else {
        return (StatusCode::UNAUTHORIZED, "pair with Harbor first").into_response();
    };
    if !provider.http_allowed() {
        return Json(rpc_error(
            &Value::Null,
            harbor_core::codes::LIMIT_EXCEEDED,
            "too many requests",
        ))
        .into_response();
    }
    let message: Value = match serde_json::from_slice(&body) {
        Ok(m) => m,
        Err(_) => {
            return Json(rpc_error(
                &Value::Null,
                harbor_core::codes::PARSE_ERROR,
                "the request is not JSON",
            ))
            .into_response();
        }
    };
    Json(provider.answer(&client, &message).await).into_response()
}

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

async fn websocket(
    State(provider): State<Arc<Provider>>,
    headers: HeaderMap,
    Query(query): Query<TokenQuery>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let token = query.token.as_deref().or_else(|| bearer(&headers));
    let Some(client) = token.and_then(|t| provider.client_for(t)) else {
        return (StatusCode::UNAUTHORIZED, "pair with Harbor first").into_response();
    };
    if lock(&provider.connections).len() >= MAX_CONNECTIONS {
        return (StatusCode::SERVICE_UNAVAILABLE, "too many connections").into_response();
    }
    upgrade
        .max_message_size(MAX_REQUEST_BYTES)
        .on_upgrade(move |socket| serve_socket(provider, client, socket))
}

async fn serve_socket(provider: Arc<Provider>, client: PairedClient, mut socket: WebSocket) {
    let (events, mut outgoing) = mpsc::unbounded_channel::<Value>();
    lock(&provider.connections).push((client.clone(), events.clone()));
    let mut window = (Instant::now(), 0u32);
    let mut running = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            message = socket.recv() => {
                let text = match message {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    _ => break,
                };
                if window.0.elapsed() >= Duration::from_secs(1) {
                    window = (Instant::now(), 0);
                }
                window.1 += 1;
                let request: Value = match serde_json::from_str(text.as_str()) {
                    Ok(r) => r,
                    Err(_) => {
                        let _ = events.send(rpc_error(&Value::Null, harbor_core::codes::PARSE_ERROR, "the request is not JSON"));
                        continue;
                    }
                };
                if window.1 > MAX_REQUESTS_PER_SECOND {
                    let id = request.get("id").cloned().unwrap_or(Value::Null);
                    let _ = events.send(rpc_error(&id, harbor_core::codes::LIMIT_EXCEEDED, "too many requests"));
                    continue;
                }
                // Requests run side by side: one waiting for the person does not hold up reads.
                let (p, c, out) = (provider.clone(), client.clone(), events.clone());
                running.spawn(async move {
                    let _ = out.send(p.answer(&c, &request).await);
                });
            }
            Some(out) = outgoing.recv() => {
                if socket.send(Message::Text(out.to_string().into())).await.is_err() {
                    break;
                }
            }
            else => break,
        }
        // The client may have been unpaired meanwhile.
        if !lock(&provider.connections)
            .iter()
            .any(|(c, _)| c.id == client.id)
        {
            break;
        }
    }
    running.abort_all();
    let mut connections = lock(&provider.connections);
    connections.retain(|(_, sender)| !sender.same_channel(&events));
}

#[derive(Deserialize)]
struct PairRequest {
    name: String,
    kind: String,
}

async fn pair(State(provider): State<Arc<Provider>>, Json(request): Json<PairRequest>) -> Response {
    let name: String = request
        .name
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(64)
        .collect();
    if name.is_empty() || !matches!(request.kind.as_str(), "extension" | "script") {
        return (
            StatusCode::BAD_REQUEST,
            "a pairing needs a name and a kind (extension or script)",
        )
            .into_response();
    }
    let pairing = {
        let mut pairings = lock(&provider.pairings);
        let waiting = pairings
            .values()
            .filter(|s| matches!(s, PairingState::Waiting(_)))
            .count();
        if waiting >= MAX_PENDING_PAIRINGS {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                "too many pairings are waiting",
            )
                .into_response();
        }
        let code = random_array::<2>()
            .map(|b| format!("{:04}", u16::from_be_bytes(b) % 10_000))
            .unwrap_or_default();
        let pairing = Pairing {
            id: random_hex::<16>(),
            name,
            kind: request.kind,
            code,
        };
        pairings.insert(pairing.id.clone(), PairingState::Waiting(pairing.clone()));
        pairing
    };
    provider.host.pairing_waiting(&pairing);
    Json(json!({"id": pairing.id, "code": pairing.code})).into_response()
}

async fn pairing_status(State(provider): State<Arc<Provider>>, Path(id): Path<String>) -> Response {
    let mut pairings = lock(&provider.pairings);
    match pairings.get(&id) {
        Some(PairingState::Waiting(_)) => Json(json!({"status": "waiting"})).into_response(),
        Some(PairingState::Refused) => {
            pairings.remove(&id);
            Json(json!({"status": "refused"})).into_response()
        }
        Some(PairingState::Approved(_)) => {
            // The token is handed over once.
            let Some(PairingState::Approved(token)) = pairings.remove(&id) else {
                return StatusCode::NOT_FOUND.into_response();
            };
            Json(json!({"status": "approved", "token": token})).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
