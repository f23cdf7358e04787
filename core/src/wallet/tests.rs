//! Unit tests of the application layer over scripted networks: no chain, milliseconds each. The
//! same flows run against a real dev chain in `paymaster/tests` and the bindings' live tests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use alloy_primitives::{Address, U256};

mod scripted;

use super::*;
use crate::error::{Classified, ErrorKind};
use crate::recovery::{Guardian, GuardianKind};
use crate::vault::KdfParams;
use scripted::{Node, PAYMASTER, Script, chain};

const TOKEN: Address = Address::repeat_byte(0x70);
const FRIEND: Address = Address::repeat_byte(0xf1);
const PHRASE: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon \
                      abandon abandon about";

/// A wallet with the test phrase's first account and `nodes` as its networks (chain ids from
/// 900); the temporary folder lives as long as the wallet.
fn wallet(nodes: Vec<Node>) -> (Wallet, WalletAccount, tempfile::TempDir) {
    let (wallet, account, dir, _) = wallet_with_nodes(nodes);
    (wallet, account, dir)
}

/// [`wallet`], with the scripted networks to look at afterwards.
fn wallet_with_nodes(
    nodes: Vec<Node>,
) -> (Wallet, WalletAccount, tempfile::TempDir, Vec<Arc<Node>>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut vault = Vault::create(
        &dir.path().join("w.harbor"),
        "a long password",
        KdfParams::LIGHT,
    )
    .expect("vault");
    let mut script = HashMap::new();
    for (i, node) in nodes.into_iter().enumerate() {
        let url = format!("http://node{i}");
        vault
            .save_chain(&chain(900 + i as u64, &url))
            .expect("chain");
        script.insert(url, Arc::new(node));
    }
    let mut kept: Vec<(String, Arc<Node>)> =
        script.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    kept.sort_by(|a, b| a.0.cmp(&b.0));
    let wallet = Wallet::with_connector(Arc::new(Mutex::new(vault)), Arc::new(Script(script)));
    let account = wallet
        .import_phrase("Main", PHRASE)
        .expect("import")
        .account;
    (
        wallet,
        account,
        dir,
        kept.into_iter().map(|(_, n)| n).collect(),
    )
}

fn request(account: &WalletAccount, amount: &str, token: Option<Address>) -> SendRequest {
    SendRequest {
        account: account.address,
        chain_id: 900,
        to: FRIEND,
        amount: amount.into(),
        token,
    }
}

#[tokio::test]
async fn review_checks_amount_balance_and_recipient() {
    let node = Node {
        balance: U256::from(10u64).pow(U256::from(18)),
        ..Node::default()
    };
    let (wallet, account, _dir) = wallet(vec![node]);
    let review = wallet
        .review_send(&request(&account, "0.250", None))
        .await
        .expect("review");
    assert_eq!(review.amount, "0.25");
    assert_eq!(review.symbol, "ETH");
    assert!(review.sponsored && review.creates_account);
    assert_eq!(
        review.warnings,
        vec![crate::contacts::RecipientWarning::FirstTime]
    );

    let error = wallet
        .review_send(&request(&account, "1.5", None))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InsufficientFunds);
    assert_eq!(
        error.to_string(),
        "this account has 1 ETH, less than 1.5 ETH"
    );
    let error = wallet
        .review_send(&request(&account, "0", None))
        .await
        .unwrap_err();
    assert!(matches!(error, WalletError::ZeroAmount), "{error}");
    let error = wallet
        .review_send(&request(&account, "1.2.3", None))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn token_amounts_use_the_token_decimals() {
    let node = Node {
        token_balance: U256::from(25_000_000u64),
        deployed: true,
        ..Node::default()
    };
    let (wallet, account, _dir) = wallet(vec![node]);
    let review = wallet
        .review_send(&request(&account, "12.5", Some(TOKEN)))
        .await
        .expect("review");
    assert_eq!(
        (review.amount.as_str(), review.symbol.as_str()),
        ("12.5", "HDD")
    );
    assert!(!review.creates_account);
    // 7 decimals are one too many for a 6-decimal token.
    let error = wallet
        .review_send(&request(&account, "1.0000001", Some(TOKEN)))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    let error = wallet
        .review_send(&request(&account, "25.000001", Some(TOKEN)))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InsufficientFunds);
}

