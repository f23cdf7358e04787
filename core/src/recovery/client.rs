//! The recovery flows over the network: reading an account's guardian state, changing guardians,
//! creating a request, accepting approvals, starting and executing a recovery on every chain.
//! The owner's side (alerts, cancel, locating an account) is in `watch`.
//!
//! Operations are sponsored UserOperations. The owner sends its own (guardian changes, cancel).
//! A new device cannot sign for the account it is recovering, so it starts and executes the
//! recovery from its new key's own Harbor account (created on first use, gas sponsored);
//! `startRecovery` and `executeRecovery` accept any caller.

use std::collections::BTreeMap;
use std::time::Duration;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolCall;

use super::approval::{AccountState, PendingState, latest_config};
use super::{
    ApprovalBundle, ChainTarget, DEFAULT_SECURITY_DELAY, RecoveryError, RecoveryRequest,
    RecoverySession, RecoveryStage, SignedConfig,
};
use crate::aa::{
    AccountCall, AccountClient, HarborAccount, IHarborAccount, IHarborAccountFactory, SendOptions,
    SendOutcome, SendProgress,
};
use crate::keys::Signer;
use crate::rpc::NodeClient;

/// Recovery and guardian operations on a set of chains.
#[derive(Debug, Default)]
pub struct RecoveryClient {
    pub(super) chains: BTreeMap<u64, AccountClient>,
    pub(super) options: SendOptions,
}

impl RecoveryClient {
    /// A client without chains.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a chain.
    pub fn with_chain(mut self, client: AccountClient) -> Self {
        self.chains.insert(client.chain_id(), client);
        self
    }

    /// Sets how operations are sent (sponsorship, polling, timeout).
    pub fn with_send_options(mut self, options: SendOptions) -> Self {
        self.options = options;
        self
    }

    /// The configured chain ids.
    pub fn chain_ids(&self) -> Vec<u64> {
        self.chains.keys().copied().collect()
    }

    pub(super) fn client(&self, chain_id: u64) -> Result<&AccountClient, RecoveryError> {
        self.chains
            .get(&chain_id)
            .ok_or(RecoveryError::UnknownChain { chain_id })
    }

    /// The account's guardian state on `chain_id` (`deployed: false` and empty when the account
    /// does not exist there yet).
    pub async fn account_state(
        &self,
        chain_id: u64,
        account: Address,
    ) -> Result<AccountState, RecoveryError> {
        let node = self.client(chain_id)?.node();
        let empty = AccountState {
            chain_id,
            account,
            deployed: false,
            owner: Address::ZERO,
            guardians: Vec::new(),
            contract_guardians: Vec::new(),
            threshold: 0,
            security_delay: 0,
            nonce: U256::ZERO,
            pending: None,
            config: None,
        };
        if node.code(account).await?.is_empty() {
            return Ok(empty);
        }
        let bad = |what| RecoveryError::UnexpectedAnswer { chain_id, what };
        let read = Reader {
            node,
            account,
            chain_id,
        };
        let owner = read.call(IHarborAccount::ownerCall {}, "owner").await?;
        let guardians = read
            .call(IHarborAccount::guardiansCall {}, "guardians")
            .await?;
        let threshold = read
            .call(IHarborAccount::thresholdCall {}, "threshold")
            .await?;
        let delay = read
            .call(IHarborAccount::securityDelayCall {}, "security delay")
            .await?;
        let nonce = read
            .call(IHarborAccount::recoveryNonceCall {}, "recovery nonce")
            .await?;
        let pending = read
            .call(IHarborAccount::pendingRecoveryCall {}, "pending recovery")
            .await?;
        let latest = read
            .call(IHarborAccount::latestConfigCall {}, "settings")
            .await?;
        let mut contract_guardians = Vec::new();
        for g in &guardians {
            if !node.code(*g).await?.is_empty() {
                contract_guardians.push(*g);
            }
        }
        Ok(AccountState {
            owner,
            guardians,
            contract_guardians,
            threshold: u32::try_from(threshold).map_err(|_| bad("threshold"))?,
            security_delay: u64::try_from(delay).map_err(|_| bad("security delay"))?,
            nonce,
            pending: (!pending.newOwner.is_zero()).then_some(PendingState {
                new_owner: pending.newOwner,
                execute_after: pending.executeAfter,
                approvals: pending.approvals,
            }),
            config: SignedConfig::from_abi(latest.config, latest.signature),
            deployed: true,
            ..empty
        })
    }

