//! The wallet as apps use it: accounts, balances, review and send, activity — one-line adapters
//! over `harbor_core::wallet::Wallet`, with records in and out.

use std::sync::Arc;

use harbor_core::contacts::RecipientWarning as CoreWarning;
use harbor_core::vault as core_vault;
use harbor_core::wallet::{self as core_wallet, Wallet as CoreWallet};

use crate::error::{Result, parse_address};
use crate::network::{Call, RecoveryNotice, SendListener, SponsorInfo, notify};
use crate::run;
use crate::vault::Vault;

/// A smart account the person can use.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct WalletAccount {
    /// The wallet (key source) holding its key.
    pub wallet_id: String,
    /// The key's account index in that wallet.
    pub index: u32,
    /// The account's name.
    pub name: String,
    /// The smart account (the same on every chain).
    pub address: String,
    /// The key that signs for it.
    pub owner: String,
    /// Whether the wallet has a recovery phrase.
    pub has_phrase: bool,
    /// Whether the account came to this device through a recovery.
    pub recovered: bool,
}

/// A token to show on a network.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TokenRef {
    /// The network.
    pub chain_id: u64,
    /// The ERC-20 contract.
    pub address: String,
}

/// An amount of a coin or token held.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TokenAmount {
    /// The token, or `None` for the network's coin.
    pub token: Option<String>,
    /// Its ticker.
    pub symbol: String,
    /// In base units (decimal).
    pub raw: String,
    /// Its decimals.
    pub decimals: u8,
    /// For people ("1.5").
    pub formatted: String,
}

/// What an account holds on one network.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ChainBalances {
    /// The network.
    pub chain_id: u64,
    /// Its name.
    pub chain_name: String,
    /// Whether the account exists there yet.
    pub deployed: bool,
    /// Whether a sponsor pays the gas there.
    pub sponsored: bool,
    /// Who pays the gas there (the sponsor's name or host), when sponsored.
    pub sponsor: Option<String>,
    /// The coin, then the tokens asked for.
    pub amounts: Vec<TokenAmount>,
    /// Why the network could not be read, in words.
    pub error: Option<String>,
}

/// A transfer the person asks for.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SendRequest {
    /// The smart account sending.
    pub account: String,
    /// The network.
    pub chain_id: u64,
    /// The recipient.
    pub to: String,
    /// The amount as typed ("0.5").
    pub amount: String,
    /// The ERC-20 token, or `None` for the network's coin.
    pub token: Option<String>,
}

/// What to double-check about a recipient.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum RecipientWarning {
    /// Never sent to before.
    FirstTime,
    /// Looks like a known address but is not it (address poisoning).
    LooksLike {
        /// The known address.
        known: String,
        /// Its name.
        name: Option<String>,
    },
    /// The zero address: coins sent there are lost.
    ZeroAddress,
    /// One of the person's own accounts.
    OwnAccount,
}

/// What a send will do, for the person to confirm.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SendReview {
    /// The sending account.
    pub from: String,
    /// The recipient.
    pub to: String,
    /// The recipient's name in the address book.
    pub to_name: Option<String>,
    /// The amount, normalised.
    pub amount: String,
    /// Its coin or token.
    pub symbol: String,
    /// The network's name.
    pub chain_name: String,
    /// Whether a sponsor pays the gas.
    pub sponsored: bool,
    /// Who pays the gas (the sponsor's name or host), when sponsored.
    pub sponsor: Option<String>,
    /// Whether this operation also creates the account on this network.
    pub creates_account: bool,
    /// What to double-check, most serious first.
    pub warnings: Vec<RecipientWarning>,
}

/// What a completed send did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Receipt {
    /// The smart account that sent.
    pub account: String,
    /// The UserOperation's hash.
    pub user_op_hash: String,
    /// The transaction that included it.
    pub transaction_hash: Option<String>,
    /// Its block.
    pub block_number: Option<u64>,
    /// A link to the transaction on the explorer.
    pub explorer_url: Option<String>,
    /// Gas cost in wei (decimal).
    pub gas_cost_wei: String,
    /// Gas cost in the network's coin, formatted.
    pub gas_cost: String,
    /// The network's coin.
    pub gas_symbol: String,
    /// The sponsor's name when a sponsor paid; `None` when the account paid.
    pub sponsor: Option<String>,
}

/// Where a past operation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ActivityStatus {
    /// Sent, not yet included.
    Pending,
    /// Included and executed.
    Confirmed,
    /// Included but failed, or dropped.
    Failed,
}

/// One past operation.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ActivityEntry {
    /// Stable id (the UserOperation hash).
    pub id: String,
    /// The network.
    pub chain_id: u64,
    /// Its name.
    pub chain_name: String,
    /// The account.
    pub account: String,
    /// What it was, in words.
    pub description: String,
    /// Where it stands.
    pub status: ActivityStatus,
    /// The transaction, once included.
    pub transaction_hash: Option<String>,
    /// A link to it on the explorer.
    pub explorer_url: Option<String>,
    /// Gas cost in wei (decimal).
    pub gas_cost_wei: Option<String>,
    /// Gas cost in the network's coin, formatted.
    pub gas_cost: Option<String>,
    /// The network's coin.
    pub gas_symbol: String,
    /// The sponsor that paid the gas (`None`: the account paid).
    pub sponsor: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
}

