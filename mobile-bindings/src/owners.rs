//! Owner keys the app holds instead of a seed phrase: a P-256 key in the phone's keystore
//! (Android Keystore, Secure Enclave) and a passkey. The library never sees their private half:
//! it asks the app to sign, and the account checks the signature on chain (ADR 0014).

use std::sync::Arc;

use alloy_primitives::{B256, U256};
use harbor_core::aa::{
    self, OwnerSigner, P256PublicKey, PasskeyOwner, PlatformKeyOwner, WebAuthnAssertion,
};
use harbor_core::keys::SignError;

use crate::Wallet;
use crate::error::{HarborError, Result};

/// A P-256 key in the platform's keystore, implemented by the app. Called on a library thread;
/// `sign_digest` may block while the person confirms (biometrics).
#[uniffi::export(with_foreign)]
pub trait PlatformKey: Send + Sync {
    /// The public key: 65 bytes `04 ‖ x ‖ y` (uncompressed SEC1, as the platforms export it)
    /// or 64 bytes `x ‖ y`.
    fn public_key(&self) -> Result<Vec<u8>>;
    /// Signs the 32-byte `digest` as given, without hashing it again (Android Keystore
    /// `NONEwithECDSA`, Secure Enclave `ecdsaSignatureDigestX962SHA256`); DER or r ‖ s.
    fn sign_digest(&self, digest: Vec<u8>) -> Result<Vec<u8>>;
}

/// What a passkey returns for an assertion (`navigator.credentials.get`, Android's Credential
/// Manager, `ASAuthorizationPlatformPublicKeyCredentialAssertion`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PasskeyAssertion {
    /// `authenticatorData` as returned.
    pub authenticator_data: Vec<u8>,
    /// `clientDataJSON` as returned (UTF-8 bytes).
    pub client_data_json: Vec<u8>,
    /// The signature, DER as returned.
    pub signature: Vec<u8>,
}

/// A passkey (WebAuthn credential, P-256), implemented by the app over the platform's passkey
/// API. Called on a library thread; may block while the person confirms.
#[uniffi::export(with_foreign)]
pub trait PasskeyAuthenticator: Send + Sync {
    /// The credential's public key from its registration: `04 ‖ x ‖ y` or `x ‖ y`.
    fn public_key(&self) -> Result<Vec<u8>>;
    /// An assertion for `challenge` (32 bytes) with the user verified (biometrics or PIN).
    fn get_assertion(&self, challenge: Vec<u8>) -> Result<PasskeyAssertion>;
}

fn device(e: HarborError) -> SignError {
    SignError::Device(e.to_string())
}

fn closing() -> SignError {
    SignError::Device("the app is shutting down".into())
}

fn public_key(bytes: Result<Vec<u8>>) -> Result<P256PublicKey> {
    P256PublicKey::from_sec1(&bytes?).map_err(|e| HarborError::input(e.to_string()))
}

/// The core's view of the app's keystore key (its public half read once).
struct PlatformKeyAdapter {
    key: Arc<dyn PlatformKey>,
    public: P256PublicKey,
}

impl aa::P256Key for PlatformKeyAdapter {
    fn public_key(&self) -> P256PublicKey {
        self.public
    }

    fn sign_digest(&self, digest: &B256) -> Result<(U256, U256), SignError> {
        let signature = crate::to_app(|| self.key.sign_digest(digest.to_vec()))
            .ok_or_else(closing)?
            .map_err(device)?;
        aa::p256_signature(&signature)
    }
}

/// The core's view of the app's passkey (its public half read once).
struct PasskeyAdapter {
    passkey: Arc<dyn PasskeyAuthenticator>,
    public: P256PublicKey,
}

impl aa::Passkey for PasskeyAdapter {
    fn public_key(&self) -> P256PublicKey {
        self.public
    }

    fn get_assertion(&self, challenge: &B256) -> Result<WebAuthnAssertion, SignError> {
        let answer = crate::to_app(|| self.passkey.get_assertion(challenge.to_vec()))
            .ok_or_else(closing)?
            .map_err(device)?;
        let (r, s) = aa::p256_signature(&answer.signature)?;
        Ok(WebAuthnAssertion {
            authenticator_data: answer.authenticator_data.into(),
            client_data_json: String::from_utf8(answer.client_data_json).map_err(|_| {
                SignError::Device("the passkey's clientDataJSON is not UTF-8".into())
            })?,
            r,
            s,
        })
    }
}

#[uniffi::export]
impl Wallet {
    /// Signs for the account owned by `key` (a P-256 key in the phone's keystore) from now on;
    /// returns its address, the same on every network. Sends, batches and dApp signatures from
    /// it ask `key` to sign. Call at each start: the vault stores nothing of the key.
    pub fn add_platform_key_account(&self, key: Arc<dyn PlatformKey>) -> Result<String> {
        let public = public_key(key.public_key())?;
        let owner: Arc<dyn OwnerSigner> =
            Arc::new(PlatformKeyOwner(Arc::new(PlatformKeyAdapter {
                key,
                public,
            })));
        Ok(self.inner.add_external_owner(owner).to_checksum(None))
    }

    /// Signs for the account owned by `passkey` from now on; returns its address. Each
    /// operation asks the passkey for an assertion (the person confirms). Call at each start.
    pub fn add_passkey_account(&self, passkey: Arc<dyn PasskeyAuthenticator>) -> Result<String> {
        let public = public_key(passkey.public_key())?;
        let owner: Arc<dyn OwnerSigner> =
            Arc::new(PasskeyOwner(Arc::new(PasskeyAdapter { passkey, public })));
        Ok(self.inner.add_external_owner(owner).to_checksum(None))
    }
}
