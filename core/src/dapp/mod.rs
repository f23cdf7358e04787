//! EIP-1193 signing requests from dApps: parsed into typed requests the user can approve in clear
//! words, then signed. Raw-hash `eth_sign` is refused: it lets a site obtain a signature over
//! anything, including a transaction, without the user being able to see what it is.

use alloy_primitives::{Address, Bytes, hex};
use serde_json::Value;

use crate::evm::{
    TransactionRequest, TxError, TypedData, TypedDataError, sign_personal_message,
    sign_transaction, sign_typed_data, typed_data_from_value, typed_data_hash,
};
use crate::keys::{SignError, Signer};

/// Why a dApp request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DappError {
    /// `eth_sign` signs a raw hash the user cannot read; Harbor never does.
    #[error(
        "eth_sign is refused: it would sign data you cannot read; the site should use personal_sign or eth_signTypedData_v4"
    )]
    EthSignRefused,
    /// A method Harbor does not sign for.
    #[error("the method {0} is not supported")]
    UnsupportedMethod(String),
    /// The parameters do not have the shape the method requires.
    #[error("invalid parameters for {method}: {reason}")]
    InvalidParams {
        /// The method.
        method: String,
        /// What is wrong.
        reason: String,
    },
    /// The request names an account other than the one connected.
    #[error(
        "the site asked for a signature from {requested}, but the connected account is {connected}"
    )]
    WrongAccount {
        /// Address named in the request.
        requested: Address,
        /// The account that would sign.
        connected: Address,
    },
    /// Typed data was rejected.
    #[error(transparent)]
    TypedData(#[from] TypedDataError),
    /// The transaction was rejected.
    #[error(transparent)]
    Transaction(#[from] TxError),
    /// Signing failed.
    #[error(transparent)]
    Sign(#[from] SignError),
}

crate::classified!(DappError, |e: &DappError| {
    use crate::error::ErrorKind;
    match e {
        DappError::EthSignRefused
        | DappError::UnsupportedMethod(_)
        | DappError::WrongAccount { .. }
        | DappError::InvalidParams { .. } => ErrorKind::InvalidInput,
        DappError::TypedData(inner) => inner.kind(),
        DappError::Transaction(inner) => inner.kind(),
        DappError::Sign(inner) => inner.kind(),
    }
});

impl DappError {
    /// The EIP-1193 / JSON-RPC error code to return to the dApp.
    pub fn rpc_code(&self) -> i64 {
        match self {
            Self::EthSignRefused | Self::UnsupportedMethod(_) => crate::codes::UNSUPPORTED_METHOD,
            Self::WrongAccount { .. } => crate::codes::UNAUTHORIZED_ACCOUNT,
            Self::InvalidParams { .. } | Self::TypedData(_) | Self::Transaction(_) => {
                crate::codes::INVALID_PARAMS
            }
            Self::Sign(_) => crate::codes::INTERNAL_ERROR,
        }
    }
}

/// A signing request, parsed and checked, waiting for the user's approval.
#[derive(Debug, Clone, PartialEq)]
pub enum SignRequest {
    /// `personal_sign`: an EIP-191 message.
    PersonalMessage {
        /// The message bytes.
        message: Bytes,
    },
    /// `eth_signTypedData_v4`: EIP-712 structured data.
    TypedData(Box<TypedData>),
    /// `eth_signTransaction`: a transaction to sign (not send).
    Transaction(Box<TransactionRequest>),
}

/// What the approval screen shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    /// One line: what the site asks for.
    pub title: String,
    /// The details, one per line, in the order to show them.
    pub details: Vec<String>,
}

fn invalid(method: &str, reason: impl Into<String>) -> DappError {
    DappError::InvalidParams {
        method: method.to_owned(),
        reason: reason.into(),
    }
}

fn param_address(method: &str, value: &Value) -> Result<Address, DappError> {
    value
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid(method, "expected an address"))
}

fn check_account(requested: Address, connected: Address) -> Result<(), DappError> {
    if requested != connected {
        return Err(DappError::WrongAccount {
            requested,
            connected,
        });
    }
    Ok(())
}

