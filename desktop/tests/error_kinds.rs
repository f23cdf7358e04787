//! Both shells say the same thing about the same failure: for every core error variant that
//! can be built here, the desktop's `UiError` and the mobile bindings' `HarborError` carry the
//! core's own `ErrorKind` (and the same message and word positions).

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail by panicking.

use std::path::PathBuf;

use harbor_core::aa::{SendError, UserOperationError};
use harbor_core::chains::ChainError;
use harbor_core::error::{Classified, ErrorKind};
use harbor_core::keys::{Mnemonic, MnemonicError};
use harbor_core::recovery::RecoveryError;
use harbor_core::recovery::shamir::Slip39Error;
use harbor_core::rpc::RpcError;
use harbor_core::tokens::AmountError;
use harbor_core::vault::{SecureStoreError, VaultError};
use harbor_core::wallet::WalletError;
use harbor_core::{Address, B256, U256};
use harbor_desktop::error::UiError;
use harbor_mobile::HarborError;

const A: Address = Address::repeat_byte(0xaa);

/// Checks `$error` (an expression building a fresh error) in both shells; returns its kind.
macro_rules! same {
    ($kinds:ident, $error:expr) => {{
        let core_kind = ($error).kind();
        let ui = UiError::from($error);
        let mobile = HarborError::from($error);
        let ui_kind = serde_json::to_value(ui.kind).expect("kind");
        assert_eq!(ui_kind, core_kind.as_str(), "desktop: {}", ui.message);
        assert_eq!(mobile.kind(), core_kind, "mobile: {mobile}");
        assert_eq!(ui.message, mobile.to_string());
        assert_eq!(ui.word_positions, ($error).word_positions());
        if let HarborError::InvalidPhrase {
            unknown_word_positions,
            ..
        } = &mobile
        {
            assert_eq!(&ui.word_positions, unknown_word_positions);
        }
        $kinds.push(core_kind);
    }};
}

fn unknown_word() -> MnemonicError {
    Mnemonic::parse(&format!("{}zzzz about", "abandon ".repeat(10))).unwrap_err()
}

fn server(code: i64) -> RpcError {
    RpcError::Server {
        code,
        message: "refused".into(),
        data: None,
    }
}