    /// The account's state on every configured chain.
    pub async fn account_states(
        &self,
        account: Address,
    ) -> Result<Vec<AccountState>, RecoveryError> {
        let mut states = Vec::with_capacity(self.chains.len());
        for chain_id in self.chains.keys() {
            states.push(self.account_state(*chain_id, account).await?);
        }
        Ok(states)
    }

    /// The account's state on every configured chain as it will be once caught up (deployed,
    /// newest settings applied); `origin` is how the account was created, needed for chains where
    /// it is not deployed (found from the factory's log when `None`; such chains are left as they
    /// are when it cannot be found). Returns the raw states too, and the origin found.
    async fn caught_up_states(
        &self,
        account: Address,
        origin: Option<HarborAccount>,
    ) -> Result<CaughtUp, RecoveryError> {
        let raw = self.account_states(account).await?;
        let latest = latest_config(&raw).cloned();
        let origin = match origin {
            Some(o) => Some(o),
            None if raw.iter().any(|s| !s.deployed) && raw.iter().any(|s| s.deployed) => {
                self.locate_account(account).await.ok()
            }
            None => None,
        };
        let mut caught = Vec::with_capacity(raw.len());
        for state in &raw {
            let mut state = match (state.deployed, origin) {
                (true, _) => state.caught_up(latest.as_ref(), state.owner),
                (false, Some(o)) => state.caught_up(latest.as_ref(), o.initial_owner),
                (false, None) => state.clone(),
            };
            if state.guardians != raw_guardians(&raw, state.chain_id) {
                let node = self.client(state.chain_id)?.node();
                state.contract_guardians.clear();
                for g in &state.guardians {
                    if !node.code(*g).await?.is_empty() {
                        state.contract_guardians.push(*g);
                    }
                }
            }
            caught.push(state);
        }
        Ok(CaughtUp {
            raw,
            caught,
            latest,
            origin,
        })
    }

    /// Makes the account's guardians `desired` with `threshold` on every configured chain where
    /// `owner` controls it (deploying it where it is not yet): one config signed by the owner,
    /// applied by a sponsored operation on each chain that does not have it. Chains already up
    /// to date are skipped; returns what was sent, per chain. A chain that fails does not stop
    /// the others; the first error is returned after all were tried.
    pub async fn set_guardians(
        &self,
        account: &HarborAccount,
        owner: &dyn Signer,
        desired: &[Address],
        threshold: u32,
        progress: &(dyn Fn(u64, SendProgress) + Send + Sync),
    ) -> Result<Vec<(u64, SendOutcome)>, RecoveryError> {
        let address = account.address();
        let states = self.account_states(address).await?;
        let latest = latest_config(&states);
        let delay = latest.map_or(DEFAULT_SECURITY_DELAY, |l| l.security_delay);
        let config = match latest {
            Some(l)
                if l.has_settings(desired, threshold, delay)
                    && l.signer(address) == Some(owner.address()) =>
            {
                l.clone()
            }
            _ => SignedConfig::sign(
                address,
                owner,
                desired,
                threshold,
                delay,
                latest.map_or(1, |l| l.version + 1),
            )?,
        };
        let mut sent = Vec::new();
        let mut first_error = None;
        for state in &states {
            let controls = if state.deployed {
                state.owner == owner.address()
            } else {
                account.initial_owner == owner.address()
            };
            if !controls || state.config_version() >= config.version {
                continue;
            }
            let chain_id = state.chain_id;
            let result = self
                .client(chain_id)?
                .send_calls(
                    account,
                    &owner,
                    &[config.apply_call(address)],
                    &self.options,
                    &|p| progress(chain_id, p),
                )
                .await;
            match result {
                Ok(outcome) => sent.push((chain_id, outcome)),
                Err(e) => {
                    first_error.get_or_insert(RecoveryError::from(e));
                }
            }
        }
        first_error.map_or(Ok(sent), Err)
    }