/// The wallet: what a person does with their vault on every network it knows (add networks
/// with `Vault::save_chain`). Shares the vault with the `Vault` it was made from.
#[derive(uniffi::Object)]
pub struct Wallet {
    pub(crate) inner: Arc<CoreWallet>,
}

impl std::fmt::Debug for Wallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Wallet")
    }
}

pub(crate) fn receipt(r: core_wallet::Receipt) -> Receipt {
    Receipt {
        account: r.account.to_checksum(None),
        user_op_hash: r.user_op_hash.to_string(),
        transaction_hash: r.transaction_hash.map(|h| h.to_string()),
        block_number: r.block_number,
        explorer_url: r.explorer_url,
        gas_cost_wei: r.gas_cost.to_string(),
        gas_cost: r.gas_cost_formatted,
        gas_symbol: r.gas_symbol,
        sponsor: r.sponsor,
    }
}

fn warning(w: CoreWarning) -> RecipientWarning {
    match w {
        CoreWarning::FirstTime => RecipientWarning::FirstTime,
        CoreWarning::LooksLike { known, name } => RecipientWarning::LooksLike {
            known: known.to_checksum(None),
            name,
        },
        CoreWarning::ZeroAddress => RecipientWarning::ZeroAddress,
        CoreWarning::OwnAccount => RecipientWarning::OwnAccount,
    }
}

fn core_request(r: &SendRequest) -> Result<core_wallet::SendRequest> {
    Ok(core_wallet::SendRequest {
        account: parse_address(&r.account)?,
        chain_id: r.chain_id,
        to: parse_address(&r.to)?,
        amount: r.amount.clone(),
        token: r.token.as_deref().map(parse_address).transpose()?,
    })
}

fn activity_entry(a: core_wallet::Activity) -> ActivityEntry {
    let e = a.entry;
    ActivityEntry {
        id: e.id,
        chain_id: e.chain_id,
        chain_name: a.chain_name,
        account: e.account.to_checksum(None),
        description: e.description,
        status: match e.status {
            core_vault::ActivityStatus::Pending => ActivityStatus::Pending,
            core_vault::ActivityStatus::Confirmed => ActivityStatus::Confirmed,
            core_vault::ActivityStatus::Failed => ActivityStatus::Failed,
        },
        transaction_hash: e.transaction_hash,
        explorer_url: a.explorer_url,
        gas_cost_wei: e.gas_cost_wei,
        gas_cost: a.gas_cost,
        gas_symbol: a.gas_symbol,
        sponsor: e.sponsor,
        error: e.error,
        created_at: e.created_at,
    }
}

fn balances(b: core_wallet::ChainBalances) -> ChainBalances {
    ChainBalances {
        chain_id: b.chain_id,
        chain_name: b.chain_name,
        deployed: b.deployed,
        sponsored: b.sponsored,
        sponsor: b.sponsor,
        amounts: b
            .amounts
            .into_iter()
            .map(|a| TokenAmount {
                token: a.token.map(|t| t.to_checksum(None)),
                symbol: a.symbol,
                raw: a.raw.to_string(),
                decimals: a.decimals,
                formatted: a.formatted,
            })
            .collect(),
        error: b.error.map(|e| e.to_string()),
    }
}

#[uniffi::export]
impl Wallet {
    /// The wallet over `vault`.
    #[uniffi::constructor]
    pub fn new(vault: Arc<Vault>) -> Arc<Self> {
        Arc::new(Wallet {
            inner: vault.core_wallet(),
        })
    }

    /// Every account: the smart accounts of the vault's keys, then accounts recovered to them.
    pub fn accounts(&self) -> Result<Vec<WalletAccount>> {
        Ok(self
            .inner
            .accounts()?
            .into_iter()
            .map(|a| WalletAccount {
                wallet_id: a.wallet_id,
                index: a.index,
                name: a.name,
                address: a.address.to_checksum(None),
                owner: a.owner.to_checksum(None),
                has_phrase: a.has_phrase,
                recovered: a.recovered,
            })
            .collect())
    }

    /// Adds the gas sponsor whose profile is at `link` (or refreshes it): every network it pays
    /// on is set up at once, after checking each answers as the chain it names.
    pub async fn add_sponsor(&self, link: String) -> Result<SponsorInfo> {
        let wallet = self.inner.clone();
        run(async move { Ok(wallet.add_sponsor(&link).await?.into()) }).await
    }

    /// Registers every account for recovery alerts with each sponsor that offers them (call it
    /// after adding a sponsor or an account); returns how many registrations were made.
    pub async fn register_for_alerts(&self) -> Result<u32> {
        let wallet = self.inner.clone();
        run(async move { Ok(u32::try_from(wallet.register_for_alerts().await?).unwrap_or(u32::MAX)) })
            .await
    }

