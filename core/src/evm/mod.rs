//! EVM signing: signatures, EIP-191 messages, EIP-712 typed data and transactions of every type.

mod message;
mod signature;
mod transaction;
mod typed_data;

pub use message::{personal_message_hash, recover_personal_message, sign_personal_message};
pub use signature::{SignatureError, parse_signature, recover_address, verify_signature};
pub use transaction::{
    DecodedTransaction, SignedTransaction, TransactionRequest, TxError, TxType, build_transaction,
    decode_transaction, recover_authority, sign_authorization, sign_transaction,
};
pub use typed_data::{
    TypedData, TypedDataError, parse_typed_data, sign_typed_data, typed_data_from_value,
    typed_data_hash,
};

pub use alloy_consensus::TypedTransaction;
pub use alloy_eips::eip7702::{Authorization, SignedAuthorization};
pub use alloy_primitives::Signature;
