//! The app's state and the operations behind each command: short adapters from UI records to
//! `harbor-core` calls and back. Testable without a window.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use alloy_primitives::{Address, Bytes, U256};
use harbor_core::aa::{AccountCall, AccountClient, HarborAccount, SendOptions, SendProgress};
use harbor_core::chains::{Chain, ChainRegistry, NativeCurrency};
use harbor_core::contacts::{self, RecipientWarning};
use harbor_core::keys::{Language as PhraseLanguage, LocalSigner, Mnemonic, Signer, WordCount};
use harbor_core::recovery::shamir::SplitOptions;
use harbor_core::recovery::{
    self as core_recovery, ApprovalBundle, GuardianKind, GuardianSigner, Invitation,
    InvitationReply, KeyLocation, Payload, RecoveryClient, RecoveryRequest, RecoverySession,
    RecoveryStage,
};
use harbor_core::rpc::NodeClient;
use harbor_core::tokens;
use harbor_core::vault::{
    ActivityStatus, KdfParams, SecureStore, TransferSummary, Vault, WalletKind,
};
use harbor_core::wallet::{SendRecord, SharedVault, send_recorded, sponsor_name};
use zeroize::Zeroizing;

use crate::dto::*;
use crate::error::{ErrorKind, UiError, UiResult, parse_address};

/// Name of the wallet file inside the data folder.
const VAULT_FILE: &str = "harbor.vault";
/// Name of the settings file inside the data folder.
const SETTINGS_FILE: &str = "settings.json";
/// How long guardians' approvals of a recovery stay valid.
const APPROVAL_VALIDITY: Duration = Duration::from_secs(7 * 24 * 3600);

/// A chain the app was started with (the local dev chain and its relay).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PresetChain {
    /// Chain id.
    pub chain_id: u64,
    /// Display name.
    pub name: String,
    /// Node.
    pub rpc_url: String,
    /// Bundler.
    pub bundler_url: String,
    /// Paymaster.
    pub paymaster_url: String,
    /// Tokens to show on it.
    #[serde(default)]
    pub tokens: Vec<String>,
}

/// The desktop app's state.
pub struct App {
    data_dir: PathBuf,
    vault: Mutex<Option<SharedVault>>,
    settings: Mutex<Settings>,
    presets: Vec<PresetChain>,
    keyring: Box<dyn SecureStore>,
    kdf: KdfParams,
    last_used: Mutex<Instant>,
    located: Mutex<HashMap<Address, HarborAccount>>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "App({})", self.data_dir.display())
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn checksum(a: Address) -> String {
    a.to_checksum(None)
}

