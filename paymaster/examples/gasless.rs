//! Gasless demo on a local dev chain: a brand-new account with no ETH sends tokens and ETH, the
//! Harbor relay sponsors the gas. Run with `cargo xtask demo`.
#![allow(clippy::print_stdout, missing_docs)]

use std::sync::Arc;

use alloy_primitives::{Address, U256};
use harbor_core::aa::{
    AccountCall, AccountClient, GasPayer, HarborAccount, SendOptions, SendProgress,
};
use harbor_core::keys::{LocalSigner, Signer};
use harbor_core::tokens::{format_amount, parse_amount, transfer_call_data};
use harbor_devnet::{DEV_RELAYER_KEY, DEV_SPONSOR_KEY, Devnet};
use harbor_paymaster::config::{AppConfig, ChainConfig, Config, KeySource, Policy};
use harbor_paymaster::{Relay, server};
use serde_json::json;

type Error = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Error> {
    println!("Starting a dev chain with the EntryPoint and Harbor contracts …");
    let devnet = tokio::task::spawn_blocking(|| Devnet::start(31337, 0)).await??;
    let m = devnet.manifest().clone();
    let dir = tempfile::tempdir()?;
    let config = Config {
        listen: "127.0.0.1:0".parse()?,
        database: dir.path().join("relay.sqlite"),
        sponsor_name: "Harbor demo sponsor".into(),
        max_body_bytes: 256 * 1024,
        signer_key: KeySource::Env("UNUSED".into()),
        relayer_key: KeySource::Env("UNUSED".into()),
        chains: vec![ChainConfig {
            chain_id: 31337,
            rpc_url: m.rpc_url.clone(),
            entry_point: m.entry_point.parse()?,
            paymaster: m.paymaster.parse()?,
            upstream_bundler_url: None,
            poll_interval_ms: 500,
            bump_after_seconds: 30,
        }],
        apps: vec![AppConfig {
            name: "demo".into(),
            api_key: "harbor-demo-key".into(),
            policies: vec![Policy::defaults(31337)],
        }],
    };
    let relay = Arc::new(Relay::with_keys(
        config,
        LocalSigner::from_hex(DEV_SPONSOR_KEY)?,
        LocalSigner::from_hex(DEV_RELAYER_KEY)?,
    )?);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!(
        "http://{}/rpc/31337/harbor-demo-key",
        listener.local_addr()?
    );
    tokio::spawn(server::serve_on(listener, relay));
    println!("Relay (ERC-7677 paymaster + ERC-7769 bundler) at {url}\n");

    let owner = LocalSigner::random()?;
    let account = HarborAccount::new(owner.address(), U256::ZERO);
    let client = AccountClient::new(31337, &m.rpc_url, &url)?.with_paymaster(&url)?;
    let node = client.node();
    let token: Address = m.dev_token.parse()?;
    println!(
        "New account {} (owner key {})",
        account.address(),
        owner.address()
    );

    // Give the account tokens and a little ETH to send — nothing is reserved for gas.
    node.raw(
        "anvil_setBalance",
        json!([account.address(), parse_amount("0.1", 18)?]),
    )
    .await?;
    devnet.mint_dev_token(
        &account.address().to_string(),
        &parse_amount("25", 6)?.to_string(),
    )?;
    println!(
        "Balances: {} ETH, {} HDD\n",
        format_amount(node.balance(account.address()).await?, 18),
        format_amount(node.erc20_balance(token, account.address()).await?, 6)
    );

    let friend = Address::repeat_byte(0xf1);
    let calls = [
        AccountCall {
            to: friend,
            value: parse_amount("0.05", 18)?,
            data: Default::default(),
        },
        AccountCall {
            to: token,
            value: U256::ZERO,
            data: transfer_call_data(friend, parse_amount("12.5", 6)?),
        },
    ];
    println!("Sending 0.05 ETH and 12.5 HDD to {friend} in one operation:");
    let progress =
        |p: SendProgress| println!("  · {}", serde_json::to_string(&p).unwrap_or_default());
    let outcome = client
        .send_calls(&account, &owner, &calls, &SendOptions::default(), &progress)
        .await?;
    let payer = match &outcome.paid_by {
        GasPayer::Sponsor { name, .. } => name.clone().unwrap_or_else(|| "a sponsor".into()),
        GasPayer::Account => "the account".into(),
    };
    println!(
        "\nIncluded in transaction {:?}; gas {} wei paid by {payer}.",
        outcome.transaction_hash, outcome.actual_gas_cost
    );
    println!(
        "Balances now: {} ETH (exactly 0.05 less: no gas), {} HDD",
        format_amount(node.balance(account.address()).await?, 18),
        format_amount(node.erc20_balance(token, account.address()).await?, 6)
    );
    Ok(())
}
