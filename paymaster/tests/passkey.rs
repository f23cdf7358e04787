//! Accounts owned by P-256 keys on a real dev chain, sponsored through the relay: a platform key
//! (what Android Keystore and the Secure Enclave do: sign the digest) and a passkey (a software
//! authenticator answering WebAuthn assertions as a phone's would). The chain's P256VERIFY
//! precompile checks them; a seed key cannot sign for them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::SolCall;
use base64::Engine;
use harbor_core::aa::{
    AccountCall, AccountClient, HarborAccount, IHarborAccount, OwnerSigner, P256Key, P256PublicKey,
    Passkey, PasskeyOwner, PlatformKeyOwner, SendOptions, WebAuthnAssertion,
};
use harbor_core::keys::{LocalSigner, SignError};
use p256::ecdsa::SigningKey;
use p256::ecdsa::signature::hazmat::PrehashSigner;
use sha2::{Digest, Sha256};

use common::*;

/// A P-256 key in software, standing in for the phone's keystore.
struct SoftKey(SigningKey);

impl SoftKey {
    fn new(byte: u8) -> Self {
        SoftKey(SigningKey::from_slice(&[byte; 32]).unwrap())
    }

    fn public(&self) -> P256PublicKey {
        let point = self.0.verifying_key().to_sec1_point(false);
        P256PublicKey::from_sec1(point.as_bytes()).unwrap()
    }

    fn sign(&self, digest: &[u8]) -> (U256, U256) {
        let signature: p256::ecdsa::Signature = self.0.sign_prehash(digest).unwrap();
        let bytes = signature.to_bytes();
        (
            U256::from_be_slice(&bytes[..32]),
            U256::from_be_slice(&bytes[32..]),
        )
    }
}

impl P256Key for SoftKey {
    fn public_key(&self) -> P256PublicKey {
        self.public()
    }

    fn sign_digest(&self, digest: &B256) -> Result<(U256, U256), SignError> {
        Ok(self.sign(digest.as_slice()))
    }
}

/// A passkey authenticator in software: user present and verified, the challenge in
/// clientDataJSON, signed over authenticatorData ‖ sha256(clientDataJSON).
struct SoftPasskey(SoftKey);

impl Passkey for SoftPasskey {
    fn public_key(&self) -> P256PublicKey {
        self.0.public()
    }

    fn get_assertion(&self, challenge: &B256) -> Result<WebAuthnAssertion, SignError> {
        let mut authenticator_data = Sha256::digest(b"wallet.harbor.example").to_vec();
        authenticator_data.extend_from_slice(&[0x05, 0, 0, 0, 1]);
        let client_data_json = format!(
            r#"{{"type":"webauthn.get","challenge":"{}","origin":"https://wallet.harbor.example","crossOrigin":false}}"#,
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(challenge)
        );
        let mut message = authenticator_data.clone();
        message.extend_from_slice(&Sha256::digest(client_data_json.as_bytes()));
        let (r, s) = self.0.sign(&Sha256::digest(&message));
        Ok(WebAuthnAssertion {
            authenticator_data: authenticator_data.into(),
            client_data_json,
            r,
            s,
        })
    }
}

async fn owner_on_chain(node: &harbor_core::rpc::NodeClient, account: Address) -> Address {
    let out = node
        .call(
            account,
            &Bytes::from(IHarborAccount::ownerCall {}.abi_encode()),
        )
        .await
        .unwrap();
    Address::from_slice(&out[12..32])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn platform_key_and_passkey_accounts_send_sponsored() {
    let devnet = devnet(31337).await;
    let harness = start_relay(&[&devnet], vec![]).await;
    let m = devnet.manifest().clone();
    let node = node(&devnet);
    let client = AccountClient::new(31337, &m.rpc_url, &harness.url(31337))
        .unwrap()
        .with_paymaster(&harness.url(31337))
        .unwrap();
    let options = SendOptions {
        poll_interval: std::time::Duration::from_millis(100),
        ..SendOptions::default()
    };
    let friend = Address::repeat_byte(0xf1);
    let owners: [Arc<dyn OwnerSigner>; 2] = [
        Arc::new(PlatformKeyOwner(Arc::new(SoftKey::new(0x11)))),
        Arc::new(PasskeyOwner(Arc::new(SoftPasskey(SoftKey::new(0x22))))),
    ];
    for (i, owner) in owners.iter().enumerate() {
        let account = HarborAccount::new(owner.owner(), U256::ZERO);
        let sender = account.address();
        set_balance(&devnet, sender, eth("1")).await;
        let calls = [AccountCall {
            to: friend,
            value: eth("0.1"),
            data: Bytes::new(),
        }];
        // The first operation deploys the account, the second runs on the deployed one.
        for _ in 0..2 {
            let outcome = client
                .send_calls(&account, owner.as_ref(), &calls, &options, &|_| {})
                .await
                .unwrap_or_else(|e| panic!("owner {i}: {e}"));
            assert!(outcome.actual_gas_cost > U256::ZERO);
        }
        assert_eq!(owner_on_chain(&node, sender).await, owner.owner());
        assert_eq!(
            node.balance(sender).await.unwrap(),
            eth("0.8"),
            "owner {i}: gas sponsored"
        );

        // A seed key cannot sign for the P-256 owner.
        let stranger = LocalSigner::random().unwrap();
        let refused = client
            .send_calls(&account, &stranger, &calls, &options, &|_| {})
            .await;
        assert!(
            refused.is_err(),
            "owner {i}: a stranger's signature was accepted"
        );
    }
    assert_eq!(node.balance(friend).await.unwrap(), eth("0.4"));
}
