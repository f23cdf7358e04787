//! JSON-RPC over HTTP: one transport with timeouts and retries, and typed clients for a node,
//! an ERC-7769 bundler and an ERC-7677 paymaster service.

mod bundler;
mod http;
mod node;
mod paymaster;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use bundler::{BundlerClient, GasEstimate, UserOperationReceipt};
#[cfg(feature = "http")]
pub use http::ReqwestClient;
pub use http::{HttpClient, HttpFailure, HttpFuture, HttpRequest, HttpResponse};
pub use node::{BlockHeader, FeeEstimate, Log, NodeClient, TransactionReceipt};
pub use paymaster::{PaymasterClient, PaymasterData, PaymasterStubData, Sponsor};

/// Why a JSON-RPC call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RpcError {
    /// The server could not be reached or did not answer in time (retried before reporting).
    #[error("cannot reach {host}: {message}")]
    Unreachable {
        /// Host of the endpoint (the path, which may hold an API key, is left out).
        host: String,
        /// What failed (connection refused, timeout …).
        message: String,
    },
    /// The server answered with an HTTP error status.
    #[error("{host} answered HTTP {status}")]
    Http {
        /// Host of the endpoint.
        host: String,
        /// HTTP status code.
        status: u16,
    },
    /// The server answered with a JSON-RPC error object.
    #[error("{message} (code {code})")]
    Server {
        /// JSON-RPC error code (ERC-7769 and ERC-7677 define several).
        code: i64,
        /// The server's message.
        message: String,
        /// Extra data, such as revert bytes.
        data: Option<Value>,
    },
    /// The answer was not the JSON-RPC response that was expected.
    #[error("unexpected answer from {host}: {message}")]
    InvalidResponse {
        /// Host of the endpoint.
        host: String,
        /// What was wrong with it.
        message: String,
    },
    /// The endpoint is not an http(s) URL.
    #[error("not a valid http(s) URL: {0}")]
    InvalidUrl(String),
}

crate::classified!(RpcError, |e: &RpcError| match e {
    RpcError::Unreachable { .. }
    | RpcError::Http { .. }
    | RpcError::Server { .. }
    | RpcError::InvalidResponse { .. } => crate::error::ErrorKind::Network,
    RpcError::InvalidUrl(_) => crate::error::ErrorKind::InvalidInput,
});

impl RpcError {
    /// Whether trying again later may succeed (network trouble, rate limits, server overload).
    pub fn is_transient(&self) -> bool {
        match self {
            RpcError::Unreachable { .. } => true,
            RpcError::Http { status, .. } => matches!(status, 408 | 425 | 429 | 502 | 503 | 504),
            // -32005: "limit exceeded" / rate limited (EIP-1474).
            RpcError::Server { code, .. } => *code == crate::codes::LIMIT_EXCEEDED,
            RpcError::InvalidResponse { .. } | RpcError::InvalidUrl(_) => false,
        }
    }

    /// Revert bytes carried in the error's `data`, when the call reverted.
    pub fn revert_data(&self) -> Option<Vec<u8>> {
        let RpcError::Server {
            data: Some(data), ..
        } = self
        else {
            return None;
        };
        let text = match data {
            Value::String(s) => s.as_str(),
            Value::Object(map) => map.get("data").and_then(Value::as_str)?,
            _ => return None,
        };
        alloy_primitives::hex::decode(text).ok()
    }
}

/// Timeouts and retry policy of a transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RpcOptions {
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Connection timeout.
    pub connect_timeout: Duration,
    /// Extra attempts after a transient failure.
    pub retries: u32,
    /// Wait before the first retry; doubled for each further one.
    pub backoff: Duration,
}

impl Default for RpcOptions {
    fn default() -> Self {
        RpcOptions {
            timeout: Duration::from_secs(20),
            connect_timeout: Duration::from_secs(5),
            retries: 3,
            backoff: Duration::from_millis(250),
        }
    }
}