impl App {
    /// The app over `data_dir` (created if missing), with `presets` added to the wallet's
    /// networks, `keyring` for password-less unlock and `kdf` for new wallet files.
    pub fn new(
        data_dir: &Path,
        presets: Vec<PresetChain>,
        keyring: Box<dyn SecureStore>,
        kdf: KdfParams,
    ) -> UiResult<Self> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            UiError::new(
                ErrorKind::Storage,
                format!("cannot create the data folder {}: {e}", data_dir.display()),
            )
        })?;
        let settings = std::fs::read_to_string(data_dir.join(SETTINGS_FILE))
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default();
        let app = Self {
            data_dir: data_dir.to_owned(),
            vault: Mutex::new(None),
            settings: Mutex::new(settings),
            presets,
            keyring,
            kdf,
            last_used: Mutex::new(Instant::now()),
            located: Mutex::new(HashMap::new()),
        };
        if let Some(problem) = app.ensure_open() {
            tracing::warn!(%problem, "the wallet file could not be opened at start");
        }
        Ok(app)
    }

    /// Opens the wallet file if it exists and is not open yet; the reason when it cannot be
    /// (for example another Harbor window has it open), so the UI can say so and retry.
    fn ensure_open(&self) -> Option<UiError> {
        let mut slot = lock(&self.vault);
        if slot.is_some() || !self.vault_path().exists() {
            return None;
        }
        match Vault::open(&self.vault_path()) {
            Ok(vault) => {
                *slot = Some(Arc::new(Mutex::new(vault)));
                None
            }
            Err(e) => Some(e.into()),
        }
    }

    fn vault_path(&self) -> PathBuf {
        self.data_dir.join(VAULT_FILE)
    }

    fn shared(&self) -> UiResult<SharedVault> {
        lock(&self.vault)
            .clone()
            .ok_or_else(|| UiError::new(ErrorKind::NoWallet, "there is no wallet yet"))
    }

    fn with_vault<T>(&self, f: impl FnOnce(&mut Vault) -> UiResult<T>) -> UiResult<T> {
        let shared = self.shared()?;
        let mut v = lock(&shared);
        f(&mut v)
    }

    fn unlocked<T>(&self, f: impl FnOnce(&mut Vault) -> UiResult<T>) -> UiResult<T> {
        self.with_vault(|v| {
            if !v.is_unlocked() {
                return Err(UiError::from(harbor_core::vault::VaultError::Locked));
            }
            f(v)
        })
    }

    /// Notes that the user did something (postpones auto-lock).
    pub fn touch(&self) {
        *lock(&self.last_used) = Instant::now();
    }

    /// Locks the wallet when it was idle longer than the lock timeout; whether it did.
    pub fn lock_if_idle(&self) -> bool {
        let minutes = lock(&self.settings).lock_minutes;
        let idle = lock(&self.last_used).elapsed();
        if minutes == 0 || idle < Duration::from_secs(u64::from(minutes) * 60) {
            return false;
        }
        let Ok(shared) = self.shared() else {
            return false;
        };
        let mut v = lock(&shared);
        if !v.is_unlocked() {
            return false;
        }
        v.lock();
        true
    }

    /// What the first screen should be.
    pub fn status(&self) -> AppStatus {
        let problem = self.ensure_open();
        let (has_vault, unlocked, keyring_unlock) = match self.shared() {
            Ok(shared) => {
                let v = lock(&shared);
                (true, v.is_unlocked(), v.keyring_enabled().unwrap_or(false))
            }
            Err(_) => (self.vault_path().exists(), false, false),
        };
        AppStatus {
            problem,
            has_vault,
            unlocked,
            keyring_unlock,
            vault_path: self.vault_path().display().to_string(),
            settings: lock(&self.settings).clone(),
        }
    }

    /// Creates the wallet file protected by `password` (Argon2id: run off the UI thread).
    pub fn create_vault(&self, password: &str) -> UiResult<()> {
        if self.shared().is_ok() {
            return Err(UiError::input(
                "a wallet already exists on this computer; unlock it instead",
            ));
        }
        let vault = Vault::create(&self.vault_path(), password, self.kdf)?;
        *lock(&self.vault) = Some(Arc::new(Mutex::new(vault)));
        self.after_unlock()
    }

    /// Unlocks with the password.
    pub fn unlock(&self, password: &str) -> UiResult<()> {
        self.with_vault(|v| Ok(v.unlock(password)?))?;
        self.after_unlock()
    }

    /// Unlocks through the system keyring.
    pub fn unlock_with_keyring(&self) -> UiResult<()> {
        self.with_vault(|v| Ok(v.unlock_with_keyring(self.keyring.as_ref())?))?;
        self.after_unlock()
    }

    /// Locks now.
    pub fn lock(&self) -> UiResult<()> {
        self.with_vault(|v| {
            v.lock();
            Ok(())
        })
    }

    /// Turns password-less unlock through the system keyring on or off.
    pub fn set_keyring_unlock(&self, enabled: bool) -> UiResult<()> {
        self.unlocked(|v| {
            if enabled {
                v.enable_keyring(self.keyring.as_ref())?;
            } else {
                v.disable_keyring(self.keyring.as_ref())?;
            }
            Ok(())
        })
    }

    /// Changes the password.
    pub fn change_password(&self, old: &str, new: &str) -> UiResult<()> {
        self.with_vault(|v| {
            Ok(v.change_password(old, new, self.kdf, Some(self.keyring.as_ref()))?)
        })
    }

    fn after_unlock(&self) -> UiResult<()> {
        self.touch();
        self.unlocked(|v| {
            for p in &self.presets {
                let chain = preset_chain(p);
                v.save_chain(&chain)?;
            }
            Ok(())
        })?;
        let mut settings = lock(&self.settings);
        let mut changed = false;
        for p in &self.presets {
            for t in &p.tokens {
                let token = TokenRef {
                    chain_id: p.chain_id,
                    address: t.clone(),
                };
                if !settings.tokens.contains(&token) {
                    settings.tokens.push(token);
                    changed = true;
                }
            }
        }
        if changed {
            self.write_settings(&settings)?;
        }
        Ok(())
    }

    fn write_settings(&self, settings: &Settings) -> UiResult<()> {
        let path = self.data_dir.join(SETTINGS_FILE);
        let tmp = path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(settings).map_err(UiError::internal)?;
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|e| UiError::new(ErrorKind::Storage, format!("cannot save settings: {e}")))
    }

    /// Saves the settings (language, lock timeout, tokens).
    pub fn save_settings(&self, settings: Settings) -> UiResult<Settings> {
        for t in &settings.tokens {
            parse_address(&t.address)?;
        }
        self.write_settings(&settings)?;
        *lock(&self.settings) = settings.clone();
        Ok(settings)
    }

    /// Creates a wallet with a new 12-word phrase and its first account.
    pub fn create_wallet(&self, name: &str) -> UiResult<NewWallet> {
        let mnemonic = Mnemonic::generate(PhraseLanguage::English, WordCount::Words12)?;
        self.unlocked(|v| {
            let w = v.add_mnemonic_wallet(name, &mnemonic, "")?;
            first_account(v, &w.id)
        })
    }

    /// Imports a recovery phrase (any BIP-39 language).
    pub fn import_phrase(&self, name: &str, phrase: &str) -> UiResult<NewWallet> {
        let mnemonic = Mnemonic::parse(phrase)?;
        self.unlocked(|v| {
            let w = v.add_mnemonic_wallet(name, &mnemonic, "")?;
            first_account(v, &w.id)
        })
    }

    /// Imports a raw private key.
    pub fn import_key(&self, name: &str, key: &str) -> UiResult<NewWallet> {
        let key = Zeroizing::new(key.trim().trim_start_matches("0x").to_owned());
        let signer = LocalSigner::from_hex(&key)?;
        self.unlocked(|v| {
            let w = v.add_private_key_wallet(name, &signer)?;
            first_account(v, &w.id)
        })
    }

    /// The recovery phrase of a wallet, word by word (asks for the password again).
    pub fn reveal_phrase(&self, wallet_id: &str, password: &str) -> UiResult<Vec<String>> {
        self.unlocked(|v| {
            let exported = v.export_mnemonic(wallet_id, password)?;
            Ok(exported
                .phrase
                .split_whitespace()
                .map(str::to_owned)
                .collect())
        })
    }

    /// Splits a wallet's phrase into `count` SLIP-39 paper shares, `threshold` of which restore it.
    pub fn paper_shares(
        &self,
        wallet_id: &str,
        password: &str,
        threshold: u8,
        count: u8,
    ) -> UiResult<PaperSharesView> {
        self.unlocked(|v| {
            let options = SplitOptions::single_group(threshold, count);
            let paper = v.split_into_shares(wallet_id, password, &options)?;
            Ok(PaperSharesView {
                shares: paper
                    .groups
                    .iter()
                    .flatten()
                    .map(|s| s.as_str().to_owned())
                    .collect(),
                language: paper.language.code().into(),
                language_name: paper.language.native_name().into(),
                first_address: checksum(paper.first_address),
            })
        })
    }

    /// Restores a wallet from SLIP-39 paper shares in the phrase's `language` (its code); with
    /// `expected_address`, a restore giving another wallet is refused.
    pub fn restore_from_shares(
        &self,
        name: &str,
        shares: &[String],
        language: &str,
        expected_address: Option<&str>,
    ) -> UiResult<NewWallet> {
        let language = PhraseLanguage::from_code(language).ok_or_else(|| {
            UiError::input(format!("{language:?} is not a recovery-phrase language"))
        })?;
        let expected = expected_address
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(parse_address)
            .transpose()?;
        self.unlocked(|v| {
            let w = v.add_wallet_from_shares(name, shares, "", language, expected)?;
            first_account(v, &w.id)
        })
    }

    /// Every account: the smart accounts of the wallet's keys, then accounts recovered to them.
    pub fn accounts(&self) -> UiResult<Vec<Account>> {
        self.unlocked(|v| {
            let mut out = Vec::new();
            for w in v.wallets()? {
                for a in v.accounts(&w.id)? {
                    out.push(account_view(&a, w.kind == WalletKind::Mnemonic));
                }
            }
            for s in v.recoveries()? {
                if !s
                    .chains
                    .iter()
                    .any(|c| matches!(c.stage, RecoveryStage::Executed { .. }))
                {
                    continue;
                }
                let Some(key) = &s.new_owner_key else {
                    continue;
                };
                if let Some(mut a) = out
                    .iter()
                    .find(|a| a.wallet_id == key.wallet_id && a.index == key.index)
                    .cloned()
                {
                    a.address = checksum(s.request.account);
                    a.recovered = true;
                    out.push(a);
                }
            }
            Ok(out)
        })
    }

    /// Adds an account to a phrase wallet.
    pub fn add_account(&self, wallet_id: &str, name: &str) -> UiResult<Account> {
        self.unlocked(|v| Ok(account_view(&v.add_account(wallet_id, name)?, true)))
    }

    fn registry(&self) -> UiResult<ChainRegistry> {
        self.unlocked(|v| Ok(v.chain_registry()?))
    }

    /// Networks: those with a bundler (usable by the smart account) first.
    pub fn chains(&self) -> UiResult<Vec<ChainView>> {
        let registry = self.registry()?;
        let mut chains: Vec<ChainView> = registry
            .list()
            .into_iter()
            .map(|c| chain_view(&c, !registry.is_builtin(c.chain_id)))
            .collect();
        chains.sort_by_key(|c| (c.bundler_url.is_none(), c.chain_id));
        Ok(chains)
    }

    /// Adds or changes a network.
    pub fn save_chain(&self, chain: ChainView) -> UiResult<()> {
        let chain = Chain {
            chain_id: chain.chain_id,
            name: chain.name.trim().to_owned(),
            native_currency: NativeCurrency {
                name: chain.symbol.clone(),
                symbol: chain.symbol,
                decimals: 18,
            },
            rpc_urls: vec![chain.rpc_url.trim().to_owned()],
            explorer_url: blank_to_none(chain.explorer_url),
            bundler_url: blank_to_none(chain.bundler_url),
            paymaster_url: blank_to_none(chain.paymaster_url),
            testnet: chain.testnet,
        };
        chain.validate()?;
        self.unlocked(|v| Ok(v.save_chain(&chain)?))
    }

    /// Removes a custom network (or a built-in one's changes).
    pub fn remove_chain(&self, chain_id: u64) -> UiResult<bool> {
        self.unlocked(|v| Ok(v.remove_chain(chain_id)?))
    }

    /// The networks the smart account works on (a bundler is configured).
    fn active_chains(&self) -> UiResult<Vec<Chain>> {
        Ok(self
            .registry()?
            .list()
            .into_iter()
            .filter(|c| c.bundler_url.is_some())
            .collect())
    }

    fn chain(&self, chain_id: u64) -> UiResult<Chain> {
        Ok(self.registry()?.get(chain_id)?.clone())
    }

    fn account_client(chain: &Chain) -> UiResult<AccountClient> {
        let bundler = chain.bundler_url.as_deref().ok_or_else(|| {
            UiError::input(format!(
                "{} has no bundler configured; add one in Settings → Networks",
                chain.name
            ))
        })?;
        let rpc = chain.rpc_urls.first().map(String::as_str).unwrap_or("");
        let client = AccountClient::new(chain.chain_id, rpc, bundler)?;
        Ok(match &chain.paymaster_url {
            Some(url) => client.with_paymaster(url)?,
            None => client,
        })
    }

    fn recovery_client(&self) -> UiResult<RecoveryClient> {
        let mut client = RecoveryClient::new();
        for chain in self.active_chains()? {
            client = client.with_chain(Self::account_client(&chain)?);
        }
        Ok(client)
    }

    /// Balances of `account` on every active network: native coin, then added tokens.
    pub async fn balances(&self, account: &str) -> UiResult<Vec<ChainBalances>> {
        let account = parse_address(account)?;
        let tokens = lock(&self.settings).tokens.clone();
        let mut out = Vec::new();
        for chain in self.active_chains()? {
            let chain_tokens: Vec<String> = tokens
                .iter()
                .filter(|t| t.chain_id == chain.chain_id)
                .map(|t| t.address.clone())
                .collect();
            let read = read_balances(&chain, account, &chain_tokens).await;
            let (deployed, amounts, error) = match read {
                Ok((deployed, amounts)) => (deployed, amounts, None),
                Err(e) => (false, Vec::new(), Some(e)),
            };
            out.push(ChainBalances {
                chain_id: chain.chain_id,
                chain_name: chain.name.clone(),
                deployed,
                sponsored: chain.paymaster_url.is_some(),
                amounts,
                error,
            });
        }
        Ok(out)
    }

    /// The address book.
    pub fn contacts(&self) -> UiResult<Vec<ContactView>> {
        self.unlocked(|v| {
            Ok(v.contacts()?
                .into_iter()
                .map(|c| ContactView {
                    address: checksum(c.address),
                    name: c.name,
                    last_sent_at: c.last_sent_at,
                })
                .collect())
        })
    }

    /// Adds or renames a contact.
    pub fn save_contact(&self, address: &str, name: &str) -> UiResult<()> {
        let address = parse_address(address)?;
        self.unlocked(|v| Ok(v.save_contact(address, name)?))
    }

    /// Removes a contact.
    pub fn remove_contact(&self, address: &str) -> UiResult<bool> {
        let address = parse_address(address)?;
        self.unlocked(|v| Ok(v.remove_contact(address)?))
    }

    /// What the wallet knows about a recipient: checksum, name, warnings.
    pub fn check_recipient(&self, to: &str) -> UiResult<RecipientView> {
        let to = parse_address(to)?;
        let own: Vec<Address> = self
            .accounts()?
            .iter()
            .filter_map(|a| a.address.parse().ok())
            .collect();
        let book = self.unlocked(|v| Ok(v.contacts()?))?;
        let check = contacts::check_recipient(to, &book, &own);
        Ok(RecipientView {
            checksum: check.checksum,
            name: check.contact.and_then(|c| c.name),
            warnings: check.warnings.into_iter().map(warning_view).collect(),
        })
    }

    /// Checks a send and describes it for the review step.
    pub async fn review_send(&self, request: &SendRequest) -> UiResult<SendReview> {
        let (chain, _, amount, symbol, to) = self.prepare(request).await?;
        let recipient = self.check_recipient(&request.to)?;
        let from = parse_address(&request.account)?;
        let node = NodeClient::new(chain.rpc_urls.first().map(String::as_str).unwrap_or(""))?;
        let deployed = !node.code(from).await?.is_empty();
        Ok(SendReview {
            from: checksum(from),
            to: checksum(to),
            to_name: recipient.name,
            amount,
            symbol,
            chain_name: chain.name.clone(),
            sponsored: chain.paymaster_url.is_some(),
            sponsor: chain
                .paymaster_url
                .as_ref()
                .map(|_| "Harbor sponsor".to_owned()),
            creates_account: !deployed,
            warnings: recipient.warnings,
        })
    }

    /// Validates a send: the chain, the call, the normalised amount, its ticker, the recipient.
    async fn prepare(
        &self,
        request: &SendRequest,
    ) -> UiResult<(Chain, AccountCall, String, String, Address)> {
        let chain = self.chain(request.chain_id)?;
        let to = parse_address(&request.to)?;
        let from = parse_address(&request.account)?;
        let rpc = chain.rpc_urls.first().map(String::as_str).unwrap_or("");
        let node = NodeClient::new(rpc)?;
        let (call, decimals, symbol, balance) = match &request.token {
            None => {
                let value = tokens::parse_amount(&request.amount, 18)?;
                let call = AccountCall {
                    to,
                    value,
                    data: Bytes::new(),
                };
                let balance = node.balance(from).await?;
                (call, 18, chain.native_currency.symbol.clone(), balance)
            }
            Some(token) => {
                let token = parse_address(token)?;
                let decimals = node.erc20_decimals(token).await?;
                let symbol = node.erc20_symbol(token).await?;
                let value = tokens::parse_amount(&request.amount, decimals)?;
                let balance = node.erc20_balance(token, from).await?;
                let call = AccountCall {
                    to: token,
                    value: U256::ZERO,
                    data: tokens::transfer_call_data(to, value),
                };
                (call, decimals, symbol, balance)
            }
        };
        let value = tokens::parse_amount(&request.amount, decimals)?;
        if value.is_zero() {
            return Err(UiError::input("the amount must be more than zero"));
        }
        if value > balance {
            return Err(UiError::new(
                ErrorKind::InsufficientFunds,
                format!(
                    "this account has {} {symbol}, less than {} {symbol}",
                    tokens::format_amount(balance, decimals),
                    tokens::format_amount(value, decimals)
                ),
            ));
        }
        Ok((
            chain,
            call,
            tokens::format_amount(value, decimals),
            symbol,
            to,
        ))
    }

    /// Sends (sponsored when the network has a paymaster), reporting each stage.
    pub async fn send(
        &self,
        request: &SendRequest,
        progress: &(dyn Fn(SendStage) + Send + Sync),
    ) -> UiResult<Receipt> {
        self.touch();
        let (chain, call, amount, symbol, to) = self.prepare(request).await?;
        let (signer, account) = self.signer_for(parse_address(&request.account)?).await?;
        let client = Self::account_client(&chain)?;
        let options = SendOptions {
            sponsored: chain.paymaster_url.is_some(),
            ..SendOptions::default()
        };
        let record = SendRecord {
            chain_id: chain.chain_id,
            description: format!("Sent {amount} {symbol} to {}", checksum(to)),
            transfer: Some(TransferSummary { to, amount, symbol }),
        };
        let vault = self.shared()?;
        let outcome = send_recorded(
            &vault,
            &client,
            &account,
            &signer,
            &[call],
            &options,
            record,
            &|p| progress(stage_view(p)),
        )
        .await?;
        self.touch();
        let transaction_hash = outcome.transaction_hash.map(|h| h.to_string());
        Ok(Receipt {
            user_op_hash: outcome.user_op_hash.to_string(),
            explorer_url: transaction_hash
                .as_deref()
                .and_then(|h| chain.explorer_tx_url(h)),
            transaction_hash,
            block_number: outcome.block_number,
            gas_cost: tokens::format_amount(outcome.actual_gas_cost, 18),
            gas_symbol: chain.native_currency.symbol.clone(),
            sponsor: sponsor_name(&outcome.paid_by),
        })
    }

    /// The key controlling `account` and the account as created.
    async fn signer_for(&self, account: Address) -> UiResult<(LocalSigner, HarborAccount)> {
        let found = self.unlocked(|v| {
            for w in v.wallets()? {
                for a in v.accounts(&w.id)? {
                    let own = HarborAccount::new(a.address, U256::ZERO);
                    if own.address() == account {
                        return Ok(Some((v.signer(&w.id, a.index)?, Some(own))));
                    }
                }
            }
            for s in v.recoveries()? {
                if s.request.account == account
                    && let Some(key) = &s.new_owner_key
                {
                    return Ok(Some((v.signer(&key.wallet_id, key.index)?, None)));
                }
            }
            Ok(None)
        })?;
        let Some((signer, own)) = found else {
            return Err(UiError::input(format!(
                "{} is not an account of this wallet",
                checksum(account)
            )));
        };
        if let Some(own) = own {
            return Ok((signer, own));
        }
        if let Some(a) = lock(&self.located).get(&account) {
            return Ok((signer, *a));
        }
        let located = self.recovery_client()?.locate_account(account).await?;
        lock(&self.located).insert(account, located);
        Ok((signer, located))
    }

    /// Past operations of `account`, newest first.
    pub fn activity(&self, account: &str) -> UiResult<Vec<ActivityView>> {
        let account = parse_address(account)?;
        let registry = self.registry()?;
        let entries = self.unlocked(|v| Ok(v.activity(Some(account), 200)?))?;
        Ok(entries
            .into_iter()
            .map(|e| {
                let chain = registry.get(e.chain_id).ok();
                ActivityView {
                    chain_name: chain
                        .map(|c| c.name.clone())
                        .unwrap_or_else(|| format!("chain {}", e.chain_id)),
                    gas_symbol: chain
                        .map(|c| c.native_currency.symbol.clone())
                        .unwrap_or_else(|| "ETH".into()),
                    explorer_url: e
                        .transaction_hash
                        .as_deref()
                        .and_then(|h| chain.and_then(|c| c.explorer_tx_url(h))),
                    id: e.id,
                    chain_id: e.chain_id,
                    description: e.description,
                    status: match e.status {
                        ActivityStatus::Pending => "pending",
                        ActivityStatus::Confirmed => "confirmed",
                        ActivityStatus::Failed => "failed",
                    }
                    .into(),
                    to: e.transfer.as_ref().map(|t| checksum(t.to)),
                    amount: e.transfer.as_ref().map(|t| t.amount.clone()),
                    symbol: e.transfer.as_ref().map(|t| t.symbol.clone()),
                    gas_cost: e
                        .gas_cost_wei
                        .and_then(|w| w.parse::<U256>().ok())
                        .map(|w| tokens::format_amount(w, 18)),
                    sponsor: e.sponsor,
                    error: e.error,
                    created_at: e.created_at,
                }
            })
            .collect())
    }

    /// The guardians of `account` on every active network, with the user's names.
    pub async fn guardians(&self, account: &str) -> UiResult<Vec<GuardianSetView>> {
        let account = parse_address(account)?;
        let named = self.unlocked(|v| Ok(v.guardians(account)?))?;
        let client = self.recovery_client()?;
        let mut out = Vec::new();
        for chain in self.active_chains()? {
            let state = client.account_state(chain.chain_id, account).await;
            let (deployed, guardians, threshold, delay, error) = match state {
                Ok(s) => (s.deployed, s.guardians, s.threshold, s.security_delay, None),
                Err(e) => (false, Vec::new(), 0, 0, Some(UiError::from(e))),
            };
            let guardians = guardians
                .into_iter()
                .map(|g| {
                    let known = named.iter().find(|n| n.address == g);
                    GuardianView {
                        address: checksum(g),
                        name: known.map(|n| n.name.clone()).unwrap_or_default(),
                        kind: known.map_or(GuardianKindView::Person, |n| kind_view(n.kind)),
                    }
                })
                .collect();
            out.push(GuardianSetView {
                chain_id: chain.chain_id,
                chain_name: chain.name.clone(),
                deployed,
                guardians,
                threshold,
                security_delay_seconds: delay,
                error,
            });
        }
        Ok(out)
    }

    /// Makes `guardians` (with `threshold`) the guardians of `account` on every active network
    /// (one sponsored operation per network that needs a change); names kept in the vault.
    pub async fn set_guardians(
        &self,
        account: &str,
        guardians: &[GuardianView],
        threshold: u32,
        progress: &(dyn Fn(SendStage) + Send + Sync),
    ) -> UiResult<u32> {
        self.touch();
        let address = parse_address(account)?;
        let named = guardians
            .iter()
            .map(|g| {
                Ok(core_recovery::Guardian {
                    address: parse_address(&g.address)?,
                    name: g.name.clone(),
                    kind: core_kind(g.kind),
                })
            })
            .collect::<UiResult<Vec<_>>>()?;
        let desired: Vec<Address> = named.iter().map(|g| g.address).collect();
        let (signer, harbor) = self.signer_for(address).await?;
        let changed = self
            .recovery_client()?
            .set_guardians(&harbor, &signer, &desired, threshold, &|_, p| {
                progress(stage_view(p))
            })
            .await?
            .len() as u32;
        self.unlocked(|v| {
            for old in v.guardians(address)? {
                if !desired.contains(&old.address) {
                    v.remove_guardian(address, old.address)?;
                }
            }
            for g in &named {
                v.save_guardian(address, g)?;
            }
            Ok(())
        })?;
        self.touch();
        Ok(changed)
    }

    /// Advice on a guardian set of `count` with `threshold`.
    pub fn guardian_advice(count: u32, threshold: u32) -> GuardianAdvice {
        GuardianAdvice {
            suggested_threshold: core_recovery::suggested_threshold(count as usize),
            warnings: core_recovery::review_guardians(count as usize, threshold)
                .iter()
                .map(|w| {
                    serde_json::to_value(w)
                        .ok()
                        .and_then(|v| v.get("kind").and_then(|k| k.as_str().map(str::to_owned)))
                        .unwrap_or_else(|| format!("{w:?}"))
                })
                .collect(),
        }
    }

    /// An invitation (link, also the QR content) asking someone to guard `account`.
    pub fn create_invitation(
        &self,
        account: &str,
        owner_name: &str,
        kind: GuardianKindView,
    ) -> UiResult<String> {
        let chains = self.active_chains()?.iter().map(|c| c.chain_id).collect();
        Ok(Invitation {
            account: parse_address(account)?,
            chains,
            owner_name: core_recovery::clean_note(owner_name),
            kind: core_kind(kind),
        }
        .to_link())
    }

    /// As the invited guardian: the reply to send back, naming this wallet's key of `account`.
    pub async fn accept_invitation(
        &self,
        link: &str,
        account: &str,
        name: &str,
    ) -> UiResult<String> {
        let invitation = Invitation::from_link(link.trim()).map_err(UiError::from)?;
        let (signer, _) = self.signer_for(parse_address(account)?).await?;
        Ok(invitation.accept(signer.address(), name).to_link())
    }

    /// As the owner: the guardian an invitation reply names.
    pub fn read_invitation_reply(link: &str) -> UiResult<InvitationReplyView> {
        let reply = InvitationReply::from_link(link.trim()).map_err(UiError::from)?;
        Ok(InvitationReplyView {
            account: checksum(reply.account),
            guardian: checksum(reply.guardian),
            name: reply.name,
        })
    }

    /// On a new device: starts recovering `account` to this wallet's first key.
    pub async fn start_recovery(&self, account: &str, note: &str) -> UiResult<RecoveryView> {
        let account = parse_address(account)?;
        let key = self.unlocked(|v| {
            let w = v.wallets()?.into_iter().next().ok_or_else(|| {
                UiError::input("create a wallet on this device first; its key takes over")
            })?;
            let a = v
                .accounts(&w.id)?
                .into_iter()
                .next()
                .ok_or_else(|| UiError::internal("the wallet has no account"))?;
            Ok((
                a.address,
                KeyLocation {
                    wallet_id: w.id,
                    index: a.index,
                },
            ))
        })?;
        let client = self.recovery_client()?;
        let mut session = client
            .create_session(account, key.0, APPROVAL_VALIDITY, note)
            .await?;
        session.new_owner_key = Some(key.1);
        self.unlocked(|v| Ok(v.save_recovery(&session)?))?;
        self.recovery_view(&session)
    }

    /// Recoveries on this device.
    pub fn recoveries(&self) -> UiResult<Vec<RecoveryView>> {
        let sessions = self.unlocked(|v| Ok(v.recoveries()?))?;
        sessions.iter().map(|s| self.recovery_view(s)).collect()
    }

    fn session(&self, id: &str) -> UiResult<RecoverySession> {
        self.unlocked(|v| {
            v.recoveries()?
                .into_iter()
                .find(|s| s.id == id)
                .ok_or_else(|| UiError::input("this recovery is no longer on this device"))
        })
    }

    /// Adds a guardian's approval (their link) after checking it.
    pub async fn add_approval(&self, id: &str, link: &str) -> UiResult<RecoveryView> {
        let bundle = ApprovalBundle::from_link(link.trim()).map_err(UiError::from)?;
        let mut session = self.session(id)?;
        self.recovery_client()?
            .add_approvals(&mut session, &bundle)
            .await?;
        self.unlocked(|v| Ok(v.save_recovery(&session)?))?;
        self.recovery_view(&session)
    }

    /// Moves a recovery forward: starts it once approved, completes it after the delay.
    pub async fn advance_recovery(
        &self,
        id: &str,
        progress: &(dyn Fn(SendStage) + Send + Sync),
    ) -> UiResult<RecoveryView> {
        let mut session = self.session(id)?;
        let key = session
            .new_owner_key
            .clone()
            .ok_or_else(|| UiError::internal("the recovery does not say where its key is"))?;
        let signer = self.unlocked(|v| Ok(v.signer(&key.wallet_id, key.index)?))?;
        // Per-chain problems stay in the session; the session is what the screen shows.
        let _ = self
            .recovery_client()?
            .advance(&mut session, &signer, &|_, p| progress(stage_view(p)))
            .await;
        self.unlocked(|v| Ok(v.save_recovery(&session)?))?;
        self.recovery_view(&session)
    }

    /// Forgets a recovery on this device.
    pub fn forget_recovery(&self, id: &str) -> UiResult<bool> {
        self.unlocked(|v| Ok(v.remove_recovery(id)?))
    }

    fn recovery_view(&self, s: &RecoverySession) -> UiResult<RecoveryView> {
        let registry = self.registry()?;
        Ok(RecoveryView {
            id: s.id.clone(),
            account: checksum(s.request.account),
            new_owner: checksum(s.request.new_owner),
            request_link: s.request.to_link(),
            finished: s.is_finished(),
            chains: s
                .chains
                .iter()
                .map(|c| ChainRecoveryView {
                    chain_id: c.chain_id,
                    chain_name: registry
                        .get(c.chain_id)
                        .map(|x| x.name.clone())
                        .unwrap_or_else(|_| format!("chain {}", c.chain_id)),
                    stage: stage_name(&c.stage).into(),
                    approvals: c.approvals.len() as u32,
                    threshold: c.threshold,
                    execute_after: match &c.stage {
                        RecoveryStage::Started { execute_after, .. } => Some(*execute_after as i64),
                        _ => None,
                    },
                    last_error: c.last_error.clone(),
                })
                .collect(),
        })
    }

    /// As a guardian: what a recovery request asks, in plain words.
    pub fn describe_request(&self, link: &str) -> UiResult<RequestView> {
        let request = RecoveryRequest::from_link(link.trim()).map_err(UiError::from)?;
        let registry = self.registry()?;
        Ok(RequestView {
            account: checksum(request.account),
            new_owner: checksum(request.new_owner),
            description: core_recovery::describe_request(&request, None, &registry),
            note: request.note.clone(),
            valid_until: request
                .chains
                .iter()
                .map(|c| c.deadline as i64)
                .max()
                .unwrap_or(0),
            chain_ids: request.chains.iter().map(|c| c.chain_id).collect(),
        })
    }

    /// As a guardian: approves a request with the key of `account` (the one named in the
    /// invitation reply); returns the approval link to send back.
    pub async fn approve_request(&self, link: &str, account: &str) -> UiResult<String> {
        let request = RecoveryRequest::from_link(link.trim()).map_err(UiError::from)?;
        let (signer, _) = self.signer_for(parse_address(account)?).await?;
        Ok(core_recovery::approve(&request, GuardianSigner::Key(&signer))?.to_link())
    }

    /// What the owner of `account` must know: pending recoveries and takeovers.
    pub async fn alerts(&self, account: &str) -> UiResult<Vec<AlertView>> {
        let address = parse_address(account)?;
        let (signer, harbor) = self.signer_for(address).await?;
        let registry = self.registry()?;
        let alerts = self
            .recovery_client()?
            .alerts(&harbor, signer.address())
            .await?;
        Ok(alerts
            .into_iter()
            .map(|a| {
                let message = a.message();
                let (kind, chain_id, new_owner, execute_after) = match a {
                    core_recovery::RecoveryAlert::Pending {
                        chain_id,
                        new_owner,
                        execute_after,
                        ..
                    } => ("pending", chain_id, new_owner, Some(execute_after as i64)),
                    core_recovery::RecoveryAlert::OwnerChanged {
                        chain_id, owner, ..
                    } => ("taken", chain_id, owner, None),
                    core_recovery::RecoveryAlert::NotRecoveredHere {
                        chain_id, owner, ..
                    } => ("notRecoveredHere", chain_id, owner, None),
                };
                let cancellable = kind == "pending";
                AlertView {
                    kind: kind.into(),
                    chain_id,
                    chain_name: registry
                        .get(chain_id)
                        .map(|c| c.name.clone())
                        .unwrap_or_default(),
                    cancellable,
                    new_owner: checksum(new_owner),
                    execute_after,
                    message,
                }
            })
            .collect())
    }

    /// Cancels a pending recovery of `account` on `chain_id` (sponsored).
    pub async fn cancel_recovery(
        &self,
        account: &str,
        chain_id: u64,
        progress: &(dyn Fn(SendStage) + Send + Sync),
    ) -> UiResult<()> {
        self.touch();
        let (signer, harbor) = self.signer_for(parse_address(account)?).await?;
        self.recovery_client()?
            .cancel(chain_id, &harbor, &signer, &|p| progress(stage_view(p)))
            .await?;
        Ok(())
    }
}

