//! One sponsor link configures the wallet: the relay publishes its profile, a wallet that knows no
//! network with a sponsor adds the link, sees the dev chain with the sponsor's name and sends
//! with 0 ETH; bad links are refused with a sentence; removing the sponsor removes its network.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use alloy_primitives::Address;
use harbor_core::error::{Classified, ErrorKind};
use harbor_core::wallet::{SendRequest, Wallet, WalletError};
use harbor_devnet::Devnet;
use harbor_paymaster::config::Policy;

use common::*;

fn fresh_wallet(dir: &tempfile::TempDir) -> Arc<Wallet> {
    let vault = harbor_core::vault::Vault::create(
        &dir.path().join("w.harbor"),
        "a long password",
        harbor_core::vault::KdfParams::LIGHT,
    )
    .unwrap();
    Arc::new(Wallet::new(Arc::new(std::sync::Mutex::new(vault))))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sponsor_link_sets_up_the_network_and_pays() {
    // A chain the wallet does not know (31337 is built in, at 127.0.0.1:8545).
    let devnet = devnet(31338).await;
    // A node that answers as another chain (for the refusal below).
    let other = tokio::task::spawn_blocking(|| Devnet::bare(5, 0).unwrap())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut chain = chain_config(&devnet);
    chain.name = Some("Harbor dev chain".into());
    let no_node = chain.clone();
    chain.public_rpc_url = Some(devnet.manifest().rpc_url.clone());
    let mut liar = chain.clone();
    liar.public_rpc_url = Some(other.manifest().rpc_url.clone());
    let mut config = config_with(chain, &dir);
    config.sponsor_contact = Some("help@harbor.example".into());
    let harness = start_with(config, dir).await;
    let link = format!("{}/.well-known/harbor-sponsor/{APP_KEY}", harness.base);

    let wallet_dir = tempfile::tempdir().unwrap();
    let wallet = fresh_wallet(&wallet_dir);
    let account = wallet.create_wallet("Main").unwrap().account.address;
    assert!(
        wallet.active_chains().unwrap().is_empty(),
        "no network has a bundler before"
    );

    // Refused with a sentence, nothing added.
    let refused = |e: WalletError| (e.kind(), e.to_string());
    let (kind, text) = refused(
        wallet
            .add_sponsor(&format!("{}/.well-known/harbor-sponsor/nope", harness.base))
            .await
            .unwrap_err(),
    );
    assert_eq!(kind, ErrorKind::Network);
    assert!(text.contains("HTTP 404"), "{text}");
    let (kind, text) = refused(
        wallet
            .add_sponsor(&format!("{}/healthz", harness.base))
            .await
            .unwrap_err(),
    );
    assert_eq!(kind, ErrorKind::InvalidInput);
    assert!(
        text.starts_with("this link does not give a gas sponsor profile"),
        "{text}"
    );
    let (kind, text) = refused(
        wallet
            .add_sponsor("http://127.0.0.1:9/.well-known/harbor-sponsor/x")
            .await
            .unwrap_err(),
    );
    assert_eq!(kind, ErrorKind::Network);
    assert!(
        text.starts_with("cannot reach the sponsor at 127.0.0.1:9"),
        "{text}"
    );
    let (kind, _) = refused(wallet.add_sponsor("not a link").await.unwrap_err());
    assert_eq!(kind, ErrorKind::InvalidInput);
    assert!(wallet.sponsors().unwrap().is_empty());

    // A relay whose profile names a node answering as chain 5 for chain 31338, and one that
    // names no node for a chain the wallet does not know.
    for (chain, expected) in [
        (
            liar,
            "the sponsor's network 31338 answers as chain 5; it was not added",
        ),
        (
            no_node,
            "the sponsor gives no node address for chain 31338, which Harbor does not know",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let relay = start_with(config_with(chain, &dir), dir).await;
        let (_, text) = refused(
            wallet
                .add_sponsor(&format!(
                    "{}/.well-known/harbor-sponsor/{APP_KEY}",
                    relay.base
                ))
                .await
                .unwrap_err(),
        );
        assert_eq!(text, expected);
    }
    assert!(wallet.sponsors().unwrap().is_empty());

    // Added: the network appears with the sponsor's name, and a 0-ETH account sends.
    let added = wallet.add_sponsor(&link).await.unwrap();
    assert_eq!(added.profile.name, "Harbor test sponsor");
    assert_eq!(
        added.profile.contact.as_deref(),
        Some("help@harbor.example")
    );
    assert_eq!(
        added.profile.chains[0].pays[0],
        "Gas for up to 50 operations and 0.05 ETH per account each day."
    );
    let active = wallet.active_chains().unwrap();
    assert_eq!(active.len(), 1);
    assert_eq!(active[0].chain_id, 31338);
    assert_eq!(active[0].name, "Harbor dev chain");
    assert_eq!(active[0].sponsor.as_deref(), Some("Harbor test sponsor"));
    set_balance(&devnet, account, eth("1")).await;
    let request = SendRequest {
        account,
        chain_id: 31338,
        to: Address::repeat_byte(0xbe),
        amount: "0.25".into(),
        token: None,
    };
    let review = wallet.review_send(&request).await.unwrap();
    assert!(review.sponsored);
    let receipt = wallet.send(&request, &|_| {}).await.unwrap();
    assert_eq!(receipt.sponsor.as_deref(), Some("Harbor test sponsor"));
    assert_eq!(
        node(&devnet).balance(account).await.unwrap(),
        eth("0.75"),
        "the sponsor paid the gas"
    );

    // Adding the same link again refreshes it; removing it removes only its network.
    wallet.add_sponsor(&link).await.unwrap();
    assert_eq!(wallet.sponsors().unwrap().len(), 1);
    wallet.remove_sponsor(&link).unwrap();
    assert!(wallet.active_chains().unwrap().is_empty());
    let (kind, _) = refused(wallet.remove_sponsor(&link).unwrap_err());
    assert_eq!(kind, ErrorKind::NotFound);
    assert_eq!(node(&devnet).balance(account).await.unwrap(), eth("0.75"));
}

/// A relay configuration serving `chain` for the test app.
fn config_with(
    chain: harbor_paymaster::config::ChainConfig,
    dir: &tempfile::TempDir,
) -> harbor_paymaster::Config {
    let id = chain.chain_id;
    config(
        vec![chain],
        vec![app("wallet", APP_KEY, vec![Policy::defaults(id)])],
        dir,
    )
}
