//! ERC-4337 account abstraction: UserOperations and their hashes for EntryPoint v0.7 and v0.8,
//! the Harbor account (address, deployment, call encoding), readable revert reasons and the
//! send flow over a bundler and a paymaster service.

mod account;
mod owner;
mod revert;
#[cfg(feature = "net")]
mod send;
mod signature;
mod user_operation;

pub use account::{
    AccountCall, AccountConfig, Call, DUMMY_SIGNATURE, ERC1967_IMPLEMENTATION_SLOT,
    HARBOR_ACCOUNT_FACTORY, HARBOR_ACCOUNT_IMPLEMENTATION, HARBOR_PAYMASTER, HarborAccount,
    IHarborAccount, IHarborAccountFactory, PendingRecovery, decode_calls, encode_calls,
    split_nonce,
};
pub use owner::{
    OwnerSigner, P256Key, P256PublicKey, Passkey, PasskeyOwner, PlatformKeyOwner,
    WebAuthnAssertion, p256_signature, webauthn_signature,
};
pub use revert::{decode_revert, explain_entry_point_reason};
#[cfg(feature = "net")]
pub use send::{
    AccountClient, GasPayer, PreparedOperation, SendError, SendOptions, SendOutcome, SendProgress,
};
pub use signature::{
    ERC6492_MAGIC, account_message_digest, sign_as_account, unwrap_erc6492, wrap_erc6492,
};
pub use user_operation::{
    ENTRY_POINT_V07, ENTRY_POINT_V08, EntryPointVersion, IEntryPoint, IValidation,
    PackedUserOperation, UserOperation, UserOperationError, sign_user_operation,
    user_operation_hash,
};
