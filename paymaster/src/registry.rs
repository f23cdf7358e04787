//! The apps the relay serves and how it recognises them: those of the configuration file, and
//! those the operator adds at run time through the admin API — with API keys stored only as
//! SHA-256 hashes (shown once, on creation; revocable), policies created, changed, disabled and
//! enabled without a restart (a run-time policy overrides the file's for its app and chain), and
//! every change in an audit log of who made it. Every instance reloads the registry when the
//! audit log grows, so a change made through one instance holds on all of them within seconds.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::config::{AppConfig, Config, Policy};
use crate::store::sql::args;
use crate::store::{Store, StoreError};

/// Why an admin change was refused.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The named app does not exist.
    #[error("there is no app named {0:?}")]
    NoSuchApp(String),
    /// An app with that name exists already.
    #[error("an app named {0:?} exists already")]
    AppExists(String),
    /// The name is empty, too long or has other characters than letters, digits, `-`, `_`, `.`.
    #[error("an app name is 1 to 64 letters, digits, '-', '_' or '.'")]
    BadName,
    /// The key id is not one of the app's active keys.
    #[error("the app {app:?} has no active key {id:?}")]
    NoSuchKey {
        /// The app.
        app: String,
        /// The key id asked for.
        id: String,
    },
    /// The app and chain have no policy to enable or disable.
    #[error("the app {app:?} has no policy for chain {chain_id}")]
    NoSuchPolicy {
        /// The app.
        app: String,
        /// The chain.
        chain_id: u64,
    },
    /// The policy is not acceptable.
    #[error("invalid policy: {0}")]
    BadPolicy(String),
    /// No randomness for a new key.
    #[error("the system has no randomness for a new key")]
    Random,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An API key as listed: its id (the fingerprint) and its life, never the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyInfo {
    /// The key's id: the first 8 bytes of its SHA-256, hex.
    pub id: String,
    /// The app it opens.
    pub app: String,
    /// When it was made (unix seconds).
    pub created_at: u64,
    /// When it was revoked, if it was.
    pub revoked_at: Option<u64>,
}

/// A policy set at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimePolicy {
    /// The app.
    pub app: String,
    /// The policy.
    pub policy: Policy,
    /// Whether it is in force (a disabled one leaves the app without a policy on the chain).
    pub enabled: bool,
}

/// One change in the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// Its sequence number.
    pub id: i64,
    /// When (unix seconds).
    pub at: u64,
    /// Who (the admin token's name, and what the caller said of itself).
    pub actor: String,
    /// What: `app.create`, `key.create`, `key.revoke`, `policy.put`, `policy.disable`, `policy.enable`.
    pub action: String,
    /// On what (`app`, `app/keyId`, `app/chainId`).
    pub target: String,
    /// The change itself (a policy's JSON; never a key).
    pub detail: String,
}

/// What the database holds of the run-time configuration.
#[derive(Debug, Clone, Default)]
pub struct RuntimeConfig {
    /// The audit log's last id: the configuration's version.
    pub version: i64,
    /// Apps made at run time.
    pub apps: Vec<String>,
    /// Every key (active and revoked), with its hash.
    pub keys: Vec<(KeyInfo, String)>,
    /// Run-time policies.
    pub policies: Vec<RuntimePolicy>,
}

fn now() -> u64 {
    crate::chain::unix_now()
}

/// The run-time configuration's version: the audit log's last id (every change writes one).
const VERSION: &str = "SELECT COALESCE(MAX(id), 0) FROM audit_log";

/// SHA-256 of an API key, hex (how run-time keys are stored and looked up).
pub fn key_hash(api_key: &str) -> String {
    alloy_primitives::hex::encode(Sha256::digest(api_key.as_bytes()))
}

/// The first 8 bytes of SHA-256 of an API key: tells keys apart without showing them.
pub fn key_fingerprint(api_key: &str) -> String {
    alloy_primitives::hex::encode(&Sha256::digest(api_key.as_bytes())[..8])
}

