//! The encrypted vault as an object, and the `SecureStore` the app implements (Keychain /
//! Keystore) so the phone can unlock with biometrics without storing the password.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use harbor_core::chains::Chain;
use harbor_core::keys::{LocalSigner, Mnemonic};
use harbor_core::vault::{self as core_vault, KdfParams, WalletKind};
use harbor_core::wallet::Wallet as CoreWallet;
use zeroize::Zeroizing;

use crate::error::{HarborError, Result, parse_address};
use crate::keys::{Language, NewPhrase};
use crate::{blocking, network::ChainInfo};

/// Keeps small secrets outside the vault file, implemented by the app: iOS Keychain or Android
/// Keystore, optionally behind biometrics. Harbor stores there only a random key that unwraps
/// the vault's data key, never the password.
#[uniffi::export(with_foreign)]
pub trait SecureStore: Send + Sync {
    /// Stores `secret` under `name`, replacing any previous value.
    fn put(&self, name: String, secret: Vec<u8>) -> Result<()>;
    /// The secret under `name`, if any (the app may ask for biometrics here).
    fn get(&self, name: String) -> Result<Option<Vec<u8>>>;
    /// Removes the secret under `name` (no error when absent).
    fn delete(&self, name: String) -> Result<()>;
}

/// Adapts the app's store to the core's trait.
struct StoreAdapter(Arc<dyn SecureStore>);

fn store_error(e: HarborError) -> core_vault::SecureStoreError {
    core_vault::SecureStoreError::Failed(e.to_string())
}

fn closing() -> core_vault::SecureStoreError {
    core_vault::SecureStoreError::Failed("the app is shutting down".into())
}

impl core_vault::SecureStore for StoreAdapter {
    fn put(&self, name: &str, secret: &[u8]) -> Result<(), core_vault::SecureStoreError> {
        crate::to_app(|| self.0.put(name.to_owned(), secret.to_vec()))
            .ok_or_else(closing)?
            .map_err(store_error)
    }

    fn get(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>, core_vault::SecureStoreError> {
        Ok(crate::to_app(|| self.0.get(name.to_owned()))
            .ok_or_else(closing)?
            .map_err(store_error)?
            .map(Zeroizing::new))
    }

    fn delete(&self, name: &str) -> Result<(), core_vault::SecureStoreError> {
        crate::to_app(|| self.0.delete(name.to_owned()))
            .ok_or_else(closing)?
            .map_err(store_error)
    }
}

/// A wallet (a recovery phrase or an imported key) in the vault.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct WalletInfo {
    /// Stable id.
    pub id: String,
    /// The user's name for it.
    pub name: String,
    /// Whether it is a recovery phrase (several accounts) or a single imported key.
    pub is_mnemonic: bool,
    /// Creation time, Unix seconds.
    pub created_at: i64,
}

/// An account of a wallet: its owner key's address and its smart account.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AccountInfo {
    /// The wallet.
    pub wallet_id: String,
    /// Index in the wallet.
    pub index: u32,
    /// The user's name for it.
    pub name: String,
    /// The owner key's address (EIP-55).
    pub owner_address: String,
    /// The Harbor smart account of this key (same on every chain).
    pub smart_account: String,
    /// Derivation path, for phrase wallets.
    pub path: Option<String>,
}

/// A phrase wallet's paper shares and what to write beside them (restoring in another language
/// gives another wallet; the first address lets a restore be checked).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PaperShares {
    /// The shares, one list per group.
    pub groups: Vec<Vec<String>>,
    /// The recovery phrase's language.
    pub language: Language,
    /// The wallet's first address.
    pub first_address: String,
}

/// The encrypted wallet file. Locked until unlocked with the password or the secure store.
#[derive(uniffi::Object)]
pub struct Vault {
    /// The application layer over the vault file (shared with [`crate::Wallet`]).
    wallet: Arc<CoreWallet>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vault")
    }
}

