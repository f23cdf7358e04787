//! Guardians of an account: who they are, advice on thresholds, and the owner's cancel call.

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolCall;
use serde::{Deserialize, Serialize};

use crate::aa::{AccountCall, IHarborAccount};

/// Most guardians an account can have (the contract's bound).
pub const MAX_GUARDIANS: usize = 16;

/// What kind of signer a guardian is (shown to the user; the contract treats all alike).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum GuardianKind {
    /// Another person's Harbor wallet (their guardian key or their smart account).
    Person,
    /// A second device of the same user, with its own key.
    OwnDevice,
    /// A hardware wallet's address.
    HardwareWallet,
    /// Any contract that answers ERC-1271 (a multisig, another smart account).
    Contract,
}

impl GuardianKind {
    /// Stable lowercase name (storage, payloads).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Person => "person",
            Self::OwnDevice => "ownDevice",
            Self::HardwareWallet => "hardwareWallet",
            Self::Contract => "contract",
        }
    }

    /// Parses [`GuardianKind::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Person,
            Self::OwnDevice,
            Self::HardwareWallet,
            Self::Contract,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// A guardian as the user knows it: address, the name they gave it, its kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Guardian {
    /// The address that signs approvals.
    pub address: Address,
    /// The name the user gave (stays on this device).
    pub name: String,
    /// What it is.
    pub kind: GuardianKind,
}

/// Something about a guardian set a person should know before saving it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum GuardianWarning {
    /// No guardians: a lost device means a lost account (unless another backup exists).
    NoGuardians,
    /// A single guardian can take the account alone (after the delay, if the owner does not
    /// cancel).
    SingleGuardianCanRecover,
    /// More approvals are required than there are guardians: recovery can never succeed.
    ThresholdUnreachable {
        /// The threshold.
        threshold: u32,
        /// How many guardians there are.
        guardians: u32,
    },
    /// Every guardian must approve: losing touch with one of them blocks recovery.
    EveryGuardianNeeded,
}

impl GuardianWarning {
    /// The warning in plain words.
    pub fn message(&self) -> String {
        match self {
            Self::NoGuardians => {
                "Without guardians, losing this device means losing the account.".into()
            }
            Self::SingleGuardianCanRecover => {
                "One guardian alone could take over your account. Ask at least two people \
                 and require two approvals."
                    .into()
            }
            Self::ThresholdUnreachable {
                threshold,
                guardians,
            } => format!(
                "You require {threshold} approvals but have only {guardians} guardians: \
                 recovery could never succeed."
            ),
            Self::EveryGuardianNeeded => {
                "Every guardian must approve: if you lose touch with one, you cannot recover. \
                 Add a guardian or lower the number of approvals."
                    .into()
            }
        }
    }
}

/// The threshold we suggest for `guardians` guardians: a majority (2 of 3, 3 of 5), and at least
/// 2 when there are 2 or more.
pub fn suggested_threshold(guardians: usize) -> u32 {
    match guardians {
        0 => 0,
        1 => 1,
        n => (n / 2 + 1) as u32,
    }
}

/// Warnings about a guardian set (empty when it is sound).
pub fn review_guardians(guardians: usize, threshold: u32) -> Vec<GuardianWarning> {
    let count = guardians as u32;
    let mut warnings = Vec::new();
    if guardians == 0 {
        warnings.push(GuardianWarning::NoGuardians);
        return warnings;
    }
    if threshold == 0 || threshold > count {
        warnings.push(GuardianWarning::ThresholdUnreachable {
            threshold,
            guardians: count,
        });
        return warnings;
    }
    if threshold == 1 {
        warnings.push(GuardianWarning::SingleGuardianCanRecover);
    }
    if threshold == count && count > 1 {
        warnings.push(GuardianWarning::EveryGuardianNeeded);
    }
    warnings
}

/// The account call that cancels a pending recovery (sent by the owner through the account).
pub fn cancel_call(account: Address) -> AccountCall {
    AccountCall {
        to: account,
        value: U256::ZERO,
        data: IHarborAccount::cancelRecoveryCall {}.abi_encode().into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_and_warnings() {
        assert_eq!(
            (1..=6).map(suggested_threshold).collect::<Vec<_>>(),
            [1, 2, 2, 3, 3, 4]
        );
        assert_eq!(review_guardians(3, 2), []);
        assert_eq!(review_guardians(0, 0), [GuardianWarning::NoGuardians]);
        assert_eq!(
            review_guardians(3, 1),
            [GuardianWarning::SingleGuardianCanRecover]
        );
        assert_eq!(
            review_guardians(2, 3),
            [GuardianWarning::ThresholdUnreachable {
                threshold: 3,
                guardians: 2
            }]
        );
        assert_eq!(
            review_guardians(2, 2),
            [GuardianWarning::EveryGuardianNeeded]
        );
        assert!(
            GuardianWarning::SingleGuardianCanRecover
                .message()
                .contains("One guardian")
        );
    }
}
