//! dApps in an app's WebView: the page's EIP-1193 requests go to [`DappEngine`] with the page's
//! origin; answers, pending approvals (with their plain-words summary) and events come back.
//! The JavaScript provider to inject is `js/harbor-provider.js`. One-line adapters over
//! `harbor_core::dapp::DappEngine`.

use std::sync::Arc;

use harbor_core::dapp::{self as core_dapp, Answer, DappError};

use crate::error::{Result, parse_address};
use crate::run;
use crate::wallet::Wallet;

/// The language approval summaries are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SummaryLanguage {
    /// English.
    English,
    /// Simplified Chinese.
    SimplifiedChinese,
    /// Traditional Chinese.
    TraditionalChinese,
}

/// A request waiting for the person's approval, with what it means in words.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DappPendingRequest {
    /// The id to approve or reject it with.
    pub id: u64,
    /// The site that asks.
    pub origin: String,
    /// The JSON-RPC method.
    pub method: String,
    /// What kind of screen to show: connect, signIn, message, typedData, calls, switchChain,
    /// addChain, watchAsset.
    pub kind: String,
    /// One line: who asks what.
    pub title: String,
    /// The details, in order.
    pub lines: Vec<String>,
    /// What looks dangerous (show loudly; empty when nothing does).
    pub warnings: Vec<String>,
    /// The network's name.
    pub chain_name: Option<String>,
    /// Who pays the gas, as a sentence (sends only).
    pub payer: Option<String>,
    /// The account that would act (for a connection: the one proposed).
    pub account: Option<String>,
    /// The whole summary as JSON (asset changes, grants, sign-in fields).
    pub summary_json: String,
}

/// The answer for the page: a result, a request waiting for the person, or an EIP-1193 error.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
#[allow(clippy::large_enum_variant)] // UniFFI passes records by value; a Box cannot cross.
pub enum DappAnswer {
    /// The JSON-RPC result (JSON text).
    Result {
        /// The result.
        json: String,
    },
    /// Show this to the person; answer the page after `approve` or `reject`.
    Pending {
        /// The request.
        request: DappPendingRequest,
    },
    /// The JSON-RPC error for the page (4001 rejected, 4100 unauthorized, 4200 unsupported,
    /// 4900 locked, 5700-series for batches …).
    Error {
        /// The EIP-1193 / EIP-1474 / EIP-5792 code.
        code: i64,
        /// What happened, in words.
        message: String,
    },
}

/// An EIP-1193 event for one page (`connect`, `accountsChanged`, `chainChanged`,
/// `disconnect`), or `showCallsStatus` for the app to show a batch.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DappEvent {
    /// The site it is for.
    pub origin: String,
    /// The event's name.
    pub name: String,
    /// Its payload (JSON text).
    pub data_json: String,
}

/// A site connected to an account.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DappSession {
    /// The site.
    pub origin: String,
    /// The account it sees.
    pub account: String,
    /// The network it uses.
    pub chain_id: u64,
    /// When it was connected (Unix seconds).
    pub granted_at: i64,
}

/// The dApp request engine over a wallet.
#[derive(uniffi::Object)]
pub struct DappEngine {
    inner: Arc<core_dapp::DappEngine>,
}

impl std::fmt::Debug for DappEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DappEngine").finish_non_exhaustive()
    }
}

fn pending(p: core_dapp::PendingRequest) -> DappPendingRequest {
    let s = &p.summary;
    DappPendingRequest {
        id: p.id,
        origin: p.origin.clone(),
        method: p.method.clone(),
        kind: s.kind.as_str().to_owned(),
        title: s.title.clone(),
        lines: s.lines.clone(),
        warnings: s.warnings.clone(),
        chain_name: s.chain_name.clone(),
        payer: s.payer.clone(),
        account: p.account.map(|a| a.to_checksum(None)),
        summary_json: serde_json::to_string(s).unwrap_or_default(),
    }
}

fn error(e: &DappError) -> DappAnswer {
    DappAnswer::Error {
        code: e.rpc_code(),
        message: e.to_string(),
    }
}

