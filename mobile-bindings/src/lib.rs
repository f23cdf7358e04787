//! Harbor for iOS and Android apps: the wallet engine (`harbor-core`) through UniFFI.
//!
//! This crate only translates: records and strings in, core calls, records and [`HarborError`]
//! out. Network calls are `async` and run on a tokio runtime owned by this library, so the
//! app's main thread never blocks; vault calls that run Argon2 (create, unlock, password change)
//! are `async` too.

mod error;
mod keys;
mod network;
mod recovery;
mod vault;

use std::future::Future;
use std::sync::OnceLock;

pub use error::{HarborError, Result};
pub use keys::*;
pub use network::*;
pub use recovery::*;
pub use vault::*;

uniffi::setup_scaffolding!("harbor");

/// The library's runtime (two worker threads, created on first use).
fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    static RUNTIME: OnceLock<std::result::Result<tokio::runtime::Runtime, String>> =
        OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            harbor_core::rpc::install_tls_provider();
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("harbor")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| HarborError::internal(format!("cannot start the background runtime: {e}")))
}

/// Runs `future` on the library's runtime; the caller's executor only awaits the result.
async fn run<T, F>(future: F) -> Result<T>
where
    T: Send + 'static,
    F: Future<Output = Result<T>> + Send + 'static,
{
    runtime()?
        .spawn(future)
        .await
        .map_err(|e| HarborError::internal(format!("a background task failed: {e}")))?
}

/// Runs blocking work (Argon2, SQLite) on the runtime's blocking pool.
async fn blocking<T, F>(work: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    runtime()?
        .spawn_blocking(work)
        .await
        .map_err(|e| HarborError::internal(format!("a background task failed: {e}")))?
}

/// The version of the Harbor library.
#[uniffi::export]
pub fn harbor_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Does nothing; for measuring the cost of a call across the FFI boundary.
#[uniffi::export]
pub fn noop() {}
