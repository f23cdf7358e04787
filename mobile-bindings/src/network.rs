//! Networks, the calls a smart account makes, and the stages of a send reported to the app.

use std::sync::Arc;

use alloy_primitives::{Bytes, U256};
use harbor_core::aa::{AccountCall, SendProgress};
use harbor_core::chains::{Chain, NativeCurrency};
use harbor_core::tokens;

use crate::error::{HarborError, Result, parse_address};

/// A network and the services the wallet uses on it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ChainInfo {
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// Display name.
    pub name: String,
    /// Native coin ticker ("ETH").
    pub currency_symbol: String,
    /// JSON-RPC endpoint.
    pub rpc_url: String,
    /// ERC-7769 bundler endpoint.
    pub bundler_url: Option<String>,
    /// ERC-7677 paymaster endpoint.
    pub paymaster_url: Option<String>,
    /// Block explorer base URL.
    pub explorer_url: Option<String>,
    /// Whether its coins have no value.
    pub testnet: bool,
    /// The gas sponsor (its own name) whose profile set up this network's bundler and paymaster.
    #[uniffi(default = None)]
    pub sponsor: Option<String>,
}

impl From<Chain> for ChainInfo {
    fn from(c: Chain) -> Self {
        Self {
            chain_id: c.chain_id,
            name: c.name,
            currency_symbol: c.native_currency.symbol,
            rpc_url: c.rpc_urls.into_iter().next().unwrap_or_default(),
            bundler_url: c.bundler_url,
            paymaster_url: c.paymaster_url,
            explorer_url: c.explorer_url,
            testnet: c.testnet,
            sponsor: c.sponsor,
        }
    }
}

impl From<ChainInfo> for Chain {
    fn from(c: ChainInfo) -> Self {
        Self {
            chain_id: c.chain_id,
            name: c.name,
            native_currency: NativeCurrency {
                name: c.currency_symbol.clone(),
                symbol: c.currency_symbol,
                decimals: 18,
            },
            rpc_urls: vec![c.rpc_url],
            explorer_url: c.explorer_url,
            bundler_url: c.bundler_url,
            paymaster_url: c.paymaster_url,
            testnet: c.testnet,
            sponsor: c.sponsor,
        }
    }
}

/// What happened to a recovery of one of the wallet's accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum NoticeKind {
    /// Guardians started a recovery: the owner can cancel it until `execute_after`.
    Started,
    /// The recovery was cancelled.
    Cancelled,
    /// The recovery completed: another key owns the account.
    Executed,
}

/// A recovery event of one of the wallet's accounts, reported by a sponsor's relay (turn it into
/// a push notification).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RecoveryNotice {
    /// What happened.
    pub kind: NoticeKind,
    /// The account.
    pub account: String,
    /// The network.
    pub chain_id: u64,
    /// Its name.
    pub chain_name: String,
    /// The key that would take (or took) the account.
    pub new_owner: String,
    /// When a started recovery can complete (Unix time).
    pub execute_after: Option<u64>,
    /// The sponsor that reported it.
    pub sponsor: String,
    /// In plain words.
    pub message: String,
}

impl From<harbor_core::wallet::RecoveryNotice> for RecoveryNotice {
    fn from(n: harbor_core::wallet::RecoveryNotice) -> Self {
        use harbor_core::wallet::NoticeKind as Core;
        Self {
            kind: match n.kind {
                Core::Started => NoticeKind::Started,
                Core::Cancelled => NoticeKind::Cancelled,
                Core::Executed => NoticeKind::Executed,
            },
            account: n.account.to_checksum(None),
            chain_id: n.chain_id,
            chain_name: n.chain_name,
            new_owner: n.new_owner.to_checksum(None),
            execute_after: n.execute_after,
            sponsor: n.sponsor,
            message: n.message,
        }
    }
}

/// A gas sponsor added by its profile link.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SponsorInfo {
    /// The link it was added with (pass it to `remove_sponsor`).
    pub link: String,
    /// Its name.
    pub name: String,
    /// How to reach it.
    pub contact: Option<String>,
    /// The networks it pays on.
    pub chains: Vec<SponsoredNetwork>,
}

