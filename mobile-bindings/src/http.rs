//! The app's HTTP stack: the library makes no connection of its own. The app hands in an
//! [`HttpTransport`] once at start-up (OkHttp or `HttpURLConnection` on Android, `URLSession`
//! on iOS), so requests follow the platform's trust store, proxies and VPN rules, and the
//! library carries no TLS stack of its own.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use harbor_core::rpc::{self, HttpFailure, HttpFuture};

use crate::error::{HarborError, Result};

/// One HTTP request the library needs made: a POST of JSON when `body` is set, a GET otherwise.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpRequest {
    /// The full URL (it may hold an API key: do not log it).
    pub url: String,
    /// JSON to POST with `Content-Type: application/json`; none for a GET.
    pub body: Option<String>,
    /// Milliseconds allowed for the whole exchange.
    pub timeout_ms: u64,
    /// Largest body to accept; stop and fail beyond it.
    pub max_bytes: u64,
}

/// The server's answer, whatever its status.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpResponse {
    /// HTTP status code.
    pub status: u16,
    /// The body as received.
    pub body: Vec<u8>,
}

/// Makes HTTP requests for the library, implemented by the app with the platform's HTTP stack.
/// Called on a library thread (never the main thread); may block until the answer is in.
/// Throw `HarborException.Network` when there is no answer (offline, timeout, TLS failure).
#[uniffi::export(with_foreign)]
pub trait HttpTransport: Send + Sync {
    /// Makes `request` and returns the answer.
    fn send(&self, request: HttpRequest) -> Result<HttpResponse>;
}

/// The transport in use, set by [`set_http_transport`].
static TRANSPORT: RwLock<Option<Arc<dyn HttpTransport>>> = RwLock::new(None);

/// Sets the HTTP stack every network call goes through; call it once at start-up, before the
/// first network call (a later call replaces it for the calls that follow).
#[uniffi::export]
pub fn set_http_transport(transport: Arc<dyn HttpTransport>) {
    match TRANSPORT.write() {
        Ok(mut slot) => *slot = Some(transport),
        Err(poisoned) => *poisoned.into_inner() = Some(transport),
    }
}

fn transport() -> Option<Arc<dyn HttpTransport>> {
    match TRANSPORT.read() {
        Ok(slot) => slot.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    }
}

/// The core's HTTP seam over the app's transport: each request runs on the blocking pool (the
/// app's code may block), bounded by the request's own timeout.
pub(crate) struct AppHttp;

impl rpc::HttpClient for AppHttp {
    fn send(&self, request: rpc::HttpRequest) -> HttpFuture<'_> {
        Box::pin(async move {
            let transport = transport().ok_or_else(|| {
                HttpFailure::Other(
                    "no HTTP transport: call setHttpTransport once at start-up".into(),
                )
            })?;
            let timeout = request.timeout;
            let max_bytes = request.max_bytes;
            let request = HttpRequest {
                url: request.url,
                body: request.body,
                timeout_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
                max_bytes: max_bytes as u64,
            };
            let call = tokio::task::spawn_blocking(move || {
                crate::to_app(|| transport.send(request))
                    .unwrap_or_else(|| Err(HarborError::internal("the app is shutting down")))
            });
            // A little longer than the transport was told, so its own timeout speaks first.
            let answer = tokio::time::timeout(timeout + Duration::from_secs(2), call)
                .await
                .map_err(|_| HttpFailure::Timeout)?
                .map_err(|_| HttpFailure::Other("the app's HTTP transport failed".into()))?
                .map_err(|e| HttpFailure::Other(e.to_string()))?;
            if answer.body.len() > max_bytes {
                return Err(HttpFailure::TooLarge(max_bytes));
            }
            Ok(rpc::HttpResponse {
                status: answer.status,
                body: answer.body,
            })
        })
    }
}

/// The connector every wallet of this library uses: the app's transport.
pub(crate) fn connector() -> Arc<dyn rpc::Connector> {
    Arc::new(rpc::HttpConnector::new(Arc::new(AppHttp)))
}