/// Makes rustls use the `ring` provider process-wide unless another one was installed first
/// (called by every transport; call it before building other reqwest clients).
#[cfg(feature = "http")]
pub fn install_tls_provider() {
    static TLS_PROVIDER: std::sync::Once = std::sync::Once::new();
    TLS_PROVIDER.call_once(|| {
        // Fails only when another provider was installed first, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// A boxed future answering one JSON-RPC call.
pub type RpcFuture<'a> = Pin<Box<dyn Future<Output = Result<Value, RpcError>> + Send + 'a>>;

/// Something other than HTTP that answers JSON-RPC calls: an in-process service, or a scripted
/// stand-in so flows over the network have fast tests without a chain.
pub trait RpcBackend: Send + Sync {
    /// Answers `method` with `params` (the `result`, or the error the endpoint returned).
    fn call<'a>(&'a self, method: &'a str, params: &'a Value) -> RpcFuture<'a>;
}

/// Makes the transport for an endpoint URL: HTTP by default; tests swap in [`RpcBackend`]s.
pub trait Connector: Send + Sync {
    /// The transport for `url`.
    fn connect(&self, url: &str) -> Result<RpcTransport, RpcError>;

    /// The HTTP stack for plain requests (sponsor profiles, recovery alerts).
    fn http(&self) -> Arc<dyn HttpClient>;
}

/// The [`Connector`] that reaches endpoints over HTTP(S) through one [`HttpClient`].
#[derive(Clone)]
pub struct HttpConnector {
    client: Arc<dyn HttpClient>,
}

impl std::fmt::Debug for HttpConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HttpConnector")
    }
}

impl HttpConnector {
    /// Reaches endpoints through `client` (the platform's HTTP stack, say).
    pub fn new(client: Arc<dyn HttpClient>) -> Self {
        HttpConnector { client }
    }
}

#[cfg(feature = "http")]
impl Default for HttpConnector {
    /// The built-in HTTP stack.
    fn default() -> Self {
        Self::new(Arc::new(ReqwestClient::new()))
    }
}

impl Connector for HttpConnector {
    fn connect(&self, url: &str) -> Result<RpcTransport, RpcError> {
        RpcTransport::with_client(url, self.client.clone(), RpcOptions::default())
    }

    fn http(&self) -> Arc<dyn HttpClient> {
        self.client.clone()
    }
}

/// The largest JSON-RPC answer read (logs and traces can be large; more is refused).
const MAX_RPC_BYTES: usize = 32 * 1024 * 1024;

/// How a transport reaches its endpoint.
enum Link {
    Http {
        client: Arc<dyn HttpClient>,
        url: String,
    },
    Backend(Arc<dyn RpcBackend>),
}

/// A JSON-RPC 2.0 endpoint reached over HTTP(S) (or through an [`RpcBackend`]).
pub struct RpcTransport {
    link: Link,
    host: String,
    options: RpcOptions,
    next_id: AtomicU64,
}

impl std::fmt::Debug for RpcTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RpcTransport")
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

/// The host of an http(s) URL (safe to show: the path may hold an API key).
pub(crate) fn host_of(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // Drop user:password@ if present.
    let host = host.rsplit('@').next().unwrap_or_default();
    (!host.is_empty()).then(|| host.to_owned())
}

impl RpcTransport {
    /// A transport for `url` over the built-in HTTP stack, with default timeouts and retries.
    #[cfg(feature = "http")]
    pub fn new(url: &str) -> Result<Self, RpcError> {
        Self::with_options(url, RpcOptions::default())
    }

    /// A transport for `url` over the built-in HTTP stack, with the given options.
    #[cfg(feature = "http")]
    pub fn with_options(url: &str, options: RpcOptions) -> Result<Self, RpcError> {
        let client = ReqwestClient::with_connect_timeout(options.connect_timeout);
        Self::with_client(url, Arc::new(client), options)
    }

    /// A transport for `url` over `client`, with the given options.
    pub fn with_client(
        url: &str,
        client: Arc<dyn HttpClient>,
        options: RpcOptions,
    ) -> Result<Self, RpcError> {
        let host = host_of(url).ok_or_else(|| RpcError::InvalidUrl(redact(url)))?;
        Ok(RpcTransport {
            link: Link::Http {
                client,
                url: url.to_owned(),
            },
            host,
            options,
            next_id: AtomicU64::new(1),
        })
    }

