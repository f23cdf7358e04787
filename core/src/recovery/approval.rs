//! Guardian approvals: the EIP-712 digest the account checks, signing it as a guardian, and
//! checking an approval locally before anything is sent.

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::{SolStruct, eip712_domain, sol};
use serde::{Deserialize, Serialize};

use super::{ApprovalBundle, ChainApproval, RecoveryError, RecoveryRequest, SignedConfig};
use crate::chains::ChainRegistry;
use crate::evm::{parse_signature, recover_address};
use crate::keys::Signer;

sol! {
    /// A guardian's approval, as HarborAccount hashes it (EIP-712, domain "HarborAccount" v1).
    struct Recovery {
        address account;
        address newOwner;
        uint256 nonce;
        uint256 deadline;
    }
}

/// The account's recovery-relevant state on one chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountState {
    /// Chain id.
    pub chain_id: u64,
    /// The account.
    pub account: Address,
    /// Whether the account's contract exists on this chain.
    pub deployed: bool,
    /// Current owner key.
    pub owner: Address,
    /// Guardians.
    pub guardians: Vec<Address>,
    /// Guardians that are contracts (checked through ERC-1271).
    pub contract_guardians: Vec<Address>,
    /// Approvals a recovery needs.
    pub threshold: u32,
    /// Seconds between starting and executing a recovery.
    pub security_delay: u64,
    /// Nonce the next recovery approvals must carry.
    pub nonce: U256,
    /// The recovery waiting for its delay, if any.
    pub pending: Option<PendingState>,
    /// The owner-signed settings in force (`None` before the first, or where not deployed).
    #[serde(default)]
    pub config: Option<SignedConfig>,
}

impl AccountState {
    /// Version of the settings in force (0: none signed yet).
    pub fn config_version(&self) -> u64 {
        self.config.as_ref().map_or(0, |c| c.version)
    }

    /// The state this chain has once it caught up with the rest: deployed for `initial_owner`
    /// if it is not yet, and with `latest` applied if that is newer than its own settings.
    pub fn caught_up(&self, latest: Option<&SignedConfig>, initial_owner: Address) -> Self {
        let mut state = self.clone();
        if !state.deployed {
            state.owner = initial_owner;
            state.security_delay = super::DEFAULT_SECURITY_DELAY;
            state.nonce = U256::ZERO;
            state.pending = None;
        }
        if let Some(latest) = latest.filter(|l| l.version > self.config_version()) {
            state.guardians = latest.guardians.clone();
            state
                .contract_guardians
                .retain(|g| latest.guardians.contains(g));
            state.threshold = latest.threshold;
            state.security_delay = latest.security_delay;
            state.config = Some(latest.clone());
            if state.pending.is_some() {
                // Applying newer settings cancels a recovery in its delay (as the owner would).
                state.pending = None;
                state.nonce += U256::from(1);
            }
        }
        state
    }
}

/// The newest settings among `states` (the ones every chain should have).
pub fn latest_config(states: &[AccountState]) -> Option<&SignedConfig> {
    states
        .iter()
        .filter_map(|s| s.config.as_ref())
        .max_by_key(|c| c.version)
}

/// A recovery in its security delay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingState {
    /// Who would become the owner.
    pub new_owner: Address,
    /// Unix time from which it can be executed.
    pub execute_after: u64,
    /// How many guardians approved it.
    pub approvals: u32,
}

/// The digest a guardian signs to approve moving `account` to `new_owner` on `chain_id`.
pub fn recovery_digest(
    chain_id: u64,
    account: Address,
    new_owner: Address,
    nonce: U256,
    deadline: u64,
) -> B256 {
    let domain = eip712_domain! {
        name: "HarborAccount",
        version: "1",
        chain_id: chain_id,
        verifying_contract: account,
    };
    Recovery {
        account,
        newOwner: new_owner,
        nonce,
        deadline: U256::from(deadline),
    }
    .eip712_signing_hash(&domain)
}

/// The digest the owner of Harbor account `account` signs so that the account approves `hash`
/// through ERC-1271.
pub fn harbor_message_digest(chain_id: u64, account: Address, hash: B256) -> B256 {
    crate::aa::account_message_digest(chain_id, account, hash)
}