fn answer(result: std::result::Result<Answer, DappError>) -> DappAnswer {
    match result {
        Ok(Answer::Result(value)) => DappAnswer::Result {
            json: value.to_string(),
        },
        Ok(Answer::Pending(p)) => DappAnswer::Pending {
            request: pending(*p),
        },
        Err(e) => error(&e),
    }
}

#[uniffi::export]
impl DappEngine {
    /// The engine over `wallet`.
    #[uniffi::constructor]
    pub fn new(wallet: Arc<Wallet>) -> Arc<Self> {
        Arc::new(DappEngine {
            inner: Arc::new(core_dapp::DappEngine::new(wallet.inner.clone())),
        })
    }

    /// Writes approval summaries in `language` from now on.
    pub fn set_language(&self, language: SummaryLanguage) {
        self.inner.set_language(match language {
            SummaryLanguage::English => core_dapp::SummaryLanguage::En,
            SummaryLanguage::SimplifiedChinese => core_dapp::SummaryLanguage::ZhHans,
            SummaryLanguage::TraditionalChinese => core_dapp::SummaryLanguage::ZhHant,
        });
    }

    /// Answers the page at `origin` (taken from the WebView, never from the page) for its
    /// JSON-RPC request `{method, params}` (JSON text).
    pub async fn request(&self, origin: String, request_json: String) -> DappAnswer {
        let request: serde_json::Value = match serde_json::from_str(&request_json) {
            Ok(r) => r,
            Err(e) => {
                return DappAnswer::Error {
                    code: harbor_core::codes::PARSE_ERROR,
                    message: format!("the request is not JSON: {e}"),
                };
            }
        };
        let inner = self.inner.clone();
        run(async move { Ok(answer(inner.request_json(&origin, &request).await)) })
            .await
            .unwrap_or_else(|e| DappAnswer::Error {
                code: harbor_core::codes::INTERNAL_ERROR,
                message: e.to_string(),
            })
    }

    /// Approves pending request `id` and carries it out; the answer for the page. `account`
    /// picks the account for a connection (the proposed one when `None`).
    pub async fn approve(&self, id: u64, account: Option<String>) -> DappAnswer {
        let account = match account.as_deref().map(parse_address).transpose() {
            Ok(a) => a,
            Err(e) => {
                return DappAnswer::Error {
                    code: harbor_core::codes::INVALID_PARAMS,
                    message: e.to_string(),
                };
            }
        };
        let inner = self.inner.clone();
        run(async move {
            Ok(match inner.approve(id, account).await {
                Ok(value) => DappAnswer::Result {
                    json: value.to_string(),
                },
                Err(e) => error(&e),
            })
        })
        .await
        .unwrap_or_else(|e| DappAnswer::Error {
            code: harbor_core::codes::INTERNAL_ERROR,
            message: e.to_string(),
        })
    }

    /// Rejects pending request `id`; the answer for the page (4001).
    pub fn reject(&self, id: u64) -> DappAnswer {
        match self.inner.reject(id) {
            Ok(rejected) => error(&rejected),
            Err(e) => error(&e),
        }
    }

    /// The requests waiting for the person, oldest first.
    pub fn pending(&self) -> Vec<DappPendingRequest> {
        self.inner.pending().into_iter().map(pending).collect()
    }

    /// The events for pages since the last call, oldest first.
    pub fn take_events(&self) -> Vec<DappEvent> {
        self.inner
            .take_events()
            .into_iter()
            .map(|e| DappEvent {
                origin: e.origin,
                name: e.name,
                data_json: e.data.to_string(),
            })
            .collect()
    }

    /// Every connected site, most recent first.
    pub fn sessions(&self) -> Result<Vec<DappSession>> {
        Ok(self
            .inner
            .sessions()?
            .into_iter()
            .map(|s| DappSession {
                origin: s.origin,
                account: s.account.to_checksum(None),
                chain_id: s.chain_id,
                granted_at: s.granted_at,
            })
            .collect())
    }

    /// Disconnects `origin`; whether it was connected.
    pub fn disconnect(&self, origin: String) -> Result<bool> {
        Ok(self.inner.disconnect(&origin)?)
    }
}
