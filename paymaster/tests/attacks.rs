//! The security review's attacks on the relay (issue 21), each on a real dev chain with real
//! attacker contracts (`contracts/src/dev/ChainStateAccount.sol`, `LookAlikeAccount.sol`), each
//! refused with its reason. In every test that bundles, the relayer's balance afterwards is at
//! least what it was: the refunds covered every bundle.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::time::Duration;

use alloy_primitives::{Address, Bytes, U256, keccak256};
use alloy_sol_types::SolValue;
use harbor_core::aa::{
    AccountCall, AccountClient, EntryPointVersion, HarborAccount, PreparedOperation, SendOptions,
    UserOperation, user_operation_hash,
};
use harbor_core::codes;
use harbor_core::keys::{LocalSigner, Signer};
use harbor_core::rpc::{PaymasterClient, RpcError};
use harbor_devnet::Devnet;
use harbor_paymaster::config::{ChainConfig, Config, Policy};
use harbor_paymaster::store::Outcome;
use serde_json::{Value, json};

use common::*;

fn options() -> SendOptions {
    SendOptions {
        poll_interval: Duration::from_millis(100),
        timeout: Duration::from_secs(30),
        ..SendOptions::default()
    }
}

fn client(harness: &Harness, devnet: &Devnet) -> AccountClient {
    let url = harness.url(devnet.manifest().chain_id);
    AccountClient::new(devnet.manifest().chain_id, &devnet.manifest().rpc_url, &url)
        .unwrap()
        .with_paymaster(&url)
        .unwrap()
}

fn call_to(to: Address) -> AccountCall {
    AccountCall {
        to,
        value: U256::ZERO,
        data: Bytes::new(),
    }
}