fn audit(
    tx: &dyn crate::store::sql::Sql,
    actor: &str,
    action: &str,
    target: &str,
    detail: &str,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
        args![now(), actor, action, target, detail],
    )?;
    Ok(())
}

impl Store {
    /// The run-time configuration, read in one snapshot.
    pub fn runtime_config(&self) -> Result<RuntimeConfig, StoreError> {
        self.read(|tx| {
            let version = tx.query_one(VERSION, &[])?.int(0)?;
            let apps = tx
                .query("SELECT name FROM runtime_apps ORDER BY name", &[])?
                .iter()
                .map(|row| row.text(0))
                .collect::<Result<_, _>>()?;
            let mut keys = Vec::new();
            for row in tx.query(
                "SELECT id, app, created_at, revoked_at, hash FROM api_keys ORDER BY created_at, id",
                &[],
            )? {
                keys.push((
                    KeyInfo {
                        id: row.text(0)?,
                        app: row.text(1)?,
                        created_at: row.uint(2)?,
                        revoked_at: row.opt_uint(3)?,
                    },
                    row.text(4)?,
                ));
            }
            let mut policies = Vec::new();
            for row in tx.query(
                "SELECT app, body, enabled FROM runtime_policies ORDER BY app, chain_id",
                &[],
            )? {
                let body = row.text(1)?;
                let policy: Policy = serde_json::from_str(&body)
                    .map_err(|e| StoreError::Corrupt(format!("a stored policy: {e}")))?;
                policies.push(RuntimePolicy {
                    app: row.text(0)?,
                    policy,
                    enabled: row.int(2)? != 0,
                });
            }
            Ok(RuntimeConfig {
                version,
                apps,
                keys,
                policies,
            })
        })
    }

    /// The run-time configuration's version (the audit log's last id), read every few seconds.
    pub fn runtime_version(&self) -> Result<i64, StoreError> {
        self.read(|tx| tx.query_one(VERSION, &[])?.int(0))
    }

    /// The last `limit` changes, newest first.
    pub fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        self.read(|tx| {
            tx.query(
                "SELECT id, at, actor, action, target, detail FROM audit_log ORDER BY id DESC LIMIT ?1",
                args![limit],
            )?
            .iter()
            .map(|row| {
                Ok(AuditEntry {
                    id: row.int(0)?,
                    at: row.uint(1)?,
                    actor: row.text(2)?,
                    action: row.text(3)?,
                    target: row.text(4)?,
                    detail: row.text(5)?,
                })
            })
            .collect()
        })
    }
}

/// The apps in force: the file's and the run-time ones, each with its keys and policies.
#[derive(Debug, Default)]
pub struct Registry {
    apps: Vec<Arc<AppConfig>>,
    /// Active run-time keys: hash → index into `apps`.
    keys: HashMap<String, usize>,
    /// The version it was built from.
    pub version: i64,
    /// Every run-time key (for listings).
    pub key_list: Vec<KeyInfo>,
    /// Run-time policies (for listings), by app and chain.
    pub runtime_policies: Vec<RuntimePolicy>,
}

