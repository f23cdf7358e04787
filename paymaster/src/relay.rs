//! The relay's shared state: configuration, keys, store, chains and metrics.

use std::collections::BTreeMap;
use std::sync::Arc;

use alloy_primitives::Address;
use harbor_core::keys::{LocalSigner, Signer};

use crate::chain::ChainRuntime;
use crate::config::{AppConfig, Config};
use crate::registry::Registry;

/// How often an instance looks for app, key and policy changes made through another one.
const RELOAD_EVERY: std::time::Duration = std::time::Duration::from_secs(2);
use crate::keys::{KeyLoadError, load_key};
use crate::metrics::Metrics;
use crate::store::{Store, StoreError};

/// Why the relay could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A key could not be loaded.
    #[error(transparent)]
    Key(#[from] KeyLoadError),
    /// The database could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A chain's URLs are invalid.
    #[error("chain {chain_id}: {message}")]
    Chain {
        /// The chain.
        chain_id: u64,
        /// Why.
        message: String,
    },
    /// The HTTP client for the approval webhooks could not be built.
    #[error("cannot set up the HTTP client: {0}")]
    Http(String),
    /// The admin API's configuration is unsafe.
    #[error("admin API: {0}")]
    Admin(String),
    /// The listener could not bind.
    #[error("cannot listen on {address}: {message}")]
    Listen {
        /// The address.
        address: String,
        /// Why.
        message: String,
    },
}

/// Everything a request handler needs.
#[derive(Debug)]
pub struct Relay {
    /// The configuration.
    pub config: Config,
    /// The database.
    pub store: Arc<Store>,
    /// Signs sponsorships.
    pub(crate) signer: LocalSigner,
    /// Sends bundle transactions.
    pub(crate) relayer: LocalSigner,
    /// Served chains.
    pub chains: BTreeMap<u64, Arc<ChainRuntime>>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// The apps' alert webhooks, by app name.
    pub webhooks: BTreeMap<String, crate::alerts::Webhook>,
    /// The policies' approval webhooks, by app name and chain.
    pub approvals: BTreeMap<(String, u64), crate::approval::ApprovalHook>,
    /// The admin API's bearer tokens by operator name (empty: no admin API).
    pub(crate) admin_tokens: Vec<(String, zeroize::Zeroizing<String>)>,
    /// The client the approval webhooks are asked with (connections kept open).
    pub(crate) http: reqwest::Client,
    /// The apps in force (the file's and the run-time ones), reloaded when they change.
    registry: std::sync::RwLock<Arc<Registry>>,
}

impl Relay {
    /// Builds the relay from `config`, loading keys and opening the database.
    pub fn new(config: Config) -> Result<Self, StartError> {
        let signer = load_key(&config.signer_key, "signer")?;
        let relayer = load_key(&config.relayer_key, "relayer")?;
        Self::with_keys(config, signer, relayer)
    }

