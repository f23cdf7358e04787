//! Networks, balances and sending (sponsored or self-paid) with progress reported to the app.

use std::sync::Arc;

use alloy_primitives::{Address, Bytes, U256};
use harbor_core::aa::{AccountCall, AccountClient, SendOptions, SendProgress};
use harbor_core::chains::{Chain, NativeCurrency};
use harbor_core::tokens;
use harbor_core::wallet::{SendRecord, send_recorded, sponsor_name};

use crate::error::{HarborError, Result, parse_address};
use crate::run;
use crate::vault::Vault;

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
        }
    }
}

/// A balance in base units and for display.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Balance {
    /// Base units (wei for the native coin), decimal.
    pub raw: String,
    /// Human amount ("12.5").
    pub formatted: String,
    /// Ticker.
    pub symbol: String,
    /// Decimals.
    pub decimals: u8,
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

/// The result of a completed send.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SendReceipt {
    /// The smart account that sent.
    pub account: String,
    /// The UserOperation's hash.
    pub user_op_hash: String,
    /// The transaction that included it.
    pub transaction_hash: Option<String>,
    /// Its block.
    pub block_number: Option<u64>,
    /// Gas cost in wei (decimal).
    pub gas_cost_wei: String,
    /// The sponsor's name when a sponsor paid; `None` when the account paid.
    pub sponsor: Option<String>,
    /// A link to the transaction on the chain's explorer.
    pub explorer_url: Option<String>,
}

fn parse_wei(text: &str) -> Result<U256> {
    text.trim()
        .parse()
        .map_err(|_| HarborError::input(format!("\u{201c}{text}\u{201d} is not an amount in wei")))
}

/// Talks to one network: balances and sends.
#[derive(uniffi::Object)]
pub struct ChainClient {
    chain: Chain,
    client: Arc<AccountClient>,
}

impl std::fmt::Debug for ChainClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ChainClient({})", self.chain.chain_id)
    }
}

impl ChainClient {
    pub(crate) fn account_client(chain: &ChainInfo) -> Result<AccountClient> {
        crate::runtime()?;
        let bundler = chain.bundler_url.as_deref().ok_or_else(|| {
            HarborError::input(format!("{} has no bundler configured", chain.name))
        })?;
        let client = AccountClient::new(chain.chain_id, &chain.rpc_url, bundler)?;
        Ok(match &chain.paymaster_url {
            Some(url) => client.with_paymaster(url)?,
            None => client,
        })
    }
}

#[uniffi::export]
impl ChainClient {
    /// A client for `chain` (needs a bundler URL; a paymaster URL for sponsored sends).
    #[uniffi::constructor]
    pub fn new(chain: ChainInfo) -> Result<Arc<Self>> {
        let client = Self::account_client(&chain)?;
        let chain: Chain = chain.into();
        chain.validate()?;
        Ok(Arc::new(Self {
            chain,
            client: Arc::new(client),
        }))
    }

    /// The native balance of `address`.
    pub async fn native_balance(&self, address: String) -> Result<Balance> {
        let address = parse_address(&address)?;
        let client = self.client.clone();
        let symbol = self.chain.native_currency.symbol.clone();
        run(async move {
            let raw = client.node().balance(address).await?;
            Ok(Balance {
                raw: raw.to_string(),
                formatted: tokens::format_amount(raw, 18),
                symbol,
                decimals: 18,
            })
        })
        .await
    }

    /// The ERC-20 balance of `owner` in `token`.
    pub async fn token_balance(&self, token: String, owner: String) -> Result<Balance> {
        let (token, owner) = (parse_address(&token)?, parse_address(&owner)?);
        let client = self.client.clone();
        run(async move {
            let node = client.node();
            let raw = node.erc20_balance(token, owner).await?;
            let decimals = node.erc20_decimals(token).await?;
            let symbol = node.erc20_symbol(token).await?;
            Ok(Balance {
                raw: raw.to_string(),
                formatted: tokens::format_amount(raw, decimals),
                symbol,
                decimals,
            })
        })
        .await
    }

    /// A transfer of `amount` ("0.5") of the native coin to `to`, as a call.
    pub fn native_transfer(&self, to: String, amount: String) -> Result<Call> {
        Ok(Call {
            to: parse_address(&to)?.to_checksum(None),
            value_wei: tokens::parse_amount(&amount, 18)?.to_string(),
            data: "0x".into(),
        })
    }

    /// A transfer of `amount` ("12.5") of ERC-20 `token` to `to`, as a call (reads decimals).
    pub async fn token_transfer(&self, token: String, to: String, amount: String) -> Result<Call> {
        let (token, to) = (parse_address(&token)?, parse_address(&to)?);
        let client = self.client.clone();
        run(async move {
            let decimals = client.node().erc20_decimals(token).await?;
            let value = tokens::parse_amount(&amount, decimals)?;
            Ok(Call {
                to: token.to_checksum(None),
                value_wei: "0".into(),
                data: tokens::transfer_call_data(to, value).to_string(),
            })
        })
        .await
    }

    /// Sends `calls` from the smart account of `wallet_id`'s account `index`, in one operation.
    /// `sponsored`: ask the paymaster to pay the gas. `initial_owner`: the key the account was
    /// created with, when it differs from the signing key (after a recovery). The operation is
    /// recorded in the vault's activity list with `description`.
    #[allow(clippy::too_many_arguments)]
    pub async fn send_calls(
        &self,
        vault: Arc<Vault>,
        wallet_id: String,
        index: u32,
        initial_owner: Option<String>,
        calls: Vec<Call>,
        sponsored: bool,
        description: String,
        listener: Option<Arc<dyn SendListener>>,
    ) -> Result<SendReceipt> {
        let (signer, account) = vault.owner_account(&wallet_id, index, initial_owner)?;
        let calls = calls
            .into_iter()
            .map(|c| {
                Ok(AccountCall {
                    to: parse_address(&c.to)?,
                    value: parse_wei(&c.value_wei)?,
                    data: c
                        .data
                        .parse::<Bytes>()
                        .map_err(|_| HarborError::input("call data is not 0x… hex"))?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let client = self.client.clone();
        let chain = self.chain.clone();
        let store = vault.shared();
        run(async move {
            let options = SendOptions {
                sponsored,
                ..SendOptions::default()
            };
            let record = SendRecord {
                chain_id: chain.chain_id,
                description,
                transfer: None,
            };
            let progress = move |p: SendProgress| {
                if let Some(l) = &listener {
                    l.on_progress(p.into());
                }
            };
            let outcome = send_recorded(
                &store, &client, &account, &signer, &calls, &options, record, &progress,
            )
            .await?;
            let transaction_hash = outcome.transaction_hash.map(|h| h.to_string());
            Ok(SendReceipt {
                account: outcome.sender.to_checksum(None),
                user_op_hash: outcome.user_op_hash.to_string(),
                explorer_url: transaction_hash
                    .as_deref()
                    .and_then(|h| chain.explorer_tx_url(h)),
                transaction_hash,
                block_number: outcome.block_number,
                gas_cost_wei: outcome.actual_gas_cost.to_string(),
                sponsor: sponsor_name(&outcome.paid_by),
            })
        })
        .await
    }
}

/// Parses an address (a helper apps use to validate input early).
#[uniffi::export]
pub fn is_address(text: String) -> bool {
    text.trim().parse::<Address>().is_ok()
}
