//! ERC-4337 account abstraction: UserOperations and their hashes for EntryPoint v0.7 and v0.8.

mod user_operation;

pub use user_operation::{
    ENTRY_POINT_V07, ENTRY_POINT_V08, EntryPointVersion, PackedUserOperation, UserOperation,
    sign_user_operation, user_operation_hash,
};
