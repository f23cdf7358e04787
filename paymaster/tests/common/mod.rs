//! Shared set-up: dev chains, an in-process relay on a free loopback port, funding helpers.
#![allow(
    dead_code,
    unreachable_pub,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used
)]

use std::sync::Arc;

use alloy_primitives::{Address, U256};
use harbor_core::keys::LocalSigner;
use harbor_core::rpc::NodeClient;
use harbor_devnet::{DEV_RELAYER_KEY, DEV_SPONSOR_KEY, Devnet};
use harbor_paymaster::config::{AppConfig, ChainConfig, Config, Policy};
use harbor_paymaster::{Relay, server};
use serde_json::json;

/// The API key of the default test app.
pub const APP_KEY: &str = "test-wallet-key";

/// A running relay.
pub struct Harness {
    pub relay: Arc<Relay>,
    pub base: String,
    pub dir: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
    /// The relayer's balance on each chain when the relay started.
    relayer_start: Vec<(u64, U256)>,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Harness {
    /// `/rpc/{chain}/{key}` of the default app.
    pub fn url(&self, chain_id: u64) -> String {
        format!("{}/rpc/{chain_id}/{APP_KEY}", self.base)
    }

    /// Takes the relayer's balances now as the ones to compare with (after a test set them).
    pub async fn reset_relayer_baseline(&mut self) {
        let relayer = self.relay.relayer_address();
        for (chain_id, balance) in &mut self.relayer_start {
            let node = &self.relay.chain(*chain_id).unwrap().node;
            *balance = node.balance(relayer).await.unwrap();
        }
    }

    /// Every cost the relayer paid was covered by the refunds of the bundles it sent: its
    /// balance on each chain is at least what it was when the relay started. Returns the gains.
    pub async fn assert_relayer_covered(&self) -> Vec<(u64, U256)> {
        let relayer = self.relay.relayer_address();
        let mut gains = Vec::new();
        for (chain_id, before) in &self.relayer_start {
            let node = &self.relay.chain(*chain_id).unwrap().node;
            let after = node.balance(relayer).await.unwrap();
            assert!(
                after >= *before,
                "the relayer lost {} wei on chain {chain_id}",
                *before - after
            );
            gains.push((*chain_id, after - *before));
        }
        gains
    }
}

pub fn chain_config(devnet: &Devnet) -> ChainConfig {
    let m = devnet.manifest();
    ChainConfig {
        entry_point: m.entry_point.parse().unwrap(),
        account_factory: m.account_factory.parse().unwrap(),
        account_implementation: m.account_implementation.parse().unwrap(),
        poll_interval_ms: 200,
        ..ChainConfig::new(m.chain_id, &m.rpc_url, m.paymaster.parse().unwrap())
    }
}

pub fn app(name: &str, key: &str, policies: Vec<Policy>) -> AppConfig {
    AppConfig {
        name: name.into(),
        api_key: key.into(),
        policies,
        webhook: None,
    }
}

pub fn config(chains: Vec<ChainConfig>, apps: Vec<AppConfig>, dir: &tempfile::TempDir) -> Config {
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        sponsor_name: "Harbor test sponsor".into(),
        max_body_bytes: 64 * 1024,
        ..Config::new(chains, apps, dir.path().join("relay.sqlite"))
    }
}

/// Starts a relay for `chains` with the default app (default policy on every chain) plus `apps`.
pub async fn start_relay(chains: &[&Devnet], mut apps: Vec<AppConfig>) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let chain_configs: Vec<ChainConfig> = chains.iter().map(|d| chain_config(d)).collect();
    apps.insert(
        0,
        app(
            "wallet",
            APP_KEY,
            chain_configs
                .iter()
                .map(|c| Policy::defaults(c.chain_id))
                .collect(),
        ),
    );
    start_with(config(chain_configs, apps, &dir), dir).await
}

