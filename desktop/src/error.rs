//! The one error the UI receives: a kind it turns into a sentence with a next step in the user's
//! language, and the engine's own message as detail. Never a secret.
//!
//! The kind is the core's [`harbor_core::error::ErrorKind`], copied mechanically: the desktop
//! decides nothing about what an error means.

use harbor_core::error::{Classified, ErrorKind as CoreKind};
use serde::Serialize;

/// What went wrong, as the UI branches on it (the core's `ErrorKind`, for TypeScript).
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
    /// What was asked for does not exist (a wallet, an account, a recovery, a network).
    NotFound,
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
    SecureStore,
    /// The wallet file cannot be read or written.
    Storage,
    /// A bug in Harbor.
    Internal,
}

impl From<CoreKind> for ErrorKind {
    fn from(kind: CoreKind) -> Self {
        match kind {
            CoreKind::NoWallet => Self::NoWallet,
            CoreKind::WrongPassword => Self::WrongPassword,
            CoreKind::Locked => Self::Locked,
            CoreKind::InvalidPhrase => Self::InvalidPhrase,
            CoreKind::InvalidShares => Self::InvalidShares,
            CoreKind::InvalidInput => Self::InvalidInput,
            CoreKind::NotFound => Self::NotFound,
            CoreKind::InsufficientFunds => Self::InsufficientFunds,
            CoreKind::Network => Self::Network,
            CoreKind::SponsorDeclined => Self::SponsorDeclined,
            CoreKind::Rejected => Self::Rejected,
            CoreKind::Recovery => Self::Recovery,
            CoreKind::SecureStore => Self::SecureStore,
            CoreKind::Storage => Self::Storage,
            CoreKind::Internal => Self::Internal,
        }
    }
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

    /// The UI's error for a classified core error.
    pub fn classified(e: &dyn Classified) -> Self {
        Self {
            kind: e.kind().into(),
            message: e.to_string(),
            word_positions: e.word_positions(),
        }
    }
}

/// `From` every core error, through its own classification.
macro_rules! from_classified {
    ($($error:ty),* $(,)?) => {$(
        impl From<$error> for UiError {
            fn from(e: $error) -> Self {
                Self::classified(&e)
            }
        }
    )*};
}

harbor_core::for_each_error!(from_classified);

/// Parses an address typed or pasted by the user.
pub fn parse_address(text: &str) -> UiResult<alloy_primitives::Address> {
    Ok(harbor_core::wallet::parse_address(text)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    use harbor_core::vault::VaultError;

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
