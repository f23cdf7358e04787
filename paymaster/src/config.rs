//! The relay's configuration: a TOML file, with environment variables overriding a few fields.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use alloy_primitives::{Address, B256, U256};
use serde::{Deserialize, Serialize};

pub use crate::store::Database;
use harbor_core::aa::{ENTRY_POINT_V07, HARBOR_ACCOUNT_FACTORY, HARBOR_ACCOUNT_IMPLEMENTATION};

/// Why the configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {message}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The TOML is invalid.
    #[error("invalid configuration {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message (with line and column).
        message: String,
    },
    /// A value is inconsistent.
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// Where a private key comes from. Keys are never written in the configuration file itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeySource {
    /// An environment variable holding the hex key.
    Env(String),
    /// A file holding the hex key (should be readable by the service user only).
    File(PathBuf),
    /// The OS keyring entry `service` / `user` (feature `os-keyring`).
    Keyring {
        /// Keyring service name.
        service: String,
        /// Keyring user name.
        user: String,
    },
}

impl std::str::FromStr for KeySource {
    type Err = String;

    /// Reads `env:NAME`, `file:PATH` or `keyring:SERVICE/USER` (as given on a command line).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{text:?} is not env:NAME, file:PATH or keyring:SERVICE/USER");
        match text.split_once(':').ok_or_else(bad)? {
            ("env", name) if !name.is_empty() => Ok(KeySource::Env(name.to_owned())),
            ("file", path) if !path.is_empty() => Ok(KeySource::File(path.into())),
            ("keyring", entry) => match entry.split_once('/') {
                Some((service, user)) if !service.is_empty() && !user.is_empty() => {
                    Ok(KeySource::Keyring {
                        service: service.to_owned(),
                        user: user.to_owned(),
                    })
                }
                _ => Err(bad()),
            },
            _ => Err(bad()),
        }
    }
}

/// One chain the relay serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainConfig {
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// The node's JSON-RPC URL (private: it may carry a provider key).
    pub rpc_url: String,
    /// The network's name in the sponsor profile (wallets that know the chain use their own).
    #[serde(default)]
    pub name: Option<String>,
    /// A public JSON-RPC URL wallets may use for this chain, in the sponsor profile (wallets that
    /// do not know the chain need one).
    #[serde(default)]
    pub public_rpc_url: Option<String>,
    /// The EntryPoint (v0.7).
    #[serde(default = "default_entry_point")]
    pub entry_point: Address,
    /// The HarborPaymaster contract.
    pub paymaster: Address,
    /// Forward bundler methods to this ERC-7769 bundler instead of relaying itself.
    #[serde(default)]
    pub upstream_bundler_url: Option<String>,
    /// How often to read new blocks (milliseconds).
    #[serde(default = "default_poll_ms")]
    pub poll_interval_ms: u64,
    /// Resubmit a bundle transaction with higher fees after this many seconds without receipt.
    #[serde(default = "default_bump_seconds")]
    pub bump_after_seconds: u64,
    /// The Harbor account factory: counterfactual accounts must be created by it.
    #[serde(default = "default_factory")]
    pub account_factory: Address,
    /// The Harbor account implementation deployed accounts must point at.
    #[serde(default = "default_implementation")]
    pub account_implementation: Address,
    /// Runtime code hashes of other account contracts the operator has audited and allows (their
    /// validation is traced against the ERC-7562 rules before bundling). Empty: Harbor only.
    #[serde(default)]
    pub allowed_account_code_hashes: Vec<B256>,
    /// How far above the chain's current fees a signed or bundled fee may be, in percent.
    #[serde(default = "default_fee_margin")]
    pub fee_margin_percent: u64,
    /// In upstream mode, also forward operations this relay did not sponsor.
    #[serde(default)]
    pub forward_unsponsored: bool,
    /// How many recent blocks' hashes are kept to detect reorganisations.
    #[serde(default = "default_reorg_depth")]
    pub reorg_depth: u64,
}

fn default_factory() -> Address {
    HARBOR_ACCOUNT_FACTORY
}
fn default_implementation() -> Address {
    HARBOR_ACCOUNT_IMPLEMENTATION
}
fn default_fee_margin() -> u64 {
    25
}
fn default_reorg_depth() -> u64 {
    64
}

