//! Balances, the review of a send, the send itself, and the activity record it keeps up to
//! date whatever happens on the way.

use std::time::{SystemTime, UNIX_EPOCH};

use alloy_primitives::{Address, B256, Bytes, U256};

use super::{SharedVault, Wallet, WalletError, WalletResult};
use crate::aa::{
    AccountCall, AccountClient, GasPayer, HarborAccount, OwnerSigner, SendError, SendOptions,
    SendOutcome, SendProgress,
};
use crate::chains::Chain;
use crate::contacts::{self, RecipientWarning};
use crate::rpc::NodeClient;
use crate::tokens;
use crate::vault::{ActivityEntry, ActivityStatus, TransferSummary};

/// A transfer the person asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendRequest {
    /// The smart account sending.
    pub account: Address,
    /// The network.
    pub chain_id: u64,
    /// The recipient.
    pub to: Address,
    /// The amount as typed ("0.5").
    pub amount: String,
    /// The ERC-20 token, or `None` for the network's coin.
    pub token: Option<Address>,
}

/// What a send will do, for the person to confirm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendReview {
    /// The sending account.
    pub from: Address,
    /// The recipient.
    pub to: Address,
    /// The recipient's name in the address book.
    pub to_name: Option<String>,
    /// The amount, normalised ("0.5").
    pub amount: String,
    /// Its coin or token.
    pub symbol: String,
    /// The network's name.
    pub chain_name: String,
    /// Whether a sponsor pays the gas.
    pub sponsored: bool,
    /// Who pays the gas: the sponsor's name (or its host); `None` when the account pays.
    pub sponsor: Option<String>,
    /// Whether this first operation also creates the account on this network.
    pub creates_account: bool,
    /// What to double-check about the recipient, most serious first.
    pub warnings: Vec<RecipientWarning>,
}

/// What a completed send did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The smart account that sent.
    pub account: Address,
    /// The UserOperation's hash.
    pub user_op_hash: B256,
    /// The transaction that included it.
    pub transaction_hash: Option<B256>,
    /// Its block.
    pub block_number: Option<u64>,
    /// A link to the transaction on the network's explorer.
    pub explorer_url: Option<String>,
    /// What the gas cost, in wei.
    pub gas_cost: U256,
    /// What the gas cost, formatted in the network's coin.
    pub gas_cost_formatted: String,
    /// The network's coin.
    pub gas_symbol: String,
    /// The sponsor's name when a sponsor paid; `None` when the account paid.
    pub sponsor: Option<String>,
}

/// An amount of a coin or token held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenAmount {
    /// The token, or `None` for the network's coin.
    pub token: Option<Address>,
    /// Its ticker.
    pub symbol: String,
    /// In base units.
    pub raw: U256,
    /// Its decimals.
    pub decimals: u8,
    /// Formatted for people ("1.5").
    pub formatted: String,
}

/// What an account holds on one network.
#[derive(Debug)]
pub struct ChainBalances {
    /// The network.
    pub chain_id: u64,
    /// Its name.
    pub chain_name: String,
    /// Whether the account exists there yet.
    pub deployed: bool,
    /// Whether a sponsor pays the gas there.
    pub sponsored: bool,
    /// Who pays the gas there: the sponsor's name (or its host); `None` when the account pays.
    pub sponsor: Option<String>,
    /// The coin, then the tokens asked for.
    pub amounts: Vec<TokenAmount>,
    /// Why the network could not be read (the other networks still are).
    pub error: Option<WalletError>,
}

/// A checked send: the network, the call, the amount and ticker, the recipient.
struct Prepared {
    chain: Chain,
    call: AccountCall,
    amount: String,
    symbol: String,
}

impl Wallet {
    /// What `account` holds on every active network: the coin, then `tokens` (chain id and
    /// token address) of that network and the tokens the person chose to watch there (EIP-747).
    /// A network that cannot be read says why.
    pub async fn balances(
        &self,
        account: Address,
        tokens: &[(u64, Address)],
    ) -> WalletResult<Vec<ChainBalances>> {
        let mut out = Vec::new();
        for chain in self.active_chains()? {
            let mut added: Vec<Address> = tokens
                .iter()
                .filter(|(id, _)| *id == chain.chain_id)
                .map(|(_, t)| *t)
                .collect();
            for watched in self.unlocked(|v| Ok(v.watched_tokens(chain.chain_id)?))? {
                if !added.contains(&watched.address) {
                    added.push(watched.address);
                }
            }
            let read = match self.node(&chain) {
                Ok(node) => read_balances(&node, &chain, account, &added).await,
                Err(e) => Err(e),
            };
            let (deployed, amounts, error) = match read {
                Ok((deployed, amounts)) => (deployed, amounts, None),
                Err(e) => (false, Vec::new(), Some(e)),
            };
            out.push(ChainBalances {
                chain_id: chain.chain_id,
                chain_name: chain.name.clone(),
                deployed,
                sponsored: chain.paymaster_url.is_some(),
                sponsor: chain.payer_name(),
                amounts,
                error,
            });
        }
        Ok(out)
    }

