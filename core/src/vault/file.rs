//! The vault file: creating it (atomically, one winner), opening it (integrity, schema), and
//! checking it.

use super::*;

impl Vault {
    /// Creates a new, empty vault at `path`, protected by `password`, and returns it unlocked.
    ///
    /// The file is built under a temporary name of its own and linked into place only when
    /// complete, so an interrupted creation never leaves a half-made vault at `path`, and of two
    /// creations at once one wins and the other gets [`VaultError::AlreadyExists`].
    pub fn create(path: &Path, password: &str, params: KdfParams) -> Result<Self, VaultError> {
        check_password(password)?;
        params.validate()?;
        if path.exists() {
            return Err(VaultError::AlreadyExists(path.to_owned()));
        }
        // A name of its own for this attempt: two creations of the same path never touch each
        // other's files; the first to link its complete file into place wins.
        let mut temp = path.as_os_str().to_owned();
        temp.push(format!(".creating-{}", hex_id()?));
        let temp = PathBuf::from(temp);
        let data_key = new_key()?;
        let vault_id = hex_id()?;
        let built = Self::build_new(&temp, &data_key, &vault_id, password, params);
        if let Err(e) = built {
            remove_with_sidecars(&temp);
            return Err(e);
        }
        // A hard link never replaces an existing file (unlike rename): one winner, the others
        // get "already exists" and leave nothing behind.
        let linked = std::fs::hard_link(&temp, path);
        remove_with_sidecars(&temp);
        match linked {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(VaultError::AlreadyExists(path.to_owned()));
            }
            Err(e) => return Err(VaultError::Storage(e.to_string())),
        }
        let mut vault = Self::open(path)?;
        vault.data_key = Some(data_key);
        Ok(vault)
    }

    /// Writes a complete new vault file at `temp`.
    pub(super) fn build_new(
        temp: &Path,
        data_key: &Zeroizing<[u8; KEY_LEN]>,
        vault_id: &str,
        password: &str,
        params: KdfParams,
    ) -> Result<(), VaultError> {
        let mut conn = open_connection(
            temp,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
        )?;
        schema::configure(&conn)?;
        schema::migrate(&mut conn)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('format', ?1)",
            [FORMAT_TAG],
        )?;
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('vault_id', ?1)",
            [vault_id],
        )?;
        let key = Self::wrap_with_password(data_key, password, params)?;
        tx.execute(
            "INSERT INTO unlock_keys (kind, kdf, salt, wrapped, updated_at)
             VALUES ('password', ?1, ?2, ?3, ?4)",
            params![kdf_json(&key.params)?, key.salt, key.wrapped, now()],
        )?;
        tx.commit()?;
        conn.close().map_err(|(_, e)| VaultError::from(e))?;
        Ok(())
    }

    /// Opens an existing vault, locked. Checks the file's integrity and upgrades its schema.
    pub fn open(path: &Path) -> Result<Self, VaultError> {
        let meta = std::fs::metadata(path).map_err(|_| VaultError::NotFound(path.to_owned()))?;
        if meta.len() == 0 {
            return Err(VaultError::Corrupted("the file is empty".into()));
        }
        let mut conn = open_connection(path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        let version = schema::version(&conn)?;
        // The full check: `quick_check` does not compare indexes with their tables, and a damaged
        // index can hide rows (a wallet's accounts) without any error. Vaults are small.
        let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if check != "ok" {
            return Err(VaultError::Corrupted(format!(
                "integrity check failed: {check}"
            )));
        }
        if version == 0 {
            return Err(VaultError::NotAVault);
        }
        if version > schema::CURRENT_VERSION {
            return Err(VaultError::TooNew {
                found: version,
                supported: schema::CURRENT_VERSION,
            });
        }
        schema::configure(&conn)?;
        let format: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE key = 'format'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|_| VaultError::NotAVault)?;
        if format.as_deref() != Some(FORMAT_TAG) {
            return Err(VaultError::NotAVault);
        }
        schema::migrate(&mut conn)?;
        let vault_id: String = conn
            .query_row("SELECT value FROM meta WHERE key = 'vault_id'", [], |r| {
                r.get(0)
            })
            .optional()?
            .ok_or_else(|| VaultError::Corrupted("the vault id is missing".into()))?;
        Ok(Self {
            conn,
            path: path.to_owned(),
            vault_id,
            data_key: None,
            signers: Default::default(),
        })
    }

    /// The file this vault lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs SQLite's full integrity check; `Ok` when the file is sound.
    pub fn integrity_check(&self) -> Result<(), VaultError> {
        let result: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if result == "ok" {
            Ok(())
        } else {
            Err(VaultError::Corrupted(result))
        }
    }
}
