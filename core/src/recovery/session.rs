//! A recovery in progress on a new device: per chain, the approvals collected and the stage
//! reached. Plain data (serde) so the vault can keep it across restarts.

use alloy_primitives::{Address, B256, Bytes};
use serde::{Deserialize, Serialize};

use super::approval::{AccountState, SignatureCheck, check_approval};
use super::{ApprovalBundle, RecoveryError, RecoveryRequest};
use crate::aa::HarborAccount;

/// Where the recovery of one chain stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "camelCase")]
pub enum RecoveryStage {
    /// Waiting for guardians' approvals.
    CollectingApprovals,
    /// Enough approvals: the recovery can be started.
    ReadyToSubmit,
    /// Started on chain; executable from `execute_after` (Unix time).
    #[serde(rename_all = "camelCase")]
    Started {
        /// When the security delay ends.
        execute_after: u64,
        /// The transaction that started it, if this device sent it.
        transaction_hash: Option<B256>,
    },
    /// Done: the new key owns the account on this chain.
    #[serde(rename_all = "camelCase")]
    Executed {
        /// The transaction that completed it, if this device sent it.
        transaction_hash: Option<B256>,
    },
    /// The owner cancelled it (or another recovery completed first).
    Cancelled,
    /// The approvals' deadline passed before the recovery started: make a new request.
    Expired,
    /// The account's recovery nonce moved on (another recovery happened): make a new request.
    Stale,
}

impl RecoveryStage {
    /// The stage's stable name (`collectingApprovals`, `started` …), as user interfaces use it.
    pub fn name(&self) -> &'static str {
        match self {
            Self::CollectingApprovals => "collectingApprovals",
            Self::ReadyToSubmit => "readyToSubmit",
            Self::Started { .. } => "started",
            Self::Executed { .. } => "executed",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
            Self::Stale => "stale",
        }
    }

    /// Whether nothing more will happen on this chain.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            Self::Executed { .. } | Self::Cancelled | Self::Expired | Self::Stale
        )
    }
}

/// A collected, verified approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CollectedApproval {
    /// The guardian.
    pub guardian: Address,
    /// Its signature.
    pub signature: Bytes,
}

/// The recovery of one chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainRecovery {
    /// Chain id.
    pub chain_id: u64,
    /// Approvals needed (from the chain).
    pub threshold: u32,
    /// Approvals collected so far.
    pub approvals: Vec<CollectedApproval>,
    /// The stage.
    #[serde(flatten)]
    pub stage: RecoveryStage,
    /// The last problem met on this chain, in words (cleared on progress).
    pub last_error: Option<String>,
}

impl ChainRecovery {
    /// Signers in ascending order with their signatures, as `startRecovery` wants them.
    pub fn sorted_approvals(&self) -> (Vec<Address>, Vec<Bytes>) {
        let mut approvals = self.approvals.clone();
        approvals.sort_by_key(|a| a.guardian);
        approvals
            .into_iter()
            .map(|a| (a.guardian, a.signature))
            .unzip()
    }

    /// Seconds left in the security delay at `now` (0 when it is over), if started.
    pub fn seconds_left(&self, now: u64) -> Option<u64> {
        match self.stage {
            RecoveryStage::Started { execute_after, .. } => Some(execute_after.saturating_sub(now)),
            _ => None,
        }
    }
}

/// An approval that still needs an on-chain ERC-1271 check before it can be accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractCheck {
    /// Chain id.
    pub chain_id: u64,
    /// The guardian contract.
    pub guardian: Address,
    /// The digest it must accept.
    pub digest: B256,
    /// The signature to show it.
    pub signature: Bytes,
}

/// Where a key is kept in the vault: a wallet and an account index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyLocation {
    /// The vault wallet id.
    pub wallet_id: String,
    /// The account index within it.
    pub index: u32,
}