    /// A transport answered by `backend`, named `host` in messages (no retries).
    pub fn with_backend(host: &str, backend: Arc<dyn RpcBackend>) -> Self {
        RpcTransport {
            link: Link::Backend(backend),
            host: host.to_owned(),
            options: RpcOptions {
                retries: 0,
                ..RpcOptions::default()
            },
            next_id: AtomicU64::new(1),
        }
    }

    /// The endpoint's host (safe to show; the path may hold an API key).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Calls `method` with `params`, retrying transient failures.
    pub async fn request<P: Serialize, R: DeserializeOwned>(
        &self,
        method: &str,
        params: P,
    ) -> Result<R, RpcError> {
        let params = serde_json::to_value(params).map_err(|e| self.invalid(e.to_string()))?;
        let mut attempt = 0;
        loop {
            match self.request_once(method, &params).await {
                Err(error) if error.is_transient() && attempt < self.options.retries => {
                    let wait = self.options.backoff * 2u32.saturating_pow(attempt);
                    tracing::debug!(method, host = %self.host, %error, attempt, "retrying");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                Err(error) => return Err(error),
                Ok(value) => {
                    return serde_json::from_value(value)
                        .map_err(|e| self.invalid(format!("{method}: {e}")));
                }
            }
        }
    }

    async fn request_once(&self, method: &str, params: &Value) -> Result<Value, RpcError> {
        let (client, url) = match &self.link {
            Link::Http { client, url } => (client, url),
            Link::Backend(backend) => return backend.call(method, params).await,
        };
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body =
            serde_json::json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let response = client
            .send(HttpRequest {
                url: url.clone(),
                body: Some(body.to_string()),
                timeout: self.options.timeout,
                max_bytes: MAX_RPC_BYTES,
            })
            .await
            .map_err(|e| failed(&self.host, e))?;
        let status = response.status;
        let success = (200..300).contains(&status);
        let bytes = response.body;
        let parsed: Option<Value> = serde_json::from_slice(&bytes).ok();
        let Some(mut reply) = parsed.filter(Value::is_object) else {
            if !success {
                return Err(RpcError::Http {
                    host: self.host.clone(),
                    status,
                });
            }
            return Err(self.invalid("the answer is not a JSON object".into()));
        };
        if let Some(error) = reply.get_mut("error").filter(|e| !e.is_null()) {
            let message = match error.get("message").and_then(Value::as_str) {
                Some(message) => message.to_owned(),
                None => {
                    let raw = error.to_string();
                    format!(
                        "unrecognised error {}",
                        raw.chars().take(300).collect::<String>()
                    )
                }
            };
            return Err(RpcError::Server {
                code: error
                    .get("code")
                    .and_then(Value::as_i64)
                    .unwrap_or(crate::codes::INTERNAL_ERROR),
                message,
                data: error.get_mut("data").map(Value::take),
            });
        }
        if !success {
            return Err(RpcError::Http {
                host: self.host.clone(),
                status,
            });
        }
        match reply.get_mut("result") {
            Some(result) => Ok(result.take()),
            None => Err(self.invalid("the answer has neither result nor error".into())),
        }
    }

    fn invalid(&self, message: String) -> RpcError {
        RpcError::InvalidResponse {
            host: self.host.clone(),
            message,
        }
    }
}

/// An HTTP stack's failure as the error of a call to `host` (too long an answer is the
/// server's fault; the rest is the network's).
fn failed(host: &str, failure: HttpFailure) -> RpcError {
    match failure {
        HttpFailure::TooLarge(_) => RpcError::InvalidResponse {
            host: host.to_owned(),
            message: failure.to_string(),
        },
        _ => RpcError::Unreachable {
            host: host.to_owned(),
            message: failure.to_string(),
        },
    }
}

fn redact(url: &str) -> String {
    match host_of(url) {
        Some(host) => host,
        None => url.chars().take(40).collect(),
    }
}

/// Hex quantity helpers for JSON-RPC (`0x`-prefixed, no leading zeros).
pub(crate) fn hex_u64(value: &Value) -> Option<u64> {
    let text = value.as_str()?.strip_prefix("0x")?;
    u64::from_str_radix(text, 16).ok()
}

/// Fetches `url` with a GET through `client` (the same timeouts as JSON-RPC calls, no
/// retries) and returns its body as text, refusing answers over `max_bytes`.
pub async fn fetch_text(
    client: &dyn HttpClient,
    url: &str,
    max_bytes: usize,
) -> Result<String, RpcError> {
    http_text(client, url, None, Duration::ZERO, max_bytes).await
}

/// POSTs `body` as JSON to `url` and returns the answer's text (at most `max_bytes`).
pub async fn post_json(
    client: &dyn HttpClient,
    url: &str,
    body: &Value,
    max_bytes: usize,
) -> Result<String, RpcError> {
    http_text(client, url, Some(body), Duration::ZERO, max_bytes).await
}

/// GET (or POST with `body`) allowing `extra` time beyond the usual timeout (long polls).
pub async fn http_text(
    client: &dyn HttpClient,
    url: &str,
    body: Option<&Value>,
    extra: Duration,
    max_bytes: usize,
) -> Result<String, RpcError> {
    let host = host_of(url).ok_or_else(|| RpcError::InvalidUrl(redact(url)))?;
    let response = client
        .send(HttpRequest {
            url: url.to_owned(),
            body: body.map(Value::to_string),
            timeout: RpcOptions::default().timeout + extra,
            max_bytes,
        })
        .await
        .map_err(|e| failed(&host, e))?;
    if !(200..300).contains(&response.status) {
        return Err(RpcError::Http {
            host,
            status: response.status,
        });
    }
    String::from_utf8(response.body).map_err(|_| RpcError::InvalidResponse {
        host,
        message: "the answer is not text".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_hides_path_and_credentials() {
        assert_eq!(
            host_of("https://eth.example.com/v2/SECRETKEY").as_deref(),
            Some("eth.example.com")
        );
        assert_eq!(
            host_of("http://user:pw@127.0.0.1:8545/x").as_deref(),
            Some("127.0.0.1:8545")
        );
        assert_eq!(host_of("ftp://x"), None);
        assert!(matches!(
            RpcTransport::new("nonsense"),
            Err(RpcError::InvalidUrl(_))
        ));
    }

    #[test]
    fn transient_classification() {
        let server = |code| RpcError::Server {
            code,
            message: String::new(),
            data: None,
        };
        assert!(server(-32005).is_transient());
        assert!(!server(-32602).is_transient());
        assert!(
            RpcError::Http {
                host: "h".into(),
                status: 503
            }
            .is_transient()
        );
        assert!(
            !RpcError::Http {
                host: "h".into(),
                status: 401
            }
            .is_transient()
        );
    }

    #[test]
    fn revert_data_from_string_or_object() {
        let e = RpcError::Server {
            code: 3,
            message: "execution reverted".into(),
            data: Some(Value::String("0x1234".into())),
        };
        assert_eq!(e.revert_data(), Some(vec![0x12, 0x34]));
        let e = RpcError::Server {
            code: 3,
            message: "execution reverted".into(),
            data: Some(serde_json::json!({"data": "0xab"})),
        };
        assert_eq!(e.revert_data(), Some(vec![0xab]));
    }

    #[tokio::test]
    async fn unreachable_is_retried_then_reported_without_path() {
        let options = RpcOptions {
            timeout: Duration::from_millis(500),
            connect_timeout: Duration::from_millis(200),
            retries: 1,
            backoff: Duration::from_millis(1),
        };
        // Port 9 (discard) on loopback is closed on these machines.
        let transport =
            RpcTransport::with_options("http://127.0.0.1:9/secret-key", options).unwrap();
        let error = transport
            .request::<_, Value>("eth_chainId", [(); 0])
            .await
            .unwrap_err();
        assert!(matches!(error, RpcError::Unreachable { .. }), "{error:?}");
        assert!(!error.to_string().contains("secret-key"), "{error}");
    }
}