#[test]
fn every_core_error_has_the_same_kind_in_both_shells() {
    let mut kinds = Vec::new();
    // The vault.
    same!(kinds, VaultError::NotFound(PathBuf::from("/x")));
    same!(kinds, VaultError::AlreadyExists(PathBuf::from("/x")));
    same!(kinds, VaultError::NotAVault);
    same!(kinds, VaultError::Corrupted("bad row".into()));
    same!(
        kinds,
        VaultError::TooNew {
            found: 9,
            supported: 3
        }
    );
    same!(kinds, VaultError::InUse);
    same!(kinds, VaultError::Locked);
    same!(kinds, VaultError::WrongPassword);
    same!(kinds, VaultError::PasswordTooShort { min: 8 });
    same!(kinds, VaultError::WeakKdfParams);
    same!(kinds, VaultError::InvalidKdfParams);
    same!(kinds, VaultError::InvalidName);
    same!(kinds, VaultError::WalletNotFound("w".into()));
    same!(
        kinds,
        VaultError::AccountNotFound {
            wallet_id: "w".into(),
            index: 3
        }
    );
    same!(
        kinds,
        VaultError::AlreadyImported {
            existing: "Main".into()
        }
    );
    same!(kinds, VaultError::NotAMnemonicWallet);
    same!(kinds, VaultError::PassphraseNotInShares);
    same!(
        kinds,
        VaultError::SharesGiveAnotherWallet {
            expected: A,
            found: Address::ZERO
        }
    );
    same!(kinds, VaultError::Shares(Slip39Error::RandomSource));
    same!(kinds, VaultError::KeyringNotEnabled);
    same!(kinds, VaultError::KeyringKeyMissing);
    same!(
        kinds,
        VaultError::SecureStore(SecureStoreError::Unavailable("no".into()))
    );
    same!(kinds, VaultError::Mnemonic(unknown_word()));
    same!(kinds, VaultError::Chain(ChainError::EmptyName));
    same!(kinds, VaultError::RandomSource);
    same!(kinds, VaultError::Storage("disk full".into()));
    same!(kinds, SecureStoreError::Failed("denied".into()));
    // Keys, phrases, shares, amounts, networks.
    same!(kinds, unknown_word());
    same!(kinds, Mnemonic::parse("abandon about").unwrap_err());
    same!(
        kinds,
        harbor_core::keys::LocalSigner::from_hex("12").unwrap_err()
    );
    same!(kinds, Slip39Error::RandomSource);
    same!(
        kinds,
        harbor_core::tokens::parse_amount("1.2.3", 6).unwrap_err()
    );
    same!(kinds, AmountError::TooLarge);
    same!(kinds, ChainError::UnknownChain(7));
    same!(kinds, ChainError::BuiltinCannotBeRemoved);
    // The network and sends.
    same!(
        kinds,
        RpcError::Unreachable {
            host: "h".into(),
            message: "refused".into()
        }
    );
    same!(
        kinds,
        RpcError::Http {
            host: "h".into(),
            status: 502
        }
    );
    same!(kinds, server(-32601));
    same!(kinds, SendError::NoCalls);
    same!(kinds, SendError::NoBundler { chain_id: 1 });
    same!(
        kinds,
        SendError::Service {
            service: "bundler",
            source: server(-32500)
        }
    );
    same!(
        kinds,
        SendError::SponsorshipRefused {
            reason: "daily limit".into()
        }
    );
    same!(
        kinds,
        SendError::Rejected {
            reason: "AA23".into()
        }
    );
    same!(
        kinds,
        SendError::Reverted {
            user_op_hash: None,
            reason: "no".into()
        }
    );
    same!(
        kinds,
        SendError::InsufficientFunds {
            needed: U256::from(2),
            available: U256::from(1)
        }
    );
    same!(
        kinds,
        SendError::InvalidOperation(UserOperationError::ValueTooLarge {
            field: "x",
            value: U256::MAX
        })
    );
    same!(
        kinds,
        SendError::HashMismatch {
            expected: B256::ZERO,
            reported: B256::ZERO
        }
    );
    same!(
        kinds,
        SendError::Timeout {
            user_op_hash: B256::ZERO,
            seconds: 60
        }
    );
    // Recovery.
    same!(
        kinds,
        RecoveryError::InvalidThreshold {
            threshold: 3,
            guardians: 2
        }
    );
    same!(kinds, RecoveryError::InvalidPayload("not a link".into()));
    same!(
        kinds,
        RecoveryError::NotAGuardian {
            guardian: A,
            chain_id: 1
        }
    );
    same!(
        kinds,
        RecoveryError::BelowThreshold {
            chain_id: 1,
            have: 1,
            need: 2
        }
    );
    same!(kinds, RecoveryError::NothingPending { chain_id: 1 });
    same!(kinds, RecoveryError::UnknownChain { chain_id: 1 });
    same!(kinds, RecoveryError::Sign("no key".into()));
    same!(kinds, RecoveryError::Rpc(server(-32000)));
    same!(
        kinds,
        RecoveryError::Send(SendError::SponsorshipRefused {
            reason: "no".into()
        })
    );
    // The application layer.
    same!(kinds, WalletError::InvalidAddress("0x12".into()));
    same!(kinds, WalletError::NotYourAccount(A));
    same!(kinds, WalletError::ZeroAmount);
    same!(
        kinds,
        WalletError::InsufficientFunds {
            available: "1".into(),
            amount: "2".into(),
            symbol: "ETH".into()
        }
    );
    same!(kinds, WalletError::UnknownLanguage("xx".into()));
    same!(kinds, WalletError::NoKeyForRecovery);
    same!(kinds, WalletError::RecoveryNotFound("r".into()));
    same!(kinds, WalletError::EmptyWallet("w".into()));
    same!(kinds, WalletError::RecoveryKeyMissing);
    same!(kinds, WalletError::Vault(VaultError::WrongPassword));
    same!(kinds, WalletError::Mnemonic(unknown_word()));
    same!(kinds, WalletError::Send(SendError::NoCalls));

    // Every kind a person can meet is reached by some error above, except the shells' own.
    for kind in ErrorKind::ALL {
        if kind != ErrorKind::NoWallet {
            assert!(
                kinds.contains(&kind),
                "no core error of kind {kind:?} was checked"
            );
        }
    }
}

#[test]
fn an_unknown_word_is_named_by_position_in_both_shells() {
    let ui = UiError::from(unknown_word());
    assert_eq!(ui.word_positions, vec![11]);
    assert!(!ui.message.contains("zzzz"));
    let HarborError::InvalidPhrase {
        unknown_word_positions,
        reason,
    } = HarborError::from(unknown_word())
    else {
        panic!("not an invalid phrase");
    };
    assert_eq!(unknown_word_positions, vec![11]);
    assert!(!reason.contains("zzzz"));
}