/// A recovery started on this device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecoverySession {
    /// Stable id (account and new owner).
    pub id: String,
    /// What guardians are asked to approve.
    pub request: RecoveryRequest,
    /// Where the new owner key is kept in the vault, if it is in one.
    pub new_owner_key: Option<KeyLocation>,
    /// Unix time of creation.
    pub created_at: u64,
    /// One entry per chain of the request.
    pub chains: Vec<ChainRecovery>,
    /// How the account was created (first key and salt), to create it on chains where it does
    /// not exist yet; found from the factory's log.
    #[serde(default)]
    pub origin: Option<HarborAccount>,
}

impl RecoverySession {
    /// A session for `request`, with thresholds from `states` (one per requested chain).
    pub fn new(
        request: RecoveryRequest,
        states: &[AccountState],
        created_at: u64,
    ) -> Result<Self, RecoveryError> {
        let mut chains = Vec::with_capacity(request.chains.len());
        for target in &request.chains {
            let state = find_state(states, target.chain_id)?;
            chains.push(ChainRecovery {
                chain_id: target.chain_id,
                threshold: state.threshold,
                approvals: Vec::new(),
                stage: RecoveryStage::CollectingApprovals,
                last_error: None,
            });
        }
        Ok(Self {
            id: format!("{}-{}", request.account, request.new_owner),
            request,
            new_owner_key: None,
            created_at,
            chains,
            origin: None,
        })
    }

    /// The recovery of `chain_id`.
    pub fn chain(&self, chain_id: u64) -> Option<&ChainRecovery> {
        self.chains.iter().find(|c| c.chain_id == chain_id)
    }

    /// Checks a guardian's approvals against the request and each chain's state. Returns the
    /// ERC-1271 checks left for the caller; call [`RecoverySession::record`] once they pass.
    pub fn check_bundle(
        &self,
        bundle: &ApprovalBundle,
        states: &[AccountState],
        now: u64,
    ) -> Result<Vec<ContractCheck>, RecoveryError> {
        if bundle.approvals.is_empty() {
            return Err(RecoveryError::InvalidPayload(
                "this approval covers no chain".into(),
            ));
        }
        let mut checks = Vec::new();
        for approval in &bundle.approvals {
            let state = find_state(states, approval.chain_id)?;
            let chain = self
                .chain(approval.chain_id)
                .ok_or(RecoveryError::ChainNotRequested {
                    chain_id: approval.chain_id,
                })?;
            if chain
                .approvals
                .iter()
                .any(|a| a.guardian == bundle.guardian)
            {
                return Err(RecoveryError::DuplicateApproval {
                    guardian: bundle.guardian,
                    chain_id: approval.chain_id,
                });
            }
            if let SignatureCheck::NeedsContractCheck(digest) =
                check_approval(&self.request, bundle, approval, state, now)?
            {
                checks.push(ContractCheck {
                    chain_id: approval.chain_id,
                    guardian: bundle.guardian,
                    digest,
                    signature: approval.signature.clone(),
                });
            }
        }
        Ok(checks)
    }

    /// Adds a checked bundle's approvals.
    pub fn record(&mut self, bundle: &ApprovalBundle) {
        for approval in &bundle.approvals {
            if let Some(chain) = self
                .chains
                .iter_mut()
                .find(|c| c.chain_id == approval.chain_id)
                && !chain
                    .approvals
                    .iter()
                    .any(|a| a.guardian == bundle.guardian)
            {
                chain.approvals.push(CollectedApproval {
                    guardian: bundle.guardian,
                    signature: approval.signature.clone(),
                });
                if chain.stage == RecoveryStage::CollectingApprovals
                    && chain.approvals.len() >= chain.threshold as usize
                {
                    chain.stage = RecoveryStage::ReadyToSubmit;
                }
            }
        }
    }

