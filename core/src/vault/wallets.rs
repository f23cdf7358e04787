//! Wallets and their accounts: adding, listing (addresses checked against keys), signers
//! (derived once per unlock), exports, and paper shares.

use super::secrets::WalletSecret;
use super::*;

/// The first account address (m/44'/60'/0'/0/0) of a phrase without passphrase.
fn first_address(mnemonic: &Mnemonic) -> Result<Address, VaultError> {
    let root = HdRoot::from_seed(&mnemonic.to_seed(""))?;
    Ok(root.derive_signer(&DerivationPath::ethereum(0))?.address())
}

/// A `wallets` row as read, before its kind is checked.
struct WalletRow {
    id: String,
    name: String,
    kind: String,
    created_at: i64,
}

fn wallet_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<WalletRow> {
    Ok(WalletRow {
        id: r.get(0)?,
        name: r.get(1)?,
        kind: r.get(2)?,
        created_at: r.get(3)?,
    })
}

impl WalletRow {
    pub(super) fn into_info(self) -> Result<WalletInfo, VaultError> {
        Ok(WalletInfo {
            kind: WalletKind::parse(&self.kind)?,
            id: self.id,
            name: self.name,
            created_at: self.created_at,
        })
    }
}

impl Vault {
    /// Adds a wallet from a recovery phrase (with an optional BIP-39 passphrase, "" for none) and
    /// its first account `m/44'/60'/0'/0/0`.
    pub fn add_mnemonic_wallet(
        &mut self,
        name: &str,
        mnemonic: &Mnemonic,
        passphrase: &str,
    ) -> Result<WalletInfo, VaultError> {
        let secret = WalletSecret::Mnemonic {
            mnemonic: mnemonic.clone(),
            passphrase: Zeroizing::new(passphrase.to_owned()),
        };
        self.add_wallet(name, WalletKind::Mnemonic, secret)
    }

    /// Adds a wallet holding one imported private key.
    pub fn add_private_key_wallet(
        &mut self,
        name: &str,
        key: &LocalSigner,
    ) -> Result<WalletInfo, VaultError> {
        self.add_wallet(
            name,
            WalletKind::PrivateKey,
            WalletSecret::PrivateKey(key.clone()),
        )
    }

