//! The request engine every shell shares: a site's EIP-1193 request in, an answer or a pending
//! request (with its plain-words [`Summary`]) out; the person approves or rejects; events for
//! the site come back out. Sessions, batches and watched tokens live in the vault.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use alloy_primitives::{Address, B256, Bytes, hex};
use alloy_sol_types::SolCall;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::request::{AddChain, DappCall, DappRequest, PaymasterService, SendCalls};
use super::simulate::{Simulation, name_assets, simulate, token_info};
use super::siwe::{SiweFlag, SiweMessage, origin_host, parse_siwe};
use super::summary::{
    Phrase, RequestKind, Summary, SummaryLanguage, change_lines, grant_lines, say, siwe_warnings,
};
use super::{DappError, assets};
use crate::aa::{AccountCall, IHarborAccount};
use crate::chains::{Chain, NativeCurrency};
use crate::error::Classified;
use crate::evm::{TypedData, TypedDataError};
use crate::vault::{DappBatch, DappSession, WatchedToken};
use crate::wallet::{Payment, Wallet, now};

/// The EIP-5792 version Harbor implements.
pub const CALLS_VERSION: &str = "2.0.0";

/// An event for a site (EIP-1193 `accountsChanged`, `chainChanged`, `connect`, `disconnect`),
/// or `showCallsStatus` for the shell to show a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DappEvent {
    /// The site it is for.
    pub origin: String,
    /// The event's name.
    pub name: String,
    /// Its payload.
    pub data: Value,
}

/// A request waiting for the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingRequest {
    /// The id to approve or reject it with.
    pub id: u64,
    /// The site that asks.
    pub origin: String,
    /// The JSON-RPC method.
    pub method: String,
    /// What it means, in words.
    pub summary: Summary,
    /// The account that would act (for a connection: the one proposed).
    pub account: Option<Address>,
}

/// What the engine answers a site's request with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The JSON-RPC result, now.
    Result(Value),
    /// The person must approve first.
    Pending(Box<PendingRequest>),
}

/// What approving does.
#[derive(Debug, Clone)]
enum Action {
    Connect {
        permissions: bool,
    },
    SignMessage {
        account: Address,
        chain_id: u64,
        message: Bytes,
    },
    SignTypedData {
        account: Address,
        chain_id: u64,
        data: Box<TypedData>,
    },
    Send {
        account: Address,
        chain_id: u64,
        calls: Vec<AccountCall>,
        payment: Payment,
        batch: Option<String>,
    },
    SwitchChain(u64),
    AddChain(Box<Chain>),
    WatchAsset(WatchedToken),
}

#[derive(Debug)]
struct Entry {
    request: PendingRequest,
    action: Action,
}

#[derive(Debug, Default)]
struct State {
    pending: BTreeMap<u64, Entry>,
    next_id: u64,
    events: VecDeque<DappEvent>,
    language: SummaryLanguage,
}

/// The dApp request engine over one [`Wallet`].
pub struct DappEngine {
    wallet: Arc<Wallet>,
    state: Mutex<State>,
}

impl std::fmt::Debug for DappEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DappEngine").finish_non_exhaustive()
    }
}

fn hex_chain(chain_id: u64) -> String {
    format!("{chain_id:#x}")
}

fn permission(origin: &str, session: &DappSession) -> Value {
    json!({
        "invoker": origin,
        "parentCapability": "eth_accounts",
        "caveats": [{"type": "restrictReturnedAccounts", "value": [session.account]}],
        "date": session.granted_at * 1000,
    })
}

/// What a call into the person's own account would change, in words.
fn own_account_change(data: &[u8]) -> String {
    let selector: [u8; 4] = data
        .get(..4)
        .and_then(|s| s.try_into().ok())
        .unwrap_or_default();
    match selector {
        IHarborAccount::applyConfigCall::SELECTOR => "guardians, threshold or security delay",
        IHarborAccount::startRecoveryCall::SELECTOR
        | IHarborAccount::executeRecoveryCall::SELECTOR
        | IHarborAccount::cancelRecoveryCall::SELECTOR => "its recovery",
        IHarborAccount::invalidateApprovalsCall::SELECTOR => "guardian approvals",
        IHarborAccount::executeCall::SELECTOR | IHarborAccount::executeBatchCall::SELECTOR => {
            "calls made in its name"
        }
        // upgradeToAndCall(address,bytes)
        [0x4f, 0x1e, 0xf2, 0x86] => "its code (an upgrade)",
        _ => "its settings",
    }
    .to_owned()
}