#[tokio::test]
async fn a_network_that_is_down_does_not_hide_the_others() {
    let up = Node {
        balance: U256::from(5u64),
        token_balance: U256::from(1_500_000u64),
        ..Node::default()
    };
    let down = Node {
        down: true,
        ..Node::default()
    };
    let (wallet, account, _dir) = wallet(vec![up, down]);
    let balances = wallet
        .balances(account.address, &[(900, TOKEN)])
        .await
        .expect("balances");
    assert_eq!(balances.len(), 2);
    let formatted: Vec<_> = balances[0]
        .amounts
        .iter()
        .map(|a| a.formatted.as_str())
        .collect();
    assert_eq!(formatted, ["0.000000000000000005", "1.5"]);
    assert!(balances[0].error.is_none());
    let error = balances[1]
        .error
        .as_ref()
        .expect("the second network is down");
    assert_eq!(error.kind(), ErrorKind::Network);
    assert!(balances[1].amounts.is_empty());
}

#[tokio::test]
async fn only_accounts_of_this_wallet_can_send() {
    let (wallet, account, _dir) = wallet(vec![Node {
        balance: U256::from(10u64).pow(U256::from(18)),
        ..Node::default()
    }]);
    let mut stranger = request(&account, "0.1", None);
    stranger.account = Address::repeat_byte(0x99);
    // The balance check passes for the stranger's address too; the key lookup refuses it.
    let error = wallet.send(&stranger, &|_| {}).await.unwrap_err();
    assert!(matches!(error, WalletError::NotYourAccount(a) if a == stranger.account));
    assert_eq!(error.kind(), ErrorKind::NotFound);
    // The wallet's own account resolves to its key and the account it was created as.
    let (signer, harbor) = wallet.signer_for(account.address).await.expect("own");
    assert_eq!(crate::keys::Signer::address(&signer), account.owner);
    assert_eq!(harbor.address(), account.address);
}

fn one_eth() -> Node {
    Node {
        balance: U256::from(10u64).pow(U256::from(18)),
        ..Node::default()
    }
}

#[tokio::test]
async fn a_sponsored_send_is_signed_recorded_and_remembered() {
    let (wallet, account, _dir, nodes) = wallet_with_nodes(vec![one_eth()]);
    let stages = Mutex::new(Vec::new());
    let receipt = wallet
        .send(&request(&account, "0.25", None), &|p| {
            stages.lock().expect("stages").push(p)
        })
        .await
        .expect("send");
    assert_eq!(receipt.account, account.address);
    assert_eq!(receipt.sponsor.as_deref(), Some("Test sponsor"));
    assert_eq!(receipt.block_number, Some(7));
    assert_eq!(receipt.gas_cost_formatted, "0.0001");
    assert!(receipt.transaction_hash.is_some());

    // The operation creates the account (first use), pays the friend, carries the paymaster's
    // signed data and the owner's signature (checked by the scripted bundler).
    let sent = nodes[0].sent.lock().expect("sent").clone();
    let [op] = sent.as_slice() else {
        panic!("one operation, not {}", sent.len());
    };
    assert_eq!(op.sender, account.address);
    assert!(op.factory.is_some());
    assert_eq!(op.paymaster, Some(PAYMASTER));
    let calls = crate::aa::decode_calls(&op.call_data).expect("calls");
    assert_eq!(calls.len(), 1);
    assert_eq!(
        (calls[0].to, calls[0].value),
        (
            FRIEND,
            U256::from(25u64) * U256::from(10u64).pow(U256::from(16))
        )
    );

    let stages = stages.lock().expect("stages").clone();
    assert!(matches!(
        stages.first(),
        Some(crate::aa::SendProgress::Preparing)
    ));
    assert!(matches!(
        stages.last(),
        Some(crate::aa::SendProgress::Included { .. })
    ));
    let [done] = wallet
        .activity(Some(account.address), None)
        .expect("activity")
        .try_into()
        .expect("one entry");
    assert_eq!(done.entry.status, crate::vault::ActivityStatus::Confirmed);
    assert_eq!(done.entry.sponsor.as_deref(), Some("Test sponsor"));
    assert_eq!(done.gas_cost.as_deref(), Some("0.0001"));
    let friend = wallet.unlocked(|v| Ok(v.contacts()?)).expect("contacts");
    assert_eq!(
        friend.iter().map(|c| c.address).collect::<Vec<_>>(),
        [FRIEND]
    );
    assert!(friend[0].last_sent_at.is_some());
    // The next transfer to the friend is no longer a first time.
    let review = wallet
        .review_send(&request(&account, "0.1", None))
        .await
        .expect("review");
    assert!(review.warnings.is_empty(), "{:?}", review.warnings);
}

