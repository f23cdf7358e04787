//! Who signs for a Harbor account: any owner key the account accepts (see
//! `contracts/src/OwnerSignature.sol`) behind one trait — a secp256k1 key from the vault, a P-256
//! key held by the platform (Android Keystore, Secure Enclave) that signs digests where it lives,
//! or a passkey answering WebAuthn assertions.

use std::sync::Arc;

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_sol_types::{SolValue, sol};
use base64::Engine;

use super::account::DUMMY_SIGNATURE;
use crate::keys::{SignError, Signer};

/// The order of the P-256 group.
const P256_N: U256 = U256::from_be_bytes(alloy_primitives::hex!(
    "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"
));

/// Signature form of a P-256 key signing the digest itself.
const P256_RAW: u8 = 0x01;
/// Signature form of a WebAuthn assertion whose challenge is the digest.
const WEBAUTHN: u8 = 0x02;

sol! {
    /// What a passkey returns besides (r, s), with where the account finds its fields.
    struct Assertion {
        bytes authenticatorData;
        string clientDataJSON;
        uint256 challengeIndex;
        uint256 typeIndex;
    }
}

/// Signs for an account as its owner: UserOperation hashes, ERC-1271 and settings digests.
pub trait OwnerSigner: Send + Sync {
    /// The owner as the account stores it: a secp256k1 key's address or a P-256 key's id.
    fn owner(&self) -> Address;

    /// The signature of `digest` in the form the account checks.
    fn sign_owner(&self, digest: &B256) -> Result<Bytes, SignError>;

    /// A signature of this owner's form that no key made, for gas estimation.
    fn dummy_signature(&self) -> Bytes;
}

impl<T: Signer + ?Sized> OwnerSigner for T {
    fn owner(&self) -> Address {
        self.address()
    }

    fn sign_owner(&self, digest: &B256) -> Result<Bytes, SignError> {
        Ok(Bytes::from(self.sign_hash(digest)?.as_bytes().to_vec()))
    }

    fn dummy_signature(&self) -> Bytes {
        Bytes::copy_from_slice(&DUMMY_SIGNATURE)
    }
}

/// A P-256 public key (affine coordinates).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct P256PublicKey {
    /// x coordinate, big-endian.
    pub x: B256,
    /// y coordinate, big-endian.
    pub y: B256,
}

impl P256PublicKey {
    /// The key from its uncompressed SEC1 form (`04 ‖ x ‖ y`, 65 bytes) or bare `x ‖ y`.
    pub fn from_sec1(bytes: &[u8]) -> Result<Self, SignError> {
        let body = match bytes {
            [0x04, rest @ ..] if rest.len() == 64 => rest,
            rest if rest.len() == 64 => rest,
            _ => {
                return Err(SignError::Device(
                    "a P-256 public key has 64 bytes (x, y), optionally after 0x04".into(),
                ));
            }
        };
        Ok(P256PublicKey {
            x: B256::from_slice(&body[..32]),
            y: B256::from_slice(&body[32..]),
        })
    }

    /// The key's owner id in an account: the last 20 bytes of keccak256(abi.encode(x, y)).
    pub fn key_id(&self) -> Address {
        let hash = keccak256((self.x, self.y).abi_encode_params());
        Address::from_slice(&hash[12..])
    }
}

/// `s` or `n - s`, whichever is in the lower half (the account refuses the upper one).
fn low_s(s: U256) -> U256 {
    if s > P256_N >> 1 { P256_N - s } else { s }
}