impl ChainConfig {
    /// A chain served with the Harbor contracts and default settings.
    pub fn new(chain_id: u64, rpc_url: &str, paymaster: Address) -> Self {
        ChainConfig {
            chain_id,
            rpc_url: rpc_url.to_owned(),
            name: None,
            public_rpc_url: None,
            entry_point: default_entry_point(),
            paymaster,
            upstream_bundler_url: None,
            poll_interval_ms: default_poll_ms(),
            bump_after_seconds: default_bump_seconds(),
            account_factory: default_factory(),
            account_implementation: default_implementation(),
            allowed_account_code_hashes: Vec::new(),
            fee_margin_percent: default_fee_margin(),
            forward_unsponsored: false,
            reorg_depth: default_reorg_depth(),
        }
    }
}

fn default_entry_point() -> Address {
    ENTRY_POINT_V07
}
fn default_poll_ms() -> u64 {
    1000
}
fn default_bump_seconds() -> u64 {
    30
}

/// What an app may get sponsored on one chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// The chain this policy applies to (an app is allowed only on chains with a policy).
    pub chain_id: u64,
    /// Length of the limit window in seconds.
    #[serde(default = "default_window")]
    pub reset_interval_seconds: u64,
    /// Operations per sender per window.
    #[serde(default = "default_ops_per_sender")]
    pub max_ops_per_sender: u64,
    /// Operations in total per window.
    #[serde(default = "default_ops_total")]
    pub max_ops_total: u64,
    /// Wei of gas per sender per window.
    #[serde(default = "default_spend_per_sender")]
    pub max_spend_per_sender_wei: U256,
    /// Wei of gas in total per window.
    #[serde(default = "default_spend_total")]
    pub max_spend_total_wei: U256,
    /// Highest callGasLimit signed.
    #[serde(default = "default_call_gas")]
    pub max_call_gas: u64,
    /// Highest verificationGasLimit signed.
    #[serde(default = "default_verification_gas")]
    pub max_verification_gas: u64,
    /// Highest preVerificationGas signed.
    #[serde(default = "default_pre_verification_gas")]
    pub max_pre_verification_gas: u64,
    /// Highest maxFeePerGas signed (wei).
    #[serde(default = "default_max_fee")]
    pub max_fee_per_gas_wei: U256,
    /// Contracts the account may call; empty allows any.
    #[serde(default)]
    pub allowed_targets: Vec<Address>,
    /// Function selectors the account may call (`0xa9059cbb`); empty allows any; a plain
    /// transfer (empty data) is allowed when `allow_native_transfers`.
    #[serde(default)]
    pub allowed_selectors: Vec<String>,
    /// Whether plain ETH transfers (no call data) are sponsored.
    #[serde(default = "yes")]
    pub allow_native_transfers: bool,
    /// Seconds a sponsorship signature stays valid (short: an unused one holds budget).
    #[serde(default = "default_validity")]
    pub validity_seconds: u64,
    /// Sponsorships signed for one account and not used yet, at most (a newer one for the same
    /// nonce replaces the older).
    #[serde(default = "default_open_per_sender")]
    pub max_open_per_sender: u64,
    /// Also submit this app's operations that this relay did not sponsor (paid by the account
    /// or by another paymaster), after full simulation and the ERC-7562 validation checks.
    #[serde(default)]
    pub bundle_unsponsored: bool,
    /// The operator's service asked, signed, before each sponsorship (fail closed).
    #[serde(default)]
    pub approval: Option<ApprovalConfig>,
}

/// A policy's approval webhook (see `approval.rs` for the request and answer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalConfig {
    /// Where the question is posted (https:// in production).
    pub url: String,
    /// The shared secret the question is signed with.
    pub secret: KeySource,
    /// How long to wait for the answer before declining, in milliseconds.
    #[serde(default = "default_approval_timeout")]
    pub timeout_ms: u64,
}

fn default_approval_timeout() -> u64 {
    2_000
}

fn default_window() -> u64 {
    86_400
}
fn default_ops_per_sender() -> u64 {
    50
}
fn default_ops_total() -> u64 {
    10_000
}
fn default_spend_per_sender() -> U256 {
    U256::from(50_000_000_000_000_000u64) // 0.05 ETH
}
fn default_spend_total() -> U256 {
    U256::from(10u64) * U256::from(1_000_000_000_000_000_000u64) // 10 ETH
}
fn default_call_gas() -> u64 {
    2_000_000
}
fn default_verification_gas() -> u64 {
    1_000_000
}
fn default_pre_verification_gas() -> u64 {
    200_000
}
fn default_max_fee() -> U256 {
    U256::from(200_000_000_000u64) // 200 gwei
}
fn yes() -> bool {
    true
}
fn default_validity() -> u64 {
    180
}
fn default_open_per_sender() -> u64 {
    4
}