    /// What the wallet knows about a recipient: checksum, address-book name, warnings.
    pub fn check_recipient(&self, to: Address) -> WalletResult<contacts::RecipientCheck> {
        let own: Vec<Address> = self.accounts()?.iter().map(|a| a.address).collect();
        let book = self.unlocked(|v| Ok(v.contacts()?))?;
        Ok(contacts::check_recipient(to, &book, &own))
    }

    /// Checks a send (amount, balance, recipient) and describes it for the review step.
    pub async fn review_send(&self, request: &SendRequest) -> WalletResult<SendReview> {
        let prepared = self.prepare(request).await?;
        let recipient = self.check_recipient(request.to)?;
        let node = self.node(&prepared.chain)?;
        let deployed = !node.code(request.account).await?.is_empty();
        Ok(SendReview {
            from: request.account,
            to: request.to,
            to_name: recipient.contact.and_then(|c| c.name),
            amount: prepared.amount,
            symbol: prepared.symbol,
            chain_name: prepared.chain.name.clone(),
            sponsored: prepared.chain.paymaster_url.is_some(),
            sponsor: prepared.chain.payer_name(),
            creates_account: !deployed,
            warnings: recipient.warnings,
        })
    }

    /// Validates a send: the network, the amount in the token's decimals, the balance.
    async fn prepare(&self, request: &SendRequest) -> WalletResult<Prepared> {
        let chain = self.chain(request.chain_id)?;
        let node = self.node(&chain)?;
        let (decimals, symbol, balance) = match request.token {
            None => (
                18,
                chain.native_currency.symbol.clone(),
                node.balance(request.account).await?,
            ),
            Some(token) => (
                node.erc20_decimals(token).await?,
                node.erc20_symbol(token).await?,
                node.erc20_balance(token, request.account).await?,
            ),
        };
        let value = tokens::parse_amount(&request.amount, decimals)?;
        if value.is_zero() {
            return Err(WalletError::ZeroAmount);
        }
        if value > balance {
            return Err(WalletError::InsufficientFunds {
                available: tokens::format_amount(balance, decimals),
                amount: tokens::format_amount(value, decimals),
                symbol,
            });
        }
        let call = match request.token {
            None => AccountCall {
                to: request.to,
                value,
                data: Bytes::new(),
            },
            Some(token) => AccountCall {
                to: token,
                value: U256::ZERO,
                data: tokens::transfer_call_data(request.to, value),
            },
        };
        Ok(Prepared {
            chain,
            call,
            amount: tokens::format_amount(value, decimals),
            symbol,
        })
    }

    /// Sends a transfer (checked as in [`Wallet::review_send`]; sponsored where the network has
    /// a paymaster), reporting each stage; recorded in the activity list.
    pub async fn send(
        &self,
        request: &SendRequest,
        progress: &(dyn Fn(SendProgress) + Send + Sync),
    ) -> WalletResult<Receipt> {
        let prepared = self.prepare(request).await?;
        let record = SendRecord {
            chain_id: prepared.chain.chain_id,
            description: format!(
                "Sent {} {} to {}",
                prepared.amount,
                prepared.symbol,
                request.to.to_checksum(None)
            ),
            transfer: Some(TransferSummary {
                to: request.to,
                amount: prepared.amount.clone(),
                symbol: prepared.symbol.clone(),
            }),
        };
        self.send_from(
            request.account,
            &prepared.chain,
            &[prepared.call],
            record,
            progress,
        )
        .await
    }

    /// Sends `calls` from `account` on `chain_id` in one operation (sponsored where the network
    /// has a paymaster), recorded in the activity list as `description`.
    pub async fn send_calls(
        &self,
        account: Address,
        chain_id: u64,
        calls: &[AccountCall],
        description: &str,
        progress: &(dyn Fn(SendProgress) + Send + Sync),
    ) -> WalletResult<Receipt> {
        let chain = self.chain(chain_id)?;
        let record = SendRecord {
            chain_id,
            description: description.to_owned(),
            transfer: None,
        };
        self.send_from(account, &chain, calls, record, progress)
            .await
    }

    async fn send_from(
        &self,
        account: Address,
        chain: &Chain,
        calls: &[AccountCall],
        record: SendRecord,
        progress: &(dyn Fn(SendProgress) + Send + Sync),
    ) -> WalletResult<Receipt> {
        let (signer, harbor) = self.owner_for(account).await?;
        let client = self.account_client(chain)?;
        let options = SendOptions {
            sponsored: chain.paymaster_url.is_some(),
            ..SendOptions::default()
        };
        let outcome = send_recorded(
            &self.vault,
            &client,
            &harbor,
            signer.as_ref(),
            calls,
            &options,
            record,
            progress,
        )
        .await?;
        Ok(receipt(chain, &outcome))
    }
}