impl Vault {
    fn new(vault: core_vault::Vault) -> Self {
        Vault {
            wallet: Arc::new(CoreWallet::with_connector(
                Arc::new(Mutex::new(vault)),
                crate::http::connector(),
            )),
        }
    }

    pub(crate) fn lock_inner(&self) -> Result<MutexGuard<'_, core_vault::Vault>> {
        self.wallet
            .vault()
            .lock()
            .map_err(|_| HarborError::internal("the vault is unusable after an earlier failure"))
    }

    pub(crate) fn shared(&self) -> Arc<Mutex<core_vault::Vault>> {
        self.wallet.vault().clone()
    }

    /// The application layer over this vault.
    pub(crate) fn core_wallet(&self) -> Arc<CoreWallet> {
        self.wallet.clone()
    }

    /// The signer of `wallet_id`'s account `index` (vault must be unlocked).
    pub(crate) fn signer(&self, wallet_id: &str, index: u32) -> Result<LocalSigner> {
        Ok(self.lock_inner()?.signer(wallet_id, index)?)
    }
}

fn wallet_info(w: core_vault::WalletInfo) -> WalletInfo {
    WalletInfo {
        id: w.id,
        name: w.name,
        is_mnemonic: w.kind == WalletKind::Mnemonic,
        created_at: w.created_at,
    }
}

pub(crate) fn account_info(a: core_vault::AccountInfo) -> AccountInfo {
    AccountInfo {
        smart_account: harbor_core::aa::HarborAccount::new(a.address, Default::default())
            .address()
            .to_checksum(None),
        wallet_id: a.wallet_id,
        index: a.index,
        name: a.name,
        owner_address: a.address.to_checksum(None),
        path: a.path,
    }
}

/// Creates a new vault at `path` protected by `password` (at least 8 characters); returned
/// unlocked. `light_kdf` uses Argon2id with 19 MiB instead of 64 MiB (older phones).
#[uniffi::export]
pub async fn create_vault(path: String, password: String, light_kdf: bool) -> Result<Arc<Vault>> {
    let password = Zeroizing::new(password);
    blocking(move || {
        let params = if light_kdf {
            KdfParams::LIGHT
        } else {
            KdfParams::DEFAULT
        };
        let vault = core_vault::Vault::create(&PathBuf::from(path), &password, params)?;
        Ok(Arc::new(Vault::new(vault)))
    })
    .await
}

#[uniffi::export]
impl Vault {
    /// Opens an existing vault file (locked).
    #[uniffi::constructor]
    pub fn open(path: String) -> Result<Arc<Self>> {
        let vault = core_vault::Vault::open(&PathBuf::from(path))?;
        Ok(Arc::new(Self::new(vault)))
    }

    /// Whether the vault is unlocked.
    pub fn is_unlocked(&self) -> Result<bool> {
        Ok(self.lock_inner()?.is_unlocked())
    }

    /// Unlocks with the password.
    pub async fn unlock(&self, password: String) -> Result<()> {
        let inner = self.shared();
        let password = Zeroizing::new(password);
        blocking(move || {
            let mut vault = inner
                .lock()
                .map_err(|_| HarborError::internal("the vault is unusable"))?;
            Ok(vault.unlock(&password)?)
        })
        .await
    }

    /// Locks: the data key is wiped from memory.
    pub fn lock(&self) -> Result<()> {
        self.lock_inner()?.lock();
        Ok(())
    }

    /// Changes the password (the old one is checked) and seals every secret under a new key.
    /// Secure-store unlock, if on, is renewed through `store`; without it, it is turned off.
    pub async fn change_password(
        &self,
        old_password: String,
        new_password: String,
        store: Option<Arc<dyn SecureStore>>,
    ) -> Result<()> {
        let inner = self.shared();
        let (old, new) = (Zeroizing::new(old_password), Zeroizing::new(new_password));
        blocking(move || {
            let mut vault = inner
                .lock()
                .map_err(|_| HarborError::internal("the vault is unusable"))?;
            let params = vault.kdf_params()?;
            let store = store.map(StoreAdapter);
            Ok(vault.change_password(
                &old,
                &new,
                params,
                store.as_ref().map(|s| s as &dyn core_vault::SecureStore),
            )?)
        })
        .await
    }