impl Registry {
    /// The registry of `config`'s apps with `runtime` applied.
    pub fn build(config: &Config, runtime: RuntimeConfig) -> Registry {
        let mut apps: Vec<AppConfig> = config.apps.clone();
        for name in &runtime.apps {
            if !apps.iter().any(|a| &a.name == name) {
                apps.push(AppConfig {
                    name: name.clone(),
                    api_key: String::new(),
                    policies: Vec::new(),
                    webhook: None,
                });
            }
        }
        for rp in &runtime.policies {
            if let Some(app) = apps.iter_mut().find(|a| a.name == rp.app) {
                app.policies.retain(|p| p.chain_id != rp.policy.chain_id);
                if rp.enabled {
                    let mut policy = rp.policy.clone();
                    // An approval webhook needs a secret: it stays the file's.
                    policy.approval = config
                        .apps
                        .iter()
                        .find(|a| a.name == rp.app)
                        .and_then(|a| a.policies.iter().find(|p| p.chain_id == policy.chain_id))
                        .and_then(|p| p.approval.clone());
                    app.policies.push(policy);
                }
            }
        }
        let apps: Vec<Arc<AppConfig>> = apps.into_iter().map(Arc::new).collect();
        let keys = runtime
            .keys
            .iter()
            .filter(|(info, _)| info.revoked_at.is_none())
            .filter_map(|(info, hash)| {
                let index = apps.iter().position(|a| a.name == info.app)?;
                Some((hash.clone(), index))
            })
            .collect();
        Registry {
            apps,
            keys,
            version: runtime.version,
            key_list: runtime.keys.into_iter().map(|(info, _)| info).collect(),
            runtime_policies: runtime.policies,
        }
    }

    /// The app `api_key` opens: a file app by its key, or a run-time key by its hash.
    pub fn app(&self, api_key: &str) -> Option<Arc<AppConfig>> {
        if api_key.is_empty() {
            return None;
        }
        let by_file = self.apps.iter().find(|app| {
            !app.api_key.is_empty()
                && crate::relay::constant_time_eq(app.api_key.as_bytes(), api_key.as_bytes())
        });
        by_file
            .or_else(|| self.keys.get(&key_hash(api_key)).map(|&i| &self.apps[i]))
            .cloned()
    }

    /// The app named `name`.
    pub fn named(&self, name: &str) -> Option<Arc<AppConfig>> {
        self.apps.iter().find(|a| a.name == name).cloned()
    }

    /// Every app.
    pub fn apps(&self) -> &[Arc<AppConfig>] {
        &self.apps
    }
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// A new random API key.
fn new_key() -> Result<String, AdminError> {
    let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
    getrandom::fill(bytes.as_mut()).map_err(|_| AdminError::Random)?;
    Ok(format!(
        "hpk_{}",
        alloy_primitives::hex::encode(bytes.as_ref())
    ))
}

/// A key just made: shown once.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewKey {
    /// The app.
    pub app: String,
    /// Its id (fingerprint).
    pub key_id: String,
    /// The key itself: shown this once, stored only as its hash.
    pub api_key: String,
}

impl Store {
    /// Makes app `name` (not in `registry`) with its first key.
    pub fn create_app(
        &self,
        registry: &Registry,
        name: &str,
        actor: &str,
    ) -> Result<NewKey, AdminError> {
        if !valid_name(name) {
            return Err(AdminError::BadName);
        }
        if registry.named(name).is_some() {
            return Err(AdminError::AppExists(name.into()));
        }
        let key = new_key()?;
        let id = key_fingerprint(&key);
        self.with(|tx| {
            tx.execute(
                "INSERT INTO runtime_apps (name, created_at) VALUES (?1, ?2)",
                args![name, now()],
            )?;
            tx.execute(
                "INSERT INTO api_keys (id, app, hash, created_at) VALUES (?1, ?2, ?3, ?4)",
                args![&id, name, key_hash(&key), now()],
            )?;
            audit(tx, actor, "app.create", name, "")?;
            audit(tx, actor, "key.create", &format!("{name}/{id}"), "")
        })?;
        Ok(NewKey {
            app: name.into(),
            key_id: id,
            api_key: key,
        })
    }

