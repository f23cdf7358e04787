//! Transactions: legacy (EIP-155), EIP-2930, EIP-1559 and EIP-7702, built from the request shape
//! dApps send (`eth_signTransaction`), signed, encoded (EIP-2718) and decoded.

use alloy_consensus::{
    SignableTransaction, TxEip1559, TxEip2930, TxEip7702, TxEnvelope, TxLegacy, TypedTransaction,
};
use alloy_eips::{
    eip2718::{Decodable2718, Encodable2718},
    eip2930::AccessList,
    eip7702::{Authorization, SignedAuthorization},
};
use alloy_primitives::{Address, B256, Bytes, TxKind, U64, U128, U256};
use serde::{Deserialize, Serialize};

use super::signature::{SignatureError, recover_address};
use crate::keys::{SignError, Signer};

/// Why a transaction could not be built, signed or decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    /// No chain id: every signed transaction is bound to one chain (EIP-155).
    #[error("the transaction has no chainId")]
    MissingChainId,
    /// No nonce.
    #[error("the transaction has no nonce")]
    MissingNonce,
    /// No gas limit.
    #[error("the transaction has no gas limit")]
    MissingGas,
    /// No fee fields for the transaction's type.
    #[error("the transaction has no fees: set {expected}")]
    MissingFees {
        /// The fields that are expected.
        expected: &'static str,
    },
    /// Both `gasPrice` and EIP-1559 fee fields were given.
    #[error("the transaction sets both gasPrice and maxFeePerGas/maxPriorityFeePerGas")]
    ConflictingFees,
    /// The field does not belong to the requested transaction type.
    #[error("{field} is not allowed in a type {tx_type} transaction")]
    FieldNotAllowed {
        /// The offending field.
        field: &'static str,
        /// The transaction type.
        tx_type: u8,
    },
    /// maxPriorityFeePerGas is above maxFeePerGas.
    #[error("maxPriorityFeePerGas is higher than maxFeePerGas")]
    PriorityFeeTooHigh,
    /// A transaction type this wallet does not sign (blob transactions, unknown types).
    #[error("transaction type {0} is not supported")]
    UnsupportedType(u8),
    /// EIP-7702 transactions must call an address; they cannot create a contract.
    #[error("an EIP-7702 transaction needs a `to` address")]
    MissingRecipient,
    /// EIP-7702 transactions need at least one authorization.
    #[error("an EIP-7702 transaction needs a non-empty authorizationList")]
    EmptyAuthorizationList,
    /// A chain-id-0 authorization (valid on every chain) was not explicitly allowed.
    #[error(
        "this authorization has chain id 0, which makes it valid on every chain; it is only \
         signed when explicitly allowed"
    )]
    AnyChainAuthorizationNotAllowed,
    /// The request's chain differs from the wallet's active chain.
    #[error("the transaction is for chain {found}, but the wallet is on chain {expected}")]
    ChainMismatch {
        /// The active chain.
        expected: u64,
        /// The request's chain.
        found: u64,
    },
    /// The request names a sender other than the signing account.
    #[error("the transaction is from {found}, but the signing account is {expected}")]
    SenderMismatch {
        /// The signing account.
        expected: Address,
        /// The request's `from`.
        found: Address,
    },
    /// The raw bytes are not a valid encoded transaction.
    #[error("the transaction bytes cannot be decoded: {0}")]
    Decode(String),
    /// The transaction's signature is invalid.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// Signing failed.
    #[error(transparent)]
    Sign(#[from] SignError),
}

crate::classified!(TxError, |e: &TxError| {
    use crate::error::ErrorKind;
    match e {
        TxError::MissingChainId
        | TxError::MissingNonce
        | TxError::MissingGas
        | TxError::MissingFees { .. }
        | TxError::ConflictingFees
        | TxError::FieldNotAllowed { .. }
        | TxError::PriorityFeeTooHigh
        | TxError::UnsupportedType(_)
        | TxError::MissingRecipient
        | TxError::EmptyAuthorizationList
        | TxError::AnyChainAuthorizationNotAllowed
        | TxError::ChainMismatch { .. }
        | TxError::SenderMismatch { .. }
        | TxError::Decode(_) => ErrorKind::InvalidInput,
        TxError::Signature(inner) => inner.kind(),
        TxError::Sign(inner) => inner.kind(),
    }
});

/// The EIP-2718 transaction types this wallet signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TxType {
    /// Type 0, with EIP-155 replay protection.
    Legacy,
    /// Type 1, with an access list.
    Eip2930,
    /// Type 2, with a base fee and a priority fee.
    Eip1559,
    /// Type 4, setting code on externally owned accounts.
    Eip7702,
}