/// (r, s) of a P-256 signature as a platform returns it: DER (X9.62, what Keystore, the Secure
/// Enclave and WebAuthn give) or the 64 bytes r ‖ s.
pub fn p256_signature(bytes: &[u8]) -> Result<(U256, U256), SignError> {
    let bad = || SignError::Device("the key's signature is neither DER nor r ‖ s".into());
    if bytes.len() == 64 {
        return Ok((
            U256::from_be_slice(&bytes[..32]),
            U256::from_be_slice(&bytes[32..]),
        ));
    }
    let body = match bytes {
        [0x30, len, rest @ ..] if usize::from(*len) == rest.len() => rest,
        _ => return Err(bad()),
    };
    let integer = |input: &[u8]| -> Result<(U256, usize), SignError> {
        let [0x02, len, rest @ ..] = input else {
            return Err(bad());
        };
        let len = usize::from(*len);
        let value = rest.get(..len).ok_or_else(bad)?;
        // Positive, minimal, at most 32 bytes after a sign-guard zero.
        let digits = match value {
            [] => return Err(bad()),
            [0, next, ..] if next & 0x80 == 0 => return Err(bad()),
            [0, tail @ ..] => tail,
            [first, ..] if first & 0x80 != 0 => return Err(bad()),
            all => all,
        };
        if digits.len() > 32 {
            return Err(bad());
        }
        Ok((U256::from_be_slice(digits), 2 + len))
    };
    let (r, used) = integer(body)?;
    let (s, used_s) = integer(&body[used..])?;
    if used + used_s != body.len() {
        return Err(bad());
    }
    Ok((r, s))
}

/// A P-256 key that signs 32-byte digests where it lives (Android Keystore `NONEwithECDSA`,
/// Secure Enclave `ecdsaSignatureDigestX962SHA256`), implemented by the app.
pub trait P256Key: Send + Sync {
    /// The key's public half.
    fn public_key(&self) -> P256PublicKey;

    /// The ECDSA signature (r, s) of `digest` as given (not hashed again); any s.
    fn sign_digest(&self, digest: &B256) -> Result<(U256, U256), SignError>;
}

/// The owner signer of a platform P-256 key.
#[derive(Clone)]
pub struct PlatformKeyOwner(pub Arc<dyn P256Key>);

impl std::fmt::Debug for PlatformKeyOwner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PlatformKeyOwner")
            .field(&self.owner())
            .finish()
    }
}

impl OwnerSigner for PlatformKeyOwner {
    fn owner(&self) -> Address {
        self.0.public_key().key_id()
    }

    fn sign_owner(&self, digest: &B256) -> Result<Bytes, SignError> {
        let key = self.0.public_key();
        let (r, s) = self.0.sign_digest(digest)?;
        Ok(p256_raw_signature(&key, r, low_s(s)))
    }

    fn dummy_signature(&self) -> Bytes {
        p256_raw_signature(&self.0.public_key(), U256::from(1), U256::from(1))
    }
}

fn p256_raw_signature(key: &P256PublicKey, r: U256, s: U256) -> Bytes {
    let mut out = vec![P256_RAW];
    out.extend((key.x, key.y, B256::from(r), B256::from(s)).abi_encode_params());
    out.into()
}

/// A passkey's answer to `navigator.credentials.get` (or the platform's passkey API).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebAuthnAssertion {
    /// `authenticatorData` as returned.
    pub authenticator_data: Bytes,
    /// `clientDataJSON` as returned (UTF-8).
    pub client_data_json: String,
    /// The signature's r.
    pub r: U256,
    /// The signature's s (any half).
    pub s: U256,
}

/// A passkey (WebAuthn credential, P-256), implemented by the app over the platform's API.
pub trait Passkey: Send + Sync {
    /// The credential's public key (from its registration).
    fn public_key(&self) -> P256PublicKey;

    /// An assertion whose challenge is `challenge` (32 bytes, base64url in clientDataJSON),
    /// with the user verified (biometrics or PIN).
    fn get_assertion(&self, challenge: &B256) -> Result<WebAuthnAssertion, SignError>;
}

/// The owner signer of a passkey.
#[derive(Clone)]
pub struct PasskeyOwner(pub Arc<dyn Passkey>);

impl std::fmt::Debug for PasskeyOwner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PasskeyOwner").field(&self.owner()).finish()
    }
}

impl OwnerSigner for PasskeyOwner {
    fn owner(&self) -> Address {
        self.0.public_key().key_id()
    }

    fn sign_owner(&self, digest: &B256) -> Result<Bytes, SignError> {
        let key = self.0.public_key();
        let assertion = self.0.get_assertion(digest)?;
        webauthn_signature(&key, digest, &assertion)
    }