/// The receipt of `outcome` on `chain`.
pub(super) fn receipt(chain: &Chain, outcome: &SendOutcome) -> Receipt {
    Receipt {
        account: outcome.sender,
        user_op_hash: outcome.user_op_hash,
        transaction_hash: outcome.transaction_hash,
        block_number: outcome.block_number,
        explorer_url: outcome
            .transaction_hash
            .and_then(|h| chain.explorer_tx_url(&h.to_string())),
        gas_cost: outcome.actual_gas_cost,
        gas_cost_formatted: tokens::format_amount(outcome.actual_gas_cost, 18),
        gas_symbol: chain.native_currency.symbol.clone(),
        sponsor: sponsor_name(&outcome.paid_by),
    }
}

async fn read_balances(
    node: &NodeClient,
    chain: &Chain,
    account: Address,
    added: &[Address],
) -> WalletResult<(bool, Vec<TokenAmount>)> {
    let deployed = !node.code(account).await?.is_empty();
    let native = node.balance(account).await?;
    let mut amounts = vec![TokenAmount {
        token: None,
        symbol: chain.native_currency.symbol.clone(),
        raw: native,
        decimals: 18,
        formatted: tokens::format_amount(native, 18),
    }];
    for &token in added {
        let raw = node.erc20_balance(token, account).await?;
        let decimals = node.erc20_decimals(token).await?;
        amounts.push(TokenAmount {
            token: Some(token),
            symbol: node.erc20_symbol(token).await?,
            raw,
            decimals,
            formatted: tokens::format_amount(raw, decimals),
        });
    }
    Ok((deployed, amounts))
}

/// What the activity list says about a send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendRecord {
    /// The chain it is sent on.
    pub chain_id: u64,
    /// What it is, in words (English; used when there is no `transfer`).
    pub description: String,
    /// The transfer it makes, if it is one (the recipient is remembered once it is included).
    pub transfer: Option<TransferSummary>,
}

/// Sends `calls` from `account` like [`AccountClient::send_calls`], and records the operation:
/// pending once the bundler has it, then confirmed (with gas and sponsor) or failed. A failure
/// to write the record never hides the send's own outcome.
#[allow(clippy::too_many_arguments)] // Mirrors `AccountClient::send_calls` plus the vault and record.
pub async fn send_recorded(
    vault: &SharedVault,
    client: &AccountClient,
    account: &HarborAccount,
    signer: &dyn OwnerSigner,
    calls: &[AccountCall],
    options: &SendOptions,
    record: SendRecord,
    progress: &(dyn Fn(SendProgress) + Send + Sync),
) -> Result<SendOutcome, SendError> {
    let sender = account.address();
    let entry = |id: String, status| ActivityEntry {
        id,
        chain_id: record.chain_id,
        account: sender,
        description: record.description.clone(),
        status,
        transaction_hash: None,
        gas_cost_wei: None,
        sponsor: None,
        error: None,
        created_at: now(),
        transfer: record.transfer.clone(),
    };
    let save = |e: &ActivityEntry| {
        if let Ok(mut v) = vault.lock()
            && let Err(error) = v.record_activity(e)
        {
            tracing::warn!(%error, "could not record an activity entry");
        }
    };
    let observe = |p: SendProgress| {
        if let SendProgress::Submitted { user_op_hash } = &p {
            save(&entry(user_op_hash.to_string(), ActivityStatus::Pending));
        }
        progress(p);
    };
    let result = client
        .send_calls(account, signer, calls, options, &observe)
        .await;
    match &result {
        Ok(outcome) => {
            let mut done = entry(outcome.user_op_hash.to_string(), ActivityStatus::Confirmed);
            done.transaction_hash = outcome.transaction_hash.map(|h| h.to_string());
            done.gas_cost_wei = Some(outcome.actual_gas_cost.to_string());
            done.sponsor = sponsor_name(&outcome.paid_by);
            save(&done);
            if let (Some(t), Ok(mut v)) = (&record.transfer, vault.lock())
                && let Err(error) = v.note_recipient(t.to, now())
            {
                tracing::warn!(%error, "could not remember the recipient");
            }
        }
        Err(SendError::Reverted {
            user_op_hash: Some(hash),
            ..
        }) => {
            let mut failed = entry(hash.to_string(), ActivityStatus::Failed);
            failed.error = result.as_ref().err().map(ToString::to_string);
            save(&failed);
        }
        Err(_) => {}
    }
    result
}

/// The sponsor's display name, or `None` when the account paid.
pub fn sponsor_name(payer: &GasPayer) -> Option<String> {
    match payer {
        GasPayer::Sponsor { name, .. } => Some(name.clone().unwrap_or_else(|| "a sponsor".into())),
        GasPayer::Account => None,
    }
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