fn blank_to_none(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn preset_chain(p: &PresetChain) -> Chain {
    Chain {
        chain_id: p.chain_id,
        name: p.name.clone(),
        native_currency: NativeCurrency {
            name: "Ether".into(),
            symbol: "ETH".into(),
            decimals: 18,
        },
        rpc_urls: vec![p.rpc_url.clone()],
        explorer_url: None,
        bundler_url: Some(p.bundler_url.clone()),
        paymaster_url: Some(p.paymaster_url.clone()),
        testnet: true,
    }
}

fn first_account(v: &Vault, wallet_id: &str) -> UiResult<NewWallet> {
    let w = v.wallet(wallet_id)?;
    let a = v
        .accounts(wallet_id)?
        .into_iter()
        .next()
        .ok_or_else(|| UiError::internal("a new wallet has no account"))?;
    Ok(NewWallet {
        wallet_id: wallet_id.to_owned(),
        account: account_view(&a, w.kind == WalletKind::Mnemonic),
    })
}

fn account_view(a: &harbor_core::vault::AccountInfo, has_phrase: bool) -> Account {
    Account {
        wallet_id: a.wallet_id.clone(),
        index: a.index,
        name: a.name.clone(),
        address: checksum(HarborAccount::new(a.address, U256::ZERO).address()),
        owner: checksum(a.address),
        has_phrase,
        recovered: false,
    }
}

fn chain_view(c: &Chain, custom: bool) -> ChainView {
    ChainView {
        chain_id: c.chain_id,
        name: c.name.clone(),
        symbol: c.native_currency.symbol.clone(),
        rpc_url: c.rpc_urls.first().cloned().unwrap_or_default(),
        bundler_url: c.bundler_url.clone(),
        paymaster_url: c.paymaster_url.clone(),
        explorer_url: c.explorer_url.clone(),
        testnet: c.testnet,
        custom,
    }
}

async fn read_balances(
    chain: &Chain,
    account: Address,
    tokens_added: &[String],
) -> UiResult<(bool, Vec<Amount>)> {
    let node = NodeClient::new(chain.rpc_urls.first().map(String::as_str).unwrap_or(""))?;
    let deployed = !node.code(account).await?.is_empty();
    let native = node.balance(account).await?;
    let mut amounts = vec![Amount {
        token: None,
        symbol: chain.native_currency.symbol.clone(),
        formatted: tokens::format_amount(native, 18),
        raw: native.to_string(),
        decimals: 18,
    }];
    for t in tokens_added {
        let token = parse_address(t)?;
        let raw = node.erc20_balance(token, account).await?;
        let decimals = node.erc20_decimals(token).await?;
        amounts.push(Amount {
            token: Some(checksum(token)),
            symbol: node.erc20_symbol(token).await?,
            formatted: tokens::format_amount(raw, decimals),
            raw: raw.to_string(),
            decimals,
        });
    }
    Ok((deployed, amounts))
}

fn warning_view(w: RecipientWarning) -> RecipientWarningView {
    match w {
        RecipientWarning::FirstTime => RecipientWarningView::FirstTime,
        RecipientWarning::LooksLike { known, name } => RecipientWarningView::LooksLike {
            known: checksum(known),
            name,
        },
        RecipientWarning::ZeroAddress => RecipientWarningView::ZeroAddress,
        RecipientWarning::OwnAccount => RecipientWarningView::OwnAccount,
    }
}

fn stage_view(p: SendProgress) -> SendStage {
    match p {
        SendProgress::Preparing => SendStage::Preparing,
        SendProgress::Sponsoring => SendStage::Sponsoring,
        SendProgress::Signing => SendStage::Signing,
        SendProgress::Submitted { user_op_hash } => SendStage::Submitted {
            user_op_hash: user_op_hash.to_string(),
        },
        SendProgress::Included {
            transaction_hash, ..
        } => SendStage::Included {
            transaction_hash: transaction_hash.map(|h| h.to_string()),
        },
        SendProgress::Failed { reason } => SendStage::Failed { reason },
    }
}

fn stage_name(s: &RecoveryStage) -> &'static str {
    match s {
        RecoveryStage::CollectingApprovals => "collectingApprovals",
        RecoveryStage::ReadyToSubmit => "readyToSubmit",
        RecoveryStage::Started { .. } => "started",
        RecoveryStage::Executed { .. } => "executed",
        RecoveryStage::Cancelled => "cancelled",
        RecoveryStage::Expired => "expired",
        RecoveryStage::Stale => "stale",
    }
}

fn kind_view(k: GuardianKind) -> GuardianKindView {
    match k {
        GuardianKind::Person => GuardianKindView::Person,
        GuardianKind::OwnDevice => GuardianKindView::OwnDevice,
        GuardianKind::HardwareWallet => GuardianKindView::HardwareWallet,
        GuardianKind::Contract => GuardianKindView::Contract,
    }
}

fn core_kind(k: GuardianKindView) -> GuardianKind {
    match k {
        GuardianKindView::Person => GuardianKind::Person,
        GuardianKindView::OwnDevice => GuardianKind::OwnDevice,
        GuardianKindView::HardwareWallet => GuardianKind::HardwareWallet,
        GuardianKindView::Contract => GuardianKind::Contract,
    }
}
