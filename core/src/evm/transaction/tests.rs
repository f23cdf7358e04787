//! Tests of `transaction`.

use super::*;
use crate::keys::LocalSigner;
use alloy_primitives::{address, hex};

fn anvil0() -> LocalSigner {
    LocalSigner::from_hex("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
        .unwrap()
}

fn base() -> TransactionRequest {
    TransactionRequest {
        to: Some(address!("70997970C51812dc3A010C7d01b50e0d17dc79C8")),
        value: Some(U256::from(1_000_000_000_000_000_000u128)),
        chain_id: Some(U64::from(1)),
        nonce: Some(U64::from(0)),
        gas: Some(U64::from(21_000)),
        ..Default::default()
    }
}

#[test]
fn eip155_spec_example() {
    // The worked example of EIP-155: nonce 9, 20 gwei, 21000 gas, 1 ether, key 0x4646…46.
    let signer = LocalSigner::from_slice(&[0x46; 32]).unwrap();
    let request = TransactionRequest {
        to: Some(address!("3535353535353535353535353535353535353535")),
        value: Some(U256::from(1_000_000_000_000_000_000u128)),
        chain_id: Some(U64::from(1)),
        nonce: Some(U64::from(9)),
        gas: Some(U64::from(21_000)),
        gas_price: Some(U128::from(20_000_000_000u64)),
        ..Default::default()
    };
    let signed = sign_transaction(&signer, &request, Some(1)).unwrap();
    assert_eq!(
        hex::encode(&signed.raw),
        "f86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83"
    );
    let decoded = decode_transaction(&signed.raw).unwrap();
    assert_eq!(decoded.from, signer.address());
    assert_eq!(*decoded.envelope.tx_hash(), signed.hash);
}

#[test]
fn every_type_round_trips() {
    let signer = anvil0();
    let mut legacy = base();
    legacy.gas_price = Some(U128::from(1));
    let mut access = legacy.clone();
    access.access_list = Some(AccessList::default());
    let mut eip1559 = base();
    eip1559.max_fee_per_gas = Some(U128::from(10));
    eip1559.max_priority_fee_per_gas = Some(U128::from(1));
    let auth = sign_authorization(
        &signer,
        Authorization {
            chain_id: U256::from(1),
            address: Address::repeat_byte(7),
            nonce: 1,
        },
        false,
    )
    .unwrap();
    let mut eip7702 = eip1559.clone();
    eip7702.authorization_list = Some(vec![auth]);
    for (request, ty) in [(legacy, 0u8), (access, 1), (eip1559, 2), (eip7702, 4)] {
        let signed = sign_transaction(&signer, &request, None).unwrap();
        let decoded = decode_transaction(&signed.raw).unwrap();
        assert_eq!(decoded.from, signer.address());
        assert_eq!(decoded.envelope.tx_type() as u8, ty);
    }
}

#[test]
fn request_errors_are_precise() {
    let signer = anvil0();
    let sign = |r: &TransactionRequest| sign_transaction(&signer, r, None).unwrap_err();
    let fees = |mut r: TransactionRequest| {
        r.max_fee_per_gas = Some(U128::from(10));
        r.max_priority_fee_per_gas = Some(U128::from(1));
        r
    };
    assert_eq!(
        sign(&fees(TransactionRequest {
            chain_id: None,
            ..base()
        })),
        TxError::MissingChainId
    );
    assert_eq!(
        sign(&fees(TransactionRequest {
            nonce: None,
            ..base()
        })),
        TxError::MissingNonce
    );
    assert_eq!(
        sign(&fees(TransactionRequest {
            gas: None,
            ..base()
        })),
        TxError::MissingGas
    );
    assert_eq!(
        sign(&base()),
        TxError::MissingFees {
            expected: "maxFeePerGas and maxPriorityFeePerGas"
        }
    );
    let mut both = fees(base());
    both.gas_price = Some(U128::from(1));
    assert_eq!(sign(&both), TxError::ConflictingFees);
    let mut tip = fees(base());
    tip.max_priority_fee_per_gas = Some(U128::from(11));
    assert_eq!(sign(&tip), TxError::PriorityFeeTooHigh);
    let mut blob = fees(base());
    blob.tx_type = Some(U64::from(3));
    assert_eq!(sign(&blob), TxError::UnsupportedType(3));
    let mut legacy_with_1559 = fees(base());
    legacy_with_1559.tx_type = Some(U64::from(0));
    assert_eq!(
        sign(&legacy_with_1559),
        TxError::FieldNotAllowed {
            field: "maxFeePerGas",
            tx_type: 0
        }
    );
    let mut legacy_access = base();
    legacy_access.tx_type = Some(U64::from(0));
    legacy_access.gas_price = Some(U128::from(1));
    legacy_access.access_list = Some(AccessList::default());
    assert_eq!(
        sign(&legacy_access),
        TxError::FieldNotAllowed {
            field: "accessList",
            tx_type: 0
        }
    );
    let mut no_auth = fees(base());
    no_auth.tx_type = Some(U64::from(4));
    assert_eq!(sign(&no_auth), TxError::EmptyAuthorizationList);
    no_auth.to = None;
    assert_eq!(sign(&no_auth), TxError::MissingRecipient);
    let mut legacy_auth = base();
    legacy_auth.gas_price = Some(U128::from(1));
    legacy_auth.tx_type = Some(U64::from(0));
    legacy_auth.authorization_list = Some(vec![]);
    assert_eq!(
        sign(&legacy_auth),
        TxError::FieldNotAllowed {
            field: "authorizationList",
            tx_type: 0
        }
    );
    let stranger = Address::repeat_byte(9);
    assert_eq!(
        sign(&fees(TransactionRequest {
            from: Some(stranger),
            ..base()
        })),
        TxError::SenderMismatch {
            expected: signer.address(),
            found: stranger
        }
    );
    assert_eq!(
        sign_transaction(&signer, &fees(base()), Some(10)).unwrap_err(),
        TxError::ChainMismatch {
            expected: 10,
            found: 1
        }
    );
}

#[test]
fn any_chain_authorization_needs_flag() {
    let signer = anvil0();
    let auth = Authorization {
        chain_id: U256::ZERO,
        address: Address::ZERO,
        nonce: 0,
    };
    assert_eq!(
        sign_authorization(&signer, auth.clone(), false).unwrap_err(),
        TxError::AnyChainAuthorizationNotAllowed
    );
    let signed = sign_authorization(&signer, auth, true).unwrap();
    assert_eq!(recover_authority(&signed).unwrap(), signer.address());
}

#[test]
fn decode_errors() {
    assert!(matches!(decode_transaction(&[]), Err(TxError::Decode(_))));
    assert!(matches!(
        decode_transaction(&[0x02, 0xc0]),
        Err(TxError::Decode(_))
    ));
    let mut legacy = base();
    legacy.gas_price = Some(U128::from(1));
    let mut raw = sign_transaction(&anvil0(), &legacy, None)
        .unwrap()
        .raw
        .to_vec();
    raw.push(0);
    assert!(matches!(decode_transaction(&raw), Err(TxError::Decode(_))));
}

#[test]
fn request_json_from_dapp() {
    let json = r#"{"from":"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266","to":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        "value":"0xde0b6b3a7640000","input":"0x","chainId":"0x1","nonce":"0x0","gasLimit":"0x5208",
        "maxFeePerGas":"0x3b9aca00","maxPriorityFeePerGas":"0x1","type":"0x2"}"#;
    let request: TransactionRequest = serde_json::from_str(json).unwrap();
    assert_eq!(request.gas, Some(U64::from(21_000)));
    let tx = build_transaction(&request).unwrap();
    assert!(matches!(tx, TypedTransaction::Eip1559(_)));
}
