//! The one error type apps see: variants a UI can branch on, each with a message for people.

use harbor_core::aa::SendError;
use harbor_core::keys::MnemonicError;
use harbor_core::recovery::RecoveryError;
use harbor_core::recovery::shamir::Slip39Error;
use harbor_core::rpc::RpcError;
use harbor_core::vault::{SecureStoreError, VaultError};

/// Why a Harbor call failed. Messages are sentences for the user and never contain secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum HarborError {
    /// The password is wrong.
    #[error("{message}")]
    WrongPassword {
        /// What to tell the user.
        message: String,
    },
    /// The vault is locked: unlock it first.
    #[error("{message}")]
    Locked {
        /// What to tell the user.
        message: String,
    },
    /// A recovery phrase is not valid (word count, unknown words with their positions, checksum).
    #[error("{message}")]
    InvalidMnemonic {
        /// What to tell the user.
        message: String,
        /// Positions (from 1) of words not in the word list.
        unknown_word_positions: Vec<u32>,
    },
    /// Paper shares (SLIP-39) do not combine.
    #[error("{message}")]
    InvalidShares {
        /// What to tell the user.
        message: String,
    },
    /// Any other input the user can fix (an address, an amount, a name, a link, a network).
    #[error("{message}")]
    InvalidInput {
        /// What to tell the user.
        message: String,
    },
    /// A node, bundler or paymaster could not be reached or failed; retrying may help.
    #[error("{message}")]
    Network {
        /// What to tell the user.
        message: String,
    },
    /// The sponsor declined to pay for this operation (its policy); the account can pay itself.
    #[error("{message}")]
    PolicyRejected {
        /// What to tell the user.
        message: String,
    },
    /// The operation was refused or reverted on chain, with the chain's reason in words.
    #[error("{message}")]
    Rejected {
        /// What to tell the user.
        message: String,
    },
    /// A recovery step is not possible now (below threshold, expired, not a guardian, …).
    #[error("{message}")]
    Recovery {
        /// What to tell the user.
        message: String,
    },
    /// The app's secure store (Keychain / Keystore) failed or is unavailable.
    #[error("{message}")]
    SecureStore {
        /// What to tell the user.
        message: String,
    },
    /// The vault file is damaged, from a newer app, or in use by another process.
    #[error("{message}")]
    Storage {
        /// What to tell the user.
        message: String,
    },
    /// A bug or an unexpected state: not the user's fault.
    #[error("{message}")]
    Internal {
        /// What to report.
        message: String,
    },
}

impl HarborError {
    /// Whether the user can fix it by changing what they entered.
    pub fn is_user_fixable(&self) -> bool {
        matches!(
            self,
            Self::WrongPassword { .. }
                | Self::InvalidMnemonic { .. }
                | Self::InvalidShares { .. }
                | Self::InvalidInput { .. }
                | Self::Locked { .. }
        )
    }

    pub(crate) fn input(message: impl ToString) -> Self {
        Self::InvalidInput {
            message: message.to_string(),
        }
    }

    pub(crate) fn internal(message: impl ToString) -> Self {
        Self::Internal {
            message: message.to_string(),
        }
    }
}

impl From<MnemonicError> for HarborError {
    fn from(e: MnemonicError) -> Self {
        let unknown_word_positions = match &e {
            MnemonicError::UnknownWords { words, .. } => {
                words.iter().map(|w| w.position as u32).collect()
            }
            _ => Vec::new(),
        };
        Self::InvalidMnemonic {
            message: e.to_string(),
            unknown_word_positions,
        }
    }
}

impl From<Slip39Error> for HarborError {
    fn from(e: Slip39Error) -> Self {
        match e {
            Slip39Error::RandomSource => Self::internal(e),
            _ => Self::InvalidShares {
                message: e.to_string(),
            },
        }
    }
}

impl From<SecureStoreError> for HarborError {
    fn from(e: SecureStoreError) -> Self {
        Self::SecureStore {
            message: e.to_string(),
        }
    }
}

