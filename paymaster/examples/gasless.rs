//! Gasless demo on a local dev chain: a brand-new account with no ETH sends tokens and ETH, the
//! Harbor relay sponsors the gas; then the account gets three guardians, loses its device and is
//! recovered on a new one. Run with `cargo xtask demo`.
#![allow(clippy::print_stdout, missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use alloy_primitives::{Address, U256};
use harbor_core::aa::{
    AccountCall, AccountClient, GasPayer, HarborAccount, SendOptions, SendProgress,
};
use harbor_core::chains::ChainRegistry;
use harbor_core::keys::{LocalSigner, Signer};
use harbor_core::recovery::{
    ApprovalBundle, GuardianSigner, Payload, RecoveryClient, RecoveryRequest, approve,
    describe_request, suggested_threshold,
};
use harbor_core::tokens::{format_amount, parse_amount, transfer_call_data};
use harbor_devnet::{DEV_RELAYER_KEY, DEV_SPONSOR_KEY, Devnet};
use harbor_paymaster::config::{AppConfig, ChainConfig, Config, Policy};
use harbor_paymaster::{Relay, server};
use serde_json::json;

type Error = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Error> {
    println!("Starting a dev chain with the EntryPoint and Harbor contracts …");
    let devnet = tokio::task::spawn_blocking(|| Devnet::start(31337, 0)).await??;
    let m = devnet.manifest().clone();
    let dir = tempfile::tempdir()?;
    let chain = ChainConfig {
        poll_interval_ms: 500,
        ..ChainConfig::new(31337, &m.rpc_url, m.paymaster.parse()?)
    };
    let app = AppConfig {
        name: "demo".into(),
        api_key: "harbor-demo-key".into(),
        policies: vec![Policy::defaults(31337)],
        webhook: None,
    };
    let config = Config {
        listen: "127.0.0.1:0".parse()?,
        sponsor_name: "Harbor demo sponsor".into(),
        ..Config::new(vec![chain], vec![app], dir.path().join("relay.sqlite"))
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

    recovery_demo(&client, &m.rpc_url, &url, &account, &owner).await
}

/// Guardians, a lost device and its recovery, every step sponsored.
async fn recovery_demo(
    client: &AccountClient,
    rpc_url: &str,
    relay_url: &str,
    account: &HarborAccount,
    owner: &LocalSigner,
) -> Result<(), Error> {
    let recovery = |()| -> Result<RecoveryClient, Error> {
        Ok(RecoveryClient::new()
            .with_chain(AccountClient::new(31337, rpc_url, relay_url)?.with_paymaster(relay_url)?))
    };
    let owner_wallet = recovery(())?;
    let quiet = |_: SendProgress| {};
    let (bob, tablet, carol) = (
        LocalSigner::random()?,
        LocalSigner::random()?,
        LocalSigner::random()?,
    );
    let guardians = [bob.address(), tablet.address(), carol.address()];
    let threshold = suggested_threshold(guardians.len());
    println!(
        "\nSocial recovery. Guardians: Bob, my tablet, Carol; {threshold} of {} must approve.",
        guardians.len()
    );
    owner_wallet
        .set_guardians(account, owner, &guardians, threshold, &|_, _| {})
        .await?;
    println!("  · guardians saved on chain (sponsored)");

    println!("The phone is lost. A new phone makes a new key and asks the guardians:");
    let new_key = LocalSigner::random()?;
    let phone = recovery(())?;
    let mut session = phone
        .create_session(
            account.address(),
            new_key.address(),
            Duration::from_secs(7 * 86_400),
            "Ana's new phone",
        )
        .await?;
    let link = session.request.to_link();
    println!("  · request link: {}…", &link[..link.len().min(60)]);
    let request = RecoveryRequest::from_link(&link)?;
    println!(
        "  · Bob's wallet shows: {}",
        describe_request(&request, Some("Ana"), &ChainRegistry::new(vec![]))
    );
    for (name, key) in [("Bob", &bob), ("Carol", &carol)] {
        let approval = approve(&request, GuardianSigner::Key(key))?.to_link();
        phone
            .add_approvals(&mut session, &ApprovalBundle::from_link(&approval)?)
            .await?;
        println!(
            "  · {name} approved ({} characters to send back)",
            approval.len()
        );
    }
    phone.advance(&mut session, &new_key, &|_, _| {}).await?;
    println!("  · recovery started: {:?}", session.chains[0].stage);
    for alert in owner_wallet.alerts(account, owner.address()).await? {
        println!(
            "  · the old phone (if it were found) would show: {}",
            alert.message()
        );
    }

    println!("Two days pass (anvil time travel) …");
    let node = client.node();
    node.raw("evm_increaseTime", json!([2 * 86_400 + 1]))
        .await?;
    node.raw("evm_mine", json!([])).await?;
    // The relay learns the new chain time on its next poll.
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    phone.advance(&mut session, &new_key, &|_, _| {}).await?;
    println!("  · recovery executed: {:?}", session.chains[0].stage);

    let outcome = client
        .send_calls(
            account,
            &new_key,
            &[AccountCall {
                to: Address::repeat_byte(0xf1),
                value: parse_amount("0.01", 18)?,
                data: Default::default(),
            }],
            &SendOptions::default(),
            &quiet,
        )
        .await?;
    println!(
        "The new key sent 0.01 ETH from the recovered account (transaction {:?}).",
        outcome.transaction_hash
    );
    let old_try = [AccountCall {
        to: owner.address(),
        value: parse_amount("0.01", 18)?,
        data: Default::default(),
    }];
    match client
        .send_calls(account, owner, &old_try, &SendOptions::default(), &quiet)
        .await
    {
        Err(e) => println!("The old key is refused: {e}"),
        Ok(_) => return Err("the old key still controls the account".into()),
    }
    Ok(())
}
