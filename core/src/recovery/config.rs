//! The account's recovery settings (guardians, threshold, security delay) as the owner signs them
//! once for every chain: a versioned `HarborConfig` in an EIP-712 domain without a chain id, which
//! anyone may apply on any chain where its version is newer. So a chain where the account is
//! deployed later gets the same guardians, and a recovery can follow the account there.

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::{SolCall, SolStruct, eip712_domain, sol};
use serde::{Deserialize, Serialize};

use super::{MAX_GUARDIANS, RecoveryError};
use crate::aa::{AccountCall, AccountConfig, IHarborAccount};
use crate::evm::{parse_signature, recover_address};
use crate::keys::Signer;

/// Security delay of a new account and of settings that do not name one (2 days).
pub const DEFAULT_SECURITY_DELAY: u64 = 2 * 86_400;
/// Shortest security delay the account accepts, on every chain (1 day).
pub const MIN_SECURITY_DELAY: u64 = 86_400;
/// Longest security delay the account accepts (90 days).
pub const MAX_SECURITY_DELAY: u64 = 90 * 86_400;

sol! {
    /// The owner's settings, as HarborAccount hashes them (EIP-712, no chain id in the domain).
    struct HarborConfig {
        address[] guardians;
        uint256 threshold;
        uint256 securityDelay;
        uint256 version;
    }
}

/// Guardians, threshold and delay with the owner's signature, valid on every chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedConfig {
    /// Guardian addresses, in the order the owner signed them.
    pub guardians: Vec<Address>,
    /// Approvals a recovery needs (0 only with no guardians: recovery off).
    pub threshold: u32,
    /// Seconds between the start of a recovery and when it can complete.
    pub security_delay: u64,
    /// Version: a chain applies a config only when it is newer than the one it has.
    pub version: u64,
    /// The owner's signature over [`config_digest`].
    pub signature: Bytes,
}

/// The digest the owner of `account` signs for these settings: the same on every chain.
pub fn config_digest(
    account: Address,
    guardians: &[Address],
    threshold: u32,
    security_delay: u64,
    version: u64,
) -> B256 {
    let domain = eip712_domain! {
        name: "HarborAccount",
        version: "1",
        verifying_contract: account,
    };
    HarborConfig {
        guardians: guardians.to_vec(),
        threshold: U256::from(threshold),
        securityDelay: U256::from(security_delay),
        version: U256::from(version),
    }
    .eip712_signing_hash(&domain)
}

/// Checks settings as the account will: distinct guardians that are neither zero, the account
/// nor its owner; at most [`MAX_GUARDIANS`]; a reachable threshold (0 only without guardians);
/// a delay within bounds.
pub fn check_settings(
    account: Address,
    owner: Address,
    guardians: &[Address],
    threshold: u32,
    security_delay: u64,
) -> Result<(), RecoveryError> {
    if guardians.len() > MAX_GUARDIANS {
        return Err(RecoveryError::TooManyGuardians {
            count: guardians.len(),
        });
    }
    let mut seen = std::collections::HashSet::new();
    for g in guardians {
        let reason = if g.is_zero() {
            Some("the zero address cannot sign")
        } else if *g == account {
            Some("an account cannot guard itself")
        } else if *g == owner {
            Some("the owner key cannot be its own guardian")
        } else if !seen.insert(*g) {
            Some("it is listed twice")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(RecoveryError::InvalidGuardian {
                address: *g,
                reason,
            });
        }
    }
    let n = guardians.len() as u32;
    if threshold > n || (threshold == 0 && n > 0) {
        return Err(RecoveryError::InvalidThreshold {
            threshold,
            guardians: n,
        });
    }
    if !(MIN_SECURITY_DELAY..=MAX_SECURITY_DELAY).contains(&security_delay) {
        return Err(RecoveryError::InvalidSecurityDelay {
            seconds: security_delay,
        });
    }
    Ok(())
}

impl SignedConfig {
    /// Checks and signs settings for `account` as its owner, at `version`.
    pub fn sign(
        account: Address,
        owner: &dyn Signer,
        guardians: &[Address],
        threshold: u32,
        security_delay: u64,
        version: u64,
    ) -> Result<Self, RecoveryError> {
        check_settings(
            account,
            owner.address(),
            guardians,
            threshold,
            security_delay,
        )?;
        let digest = config_digest(account, guardians, threshold, security_delay, version);
        let signature = owner
            .sign_hash(&digest)
            .map_err(|e| RecoveryError::Sign(e.to_string()))?;
        Ok(Self {
            guardians: guardians.to_vec(),
            threshold,
            security_delay,
            version,
            signature: Bytes::from(signature.as_bytes().to_vec()),
        })
    }

    /// The key that signed these settings for `account` (`None` for a bad signature).
    pub fn signer(&self, account: Address) -> Option<Address> {
        let digest = config_digest(
            account,
            &self.guardians,
            self.threshold,
            self.security_delay,
            self.version,
        );
        parse_signature(&self.signature)
            .ok()
            .and_then(|s| recover_address(&digest, &s).ok())
    }

