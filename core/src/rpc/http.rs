//! The HTTP seam: what the JSON-RPC clients need from an HTTP stack (one request, one answer),
//! and the built-in stack behind the `http` feature. Phone apps hand in the platform's own
//! (OkHttp, URLSession …) instead: smaller, and it follows the system's trust store and proxies.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// One HTTP request: a POST of JSON when `body` is set, a GET otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// The full URL (may hold an API key: never shown or logged).
    pub url: String,
    /// JSON to POST; `None` for a GET.
    pub body: Option<String>,
    /// Time allowed for the whole exchange.
    pub timeout: Duration,
    /// Largest body accepted; a longer answer is a failure.
    pub max_bytes: usize,
}

/// The answer to an [`HttpRequest`], whatever its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// HTTP status code.
    pub status: u16,
    /// The body as received.
    pub body: Vec<u8>,
}

/// Why an HTTP exchange produced no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpFailure {
    /// No answer within the time allowed.
    #[error("timed out")]
    Timeout,
    /// The server could not be reached (DNS, refused, TLS …).
    #[error("connection failed: {0}")]
    Connect(String),
    /// The answer was longer than allowed.
    #[error("the answer is larger than {0} bytes")]
    TooLarge(usize),
    /// Anything else the HTTP stack reported.
    #[error("{0}")]
    Other(String),
}

/// A boxed future answering one [`HttpRequest`].
pub type HttpFuture<'a> =
    Pin<Box<dyn Future<Output = Result<HttpResponse, HttpFailure>> + Send + 'a>>;

/// An HTTP stack that can make one request at a time per call (calls may overlap).
pub trait HttpClient: Send + Sync {
    /// Makes `request` and returns the answer, whatever its status.
    fn send(&self, request: HttpRequest) -> HttpFuture<'_>;
}

#[cfg(feature = "http")]
pub use builtin::ReqwestClient;

#[cfg(feature = "http")]
mod builtin {
    use std::sync::OnceLock;
    use std::time::Duration;

    use super::{HttpClient, HttpFailure, HttpFuture, HttpRequest, HttpResponse};

    /// The built-in HTTP stack: reqwest over rustls (ring), one connection pool, created on
    /// first use.
    #[derive(Debug)]
    pub struct ReqwestClient {
        connect_timeout: Duration,
        client: OnceLock<Result<reqwest::Client, String>>,
    }

    impl Default for ReqwestClient {
        fn default() -> Self {
            Self::with_connect_timeout(super::super::RpcOptions::default().connect_timeout)
        }
    }

    impl ReqwestClient {
        /// A client whose pool is built at its first request.
        pub fn new() -> Self {
            Self::default()
        }

        /// A client giving up on a connection after `connect_timeout`.
        pub fn with_connect_timeout(connect_timeout: Duration) -> Self {
            ReqwestClient {
                connect_timeout,
                client: OnceLock::new(),
            }
        }

        fn client(&self) -> Result<&reqwest::Client, HttpFailure> {
            self.client
                .get_or_init(|| {
                    super::super::install_tls_provider();
                    reqwest::Client::builder()
                        .connect_timeout(self.connect_timeout)
                        .user_agent(concat!("harbor/", env!("CARGO_PKG_VERSION")))
                        .build()
                        .map_err(|e| e.without_url().to_string())
                })
                .as_ref()
                .map_err(|e| HttpFailure::Other(e.clone()))
        }
    }

    fn failure(error: reqwest::Error) -> HttpFailure {
        if error.is_timeout() {
            HttpFailure::Timeout
        } else if error.is_connect() {
            HttpFailure::Connect("connection failed".into())
        } else {
            // reqwest's Display may include the URL, which may hold an API key.
            HttpFailure::Other(error.without_url().to_string())
        }
    }

    impl HttpClient for ReqwestClient {
        fn send(&self, request: HttpRequest) -> HttpFuture<'_> {
            Box::pin(async move {
                let client = self.client()?;
                let builder = match request.body {
                    Some(body) => client
                        .post(&request.url)
                        .header(reqwest::header::CONTENT_TYPE, "application/json")
                        .body(body),
                    None => client.get(&request.url),
                };
                let mut response = builder
                    .header(reqwest::header::ACCEPT, "application/json")
                    .timeout(request.timeout)
                    .send()
                    .await
                    .map_err(failure)?;
                let status = response.status().as_u16();
                let mut body = Vec::new();
                while let Some(chunk) = response.chunk().await.map_err(failure)? {
                    if body.len() + chunk.len() > request.max_bytes {
                        return Err(HttpFailure::TooLarge(request.max_bytes));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(HttpResponse { status, body })
            })
        }
    }
}
