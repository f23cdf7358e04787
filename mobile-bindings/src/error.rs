//! The one error type apps see: one variant per [`harbor_core::error::ErrorKind`], each with a
//! message for people. The variant is copied mechanically from the core's classification, so
//! an app and the desktop always say the same thing about the same failure.

use harbor_core::error::{Classified, ErrorKind};

/// Why a call failed; apps branch on the variant and may show its `reason` (named so, not
/// `message`, which Kotlin's `Throwable` already has).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum HarborError {
    /// There is no wallet (vault file) yet.
    #[error("{reason}")]
    NoWallet {
        /// What happened, in English.
        reason: String,
    },
    /// The password does not unlock the vault.
    #[error("{reason}")]
    WrongPassword {
        /// What happened, in English.
        reason: String,
    },
    /// The vault is locked; unlock it first.
    #[error("{reason}")]
    Locked {
        /// What happened, in English.
        reason: String,
    },
    /// A recovery phrase with unknown words or a bad checksum.
    #[error("{reason}")]
    InvalidPhrase {
        /// What happened, in English (never the words).
        reason: String,
        /// 1-based positions of the words not in the word list.
        unknown_word_positions: Vec<u32>,
    },
    /// Paper shares that do not fit together (or give another wallet).
    #[error("{reason}")]
    InvalidShares {
        /// What happened, in English.
        reason: String,
    },
    /// Something the user typed or pasted is not valid.
    #[error("{reason}")]
    InvalidInput {
        /// What happened, in English.
        reason: String,
    },
    /// What was asked for does not exist (a wallet, an account, a recovery, a network).
    #[error("{reason}")]
    NotFound {
        /// What happened, in English.
        reason: String,
    },
    /// Not enough coins or tokens.
    #[error("{reason}")]
    InsufficientFunds {
        /// What happened, in English.
        reason: String,
    },
    /// A node, bundler or paymaster could not be reached or answered badly.
    #[error("{reason}")]
    Network {
        /// What happened, in English.
        reason: String,
    },
    /// The sponsor declined to pay the gas.
    #[error("{reason}")]
    SponsorDeclined {
        /// What happened, in English.
        reason: String,
    },
    /// The chain or the account refused the operation.
    #[error("{reason}")]
    Rejected {
        /// What happened, in English.
        reason: String,
    },
    /// A recovery step is not possible now.
    #[error("{reason}")]
    Recovery {
        /// What happened, in English.
        reason: String,
    },
    /// The platform's secure store (Keychain, Keystore) cannot be used.
    #[error("{reason}")]
    SecureStore {
        /// What happened, in English.
        reason: String,
    },
    /// The vault file cannot be read or written.
    #[error("{reason}")]
    Storage {
        /// What happened, in English.
        reason: String,
    },
    /// A bug in Harbor.
    #[error("{reason}")]
    Internal {
        /// What happened, in English.
        reason: String,
    },
}

impl HarborError {
    /// Whether the user can fix it by typing something else.
    pub fn is_user_fixable(&self) -> bool {
        matches!(
            self,
            Self::WrongPassword { .. }
                | Self::InvalidPhrase { .. }
                | Self::InvalidShares { .. }
                | Self::InvalidInput { .. }
                | Self::Locked { .. }
        )
    }

    /// The error for `kind` with `message` (and, for a phrase, unknown word positions).
    pub fn of_kind(kind: ErrorKind, message: String, positions: Vec<u32>) -> Self {
        match kind {
            ErrorKind::NoWallet => Self::NoWallet { reason: message },
            ErrorKind::WrongPassword => Self::WrongPassword { reason: message },
            ErrorKind::Locked => Self::Locked { reason: message },
            ErrorKind::InvalidPhrase => Self::InvalidPhrase {
                reason: message,
                unknown_word_positions: positions,
            },
            ErrorKind::InvalidShares => Self::InvalidShares { reason: message },
            ErrorKind::InvalidInput => Self::InvalidInput { reason: message },
            ErrorKind::NotFound => Self::NotFound { reason: message },
            ErrorKind::InsufficientFunds => Self::InsufficientFunds { reason: message },
            ErrorKind::Network => Self::Network { reason: message },
            ErrorKind::SponsorDeclined => Self::SponsorDeclined { reason: message },
            ErrorKind::Rejected => Self::Rejected { reason: message },
            ErrorKind::Recovery => Self::Recovery { reason: message },
            ErrorKind::SecureStore => Self::SecureStore { reason: message },
            ErrorKind::Storage => Self::Storage { reason: message },
            ErrorKind::Internal => Self::Internal { reason: message },
        }
    }

    /// The error's kind (the core's classification it was made from).
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::NoWallet { .. } => ErrorKind::NoWallet,
            Self::WrongPassword { .. } => ErrorKind::WrongPassword,
            Self::Locked { .. } => ErrorKind::Locked,
            Self::InvalidPhrase { .. } => ErrorKind::InvalidPhrase,
            Self::InvalidShares { .. } => ErrorKind::InvalidShares,
            Self::InvalidInput { .. } => ErrorKind::InvalidInput,
            Self::NotFound { .. } => ErrorKind::NotFound,
            Self::InsufficientFunds { .. } => ErrorKind::InsufficientFunds,
            Self::Network { .. } => ErrorKind::Network,
            Self::SponsorDeclined { .. } => ErrorKind::SponsorDeclined,
            Self::Rejected { .. } => ErrorKind::Rejected,
            Self::Recovery { .. } => ErrorKind::Recovery,
            Self::SecureStore { .. } => ErrorKind::SecureStore,
            Self::Storage { .. } => ErrorKind::Storage,
            Self::Internal { .. } => ErrorKind::Internal,
        }
    }

    /// The app's error for a classified core error.
    pub fn classified(e: &dyn Classified) -> Self {
        Self::of_kind(e.kind(), e.to_string(), e.word_positions())
    }

    pub(crate) fn input(message: impl ToString) -> Self {
        Self::InvalidInput {
            reason: message.to_string(),
        }
    }

    pub(crate) fn internal(message: impl ToString) -> Self {
        Self::Internal {
            reason: message.to_string(),
        }
    }
}

/// `From` every core error, through its own classification.
macro_rules! from_classified {
    ($($error:ty),* $(,)?) => {$(
        impl From<$error> for HarborError {
            fn from(e: $error) -> Self {
                Self::classified(&e)
            }
        }
    )*};
}

harbor_core::for_each_error!(from_classified);

/// Result of every exported call.
pub type Result<T, E = HarborError> = std::result::Result<T, E>;

/// Parses an address typed or pasted by the user.
pub(crate) fn parse_address(text: &str) -> Result<alloy_primitives::Address> {
    Ok(harbor_core::wallet::parse_address(text)?)
}