impl Policy {
    /// Checks what the types alone do not: positive intervals, well-formed selectors.
    pub fn check(&self) -> Result<(), String> {
        if self.reset_interval_seconds == 0 || self.validity_seconds == 0 {
            return Err("reset_interval_seconds and validity_seconds must be positive".into());
        }
        for selector in &self.allowed_selectors {
            parse_selector(selector)
                .ok_or_else(|| format!("{selector:?} is not a 4-byte selector like 0xa9059cbb"))?;
        }
        Ok(())
    }

    /// A policy with the defaults for `chain_id`.
    pub fn defaults(chain_id: u64) -> Self {
        Policy {
            chain_id,
            reset_interval_seconds: default_window(),
            max_ops_per_sender: default_ops_per_sender(),
            max_ops_total: default_ops_total(),
            max_spend_per_sender_wei: default_spend_per_sender(),
            max_spend_total_wei: default_spend_total(),
            max_call_gas: default_call_gas(),
            max_verification_gas: default_verification_gas(),
            max_pre_verification_gas: default_pre_verification_gas(),
            max_fee_per_gas_wei: default_max_fee(),
            allowed_targets: Vec::new(),
            allowed_selectors: Vec::new(),
            allow_native_transfers: true,
            validity_seconds: default_validity(),
            max_open_per_sender: default_open_per_sender(),
            bundle_unsponsored: false,
            approval: None,
        }
    }
}

/// An app allowed to use the relay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    /// Name (in logs and metrics).
    pub name: String,
    /// The API key it sends (`x-api-key` header, bearer token or last path segment).
    pub api_key: String,
    /// Its policy per chain.
    #[serde(default)]
    pub policies: Vec<Policy>,
    /// Where recovery alerts for the accounts registered under this app are posted, signed.
    #[serde(default)]
    pub webhook: Option<WebhookConfig>,
}

/// An app's webhook: recovery alerts are POSTed there, signed with HMAC-SHA256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// The receiver (https:// in production).
    pub url: String,
    /// The shared secret the signature is made with.
    pub secret: KeySource,
    /// Also post the app's sponsorship events: sponsored, included, failed, budget threshold.
    #[serde(default)]
    pub sponsorship_events: bool,
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Where the relay keeps its state: a SQLite file (one instance), or a `postgres://` URL
    /// (several instances on one database).
    #[serde(default = "default_database")]
    pub database: Database,
    /// How long an instance's lease on a chain (reading its logs, submitting its bundles) lasts
    /// without renewal: the longest another instance waits to take over when it dies.
    #[serde(default = "default_lease_seconds")]
    pub lease_seconds: u64,
    /// Sponsor name shown to wallets.
    #[serde(default = "default_sponsor_name")]
    pub sponsor_name: String,
    /// How people reach the sponsor (a web page or an e-mail address), in the sponsor profile.
    #[serde(default)]
    pub sponsor_contact: Option<String>,
    /// The relay's public base URL (`https://relay.example`), used for the URLs in the sponsor
    /// profile; without it they are built from the request's `Host` header over http.
    #[serde(default)]
    pub public_url: Option<String>,
    /// Largest request body in bytes.
    #[serde(default = "default_body_limit")]
    pub max_body_bytes: usize,
    /// Connections served at once; more are closed at once.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// Seconds a client has to send a request's headers.
    #[serde(default = "default_header_timeout")]
    pub header_timeout_seconds: u64,
    /// Seconds for a whole request (body and answer).
    #[serde(default = "default_request_timeout")]
    pub request_timeout_seconds: u64,
    /// Seconds a connection may stay silent before it is closed.
    #[serde(default = "default_idle_timeout")]
    pub idle_timeout_seconds: u64,
    /// Sponsorships signed for one client address and not used yet, at most.
    #[serde(default = "default_open_per_client")]
    pub max_open_per_client: u64,
    /// The key that signs sponsorships (a signer of the HarborPaymaster contract).
    pub signer_key: KeySource,
    /// The key that sends bundle transactions (needs ETH for gas).
    pub relayer_key: KeySource,
    /// Chains served.
    pub chains: Vec<ChainConfig>,
    /// Apps and their policies.
    pub apps: Vec<AppConfig>,
    /// The admin API (its own listener and token); absent: no admin API.
    #[serde(default)]
    pub admin: Option<AdminConfig>,
}