/// How a guardian signs.
#[derive(Clone, Copy)]
pub enum GuardianSigner<'a> {
    /// A key that is itself the guardian address (a second device, a hardware wallet, the
    /// guardian key of another person's Harbor wallet).
    Key(&'a dyn Signer),
    /// A Harbor smart account that is the guardian, signed for by its owner key (ERC-1271).
    HarborAccount {
        /// The guardian account.
        account: Address,
        /// Its owner key.
        owner: &'a dyn Signer,
    },
}

impl GuardianSigner<'_> {
    /// The guardian address the approvals come from.
    pub fn guardian(&self) -> Address {
        match self {
            Self::Key(k) => k.address(),
            Self::HarborAccount { account, .. } => *account,
        }
    }
}

/// Signs `request` on every chain it names, in one step.
pub fn approve(
    request: &RecoveryRequest,
    signer: GuardianSigner<'_>,
) -> Result<ApprovalBundle, RecoveryError> {
    let mut approvals = Vec::with_capacity(request.chains.len());
    for target in &request.chains {
        let digest = recovery_digest(
            target.chain_id,
            request.account,
            request.new_owner,
            target.nonce,
            target.deadline,
        );
        let signature = match signer {
            GuardianSigner::Key(key) => key.sign_hash(&digest),
            GuardianSigner::HarborAccount { account, owner } => {
                owner.sign_hash(&harbor_message_digest(target.chain_id, account, digest))
            }
        }
        .map_err(|e| RecoveryError::Sign(e.to_string()))?;
        approvals.push(ChainApproval {
            chain_id: target.chain_id,
            nonce: target.nonce,
            deadline: target.deadline,
            signature: Bytes::from(signature.as_bytes().to_vec()),
        });
    }
    Ok(ApprovalBundle {
        account: request.account,
        new_owner: request.new_owner,
        guardian: signer.guardian(),
        approvals,
    })
}

/// What a guardian is asked to approve, in plain words.
pub fn describe_request(
    request: &RecoveryRequest,
    account_name: Option<&str>,
    chains: &ChainRegistry,
) -> String {
    let whose = match account_name {
        Some(name) => format!("{name}'s account {}", request.account),
        None => format!("account {}", request.account),
    };
    let chain_names: Vec<String> = request
        .chains
        .iter()
        .map(|c| {
            chains
                .get(c.chain_id)
                .map_or_else(|_| format!("chain {}", c.chain_id), |ch| ch.name.clone())
        })
        .collect();
    // The latest deadline: an approval stays usable until then on some chain, so that is what
    // the guardian must know (requests made by Harbor use one deadline for every chain).
    let deadline = request.chains.iter().map(|c| c.deadline).max().unwrap_or(0);
    let note = super::payload::clean_note(&request.note);
    let note = if note.is_empty() {
        String::new()
    } else {
        format!(" They wrote: \u{201c}{note}\u{201d}.")
    };
    format!(
        "You are asked to give control of {whose} to a new key, {}, on {}. Approve only if you \
         have confirmed with them in person or by a call that they lost their device.{note} \
         This approval expires at {} (Unix time {deadline}).",
        request.new_owner,
        chain_names.join(", "),
        crate::recovery::format_utc(deadline),
    )
}

/// The result of a local check of one approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureCheck {
    /// The signature recovers to the guardian.
    Verified,
    /// The guardian is a contract: ask it on chain (ERC-1271) with this digest.
    NeedsContractCheck(B256),
}

