//! EIP-191 `personal_sign` messages.

use alloy_primitives::{Address, B256, eip191_hash_message};

use super::signature::{SignatureError, parse_signature, recover_address};
use crate::keys::{SignError, Signer};

/// The EIP-191 hash of `message`: keccak256("\x19Ethereum Signed Message:\n" ‖ len ‖ message).
pub fn personal_message_hash(message: &[u8]) -> B256 {
    eip191_hash_message(message)
}

/// Signs `message` as `personal_sign` does; returns `r ‖ s ‖ v` with v = 27 or 28.
pub fn sign_personal_message(signer: &dyn Signer, message: &[u8]) -> Result<[u8; 65], SignError> {
    Ok(signer
        .sign_hash(&personal_message_hash(message))?
        .as_bytes())
}

/// Recovers who signed `message` with `personal_sign`.
pub fn recover_personal_message(
    message: &[u8],
    signature: &[u8],
) -> Result<Address, SignatureError> {
    recover_address(
        &personal_message_hash(message),
        &parse_signature(signature)?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::LocalSigner;

    #[test]
    fn known_personal_sign() {
        // Signature produced by ethers/viem for anvil account 0 over "hello world".
        let signer = LocalSigner::from_hex(
            "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
        )
        .unwrap();
        let sig = sign_personal_message(&signer, b"hello world").unwrap();
        assert_eq!(
            alloy_primitives::hex::encode(sig),
            "a461f509887bd19e312c0c58467ce8ff8e300d3c1a90b608a760c5b80318eaf15fe57c96f9175d6cd4daad4663763baa7e78836e067d0163e9a2ccf2ff753f5b1b"
        );
        assert_eq!(
            recover_personal_message(b"hello world", &sig).unwrap(),
            signer.address()
        );
    }
}
