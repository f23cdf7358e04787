//! The app's state and the operations behind each command: short adapters from UI records to
//! `harbor-core` calls and back. Testable without a window.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use harbor_core::chains::{Chain, NativeCurrency};
use harbor_core::recovery::Guardian;
use harbor_core::vault::{KdfParams, SecureStore, Vault};
use harbor_core::wallet::{self as core_wallet, DEFAULT_APPROVAL_VALIDITY, Wallet};

use crate::config::PresetChain;
use crate::dto::*;
use crate::error::{ErrorKind, UiError, UiResult, parse_address};
use crate::views::*;

/// Name of the wallet file inside the data folder.
const VAULT_FILE: &str = "harbor.vault";
/// Name of the settings file inside the data folder.
const SETTINGS_FILE: &str = "settings.json";

/// The desktop app's state.
pub struct App {
    data_dir: PathBuf,
    /// The wallet, once its file exists and is open.
    wallet: Mutex<Option<Arc<Wallet>>>,
    /// The dApp engine over that wallet (made on first use).
    dapp: Mutex<Option<Arc<harbor_core::dapp::DappEngine>>>,
    settings: Mutex<Settings>,
    presets: Vec<PresetChain>,
    keyring: Box<dyn SecureStore>,
    kdf: KdfParams,
    last_used: Mutex<Instant>,
    /// The accounts recovery alerts are read for (kept while the wallet is locked).
    alert_accounts: Mutex<Vec<harbor_core::Address>>,
    /// Which sponsor reported a recovery started on each account (until it ends).
    reported: Mutex<std::collections::HashMap<harbor_core::Address, String>>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "App({})", self.data_dir.display())
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
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
            wallet: Mutex::new(None),
            dapp: Mutex::new(None),
            settings: Mutex::new(settings),
            presets,
            keyring,
            kdf,
            last_used: Mutex::new(Instant::now()),
            alert_accounts: Mutex::new(Vec::new()),
            reported: Mutex::new(std::collections::HashMap::new()),
        };
        if let Some(problem) = app.ensure_open() {
            tracing::warn!(%problem, "the wallet file could not be opened at start");
        }
        Ok(app)
    }

    /// Opens the wallet file if it exists and is not open yet; the reason when it cannot be
    /// (for example another Harbor window has it open), so the UI can say so and retry.
    fn ensure_open(&self) -> Option<UiError> {
        let mut slot = lock(&self.wallet);
        if slot.is_some() || !self.vault_path().exists() {
            return None;
        }
        match Vault::open(&self.vault_path()) {
            Ok(vault) => {
                *slot = Some(Arc::new(Wallet::new(Arc::new(Mutex::new(vault)))));
                None
            }
            Err(e) => Some(e.into()),
        }
    }

    fn vault_path(&self) -> PathBuf {
        self.data_dir.join(VAULT_FILE)
    }

    /// The wallet (its file open), or [`ErrorKind::NoWallet`].
    fn wallet(&self) -> UiResult<Arc<Wallet>> {
        lock(&self.wallet)
            .clone()
            .ok_or_else(|| UiError::new(ErrorKind::NoWallet, "there is no wallet yet"))
    }

    fn with_vault<T>(&self, f: impl FnOnce(&mut Vault) -> UiResult<T>) -> UiResult<T> {
        let wallet = self.wallet()?;
        let mut v = lock(wallet.vault());
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

    /// The dApp engine, once a wallet file is open; summaries in the app's language.
    pub fn dapp_engine(&self) -> Option<Arc<harbor_core::dapp::DappEngine>> {
        let wallet = self.wallet().ok()?;
        let engine = lock(&self.dapp)
            .get_or_insert_with(|| Arc::new(harbor_core::dapp::DappEngine::new(wallet)))
            .clone();
        engine.set_language(match lock(&self.settings).language {
            AppLanguage::En => harbor_core::dapp::SummaryLanguage::En,
            AppLanguage::ZhHans => harbor_core::dapp::SummaryLanguage::ZhHans,
            AppLanguage::ZhHant => harbor_core::dapp::SummaryLanguage::ZhHant,
        });
        Some(engine)
    }

    /// The wallet file, once open (for the local provider's pairings).
    pub fn shared_vault(&self) -> Option<core_wallet::SharedVault> {
        self.wallet().ok().map(|w| w.vault().clone())
    }

    /// Requests from sites and programs waiting for the person, oldest first.
    pub fn dapp_pending(&self) -> Vec<DappRequestView> {
        self.dapp_engine()
            .map(|e| e.pending().into_iter().map(dapp_request_view).collect())
            .unwrap_or_default()
    }

    /// Sites connected to an account, most recent first.
    pub fn connected_sites(&self) -> UiResult<Vec<ConnectedSite>> {
        let sessions = self.unlocked(|v| Ok(v.dapp_sessions()?))?;
        let wallet = self.wallet()?;
        let registry = wallet.registry()?;
        Ok(sessions
            .into_iter()
            .map(|s| ConnectedSite {
                chain_name: wallet.chain_name(&registry, s.chain_id),
                origin: s.origin,
                account: s.account.to_checksum(None),
                chain_id: s.chain_id,
                granted_at: s.granted_at,
            })
            .collect())
    }

    /// Disconnects a site (it sees no account any more).
    pub fn revoke_site(&self, origin: &str) -> UiResult<bool> {
        let engine = self
            .dapp_engine()
            .ok_or_else(|| UiError::new(ErrorKind::NoWallet, "there is no wallet yet"))?;
        Ok(engine.disconnect(origin)?)
    }

    /// Programs paired with the local provider, newest first.
    pub fn paired_clients(&self) -> UiResult<Vec<PairedClientView>> {
        Ok(self
            .unlocked(|v| Ok(v.paired_clients()?))?
            .into_iter()
            .map(|c| PairedClientView {
                id: c.id,
                name: c.name,
                kind: c.kind,
                created_at: c.created_at,
            })
            .collect())
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
        let Ok(wallet) = self.wallet() else {
            return false;
        };
        let mut v = lock(wallet.vault());
        if !v.is_unlocked() {
            return false;
        }
        v.lock();
        true
    }

    /// What the first screen should be.
    pub fn status(&self) -> AppStatus {
        let problem = self.ensure_open();
        let (has_vault, unlocked, keyring_unlock) = match self.wallet() {
            Ok(wallet) => {
                let v = lock(wallet.vault());
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
        if self.wallet().is_ok() {
            return Err(UiError::input(
                "a wallet already exists on this computer; unlock it instead",
            ));
        }
        let vault = Vault::create(&self.vault_path(), password, self.kdf)?;
        *lock(&self.wallet) = Some(Arc::new(Wallet::new(Arc::new(Mutex::new(vault)))));
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
                v.save_chain(&preset_chain(p))?;
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
        Ok(new_wallet(self.wallet()?.create_wallet(name)?))
    }

    /// Imports a recovery phrase (any BIP-39 language).
    pub fn import_phrase(&self, name: &str, phrase: &str) -> UiResult<NewWallet> {
        Ok(new_wallet(self.wallet()?.import_phrase(name, phrase)?))
    }

    /// Imports a raw private key.
    pub fn import_key(&self, name: &str, key: &str) -> UiResult<NewWallet> {
        Ok(new_wallet(self.wallet()?.import_key(name, key)?))
    }

    /// The recovery phrase of a wallet, word by word (asks for the password again).
    pub fn reveal_phrase(&self, wallet_id: &str, password: &str) -> UiResult<Vec<String>> {
        let exported = self.unlocked(|v| Ok(v.export_mnemonic(wallet_id, password)?))?;
        Ok(exported
            .phrase
            .split_whitespace()
            .map(str::to_owned)
            .collect())
    }

    /// Splits a wallet's phrase into `count` SLIP-39 paper shares, `threshold` of which restore it.
    pub fn paper_shares(
        &self,
        wallet_id: &str,
        password: &str,
        threshold: u8,
        count: u8,
    ) -> UiResult<PaperSharesView> {
        let paper = self
            .wallet()?
            .paper_shares(wallet_id, password, threshold, count)?;
        Ok(paper_shares_view(&paper))
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
        let expected = expected_address
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(parse_address)
            .transpose()?;
        let w = self.wallet()?;
        Ok(new_wallet(w.restore_from_shares(
            name, shares, "", language, expected,
        )?))
    }

    /// Every account: the smart accounts of the wallet's keys, then accounts recovered to them.
    pub fn accounts(&self) -> UiResult<Vec<Account>> {
        Ok(self
            .wallet()?
            .accounts()?
            .iter()
            .map(account_view)
            .collect())
    }

    /// Adds an account to a phrase wallet.
    pub fn add_account(&self, wallet_id: &str, name: &str) -> UiResult<Account> {
        Ok(account_view(&self.wallet()?.add_account(wallet_id, name)?))
    }

    /// Networks: those with a bundler (usable by the smart account) first.
    pub fn chains(&self) -> UiResult<Vec<ChainView>> {
        let registry = self.wallet()?.registry()?;
        let mut chains: Vec<ChainView> = registry
            .list()
            .into_iter()
            .map(|c| chain_view(&c, !registry.is_builtin(c.chain_id)))
            .collect();
        chains.sort_by_key(|c| (c.bundler_url.is_none(), c.chain_id));
        Ok(chains)
    }

    /// The gas sponsors added, oldest first.
    pub fn sponsors(&self) -> UiResult<Vec<SponsorView>> {
        let wallet = self.wallet()?;
        let registry = wallet.registry()?;
        Ok(wallet
            .sponsors()?
            .into_iter()
            .map(|s| sponsor_view(&wallet, &registry, s))
            .collect())
    }

    /// Adds the gas sponsor whose profile is at `link` (or refreshes it).
    pub async fn add_sponsor(&self, link: &str) -> UiResult<SponsorView> {
        let wallet = self.wallet()?;
        let added = wallet.add_sponsor(link).await?;
        let registry = wallet.registry()?;
        Ok(sponsor_view(&wallet, &registry, added))
    }

    /// Removes the gas sponsor added with `link`.
    pub fn remove_sponsor(&self, link: &str) -> UiResult<()> {
        Ok(self.wallet()?.remove_sponsor(link)?)
    }

    /// Remembers what the sponsors reported: a started recovery until it is cancelled or done.
    pub fn note_notices(&self, notices: &[harbor_core::wallet::RecoveryNotice]) {
        let mut reported = lock(&self.reported);
        for n in notices {
            if n.kind == harbor_core::wallet::NoticeKind::Started {
                reported.insert(n.account, n.sponsor.clone());
            } else {
                reported.remove(&n.account);
            }
        }
    }

    /// The sponsor that reported the recovery now pending on `account`, if one did.
    pub fn reported_by(&self, account: &str) -> UiResult<Option<String>> {
        let account = parse_address(account)?;
        Ok(lock(&self.reported).get(&account).cloned())
    }

    /// The app's language now.
    pub fn language(&self) -> AppLanguage {
        lock(&self.settings).language
    }

    /// The accounts to hear recovery alerts for: read while unlocked, remembered while locked.
    pub fn alert_accounts(&self) -> Option<(Arc<Wallet>, Vec<harbor_core::Address>)> {
        let wallet = self.wallet().ok()?;
        if let Ok(accounts) = wallet.accounts() {
            *lock(&self.alert_accounts) = accounts.into_iter().map(|a| a.address).collect();
        }
        let accounts = lock(&self.alert_accounts).clone();
        (!accounts.is_empty()).then_some((wallet, accounts))
    }

    /// Adds or changes a network.
    pub fn save_chain(&self, chain: ChainView) -> UiResult<()> {
        let chain = core_chain(chain);
        self.unlocked(|v| Ok(v.save_chain(&chain)?))
    }

    /// Removes a custom network (or a built-in one's changes).
    pub fn remove_chain(&self, chain_id: u64) -> UiResult<bool> {
        self.unlocked(|v| Ok(v.remove_chain(chain_id)?))
    }

    /// Balances of `account` on every active network: native coin, then added tokens.
    pub async fn balances(&self, account: &str) -> UiResult<Vec<ChainBalances>> {
        let tokens = lock(&self.settings)
            .tokens
            .iter()
            .map(|t| Ok((t.chain_id, parse_address(&t.address)?)))
            .collect::<UiResult<Vec<_>>>()?;
        let balances = self
            .wallet()?
            .balances(parse_address(account)?, &tokens)
            .await?;
        Ok(balances.into_iter().map(balances_view).collect())
    }

    /// The address book.
    pub fn contacts(&self) -> UiResult<Vec<ContactView>> {
        let book = self.unlocked(|v| Ok(v.contacts()?))?;
        Ok(book.into_iter().map(contact_view).collect())
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
        let check = self.wallet()?.check_recipient(parse_address(to)?)?;
        Ok(recipient_view(check))
    }

    /// Checks a send and describes it for the review step.
    pub async fn review_send(&self, request: &SendRequest) -> UiResult<SendReview> {
        let review = self.wallet()?.review_send(&core_request(request)?).await?;
        Ok(review_view(review))
    }

    /// Sends (sponsored when the network has a paymaster), reporting each stage.
    pub async fn send(
        &self,
        request: &SendRequest,
        progress: &(dyn Fn(SendStage) + Send + Sync),
    ) -> UiResult<Receipt> {
        self.touch();
        let wallet = self.wallet()?;
        let receipt = wallet
            .send(&core_request(request)?, &|p| progress(stage_view(p)))
            .await?;
        self.touch();
        Ok(receipt_view(receipt))
    }

    /// Past operations of `account`, newest first.
    pub fn activity(&self, account: &str) -> UiResult<Vec<ActivityEntry>> {
        let items = self
            .wallet()?
            .activity(Some(parse_address(account)?), None)?;
        Ok(items.into_iter().map(activity_view).collect())
    }

    /// The guardians of `account` on every active network, with the user's names.
    pub async fn guardians(&self, account: &str) -> UiResult<Vec<GuardianSetView>> {
        let sets = self.wallet()?.guardians(parse_address(account)?).await?;
        Ok(sets.into_iter().map(guardian_set_view).collect())
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
        let guardians = guardians
            .iter()
            .map(core_guardian)
            .collect::<UiResult<Vec<Guardian>>>()?;
        let wallet = self.wallet()?;
        let changed = wallet
            .set_guardians(parse_address(account)?, &guardians, threshold, &|_, p| {
                progress(stage_view(p))
            })
            .await?;
        self.touch();
        Ok(changed)
    }

    /// Advice on a guardian set of `count` with `threshold`.
    pub fn guardian_advice(count: u32, threshold: u32) -> GuardianAdvice {
        advice_view(core_wallet::guardian_advice(count, threshold))
    }

    /// An invitation (link, also the QR content) asking someone to guard `account`.
    pub fn create_invitation(
        &self,
        account: &str,
        owner_name: &str,
        kind: GuardianKind,
    ) -> UiResult<String> {
        let account = parse_address(account)?;
        Ok(self
            .wallet()?
            .create_invitation(account, owner_name, kind.into())?)
    }

    /// As the invited guardian: the reply to send back, naming this wallet's key of `account`.
    pub async fn accept_invitation(
        &self,
        link: &str,
        account: &str,
        name: &str,
    ) -> UiResult<String> {
        let account = parse_address(account)?;
        Ok(self
            .wallet()?
            .accept_invitation(link, account, name)
            .await?)
    }

    /// As the owner: the guardian an invitation reply names.
    pub fn read_invitation_reply(link: &str) -> UiResult<InvitationReplyView> {
        Ok(reply_view(core_wallet::read_invitation_reply(link)?))
    }

    /// On a new device: starts recovering `account` to this wallet's first key.
    pub async fn start_recovery(&self, account: &str, note: &str) -> UiResult<RecoveryView> {
        let account = parse_address(account)?;
        let wallet = self.wallet()?;
        let status = wallet
            .start_recovery(account, None, DEFAULT_APPROVAL_VALIDITY, note)
            .await?;
        Ok(recovery_view(status))
    }

    /// Recoveries on this device.
    pub fn recoveries(&self) -> UiResult<Vec<RecoveryView>> {
        Ok(self
            .wallet()?
            .recoveries()?
            .into_iter()
            .map(recovery_view)
            .collect())
    }

    /// Adds a guardian's approval (their link) after checking it.
    pub async fn add_approval(&self, id: &str, link: &str) -> UiResult<RecoveryView> {
        Ok(recovery_view(self.wallet()?.add_approval(id, link).await?))
    }

    /// Moves a recovery forward: starts it once approved, completes it after the delay.
    pub async fn advance_recovery(
        &self,
        id: &str,
        progress: &(dyn Fn(SendStage) + Send + Sync),
    ) -> UiResult<RecoveryView> {
        let wallet = self.wallet()?;
        let status = wallet
            .advance_recovery(id, &|_, p| progress(stage_view(p)))
            .await?;
        Ok(recovery_view(status))
    }

    /// Forgets a recovery on this device.
    pub fn forget_recovery(&self, id: &str) -> UiResult<bool> {
        Ok(self.wallet()?.forget_recovery(id)?)
    }

    /// As a guardian: what a recovery request asks, in plain words.
    pub fn describe_request(&self, link: &str) -> UiResult<RequestView> {
        Ok(request_view(self.wallet()?.describe_request(link, None)?))
    }

    /// As a guardian: approves a request with the key of `account` (the one named in the
    /// invitation reply); returns the approval link to send back.
    pub async fn approve_request(&self, link: &str, account: &str) -> UiResult<String> {
        let account = parse_address(account)?;
        Ok(self.wallet()?.approve_request(link, account, false).await?)
    }

    /// What the owner of `account` must know: pending recoveries and takeovers.
    pub async fn alerts(&self, account: &str) -> UiResult<Vec<AlertView>> {
        let alerts = self.wallet()?.alerts(parse_address(account)?).await?;
        Ok(alerts.into_iter().map(alert_view).collect())
    }

    /// Cancels a pending recovery of `account` on `chain_id` (sponsored).
    pub async fn cancel_recovery(
        &self,
        account: &str,
        chain_id: u64,
        progress: &(dyn Fn(SendStage) + Send + Sync),
    ) -> UiResult<()> {
        self.touch();
        let account = parse_address(account)?;
        self.wallet()?
            .cancel_recovery(account, chain_id, &|p| progress(stage_view(p)))
            .await?;
        Ok(())
    }
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
        sponsor: p.sponsor.clone(),
    }
}