/// One network a sponsor pays on.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SponsoredNetwork {
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// What it pays for there, in its words.
    pub pays: Vec<String>,
}

impl From<harbor_core::chains::Sponsor> for SponsorInfo {
    fn from(s: harbor_core::chains::Sponsor) -> Self {
        Self {
            link: s.link,
            name: s.profile.name,
            contact: s.profile.contact,
            chains: s
                .profile
                .chains
                .into_iter()
                .map(|c| SponsoredNetwork {
                    chain_id: c.chain_id,
                    pays: c.pays,
                })
                .collect(),
        }
    }
}

/// One call made by the smart account.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Call {
    /// Target address.
    pub to: String,
    /// Native value in wei (decimal).
    pub value_wei: String,
    /// Call data as `0x…` hex ("0x" for a plain transfer).
    pub data: String,
}

/// Where a send is (for a progress display).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum SendStage {
    /// Reading the account's state, nonce and fees.
    Preparing,
    /// Asking the sponsor to pay for gas.
    Sponsoring,
    /// Signing.
    Signing,
    /// Handed to the bundler.
    Submitted {
        /// The UserOperation's hash.
        user_op_hash: String,
    },
    /// Included on chain.
    Included {
        /// The UserOperation's hash.
        user_op_hash: String,
        /// The transaction.
        transaction_hash: Option<String>,
    },
    /// It failed; the reason is a sentence.
    Failed {
        /// Why.
        reason: String,
    },
}

impl From<SendProgress> for SendStage {
    fn from(p: SendProgress) -> Self {
        match p {
            SendProgress::Preparing => Self::Preparing,
            SendProgress::Sponsoring => Self::Sponsoring,
            SendProgress::Signing => Self::Signing,
            SendProgress::Submitted { user_op_hash } => Self::Submitted {
                user_op_hash: user_op_hash.to_string(),
            },
            SendProgress::Included {
                user_op_hash,
                transaction_hash,
            } => Self::Included {
                user_op_hash: user_op_hash.to_string(),
                transaction_hash: transaction_hash.map(|h| h.to_string()),
            },
            SendProgress::Failed { reason } => Self::Failed { reason },
        }
    }
}

/// Receives the stages of a send, implemented by the app (called from a background thread).
#[uniffi::export(with_foreign)]
pub trait SendListener: Send + Sync {
    /// A new stage was reached.
    fn on_progress(&self, stage: SendStage);
}

impl Call {
    /// The core's call (address, wei and hex data checked).
    pub(crate) fn to_core(&self) -> Result<AccountCall> {
        Ok(AccountCall {
            to: parse_address(&self.to)?,
            value: self.value_wei.trim().parse::<U256>().map_err(|_| {
                HarborError::input(format!(
                    "\u{201c}{}\u{201d} is not an amount in wei",
                    self.value_wei.trim()
                ))
            })?,
            data: self
                .data
                .parse::<Bytes>()
                .map_err(|_| HarborError::input("call data is not 0x… hex"))?,
        })
    }
}

/// A progress callback for the core that hands each stage to `listener` (if any).
pub(crate) fn notify(
    listener: Option<Arc<dyn SendListener>>,
) -> impl Fn(SendProgress) + Send + Sync + 'static {
    move |p| {
        if let Some(l) = &listener {
            crate::to_app(|| l.on_progress(p.into()));
        }
    }
}

/// A transfer of `base_units` of ERC-20 `token` to `to`, as a call for `Wallet::send_calls`.
#[uniffi::export]
pub fn token_transfer_call(token: String, to: String, base_units: String) -> Result<Call> {
    let value = base_units
        .trim()
        .parse::<U256>()
        .map_err(|_| HarborError::input("not an amount in base units"))?;
    Ok(Call {
        to: parse_address(&token)?.to_checksum(None),
        value_wei: "0".into(),
        data: tokens::transfer_call_data(parse_address(&to)?, value).to_string(),
    })
}

/// Parses an address (a helper apps use to validate input early).
#[uniffi::export]
pub fn is_address(text: String) -> bool {
    parse_address(&text).is_ok()
}
