//! The one error the UI receives: a kind it turns into a sentence with a next step in the user's
//! language, and the engine's own message as detail. Never a secret.

use harbor_core::aa::SendError;
use harbor_core::recovery::RecoveryError;
use harbor_core::rpc::RpcError;
use harbor_core::vault::{SecureStoreError, VaultError};
use serde::Serialize;

/// What went wrong, as the UI branches on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum ErrorKind {
    /// No wallet exists yet on this computer.
    NoWallet,
    /// The password does not unlock the wallet.
    WrongPassword,
    /// The wallet is locked (auto-lock or the user locked it).
    Locked,
    /// A recovery phrase with unknown words or a bad checksum.
    InvalidPhrase,
    /// Paper shares that do not fit together.
    InvalidShares,
    /// Something typed is not valid (address, amount, name …).
    InvalidInput,
    /// Not enough coins or tokens for this.
    InsufficientFunds,
    /// A node, bundler or paymaster could not be reached or answered badly.
    Network,
    /// The sponsor declined to pay the gas.
    SponsorDeclined,
    /// The chain or the account refused the operation.
    Rejected,
    /// A recovery step is not possible now.
    Recovery,
    /// The system keyring cannot be used.
    Keyring,
    /// The wallet file cannot be read or written.
    Storage,
    /// A bug in Harbor.
    Internal,
}

/// An error shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type, thiserror::Error)]
#[serde(rename_all = "camelCase")]
#[error("{message}")]
pub struct UiError {
    /// What kind of problem it is.
    pub kind: ErrorKind,
    /// The engine's explanation (English), shown as detail.
    pub message: String,
    /// For an invalid phrase: the 1-based positions of words that are not in the word list.
    pub word_positions: Vec<u32>,
}

/// Results of the desktop commands.
pub type UiResult<T> = Result<T, UiError>;

impl UiError {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl ToString) -> Self {
        Self {
            kind,
            message: message.to_string(),
            word_positions: Vec::new(),
        }
    }

    /// Invalid input described by `message`.
    pub fn input(message: impl ToString) -> Self {
        Self::new(ErrorKind::InvalidInput, message)
    }

    /// A bug.
    pub fn internal(message: impl ToString) -> Self {
        Self::new(ErrorKind::Internal, message)
    }
}

impl From<VaultError> for UiError {
    fn from(e: VaultError) -> Self {
        let kind = match &e {
            VaultError::WrongPassword => ErrorKind::WrongPassword,
            VaultError::Locked => ErrorKind::Locked,
            VaultError::NotFound(_) => ErrorKind::NoWallet,
            VaultError::Mnemonic(m) => return m.clone().into(),
            VaultError::Shares(_)
            | VaultError::PassphraseNotInShares
            | VaultError::SharesGiveAnotherWallet { .. } => ErrorKind::InvalidShares,
            VaultError::SecureStore(_)
            | VaultError::KeyringNotEnabled
            | VaultError::KeyringKeyMissing => ErrorKind::Keyring,
            VaultError::NotAVault
            | VaultError::Corrupted(_)
            | VaultError::TooNew { .. }
            | VaultError::InUse
            | VaultError::Storage(_) => ErrorKind::Storage,
            VaultError::AlreadyExists(_)
            | VaultError::PasswordTooShort { .. }
            | VaultError::WeakKdfParams
            | VaultError::InvalidKdfParams
            | VaultError::InvalidName
            | VaultError::WalletNotFound(_)
            | VaultError::AccountNotFound { .. }
            | VaultError::AlreadyImported { .. }
            | VaultError::NotAMnemonicWallet
            | VaultError::Chain(_)
            | VaultError::Hd(_) => ErrorKind::InvalidInput,
            _ => ErrorKind::Internal,
        };
        Self::new(kind, e)
    }
}

impl From<harbor_core::keys::MnemonicError> for UiError {
    fn from(e: harbor_core::keys::MnemonicError) -> Self {
        let word_positions = match &e {
            harbor_core::keys::MnemonicError::UnknownWords { words, .. } => {
                words.iter().map(|w| w.position as u32).collect()
            }
            _ => Vec::new(),
        };
        Self {
            kind: ErrorKind::InvalidPhrase,
            message: e.to_string(),
            word_positions,
        }
    }
}

impl From<harbor_core::recovery::shamir::Slip39Error> for UiError {
    fn from(e: harbor_core::recovery::shamir::Slip39Error) -> Self {
        Self::new(ErrorKind::InvalidShares, e)
    }
}

impl From<SecureStoreError> for UiError {
    fn from(e: SecureStoreError) -> Self {
        Self::new(ErrorKind::Keyring, e)
    }
}

impl From<RpcError> for UiError {
    fn from(e: RpcError) -> Self {
        Self::new(ErrorKind::Network, e)
    }
}

impl From<SendError> for UiError {
    fn from(e: SendError) -> Self {
        let kind = match &e {
            SendError::SponsorshipRefused { .. } => ErrorKind::SponsorDeclined,
            SendError::InsufficientFunds { .. } => ErrorKind::InsufficientFunds,
            SendError::Rejected { .. } | SendError::Reverted { .. } => ErrorKind::Rejected,
            SendError::Service { .. } | SendError::Timeout { .. } => ErrorKind::Network,
            SendError::NoCalls
            | SendError::WrongChain { .. }
            | SendError::UnsupportedEntryPoint(_)
            | SendError::InvalidOperation(_) => ErrorKind::InvalidInput,
            _ => ErrorKind::Internal,
        };
        Self::new(kind, e)
    }
}

impl From<RecoveryError> for UiError {
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
            _ => Self::new(ErrorKind::Recovery, e),
        }
    }
}

impl From<harbor_core::chains::ChainError> for UiError {
    fn from(e: harbor_core::chains::ChainError) -> Self {
        Self::input(e)
    }
}

impl From<harbor_core::keys::KeyError> for UiError {
    fn from(e: harbor_core::keys::KeyError) -> Self {
        Self::input(e)
    }
}

impl From<harbor_core::tokens::AmountError> for UiError {
    fn from(e: harbor_core::tokens::AmountError) -> Self {
        Self::input(e)
    }
}

/// Parses an address typed or pasted by the user.
pub fn parse_address(text: &str) -> UiResult<alloy_primitives::Address> {
    let t = text.trim();
    t.parse().map_err(|_| {
        UiError::input(format!(
            "\u{201c}{t}\u{201d} is not an address (0x followed by 40 hex characters)"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vault_errors_map_to_what_the_user_can_do() {
        assert_eq!(
            UiError::from(VaultError::WrongPassword).kind,
            ErrorKind::WrongPassword
        );
        assert_eq!(UiError::from(VaultError::Locked).kind, ErrorKind::Locked);
        assert_eq!(UiError::from(VaultError::InUse).kind, ErrorKind::Storage);
    }

    #[test]
    fn bad_addresses_are_input_errors_that_quote_the_text() {
        let e = parse_address(" 0x12 ").unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput);
        assert!(e.message.contains("0x12"));
        assert!(parse_address("0x1234567890abcdef1234567890abcdef12345678").is_ok());
    }
}