    fn dummy_signature(&self) -> Bytes {
        let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([0u8; 32]);
        let json = format!(
            r#"{{"type":"webauthn.get","challenge":"{challenge}","origin":"https://harbor.invalid","crossOrigin":false}}"#
        );
        let assertion = WebAuthnAssertion {
            authenticator_data: Bytes::from(vec![0u8; 37]),
            client_data_json: json,
            r: U256::from(1),
            s: U256::from(1),
        };
        encode_webauthn(&self.0.public_key(), &assertion, 23, 1)
    }
}

/// The account-side signature of `assertion` for `digest` by `key`; refuses an assertion for
/// another challenge, of another type, or without the user present and verified.
pub fn webauthn_signature(
    key: &P256PublicKey,
    digest: &B256,
    assertion: &WebAuthnAssertion,
) -> Result<Bytes, SignError> {
    let json = &assertion.client_data_json;
    let type_index = json
        .find(r#""type":"webauthn.get""#)
        .ok_or_else(|| SignError::Device("the passkey's answer is not an assertion".into()))?;
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
    let challenge_index = json
        .find(&format!(r#""challenge":"{challenge}""#))
        .ok_or_else(|| SignError::Device("the passkey answered another challenge".into()))?;
    let flags = assertion
        .authenticator_data
        .get(32)
        .ok_or_else(|| SignError::Device("the passkey's authenticator data is too short".into()))?;
    if flags & 0x01 == 0 || flags & 0x04 == 0 {
        return Err(SignError::Device(
            "the passkey did not verify the user (biometrics or PIN)".into(),
        ));
    }
    Ok(encode_webauthn(key, assertion, challenge_index, type_index))
}

fn encode_webauthn(
    key: &P256PublicKey,
    assertion: &WebAuthnAssertion,
    challenge_index: usize,
    type_index: usize,
) -> Bytes {
    let body = Assertion {
        authenticatorData: assertion.authenticator_data.clone(),
        clientDataJSON: assertion.client_data_json.clone(),
        challengeIndex: U256::from(challenge_index),
        typeIndex: U256::from(type_index),
    };
    let mut out = vec![WEBAUTHN];
    out.extend(
        (
            key.x,
            key.y,
            B256::from(assertion.r),
            B256::from(low_s(assertion.s)),
            body,
        )
            .abi_encode_params(),
    );
    out.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{address, b256, hex};

    /// W3C WebAuthn Level 3, § Test Vectors, "ES256 Credential with topOrigin": authentication.
    fn top_origin() -> (P256PublicKey, B256, WebAuthnAssertion) {
        let key = P256PublicKey {
            x: b256!("a1c47c1d82da4ebe82cd72207102b380670701993bc35398ae2e5726427fe01d"),
            y: b256!("86c1080d82987028c7f54ecb1b01185de243b359294a0ed210cd47480f0adc88"),
        };
        let challenge = b256!("d54a5c8ca4b62a8e3bb321e3b2bc73856f85a10150db2939ac195739eb1ea066");
        let assertion = WebAuthnAssertion {
            authenticator_data: hex!(
                "bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b50500000000"
            )
            .to_vec()
            .into(),
            client_data_json: r#"{"type":"webauthn.get","challenge":"1UpcjKS2Ko47syHjsrxzhW-FoQFQ2yk5rBlXOeseoGY","origin":"https://example.org","crossOrigin":true,"topOrigin":"https://example.com","extraData":"clientDataJSON may be extended with additional fields in the future, such as this: UiFoJMVRQHDAFWFi4vxUpQ"}"#.into(),
            r: U256::from_be_bytes(hex!(
                "b5a70c81780d5fcc9a4f2ae9caae99058f8accaf58b91fb59329646c28ac6ffc"
            )),
            s: U256::from_be_bytes(hex!(
                "12e101c165db3c8e9957f0c54dd6ca9b56bc3bd2f280bd2faa6c1d02c6e5c171"
            )),
        };
        (key, challenge, assertion)
    }

    #[test]
    fn key_id_is_the_accounts() {
        let (key, _, _) = top_origin();
        // `cast keccak $(cast abi-encode "f(uint256,uint256)" x y)`, last 20 bytes.
        assert_eq!(
            key.key_id(),
            address!("677ab804a271011865d9dcc6b8baf4548e93b278")
        );
        let mut sec1 = vec![0x04];
        sec1.extend_from_slice(key.x.as_slice());
        sec1.extend_from_slice(key.y.as_slice());
        assert_eq!(P256PublicKey::from_sec1(&sec1).unwrap(), key);
        assert_eq!(P256PublicKey::from_sec1(&sec1[1..]).unwrap(), key);
        assert!(P256PublicKey::from_sec1(&sec1[2..]).is_err());
    }

    #[test]
    fn webauthn_vector_encodes_with_its_offsets() {
        let (key, challenge, assertion) = top_origin();
        let signature = webauthn_signature(&key, &challenge, &assertion).unwrap();
        assert_eq!(signature[0], WEBAUTHN);
        let (x, y, r, s, body) =
            <(B256, B256, B256, B256, Assertion)>::abi_decode_params(&signature[1..]).unwrap();
        assert_eq!(
            (x, y, U256::from_be_bytes(r.0)),
            (key.x, key.y, assertion.r)
        );
        assert_eq!(U256::from_be_bytes(s.0), assertion.s, "already low");
        assert_eq!(body.challengeIndex, U256::from(23));
        assert_eq!(body.typeIndex, U256::from(1));
        assert_eq!(body.clientDataJSON, assertion.client_data_json);
    }

    #[test]
    fn webauthn_refuses_other_challenges_and_unverified_users() {
        let (key, challenge, assertion) = top_origin();
        let other = B256::repeat_byte(7);
        assert!(matches!(
            webauthn_signature(&key, &other, &assertion),
            Err(SignError::Device(m)) if m.contains("another challenge")
        ));
        let mut unverified = assertion.clone();
        let mut data = unverified.authenticator_data.to_vec();
        data[32] = 0x01;
        unverified.authenticator_data = data.into();
        assert!(matches!(
            webauthn_signature(&key, &challenge, &unverified),
            Err(SignError::Device(m)) if m.contains("verify the user")
        ));
        let mut create = assertion;
        create.client_data_json = create
            .client_data_json
            .replace("webauthn.get", "webauthn.create");
        assert!(webauthn_signature(&key, &challenge, &create).is_err());
    }

    #[test]
    fn platform_signatures_in_der_or_raw() {
        // The W3C "ES256 topOrigin" assertion's signature, DER as the authenticator gave it.
        let der = hex!(
            "3045022100b5a70c81780d5fcc9a4f2ae9caae99058f8accaf58b91fb59329646c28ac6ffc022012e101c165db3c8e9957f0c54dd6ca9b56bc3bd2f280bd2faa6c1d02c6e5c171"
        );
        let (_, _, assertion) = top_origin();
        assert_eq!(p256_signature(&der).unwrap(), (assertion.r, assertion.s));
        let mut raw = assertion.r.to_be_bytes::<32>().to_vec();
        raw.extend_from_slice(&assertion.s.to_be_bytes::<32>());
        assert_eq!(p256_signature(&raw).unwrap(), (assertion.r, assertion.s));
        // Truncated, trailing bytes, a negative integer, a non-minimal one: refused.
        assert!(p256_signature(&der[..der.len() - 1]).is_err());
        let mut longer = der.to_vec();
        longer.push(0);
        assert!(p256_signature(&longer).is_err());
        assert!(p256_signature(&hex!("3006020180020101")).is_err());
        assert!(p256_signature(&hex!("300702020001020101")).is_err());
        assert_eq!(
            p256_signature(&hex!("3006020101020102")).unwrap(),
            (U256::from(1), U256::from(2))
        );
        assert!(p256_signature(&[]).is_err());
    }

    #[test]
    fn high_s_is_flipped() {
        let high = P256_N - U256::from(5);
        assert_eq!(low_s(high), U256::from(5));
        assert_eq!(low_s(U256::from(5)), U256::from(5));
    }
}