/// Parses an EIP-1193 request (`method` and its `params`) for the `connected` account.
pub fn parse_request(
    method: &str,
    params: &Value,
    connected: Address,
) -> Result<SignRequest, DappError> {
    let list = params.as_array().map(Vec::as_slice).unwrap_or_default();
    match method {
        "eth_sign" => Err(DappError::EthSignRefused),
        "personal_sign" => {
            let [message, address, ..] = list else {
                return Err(invalid(method, "expected [message, address]"));
            };
            check_account(param_address(method, address)?, connected)?;
            let text = message
                .as_str()
                .ok_or_else(|| invalid(method, "the message must be a string"))?;
            let message = personal_message_bytes(text);
            Ok(SignRequest::PersonalMessage { message })
        }
        "eth_signTypedData_v4" => {
            let [address, data, ..] = list else {
                return Err(invalid(method, "expected [address, typedData]"));
            };
            check_account(param_address(method, address)?, connected)?;
            // Sites send the document as a JSON string (the standard) or as an object.
            let parsed = typed_data_from_value(data)?;
            typed_data_hash(&parsed)?;
            Ok(SignRequest::TypedData(Box::new(parsed)))
        }
        "eth_signTransaction" => {
            let [tx, ..] = list else {
                return Err(invalid(method, "expected [transaction]"));
            };
            let request: TransactionRequest =
                serde_json::from_value(tx.clone()).map_err(|e| invalid(method, e.to_string()))?;
            if let Some(from) = request.from {
                check_account(from, connected)?;
            }
            Ok(SignRequest::Transaction(Box::new(request)))
        }
        other => Err(DappError::UnsupportedMethod(other.to_owned())),
    }
}

/// The bytes a `personal_sign` message stands for, as MetaMask's eth-sig-util reads it: `0x`
/// followed by hex digits is hex (an odd number of digits gets a leading zero: `0xabc` is
/// `0x0abc`); anything else is UTF-8 text.
pub fn personal_message_bytes(text: &str) -> Bytes {
    match text.strip_prefix("0x") {
        Some(digits) if digits.chars().all(|c| c.is_ascii_hexdigit()) => {
            let padded = if digits.len() % 2 == 1 {
                format!("0{digits}")
            } else {
                digits.to_owned()
            };
            hex::decode(padded)
                .map_or_else(|_| Bytes::copy_from_slice(text.as_bytes()), Bytes::from)
        }
        _ => Bytes::copy_from_slice(text.as_bytes()),
    }
}

impl SignRequest {
    /// The words the approval screen shows.
    pub fn approval(&self, origin: &str) -> Approval {
        match self {
            Self::PersonalMessage { message } => {
                let shown = match std::str::from_utf8(message) {
                    Ok(text) if !text.chars().any(|c| c.is_control() && c != '\n') => {
                        text.to_owned()
                    }
                    _ => format!("(binary data, {} bytes) {}", message.len(), message),
                };
                Approval {
                    title: format!("{origin} asks you to sign a message"),
                    details: vec![
                        shown,
                        "Signing a message costs nothing and moves no funds.".into(),
                    ],
                }
            }
            Self::TypedData(data) => {
                let mut details = vec![format!("Type: {}", data.primary_type())];
                let domain = data.domain();
                if let Some(name) = &domain.name {
                    details.push(format!("App: {name}"));
                }
                if let Some(chain) = domain.chain_id {
                    details.push(format!("Network: chain {chain}"));
                }
                if let Some(contract) = domain.verifying_contract {
                    details.push(format!("Contract: {contract}"));
                }
                details.push(format!("Content: {}", data.message()));
                Approval {
                    title: format!("{origin} asks you to sign structured data"),
                    details,
                }
            }
            Self::Transaction(tx) => {
                let mut details = Vec::new();
                match tx.to {
                    Some(to) => details.push(format!("To: {to}")),
                    None => details.push("Creates a new contract".into()),
                }
                details.push(format!("Amount: {} wei", tx.value.unwrap_or_default()));
                if let Some(data) = tx.data.as_ref().filter(|d| !d.is_empty()) {
                    details.push(format!(
                        "Calls the contract with {} bytes of data",
                        data.len()
                    ));
                }
                if let Some(chain) = tx.chain_id {
                    details.push(format!("Network: chain {chain}"));
                }
                Approval {
                    title: format!("{origin} asks you to sign a transaction"),
                    details,
                }
            }
        }
    }