/// Checks one approval against the request and the account's state on its chain: right account,
/// owner, chain, nonce, not expired, signer is a guardian, signature valid.
pub fn check_approval(
    request: &RecoveryRequest,
    bundle: &ApprovalBundle,
    approval: &ChainApproval,
    state: &AccountState,
    now: u64,
) -> Result<SignatureCheck, RecoveryError> {
    if bundle.account != request.account || state.account != request.account {
        return Err(RecoveryError::WrongAccount {
            expected: request.account,
            found: bundle.account,
        });
    }
    if bundle.new_owner != request.new_owner {
        return Err(RecoveryError::WrongNewOwner {
            expected: request.new_owner,
            found: bundle.new_owner,
        });
    }
    let Some(target) = request
        .chains
        .iter()
        .find(|c| c.chain_id == approval.chain_id)
    else {
        return Err(RecoveryError::ChainNotRequested {
            chain_id: approval.chain_id,
        });
    };
    if approval.deadline != target.deadline || approval.nonce != target.nonce {
        return Err(RecoveryError::NotThisRequest {
            chain_id: approval.chain_id,
        });
    }
    if approval.deadline < now {
        return Err(RecoveryError::Expired {
            deadline: approval.deadline,
        });
    }
    if approval.nonce != state.nonce {
        return Err(RecoveryError::StaleApproval {
            chain_id: approval.chain_id,
        });
    }
    if !state.guardians.contains(&bundle.guardian) {
        return Err(RecoveryError::NotAGuardian {
            guardian: bundle.guardian,
            chain_id: approval.chain_id,
        });
    }
    let digest = recovery_digest(
        approval.chain_id,
        request.account,
        request.new_owner,
        approval.nonce,
        approval.deadline,
    );
    if state.contract_guardians.contains(&bundle.guardian) {
        return Ok(SignatureCheck::NeedsContractCheck(digest));
    }
    let recovered = parse_signature(&approval.signature)
        .ok()
        .and_then(|s| recover_address(&digest, &s).ok());
    if recovered != Some(bundle.guardian) {
        return Err(RecoveryError::BadSignature {
            guardian: bundle.guardian,
        });
    }
    Ok(SignatureCheck::Verified)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recovery::ChainTarget;

    /// Security review, finding 7: the guardian is told the latest deadline, because the
    /// signature stays usable on some chain until then.
    #[test]
    fn the_guardian_is_told_the_latest_deadline() {
        let request = RecoveryRequest {
            account: Address::repeat_byte(0xac),
            new_owner: Address::repeat_byte(0x02),
            chains: vec![
                ChainTarget {
                    chain_id: 1,
                    nonce: U256::ZERO,
                    deadline: 1_800_000_000,
                },
                ChainTarget {
                    chain_id: 10,
                    nonce: U256::ZERO,
                    deadline: 1_900_000_000,
                },
            ],
            note: String::new(),
        };
        let text = describe_request(&request, None, &ChainRegistry::new(vec![]));
        assert!(text.contains("Unix time 1900000000"), "{text}");
        assert!(!text.contains("1800000000"), "{text}");
    }

    #[test]
    fn catching_up_applies_newer_settings_and_cancels_a_pending_recovery() {
        let guardians = vec![Address::repeat_byte(1), Address::repeat_byte(2)];
        let latest = SignedConfig {
            guardians: guardians.clone(),
            threshold: 2,
            security_delay: 3 * 86_400,
            version: 4,
            signature: Bytes::new(),
        };
        let first_key = Address::repeat_byte(0x0f);
        let fresh = AccountState {
            chain_id: 10,
            account: Address::repeat_byte(0xac),
            deployed: false,
            owner: Address::ZERO,
            guardians: vec![],
            contract_guardians: vec![],
            threshold: 0,
            security_delay: 0,
            nonce: U256::ZERO,
            pending: None,
            config: None,
        };
        let caught = fresh.caught_up(Some(&latest), first_key);
        assert_eq!(caught.owner, first_key);
        assert_eq!(caught.guardians, guardians);
        assert_eq!((caught.threshold, caught.security_delay), (2, 3 * 86_400));
        assert_eq!(caught.config_version(), 4);
        assert!(!caught.deployed);

        // Deployed with an older config and a recovery in its delay: it gets cancelled.
        let mut older = fresh.clone();
        older.deployed = true;
        older.owner = first_key;
        older.nonce = U256::from(3);
        older.config = Some(SignedConfig {
            version: 2,
            ..latest.clone()
        });
        older.pending = Some(PendingState {
            new_owner: Address::repeat_byte(0x66),
            execute_after: 10,
            approvals: 1,
        });
        let caught = older.caught_up(Some(&latest), first_key);
        assert_eq!(caught.pending, None);
        assert_eq!(caught.nonce, U256::from(4));
        // Already up to date: nothing changes.
        assert_eq!(caught.caught_up(Some(&latest), first_key), caught);
        assert_eq!(latest_config(&[fresh, older]).map(|c| c.version), Some(2));
    }
}