impl From<VaultError> for HarborError {
    fn from(e: VaultError) -> Self {
        let message = e.to_string();
        match e {
            VaultError::WrongPassword => Self::WrongPassword { message },
            VaultError::Locked => Self::Locked { message },
            VaultError::Mnemonic(m) => m.into(),
            VaultError::Shares(s) => s.into(),
            VaultError::SharesGiveAnotherWallet { .. } => Self::InvalidShares { message },
            VaultError::SecureStore(s) => s.into(),
            VaultError::KeyringNotEnabled | VaultError::KeyringKeyMissing => {
                Self::SecureStore { message }
            }
            VaultError::NotFound(_)
            | VaultError::AlreadyExists(_)
            | VaultError::PasswordTooShort { .. }
            | VaultError::WeakKdfParams
            | VaultError::InvalidKdfParams
            | VaultError::InvalidName
            | VaultError::WalletNotFound(_)
            | VaultError::AccountNotFound { .. }
            | VaultError::AlreadyImported { .. }
            | VaultError::NotAMnemonicWallet
            | VaultError::PassphraseNotInShares
            | VaultError::Chain(_)
            | VaultError::Hd(_) => Self::InvalidInput { message },
            VaultError::NotAVault
            | VaultError::Corrupted(_)
            | VaultError::TooNew { .. }
            | VaultError::InUse
            | VaultError::Storage(_) => Self::Storage { message },
            _ => Self::Internal { message },
        }
    }
}

impl From<RpcError> for HarborError {
    fn from(e: RpcError) -> Self {
        Self::Network {
            message: e.to_string(),
        }
    }
}

impl From<SendError> for HarborError {
    fn from(e: SendError) -> Self {
        let message = e.to_string();
        match e {
            SendError::SponsorshipRefused { .. } => Self::PolicyRejected { message },
            SendError::Rejected { .. } | SendError::Reverted { .. } => Self::Rejected { message },
            SendError::Service { .. } | SendError::Timeout { .. } => Self::Network { message },
            SendError::NoCalls
            | SendError::WrongChain { .. }
            | SendError::UnsupportedEntryPoint(_)
            | SendError::InsufficientFunds { .. }
            | SendError::InvalidOperation(_) => Self::InvalidInput { message },
            _ => Self::Internal { message },
        }
    }
}

impl From<RecoveryError> for HarborError {
    fn from(e: RecoveryError) -> Self {
        match e {
            RecoveryError::Send(s) => s.into(),
            RecoveryError::Rpc(r) => r.into(),
            RecoveryError::InvalidPayload(_)
            | RecoveryError::WrongPayload { .. }
            | RecoveryError::InvalidGuardian { .. }
            | RecoveryError::TooManyGuardians { .. }
            | RecoveryError::InvalidThreshold { .. }
            | RecoveryError::UnknownChain { .. } => Self::input(e),
            _ => Self::Recovery {
                message: e.to_string(),
            },
        }
    }
}

impl From<harbor_core::chains::ChainError> for HarborError {
    fn from(e: harbor_core::chains::ChainError) -> Self {
        Self::input(e)
    }
}

impl From<harbor_core::keys::SignError> for HarborError {
    fn from(e: harbor_core::keys::SignError) -> Self {
        Self::internal(e)
    }
}

impl From<harbor_core::keys::KeyError> for HarborError {
    fn from(e: harbor_core::keys::KeyError) -> Self {
        Self::input(e)
    }
}

impl From<harbor_core::tokens::AmountError> for HarborError {
    fn from(e: harbor_core::tokens::AmountError) -> Self {
        Self::input(e)
    }
}

impl From<harbor_core::evm::TxError> for HarborError {
    fn from(e: harbor_core::evm::TxError) -> Self {
        Self::input(e)
    }
}

impl From<harbor_core::evm::TypedDataError> for HarborError {
    fn from(e: harbor_core::evm::TypedDataError) -> Self {
        Self::input(e)
    }
}

/// Result of every exported call.
pub type Result<T, E = HarborError> = std::result::Result<T, E>;

/// Parses an address typed or pasted by the user.
pub(crate) fn parse_address(text: &str) -> Result<alloy_primitives::Address> {
    text.trim().parse().map_err(|_| {
        HarborError::input(format!("\u{201c}{}\u{201d} is not an address", text.trim()))
    })
}