    /// Whether these are the settings `guardians` (in any order) with `threshold` and `delay`.
    pub fn has_settings(&self, guardians: &[Address], threshold: u32, security_delay: u64) -> bool {
        let mut mine = self.guardians.clone();
        let mut theirs = guardians.to_vec();
        mine.sort();
        theirs.sort();
        mine == theirs && self.threshold == threshold && self.security_delay == security_delay
    }

    /// The call that applies these settings to `account` (anyone may send it).
    pub fn apply_call(&self, account: Address) -> AccountCall {
        AccountCall {
            to: account,
            value: U256::ZERO,
            data: IHarborAccount::applyConfigCall {
                config: self.to_abi(),
                signature: self.signature.clone(),
            }
            .abi_encode()
            .into(),
        }
    }

    fn to_abi(&self) -> AccountConfig {
        AccountConfig {
            guardians: self.guardians.clone(),
            threshold: U256::from(self.threshold),
            securityDelay: U256::from(self.security_delay),
            version: U256::from(self.version),
        }
    }

    /// Reads what `latestConfig()` returned; `None` for version 0 (no settings signed yet).
    #[cfg(feature = "net")]
    pub(crate) fn from_abi(config: AccountConfig, signature: Bytes) -> Option<Self> {
        let version = u64::try_from(config.version).ok().filter(|v| *v > 0)?;
        Some(Self {
            guardians: config.guardians,
            threshold: u32::try_from(config.threshold).ok()?,
            security_delay: u64::try_from(config.securityDelay).ok()?,
            version,
            signature,
        })
    }
}

/// The account call that voids every approval handed out for the current recovery nonce (sent
/// by the owner through the account).
pub fn invalidate_approvals_call(account: Address) -> AccountCall {
    AccountCall {
        to: account,
        value: U256::ZERO,
        data: IHarborAccount::invalidateApprovalsCall {}
            .abi_encode()
            .into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::LocalSigner;

    #[test]
    fn settings_are_checked_like_the_contract() {
        let account = Address::repeat_byte(0xaa);
        let owner = Address::repeat_byte(0x0e);
        let [a, b] = [1u8, 2].map(Address::repeat_byte);
        let day = MIN_SECURITY_DELAY;
        assert_eq!(check_settings(account, owner, &[a, b], 2, day), Ok(()));
        assert_eq!(check_settings(account, owner, &[], 0, day), Ok(()));
        for (list, reason) in [
            (vec![a, a], "it is listed twice"),
            (vec![owner], "the owner key cannot be its own guardian"),
            (vec![account], "an account cannot guard itself"),
            (vec![Address::ZERO], "the zero address cannot sign"),
        ] {
            assert_eq!(
                check_settings(account, owner, &list, 1, day),
                Err(RecoveryError::InvalidGuardian {
                    address: list[list.len() - 1],
                    reason
                })
            );
        }
        assert_eq!(
            check_settings(account, owner, &[a, b], 3, day),
            Err(RecoveryError::InvalidThreshold {
                threshold: 3,
                guardians: 2
            })
        );
        assert_eq!(
            check_settings(account, owner, &[a], 0, day),
            Err(RecoveryError::InvalidThreshold {
                threshold: 0,
                guardians: 1
            })
        );
        assert_eq!(
            check_settings(account, owner, &[a], 1, day - 1),
            Err(RecoveryError::InvalidSecurityDelay { seconds: day - 1 })
        );
        let many: Vec<Address> = (1..=17u8).map(Address::repeat_byte).collect();
        assert_eq!(
            check_settings(account, owner, &many, 1, day),
            Err(RecoveryError::TooManyGuardians { count: 17 })
        );
    }

    #[test]
    fn a_signed_config_names_its_signer_and_no_chain() {
        let owner = LocalSigner::from_slice(&[7; 32]).unwrap();
        let account = Address::repeat_byte(0xaa);
        let guardians = [Address::repeat_byte(1), Address::repeat_byte(2)];
        let config = SignedConfig::sign(account, &owner, &guardians, 2, 172_800, 3).unwrap();
        assert_eq!(config.signer(account), Some(owner.address()));
        assert_ne!(
            config.signer(Address::repeat_byte(0xbb)),
            Some(owner.address())
        );
        let mut other = config.clone();
        other.version = 4;
        assert_ne!(other.signer(account), Some(owner.address()));
        assert!(config.has_settings(&[guardians[1], guardians[0]], 2, 172_800));
        assert!(!config.has_settings(&guardians, 1, 172_800));
        let call = config.apply_call(account);
        assert_eq!(call.to, account);
        let decoded = IHarborAccount::applyConfigCall::abi_decode(&call.data).unwrap();
        assert_eq!(decoded.config.version, U256::from(3));
        assert_eq!(decoded.signature, config.signature);
    }
}