/// The policy rule (or code) of a refusal.
fn refusal(error: RpcError) -> (i64, String) {
    match error {
        RpcError::Server {
            code,
            data,
            message,
        } => {
            let rule = data
                .and_then(|d| d["rule"].as_str().map(str::to_owned))
                .unwrap_or(message);
            (code, rule)
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn sponsor(harness: &Harness, op: &UserOperation) -> Result<UserOperation, RpcError> {
    let pm = PaymasterClient::new(&harness.url(31337)).unwrap();
    let data = pm
        .data(op, harbor_core::aa::ENTRY_POINT_V07, 31337, &Value::Null)
        .await?;
    let mut signed = op.clone();
    signed.paymaster = Some(data.paymaster);
    signed.paymaster_data = Some(data.paymaster_data);
    Ok(signed)
}

/// Raw JSON-RPC to the relay; the whole answer.
async fn relay_rpc(url: &str, method: &str, params: Value) -> Value {
    reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap()
}

/// Deploys the artifact `name` with constructor arguments `args` from a dev account.
async fn deploy(devnet: &Devnet, name: &str, args: Vec<u8>) -> Address {
    let path = harbor_devnet::repo_root()
        .unwrap()
        .join(format!("contracts/artifacts/{name}.json"));
    let artifact: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut code = alloy_primitives::hex::decode(artifact["bytecode"].as_str().unwrap()).unwrap();
    code.extend(args);
    let node = node(devnet);
    let tx = node
        .raw(
            "eth_sendTransaction",
            json!([{"from": harbor_devnet::DEV_DEPLOYER_ADDRESS, "data": Bytes::from(code)}]),
        )
        .await
        .unwrap();
    for _ in 0..100 {
        let receipt = node
            .raw("eth_getTransactionReceipt", json!([tx]))
            .await
            .unwrap();
        if let Some(address) = receipt["contractAddress"].as_str() {
            return address.parse().unwrap();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{name} was not deployed");
}

async fn automine(devnet: &Devnet, on: bool) {
    node(devnet)
        .raw("evm_setAutomine", json!([on]))
        .await
        .unwrap();
}

async fn mine(devnet: &Devnet) {
    node(devnet).raw("evm_mine", json!([])).await.unwrap();
}

/// Waits until the relay's watcher has read up to the chain's head.
async fn watcher_caught_up(harness: &Harness, devnet: &Devnet) {
    let head = node(devnet).block_number().await.unwrap();
    for _ in 0..200 {
        if harness.relay.chain(31337).unwrap().latest_block() >= head {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the watcher did not reach block {head}");
}

/// Finding 1: a sponsorship cannot be turned into cash. Fees far above the market, an inflated
/// preVerificationGas and gas limits far above what the operation needs are not signed (the old
/// relay signed all three up to its static caps: 200 gwei, 200 k, 2 M).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sponsorship_cannot_be_turned_into_cash() {
    let devnet = devnet(31337).await;
    let harness = start_relay(&[&devnet], vec![]).await;
    let honest = harbor_op(&devnet, 0x31, 0, &[call_to(Address::repeat_byte(7))]).await;

    let mut greedy = honest.clone();
    greedy.max_fee_per_gas = U256::from(200_000_000_000u64);
    greedy.max_priority_fee_per_gas = U256::from(2_000_000_000u64);
    let (code, rule) = refusal(sponsor(&harness, &greedy).await.unwrap_err());
    assert_eq!((code, rule.as_str()), (codes::POLICY_REJECTED, "fees"));
    let mut tip = honest.clone();
    tip.max_priority_fee_per_gas = U256::from(50_000_000_000u64);
    tip.max_fee_per_gas = U256::from(60_000_000_000u64);
    assert_eq!(
        refusal(sponsor(&harness, &tip).await.unwrap_err()).1,
        "fees"
    );

    let mut padded = honest.clone();
    padded.pre_verification_gas *= U256::from(3);
    assert_eq!(
        refusal(sponsor(&harness, &padded).await.unwrap_err()).1,
        "pre_verification_gas"
    );
    let mut bloated = honest.clone();
    bloated.call_gas_limit = U256::from(2_000_000);
    assert_eq!(
        refusal(sponsor(&harness, &bloated).await.unwrap_err()).1,
        "gas_limits"
    );
    // The honest one is signed; what it can cost is the market's price for what it needs.
    let signed = sponsor(&harness, &honest).await.unwrap();
    let fees = node(&devnet).fees().await.unwrap();
    assert!(
        signed.max_fee_per_gas
            <= fees.base_fee_per_gas * U256::from(3) + U256::from(3_000_000_000u64)
    );
    // Nothing of the refused ones was reserved.
    let totals = harness.relay.store.totals(31337).unwrap();
    assert_eq!(totals.reserved, 1);
    harness.assert_relayer_covered().await;
}

/// Finding 2: an account whose validation depends on chain state passes a simulation made in
/// other conditions and fails on chain at the relayer's cost. Now the simulation is exact (the
/// relayer's real balance: refused there) and the validation is traced against ERC-7562 (block
/// time: refused by the rules), both before anything is sent. Repeated failures ban the sender.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_that_read_chain_state_in_validation_are_never_bundled() {
    let devnet = devnet(31337).await;
    let entry_point: Address = devnet.manifest().entry_point.parse().unwrap();
    let by_balance = deploy(
        &devnet,
        "ChainStateAccount",
        (entry_point, false).abi_encode_params(),
    )
    .await;
    let by_time = deploy(
        &devnet,
        "ChainStateAccount",
        (entry_point, true).abi_encode_params(),
    )
    .await;
    let mut hashes = Vec::new();
    for account in [by_balance, by_time] {
        hashes.push(keccak256(node(&devnet).code(account).await.unwrap()));
    }
    // The operator allowlisted this account code (as it may for other audited accounts).
    let dir = tempfile::tempdir().unwrap();
    let chain = ChainConfig {
        allowed_account_code_hashes: hashes,
        ..chain_config(&devnet)
    };
    let apps = vec![app("wallet", APP_KEY, vec![Policy::defaults(31337)])];
    let harness = start_with(config(vec![chain], apps, &dir), dir).await;
    // The relayer holds less than the account's 100 ETH threshold (the old relay simulated
    // with its balance overridden to 1000 ETH, so the operation passed).
    let mut harness = harness;
    set_balance(&devnet, harness.relay.relayer_address(), eth("50")).await;
    harness.reset_relayer_baseline().await;

    let fees = node(&devnet).fees().await.unwrap();
    let op_of = |sender: Address| {
        let mut op = UserOperation {
            sender,
            call_data: harbor_core::aa::encode_calls(&[call_to(Address::repeat_byte(7))]),
            call_gas_limit: U256::from(60_000),
            verification_gas_limit: U256::from(60_000),
            max_fee_per_gas: fees.max_fee_per_gas,
            max_priority_fee_per_gas: fees.max_priority_fee_per_gas,
            ..UserOperation::default()
        };
        harbor_paymaster::sponsor::attach_paymaster(
            &mut op,
            devnet.manifest().paymaster.parse().unwrap(),
        );
        op.pre_verification_gas = U256::from(
            harbor_paymaster::pricing::required_pre_verification_gas(&op),
        );
        op
    };
    let url = harness.url(31337);
    let send = |op: UserOperation| {
        let url = url.clone();
        async move {
            relay_rpc(
                &url,
                "eth_sendUserOperation",
                json!([op, harbor_core::aa::ENTRY_POINT_V07]),
            )
            .await
        }
    };
    let by_balance_op = sponsor(&harness, &op_of(by_balance)).await.unwrap();
    let answer = send(by_balance_op).await;
    assert_eq!(
        answer["error"]["code"],
        json!(codes::SIMULATION_REJECTED),
        "{answer}"
    );
    // The block-time account passes a simulation in even seconds; the trace refuses it anyway.
    let by_time_op = sponsor(&harness, &op_of(by_time)).await.unwrap();
    let mut refused_by_rules = false;
    for _ in 0..4 {
        let answer = send(by_time_op.clone()).await;
        let code = answer["error"]["code"].as_i64().unwrap();
        if code == codes::OPCODE_RULE {
            assert!(
                answer["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("TIMESTAMP"),
                "{answer}"
            );
            refused_by_rules = true;
            break;
        }
        // An odd second: the exact simulation refused it first. Try in the next second.
        assert_eq!(code, codes::SIMULATION_REJECTED, "{answer}");
        tokio::time::sleep(Duration::from_millis(1_000)).await;
        mine(&devnet).await;
    }
    assert!(refused_by_rules);
    assert_eq!(
        harness.relay.store.pending_relayed(31337).unwrap().len(),
        0,
        "nothing was sent"
    );

    // A sender whose operations keep failing on chain is banned for the day.
    let banned = harbor_op(&devnet, 0x44, 0, &[call_to(Address::repeat_byte(7))]).await;
    for _ in 0..harbor_paymaster::store::BAN_AFTER_FAILURES {
        harness
            .relay
            .store
            .count(31337, &banned.sender.to_string(), Outcome::Failed)
            .unwrap();
    }
    let (code, _) = refusal(sponsor(&harness, &banned).await.unwrap_err());
    assert_eq!(code, codes::THROTTLED_OR_BANNED);
    harness.assert_relayer_covered().await;
}

/// Finding 3: two operations with the same sender and nonce were both submitted (the second
/// reverted at the relayer's cost). Now the second is refused, unless it raises both fees by
/// 10 %: then it replaces the first in the same relayer transaction slot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_operation_per_sender_and_nonce_is_in_flight() {
    let devnet = devnet(31337).await;
    let harness = start_relay(&[&devnet], vec![]).await;
    let owner = LocalSigner::random().unwrap();
    let account = HarborAccount::new(owner.address(), U256::ZERO);
    let client = client(&harness, &devnet);
    automine(&devnet, false).await;

    let mut first = client
        .prepare(
            &account,
            &[call_to(Address::repeat_byte(1))],
            &options(),
            &|_| {},
        )
        .await
        .unwrap();
    client.sign(&mut first, &owner).unwrap();
    let first_hash = client.submit(&first).await.unwrap();
    let mut second = client
        .prepare(
            &account,
            &[call_to(Address::repeat_byte(2))],
            &options(),
            &|_| {},
        )
        .await
        .unwrap();
    assert_eq!(second.user_operation.nonce, first.user_operation.nonce);
    client.sign(&mut second, &owner).unwrap();
    let err = client.submit(&second).await.unwrap_err();
    assert!(err.to_string().contains("already pending"), "{err}");

    // The same operation with 30 % higher fees, sponsored and signed again: it replaces.
    let mut raised = second.user_operation.clone();
    raised.max_fee_per_gas = raised.max_fee_per_gas * U256::from(13) / U256::from(10);
    raised.max_priority_fee_per_gas =
        raised.max_priority_fee_per_gas * U256::from(13) / U256::from(10);
    let mut raised = sponsor(&harness, &raised).await.unwrap();
    let hash = user_operation_hash(
        &raised,
        EntryPointVersion::V07,
        harbor_core::aa::ENTRY_POINT_V07,
        31337,
    );
    raised.signature = Bytes::from(owner.sign_hash(&hash).unwrap().as_bytes().to_vec());
    let replacement = PreparedOperation {
        user_operation: raised,
        user_op_hash: hash,
        ..second.clone()
    };
    let replaced_hash = client.submit(&replacement).await.unwrap();
    assert_ne!(replaced_hash, first_hash);
    mine(&devnet).await;
    automine(&devnet, true).await;
    let outcome = client.wait(replaced_hash, &options()).await.unwrap();
    assert!(outcome.transaction_hash().is_some());
    // Only one of them ran: the account's nonce moved by one, the first has no receipt.
    let nonce = node(&devnet)
        .entry_point_nonce(client.entry_point(), account.address(), Default::default())
        .await
        .unwrap();
    assert_eq!(nonce, U256::from(1));
    assert!(
        client
            .bundler()
            .user_operation_receipt(first_hash)
            .await
            .unwrap()
            .is_none()
    );
    harness.assert_relayer_covered().await;
}

/// Finding 4: the relayer's own costs were not covered (no minimum fee, preVerificationGas not
/// checked when sending, call data priced below the EIP-7623 floor). Now an operation that cannot
/// pay for its bundle is refused, and a call-data-heavy one pays the floor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relayer_is_paid_back_for_every_bundle() {
    let devnet = devnet(31337).await;
    let dir = tempfile::tempdir().unwrap();
    let generous = Policy {
        max_pre_verification_gas: 2_000_000,
        max_verification_gas: 4_000_000,
        max_call_gas: 4_000_000,
        ..Policy::defaults(31337)
    };
    let harness = start_with(
        config(
            vec![chain_config(&devnet)],
            vec![app("wallet", APP_KEY, vec![generous])],
            &dir,
        ),
        dir,
    )
    .await;
    let owner = LocalSigner::random().unwrap();
    let account = HarborAccount::new(owner.address(), U256::ZERO);
    let client = client(&harness, &devnet);
    client
        .send_calls(
            &account,
            &owner,
            &[call_to(Address::repeat_byte(7))],
            &options(),
            &|_| {},
        )
        .await
        .unwrap();

    // 16 KB of non-zero call data from a deployed account: the bundle executes little, so it
    // pays the EIP-7623 floor (40 gas a byte, not 16); the relay priced it so.
    let heavy = AccountCall {
        to: Address::repeat_byte(7),
        value: U256::ZERO,
        data: Bytes::from(vec![0xab; 16 * 1024]),
    };
    let outcome = client
        .send_calls(&account, &owner, &[heavy], &options(), &|_| {})
        .await
        .unwrap();
    let tx = node(&devnet)
        .transaction_receipt(outcome.transaction_hash.unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(
        tx.gas_used >= U256::from(16 * 1024 * 40),
        "the bundle paid the calldata floor ({} gas)",
        tx.gas_used
    );
    assert!(outcome.transaction_hash.is_some());
    // Its calldata cost the relayer the floor price, and the refund paid it back.
    harness.assert_relayer_covered().await;

    // preVerificationGas below what the bundle needs: signed (the sponsor does not lose by
    // it), but this relay will not bundle it.
    let mut short = client
        .prepare(
            &account,
            &[call_to(Address::repeat_byte(8))],
            &options(),
            &|_| {},
        )
        .await
        .unwrap();
    let mut op = short.user_operation.clone();
    op.pre_verification_gas -= U256::from(10_000);
    let mut op = sponsor(&harness, &op).await.unwrap();
    short.user_op_hash = user_operation_hash(
        &op,
        EntryPointVersion::V07,
        harbor_core::aa::ENTRY_POINT_V07,
        31337,
    );
    op.signature = Bytes::from(
        owner
            .sign_hash(&short.user_op_hash)
            .unwrap()
            .as_bytes()
            .to_vec(),
    );
    short.user_operation = op;
    let err = client.submit(&short).await.unwrap_err();
    assert!(err.to_string().contains("does not cover"), "{err}");

    // A fee the chain no longer accepts (its base fee rose after the sponsorship): refused.
    let mut cheap = client
        .prepare(
            &account,
            &[call_to(Address::repeat_byte(9))],
            &options(),
            &|_| {},
        )
        .await
        .unwrap();
    client.sign(&mut cheap, &owner).unwrap();
    let base = cheap.user_operation.max_fee_per_gas * U256::from(10);
    node(&devnet)
        .raw("anvil_setNextBlockBaseFeePerGas", json!([base]))
        .await
        .unwrap();
    mine(&devnet).await;
    watcher_caught_up(&harness, &devnet).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let err = client.submit(&cheap).await.unwrap_err();
    assert!(
        err.to_string().contains("below the chain's base fee"),
        "{err}"
    );
    harness.assert_relayer_covered().await;
}

/// Finding 5: the target policy was bypassed by accounts whose code is not a Harbor account
/// (a look-alike `execute` that calls someone else) and by unknown factories. Now only Harbor
/// accounts (or allowlisted code) are sponsored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_harbor_accounts_are_sponsored() {
    let devnet = devnet(31337).await;
    let token: Address = devnet.manifest().dev_token.parse().unwrap();
    let strict = Policy {
        allowed_targets: vec![token],
        allow_native_transfers: false,
        ..Policy::defaults(31337)
    };
    let harness = start_relay(
        &[&devnet],
        vec![app("strict", "strict-app-key", vec![strict])],
    )
    .await;
    let thief = Address::repeat_byte(0x66);
    let look_alike = deploy(&devnet, "LookAlikeAccount", thief.abi_encode()).await;
    let transfer = AccountCall {
        to: token,
        value: U256::ZERO,
        data: harbor_core::tokens::transfer_call_data(Address::repeat_byte(1), U256::from(1)),
    };
    let pm = PaymasterClient::new(&format!("{}/rpc/31337/strict-app-key", harness.base)).unwrap();
    let mut op = harbor_op(&devnet, 0x55, 0, std::slice::from_ref(&transfer)).await;
    op.sender = look_alike;
    op.factory = None;
    op.factory_data = None;
    let (code, rule) = refusal(
        pm.data(&op, harbor_core::aa::ENTRY_POINT_V07, 31337, &Value::Null)
            .await
            .unwrap_err(),
    );
    assert_eq!(
        (code, rule.as_str()),
        (codes::POLICY_REJECTED, "harbor_accounts_only")
    );

    // A counterfactual account from another factory.
    let mut foreign = harbor_op(&devnet, 0x56, 0, &[transfer]).await;
    foreign.factory = Some(Address::repeat_byte(0xfa));
    let (_, rule) = refusal(
        pm.stub_data(
            &foreign,
            harbor_core::aa::ENTRY_POINT_V07,
            31337,
            &Value::Null,
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(rule, "harbor_accounts_only");
    // An address with no code and no factory at all.
    let mut nobody = foreign.clone();
    nobody.sender = Address::repeat_byte(0x57);
    nobody.factory = None;
    nobody.factory_data = None;
    let (_, rule) = refusal(
        pm.stub_data(
            &nobody,
            harbor_core::aa::ENTRY_POINT_V07,
            31337,
            &Value::Null,
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(rule, "harbor_accounts_only");
    harness.assert_relayer_covered().await;
}

/// Finding 6: in upstream mode the relay forwarded any operation (an open proxy). Now only what
/// it sponsored is forwarded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_mode_is_not_an_open_proxy() {
    let devnet = devnet(31337).await;
    let dir = tempfile::tempdir().unwrap();
    let chain = ChainConfig {
        // Nothing listens there: a forwarded call fails to connect, a refused one never tries.
        upstream_bundler_url: Some("http://127.0.0.1:9/rpc".into()),
        ..chain_config(&devnet)
    };
    let apps = vec![app("wallet", APP_KEY, vec![Policy::defaults(31337)])];
    let harness = start_with(config(vec![chain], apps, &dir), dir).await;
    let url = harness.url(31337);
    let mut unsponsored = harbor_op(&devnet, 0x61, 0, &[call_to(Address::repeat_byte(7))]).await;
    unsponsored.paymaster = None;
    unsponsored.paymaster_data = None;
    unsponsored.paymaster_verification_gas_limit = None;
    unsponsored.paymaster_post_op_gas_limit = None;
    let answer = relay_rpc(
        &url,
        "eth_sendUserOperation",
        json!([unsponsored, harbor_core::aa::ENTRY_POINT_V07]),
    )
    .await;
    assert_eq!(
        answer["error"]["code"],
        json!(codes::POLICY_REJECTED),
        "{answer}"
    );
    // Someone else's paymaster: refused too.
    let mut foreign = harbor_op(&devnet, 0x62, 0, &[call_to(Address::repeat_byte(7))]).await;
    foreign.paymaster = Some(Address::repeat_byte(0x9f));
    let answer = relay_rpc(
        &url,
        "eth_sendUserOperation",
        json!([foreign, harbor_core::aa::ENTRY_POINT_V07]),
    )
    .await;
    assert_eq!(
        answer["error"]["code"],
        json!(codes::POLICY_REJECTED),
        "{answer}"
    );
    harness.assert_relayer_covered().await;
}

/// Finding 7: fee bumps were unbounded (the fee cap reached 68× the operation's own after 20 s
/// stuck). Now a stuck bundle is resent only within what its operation pays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fee_bumps_stay_within_what_the_operation_pays() {
    let devnet = devnet(31337).await;
    let dir = tempfile::tempdir().unwrap();
    let chain = ChainConfig {
        bump_after_seconds: 1,
        ..chain_config(&devnet)
    };
    let apps = vec![app("wallet", APP_KEY, vec![Policy::defaults(31337)])];
    let harness = start_with(config(vec![chain], apps, &dir), dir).await;
    let owner = LocalSigner::random().unwrap();
    let account = HarborAccount::new(owner.address(), U256::ZERO);
    let client = client(&harness, &devnet);
    automine(&devnet, false).await;
    let mut prepared = client
        .prepare(
            &account,
            &[call_to(Address::repeat_byte(7))],
            &options(),
            &|_| {},
        )
        .await
        .unwrap();
    client.sign(&mut prepared, &owner).unwrap();
    let op = prepared.user_operation.clone();
    let hash = client.submit(&prepared).await.unwrap();
    // Several watcher rounds with the bundle stuck.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let relayed = harness
        .relay
        .store
        .relayed(&hash.to_string())
        .unwrap()
        .unwrap();
    assert!(
        U256::from(relayed.max_fee) <= op.max_fee_per_gas,
        "{relayed:?}"
    );
    assert!(
        U256::from(relayed.priority_fee) <= op.max_priority_fee_per_gas,
        "{relayed:?}"
    );
    let tx: Value = node(&devnet)
        .raw("eth_getTransactionByHash", json!([relayed.tx_hash]))
        .await
        .unwrap();
    let tx_fee: U256 = serde_json::from_value(tx["maxFeePerGas"].clone()).unwrap();
    assert!(tx_fee <= op.max_fee_per_gas);
    mine(&devnet).await;
    automine(&devnet, true).await;
    let outcome = client.wait(hash, &options()).await.unwrap();
    assert!(outcome.transaction_hash().is_some());
    harness.assert_relayer_covered().await;
}

/// Finding 7, the other half: a bundle whose operation no longer pays (its sponsorship expired
/// while it was stuck) is dropped: its relayer nonce is freed by a plain transfer, whose 21 000
/// gas is the only cost the relayer does not get back, and the operation is marked dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bundle_that_no_longer_pays_is_dropped() {
    let devnet = devnet(31337).await;
    let dir = tempfile::tempdir().unwrap();
    let chain = ChainConfig {
        bump_after_seconds: 1,
        ..chain_config(&devnet)
    };
    let short = Policy {
        validity_seconds: 60,
        ..Policy::defaults(31337)
    };
    let harness = start_with(
        config(vec![chain], vec![app("wallet", APP_KEY, vec![short])], &dir),
        dir,
    )
    .await;
    let relayer = harness.relay.relayer_address();
    let before = node(&devnet).balance(relayer).await.unwrap();
    let owner = LocalSigner::random().unwrap();
    let account = HarborAccount::new(owner.address(), U256::ZERO);
    let client = client(&harness, &devnet);
    automine(&devnet, false).await;
    let mut prepared = client
        .prepare(
            &account,
            &[call_to(Address::repeat_byte(7))],
            &options(),
            &|_| {},
        )
        .await
        .unwrap();
    client.sign(&mut prepared, &owner).unwrap();
    let hash = client.submit(&prepared).await.unwrap();
    // The chain moves past the sponsorship's validity without including the bundle.
    node(&devnet)
        .raw("evm_increaseTime", json!([600]))
        .await
        .unwrap();
    let node_ = node(&devnet);
    // Drop the stuck bundle from the node's pool so the next block carries the cancel only.
    let relayed = harness
        .relay
        .store
        .relayed(&hash.to_string())
        .unwrap()
        .unwrap();
    node_
        .raw("anvil_dropTransaction", json!([relayed.tx_hash]))
        .await
        .unwrap();
    mine(&devnet).await;
    let mut dropped = false;
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = harness
            .relay
            .store
            .relayed(&hash.to_string())
            .unwrap()
            .unwrap();
        if now.status == "dropped" {
            dropped = true;
            break;
        }
    }
    assert!(dropped, "the expired bundle was not dropped");
    mine(&devnet).await;
    automine(&devnet, true).await;
    let after = node(&devnet).balance(relayer).await.unwrap();
    let spent = before - after;
    let price = node(&devnet).fees().await.unwrap().max_fee_per_gas;
    assert!(
        spent <= U256::from(21_000) * price * U256::from(4),
        "spent {spent}"
    );
    assert!(
        client
            .bundler()
            .user_operation_receipt(hash)
            .await
            .unwrap()
            .is_none()
    );
}

/// Finding 8: junk requests exhausted an app's budget and a stranger exhausted a victim's
/// per-sender budget. Now nothing is reserved for implausible operations (no code, no Harbor
/// factory, a nonce that is not the next one), a newer sponsorship for the same nonce replaces
/// the older, and each client may hold only so many unused ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn junk_requests_cannot_exhaust_budgets() {
    let devnet = devnet(31337).await;
    let dir = tempfile::tempdir().unwrap();
    let apps = vec![app("wallet", APP_KEY, vec![Policy::defaults(31337)])];
    let mut cfg = config(vec![chain_config(&devnet)], apps, &dir);
    cfg.max_open_per_client = 3;
    let harness = start_with(cfg, dir).await;
    let pm = PaymasterClient::new(&harness.url(31337)).unwrap();

    // The victim has a deployed account.
    let owner = LocalSigner::random().unwrap();
    let victim = HarborAccount::new(owner.address(), U256::ZERO);
    let client = client(&harness, &devnet);
    client
        .send_calls(
            &victim,
            &owner,
            &[call_to(Address::repeat_byte(7))],
            &options(),
            &|_| {},
        )
        .await
        .unwrap();
    // A stranger asks for the victim's account with a future nonce: nothing reserved.
    let mut future = client
        .prepare(
            &victim,
            &[call_to(Address::repeat_byte(7))],
            &options(),
            &|_| {},
        )
        .await
        .unwrap()
        .user_operation;
    let reserved_before = harness.relay.store.totals(31337).unwrap().reserved;
    future.nonce += U256::from(5);
    let (_, rule) = refusal(
        pm.data(
            &future,
            harbor_core::aa::ENTRY_POINT_V07,
            31337,
            &Value::Null,
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(rule, "nonce");
    // With the current nonce, again and again: still the one reservation of that nonce (made
    // by the prepare above), replaced each time.
    future.nonce -= U256::from(5);
    for _ in 0..5 {
        pm.data(
            &future,
            harbor_core::aa::ENTRY_POINT_V07,
            31337,
            &Value::Null,
        )
        .await
        .unwrap();
    }
    assert_eq!(
        harness.relay.store.totals(31337).unwrap().reserved,
        reserved_before
    );
    // The victim can still send.
    client
        .send_calls(
            &victim,
            &owner,
            &[call_to(Address::repeat_byte(8))],
            &options(),
            &|_| {},
        )
        .await
        .unwrap();

    // The victim's own operation replaced the stranger's reservation, and was settled.
    for _ in 0..50 {
        if harness.relay.store.totals(31337).unwrap().reserved == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(harness.relay.store.totals(31337).unwrap().reserved, 0);
    // One client asking for many new accounts: three unused sponsorships at most.
    let mut granted = 0;
    let mut refused = None;
    for owner in 0x70..0x76u8 {
        let op = harbor_op(&devnet, owner, 0, &[call_to(Address::repeat_byte(7))]).await;
        match pm
            .data(&op, harbor_core::aa::ENTRY_POINT_V07, 31337, &Value::Null)
            .await
        {
            Ok(_) => granted += 1,
            Err(e) => {
                let rule = refusal(e).1;
                assert_eq!(rule, "max_open_per_client");
                refused = Some(rule);
            }
        }
    }
    assert_eq!(granted, 3);
    assert_eq!(refused.as_deref(), Some("max_open_per_client"));
    harness.assert_relayer_covered().await;
}

/// Finding 9: a reorganisation lost paid operations from the accounting (the watcher read on
/// from its last block and kept no hashes). Here the blocks the watcher read are replaced by a
/// chain where the operation sits at a height it had already passed; it is settled anyway.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reorganisation_does_not_lose_paid_operations() {
    let devnet = devnet(31337).await;
    let harness = start_relay(&[&devnet], vec![]).await;
    let owner = LocalSigner::random().unwrap();
    let account = HarborAccount::new(owner.address(), U256::ZERO);
    let client = client(&harness, &devnet);
    let node = node(&devnet);
    watcher_caught_up(&harness, &devnet).await;
    let snapshot = node.raw("evm_snapshot", json!([])).await.unwrap();
    // The first history: three empty blocks, read by the watcher.
    for _ in 0..3 {
        mine(&devnet).await;
    }
    watcher_caught_up(&harness, &devnet).await;
    // Replaced: the operation lands in the first new block, then the chain grows past.
    node.raw("evm_revert", json!([snapshot])).await.unwrap();
    let outcome = client
        .send_calls(
            &account,
            &owner,
            &[call_to(Address::repeat_byte(7))],
            &options(),
            &|_| {},
        )
        .await
        .unwrap();
    for _ in 0..4 {
        mine(&devnet).await;
    }
    watcher_caught_up(&harness, &devnet).await;
    let mut totals = harness.relay.store.totals(31337).unwrap();
    for _ in 0..40 {
        if totals.settled == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        totals = harness.relay.store.totals(31337).unwrap();
    }
    assert_eq!(totals.settled, 1, "{totals:?}");
    assert_eq!(U256::from(totals.settled_wei), outcome.actual_gas_cost);
    harness.assert_relayer_covered().await;
}

/// Finding 10: the `method` label came from the request (a line feed forged a metric line; 500
/// invented methods made 500 series). Now unknown methods share one `other` label.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_cannot_be_forged_or_flooded() {
    let devnet = devnet(31337).await;
    let harness = start_relay(&[&devnet], vec![]).await;
    let url = harness.url(31337);
    relay_rpc(
        &url,
        "x\"}\nharbor_paymaster_spend_wei{chain=\"31337\"} 9e99\n#",
        json!([]),
    )
    .await;
    for i in 0..50 {
        relay_rpc(&url, &format!("invented_{i}"), json!([])).await;
    }
    relay_rpc(&url, "eth_chainId", json!([])).await;
    let text = reqwest::get(format!("{}/metrics", harness.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!text.contains("9e99"), "{text}");
    assert!(!text.contains("invented_"), "{text}");
    assert!(text.contains("method=\"other\""), "{text}");
    assert!(text.contains("method=\"eth_chainId\""), "{text}");
    harness.assert_relayer_covered().await;
}

/// Finding 11: connections with unfinished headers or bodies stayed open. Now headers, whole
/// requests and silence are bounded in time, and connections in number.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_connections_are_closed() {
    let devnet = devnet(31337).await;
    let dir = tempfile::tempdir().unwrap();
    let apps = vec![app("wallet", APP_KEY, vec![Policy::defaults(31337)])];
    let cfg = Config {
        header_timeout_seconds: 1,
        request_timeout_seconds: 2,
        idle_timeout_seconds: 2,
        max_connections: 4,
        ..config(vec![chain_config(&devnet)], apps, &dir)
    };
    let harness = start_with(cfg, dir).await;
    let address = harness.base.trim_start_matches("http://").to_owned();
    let closed_within = |mut stream: std::net::TcpStream, seconds: u64| {
        stream
            .set_read_timeout(Some(Duration::from_secs(seconds)))
            .unwrap();
        let mut buf = [0u8; 512];
        loop {
            match stream.read(&mut buf) {
                Ok(0) => return true,
                Ok(_) => continue, // a 408 answer, then the close
                Err(_) => return false,
            }
        }
    };
    let connect = move || std::net::TcpStream::connect(&address).unwrap();
    tokio::task::spawn_blocking(move || {
        // Headers never finished.
        let mut slow_headers = connect();
        slow_headers.write_all(b"POST /rpc/31337 HTTP/1.1\r\nHost: x\r\n").unwrap();
        assert!(closed_within(slow_headers, 5), "unfinished headers");
        // A body that never arrives.
        let mut slow_body = connect();
        slow_body
            .write_all(
                b"POST /rpc/31337/test-wallet-key HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"a\"",
            )
            .unwrap();
        assert!(closed_within(slow_body, 6), "unfinished body");
        // Silence.
        assert!(closed_within(connect(), 6), "idle connection");
        // Too many at once: the fifth is closed at once.
        let held: Vec<_> = (0..4).map(|_| connect()).collect();
        std::thread::sleep(Duration::from_millis(200));
        assert!(closed_within(connect(), 2), "connection over the cap");
        drop(held);
    })
    .await
    .unwrap();
    harness.assert_relayer_covered().await;
}

/// Finding 12: an app without a policy for a chain still got reads and estimates there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_gets_nothing_on_a_chain_without_its_policy() {
    let (a, b) = tokio::join!(devnet(31337), devnet(31338));
    let harness = start_relay(
        &[&a, &b],
        vec![app(
            "only-a",
            "only-a-app-key",
            vec![Policy::defaults(31337)],
        )],
    )
    .await;
    let url = format!("{}/rpc/31338/only-a-app-key", harness.base);
    let op = harbor_op(&b, 0x71, 0, &[call_to(Address::repeat_byte(7))]).await;
    for (method, params) in [
        ("eth_chainId", json!([])),
        ("eth_blockNumber", json!([])),
        (
            "eth_call",
            json!([{"to": Address::ZERO, "data": "0x"}, "latest"]),
        ),
        (
            "eth_estimateUserOperationGas",
            json!([op, harbor_core::aa::ENTRY_POINT_V07]),
        ),
    ] {
        let answer = relay_rpc(&url, method, params).await;
        assert_eq!(
            answer["error"]["code"],
            json!(codes::UNSUPPORTED_CHAIN),
            "{method}: {answer}"
        );
    }
    let answer = relay_rpc(
        &format!("{}/rpc/31337/only-a-app-key", harness.base),
        "eth_chainId",
        json!([]),
    )
    .await;
    assert_eq!(answer["result"], json!("0x7a69"));
    harness.assert_relayer_covered().await;
}