    /// Signs the approved request; returns the JSON-RPC result (a hex string).
    pub fn sign(&self, signer: &dyn Signer, active_chain: u64) -> Result<Value, DappError> {
        let hex_result = match self {
            Self::PersonalMessage { message } => {
                Bytes::from(sign_personal_message(signer, message)?.to_vec()).to_string()
            }
            Self::TypedData(data) => {
                Bytes::from(sign_typed_data(signer, data, Some(active_chain))?.to_vec()).to_string()
            }
            Self::Transaction(tx) => sign_transaction(signer, tx, Some(active_chain))?
                .raw
                .to_string(),
        };
        Ok(Value::String(hex_result))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evm::recover_personal_message;
    use crate::keys::LocalSigner;
    use serde_json::json;

    fn signer() -> LocalSigner {
        LocalSigner::from_hex("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
            .unwrap()
    }

    #[test]
    fn eth_sign_is_refused() {
        let s = signer();
        let err = parse_request(
            "eth_sign",
            &json!([s.address(), "0x".to_owned() + &"11".repeat(32)]),
            s.address(),
        )
        .unwrap_err();
        assert_eq!(err, DappError::EthSignRefused);
        assert_eq!(err.rpc_code(), 4200);
    }

    #[test]
    fn personal_sign_hex_and_text() {
        let s = signer();
        let request = parse_request(
            "personal_sign",
            &json!(["0x68656c6c6f", s.address()]),
            s.address(),
        )
        .unwrap();
        assert_eq!(
            request,
            SignRequest::PersonalMessage {
                message: Bytes::from_static(b"hello")
            }
        );
        let approval = request.approval("example.org");
        assert_eq!(approval.title, "example.org asks you to sign a message");
        assert_eq!(approval.details[0], "hello");
        let signature = request.sign(&s, 1).unwrap();
        let bytes = hex::decode(signature.as_str().unwrap()).unwrap();
        assert_eq!(
            recover_personal_message(b"hello", &bytes).unwrap(),
            s.address()
        );
        let text = parse_request(
            "personal_sign",
            &json!(["hi there", s.address()]),
            s.address(),
        )
        .unwrap();
        assert_eq!(
            text,
            SignRequest::PersonalMessage {
                message: Bytes::from_static(b"hi there")
            }
        );
    }

    #[test]
    fn precise_errors() {
        let s = signer();
        let other = Address::repeat_byte(7);
        assert_eq!(
            parse_request("personal_sign", &json!(["0x00", other]), s.address()).unwrap_err(),
            DappError::WrongAccount {
                requested: other,
                connected: s.address()
            }
        );
        assert!(matches!(
            parse_request("personal_sign", &json!(["0x00"]), s.address()).unwrap_err(),
            DappError::InvalidParams { .. }
        ));
        assert!(matches!(
            parse_request(
                "eth_signTypedData_v4",
                &json!([s.address(), "{not json"]),
                s.address()
            )
            .unwrap_err(),
            DappError::TypedData(TypedDataError::InvalidJson(_))
        ));
        assert_eq!(
            parse_request("wallet_drainEverything", &json!([]), s.address()).unwrap_err(),
            DappError::UnsupportedMethod("wallet_drainEverything".into())
        );
    }

    #[test]
    fn transaction_request_is_checked_against_active_chain() {
        let s = signer();
        let tx = json!({"from": s.address(), "to": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "value": "0x1",
                        "chainId": "0x1", "nonce": "0x0", "gas": "0x5208", "maxFeePerGas": "0x2", "maxPriorityFeePerGas": "0x1"});
        let request = parse_request("eth_signTransaction", &json!([tx]), s.address()).unwrap();
        assert_eq!(request.approval("dapp.test").details[1], "Amount: 1 wei");
        assert!(matches!(
            request.sign(&s, 10).unwrap_err(),
            DappError::Transaction(TxError::ChainMismatch {
                expected: 10,
                found: 1
            })
        ));
        assert!(request.sign(&s, 1).is_ok());
    }
}
