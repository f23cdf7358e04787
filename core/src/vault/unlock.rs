//! Locking and unlocking: the data key, wrapped by the password (Argon2id) and optionally by a
//! key in a secure store; password changes rotate the data key.

use super::*;

/// The password row: Argon2 parameters, salt and the wrapped data key.
pub(super) struct PasswordKey {
    pub(super) params: KdfParams,
    pub(super) salt: Vec<u8>,
    pub(super) wrapped: Vec<u8>,
}

impl Vault {
    /// Whether secrets can be used now.
    pub fn is_unlocked(&self) -> bool {
        self.data_key.is_some()
    }

    /// Forgets the data key; the vault stays open for listing.
    pub fn lock(&mut self) {
        self.data_key = None;
        self.forget_signers();
    }

    pub(super) fn forget_signers(&self) {
        if let Ok(mut signers) = self.signers.lock() {
            signers.clear();
        }
    }

    /// Unlocks with the password. A wrong password changes nothing.
    pub fn unlock(&mut self, password: &str) -> Result<(), VaultError> {
        let key = self.unwrap_with_password(password)?;
        self.data_key = Some(key);
        Ok(())
    }

    /// The Argon2 parameters protecting the password unlock.
    pub fn kdf_params(&self) -> Result<KdfParams, VaultError> {
        Ok(self.password_key()?.params)
    }

    /// Replaces the password (and optionally the Argon2 parameters) and rotates the data key:
    /// every secret is sealed again under a new key, in one transaction (an interruption leaves
    /// the old password working). So a copy of the old password entry put back into the file
    /// opens nothing added since. Keyring unlock wraps the old key: it is turned off and, given
    /// `keyring`, turned on again with the new key.
    pub fn change_password(
        &mut self,
        old_password: &str,
        new_password: &str,
        params: KdfParams,
        keyring: Option<&dyn SecureStore>,
    ) -> Result<(), VaultError> {
        check_password(new_password)?;
        params.validate()?;
        let old_key = self.unwrap_with_password(old_password)?;
        let new_key = new_key()?;
        let key = Self::wrap_with_password(&new_key, new_password, params)?;
        let had_keyring = self.keyring_enabled()?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let rows: Vec<(String, String, Vec<u8>)> = {
            let mut stmt = tx.prepare("SELECT id, kind, secret FROM wallets")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        for (id, kind, sealed) in rows {
            let aad = associated_data("wallets", &id, &kind);
            let plain = open(&old_key, &aad, &sealed).ok_or_else(|| {
                VaultError::Corrupted("a wallet record failed its integrity check".into())
            })?;
            tx.execute(
                "UPDATE wallets SET secret = ?1 WHERE id = ?2",
                params![seal(&new_key, &aad, &plain)?, id],
            )?;
        }
        tx.execute(
            "UPDATE unlock_keys SET kdf = ?1, salt = ?2, wrapped = ?3, updated_at = ?4
             WHERE kind = 'password'",
            params![kdf_json(&key.params)?, key.salt, key.wrapped, now()],
        )?;
        tx.execute("DELETE FROM unlock_keys WHERE kind = 'keyring'", [])?;
        tx.commit()?;
        self.data_key = Some(new_key);
        if had_keyring && let Some(store) = keyring {
            self.enable_keyring(store)?;
        }
        Ok(())
    }

    /// Lets this vault be unlocked through `store` without the password. Needs the vault unlocked.
    pub fn enable_keyring(&mut self, store: &dyn SecureStore) -> Result<(), VaultError> {
        let data_key = self.data_key()?.clone();
        let kek = new_key()?;
        let wrapped = seal(
            &kek,
            &associated_data("unlock_keys", &self.vault_id, "keyring"),
            &*data_key,
        )?;
        store.put(&self.keyring_name(), kek.as_ref())?;
        let written = self.conn.execute(
            "INSERT OR REPLACE INTO unlock_keys (kind, kdf, salt, wrapped, updated_at)
             VALUES ('keyring', NULL, NULL, ?1, ?2)",
            params![wrapped, now()],
        );
        if let Err(e) = written {
            let _ = store.delete(&self.keyring_name());
            return Err(e.into());
        }
        Ok(())
    }

    /// Stops keyring unlock and deletes the key from `store`.
    pub fn disable_keyring(&mut self, store: &dyn SecureStore) -> Result<(), VaultError> {
        self.conn
            .execute("DELETE FROM unlock_keys WHERE kind = 'keyring'", [])?;
        store.delete(&self.keyring_name())?;
        Ok(())
    }

    /// Whether keyring unlock is enabled for this vault.
    pub fn keyring_enabled(&self) -> Result<bool, VaultError> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM unlock_keys WHERE kind = 'keyring'",
                [],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// Unlocks with the key held in `store`.
    pub fn unlock_with_keyring(&mut self, store: &dyn SecureStore) -> Result<(), VaultError> {
        let wrapped: Vec<u8> = self
            .conn
            .query_row(
                "SELECT wrapped FROM unlock_keys WHERE kind = 'keyring'",
                [],
                |r| r.get(0),
            )
            .optional()?
            .ok_or(VaultError::KeyringNotEnabled)?;
        let kek = store
            .get(&self.keyring_name())?
            .ok_or(VaultError::KeyringKeyMissing)?;
        let kek = key_from_slice(&kek).ok_or(VaultError::KeyringKeyMissing)?;
        let aad = associated_data("unlock_keys", &self.vault_id, "keyring");
        let key = open(&kek, &aad, &wrapped)
            .and_then(|k| key_from_slice(&k))
            .ok_or(VaultError::KeyringKeyMissing)?;
        self.data_key = Some(key);
        Ok(())
    }

    pub(super) fn data_key(&self) -> Result<&Zeroizing<[u8; KEY_LEN]>, VaultError> {
        self.data_key.as_ref().ok_or(VaultError::Locked)
    }

    pub(super) fn keyring_name(&self) -> String {
        format!("vault-{}", self.vault_id)
    }

    pub(super) fn password_key(&self) -> Result<PasswordKey, VaultError> {
        let (kdf, salt, wrapped): (String, Vec<u8>, Vec<u8>) = self
            .conn
            .query_row(
                "SELECT kdf, salt, wrapped FROM unlock_keys WHERE kind = 'password'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?
            .ok_or_else(|| VaultError::Corrupted("the password entry is missing".into()))?;
        let params = serde_json::from_str(&kdf).map_err(|_| {
            VaultError::Corrupted("the key-derivation settings do not parse".into())
        })?;
        Ok(PasswordKey {
            params,
            salt,
            wrapped,
        })
    }

    pub(super) fn unwrap_with_password(
        &self,
        password: &str,
    ) -> Result<Zeroizing<[u8; KEY_LEN]>, VaultError> {
        let key = self.password_key()?;
        let kek = key.params.derive(password, &key.salt)?;
        let aad = associated_data("unlock_keys", "password", &kdf_json(&key.params)?);
        open(&kek, &aad, &key.wrapped)
            .and_then(|k| key_from_slice(&k))
            .ok_or(VaultError::WrongPassword)
    }

    pub(super) fn wrap_with_password(
        data_key: &[u8; KEY_LEN],
        password: &str,
        params: KdfParams,
    ) -> Result<PasswordKey, VaultError> {
        let salt = new_salt()?;
        let kek = params.derive(password, &salt)?;
        let aad = associated_data("unlock_keys", "password", &kdf_json(&params)?);
        let wrapped = seal(&kek, &aad, data_key)?;
        Ok(PasswordKey {
            params,
            salt,
            wrapped,
        })
    }
}