#[tokio::test]
async fn a_refused_operation_is_explained_and_not_recorded() {
    let node = Node {
        bundler_refuses: Some((-32500, "AA23 reverted: not the owner")),
        ..one_eth()
    };
    let (wallet, account, _dir) = wallet(vec![node]);
    let error = wallet
        .send(&request(&account, "0.25", None), &|_| {})
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Rejected, "{error}");
    assert!(error.to_string().contains("AA23"), "{error}");
    assert!(wallet.activity(None, None).expect("activity").is_empty());
}

#[tokio::test]
async fn the_smart_account_signs_in_the_form_its_chain_can_check() {
    let (wallet, account, _dir) = wallet(vec![
        Node::default(),
        Node {
            deployed: true,
            ..Node::default()
        },
    ]);
    let hash = crate::evm::personal_message_hash(b"hello");
    let (owner, harbor) = wallet.signer_for(account.address).await.expect("own");
    // Chain 900: not deployed, ERC-6492 around the ERC-1271 signature.
    let before = wallet
        .sign_message(account.address, 900, b"hello")
        .await
        .expect("sign");
    let (factory, calldata, inner) = crate::aa::unwrap_erc6492(&before).expect("6492");
    assert_eq!(
        (factory, calldata),
        (crate::aa::HARBOR_ACCOUNT_FACTORY, harbor.factory_data())
    );
    let digest = crate::aa::account_message_digest(900, account.address, hash);
    let signature = crate::evm::parse_signature(&inner).expect("65 bytes");
    assert_eq!(
        crate::evm::recover_address(&digest, &signature).expect("recover"),
        crate::keys::Signer::address(&owner)
    );
    // Chain 901: deployed, the 65-byte ERC-1271 signature for that chain.
    let after = wallet
        .sign_message(account.address, 901, b"hello")
        .await
        .expect("sign");
    assert_eq!(after.len(), 65);
    assert_ne!(after, inner);
    // Typed data for another chain, and accounts of someone else, are refused.
    let mail = crate::evm::parse_typed_data(
        &serde_json::json!({
            "types": {"EIP712Domain": [{"name": "chainId", "type": "uint256"}],
                      "Mail": [{"name": "contents", "type": "string"}]},
            "primaryType": "Mail",
            "domain": {"chainId": 1},
            "message": {"contents": "hi"}
        })
        .to_string(),
    )
    .expect("typed data");
    let error = wallet
        .sign_typed_data(account.address, 900, &mail)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
    let error = wallet
        .sign_message(FRIEND, 900, b"hello")
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn a_recovery_needs_a_key_here_and_an_account_on_chain() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut vault = Vault::create(
        &dir.path().join("w.harbor"),
        "a long password",
        KdfParams::LIGHT,
    )
    .expect("vault");
    vault
        .save_chain(&chain(900, "http://node0"))
        .expect("chain");
    let script = Script(HashMap::from([(
        "http://node0".to_owned(),
        Arc::new(Node::default()),
    )]));
    let wallet = Wallet::with_connector(Arc::new(Mutex::new(vault)), Arc::new(script));
    let week = std::time::Duration::from_secs(7 * 86_400);
    // No key on this device yet: nothing can take the account over.
    let error = wallet
        .start_recovery(FRIEND, None, week, "new phone")
        .await
        .unwrap_err();
    assert!(matches!(error, WalletError::NoKeyForRecovery), "{error}");
    // With a key: an account that exists on no network cannot be recovered, and nothing is kept.
    wallet.import_phrase("Main", PHRASE).expect("import");
    let error = wallet
        .start_recovery(FRIEND, None, week, "new phone")
        .await
        .unwrap_err();
    assert!(
        matches!(error, WalletError::Recovery(crate::recovery::RecoveryError::UnknownAccount { account }) if account == FRIEND),
        "{error}"
    );
    assert!(wallet.recoveries().expect("recoveries").is_empty());
    let error = wallet
        .add_approval("r-1", "harbor://approve?x")
        .await
        .unwrap_err();
    assert_eq!(
        error.kind(),
        ErrorKind::InvalidInput,
        "a bad link is refused first: {error}"
    );
    assert!(!wallet.forget_recovery("r-1").expect("forget"));
}

