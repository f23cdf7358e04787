//! EIP-712 typed data (`eth_signTypedData_v4`) from the JSON that dApps send.
//!
//! The domain separator is hashed by the `EIP712Domain` type the document declares (its field
//! order, custom fields, and only the values it declares), as MetaMask's eth-sig-util and viem
//! do; a document that declares none gets the standard fields it has values for.

use alloy_dyn_abi::{DynSolType, Eip712Domain};
use alloy_primitives::{B256, keccak256};
use serde_json::Value;

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

crate::classified!(TypedDataError, |e: &TypedDataError| {
    use crate::error::ErrorKind;
    match e {
        TypedDataError::InvalidJson(_)
        | TypedDataError::Encoding(_)
        | TypedDataError::ChainMismatch { .. } => ErrorKind::InvalidInput,
        TypedDataError::Sign(inner) => inner.kind(),
    }
});

/// An `eth_signTypedData_v4` document: types, primary type, domain and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypedData {
    parsed: alloy_dyn_abi::TypedData,
    /// The domain as sent, with any field its declared type names.
    domain: Value,
}

impl TypedData {
    /// The primary type's name.
    pub fn primary_type(&self) -> &str {
        &self.parsed.primary_type
    }

    /// The standard domain fields (name, version, chain id, verifying contract, salt).
    pub fn domain(&self) -> &Eip712Domain {
        &self.parsed.domain
    }

    /// The message, as sent.
    pub fn message(&self) -> &Value {
        &self.parsed.message
    }

    fn domain_separator(&self) -> Result<B256, TypedDataError> {
        let resolver = &self.parsed.resolver;
        if !resolver.contains_type_name("EIP712Domain") {
            return Ok(self.parsed.domain.separator());
        }
        let encoding = |e: alloy_dyn_abi::Error| TypedDataError::Encoding(e.to_string());
        let ty: DynSolType = resolver.resolve("EIP712Domain").map_err(encoding)?;
        let value = ty.coerce_json(&self.domain).map_err(encoding)?;
        let data = resolver
            .encode_data(&value)
            .map_err(encoding)?
            .unwrap_or_default();
        let mut preimage = resolver
            .type_hash("EIP712Domain")
            .map_err(encoding)?
            .to_vec();
        preimage.extend(data);
        Ok(keccak256(preimage))
    }
}

/// Parses `eth_signTypedData_v4` JSON (also when the JSON is itself a JSON string).
pub fn parse_typed_data(json: &str) -> Result<TypedData, TypedDataError> {
    let value: Value =
        serde_json::from_str(json).map_err(|e| TypedDataError::InvalidJson(e.to_string()))?;
    typed_data_from_value(&value)
}

/// Reads typed data from a JSON value: the document, or a string holding it (what sites send).
pub fn typed_data_from_value(value: &Value) -> Result<TypedData, TypedDataError> {
    if let Value::String(json) = value {
        return parse_typed_data(json);
    }
    let parsed: alloy_dyn_abi::TypedData = serde_json::from_value(value.clone())
        .map_err(|e| TypedDataError::InvalidJson(e.to_string()))?;
    let domain = value
        .get("domain")
        .cloned()
        .unwrap_or(Value::Object(Default::default()));
    if !domain.is_object() {
        return Err(TypedDataError::InvalidJson(
            "the domain must be an object".into(),
        ));
    }
    Ok(TypedData { parsed, domain })
}

/// The EIP-712 signing hash: keccak256("\x19\x01" ‖ domainSeparator ‖ hashStruct(message)).
pub fn typed_data_hash(data: &TypedData) -> Result<B256, TypedDataError> {
    let mut preimage = vec![0x19, 0x01];
    preimage.extend_from_slice(data.domain_separator()?.as_slice());
    // As eth-sig-util: a document whose primary type is the domain signs the separator alone.
    if data.parsed.primary_type != "EIP712Domain" {
        let hash = data
            .parsed
            .hash_struct()
            .map_err(|e| TypedDataError::Encoding(e.to_string()))?;
        preimage.extend_from_slice(hash.as_slice());
    }
    Ok(keccak256(preimage))
}

/// Signs typed data; when `active_chain` is given, a domain for another chain is refused.
pub fn sign_typed_data(
    signer: &dyn Signer,
    data: &TypedData,
    active_chain: Option<u64>,
) -> Result<[u8; 65], TypedDataError> {
    if let (Some(expected), Some(found)) = (active_chain, data.domain().chain_id) {
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
