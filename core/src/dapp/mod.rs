//! dApps asking the smart account to connect, sign and send (EIP-1193, EIP-5792), answered once
//! for every shell: the desktop provider and apps embedding the mobile bindings route a site's
//! requests here.
//!
//! One job per file: `request` (parsing what a site sends; no state), `error` (the codes a site
//! receives), `siwe` (Sign-In with Ethereum and its phishing signs), `assets` (asset changes and
//! spending rights from logs, call data and permits), `simulate` (running calls on the person's
//! own node first), `summary` (the approval screen's words in three languages) and `engine`
//! (sessions, pending requests, approvals, events).
//!
//! Signatures are the smart account's: ERC-1271 where it is deployed, ERC-6492 where not (see
//! [`crate::aa::sign_as_account`]). Raw-hash `eth_sign` is refused: it lets a site obtain a
//! signature over anything, including a transaction, without the person being able to see it.

pub mod assets;
#[cfg(all(feature = "vault", feature = "net"))]
mod engine;
mod error;
pub mod request;
#[cfg(feature = "net")]
pub mod simulate;
pub mod siwe;
pub mod summary;
#[cfg(test)]
mod tests;

use alloy_primitives::{Bytes, hex};

#[cfg(all(feature = "vault", feature = "net"))]
pub use engine::{Answer, CALLS_VERSION, DappEngine, DappEvent, PendingRequest};
pub use error::DappError;
pub use request::{DappCall, DappRequest, MAX_BATCH_CALLS, PaymasterService, SendCalls};
pub use siwe::{SiweFlag, SiweMessage, parse_siwe};
pub use summary::{RequestKind, Summary, SummaryLanguage};

/// The bytes a `personal_sign` message stands for, as MetaMask's eth-sig-util reads it: `0x`
/// followed by hex digits is hex (an odd number of digits gets a leading zero: `0xabc` is
/// `0x0abc`); anything else is UTF-8 text.
pub fn personal_message_bytes(text: &str) -> Bytes {
    match text.strip_prefix("0x") {
        Some(digits) if digits.chars().all(|c| c.is_ascii_hexdigit()) => {
            let padded = if digits.len() % 2 == 1 {
                format!("0{digits}")
            } else {
                digits.to_owned()
            };
            hex::decode(padded)
                .map_or_else(|_| Bytes::copy_from_slice(text.as_bytes()), Bytes::from)
        }
        _ => Bytes::copy_from_slice(text.as_bytes()),
    }
}
