//! Why a dApp request was refused or failed, with the EIP-1193 / EIP-1474 / EIP-5792 code the
//! site receives and a sentence that says what happened.

use alloy_primitives::Address;
use serde_json::{Value, json};

use crate::codes;
#[cfg(all(feature = "vault", feature = "net"))]
use crate::error::Classified;
use crate::error::ErrorKind;
use crate::evm::{TxError, TypedDataError};
use crate::keys::SignError;
use crate::rpc::RpcError;

/// Why a dApp request was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum DappError {
    /// The person declined the request.
    #[error("the request was declined in Harbor")]
    UserRejected,
    /// The site is not connected; it must ask with `eth_requestAccounts` first.
    #[error("{origin} is not connected to Harbor; ask with eth_requestAccounts first")]
    NotConnected {
        /// The site.
        origin: String,
    },
    /// The request names an account other than the one connected to the site.
    #[error("the site asked for {requested}, but the account connected to it is {connected}")]
    WrongAccount {
        /// Address named in the request.
        requested: Address,
        /// The account connected to the site.
        connected: Address,
    },
    /// `eth_sign` signs a raw hash the person cannot read; Harbor never does.
    #[error(
        "eth_sign is refused: it would sign data you cannot read; use personal_sign or eth_signTypedData_v4"
    )]
    EthSignRefused,
    /// A smart account has no transaction of its own to sign.
    #[error(
        "eth_signTransaction is not available for a smart account: it has no key-signed transactions; send with eth_sendTransaction or wallet_sendCalls"
    )]
    SignTransactionRefused,
    /// A method Harbor does not answer.
    #[error("Harbor does not support the method {0}")]
    UnsupportedMethod(String),
    /// The parameters do not have the shape the method requires.
    #[error("invalid parameters for {method}: {reason}")]
    InvalidParams {
        /// The method.
        method: String,
        /// What is wrong.
        reason: String,
    },
    /// A call into the person's own account (guardians, owner, delay, upgrade) from a site.
    #[error(
        "the site asked to change your account's own settings ({what}); Harbor never lets a site do that"
    )]
    OwnAccountCall {
        /// What the call would change, in words.
        what: String,
    },
    /// The wallet is locked (or has no account yet): nothing is connected.
    #[error("Harbor is locked; unlock it and try again")]
    Locked,
    /// The chain is not one Harbor can use.
    #[error("Harbor has no network with chain id {0}; add it first")]
    UnknownChain(u64),
    /// The chain's node cannot be reached.
    #[error("Harbor cannot reach the network with chain id {chain_id}: {reason}")]
    ChainUnreachable {
        /// The chain.
        chain_id: u64,
        /// What failed.
        reason: String,
    },
    /// A chain Harbor cannot send on (no bundler) was asked to send calls.
    #[error("Harbor cannot send calls on chain {0}: no bundler is set up for it")]
    UnsupportedChain(u64),
    /// A required EIP-5792 capability Harbor does not have.
    #[error("Harbor does not support the capability {0}")]
    UnsupportedCapability(String),
    /// A batch id already used by this site.
    #[error("a batch with the id {0} was already sent")]
    DuplicateId(String),
    /// A batch id nobody sent through Harbor.
    #[error("no batch with the id {0} was sent through Harbor")]
    UnknownBundle(String),
    /// Too many calls in one batch.
    #[error("a batch holds at most {max} calls")]
    BatchTooLarge {
        /// The limit.
        max: usize,
    },
    /// A pending request id that does not exist (answered, or never made).
    #[error("there is no pending request {0}")]
    NoSuchRequest(u64),
    /// The system's random source failed.
    #[error("the system's random number source failed")]
    RandomSource,
    /// The node answered the forwarded request with an error.
    #[error("{message}")]
    Node {
        /// The node's code.
        code: i64,
        /// The node's message.
        message: String,
        /// The node's data (revert bytes …).
        data: Option<Value>,
    },
    /// Typed data that cannot be signed.
    #[error(transparent)]
    TypedData(#[from] TypedDataError),
    /// A transaction that is not valid.
    #[error(transparent)]
    Transaction(#[from] TxError),
    /// The key could not sign.
    #[error(transparent)]
    Sign(#[from] SignError),
    /// The wallet failed to do what was approved.
    #[cfg(all(feature = "vault", feature = "net"))]
    #[error(transparent)]
    Wallet(#[from] crate::wallet::WalletError),
}

crate::classified!(DappError, |e: &DappError| match e {
    DappError::UserRejected
    | DappError::NotConnected { .. }
    | DappError::WrongAccount { .. }
    | DappError::EthSignRefused
    | DappError::SignTransactionRefused
    | DappError::UnsupportedMethod(_)
    | DappError::InvalidParams { .. }
    | DappError::UnsupportedCapability(_)
    | DappError::DuplicateId(_)
    | DappError::BatchTooLarge { .. } => ErrorKind::InvalidInput,
    DappError::OwnAccountCall { .. } => ErrorKind::Rejected,
    DappError::Locked => ErrorKind::Locked,
    DappError::UnknownChain(_)
    | DappError::UnknownBundle(_)
    | DappError::NoSuchRequest(_)
    | DappError::UnsupportedChain(_) => ErrorKind::NotFound,
    DappError::ChainUnreachable { .. } | DappError::Node { .. } => ErrorKind::Network,
    DappError::RandomSource => ErrorKind::Internal,
    DappError::TypedData(inner) => inner.kind(),
    DappError::Transaction(inner) => inner.kind(),
    DappError::Sign(inner) => inner.kind(),
    #[cfg(all(feature = "vault", feature = "net"))]
    DappError::Wallet(inner) => inner.kind(),
});

impl DappError {
    /// `InvalidParams` for `method`.
    pub fn invalid(method: &str, reason: impl Into<String>) -> Self {
        DappError::InvalidParams {
            method: method.to_owned(),
            reason: reason.into(),
        }
    }

    /// The EIP-1193 / EIP-1474 / EIP-5792 code the site receives.
    pub fn rpc_code(&self) -> i64 {
        match self {
            Self::UserRejected => codes::USER_REJECTED,
            Self::NotConnected { .. } | Self::WrongAccount { .. } | Self::OwnAccountCall { .. } => {
                codes::UNAUTHORIZED_ACCOUNT
            }
            Self::EthSignRefused | Self::SignTransactionRefused | Self::UnsupportedMethod(_) => {
                codes::UNSUPPORTED_METHOD
            }
            Self::InvalidParams { .. } | Self::TypedData(_) | Self::Transaction(_) => {
                codes::INVALID_PARAMS
            }
            Self::Locked => codes::DISCONNECTED,
            Self::UnknownChain(_) => codes::UNRECOGNIZED_CHAIN,
            Self::ChainUnreachable { .. } => codes::CHAIN_DISCONNECTED,
            Self::UnsupportedChain(_) => codes::CALLS_UNSUPPORTED_CHAIN,
            Self::UnsupportedCapability(_) => codes::CALLS_UNSUPPORTED_CAPABILITY,
            Self::DuplicateId(_) => codes::CALLS_DUPLICATE_ID,
            Self::UnknownBundle(_) => codes::CALLS_UNKNOWN_BUNDLE,
            Self::BatchTooLarge { .. } => codes::CALLS_BATCH_TOO_LARGE,
            Self::NoSuchRequest(_) => codes::INVALID_REQUEST,
            Self::Node { code, .. } => *code,
            Self::Sign(_) | Self::RandomSource => codes::INTERNAL_ERROR,
            #[cfg(all(feature = "vault", feature = "net"))]
            Self::Wallet(inner) => wallet_code(inner),
        }
    }

    /// The JSON-RPC error object the site receives: `{code, message, data?}`.
    pub fn to_rpc_error(&self) -> Value {
        let mut error = json!({"code": self.rpc_code(), "message": self.to_string()});
        if let Self::Node {
            data: Some(data), ..
        } = self
        {
            error["data"] = data.clone();
        }
        error
    }
}

impl From<RpcError> for DappError {
    fn from(e: RpcError) -> Self {
        match e {
            RpcError::Server {
                code,
                message,
                data,
            } => DappError::Node {
                code,
                message,
                data,
            },
            other => DappError::Node {
                code: codes::CHAIN_DISCONNECTED,
                message: other.to_string(),
                data: None,
            },
        }
    }
}

#[cfg(all(feature = "vault", feature = "net"))]
fn wallet_code(e: &crate::wallet::WalletError) -> i64 {
    match e.kind() {
        ErrorKind::Locked | ErrorKind::NoWallet | ErrorKind::WrongPassword => codes::DISCONNECTED,
        ErrorKind::Network => codes::CHAIN_DISCONNECTED,
        ErrorKind::InvalidInput => codes::INVALID_PARAMS,
        ErrorKind::NotFound => codes::UNAUTHORIZED_ACCOUNT,
        ErrorKind::InsufficientFunds | ErrorKind::SponsorDeclined | ErrorKind::Rejected => {
            codes::TRANSACTION_REJECTED
        }
        _ => codes::INTERNAL_ERROR,
    }
}