    /// Adds a key to `app` (rotation: add the new one, move clients over, revoke the old).
    pub fn create_key(
        &self,
        registry: &Registry,
        app: &str,
        actor: &str,
    ) -> Result<NewKey, AdminError> {
        if registry.named(app).is_none() {
            return Err(AdminError::NoSuchApp(app.into()));
        }
        let key = new_key()?;
        let id = key_fingerprint(&key);
        self.with(|tx| {
            tx.execute(
                "INSERT INTO api_keys (id, app, hash, created_at) VALUES (?1, ?2, ?3, ?4)",
                args![&id, app, key_hash(&key), now()],
            )?;
            audit(tx, actor, "key.create", &format!("{app}/{id}"), "")
        })?;
        Ok(NewKey {
            app: app.into(),
            key_id: id,
            api_key: key,
        })
    }

    /// Revokes `app`'s key `id` (effective on every instance at its next reload).
    pub fn revoke_key(&self, app: &str, id: &str, actor: &str) -> Result<(), AdminError> {
        let revoked = self.with(|tx| {
            let changed = tx.execute(
                "UPDATE api_keys SET revoked_at = ?3 WHERE app = ?1 AND id = ?2 AND revoked_at IS NULL",
                args![app, id, now()],
            )?;
            if changed == 1 {
                audit(tx, actor, "key.revoke", &format!("{app}/{id}"), "")?;
            }
            Ok(changed == 1)
        })?;
        if revoked {
            Ok(())
        } else {
            Err(AdminError::NoSuchKey {
                app: app.into(),
                id: id.into(),
            })
        }
    }

    /// Creates or replaces `app`'s policy for its chain (in force at once, overriding the file's).
    pub fn put_policy(
        &self,
        registry: &Registry,
        app: &str,
        policy: &Policy,
        actor: &str,
    ) -> Result<(), AdminError> {
        if registry.named(app).is_none() {
            return Err(AdminError::NoSuchApp(app.into()));
        }
        if policy.approval.is_some() {
            return Err(AdminError::BadPolicy(
                "an approval webhook holds a secret: configure it in the file".into(),
            ));
        }
        let body =
            serde_json::to_string(policy).map_err(|e| AdminError::BadPolicy(e.to_string()))?;
        self.with(|tx| {
            tx.execute(
                "INSERT INTO runtime_policies (app, chain_id, body, enabled, updated_at)
                 VALUES (?1, ?2, ?3, 1, ?4)
                 ON CONFLICT (app, chain_id) DO UPDATE SET body = ?3, enabled = 1, updated_at = ?4",
                args![app, policy.chain_id, &body, now()],
            )?;
            audit(
                tx,
                actor,
                "policy.put",
                &format!("{app}/{}", policy.chain_id),
                &body,
            )
        })?;
        Ok(())
    }

    /// Disables or enables `app`'s policy on `chain_id` (the effective one, file or run-time).
    pub fn set_policy_enabled(
        &self,
        registry: &Registry,
        app: &str,
        chain_id: u64,
        enabled: bool,
        actor: &str,
    ) -> Result<(), AdminError> {
        let current = registry
            .runtime_policies
            .iter()
            .find(|p| p.app == app && p.policy.chain_id == chain_id)
            .map(|p| p.policy.clone())
            .or_else(|| {
                registry
                    .named(app)?
                    .policies
                    .iter()
                    .find(|p| p.chain_id == chain_id)
                    .cloned()
            })
            .ok_or_else(|| AdminError::NoSuchPolicy {
                app: app.into(),
                chain_id,
            })?;
        let mut stored = current;
        stored.approval = None;
        let body =
            serde_json::to_string(&stored).map_err(|e| AdminError::BadPolicy(e.to_string()))?;
        self.with(|tx| {
            tx.execute(
                "INSERT INTO runtime_policies (app, chain_id, body, enabled, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (app, chain_id) DO UPDATE SET enabled = ?4, updated_at = ?5",
                args![app, chain_id, &body, i64::from(enabled), now()],
            )?;
            audit(
                tx,
                actor,
                if enabled {
                    "policy.enable"
                } else {
                    "policy.disable"
                },
                &format!("{app}/{chain_id}"),
                "",
            )
        })?;
        Ok(())
    }
}
