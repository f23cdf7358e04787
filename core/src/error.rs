//! One error vocabulary for every shell: each public error of the core answers
//! [`ErrorKind`] — what the person (or the app) can do about it — through [`Classified`]. The
//! desktop app's `UiError` and the mobile bindings' `HarborError` are mechanical mappings of it,
//! so both shells always say the same thing about the same failure.
//!
//! Each error enum decides its variants' kinds in an exhaustive `match` next to its definition:
//! a new variant does not compile until someone decides what it means for the user.

use serde::{Deserialize, Serialize};

/// What kind of failure it is, as a user interface branches on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ErrorKind {
    /// There is no wallet (vault file) yet.
    NoWallet,
    /// The password does not unlock the wallet.
    WrongPassword,
    /// The wallet is locked.
    Locked,
    /// A recovery phrase with unknown words or a bad checksum.
    InvalidPhrase,
    /// Paper shares that do not fit together (or give another wallet).
    InvalidShares,
    /// Something typed or pasted is not valid (an address, an amount, a name, a link …).
    InvalidInput,
    /// What was asked for does not exist (a wallet, an account, a recovery, a chain).
    NotFound,
    /// Not enough coins or tokens.
    InsufficientFunds,
    /// A node, bundler or paymaster could not be reached or answered badly.
    Network,
    /// The sponsor declined to pay the gas.
    SponsorDeclined,
    /// The chain or the account refused the operation.
    Rejected,
    /// A recovery step is not possible now.
    Recovery,
    /// The platform's secure store (OS keyring, Keychain, Keystore) cannot be used.
    SecureStore,
    /// The wallet file cannot be read or written.
    Storage,
    /// A bug in Harbor.
    Internal,
}

impl ErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: [ErrorKind; 15] = [
        ErrorKind::NoWallet,
        ErrorKind::WrongPassword,
        ErrorKind::Locked,
        ErrorKind::InvalidPhrase,
        ErrorKind::InvalidShares,
        ErrorKind::InvalidInput,
        ErrorKind::NotFound,
        ErrorKind::InsufficientFunds,
        ErrorKind::Network,
        ErrorKind::SponsorDeclined,
        ErrorKind::Rejected,
        ErrorKind::Recovery,
        ErrorKind::SecureStore,
        ErrorKind::Storage,
        ErrorKind::Internal,
    ];

    /// The kind's stable name (`wrongPassword`), as user interfaces and logs use it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NoWallet => "noWallet",
            ErrorKind::WrongPassword => "wrongPassword",
            ErrorKind::Locked => "locked",
            ErrorKind::InvalidPhrase => "invalidPhrase",
            ErrorKind::InvalidShares => "invalidShares",
            ErrorKind::InvalidInput => "invalidInput",
            ErrorKind::NotFound => "notFound",
            ErrorKind::InsufficientFunds => "insufficientFunds",
            ErrorKind::Network => "network",
            ErrorKind::SponsorDeclined => "sponsorDeclined",
            ErrorKind::Rejected => "rejected",
            ErrorKind::Recovery => "recovery",
            ErrorKind::SecureStore => "secureStore",
            ErrorKind::Storage => "storage",
            ErrorKind::Internal => "internal",
        }
    }
}

/// An error of the core that says which [`ErrorKind`] it is.
pub trait Classified: std::error::Error {
    /// What kind of failure it is.
    fn kind(&self) -> ErrorKind;

    /// For an invalid recovery phrase: the 1-based positions of the words not in the word list
    /// (never the words themselves).
    fn word_positions(&self) -> Vec<u32> {
        Vec::new()
    }
}

/// Calls `$m!` with every public error type of the core, so a shell implements its `From`
/// conversions once, over the whole list (a new error type reaches every shell).
#[macro_export]
macro_rules! for_each_error {
    ($m:ident) => {
        $m!(
            $crate::aa::SendError,
            $crate::aa::UserOperationError,
            $crate::chains::ChainError,
            $crate::dapp::DappError,
            $crate::evm::SignatureError,
            $crate::evm::TxError,
            $crate::evm::TypedDataError,
            $crate::keys::HdError,
            $crate::keys::KeyError,
            $crate::keys::MnemonicError,
            $crate::keys::PathError,
            $crate::keys::SignError,
            $crate::recovery::RecoveryError,
            $crate::recovery::shamir::Slip39Error,
            $crate::rpc::RpcError,
            $crate::tokens::AmountError,
            $crate::vault::SecureStoreError,
            $crate::vault::VaultError,
            $crate::wallet::WalletError,
        );
    };
}

/// Implements [`Classified`] for an error enum from an exhaustive `kind` function written next
/// to it (and, optionally, a `word_positions` one).
#[macro_export]
#[doc(hidden)]
macro_rules! classified {
    ($error:ty, $kind:expr) => {
        impl $crate::error::Classified for $error {
            fn kind(&self) -> $crate::error::ErrorKind {
                ($kind)(self)
            }
        }
    };
    ($error:ty, $kind:expr, $positions:expr) => {
        impl $crate::error::Classified for $error {
            fn kind(&self) -> $crate::error::ErrorKind {
                ($kind)(self)
            }

            fn word_positions(&self) -> Vec<u32> {
                ($positions)(self)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_have_distinct_stable_names() {
        let names: std::collections::HashSet<_> =
            ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), ErrorKind::ALL.len());
        for kind in ErrorKind::ALL {
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::json!(kind.as_str())
            );
        }
    }
}