    /// Brings one chain's stage up to date with the account's state at chain time `now`.
    pub fn sync(&mut self, state: &AccountState, now: u64) {
        let new_owner = self.request.new_owner;
        let Some(target) = self
            .request
            .chains
            .iter()
            .find(|c| c.chain_id == state.chain_id)
        else {
            return;
        };
        let (nonce, deadline) = (target.nonce, target.deadline);
        let Some(chain) = self
            .chains
            .iter_mut()
            .find(|c| c.chain_id == state.chain_id)
        else {
            return;
        };
        let sent_by_us = match &chain.stage {
            RecoveryStage::Started {
                transaction_hash, ..
            }
            | RecoveryStage::Executed { transaction_hash } => *transaction_hash,
            _ => None,
        };
        chain.threshold = state.threshold;
        // Approvals from guardians removed since do not count.
        chain
            .approvals
            .retain(|a| state.guardians.contains(&a.guardian));
        chain.stage = if state.owner == new_owner {
            match chain.stage {
                RecoveryStage::Executed { .. } => chain.stage.clone(),
                _ => RecoveryStage::Executed {
                    transaction_hash: None,
                },
            }
        } else if let Some(pending) = state.pending.as_ref().filter(|p| p.new_owner == new_owner) {
            RecoveryStage::Started {
                execute_after: pending.execute_after,
                transaction_hash: sent_by_us,
            }
        } else if state.nonce != nonce {
            if matches!(
                chain.stage,
                RecoveryStage::Started { .. } | RecoveryStage::Cancelled
            ) {
                RecoveryStage::Cancelled
            } else {
                RecoveryStage::Stale
            }
        } else if deadline < now {
            RecoveryStage::Expired
        } else if chain.approvals.len() >= chain.threshold as usize && chain.threshold > 0 {
            RecoveryStage::ReadyToSubmit
        } else {
            RecoveryStage::CollectingApprovals
        };
        if let Some(other) = state.pending.as_ref().filter(|p| p.new_owner != new_owner) {
            chain.last_error = Some(format!(
                "another recovery, to {}, is pending with {} approvals; this one needs more \
                 approvals to replace it",
                other.new_owner, other.approvals
            ));
        }
    }

    /// Whether every chain reached a final stage.
    pub fn is_finished(&self) -> bool {
        self.chains.iter().all(|c| c.stage.is_final())
    }
}

fn find_state(states: &[AccountState], chain_id: u64) -> Result<&AccountState, RecoveryError> {
    states
        .iter()
        .find(|s| s.chain_id == chain_id)
        .ok_or(RecoveryError::ChainNotRequested { chain_id })
}

#[cfg(test)]
mod tests {
    use alloy_primitives::U256;

    use super::*;
    use crate::keys::{LocalSigner, Signer};
    use crate::recovery::{ChainTarget, GuardianSigner, PendingState, approve};

    struct Fixture {
        guardians: Vec<LocalSigner>,
        state: AccountState,
        session: RecoverySession,
    }

    fn fixture() -> Fixture {
        let guardians: Vec<LocalSigner> = (1..=3u8)
            .map(|i| LocalSigner::from_slice(&[i; 32]).unwrap())
            .collect();
        let account = Address::repeat_byte(0xac);
        let state = AccountState {
            chain_id: 31337,
            account,
            deployed: true,
            owner: Address::repeat_byte(0x01),
            guardians: guardians.iter().map(|g| g.address()).collect(),
            contract_guardians: Vec::new(),
            threshold: 2,
            security_delay: 3600,
            nonce: U256::from(4),
            pending: None,
            config: None,
        };
        let request = RecoveryRequest {
            account,
            new_owner: Address::repeat_byte(0x02),
            chains: vec![ChainTarget {
                chain_id: 31337,
                nonce: U256::from(4),
                deadline: 2_000,
            }],
            note: String::new(),
        };
        let session = RecoverySession::new(request, std::slice::from_ref(&state), 1_000).unwrap();
        Fixture {
            guardians,
            state,
            session,
        }
    }

