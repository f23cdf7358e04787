//! EIP-712 typed data (`eth_signTypedData_v4`) from the JSON that dApps send.

use alloy_dyn_abi::TypedData;
use alloy_primitives::B256;

use crate::keys::{SignError, Signer};

/// Why typed data could not be hashed or signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TypedDataError {
    /// The JSON is malformed or misses `types`, `primaryType`, `domain` or `message`.
    #[error("the typed data is not valid EIP-712 JSON: {0}")]
    InvalidJson(String),
    /// The values do not fit the declared types (a missing field, a number too wide, a bad
    /// address, an unknown type, a recursive type …).
    #[error("the typed data does not match its types: {0}")]
    Encoding(String),
    /// The domain names a chain other than the one the wallet is using.
    #[error("the typed data is for chain {found}, but the wallet is on chain {expected}")]
    ChainMismatch {
        /// The wallet's active chain.
        expected: u64,
        /// The domain's `chainId`.
        found: u64,
    },
    /// Signing failed.
    #[error(transparent)]
    Sign(#[from] SignError),
}

/// Parses `eth_signTypedData_v4` JSON.
pub fn parse_typed_data(json: &str) -> Result<TypedData, TypedDataError> {
    serde_json::from_str(json).map_err(|e| TypedDataError::InvalidJson(e.to_string()))
}

/// The EIP-712 signing hash: keccak256("\x19\x01" ‖ domainSeparator ‖ hashStruct(message)).
pub fn typed_data_hash(data: &TypedData) -> Result<B256, TypedDataError> {
    data.eip712_signing_hash()
        .map_err(|e| TypedDataError::Encoding(e.to_string()))
}

/// Signs typed data; when `active_chain` is given, a domain for another chain is refused.
pub fn sign_typed_data(
    signer: &dyn Signer,
    data: &TypedData,
    active_chain: Option<u64>,
) -> Result<[u8; 65], TypedDataError> {
    if let (Some(expected), Some(found)) = (active_chain, data.domain.chain_id) {
        let found: u64 = found.try_into().unwrap_or(u64::MAX);
        if found != expected {
            return Err(TypedDataError::ChainMismatch { expected, found });
        }
    }
    let hash = typed_data_hash(data)?;
    Ok(signer.sign_hash(&hash)?.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::LocalSigner;

    /// The "Mail" example from the EIP-712 specification.
    pub(crate) const MAIL: &str = r#"{
      "types": {
        "EIP712Domain": [
          {"name": "name", "type": "string"},
          {"name": "version", "type": "string"},
          {"name": "chainId", "type": "uint256"},
          {"name": "verifyingContract", "type": "address"}
        ],
        "Person": [{"name": "name", "type": "string"}, {"name": "wallet", "type": "address"}],
        "Mail": [
          {"name": "from", "type": "Person"},
          {"name": "to", "type": "Person"},
          {"name": "contents", "type": "string"}
        ]
      },
      "primaryType": "Mail",
      "domain": {
        "name": "Ether Mail",
        "version": "1",
        "chainId": 1,
        "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"
      },
      "message": {
        "from": {"name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
        "to": {"name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},
        "contents": "Hello, Bob!"
      }
    }"#;

    #[test]
    fn eip712_spec_vector() {
        // Hash and signature from the EIP-712 reference (private key keccak256("cow")).
        let data = parse_typed_data(MAIL).unwrap();
        assert_eq!(
            typed_data_hash(&data).unwrap().to_string(),
            "0xbe609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2"
        );
        let cow = LocalSigner::from_slice(alloy_primitives::keccak256(b"cow").as_slice()).unwrap();
        let sig = sign_typed_data(&cow, &data, Some(1)).unwrap();
        assert_eq!(
            alloy_primitives::hex::encode(sig),
            "4355c47d63924e8a72e509b65029052eb6c299d53a04e167c5775fd466751c9d\
             07299936d304c153f6443dfa05f40ff007d72911b6f72307f996231605b91562\
             1c"
        );
    }

    #[test]
    fn chain_mismatch_refused() {
        let data = parse_typed_data(MAIL).unwrap();
        let signer = LocalSigner::random().unwrap();
        assert_eq!(
            sign_typed_data(&signer, &data, Some(10)).unwrap_err(),
            TypedDataError::ChainMismatch {
                expected: 10,
                found: 1
            }
        );
    }

    #[test]
    fn malformed_json_and_values() {
        assert!(matches!(
            parse_typed_data("{"),
            Err(TypedDataError::InvalidJson(_))
        ));
        assert!(matches!(
            parse_typed_data("{}"),
            Err(TypedDataError::InvalidJson(_))
        ));
        let bad_address = MAIL.replace("0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB", "0x1234");
        let data = parse_typed_data(&bad_address);
        let err = data.and_then(|d| typed_data_hash(&d)).unwrap_err();
        assert!(
            matches!(
                err,
                TypedDataError::Encoding(_) | TypedDataError::InvalidJson(_)
            ),
            "{err:?}"
        );
        let unknown_type = MAIL.replace("\"type\": \"Person\"}", "\"type\": \"Persn\"}");
        let err = parse_typed_data(&unknown_type)
            .and_then(|d| typed_data_hash(&d))
            .unwrap_err();
        assert!(matches!(
            err,
            TypedDataError::Encoding(_) | TypedDataError::InvalidJson(_)
        ));
    }
}