    /// Recovery events of the wallet's accounts reported since the last call, each once; waits
    /// up to `wait_seconds` (at most 25) for one to arrive. A background task of the app calls
    /// it in a loop and turns each into a notification.
    pub async fn recovery_notices(&self, wait_seconds: u32) -> Result<Vec<RecoveryNotice>> {
        let wallet = self.inner.clone();
        let wait = std::time::Duration::from_secs(u64::from(wait_seconds.min(25)));
        run(async move {
            Ok(wallet
                .recovery_notices(wait)
                .await?
                .into_iter()
                .map(Into::into)
                .collect())
        })
        .await
    }

    /// The gas sponsors added, oldest first.
    pub fn sponsors(&self) -> Result<Vec<SponsorInfo>> {
        Ok(self.inner.sponsors()?.into_iter().map(Into::into).collect())
    }

    /// Removes the sponsor added with `link`; its networks go back to what they were.
    pub fn remove_sponsor(&self, link: String) -> Result<()> {
        Ok(self.inner.remove_sponsor(&link)?)
    }

    /// What `account` holds on every network with a bundler: the coin, then `tokens`.
    pub async fn balances(
        &self,
        account: String,
        tokens: Vec<TokenRef>,
    ) -> Result<Vec<ChainBalances>> {
        let account = parse_address(&account)?;
        let tokens = tokens
            .iter()
            .map(|t| Ok((t.chain_id, parse_address(&t.address)?)))
            .collect::<Result<Vec<_>>>()?;
        let wallet = self.inner.clone();
        run(async move {
            let found = wallet.balances(account, &tokens).await?;
            Ok(found.into_iter().map(balances).collect())
        })
        .await
    }

    /// Checks a transfer (amount, balance, recipient) and describes it for the review step.
    pub async fn review_send(&self, request: SendRequest) -> Result<SendReview> {
        let request = core_request(&request)?;
        let wallet = self.inner.clone();
        run(async move {
            let r = wallet.review_send(&request).await?;
            Ok(SendReview {
                from: r.from.to_checksum(None),
                to: r.to.to_checksum(None),
                to_name: r.to_name,
                amount: r.amount,
                symbol: r.symbol,
                chain_name: r.chain_name,
                sponsored: r.sponsored,
                sponsor: r.sponsor,
                creates_account: r.creates_account,
                warnings: r.warnings.into_iter().map(warning).collect(),
            })
        })
        .await
    }

    /// Sends a transfer (checked as in `review_send`; sponsored where the network has a
    /// paymaster), reporting each stage to `listener`; recorded in the activity list.
    pub async fn send(
        &self,
        request: SendRequest,
        listener: Option<Arc<dyn SendListener>>,
    ) -> Result<Receipt> {
        let request = core_request(&request)?;
        let wallet = self.inner.clone();
        run(async move { Ok(receipt(wallet.send(&request, &notify(listener)).await?)) }).await
    }

    /// Sends `calls` from `account` on `chain_id` in one operation (sponsored where the network
    /// has a paymaster), recorded in the activity list as `description`.
    pub async fn send_calls(
        &self,
        account: String,
        chain_id: u64,
        calls: Vec<Call>,
        description: String,
        listener: Option<Arc<dyn SendListener>>,
    ) -> Result<Receipt> {
        let account = parse_address(&account)?;
        let calls = calls
            .iter()
            .map(Call::to_core)
            .collect::<Result<Vec<_>>>()?;
        let wallet = self.inner.clone();
        run(async move {
            let sent = wallet
                .send_calls(account, chain_id, &calls, &description, &notify(listener))
                .await?;
            Ok(receipt(sent))
        })
        .await
    }

    /// `personal_sign` of `message` by the smart account `account` on `chain_id`: an ERC-1271
    /// signature where the account is deployed, ERC-6492 where it is not yet (hex).
    pub async fn sign_message(
        &self,
        account: String,
        chain_id: u64,
        message: Vec<u8>,
    ) -> Result<String> {
        let account = parse_address(&account)?;
        let wallet = self.inner.clone();
        run(async move {
            let signature = wallet.sign_message(account, chain_id, &message).await?;
            Ok(signature.to_string())
        })
        .await
    }

    /// `eth_signTypedData_v4` of the dApp's JSON by the smart account `account` on `chain_id`
    /// (a domain for another chain is refused).
    pub async fn sign_typed_data(
        &self,
        account: String,
        chain_id: u64,
        json: String,
    ) -> Result<String> {
        let account = parse_address(&account)?;
        let data = harbor_core::evm::parse_typed_data(&json)?;
        let wallet = self.inner.clone();
        run(async move {
            let signature = wallet.sign_typed_data(account, chain_id, &data).await?;
            Ok(signature.to_string())
        })
        .await
    }

    /// Past operations of `account` (all accounts when `None`), newest first, at most `limit`.
    pub fn activity(
        &self,
        account: Option<String>,
        limit: Option<u32>,
    ) -> Result<Vec<ActivityEntry>> {
        let account = account.as_deref().map(parse_address).transpose()?;
        Ok(self
            .inner
            .activity(account, limit)?
            .into_iter()
            .map(activity_entry)
            .collect())
    }
}