impl TxType {
    fn from_byte(byte: u8) -> Result<Self, TxError> {
        match byte {
            0 => Ok(TxType::Legacy),
            1 => Ok(TxType::Eip2930),
            2 => Ok(TxType::Eip1559),
            4 => Ok(TxType::Eip7702),
            other => Err(TxError::UnsupportedType(other)),
        }
    }

    fn byte(self) -> u8 {
        match self {
            TxType::Legacy => 0,
            TxType::Eip2930 => 1,
            TxType::Eip1559 => 2,
            TxType::Eip7702 => 4,
        }
    }
}

/// A transaction as dApps send it to `eth_signTransaction` / `eth_sendTransaction` (hex quantities).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionRequest {
    /// EIP-2718 type; inferred from the fee fields when absent.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub tx_type: Option<U64>,
    /// The sender the dApp expects (checked against the signer when present).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Address>,
    /// Recipient; absent for a contract creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Address>,
    /// Amount of the native coin in wei.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<U256>,
    /// Call data (`input` is accepted as an alias).
    #[serde(default, alias = "input", skip_serializing_if = "Option::is_none")]
    pub data: Option<Bytes>,
    /// Chain id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain_id: Option<U64>,
    /// Sender nonce.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<U64>,
    /// Gas limit (`gasLimit` is accepted as an alias).
    #[serde(default, alias = "gasLimit", skip_serializing_if = "Option::is_none")]
    pub gas: Option<U64>,
    /// Gas price for legacy and EIP-2930 transactions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gas_price: Option<U128>,
    /// EIP-1559 fee cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_fee_per_gas: Option<U128>,
    /// EIP-1559 tip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_priority_fee_per_gas: Option<U128>,
    /// EIP-2930 access list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_list: Option<AccessList>,
    /// EIP-7702 signed authorizations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_list: Option<Vec<SignedAuthorization>>,
}

/// A signed transaction ready for `eth_sendRawTransaction`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedTransaction {
    /// EIP-2718 encoding.
    pub raw: Bytes,
    /// Transaction hash.
    pub hash: B256,
    /// The signer's address.
    pub from: Address,
}

/// A decoded, signature-checked transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedTransaction {
    /// The decoded envelope.
    pub envelope: TxEnvelope,
    /// The address recovered from its signature.
    pub from: Address,
}

/// Validates a request and turns it into an unsigned typed transaction.
pub fn build_transaction(request: &TransactionRequest) -> Result<TypedTransaction, TxError> {
    let tx_type = match request.tx_type {
        Some(t) => TxType::from_byte(u8::try_from(t.to::<u64>()).unwrap_or(u8::MAX))?,
        None => infer_type(request),
    };
    let chain_id = request.chain_id.ok_or(TxError::MissingChainId)?.to::<u64>();
    let nonce = request.nonce.ok_or(TxError::MissingNonce)?.to::<u64>();
    let gas_limit = request.gas.ok_or(TxError::MissingGas)?.to::<u64>();
    let to = request.to.map_or(TxKind::Create, TxKind::Call);
    let value = request.value.unwrap_or_default();
    let input = request.data.clone().unwrap_or_default();
    let access_list = request.access_list.clone();
    let has_1559 = request.max_fee_per_gas.is_some() || request.max_priority_fee_per_gas.is_some();
    let not_allowed = |field| TxError::FieldNotAllowed {
        field,
        tx_type: tx_type.byte(),
    };

    if request.authorization_list.is_some() && tx_type != TxType::Eip7702 {
        return Err(not_allowed("authorizationList"));
    }
    match tx_type {
        TxType::Legacy | TxType::Eip2930 => {
            if has_1559 {
                return Err(if request.gas_price.is_some() {
                    TxError::ConflictingFees
                } else {
                    not_allowed("maxFeePerGas")
                });
            }
            let gas_price = request
                .gas_price
                .ok_or(TxError::MissingFees {
                    expected: "gasPrice",
                })?
                .to::<u128>();
            if tx_type == TxType::Legacy {
                if access_list.is_some() {
                    return Err(not_allowed("accessList"));
                }
                Ok(TxLegacy {
                    chain_id: Some(chain_id),
                    nonce,
                    gas_price,
                    gas_limit,
                    to,
                    value,
                    input,
                }
                .into())
            } else {
                Ok(TxEip2930 {
                    chain_id,
                    nonce,
                    gas_price,
                    gas_limit,
                    to,
                    value,
                    access_list: access_list.unwrap_or_default(),
                    input,
                }
                .into())
            }
        }
        TxType::Eip1559 | TxType::Eip7702 => {
            if request.gas_price.is_some() {
                return Err(if has_1559 {
                    TxError::ConflictingFees
                } else {
                    not_allowed("gasPrice")
                });
            }
            let expected = "maxFeePerGas and maxPriorityFeePerGas";
            let max_fee_per_gas = request
                .max_fee_per_gas
                .ok_or(TxError::MissingFees { expected })?
                .to::<u128>();
            let max_priority_fee_per_gas = request
                .max_priority_fee_per_gas
                .ok_or(TxError::MissingFees { expected })?
                .to::<u128>();
            if max_priority_fee_per_gas > max_fee_per_gas {
                return Err(TxError::PriorityFeeTooHigh);
            }
            let access_list = access_list.unwrap_or_default();
            if tx_type == TxType::Eip1559 {
                return Ok(TxEip1559 {
                    chain_id,
                    nonce,
                    gas_limit,
                    max_fee_per_gas,
                    max_priority_fee_per_gas,
                    to,
                    value,
                    access_list,
                    input,
                }
                .into());
            }
            let to = request.to.ok_or(TxError::MissingRecipient)?;
            let authorization_list = request.authorization_list.clone().unwrap_or_default();
            if authorization_list.is_empty() {
                return Err(TxError::EmptyAuthorizationList);
            }
            Ok(TxEip7702 {
                chain_id,
                nonce,
                gas_limit,
                max_fee_per_gas,
                max_priority_fee_per_gas,
                to,
                value,
                access_list,
                authorization_list,
                input,
            }
            .into())
        }
    }
}