    /// Starts a recovery of `account` to `new_owner`: reads the account on every chain and
    /// makes the request (approvals valid for `valid_for`, one deadline for all) on each chain
    /// where it is deployed, and on each where it is not yet but will be created for its first
    /// key with the owner's latest settings: the recovery follows the address everywhere.
    pub async fn create_session(
        &self,
        account: Address,
        new_owner: Address,
        valid_for: Duration,
        note: &str,
    ) -> Result<RecoverySession, RecoveryError> {
        let CaughtUp {
            raw,
            caught,
            origin,
            ..
        } = self.caught_up_states(account, None).await?;
        let Some(first) = raw.iter().find(|s| s.deployed) else {
            return Err(RecoveryError::UnknownAccount { account });
        };
        let mut now = 0;
        for state in &caught {
            now = now.max(
                self.client(state.chain_id)?
                    .node()
                    .latest_timestamp()
                    .await?,
            );
        }
        let deadline = now.saturating_add(valid_for.as_secs());
        let chains: Vec<ChainTarget> = caught
            .iter()
            .zip(&raw)
            .filter(|(state, raw)| {
                (raw.deployed || origin.is_some())
                    && state.owner != new_owner
                    && !state.guardians.is_empty()
                    && state.threshold > 0
            })
            .map(|(state, _)| ChainTarget {
                chain_id: state.chain_id,
                nonce: state.nonce,
                deadline,
            })
            .collect();
        if chains.is_empty() {
            return Err(if first.owner == new_owner {
                RecoveryError::InvalidPayload(format!(
                    "{new_owner} already owns this account on every chain"
                ))
            } else {
                RecoveryError::NoGuardians {
                    account,
                    chain_id: first.chain_id,
                }
            });
        }
        let request = RecoveryRequest {
            account,
            new_owner,
            chains,
            note: super::payload::clean_note(note),
        };
        let mut session = RecoverySession::new(request, &caught, now)?;
        session.origin = origin;
        Ok(session)
    }

    /// Checks a guardian's approvals (locally, and through ERC-1271 for contract guardians)
    /// and adds them to the session.
    pub async fn add_approvals(
        &self,
        session: &mut RecoverySession,
        bundle: &ApprovalBundle,
    ) -> Result<(), RecoveryError> {
        let states = self
            .caught_up_states(session.request.account, session.origin)
            .await?
            .caught;
        let mut now = 0;
        for approval in &bundle.approvals {
            let t = self
                .client(approval.chain_id)?
                .node()
                .latest_timestamp()
                .await?;
            now = now.max(t);
        }
        for check in session.check_bundle(bundle, &states, now)? {
            let node = self.client(check.chain_id)?.node();
            let answer = node
                .call(
                    check.guardian,
                    &IHarborAccount::isValidSignatureCall {
                        hash: check.digest,
                        signature: check.signature.clone(),
                    }
                    .abi_encode()
                    .into(),
                )
                .await
                .ok()
                .and_then(|r| IHarborAccount::isValidSignatureCall::abi_decode_returns(&r).ok());
            if answer.map(|b| b.0) != Some([0x16, 0x26, 0xba, 0x7e]) {
                return Err(RecoveryError::BadSignature {
                    guardian: check.guardian,
                });
            }
        }
        session.record(bundle);
        Ok(())
    }