/// Where the admin API listens and the token it requires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminConfig {
    /// Its own address; keep it on loopback or a private network.
    #[serde(default = "default_admin_listen")]
    pub listen: SocketAddr,
    /// The bearer token (at least 16 characters); its changes are logged as made by `admin`.
    pub token: KeySource,
    /// Operators with tokens of their own, so the audit log names who changed what.
    #[serde(default)]
    pub operators: Vec<AdminOperator>,
}

/// An operator of the admin API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminOperator {
    /// The name the audit log records.
    pub name: String,
    /// Their bearer token (at least 16 characters).
    pub token: KeySource,
}

fn default_admin_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 4338))
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 4337))
}
fn default_database() -> Database {
    Database::Sqlite(PathBuf::from("harbor-paymaster.sqlite"))
}
fn default_lease_seconds() -> u64 {
    10
}
fn default_sponsor_name() -> String {
    "Harbor sponsor".into()
}
fn default_body_limit() -> usize {
    256 * 1024
}
fn default_max_connections() -> usize {
    1024
}
fn default_header_timeout() -> u64 {
    10
}
fn default_request_timeout() -> u64 {
    30
}
fn default_idle_timeout() -> u64 {
    60
}
fn default_open_per_client() -> u64 {
    64
}

impl Config {
    /// A configuration of `chains` and `apps` with the database at `database`, keys from the
    /// environment variables `HARBOR_SIGNER_KEY` / `HARBOR_RELAYER_KEY`, and defaults elsewhere.
    pub fn new(chains: Vec<ChainConfig>, apps: Vec<AppConfig>, database: PathBuf) -> Self {
        Config {
            listen: default_listen(),
            database: database.into(),
            lease_seconds: default_lease_seconds(),
            sponsor_name: default_sponsor_name(),
            sponsor_contact: None,
            public_url: None,
            max_body_bytes: default_body_limit(),
            max_connections: default_max_connections(),
            header_timeout_seconds: default_header_timeout(),
            request_timeout_seconds: default_request_timeout(),
            idle_timeout_seconds: default_idle_timeout(),
            max_open_per_client: default_open_per_client(),
            signer_key: KeySource::Env("HARBOR_SIGNER_KEY".into()),
            relayer_key: KeySource::Env("HARBOR_RELAYER_KEY".into()),
            chains,
            apps,
            admin: None,
        }
    }

    /// Reads `path` and applies environment overrides.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        let mut config = Self::parse(&text).map_err(|e| match e {
            ConfigError::Parse { message, .. } => ConfigError::Parse {
                path: path.to_owned(),
                message,
            },
            other => other,
        })?;
        config.apply_env(|name| std::env::var(name).ok())?;
        config.validate()?;
        Ok(config)
    }

    /// Parses TOML text (no environment overrides, no validation).
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: PathBuf::from("<text>"),
            message: e.to_string(),
        })
    }

    /// Applies `HARBOR_PAYMASTER_LISTEN`, `_DATABASE`, `_SPONSOR_NAME`, `_UPSTREAM_BUNDLER_URL`
    /// (all chains) and `_RPC_URL_<chainId>`.
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        if let Some(listen) = var("HARBOR_PAYMASTER_LISTEN") {
            self.listen = listen.parse().map_err(|_| {
                ConfigError::Invalid(format!("HARBOR_PAYMASTER_LISTEN={listen} is not host:port"))
            })?;
        }
        if let Some(db) = var("HARBOR_PAYMASTER_DATABASE") {
            self.database = Database::parse(&db);
        }
        if let Some(name) = var("HARBOR_PAYMASTER_SPONSOR_NAME") {
            self.sponsor_name = name;
        }
        let upstream = var("HARBOR_PAYMASTER_UPSTREAM_BUNDLER_URL");
        for chain in &mut self.chains {
            if let Some(url) = &upstream {
                chain.upstream_bundler_url = Some(url.clone());
            }
            if let Some(url) = var(&format!("HARBOR_PAYMASTER_RPC_URL_{}", chain.chain_id)) {
                chain.rpc_url = url;
            }
        }
        Ok(())
    }

    /// Checks cross-field consistency.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.chains.is_empty() {
            return Err(ConfigError::Invalid("no [[chains]] configured".into()));
        }
        if self.lease_seconds < 2 {
            return Err(ConfigError::Invalid(
                "lease_seconds must be at least 2 (instances renew their leases every watcher round)"
                    .into(),
            ));
        }
        let mut seen = BTreeMap::new();
        for chain in &self.chains {
            if seen.insert(chain.chain_id, ()).is_some() {
                return Err(ConfigError::Invalid(format!(
                    "chain {} is configured twice",
                    chain.chain_id
                )));
            }
        }
        let mut keys = BTreeMap::new();
        for app in &self.apps {
            if app.api_key.len() < 8 {
                return Err(ConfigError::Invalid(format!(
                    "the API key of app {:?} is shorter than 8 characters",
                    app.name
                )));
            }
            if keys.insert(app.api_key.clone(), ()).is_some() {
                return Err(ConfigError::Invalid(format!(
                    "app {:?} reuses another app's API key",
                    app.name
                )));
            }
            for policy in &app.policies {
                if !seen.contains_key(&policy.chain_id) {
                    return Err(ConfigError::Invalid(format!(
                        "app {:?} has a policy for chain {}, which is not configured",
                        app.name, policy.chain_id
                    )));
                }
                policy
                    .check()
                    .map_err(|e| ConfigError::Invalid(format!("app {:?}: {e}", app.name)))?;
            }
        }
        Ok(())
    }
}