    #[test]
    fn approvals_are_checked_and_reach_the_threshold() {
        let Fixture {
            guardians,
            state,
            mut session,
        } = fixture();
        let states = std::slice::from_ref(&state);
        let a = approve(&session.request, GuardianSigner::Key(&guardians[0])).unwrap();
        assert_eq!(session.check_bundle(&a, states, 1_500).unwrap(), []);
        session.record(&a);
        assert_eq!(
            session.check_bundle(&a, states, 1_500).unwrap_err(),
            RecoveryError::DuplicateApproval {
                guardian: guardians[0].address(),
                chain_id: 31337
            }
        );
        assert_eq!(session.chains[0].stage, RecoveryStage::CollectingApprovals);
        let b = approve(&session.request, GuardianSigner::Key(&guardians[2])).unwrap();
        session.check_bundle(&b, states, 1_500).unwrap();
        session.record(&b);
        assert_eq!(session.chains[0].stage, RecoveryStage::ReadyToSubmit);
        let (signers, signatures) = session.chains[0].sorted_approvals();
        assert!(signers.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(signatures.len(), 2);

        // Round trip through the vault's representation keeps everything.
        let json = serde_json::to_string(&session).unwrap();
        assert!(json.contains("\"stage\":\"readyToSubmit\""), "{json}");
        assert_eq!(
            serde_json::from_str::<RecoverySession>(&json).unwrap(),
            session
        );
    }

    #[test]
    fn bad_approvals_are_refused_with_their_reason() {
        let Fixture {
            guardians,
            state,
            session,
        } = fixture();
        let states = std::slice::from_ref(&state);
        let good = approve(&session.request, GuardianSigner::Key(&guardians[1])).unwrap();

        assert!(matches!(
            session.check_bundle(&good, states, 2_001),
            Err(RecoveryError::Expired { deadline: 2_000 })
        ));
        let stranger = LocalSigner::from_slice(&[9; 32]).unwrap();
        let bundle = approve(&session.request, GuardianSigner::Key(&stranger)).unwrap();
        assert!(matches!(
            session.check_bundle(&bundle, states, 1_500),
            Err(RecoveryError::NotAGuardian { .. })
        ));
        let mut forged = good.clone();
        forged.guardian = guardians[0].address();
        assert_eq!(
            session.check_bundle(&forged, states, 1_500).unwrap_err(),
            RecoveryError::BadSignature {
                guardian: guardians[0].address()
            }
        );
        let mut other_owner = good.clone();
        other_owner.new_owner = Address::repeat_byte(0x66);
        assert!(matches!(
            session.check_bundle(&other_owner, states, 1_500),
            Err(RecoveryError::WrongNewOwner { .. })
        ));
        let mut other_account = good.clone();
        other_account.account = Address::repeat_byte(0x77);
        assert!(matches!(
            session.check_bundle(&other_account, states, 1_500),
            Err(RecoveryError::WrongAccount { .. })
        ));
        let mut other_chain = good.clone();
        other_chain.approvals[0].chain_id = 1;
        assert!(matches!(
            session.check_bundle(&other_chain, states, 1_500),
            Err(RecoveryError::ChainNotRequested { chain_id: 1 })
        ));
        // After a completed or cancelled recovery the nonce moved: old approvals are stale.
        let mut later = state.clone();
        later.nonce = U256::from(5);
        assert!(matches!(
            session.check_bundle(&good, std::slice::from_ref(&later), 1_500),
            Err(RecoveryError::StaleApproval { chain_id: 31337 })
        ));
    }

    #[test]
    fn sync_follows_the_chain() {
        let Fixture {
            guardians,
            mut state,
            mut session,
        } = fixture();
        for g in &guardians[..2] {
            session.record(&approve(&session.request, GuardianSigner::Key(g)).unwrap());
        }
        state.pending = Some(PendingState {
            new_owner: session.request.new_owner,
            execute_after: 5_000,
            approvals: 2,
        });
        session.sync(&state, 1_500);
        assert_eq!(session.chains[0].seconds_left(1_500), Some(3_500));
        // The owner cancels: the nonce moves on and nothing is pending.
        state.pending = None;
        state.nonce = U256::from(5);
        session.sync(&state, 1_600);
        assert_eq!(session.chains[0].stage, RecoveryStage::Cancelled);
        assert!(session.is_finished());
    }
}