    pub(super) fn add_wallet(
        &mut self,
        name: &str,
        kind: WalletKind,
        secret: WalletSecret,
    ) -> Result<WalletInfo, VaultError> {
        let name = clean_name(name)?;
        let data_key = self.data_key()?.clone();
        let (address, path) = match &secret {
            WalletSecret::Mnemonic { .. } => {
                let path = DerivationPath::ethereum(0);
                (
                    secret.hd_root()?.derive_signer(&path)?.address(),
                    Some(path.to_string()),
                )
            }
            WalletSecret::PrivateKey(signer) => (signer.address(), None),
        };
        if let Some(existing) = self.wallet_holding(address, kind)? {
            return Err(VaultError::AlreadyImported { existing });
        }
        let id = hex_id()?;
        let sealed = seal(
            &data_key,
            &associated_data("wallets", &id, kind.as_str()),
            &secret.encode(),
        )?;
        let created_at = now();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO wallets (id, name, kind, secret, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, name, kind.as_str(), sealed, created_at],
        )?;
        tx.execute(
            "INSERT INTO accounts (wallet_id, idx, name, address, path) VALUES (?1, 0, ?2, ?3, ?4)",
            params![id, "Account 1", address.to_checksum(None), path],
        )?;
        tx.commit()?;
        Ok(WalletInfo {
            id,
            name,
            kind,
            created_at,
        })
    }

    /// The name of a wallet of `kind` whose first account is `address`.
    pub(super) fn wallet_holding(
        &self,
        address: Address,
        kind: WalletKind,
    ) -> Result<Option<String>, VaultError> {
        Ok(self
            .conn
            .query_row(
                "SELECT w.name FROM accounts a JOIN wallets w ON w.id = a.wallet_id
                 WHERE a.idx = 0 AND a.address = ?1 AND w.kind = ?2",
                params![address.to_checksum(None), kind.as_str()],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Every wallet, oldest first. Works while locked.
    pub fn wallets(&self) -> Result<Vec<WalletInfo>, VaultError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, name, kind, created_at FROM wallets ORDER BY created_at, rowid")?;
        let rows = stmt.query_map([], wallet_row)?;
        rows.map(|row| row?.into_info()).collect()
    }

    /// One wallet.
    pub fn wallet(&self, wallet_id: &str) -> Result<WalletInfo, VaultError> {
        self.conn
            .query_row(
                "SELECT id, name, kind, created_at FROM wallets WHERE id = ?1",
                [wallet_id],
                wallet_row,
            )
            .optional()?
            .ok_or_else(|| VaultError::WalletNotFound(wallet_id.to_owned()))?
            .into_info()
    }

    /// Renames a wallet.
    pub fn rename_wallet(&mut self, wallet_id: &str, name: &str) -> Result<(), VaultError> {
        let name = clean_name(name)?;
        let changed = self.conn.execute(
            "UPDATE wallets SET name = ?1 WHERE id = ?2",
            params![name, wallet_id],
        )?;
        if changed == 0 {
            return Err(VaultError::WalletNotFound(wallet_id.to_owned()));
        }
        Ok(())
    }

    /// Deletes a wallet and its accounts. Needs the password again: this destroys keys.
    pub fn remove_wallet(&mut self, wallet_id: &str, password: &str) -> Result<(), VaultError> {
        self.unwrap_with_password(password)?;
        let changed = self
            .conn
            .execute("DELETE FROM wallets WHERE id = ?1", [wallet_id])?;
        if changed == 0 {
            return Err(VaultError::WalletNotFound(wallet_id.to_owned()));
        }
        self.forget_signers();
        Ok(())
    }

    /// The accounts of a wallet, by index, each address checked against its key. Needs the vault
    /// unlocked: a locked vault cannot tell a genuine address from one written into the file.
    pub fn accounts(&self, wallet_id: &str) -> Result<Vec<AccountInfo>, VaultError> {
        // Each address is checked against its key (derived once per unlock, then cached), so a
        // file changed outside Harbor cannot show someone else's address as the user's.
        let stored = self.stored_accounts(wallet_id)?;
        for account in &stored {
            self.signer(wallet_id, account.index)?;
        }
        Ok(stored)
    }

    /// The account rows as stored, unchecked.
    pub(super) fn stored_accounts(&self, wallet_id: &str) -> Result<Vec<AccountInfo>, VaultError> {
        self.wallet(wallet_id)?;
        let mut stmt = self.conn.prepare(
            "SELECT idx, name, address, path FROM accounts WHERE wallet_id = ?1 ORDER BY idx",
        )?;
        let rows = stmt.query_map([wallet_id], |r| {
            Ok((
                r.get::<_, u32>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get(3)?,
            ))
        })?;
        rows.map(|row| {
            let (index, name, address, path) = row?;
            let address = address
                .parse()
                .map_err(|_| VaultError::Corrupted("an account address does not parse".into()))?;
            Ok(AccountInfo {
                wallet_id: wallet_id.to_owned(),
                index,
                name,
                address,
                path,
            })
        })
        .collect()
    }

    /// Derives and stores the next account of a phrase wallet.
    pub fn add_account(&mut self, wallet_id: &str, name: &str) -> Result<AccountInfo, VaultError> {
        let name = clean_name(name)?;
        let secret = self.wallet_secret(wallet_id)?;
        let root = secret.hd_root()?;
        let next: u32 = self.conn.query_row(
            "SELECT COALESCE(MAX(idx) + 1, 0) FROM accounts WHERE wallet_id = ?1",
            [wallet_id],
            |r| r.get(0),
        )?;
        let path = DerivationPath::ethereum(next);
        let address = root.derive_signer(&path)?.address();
        self.conn.execute(
            "INSERT INTO accounts (wallet_id, idx, name, address, path) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![wallet_id, next, name, address.to_checksum(None), path.to_string()],
        )?;
        Ok(AccountInfo {
            wallet_id: wallet_id.to_owned(),
            index: next,
            name,
            address,
            path: Some(path.to_string()),
        })
    }

    /// Renames an account.
    pub fn rename_account(
        &mut self,
        wallet_id: &str,
        index: u32,
        name: &str,
    ) -> Result<(), VaultError> {
        let name = clean_name(name)?;
        let changed = self.conn.execute(
            "UPDATE accounts SET name = ?1 WHERE wallet_id = ?2 AND idx = ?3",
            params![name, wallet_id, index],
        )?;
        if changed == 0 {
            self.wallet(wallet_id)?;
            return Err(VaultError::AccountNotFound {
                wallet_id: wallet_id.to_owned(),
                index,
            });
        }
        Ok(())
    }

    /// The signing key of an account. Needs the vault unlocked.
    pub fn signer(&self, wallet_id: &str, index: u32) -> Result<LocalSigner, VaultError> {
        self.data_key()?;
        let key = (wallet_id.to_owned(), index);
        if let Some(signer) = self.signers.lock().ok().and_then(|s| s.get(&key).cloned()) {
            return Ok(signer);
        }
        let account = self
            .stored_accounts(wallet_id)?
            .into_iter()
            .find(|a| a.index == index)
            .ok_or_else(|| VaultError::AccountNotFound {
                wallet_id: wallet_id.to_owned(),
                index,
            })?;
        let signer = match self.wallet_secret(wallet_id)? {
            WalletSecret::PrivateKey(signer) => signer,
            secret @ WalletSecret::Mnemonic { .. } => {
                let path: DerivationPath = account
                    .path
                    .as_deref()
                    .unwrap_or_default()
                    .parse()
                    .map_err(|_| VaultError::Corrupted("an account path does not parse".into()))?;
                secret.hd_root()?.derive_signer(&path)?
            }
        };
        if signer.address() != account.address {
            return Err(VaultError::Corrupted(format!(
                "the address stored for account {index} does not match its key: the wallet \
                 file was changed outside Harbor"
            )));
        }
        if let Ok(mut signers) = self.signers.lock() {
            signers.insert(key, signer.clone());
        }
        Ok(signer)
    }

    /// The extended public key of a phrase wallet's account level (`m/44'/60'/0'/0`), for
    /// watch-only use. Needs the vault unlocked.
    pub fn xpub(&self, wallet_id: &str) -> Result<String, VaultError> {
        let secret = self.wallet_secret(wallet_id)?;
        Ok(secret
            .hd_root()?
            .derive_xpub(&DerivationPath::ethereum_parent())?)
    }

    /// The recovery phrase and passphrase of a wallet, for a backup. Needs the password again.
    pub fn export_mnemonic(
        &self,
        wallet_id: &str,
        password: &str,
    ) -> Result<ExportedMnemonic, VaultError> {
        let data_key = self.unwrap_with_password(password)?;
        match self.wallet_secret_with(wallet_id, &data_key)? {
            WalletSecret::Mnemonic {
                mnemonic,
                passphrase,
            } => Ok(ExportedMnemonic {
                phrase: mnemonic.phrase(),
                passphrase,
            }),
            WalletSecret::PrivateKey(_) => Err(VaultError::NotAMnemonicWallet),
        }
    }

    /// The private key of one account as `0x…` hex. Needs the password again.
    pub fn export_private_key(
        &self,
        wallet_id: &str,
        index: u32,
        password: &str,
    ) -> Result<Zeroizing<String>, VaultError> {
        self.unwrap_with_password(password)?;
        let signer = self.signer(wallet_id, index)?;
        let bytes = signer.to_bytes();
        let mut out = Zeroizing::new(String::with_capacity(66));
        out.push_str("0x");
        for b in bytes.iter() {
            out.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
            out.push(char::from_digit(u32::from(b & 0xf), 16).unwrap_or('0'));
        }
        Ok(out)
    }

    /// Splits a phrase wallet's recovery phrase into SLIP-39 paper shares (one list per group),
    /// with the phrase's language and first address, which must be written beside the shares:
    /// shares hold the phrase's entropy only, and the same entropy in another language is
    /// another wallet. Needs the password again.
    pub fn split_into_shares(
        &self,
        wallet_id: &str,
        password: &str,
        options: &SplitOptions,
    ) -> Result<PaperShares, VaultError> {
        let exported = self.export_mnemonic(wallet_id, password)?;
        if !exported.passphrase.is_empty() {
            return Err(VaultError::PassphraseNotInShares);
        }
        let mnemonic = Mnemonic::parse(&exported.phrase)
            .map_err(|_| VaultError::Corrupted("stored phrase".into()))?;
        Ok(PaperShares {
            groups: shamir::split_mnemonic(&mnemonic, options)?,
            language: mnemonic.language(),
            first_address: first_address(&mnemonic)?,
        })
    }

    /// Restores a phrase wallet from SLIP-39 shares made by [`Vault::split_into_shares`], in the
    /// phrase's `language` (written beside the shares). With `expected_address` (the first
    /// address written beside them), a different wallet is refused before anything is saved.
    pub fn add_wallet_from_shares(
        &mut self,
        name: &str,
        shares: &[impl AsRef<str>],
        share_passphrase: &str,
        language: Language,
        expected_address: Option<Address>,
    ) -> Result<WalletInfo, VaultError> {
        let mnemonic = shamir::combine_to_mnemonic(shares, share_passphrase, language)?;
        if let Some(expected) = expected_address {
            let found = first_address(&mnemonic)?;
            if found != expected {
                return Err(VaultError::SharesGiveAnotherWallet { expected, found });
            }
        }
        self.add_mnemonic_wallet(name, &mnemonic, "")
    }

    pub(super) fn wallet_secret(&self, wallet_id: &str) -> Result<WalletSecret, VaultError> {
        self.wallet_secret_with(wallet_id, self.data_key()?)
    }

    pub(super) fn wallet_secret_with(
        &self,
        wallet_id: &str,
        data_key: &[u8; KEY_LEN],
    ) -> Result<WalletSecret, VaultError> {
        let (kind, sealed): (String, Vec<u8>) = self
            .conn
            .query_row(
                "SELECT kind, secret FROM wallets WHERE id = ?1",
                [wallet_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .ok_or_else(|| VaultError::WalletNotFound(wallet_id.to_owned()))?;
        let kind = WalletKind::parse(&kind)?;
        let plain = open(
            data_key,
            &associated_data("wallets", wallet_id, kind.as_str()),
            &sealed,
        )
        .ok_or_else(|| {
            VaultError::Corrupted("a wallet record failed its integrity check".into())
        })?;
        WalletSecret::decode(kind, &plain)
    }
}