fn infer_type(request: &TransactionRequest) -> TxType {
    if request.authorization_list.is_some() {
        TxType::Eip7702
    } else if request.max_fee_per_gas.is_some() || request.max_priority_fee_per_gas.is_some() {
        TxType::Eip1559
    } else if request.gas_price.is_some() && request.access_list.is_some() {
        TxType::Eip2930
    } else if request.gas_price.is_some() {
        TxType::Legacy
    } else {
        TxType::Eip1559
    }
}

/// Builds, signs and encodes a transaction. `active_chain`, when given, must match its chain id.
pub fn sign_transaction(
    signer: &dyn Signer,
    request: &TransactionRequest,
    active_chain: Option<u64>,
) -> Result<SignedTransaction, TxError> {
    if let (Some(expected), Some(found)) = (active_chain, request.chain_id) {
        let found = found.to::<u64>();
        if found != expected {
            return Err(TxError::ChainMismatch { expected, found });
        }
    }
    if let Some(found) = request.from
        && found != signer.address()
    {
        return Err(TxError::SenderMismatch {
            expected: signer.address(),
            found,
        });
    }
    let tx = build_transaction(request)?;
    let signature = signer.sign_hash(&tx.signature_hash())?;
    let envelope: TxEnvelope = match tx {
        TypedTransaction::Legacy(tx) => tx.into_signed(signature).into(),
        TypedTransaction::Eip2930(tx) => tx.into_signed(signature).into(),
        TypedTransaction::Eip1559(tx) => tx.into_signed(signature).into(),
        TypedTransaction::Eip7702(tx) => tx.into_signed(signature).into(),
        other => return Err(TxError::UnsupportedType(other.tx_type() as u8)),
    };
    Ok(SignedTransaction {
        raw: envelope.encoded_2718().into(),
        hash: *envelope.tx_hash(),
        from: signer.address(),
    })
}

/// Decodes an EIP-2718 transaction and recovers its sender (high-S signatures are refused).
pub fn decode_transaction(raw: &[u8]) -> Result<DecodedTransaction, TxError> {
    let mut buf = raw;
    let envelope = TxEnvelope::decode_2718(&mut buf).map_err(|e| TxError::Decode(e.to_string()))?;
    if !buf.is_empty() {
        return Err(TxError::Decode(format!(
            "{} unexpected bytes after the transaction",
            buf.len()
        )));
    }
    if envelope.is_eip4844() {
        return Err(TxError::UnsupportedType(3));
    }
    let from = recover_address(&envelope.signature_hash(), envelope.signature())?;
    Ok(DecodedTransaction { envelope, from })
}

/// Signs an EIP-7702 authorization. A chain id of 0 (valid on every chain) is refused unless
/// `allow_any_chain` is set; the UI must have warned the user first.
pub fn sign_authorization(
    signer: &dyn Signer,
    authorization: Authorization,
    allow_any_chain: bool,
) -> Result<SignedAuthorization, TxError> {
    if authorization.chain_id == U256::ZERO && !allow_any_chain {
        return Err(TxError::AnyChainAuthorizationNotAllowed);
    }
    let signature = signer.sign_hash(&authorization.signature_hash())?;
    Ok(authorization.into_signed(signature))
}

/// Recovers the account that signed an EIP-7702 authorization.
pub fn recover_authority(authorization: &SignedAuthorization) -> Result<Address, TxError> {
    let signature = authorization
        .signature()
        .map_err(|_| SignatureError::InvalidScalar)?;
    Ok(recover_address(
        &authorization.signature_hash(),
        &signature,
    )?)
}

#[cfg(test)]
mod tests;