    /// Lets the app's secure store unlock the vault from now on (vault must be unlocked).
    pub fn enable_secure_store_unlock(&self, store: Arc<dyn SecureStore>) -> Result<()> {
        Ok(self.lock_inner()?.enable_keyring(&StoreAdapter(store))?)
    }

    /// Stops unlocking through the secure store and deletes its key there.
    pub fn disable_secure_store_unlock(&self, store: Arc<dyn SecureStore>) -> Result<()> {
        Ok(self.lock_inner()?.disable_keyring(&StoreAdapter(store))?)
    }

    /// Whether secure-store unlock is enabled.
    pub fn secure_store_unlock_enabled(&self) -> Result<bool> {
        Ok(self.lock_inner()?.keyring_enabled()?)
    }

    /// Unlocks through the app's secure store (biometrics, if the app asks for them in `get`).
    pub fn unlock_with_secure_store(&self, store: Arc<dyn SecureStore>) -> Result<()> {
        Ok(self
            .lock_inner()?
            .unlock_with_keyring(&StoreAdapter(store))?)
    }

    /// The wallets.
    pub fn wallets(&self) -> Result<Vec<WalletInfo>> {
        Ok(self
            .lock_inner()?
            .wallets()?
            .into_iter()
            .map(wallet_info)
            .collect())
    }

    /// Adds a wallet from a recovery phrase (any language) and an optional BIP-39 passphrase.
    pub fn import_mnemonic(
        &self,
        name: String,
        phrase: String,
        passphrase: String,
    ) -> Result<WalletInfo> {
        let mnemonic = Mnemonic::parse(&Zeroizing::new(phrase))?;
        let passphrase = Zeroizing::new(passphrase);
        Ok(wallet_info(self.lock_inner()?.add_mnemonic_wallet(
            &name,
            &mnemonic,
            &passphrase,
        )?))
    }

    /// Adds a wallet from a phrase made by `generate_mnemonic` (after the person wrote it down)
    /// and an optional BIP-39 passphrase.
    pub fn add_new_phrase(
        &self,
        name: String,
        phrase: Arc<NewPhrase>,
        passphrase: String,
    ) -> Result<WalletInfo> {
        let passphrase = Zeroizing::new(passphrase);
        Ok(wallet_info(self.lock_inner()?.add_mnemonic_wallet(
            &name,
            &phrase.mnemonic,
            &passphrase,
        )?))
    }

    /// Adds a wallet from a private key (`0x…` hex).
    pub fn import_private_key(&self, name: String, private_key: String) -> Result<WalletInfo> {
        let key = LocalSigner::from_hex(&Zeroizing::new(private_key))?;
        Ok(wallet_info(
            self.lock_inner()?.add_private_key_wallet(&name, &key)?,
        ))
    }

    /// The accounts of a wallet.
    pub fn accounts(&self, wallet_id: String) -> Result<Vec<AccountInfo>> {
        Ok(self
            .lock_inner()?
            .accounts(&wallet_id)?
            .into_iter()
            .map(account_info)
            .collect())
    }

    /// Adds the next account of a phrase wallet.
    pub fn add_account(&self, wallet_id: String, name: String) -> Result<AccountInfo> {
        Ok(account_info(
            self.lock_inner()?.add_account(&wallet_id, &name)?,
        ))
    }

    /// The recovery phrase of a wallet, for backup (password again).
    pub fn export_mnemonic(&self, wallet_id: String, password: String) -> Result<String> {
        let password = Zeroizing::new(password);
        Ok(self
            .lock_inner()?
            .export_mnemonic(&wallet_id, &password)?
            .phrase
            .to_string())
    }

