//! The EntryPoint v0.8 UserOperation hash, checked against the real EntryPoint v0.8 (the npm
//! `@account-abstraction/contracts@0.8.0` artifact) deployed on a dev chain.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail by panicking.

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::{SolCall, sol};
use harbor_core::aa::{EntryPointVersion, UserOperation, user_operation_hash};
use harbor_core::rpc::NodeClient;
use serde_json::{Value, json};

sol! {
    struct PackedUserOperation {
        address sender;
        uint256 nonce;
        bytes initCode;
        bytes callData;
        bytes32 accountGasLimits;
        uint256 preVerificationGas;
        bytes32 gasFees;
        bytes paymasterAndData;
        bytes signature;
    }
    function getUserOpHash(PackedUserOperation calldata userOp) external view returns (bytes32);
}

fn entry_point_v08_code() -> String {
    let path = harbor_devnet::repo_root()
        .unwrap()
        .join("tools/node_modules/entrypoint-v08/artifacts/EntryPoint.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run `cargo xtask setup`", path.display()));
    let artifact: Value = serde_json::from_str(&text).unwrap();
    artifact["bytecode"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_v08_hash_is_the_deployed_entry_points() {
    let devnet = tokio::task::spawn_blocking(|| harbor_devnet::Devnet::start(31337, 0).unwrap())
        .await
        .unwrap();
    let node = NodeClient::new(&devnet.manifest().rpc_url).unwrap();
    let deployer = harbor_devnet::DEV_DEPLOYER_ADDRESS;
    let tx = node
        .raw(
            "eth_sendTransaction",
            json!([{"from": deployer, "data": entry_point_v08_code(), "gas": "0x1c9c380"}]),
        )
        .await
        .unwrap();
    let mut receipt = Value::Null;
    for _ in 0..100 {
        receipt = node
            .raw("eth_getTransactionReceipt", json!([tx]))
            .await
            .unwrap();
        if !receipt.is_null() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let entry_point: Address = receipt["contractAddress"]
        .as_str()
        .unwrap_or_else(|| panic!("{receipt}"))
        .parse()
        .unwrap();

    let ops = [
        UserOperation::default(),
        UserOperation {
            sender: Address::repeat_byte(0x5e),
            nonce: U256::from(7) << 64 | U256::from(3),
            factory: Some(Address::repeat_byte(0xfa)),
            factory_data: Some(Bytes::from(vec![0xab; 100])),
            call_data: Bytes::from(vec![0x01, 0x02, 0x03]),
            call_gas_limit: U256::from(300_000),
            verification_gas_limit: U256::from(500_000),
            pre_verification_gas: U256::from(60_000),
            max_fee_per_gas: U256::from(3_000_000_000u64),
            max_priority_fee_per_gas: U256::from(1_000_000_000u64),
            paymaster: Some(Address::repeat_byte(0x9a)),
            paymaster_verification_gas_limit: Some(U256::from(100_000)),
            paymaster_post_op_gas_limit: Some(U256::from(50_000)),
            paymaster_data: Some(Bytes::from(vec![0x77; 77])),
            signature: Bytes::from(vec![0x11; 65]),
        },
    ];
    for op in ops {
        let packed = op.pack();
        let call = getUserOpHashCall {
            userOp: PackedUserOperation {
                sender: packed.sender,
                nonce: packed.nonce,
                initCode: packed.initCode.clone(),
                callData: packed.callData.clone(),
                accountGasLimits: packed.accountGasLimits,
                preVerificationGas: packed.preVerificationGas,
                gasFees: packed.gasFees,
                paymasterAndData: packed.paymasterAndData.clone(),
                signature: packed.signature.clone(),
            },
        };
        let answer = node
            .call(entry_point, &call.abi_encode().into())
            .await
            .unwrap();
        let theirs = getUserOpHashCall::abi_decode_returns(&answer).unwrap();
        let ours = user_operation_hash(&op, EntryPointVersion::V08, entry_point, 31337);
        assert_eq!(ours, theirs);
    }
}
