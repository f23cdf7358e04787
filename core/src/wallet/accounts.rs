//! The person's accounts, and the one rule for which key signs for which smart account: the
//! key the account was created for, or the key a recovery on this device moved it to.

use alloy_primitives::{Address, U256};
use zeroize::Zeroizing;

use super::{Wallet, WalletError, WalletResult, lock};
use crate::aa::HarborAccount;
use crate::keys::{Language, LocalSigner, Mnemonic, Signer, WordCount};
use crate::recovery::shamir::SplitOptions;
use crate::recovery::{KeyLocation, RecoveryStage};
use crate::vault::{AccountInfo, PaperShares, Vault, WalletKind};

/// A smart account the person can use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletAccount {
    /// The wallet (key source) holding its key.
    pub wallet_id: String,
    /// The key's account index in that wallet.
    pub index: u32,
    /// The account's name.
    pub name: String,
    /// The smart account's address (the same on every chain).
    pub address: Address,
    /// The key that signs for it.
    pub owner: Address,
    /// Whether the wallet has a recovery phrase (more accounts can be added, it can be shown).
    pub has_phrase: bool,
    /// Whether the account came to this device through a recovery.
    pub recovered: bool,
}

impl WalletAccount {
    fn own(a: &AccountInfo, has_phrase: bool) -> Self {
        WalletAccount {
            wallet_id: a.wallet_id.clone(),
            index: a.index,
            name: a.name.clone(),
            address: HarborAccount::new(a.address, U256::ZERO).address(),
            owner: a.address,
            has_phrase,
            recovered: false,
        }
    }
}

/// A wallet just added, with its first account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWallet {
    /// The wallet's id.
    pub wallet_id: String,
    /// Its first account.
    pub account: WalletAccount,
}

fn first_account(v: &Vault, wallet_id: &str) -> WalletResult<NewWallet> {
    let w = v.wallet(wallet_id)?;
    let a = v
        .accounts(wallet_id)?
        .into_iter()
        .next()
        .ok_or_else(|| WalletError::EmptyWallet(wallet_id.to_owned()))?;
    Ok(NewWallet {
        wallet_id: wallet_id.to_owned(),
        account: WalletAccount::own(&a, w.kind == WalletKind::Mnemonic),
    })
}

impl Wallet {
    /// Creates a wallet with a new 12-word English phrase and its first account.
    pub fn create_wallet(&self, name: &str) -> WalletResult<NewWallet> {
        let mnemonic = Mnemonic::generate(Language::English, WordCount::Words12)?;
        self.import_mnemonic(name, &mnemonic, "")
    }

    /// Adds a wallet from a recovery phrase (any BIP-39 language) and `passphrase`.
    pub fn import_mnemonic(
        &self,
        name: &str,
        mnemonic: &Mnemonic,
        passphrase: &str,
    ) -> WalletResult<NewWallet> {
        self.unlocked(|v| {
            let w = v.add_mnemonic_wallet(name, mnemonic, passphrase)?;
            first_account(v, &w.id)
        })
    }

    /// Adds a wallet from a typed or pasted recovery phrase.
    pub fn import_phrase(&self, name: &str, phrase: &str) -> WalletResult<NewWallet> {
        self.import_mnemonic(name, &Mnemonic::parse(phrase)?, "")
    }

    /// Adds a wallet from a raw private key (hex, with or without 0x).
    pub fn import_key(&self, name: &str, key: &str) -> WalletResult<NewWallet> {
        let key = Zeroizing::new(key.trim().trim_start_matches("0x").to_owned());
        let signer = LocalSigner::from_hex(&key)?;
        self.unlocked(|v| {
            let w = v.add_private_key_wallet(name, &signer)?;
            first_account(v, &w.id)
        })
    }

    /// Splits a wallet's phrase into `count` SLIP-39 paper shares, `threshold` of which restore
    /// it (asks for the password again).
    pub fn paper_shares(
        &self,
        wallet_id: &str,
        password: &str,
        threshold: u8,
        count: u8,
    ) -> WalletResult<PaperShares> {
        let options = SplitOptions::single_group(threshold, count);
        self.unlocked(|v| Ok(v.split_into_shares(wallet_id, password, &options)?))
    }

    /// Restores a wallet from SLIP-39 `shares` whose phrase is in `language` (its code, "en");
    /// with `expected`, a restore giving another first address is refused.
    pub fn restore_from_shares(
        &self,
        name: &str,
        shares: &[String],
        passphrase: &str,
        language: &str,
        expected: Option<Address>,
    ) -> WalletResult<NewWallet> {
        let language = Language::from_code(language)
            .ok_or_else(|| WalletError::UnknownLanguage(language.chars().take(20).collect()))?;
        self.unlocked(|v| {
            let w = v.add_wallet_from_shares(name, shares, passphrase, language, expected)?;
            first_account(v, &w.id)
        })
    }

    /// Adds an account to a phrase wallet.
    pub fn add_account(&self, wallet_id: &str, name: &str) -> WalletResult<WalletAccount> {
        self.unlocked(|v| Ok(WalletAccount::own(&v.add_account(wallet_id, name)?, true)))
    }

    /// Every account: the smart accounts of the wallet's keys, then the accounts recovered to
    /// one of those keys.
    pub fn accounts(&self) -> WalletResult<Vec<WalletAccount>> {
        self.unlocked(|v| {
            let mut out = Vec::new();
            for w in v.wallets()? {
                for a in v.accounts(&w.id)? {
                    out.push(WalletAccount::own(&a, w.kind == WalletKind::Mnemonic));
                }
            }
            for s in v.recoveries()? {
                let executed = s
                    .chains
                    .iter()
                    .any(|c| matches!(c.stage, RecoveryStage::Executed { .. }));
                let Some(key) = s.new_owner_key.as_ref().filter(|_| executed) else {
                    continue;
                };
                if let Some(mut a) = out
                    .iter()
                    .find(|a| !a.recovered && a.wallet_id == key.wallet_id && a.index == key.index)
                    .cloned()
                {
                    a.address = s.request.account;
                    a.recovered = true;
                    out.push(a);
                }
            }
            Ok(out)
        })
    }

    /// The key that signs for `account`, and the account as it was created (to create it where
    /// it does not exist yet): the one rule every operation uses.
    pub async fn signer_for(&self, account: Address) -> WalletResult<(LocalSigner, HarborAccount)> {
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
        let (signer, own) = found.ok_or(WalletError::NotYourAccount(account))?;
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

    /// The key a recovery started on this device moves an account to: `key`, or the first
    /// account of the first wallet.
    pub(super) fn recovery_key(
        &self,
        key: Option<KeyLocation>,
    ) -> WalletResult<(Address, KeyLocation)> {
        self.unlocked(|v| {
            if let Some(key) = key {
                let address = v.signer(&key.wallet_id, key.index)?.address();
                return Ok((address, key));
            }
            let w = v
                .wallets()?
                .into_iter()
                .next()
                .ok_or(WalletError::NoKeyForRecovery)?;
            let a = v
                .accounts(&w.id)?
                .into_iter()
                .next()
                .ok_or_else(|| WalletError::EmptyWallet(w.id.clone()))?;
            Ok((
                a.address,
                KeyLocation {
                    wallet_id: w.id,
                    index: a.index,
                },
            ))
        })
    }
}