    /// Builds the relay with keys already loaded (tests, benchmarks).
    pub fn with_keys(
        config: Config,
        signer: LocalSigner,
        relayer: LocalSigner,
    ) -> Result<Self, StartError> {
        let store = Arc::new(Store::connect(&config.database)?);
        tracing::info!(database = %config.database.describe(), backend = store.backend(), instance = instance_id(), "database open");
        let mut chains = BTreeMap::new();
        for chain in &config.chains {
            let runtime = ChainRuntime::new(chain.clone())
                .map_err(|e| StartError::Chain {
                    chain_id: chain.chain_id,
                    message: e.to_string(),
                })?
                .with_lease(std::time::Duration::from_secs(config.lease_seconds));
            chains.insert(chain.chain_id, Arc::new(runtime));
        }
        let mut webhooks = BTreeMap::new();
        for app in &config.apps {
            if let Some(hook) = &app.webhook {
                let secret = crate::keys::load_secret(&hook.secret)?;
                webhooks.insert(
                    app.name.clone(),
                    crate::alerts::Webhook {
                        url: hook.url.clone(),
                        secret,
                    },
                );
            }
        }
        let mut approvals = BTreeMap::new();
        for app in &config.apps {
            for policy in &app.policies {
                if let Some(hook) = &policy.approval {
                    approvals.insert(
                        (app.name.clone(), policy.chain_id),
                        crate::approval::ApprovalHook {
                            url: hook.url.clone(),
                            secret: crate::keys::load_secret(&hook.secret)?,
                            timeout: std::time::Duration::from_millis(hook.timeout_ms),
                        },
                    );
                }
            }
        }
        let mut admin_tokens = Vec::new();
        if let Some(admin) = &config.admin {
            admin_tokens.push(("admin".to_owned(), crate::keys::load_secret(&admin.token)?));
            for operator in &admin.operators {
                admin_tokens.push((
                    operator.name.clone(),
                    crate::keys::load_secret(&operator.token)?,
                ));
            }
        }
        harbor_core::rpc::install_tls_provider();
        let http = reqwest::Client::builder()
            .user_agent(concat!("harbor-paymaster/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| StartError::Http(e.to_string()))?;
        store.notify_apps(
            config
                .apps
                .iter()
                .filter(|app| app.webhook.as_ref().is_some_and(|w| w.sponsorship_events))
                .map(|app| app.name.clone())
                .collect(),
        );
        let registry = Registry::build(&config, store.runtime_config()?);
        tracing::info!(signer = %signer.address(), relayer = %relayer.address(), chains = ?chains.keys().collect::<Vec<_>>(), apps = registry.apps().len(), "relay configured");
        Ok(Relay {
            config,
            store,
            signer,
            relayer,
            chains,
            metrics: Arc::new(Metrics::default()),
            webhooks,
            approvals,
            admin_tokens,
            http,
            registry: std::sync::RwLock::new(Arc::new(registry)),
        })
    }

    /// The apps in force now.
    pub fn registry(&self) -> Arc<Registry> {
        self.registry.read().map(|r| r.clone()).unwrap_or_default()
    }

    /// Reads the run-time apps, keys and policies again if they changed (or `force`).
    pub fn reload_registry(&self, force: bool) -> Result<(), StoreError> {
        let current = self.registry().version;
        if !force && self.store.runtime_version()? == current {
            return Ok(());
        }
        let registry = Registry::build(&self.config, self.store.runtime_config()?);
        tracing::info!(
            version = registry.version,
            apps = registry.apps().len(),
            "apps reloaded"
        );
        if let Ok(mut held) = self.registry.write() {
            *held = Arc::new(registry);
        }
        Ok(())
    }

    /// Gives up the chains' leases this instance holds (on shutdown).
    pub fn release_leases(&self) {
        for chain in self.chains.values() {
            chain.release_lease(&self.store);
        }
    }

    /// The runtime of `chain_id`.
    pub fn chain(&self, chain_id: u64) -> Option<&ChainRuntime> {
        self.chains.get(&chain_id).map(Arc::as_ref)
    }

    /// The app owning `api_key` (a key of the file, or an active run-time key).
    pub fn app(&self, api_key: &str) -> Option<Arc<AppConfig>> {
        self.registry().app(api_key)
    }

    /// The sponsorship signer's address.
    pub fn signer_address(&self) -> Address {
        self.signer.address()
    }

    /// The relayer's address.
    pub fn relayer_address(&self) -> Address {
        self.relayer.address()
    }

    /// Starts one watcher task per chain and the alerts' webhook delivery.
    pub fn spawn_watchers(self: &Arc<Self>) -> Vec<tokio::task::JoinHandle<()>> {
        let webhook_apps: std::collections::BTreeSet<String> =
            self.webhooks.keys().cloned().collect();
        let mut tasks: Vec<_> = self
            .chains
            .values()
            .map(|chain| {
                tokio::spawn(chain.clone().watch(
                    self.store.clone(),
                    self.relayer.clone(),
                    self.metrics.clone(),
                    webhook_apps.clone(),
                ))
            })
            .collect();
        if !self.webhooks.is_empty() {
            tasks.push(tokio::spawn(crate::alerts::deliver(self.clone())));
        }
        // Changes made through another instance's admin API.
        let relay = self.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                tokio::time::sleep(RELOAD_EVERY).await;
                let reloaded = {
                    let relay = relay.clone();
                    tokio::task::spawn_blocking(move || relay.reload_registry(false)).await
                };
                if let Ok(Err(error)) = reloaded {
                    tracing::warn!(%error, "apps not reloaded");
                }
            }
        }));
        tasks
    }
}

/// This relay process's name in leases: host, process id and start time (unique per process,
/// so a restarted instance is a new holder).
pub fn instance_id() -> &'static str {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| {
        let host = std::fs::read_to_string("/etc/hostname")
            .ok()
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "relay".into());
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        format!("{host}:{}:{started:x}", std::process::id())
    })
}

/// Whether `a` equals `b`, in time that does not depend on where they differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
