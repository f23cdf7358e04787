//! Harbor for iOS and Android apps: the wallet engine (`harbor-core`) through UniFFI.
//!
//! This crate only translates: records and strings in, core calls, records and [`HarborError`]
//! out. Network calls are `async` and run on a tokio runtime owned by this library, so the
//! app's main thread never blocks; vault calls that run Argon2 (create, unlock, password change)
//! are `async` too.

mod dapp;
mod error;
mod http;
mod keys;
mod network;
mod owners;
mod recovery;
mod vault;
mod wallet;

use std::future::Future;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub use dapp::*;
pub use error::{HarborError, Result};
pub use http::*;
pub use keys::*;
pub use network::*;
pub use owners::*;
pub use recovery::*;
pub use vault::*;
pub use wallet::*;

uniffi::setup_scaffolding!("harbor");

/// The library's runtime: one thread drives every network call (a phone needs no more; CPU work
/// such as Argon2 runs on its blocking pool), created on first use.
fn runtime() -> Result<&'static tokio::runtime::Handle> {
    static RUNTIME: OnceLock<std::result::Result<tokio::runtime::Handle, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .thread_name("harbor-blocking")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            let handle = runtime.handle().clone();
            std::thread::Builder::new()
                .name("harbor".to_owned())
                .spawn(move || runtime.block_on(std::future::pending::<()>()))
                .map_err(|e| e.to_string())?;
            Ok(handle)
        })
        .as_ref()
        .map_err(|e| HarborError::internal(format!("cannot start the background runtime: {e}")))
}

/// Calls into the app that are running right now (results handed over, listener callbacks).
static CALLING_APP: AtomicUsize = AtomicUsize::new(0);
/// Set by [`shutdown`]: the app is exiting, nothing calls into it any more.
static CLOSING: AtomicBool = AtomicBool::new(false);

/// Runs `call` into the app from a library thread, unless the app is shutting down (`None`).
///
/// A Python interpreter that is exiting ends any other thread that tries to enter it, by
/// unwinding it; through Rust frames that aborts the whole process. So calls into the app are
/// counted, and [`shutdown`] waits for them before the interpreter goes away.
pub(crate) fn to_app<R>(call: impl FnOnce() -> R) -> Option<R> {
    CALLING_APP.fetch_add(1, Ordering::SeqCst);
    let out = (!CLOSING.load(Ordering::SeqCst)).then(call);
    CALLING_APP.fetch_sub(1, Ordering::SeqCst);
    out
}

/// Hands a finished task's result to the caller awaiting it (which wakes the caller's executor,
/// a call into the app); after [`shutdown`], nothing is handed over.
fn deliver<T>(sender: tokio::sync::oneshot::Sender<T>, value: T) {
    // After shutdown the sender is kept from dropping too: a dropped sender also wakes the
    // caller, which would call into the app.
    let mut sender = Some(sender);
    let _ = to_app(|| sender.take().map(|s| s.send(value)));
    std::mem::forget(sender);
}

/// Runs `future` on the library's runtime; the caller's executor only awaits the result.
async fn run<T, F>(future: F) -> Result<T>
where
    T: Send + 'static,
    F: Future<Output = Result<T>> + Send + 'static,
{
    let (sender, receiver) = tokio::sync::oneshot::channel();
    runtime()?.spawn(async move { deliver(sender, future.await) });
    receiver
        .await
        .map_err(|_| HarborError::internal("a background task failed"))?
}

/// Runs blocking work (Argon2, SQLite) on the runtime's blocking pool.
async fn blocking<T, F>(work: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    let (sender, receiver) = tokio::sync::oneshot::channel();
    runtime()?.spawn_blocking(move || deliver(sender, work()));
    receiver
        .await
        .map_err(|_| HarborError::internal("a background task failed"))?
}

/// Prepares for the app's process to exit: from now on no library thread calls into the app,
/// and calls in progress are waited for (at most a second). Python bindings call it at exit;
/// an app may call it when it is about to terminate.
#[uniffi::export]
pub fn shutdown() {
    CLOSING.store(true, Ordering::SeqCst);
    let started = Instant::now();
    while CALLING_APP.load(Ordering::SeqCst) > 0 && started.elapsed() < Duration::from_secs(1) {
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The version of the Harbor library.
#[uniffi::export]
pub fn harbor_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Does nothing; for measuring the cost of a call across the FFI boundary.
#[uniffi::export]
pub fn noop() {}