    /// Moves every chain of the session forward as far as it can now: refreshes its stage from
    /// the chain, starts the recovery where enough approvals are collected, executes it where
    /// the delay is over. Problems are recorded per chain (`last_error`); the first one is also
    /// returned after every chain has been tried.
    pub async fn advance(
        &self,
        session: &mut RecoverySession,
        new_owner: &dyn Signer,
        progress: &(dyn Fn(u64, SendProgress) + Send + Sync),
    ) -> Result<(), RecoveryError> {
        let mut first_error = None;
        let chain_ids: Vec<u64> = session.chains.iter().map(|c| c.chain_id).collect();
        let latest = match self
            .caught_up_states(session.request.account, session.origin)
            .await
        {
            Ok(found) => {
                session.origin = session.origin.or(found.origin);
                found.latest
            }
            Err(e) => return Err(e),
        };
        for chain_id in chain_ids {
            let result = self
                .advance_chain(session, chain_id, new_owner, latest.as_ref(), &|p| {
                    progress(chain_id, p)
                })
                .await;
            if let Some(chain) = session.chains.iter_mut().find(|c| c.chain_id == chain_id) {
                match &result {
                    Ok(()) => {
                        if chain.stage.is_final() || chain.last_error.is_none() {
                            chain.last_error = None;
                        }
                    }
                    Err(e) => chain.last_error = Some(e.to_string()),
                }
            }
            if let Err(e) = result {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    async fn advance_chain(
        &self,
        session: &mut RecoverySession,
        chain_id: u64,
        new_owner: &dyn Signer,
        latest: Option<&SignedConfig>,
        progress: &(dyn Fn(SendProgress) + Send + Sync),
    ) -> Result<(), RecoveryError> {
        if new_owner.address() != session.request.new_owner {
            return Err(RecoveryError::WrongNewOwner {
                expected: session.request.new_owner,
                found: new_owner.address(),
            });
        }
        let client = self.client(chain_id)?;
        let account = session.request.account;
        let raw = self.account_state(chain_id, account).await?;
        let caught_up = |raw: &AccountState, session: &RecoverySession| match session.origin {
            Some(o) if !raw.deployed => raw.caught_up(latest, o.initial_owner),
            _ => raw.caught_up(latest, raw.owner),
        };
        let now = client.node().latest_timestamp().await?;
        session.sync(&caught_up(&raw, session), now);
        let Some(chain) = session.chain(chain_id).cloned() else {
            return Ok(());
        };
        let helper = HarborAccount::new(new_owner.address(), U256::ZERO);
        let behind = latest.filter(|l| l.version > raw.config_version());
        let calls = match chain.stage {
            RecoveryStage::ReadyToSubmit => {
                let Some(target) = session
                    .request
                    .chains
                    .iter()
                    .find(|c| c.chain_id == chain_id)
                else {
                    return Ok(());
                };
                let (signers, signatures) = chain.sorted_approvals();
                if signers.len() < chain.threshold as usize {
                    return Err(RecoveryError::BelowThreshold {
                        chain_id,
                        have: signers.len(),
                        need: chain.threshold,
                    });
                }
                // Catch the chain up first, in the same operation: create the account where it
                // does not exist yet, then apply the owner's newest settings.
                let mut calls = Vec::new();
                if !raw.deployed {
                    let origin = session
                        .origin
                        .ok_or(RecoveryError::UnknownAccount { account })?;
                    calls.push(AccountCall {
                        to: origin.factory,
                        value: U256::ZERO,
                        data: IHarborAccountFactory::createAccountCall {
                            owner: origin.initial_owner,
                            salt: origin.salt,
                        }
                        .abi_encode()
                        .into(),
                    });
                }
                calls.extend(behind.map(|l| l.apply_call(account)));
                calls.push(AccountCall {
                    to: account,
                    value: U256::ZERO,
                    data: IHarborAccount::startRecoveryCall {
                        newOwner: session.request.new_owner,
                        deadline: U256::from(target.deadline),
                        signers,
                        signatures,
                    }
                    .abi_encode()
                    .into(),
                });
                calls
            }
            RecoveryStage::Started { execute_after, .. } if execute_after <= now => {
                vec![AccountCall {
                    to: account,
                    value: U256::ZERO,
                    data: IHarborAccount::executeRecoveryCall {}.abi_encode().into(),
                }]
            }
            // Settings the new owner signed since (on another chain) follow it here.
            RecoveryStage::Executed { .. } => match behind {
                Some(l) if l.signer(account) == Some(new_owner.address()) => {
                    client
                        .send_calls(
                            &helper,
                            &new_owner,
                            &[l.apply_call(account)],
                            &self.options,
                            progress,
                        )
                        .await?;
                    return Ok(());
                }
                _ => return Ok(()),
            },
            _ => return Ok(()),
        };
        let outcome = client
            .send_calls(&helper, &new_owner, &calls, &self.options, progress)
            .await?;
        let raw = self.account_state(chain_id, account).await?;
        session.sync(&caught_up(&raw, session), now);
        set_transaction(session, chain_id, outcome.transaction_hash);
        Ok(())
    }

    /// The node of `chain_id`.
    pub fn node(&self, chain_id: u64) -> Result<&NodeClient, RecoveryError> {
        Ok(self.client(chain_id)?.node())
    }
}

/// Every chain's state, raw and caught up, with the newest settings and the account's origin.
struct CaughtUp {
    raw: Vec<AccountState>,
    caught: Vec<AccountState>,
    latest: Option<SignedConfig>,
    origin: Option<HarborAccount>,
}

fn raw_guardians(raw: &[AccountState], chain_id: u64) -> Vec<Address> {
    raw.iter()
        .find(|s| s.chain_id == chain_id)
        .map(|s| s.guardians.clone())
        .unwrap_or_default()
}

/// Reads view functions of one account on one chain.
struct Reader<'a> {
    node: &'a NodeClient,
    account: Address,
    chain_id: u64,
}

impl Reader<'_> {
    async fn call<C: SolCall>(
        &self,
        call: C,
        what: &'static str,
    ) -> Result<C::Return, RecoveryError> {
        let out = self
            .node
            .call(self.account, &call.abi_encode().into())
            .await?;
        C::abi_decode_returns(&out).map_err(|_| RecoveryError::UnexpectedAnswer {
            chain_id: self.chain_id,
            what,
        })
    }
}

fn set_transaction(session: &mut RecoverySession, chain_id: u64, hash: Option<B256>) {
    if let Some(chain) = session.chains.iter_mut().find(|c| c.chain_id == chain_id) {
        match &mut chain.stage {
            RecoveryStage::Started {
                transaction_hash, ..
            }
            | RecoveryStage::Executed { transaction_hash } => *transaction_hash = hash,
            _ => {}
        }
    }
}