/// Parses `0xa9059cbb` into 4 bytes.
pub fn parse_selector(text: &str) -> Option<[u8; 4]> {
    let bytes = alloy_primitives::hex::decode(text).ok()?;
    bytes.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_sources_read_from_a_command_line() {
        assert_eq!("env:K".parse(), Ok(KeySource::Env("K".into())));
        assert_eq!("file:/k".parse(), Ok(KeySource::File("/k".into())));
        assert_eq!(
            "keyring:harbor/deployer".parse(),
            Ok(KeySource::Keyring {
                service: "harbor".into(),
                user: "deployer".into()
            })
        );
        for bad in [
            "",
            "K",
            "env:",
            "file:",
            "keyring:x",
            "keyring:/u",
            "vault:x",
        ] {
            let error = bad.parse::<KeySource>().unwrap_err();
            assert!(error.contains("env:NAME"), "{bad}: {error}");
        }
    }

    const SAMPLE: &str = r#"
listen = "127.0.0.1:4000"
signer_key = { env = "SIGNER" }
relayer_key = { file = "/run/keys/relayer" }

[[chains]]
chain_id = 31337
rpc_url = "http://127.0.0.1:8545"
paymaster = "0x7716432898c80f1bDd83c131C591E3538f46FEDA"

[[apps]]
name = "wallet"
api_key = "dev-wallet-key"

[[apps.policies]]
chain_id = 31337
max_ops_per_sender = 3
allowed_selectors = ["0xa9059cbb"]
max_spend_total_wei = "1000000000000000000"
"#;

    #[test]
    fn parses_with_defaults_and_env() {
        let mut config = Config::parse(SAMPLE).unwrap();
        assert_eq!(config.chains[0].entry_point, ENTRY_POINT_V07);
        let policy = &config.apps[0].policies[0];
        assert_eq!(policy.max_ops_per_sender, 3);
        assert_eq!(policy.validity_seconds, 180);
        assert_eq!(
            policy.max_spend_total_wei,
            U256::from(1_000_000_000_000_000_000u64)
        );
        assert_eq!(config.signer_key, KeySource::Env("SIGNER".into()));
        config
            .apply_env(|name| match name {
                "HARBOR_PAYMASTER_LISTEN" => Some("127.0.0.1:5000".into()),
                "HARBOR_PAYMASTER_RPC_URL_31337" => Some("http://127.0.0.1:9999".into()),
                _ => None,
            })
            .unwrap();
        assert_eq!(config.listen.port(), 5000);
        assert_eq!(config.chains[0].rpc_url, "http://127.0.0.1:9999");
        config.validate().unwrap();
    }

    #[test]
    fn rejects_bad_configs() {
        let unknown = SAMPLE.replace("listen =", "lisen =");
        assert!(matches!(
            Config::parse(&unknown),
            Err(ConfigError::Parse { .. })
        ));
        let mut config = Config::parse(SAMPLE).unwrap();
        config.apps[0].policies[0].chain_id = 1;
        assert!(
            config
                .validate()
                .unwrap_err()
                .to_string()
                .contains("chain 1")
        );
        let mut config = Config::parse(SAMPLE).unwrap();
        config.apps[0].policies[0].allowed_selectors = vec!["transfer".into()];
        assert!(config.validate().is_err());
        let mut config = Config::parse(SAMPLE).unwrap();
        config.apps[0].api_key = "short".into();
        assert!(config.validate().is_err());
    }
}