#[tokio::test]
async fn a_locked_vault_is_named_as_such() {
    let (wallet, account, _dir) = wallet(vec![Node::default()]);
    wallet.vault().lock().expect("vault").lock();
    let error = wallet.accounts().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Locked);
    let error = wallet
        .review_send(&request(&account, "1", None))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Locked);
}

#[tokio::test]
async fn guardians_are_named_from_the_vault_on_every_network() {
    let (wallet, account, _dir) = wallet(vec![Node::default(), Node::default()]);
    let bob = Guardian {
        address: Address::repeat_byte(0xb0),
        name: "Bob".into(),
        kind: GuardianKind::Person,
    };
    wallet
        .unlocked(|v| Ok(v.save_guardian(account.address, &bob)?))
        .expect("save");
    // Nothing deployed: each network answers with no guardians, none hidden.
    let sets = wallet.guardians(account.address).await.expect("guardians");
    assert_eq!(
        sets.iter().map(|s| s.chain_id).collect::<Vec<_>>(),
        [900, 901]
    );
    assert!(sets.iter().all(|s| !s.deployed && s.guardians.is_empty()));
    let link = wallet
        .create_invitation(account.address, " Ana\n", GuardianKind::OwnDevice)
        .expect("invitation");
    let reply = wallet
        .accept_invitation(&link, account.address, "Tablet")
        .await
        .expect("accept");
    let reply = super::guardians::read_invitation_reply(&reply).expect("reply");
    assert_eq!(reply.guardian, account.owner);
    assert_eq!(reply.kind, GuardianKind::OwnDevice);
}

#[test]
fn every_wallet_error_has_a_kind_and_no_secret() {
    let cases: Vec<(WalletError, ErrorKind)> = vec![
        (
            WalletError::InvalidAddress("0x12".into()),
            ErrorKind::InvalidInput,
        ),
        (WalletError::NotYourAccount(FRIEND), ErrorKind::NotFound),
        (WalletError::ZeroAmount, ErrorKind::InvalidInput),
        (
            WalletError::InsufficientFunds {
                available: "1".into(),
                amount: "2".into(),
                symbol: "ETH".into(),
            },
            ErrorKind::InsufficientFunds,
        ),
        (
            WalletError::UnknownLanguage("xx".into()),
            ErrorKind::InvalidInput,
        ),
        (WalletError::NoKeyForRecovery, ErrorKind::InvalidInput),
        (
            WalletError::RecoveryNotFound("r1".into()),
            ErrorKind::NotFound,
        ),
        (WalletError::EmptyWallet("w1".into()), ErrorKind::Storage),
        (WalletError::RecoveryKeyMissing, ErrorKind::Storage),
        (VaultError::WrongPassword.into(), ErrorKind::WrongPassword),
        (
            crate::keys::Mnemonic::parse(&PHRASE.replacen("abandon", "zzzz", 1))
                .unwrap_err()
                .into(),
            ErrorKind::InvalidPhrase,
        ),
    ];
    for (error, kind) in cases {
        assert_eq!(error.kind(), kind, "{error}");
        assert!(!error.to_string().contains("zzzz"), "{error}");
    }
    let phrase: WalletError = crate::keys::Mnemonic::parse(&PHRASE.replacen("abandon", "zzzz", 1))
        .unwrap_err()
        .into();
    assert_eq!(phrase.word_positions(), vec![1]);
    assert_eq!(
        parse_address(" 0x12 ").unwrap_err().to_string(),
        "\u{201c}0x12\u{201d} is not an address (0x followed by 40 hex characters)"
    );
}