    /// Splits a phrase wallet into SLIP-39 paper shares (password again), with the phrase's
    /// language and first address to write beside them.
    pub fn split_into_shares(
        &self,
        wallet_id: String,
        password: String,
        group_threshold: u8,
        groups: Vec<crate::ShareGroup>,
        share_passphrase: String,
    ) -> Result<PaperShares> {
        let password = Zeroizing::new(password);
        let options = harbor_core::recovery::shamir::SplitOptions {
            group_threshold,
            groups: groups
                .iter()
                .map(|g| harbor_core::recovery::shamir::GroupSpec {
                    threshold: g.threshold,
                    count: g.count,
                })
                .collect(),
            passphrase: share_passphrase.into(),
            iteration_exponent: 1,
            extendable: true,
        };
        let paper = self
            .lock_inner()?
            .split_into_shares(&wallet_id, &password, &options)?;
        Ok(PaperShares {
            groups: paper
                .groups
                .iter()
                .map(|g| g.iter().map(|s| s.to_string()).collect())
                .collect(),
            language: Language::from_core(paper.language),
            first_address: paper.first_address.to_checksum(None),
        })
    }

    /// Restores a phrase wallet from SLIP-39 paper shares, in the phrase's `language`; with
    /// `expected_address` (written beside the shares) another wallet is refused.
    pub fn import_shares(
        &self,
        name: String,
        shares: Vec<String>,
        share_passphrase: String,
        language: Language,
        expected_address: Option<String>,
    ) -> Result<WalletInfo> {
        let expected = expected_address.as_deref().map(parse_address).transpose()?;
        Ok(wallet_info(self.lock_inner()?.add_wallet_from_shares(
            &name,
            &shares,
            &share_passphrase,
            language.to_core(),
            expected,
        )?))
    }

    /// Networks: the built-in ones merged with the user's.
    pub fn chains(&self) -> Result<Vec<ChainInfo>> {
        Ok(self
            .lock_inner()?
            .chain_registry()?
            .list()
            .into_iter()
            .map(ChainInfo::from)
            .collect())
    }

    /// Adds a custom network, or edits one (RPC, bundler and paymaster URLs).
    pub fn save_chain(&self, chain: ChainInfo) -> Result<()> {
        let chain: Chain = chain.into();
        Ok(self.lock_inner()?.save_chain(&chain)?)
    }

    /// Signs a message with `personal_sign` (EIP-191); returns the 65-byte signature as hex.
    pub fn sign_message(&self, wallet_id: String, index: u32, message: Vec<u8>) -> Result<String> {
        let signer = self.signer(&wallet_id, index)?;
        let signature = harbor_core::evm::sign_personal_message(&signer, &message)?;
        Ok(alloy_primitives::hex::encode_prefixed(signature))
    }

    /// Signs EIP-712 typed data given as the dApp's JSON (`eth_signTypedData_v4`).
    pub fn sign_typed_data(
        &self,
        wallet_id: String,
        index: u32,
        json: String,
        active_chain: Option<u64>,
    ) -> Result<String> {
        let signer = self.signer(&wallet_id, index)?;
        let data = harbor_core::evm::parse_typed_data(&json)?;
        let signature = harbor_core::evm::sign_typed_data(&signer, &data, active_chain)?;
        Ok(alloy_primitives::hex::encode_prefixed(signature))
    }

    /// Signs a transaction given as `eth_signTransaction` JSON; returns the raw signed bytes.
    pub fn sign_transaction(
        &self,
        wallet_id: String,
        index: u32,
        json: String,
        active_chain: Option<u64>,
    ) -> Result<String> {
        let signer = self.signer(&wallet_id, index)?;
        let request: harbor_core::evm::TransactionRequest = serde_json::from_str(&json)
            .map_err(|e| HarborError::input(format!("the transaction is not valid JSON: {e}")))?;
        let signed = harbor_core::evm::sign_transaction(&signer, &request, active_chain)?;
        Ok(signed.raw.to_string())
    }
}