pub async fn start_with(config: Config, dir: tempfile::TempDir) -> Harness {
    harbor_core::rpc::install_tls_provider();
    let relay = Arc::new(
        Relay::with_keys(
            config,
            LocalSigner::from_hex(DEV_SPONSOR_KEY).unwrap(),
            LocalSigner::from_hex(DEV_RELAYER_KEY).unwrap(),
        )
        .unwrap(),
    );
    let mut relayer_start = Vec::new();
    for (chain_id, chain) in &relay.chains {
        let balance = chain.node.balance(relay.relayer_address()).await.unwrap();
        relayer_start.push((*chain_id, balance));
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn({
        let relay = relay.clone();
        async move {
            let _ = server::serve_on(listener, relay).await;
        }
    });
    Harness {
        relay,
        base,
        dir,
        task,
        relayer_start,
    }
}

/// Starts a dev chain on a blocking thread.
pub async fn devnet(chain_id: u64) -> Devnet {
    // Every test starts here; the tests' own reqwest clients need rustls' provider.
    harbor_core::rpc::install_tls_provider();
    tokio::task::spawn_blocking(move || Devnet::start(chain_id, 0).unwrap())
        .await
        .unwrap()
}

pub fn node(devnet: &Devnet) -> NodeClient {
    NodeClient::new(&devnet.manifest().rpc_url).unwrap()
}

pub async fn set_balance(devnet: &Devnet, who: Address, wei: U256) {
    node(devnet)
        .raw("anvil_setBalance", json!([who, wei]))
        .await
        .unwrap();
}

/// Mints dev tokens to `to`.
pub async fn mint(devnet: &Devnet, to: Address, amount: U256) {
    devnet
        .mint_dev_token(&to.to_string(), &amount.to_string())
        .unwrap();
}

pub fn eth(amount: &str) -> U256 {
    harbor_core::tokens::parse_amount(amount, 18).unwrap()
}

/// A new Harbor account's first operation calling `calls`, as a wallet would fill it in: the
/// counterfactual account of owner `owner` (created by the operation), nonce key `key`, fees
/// from the chain, `preVerificationGas` as the relay computes it.
pub async fn harbor_op(
    devnet: &Devnet,
    owner: u8,
    key: u64,
    calls: &[harbor_core::aa::AccountCall],
) -> harbor_core::aa::UserOperation {
    use harbor_core::aa::{HarborAccount, UserOperation, encode_calls};
    let account = HarborAccount::new(Address::repeat_byte(owner), U256::ZERO);
    let fees = node(devnet).fees().await.unwrap();
    let mut op = UserOperation {
        sender: account.address(),
        nonce: U256::from(key) << 64,
        factory: Some(account.factory),
        factory_data: Some(account.factory_data()),
        call_data: encode_calls(calls),
        call_gas_limit: U256::from(100_000),
        verification_gas_limit: U256::from(300_000),
        max_fee_per_gas: fees.max_fee_per_gas,
        max_priority_fee_per_gas: fees.max_priority_fee_per_gas,
        ..UserOperation::default()
    };
    harbor_paymaster::sponsor::attach_paymaster(
        &mut op,
        devnet.manifest().paymaster.parse().unwrap(),
    );
    op.pre_verification_gas = U256::from(harbor_paymaster::pricing::required_pre_verification_gas(
        &op,
    ));
    op
}

/// The dev chain as a wallet knows it: `services` is the relay (bundler and sponsor); without
/// it, a bundler address nothing listens on (for reviews that never send).
pub fn dev_chain(rpc: &str, services: Option<String>) -> harbor_core::chains::Chain {
    harbor_core::chains::Chain {
        chain_id: 31337,
        name: "Harbor dev chain".into(),
        native_currency: harbor_core::chains::NativeCurrency {
            name: "Ether".into(),
            symbol: "ETH".into(),
            decimals: 18,
        },
        rpc_urls: vec![rpc.to_owned()],
        explorer_url: None,
        // A bundler that is never called when only reviewing.
        bundler_url: Some(
            services
                .clone()
                .unwrap_or_else(|| "http://127.0.0.1:9".into()),
        ),
        paymaster_url: services,
        testnet: true,
        sponsor: None,
    }
}

/// A wallet over a new vault in `dir` that knows `chain`.
pub fn dev_wallet(
    dir: &tempfile::TempDir,
    chain: &harbor_core::chains::Chain,
) -> Arc<harbor_core::wallet::Wallet> {
    let mut vault = harbor_core::vault::Vault::create(
        &dir.path().join("w.harbor"),
        "a long password",
        harbor_core::vault::KdfParams::LIGHT,
    )
    .unwrap();
    vault.save_chain(chain).unwrap();
    Arc::new(harbor_core::wallet::Wallet::new(Arc::new(
        std::sync::Mutex::new(vault),
    )))
}

/// The relay process, killed when dropped (also when the test fails).
pub struct RelayProcess(std::process::Child);

impl RelayProcess {
    /// The process id (how the relay names itself in leases).
    pub fn pid(&self) -> u32 {
        self.0.id()
    }

    /// Kills the process at once (SIGKILL: no clean-up runs).
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Starts the relay binary with `config` (keys in HARBOR_TEST_SIGNER / HARBOR_TEST_RELAYER).
pub fn spawn_relay(config: &std::path::Path) -> RelayProcess {
    RelayProcess(
        std::process::Command::new(env!("CARGO_BIN_EXE_harbor-paymaster"))
            .arg("--config")
            .arg(config)
            .env("HARBOR_TEST_SIGNER", DEV_SPONSOR_KEY)
            .env("HARBOR_TEST_RELAYER", DEV_RELAYER_KEY)
            .env("RUST_LOG", "warn")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    )
}

/// Waits until the relay at `base` answers `/healthz`.
pub async fn wait_healthy(base: &str) {
    harbor_core::rpc::install_tls_provider();
    for _ in 0..100 {
        if reqwest::get(format!("{base}/healthz")).await.is_ok() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("relay did not start");
}

/// The rule and message of a policy refusal (`-32002`); any other error fails the test.
pub fn policy_refusal(error: harbor_core::rpc::RpcError) -> (String, String) {
    match error {
        harbor_core::rpc::RpcError::Server {
            code,
            data,
            message,
        } => {
            assert_eq!(code, harbor_core::codes::POLICY_REJECTED, "{message}");
            let rule = data.unwrap()["rule"].as_str().unwrap().to_owned();
            (rule, message)
        }
        other => panic!("expected a policy rejection, got {other:?}"),
    }
}
