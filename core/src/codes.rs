//! JSON-RPC error codes, defined once and used by name: EIP-1474 (Ethereum JSON-RPC), ERC-7769
//! (bundlers), EIP-1193 / EIP-5792 (wallets answering dApps) and Harbor's own service codes.

/// The JSON is not valid (JSON-RPC 2.0).
pub const PARSE_ERROR: i64 = -32700;
/// The request object is not valid (JSON-RPC 2.0).
pub const INVALID_REQUEST: i64 = -32600;
/// The method does not exist (JSON-RPC 2.0).
pub const METHOD_NOT_FOUND: i64 = -32601;
/// Invalid parameters; for bundlers also invalid UserOperation fields (ERC-7769).
pub const INVALID_PARAMS: i64 = -32602;
/// Internal error (JSON-RPC 2.0).
pub const INTERNAL_ERROR: i64 = -32603;
/// Limit exceeded / rate limited (EIP-1474).
pub const LIMIT_EXCEEDED: i64 = -32005;

/// Rejected by the EntryPoint's simulation: account or its creation (ERC-7769).
pub const SIMULATION_REJECTED: i64 = -32500;
/// Rejected by the paymaster's validation (ERC-7769).
pub const PAYMASTER_REJECTED: i64 = -32501;
/// An ERC-7562 opcode or storage rule was broken during validation (ERC-7769).
pub const OPCODE_RULE: i64 = -32502;
/// Outside the valid time range (ERC-7769).
pub const TIME_RANGE: i64 = -32503;
/// The paymaster (or another entity) is throttled or banned (ERC-7769).
pub const THROTTLED_OR_BANNED: i64 = -32504;
/// Stake or unstake delay too low (ERC-7769).
pub const STAKE_TOO_LOW: i64 = -32505;
/// Unsupported aggregator (ERC-7769).
pub const UNSUPPORTED_AGGREGATOR: i64 = -32506;
/// Signature check failed (ERC-7769).
pub const SIGNATURE_FAILED: i64 = -32507;
/// Paymaster balance too low for its pending operations (ERC-7769).
pub const PAYMASTER_BALANCE: i64 = -32508;
/// Execution reverted during estimation (ERC-7769).
pub const EXECUTION_REVERTED: i64 = -32521;

/// The user rejected the request (EIP-1193).
pub const USER_REJECTED: i64 = 4001;
/// The account or method is not authorized for this site (EIP-1193).
pub const UNAUTHORIZED_ACCOUNT: i64 = 4100;
/// The wallet does not support the method (EIP-1193).
pub const UNSUPPORTED_METHOD: i64 = 4200;
/// The wallet is disconnected from every chain (EIP-1193).
pub const DISCONNECTED: i64 = 4900;
/// The wallet is disconnected from the requested chain (EIP-1193).
pub const CHAIN_DISCONNECTED: i64 = 4901;

/// The wallet does not know the chain (EIP-3326 `wallet_switchEthereumChain`).
pub const UNRECOGNIZED_CHAIN: i64 = 4902;
/// The transaction was rejected (EIP-1474).
pub const TRANSACTION_REJECTED: i64 = -32003;

/// A capability the wallet does not support was required (EIP-5792).
pub const CALLS_UNSUPPORTED_CAPABILITY: i64 = 5700;
/// The wallet cannot send calls on that chain (EIP-5792).
pub const CALLS_UNSUPPORTED_CHAIN: i64 = 5710;
/// A batch id was used twice (EIP-5792).
pub const CALLS_DUPLICATE_ID: i64 = 5720;
/// No batch has that id (EIP-5792).
pub const CALLS_UNKNOWN_BUNDLE: i64 = 5730;
/// The batch has too many calls (EIP-5792).
pub const CALLS_BATCH_TOO_LARGE: i64 = 5740;
/// The person refused to upgrade the account (EIP-5792).
pub const CALLS_UPGRADE_REJECTED: i64 = 5750;
/// The wallet cannot run the batch atomically (EIP-5792).
pub const CALLS_ATOMICITY_UNSUPPORTED: i64 = 5760;

/// Harbor service: the API key is missing or unknown.
pub const UNAUTHORIZED: i64 = -32001;
/// Harbor service: a sponsorship policy said no.
pub const POLICY_REJECTED: i64 = -32002;
/// Harbor service: the chain is not served, or not for this app.
pub const UNSUPPORTED_CHAIN: i64 = -32003;

/// Whether `code` is one of the ERC-7769 codes a bundler uses to refuse an operation.
pub fn is_bundler_rejection(code: i64) -> bool {
    (PAYMASTER_BALANCE..=SIMULATION_REJECTED).contains(&code)
        || code == EXECUTION_REVERTED
        || code == INVALID_PARAMS
}