impl DappEngine {
    /// The engine over `wallet`.
    pub fn new(wallet: Arc<Wallet>) -> Self {
        DappEngine {
            wallet,
            state: Mutex::new(State::default()),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes summaries in `language` from now on.
    pub fn set_language(&self, language: SummaryLanguage) {
        self.state().language = language;
    }

    fn language(&self) -> SummaryLanguage {
        self.state().language
    }

    fn emit(&self, origin: &str, name: &str, data: Value) {
        self.state().events.push_back(DappEvent {
            origin: origin.to_owned(),
            name: name.to_owned(),
            data,
        });
    }

    /// The events produced since the last call, oldest first.
    pub fn take_events(&self) -> Vec<DappEvent> {
        self.state().events.drain(..).collect()
    }

    /// The requests waiting for the person, oldest first.
    pub fn pending(&self) -> Vec<PendingRequest> {
        self.state()
            .pending
            .values()
            .map(|e| e.request.clone())
            .collect()
    }

    /// Every connected site.
    pub fn sessions(&self) -> Result<Vec<DappSession>, DappError> {
        self.wallet
            .unlocked(|v| Ok(v.dapp_sessions()?))
            .map_err(DappError::from)
    }

    /// Disconnects `origin` (the site sees `accountsChanged` with no account).
    pub fn disconnect(&self, origin: &str) -> Result<bool, DappError> {
        let removed = self
            .wallet
            .unlocked(|v| Ok(v.remove_dapp_session(origin)?))?;
        if removed {
            self.emit(origin, "accountsChanged", json!([]));
        }
        Ok(removed)
    }

    /// Tells every connected site that Harbor locked (`disconnect`, code 4900); pending
    /// requests are dropped.
    pub fn locked(&self, origins: &[String]) {
        self.state().pending.clear();
        for origin in origins {
            self.emit(
                origin,
                "disconnect",
                json!({"code": crate::codes::DISCONNECTED, "message": "Harbor is locked"}),
            );
        }
    }

    fn session(&self, origin: &str) -> Result<Option<DappSession>, DappError> {
        self.wallet
            .unlocked(|v| Ok(v.dapp_session(origin)?))
            .map_err(|e| match e.kind() {
                crate::error::ErrorKind::Locked | crate::error::ErrorKind::NoWallet => {
                    DappError::Locked
                }
                _ => e.into(),
            })
    }

    fn connected(&self, origin: &str) -> Result<DappSession, DappError> {
        self.session(origin)?
            .ok_or_else(|| DappError::NotConnected {
                origin: origin.to_owned(),
            })
    }

    /// The network a site that is not connected sees: the first one the account works on.
    fn default_chain(&self) -> Result<u64, DappError> {
        Ok(self
            .wallet
            .active_chains()?
            .first()
            .map_or(crate::chains::DEV_CHAIN_ID, |c| c.chain_id))
    }

    fn chain(&self, chain_id: u64) -> Result<Chain, DappError> {
        self.wallet
            .registry()?
            .get(chain_id)
            .cloned()
            .map_err(|_| DappError::UnknownChain(chain_id))
    }

    fn check_account(requested: Address, session: &DappSession) -> Result<(), DappError> {
        if requested != session.account {
            return Err(DappError::WrongAccount {
                requested,
                connected: session.account,
            });
        }
        Ok(())
    }

    /// Answers the JSON-RPC request object `{method, params}` from `origin`.
    pub async fn request_json(&self, origin: &str, request: &Value) -> Result<Answer, DappError> {
        let method = request
            .get("method")
            .and_then(Value::as_str)
            .ok_or_else(|| DappError::invalid("request", "method must be a string"))?;
        let params = request.get("params").cloned().unwrap_or(Value::Null);
        self.request(origin, method, &params).await
    }

    /// Answers `method` with `params` from `origin` (the shell vouches for the origin).
    pub async fn request(
        &self,
        origin: &str,
        method: &str,
        params: &Value,
    ) -> Result<Answer, DappError> {
        let request = DappRequest::parse(method, params)?;
        if !self
            .wallet
            .with_vault(|v| Ok(v.is_unlocked()))
            .unwrap_or(false)
        {
            return match request {
                DappRequest::Accounts => Ok(Answer::Result(json!([]))),
                _ => Err(DappError::Locked),
            };
        }
        let session = self.session(origin)?;
        if request.needs_connection() && session.is_none() {
            return Err(DappError::NotConnected {
                origin: origin.to_owned(),
            });
        }
        let chain_id = match &session {
            Some(s) => s.chain_id,
            None => self.default_chain()?,
        };
        let lang = self.language();
        let (summary, action, account) = match request {
            DappRequest::Accounts => {
                return Ok(Answer::Result(json!(
                    session.map(|s| vec![s.account]).unwrap_or_default()
                )));
            }
            DappRequest::ChainId => return Ok(Answer::Result(json!(hex_chain(chain_id)))),
            DappRequest::NetVersion => return Ok(Answer::Result(json!(chain_id.to_string()))),
            DappRequest::GetPermissions => {
                return Ok(Answer::Result(json!(
                    session
                        .map(|s| vec![permission(origin, &s)])
                        .unwrap_or_default()
                )));
            }
            DappRequest::RevokePermissions => {
                self.disconnect(origin)?;
                return Ok(Answer::Result(Value::Null));
            }
            DappRequest::RequestAccounts | DappRequest::RequestPermissions => {
                let permissions = request == DappRequest::RequestPermissions;
                if let Some(s) = &session {
                    return Ok(Answer::Result(if permissions {
                        json!([permission(origin, s)])
                    } else {
                        json!([s.account])
                    }));
                }
                let account = self
                    .wallet
                    .accounts()?
                    .first()
                    .map(|a| a.address)
                    .ok_or(DappError::Locked)?;
                let chain_name = self.chain(chain_id)?.name;
                let mut summary = self.blank(origin, RequestKind::Connect, Some(chain_id))?;
                summary.title = say(lang, Phrase::ConnectTitle, &[("origin", origin)]);
                summary.lines.push(say(
                    lang,
                    Phrase::ConnectLine,
                    &[
                        ("account", &account.to_checksum(None)),
                        ("chain", &chain_name),
                    ],
                ));
                (summary, Action::Connect { permissions }, Some(account))
            }
            DappRequest::SwitchChain(target) => {
                let session = self.connected(origin)?;
                let chain = self.chain(target)?;
                if session.chain_id == target {
                    return Ok(Answer::Result(Value::Null));
                }
                let mut summary = self.blank(origin, RequestKind::SwitchChain, Some(target))?;
                summary.title = say(
                    lang,
                    Phrase::SwitchTitle,
                    &[("origin", origin), ("chain", &chain.name)],
                );
                (summary, Action::SwitchChain(target), Some(session.account))
            }
            DappRequest::AddChain(add) => self.add_chain(origin, lang, add, session).await?,
            DappRequest::WatchAsset(asset) => {
                let session = self.connected(origin)?;
                let node = self.wallet.node(&self.chain(session.chain_id)?)?;
                let (symbol, decimals) = token_info(&node, asset.address).await;
                let symbol = symbol.ok_or_else(|| {
                    DappError::invalid(
                        "wallet_watchAsset",
                        "the address is not an ERC-20 token on this network",
                    )
                })?;
                let decimals = decimals.ok_or_else(|| {
                    DappError::invalid(
                        "wallet_watchAsset",
                        "the token does not report its decimals",
                    )
                })?;
                let mut summary =
                    self.blank(origin, RequestKind::WatchAsset, Some(session.chain_id))?;
                summary.title = say(
                    lang,
                    Phrase::WatchTitle,
                    &[("origin", origin), ("symbol", &symbol)],
                );
                summary.lines.push(say(
                    lang,
                    Phrase::TypedContract,
                    &[("address", &asset.address.to_checksum(None))],
                ));
                if asset.symbol.as_deref().is_some_and(|s| s != symbol)
                    || asset.decimals.is_some_and(|d| d != decimals)
                {
                    summary.warnings.push(format!(
                        "The site calls this token {} with {} decimals; the contract says {symbol} with {decimals}.",
                        asset.symbol.as_deref().unwrap_or("?"),
                        asset.decimals.map_or("?".to_owned(), |d| d.to_string()),
                    ));
                }
                let token = WatchedToken {
                    chain_id: session.chain_id,
                    address: asset.address,
                    symbol,
                    decimals,
                };
                (summary, Action::WatchAsset(token), Some(session.account))
            }
            DappRequest::PersonalSign { message, address } => {
                let session = self.connected(origin)?;
                Self::check_account(address, &session)?;
                let summary = self.message_summary(origin, lang, &session, &message)?;
                let action = Action::SignMessage {
                    account: session.account,
                    chain_id: session.chain_id,
                    message,
                };
                (summary, action, Some(session.account))
            }
            DappRequest::SignTypedData { address, data } => {
                let session = self.connected(origin)?;
                Self::check_account(address, &session)?;
                if let Some(found) = data.domain().chain_id {
                    let found: u64 = found.try_into().unwrap_or(u64::MAX);
                    if found != session.chain_id {
                        return Err(TypedDataError::ChainMismatch {
                            expected: session.chain_id,
                            found,
                        }
                        .into());
                    }
                }
                let summary = self.typed_summary(origin, lang, &session, &data).await?;
                let action = Action::SignTypedData {
                    account: session.account,
                    chain_id: session.chain_id,
                    data,
                };
                (summary, action, Some(session.account))
            }
            DappRequest::SendTransaction {
                from,
                call,
                chain_id: named,
            } => {
                let session = self.connected(origin)?;
                if let Some(from) = from {
                    Self::check_account(from, &session)?;
                }
                if let Some(named) = named.filter(|c| *c != session.chain_id) {
                    return Err(DappError::invalid(
                        "eth_sendTransaction",
                        format!(
                            "the transaction is for chain {named}, but the site is on chain {}",
                            session.chain_id
                        ),
                    ));
                }
                let calls = vec![call];
                let (summary, calls) = self
                    .calls_summary(origin, lang, &session, session.chain_id, &calls, None)
                    .await?;
                let action = Action::Send {
                    account: session.account,
                    chain_id: session.chain_id,
                    calls,
                    payment: Payment::Default,
                    batch: None,
                };
                (summary, action, Some(session.account))
            }
            DappRequest::SendCalls(batch) => self.send_calls(origin, lang, *batch).await?,
            DappRequest::GetCallsStatus(id) => {
                let session = self.connected(origin)?;
                return Ok(Answer::Result(self.calls_status(&session, &id).await?));
            }
            DappRequest::ShowCallsStatus(id) => {
                let session = self.connected(origin)?;
                self.batch(&session, &id)?;
                self.emit(origin, "showCallsStatus", json!({"id": id}));
                return Ok(Answer::Result(Value::Null));
            }
            DappRequest::GetCapabilities { address, chain_ids } => {
                let session = self.connected(origin)?;
                Self::check_account(address, &session)?;
                let mut out = serde_json::Map::new();
                for chain in self.wallet.active_chains()? {
                    if chain_ids
                        .as_ref()
                        .is_some_and(|ids| !ids.contains(&chain.chain_id))
                    {
                        continue;
                    }
                    out.insert(
                        hex_chain(chain.chain_id),
                        json!({"atomic": {"status": "supported"}, "paymasterService": {"supported": true}}),
                    );
                }
                return Ok(Answer::Result(Value::Object(out)));
            }
            DappRequest::Read { method, params } => {
                let node = self.wallet.node(&self.chain(chain_id)?)?;
                return Ok(Answer::Result(node.raw(&method, params).await?));
            }
        };
        let mut state = self.state();
        state.next_id += 1;
        let id = state.next_id;
        let pending = PendingRequest {
            id,
            origin: origin.to_owned(),
            method: method.to_owned(),
            summary,
            account,
        };
        state.pending.insert(
            id,
            Entry {
                request: pending.clone(),
                action,
            },
        );
        Ok(Answer::Pending(Box::new(pending)))
    }

    fn blank(
        &self,
        origin: &str,
        kind: RequestKind,
        chain_id: Option<u64>,
    ) -> Result<Summary, DappError> {
        let chain_name = chain_id.map(|id| {
            self.chain(id)
                .map(|c| c.name)
                .unwrap_or_else(|_| format!("chain {id}"))
        });
        Ok(Summary {
            origin: origin.to_owned(),
            kind,
            title: String::new(),
            lines: Vec::new(),
            warnings: Vec::new(),
            chain_id,
            chain_name,
            payer: None,
            siwe: None,
            siwe_flags: Vec::new(),
            asset_changes: Vec::new(),
            grants: Vec::new(),
            reverted: None,
        })
    }

    fn message_summary(
        &self,
        origin: &str,
        lang: SummaryLanguage,
        session: &DappSession,
        message: &[u8],
    ) -> Result<Summary, DappError> {
        let text = std::str::from_utf8(message).ok();
        let siwe: Option<SiweMessage> = text.and_then(parse_siwe);
        let mut summary = self.blank(
            origin,
            if siwe.is_some() {
                RequestKind::SignIn
            } else {
                RequestKind::Message
            },
            Some(session.chain_id),
        )?;
        match &siwe {
            Some(m) => {
                let flags: Vec<SiweFlag> =
                    m.flags(origin, session.account, session.chain_id, now());
                summary.title = say(lang, Phrase::SignInTitle, &[("domain", &m.domain)]);
                summary.warnings = siwe_warnings(lang, &flags);
                summary.siwe_flags = flags;
            }
            None => summary.title = say(lang, Phrase::MessageTitle, &[("origin", origin)]),
        }
        summary.lines.push(match text {
            Some(t) if !t.chars().any(|c| c.is_control() && c != '\n') => t.to_owned(),
            _ => format!(
                "({} bytes) {}",
                message.len(),
                hex::encode_prefixed(message)
            ),
        });
        summary.lines.push(say(lang, Phrase::MessageFree, &[]));
        summary.siwe = siwe;
        Ok(summary)
    }

    async fn typed_summary(
        &self,
        origin: &str,
        lang: SummaryLanguage,
        session: &DappSession,
        data: &TypedData,
    ) -> Result<Summary, DappError> {
        let mut summary = self.blank(origin, RequestKind::TypedData, Some(session.chain_id))?;
        summary.title = say(
            lang,
            Phrase::TypedTitle,
            &[("origin", origin), ("type", data.primary_type())],
        );
        let domain = data.domain();
        if let Some(name) = &domain.name {
            summary
                .lines
                .push(say(lang, Phrase::TypedApp, &[("app", name)]));
        }
        if let Some(contract) = domain.verifying_contract {
            summary.lines.push(say(
                lang,
                Phrase::TypedContract,
                &[("address", &contract.to_checksum(None))],
            ));
        }
        let mut probe = Simulation {
            grants: assets::grants_in_typed_data(data),
            ..Simulation::default()
        };
        if !probe.grants.is_empty() {
            let node = self.wallet.node(&self.chain(session.chain_id)?)?;
            name_assets(&node, &mut probe).await;
        }
        let (lines, warnings) = grant_lines(lang, &probe.grants);
        summary.lines.extend(lines);
        summary.warnings.extend(warnings);
        summary.grants = probe.grants;
        summary
            .lines
            .push(serde_json::to_string_pretty(data.message()).unwrap_or_default());
        Ok(summary)
    }

    async fn calls_summary(
        &self,
        origin: &str,
        lang: SummaryLanguage,
        session: &DappSession,
        chain_id: u64,
        calls: &[DappCall],
        service: Option<&PaymasterService>,
    ) -> Result<(Summary, Vec<AccountCall>), DappError> {
        for call in calls {
            if call.to == session.account && !call.data.is_empty() {
                return Err(DappError::OwnAccountCall {
                    what: own_account_change(&call.data),
                });
            }
        }
        let chain = self.chain(chain_id)?;
        let native = chain.native_currency.symbol.clone();
        let node = self.wallet.node(&chain)?;
        let simulation = simulate(&node, session.account, calls).await.map_err(|e| {
            DappError::ChainUnreachable {
                chain_id,
                reason: e.to_string(),
            }
        })?;
        let mut summary = self.blank(origin, RequestKind::Calls, Some(chain_id))?;
        summary.title = say(
            lang,
            Phrase::CallsTitle,
            &[("origin", origin), ("n", &calls.len().to_string())],
        );
        summary
            .lines
            .push(say(lang, Phrase::OnChain, &[("chain", &chain.name)]));
        for (i, call) in calls.iter().enumerate() {
            let amount = format!("{} {native}", crate::tokens::format_amount(call.value, 18));
            summary.lines.push(say(
                lang,
                Phrase::CallLine,
                &[
                    ("n", &(i + 1).to_string()),
                    ("to", &call.to.to_checksum(None)),
                    ("amount", &amount),
                ],
            ));
        }
        if let Some(reason) = &simulation.reverted {
            summary
                .warnings
                .push(say(lang, Phrase::RevertWarning, &[("reason", reason)]));
        } else {
            if !simulation.simulated {
                summary
                    .warnings
                    .push(say(lang, Phrase::SimulationUnavailable, &[]));
            }
            summary
                .lines
                .extend(change_lines(lang, &simulation.changes, &native));
            let (lines, warnings) = grant_lines(lang, &simulation.grants);
            summary.lines.extend(lines);
            summary.warnings.extend(warnings);
        }
        summary.payer = Some(match (service, &chain.paymaster_url) {
            (Some(s), _) => say(lang, Phrase::PaidBySite, &[("host", origin_host(&s.url))]),
            (None, Some(_)) => say(
                lang,
                Phrase::PaidBySponsor,
                &[("sponsor", &chain.payer_name().unwrap_or_default())],
            ),
            (None, None) => say(lang, Phrase::PaidByAccount, &[("symbol", &native)]),
        });
        summary.asset_changes = simulation.changes;
        summary.grants = simulation.grants;
        summary.reverted = simulation.reverted;
        let calls = calls
            .iter()
            .map(|c| AccountCall {
                to: c.to,
                value: c.value,
                data: c.data.clone(),
            })
            .collect();
        Ok((summary, calls))
    }

    async fn send_calls(
        &self,
        origin: &str,
        lang: SummaryLanguage,
        batch: SendCalls,
    ) -> Result<(Summary, Action, Option<Address>), DappError> {
        let session = self.connected(origin)?;
        if let Some(from) = batch.from {
            Self::check_account(from, &session)?;
        }
        let chain = self
            .chain(batch.chain_id)
            .map_err(|_| DappError::UnsupportedChain(batch.chain_id))?;
        if chain.bundler_url.is_none() {
            return Err(DappError::UnsupportedChain(batch.chain_id));
        }
        if let Some(id) = &batch.id
            && self
                .wallet
                .unlocked(|v| Ok(v.dapp_batch(origin, id)?))?
                .is_some()
        {
            return Err(DappError::DuplicateId(id.clone()));
        }
        let (summary, calls) = self
            .calls_summary(
                origin,
                lang,
                &session,
                batch.chain_id,
                &batch.calls,
                batch.paymaster_service.as_ref(),
            )
            .await?;
        let payment = match batch.paymaster_service {
            Some(s) => Payment::Service {
                url: s.url,
                context: s.context,
            },
            None => Payment::Default,
        };
        let id = match batch.id {
            Some(id) => id,
            None => hex::encode_prefixed(
                crate::keys::random_array::<16>().map_err(|_| DappError::RandomSource)?,
            ),
        };
        let action = Action::Send {
            account: session.account,
            chain_id: batch.chain_id,
            calls,
            payment,
            batch: Some(id),
        };
        Ok((summary, action, Some(session.account)))
    }

    async fn add_chain(
        &self,
        origin: &str,
        lang: SummaryLanguage,
        add: AddChain,
        session: Option<DappSession>,
    ) -> Result<(Summary, Action, Option<Address>), DappError> {
        let session = session.ok_or_else(|| DappError::NotConnected {
            origin: origin.to_owned(),
        })?;
        if let Ok(known) = self.chain(add.chain_id) {
            // A known network keeps its settings: the request becomes a switch.
            if session.chain_id == known.chain_id {
                return Err(DappError::invalid(
                    "wallet_addEthereumChain",
                    "Harbor already has this network and the site is on it",
                ));
            }
            let mut summary = self.blank(origin, RequestKind::SwitchChain, Some(known.chain_id))?;
            summary.title = say(
                lang,
                Phrase::SwitchTitle,
                &[("origin", origin), ("chain", &known.name)],
            );
            return Ok((
                summary,
                Action::SwitchChain(known.chain_id),
                Some(session.account),
            ));
        }
        let chain = Chain {
            chain_id: add.chain_id,
            name: add.name,
            native_currency: NativeCurrency {
                name: add.currency.0,
                symbol: add.currency.1,
                decimals: add.currency.2,
            },
            rpc_urls: add.rpc_urls,
            explorer_url: add.explorer_url,
            bundler_url: None,
            paymaster_url: None,
            testnet: false,
            sponsor: None,
        };
        chain
            .validate()
            .map_err(|e| DappError::invalid("wallet_addEthereumChain", e.to_string()))?;
        let node = self.wallet.node(&chain)?;
        let answered = node
            .chain_id()
            .await
            .map_err(|e| DappError::ChainUnreachable {
                chain_id: chain.chain_id,
                reason: e.to_string(),
            })?;
        if answered != chain.chain_id {
            return Err(DappError::invalid(
                "wallet_addEthereumChain",
                format!(
                    "the node answers for chain {answered}, not {}",
                    chain.chain_id
                ),
            ));
        }
        let mut summary = self.blank(origin, RequestKind::AddChain, Some(chain.chain_id))?;
        summary.chain_name = Some(chain.name.clone());
        summary.title = say(
            lang,
            Phrase::AddTitle,
            &[("origin", origin), ("chain", &chain.name)],
        );
        for url in &chain.rpc_urls {
            summary
                .lines
                .push(say(lang, Phrase::AddLine, &[("url", url)]));
        }
        Ok((
            summary,
            Action::AddChain(Box::new(chain)),
            Some(session.account),
        ))
    }

    fn batch(&self, session: &DappSession, id: &str) -> Result<DappBatch, DappError> {
        self.wallet
            .unlocked(|v| Ok(v.dapp_batch(&session.origin, id)?))?
            .ok_or_else(|| DappError::UnknownBundle(id.to_owned()))
    }

    async fn calls_status(&self, session: &DappSession, id: &str) -> Result<Value, DappError> {
        let batch = self.batch(session, id)?;
        let mut answer = json!({
            "version": CALLS_VERSION,
            "id": id,
            "chainId": hex_chain(batch.chain_id),
            "atomic": true,
        });
        let Some(hash) = batch.user_op_hash else {
            answer["status"] = json!(400);
            return Ok(answer);
        };
        match self.wallet.operation_status(batch.chain_id, hash).await? {
            None => answer["status"] = json!(100),
            Some(r) => {
                answer["status"] = json!(if r.success { 200 } else { 500 });
                let t = &r.receipt;
                answer["receipts"] = json!([{
                    "logs": t.get("logs").cloned().unwrap_or(json!([])),
                    "status": if r.success { "0x1" } else { "0x0" },
                    "blockHash": t.get("blockHash"),
                    "blockNumber": t.get("blockNumber"),
                    "gasUsed": t.get("gasUsed"),
                    "transactionHash": t.get("transactionHash"),
                }]);
            }
        }
        Ok(answer)
    }

    /// Rejects pending request `id`; the site is to be answered with
    /// [`DappError::UserRejected`] (4001).
    pub fn reject(&self, id: u64) -> Result<DappError, DappError> {
        self.state()
            .pending
            .remove(&id)
            .ok_or(DappError::NoSuchRequest(id))?;
        Ok(DappError::UserRejected)
    }

    /// Approves pending request `id` and carries it out; returns the JSON-RPC result for the
    /// site. `account` chooses the account for a connection (the proposed one when `None`).
    pub async fn approve(&self, id: u64, account: Option<Address>) -> Result<Value, DappError> {
        // Taken out first: approving twice never acts twice.
        let entry = self
            .state()
            .pending
            .remove(&id)
            .ok_or(DappError::NoSuchRequest(id))?;
        let origin = entry.request.origin.clone();
        match entry.action {
            Action::Connect { permissions } => {
                let account = match account.or(entry.request.account) {
                    Some(a) => a,
                    None => return Err(DappError::Locked),
                };
                if !self.wallet.accounts()?.iter().any(|a| a.address == account) {
                    return Err(crate::wallet::WalletError::NotYourAccount(account).into());
                }
                let session = DappSession {
                    origin: origin.clone(),
                    account,
                    chain_id: entry
                        .request
                        .summary
                        .chain_id
                        .unwrap_or(crate::chains::DEV_CHAIN_ID),
                    granted_at: now(),
                };
                self.wallet
                    .unlocked(|v| Ok(v.save_dapp_session(&session)?))?;
                self.emit(
                    &origin,
                    "connect",
                    json!({"chainId": hex_chain(session.chain_id)}),
                );
                self.emit(&origin, "accountsChanged", json!([account]));
                Ok(if permissions {
                    json!([permission(&origin, &session)])
                } else {
                    json!([account])
                })
            }
            Action::SignMessage {
                account,
                chain_id,
                message,
            } => {
                let signature = self
                    .wallet
                    .sign_message(account, chain_id, &message)
                    .await?;
                Ok(json!(signature))
            }
            Action::SignTypedData {
                account,
                chain_id,
                data,
            } => {
                let signature = self
                    .wallet
                    .sign_typed_data(account, chain_id, &data)
                    .await?;
                Ok(json!(signature))
            }
            Action::Send {
                account,
                chain_id,
                calls,
                payment,
                batch,
            } => {
                let description = format!("Calls from {}", origin_host(&origin));
                match batch {
                    Some(batch_id) => {
                        let record = DappBatch {
                            origin: origin.clone(),
                            id: batch_id.clone(),
                            chain_id,
                            account,
                            user_op_hash: None,
                            created_at: now(),
                        };
                        if !self.wallet.unlocked(|v| Ok(v.add_dapp_batch(&record)?))? {
                            return Err(DappError::DuplicateId(batch_id));
                        }
                        match self
                            .wallet
                            .submit_calls(account, chain_id, &calls, &payment, &description)
                            .await
                        {
                            Ok(sent) => {
                                self.wallet.unlocked(|v| {
                                    Ok(v.set_dapp_batch_operation(
                                        &origin,
                                        &batch_id,
                                        sent.user_op_hash,
                                    )?)
                                })?;
                                Ok(json!({"id": batch_id}))
                            }
                            Err(e) => {
                                let _ = self
                                    .wallet
                                    .unlocked(|v| Ok(v.remove_dapp_batch(&origin, &batch_id)?));
                                Err(e.into())
                            }
                        }
                    }
                    None => {
                        let receipt = self
                            .wallet
                            .send_calls(account, chain_id, &calls, &description, &|_| {})
                            .await?;
                        let hash: B256 = receipt.transaction_hash.unwrap_or(receipt.user_op_hash);
                        Ok(json!(hash))
                    }
                }
            }
            Action::SwitchChain(chain_id) => {
                self.set_session_chain(&origin, chain_id)?;
                Ok(Value::Null)
            }
            Action::AddChain(chain) => {
                self.wallet.unlocked(|v| Ok(v.save_chain(&chain)?))?;
                self.set_session_chain(&origin, chain.chain_id)?;
                Ok(Value::Null)
            }
            Action::WatchAsset(token) => {
                self.wallet.unlocked(|v| Ok(v.watch_token(&token)?))?;
                Ok(json!(true))
            }
        }
    }

    fn set_session_chain(&self, origin: &str, chain_id: u64) -> Result<(), DappError> {
        let mut session = self.connected(origin)?;
        session.chain_id = chain_id;
        self.wallet
            .unlocked(|v| Ok(v.save_dapp_session(&session)?))?;
        self.emit(origin, "chainChanged", json!(hex_chain(chain_id)));
        Ok(())
    }

    /// Connects `origin` to `account` instead (the site sees `accountsChanged`).
    pub fn change_account(&self, origin: &str, account: Address) -> Result<(), DappError> {
        let mut session = self.connected(origin)?;
        if !self.wallet.accounts()?.iter().any(|a| a.address == account) {
            return Err(crate::wallet::WalletError::NotYourAccount(account).into());
        }
        session.account = account;
        self.wallet
            .unlocked(|v| Ok(v.save_dapp_session(&session)?))?;
        self.emit(origin, "accountsChanged", json!([account]));
        Ok(())
    }
}
