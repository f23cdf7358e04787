//! The Harbor smart account: its counterfactual address, deployment data and call encoding.

use std::sync::OnceLock;

use alloy_primitives::{Address, B256, Bytes, U256, address, b256, keccak256};
use alloy_sol_types::{SolCall, SolValue, sol};
use serde::{Deserialize, Serialize};

sol! {
    /// One call made by the account.
    #[derive(Debug, PartialEq, Eq)]
    struct Call {
        address target;
        uint256 value;
        bytes data;
    }

    /// The HarborAccount functions the wallet calls.
    interface IHarborAccount {
        function initialize(address anOwner) external;
        function execute(address target, uint256 value, bytes calldata data) external;
        function executeBatch(Call[] calldata calls) external;
        function owner() external view returns (address);
        function guardians() external view returns (address[] memory);
        function isGuardian(address who) external view returns (bool);
        function threshold() external view returns (uint256);
        function securityDelay() external view returns (uint256);
        function recoveryNonce() external view returns (uint256);
        function pendingRecovery() external view returns (PendingRecovery memory);
        function recoveryDigest(address newOwner, uint256 nonce, uint256 deadline) external view returns (bytes32);
        function messageDigest(bytes32 hash) external view returns (bytes32);
        function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4);
        function applyConfig(AccountConfig calldata config, bytes calldata signature) external;
        function latestConfig() external view returns (AccountConfig memory config, bytes memory signature);
        function configDigest(AccountConfig calldata config) external view returns (bytes32);
        function invalidateApprovals() external;
        function startRecovery(address newOwner, uint256 deadline, address[] calldata signers, bytes[] calldata signatures) external;
        function cancelRecovery() external;
        function executeRecovery() external;

        event ConfigApplied(uint256 indexed version, address[] guardians, uint256 threshold, uint256 securityDelay);
        event ApprovalsInvalidated(uint256 nonce);
        event RecoveryStarted(address indexed newOwner, uint256 executeAfter, uint256 nonce, uint256 approvals, address[] guardians);
        event RecoveryCancelled(address indexed newOwner, uint256 nonce);
        event RecoveryExecuted(address indexed previousOwner, address indexed newOwner, uint256 nonce);
    }

    /// Guardians, threshold and delay as the owner signs them once for every chain.
    #[derive(Debug, PartialEq, Eq)]
    struct AccountConfig {
        address[] guardians;
        uint256 threshold;
        uint256 securityDelay;
        uint256 version;
    }

    /// A recovery waiting for its delay (as the account stores it).
    #[derive(Debug, PartialEq, Eq)]
    struct PendingRecovery {
        address newOwner;
        uint64 executeAfter;
        uint32 approvals;
    }

    /// The HarborAccountFactory functions the wallet calls.
    interface IHarborAccountFactory {
        function createAccount(address owner, uint256 salt) external returns (address account);
        function getAddress(address owner, uint256 salt) external view returns (address);
    }
}

/// HarborAccount implementation deployed by the deterministic deployer (same on every chain).
pub const HARBOR_ACCOUNT_IMPLEMENTATION: Address =
    address!("Cb17BB0dF8A360ef7c177e5f3337665FDD330362");
/// HarborAccountFactory deployed by the deterministic deployer (same on every chain).
pub const HARBOR_ACCOUNT_FACTORY: Address = address!("a1280c5B8bBDE0c9F6c14A208617fd81BCC2b07C");
/// HarborPaymaster deployed by the deterministic deployer (same on every chain).
pub const HARBOR_PAYMASTER: Address = address!("7716432898c80f1bDd83c131C591E3538f46FEDA");

/// The ERC-1967 storage slot holding a proxy's implementation address.
pub const ERC1967_IMPLEMENTATION_SLOT: B256 =
    b256!("360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc");

/// A signature of the right shape that recovers to no owner, for gas estimation and
/// paymaster stubs (the account's validation runs its full code path and then says "no").
pub const DUMMY_SIGNATURE: [u8; 65] = {
    let mut sig = [0u8; 65];
    let mut i = 0;
    while i < 32 {
        sig[i] = 0x11;
        sig[32 + i] = 0x22;
        i += 1;
    }
    sig[64] = 27;
    sig
};

/// A call the account makes: target, value in wei and call data.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AccountCall {
    /// The contract or address called.
    pub to: Address,
    /// Wei sent with the call.
    #[serde(default)]
    pub value: U256,
    /// Call data (empty for a plain transfer).
    #[serde(default)]
    pub data: Bytes,
}

/// Which Harbor account: its owner key's address and a salt (several accounts per owner).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HarborAccount {
    /// The owner key's address, fixed at creation (the address stays when the owner rotates).
    pub initial_owner: Address,
    /// Salt distinguishing accounts of the same owner.
    pub salt: U256,
    /// The factory that deploys it.
    pub factory: Address,
    /// The implementation the proxy points at.
    pub implementation: Address,
}

fn proxy_creation_code() -> &'static [u8] {
    static CODE: OnceLock<Vec<u8>> = OnceLock::new();
    CODE.get_or_init(|| {
        let artifact = include_str!("../../../contracts/artifacts/ERC1967Proxy.json");
        serde_json::from_str::<serde_json::Value>(artifact)
            .ok()
            .and_then(|json| json["bytecode"].as_str().map(str::to_owned))
            .and_then(|hex| alloy_primitives::hex::decode(hex).ok())
            .unwrap_or_default()
    })
}

impl HarborAccount {
    /// The account of `owner` and `salt` from the canonical Harbor factory.
    pub fn new(initial_owner: Address, salt: U256) -> Self {
        HarborAccount {
            initial_owner,
            salt,
            factory: HARBOR_ACCOUNT_FACTORY,
            implementation: HARBOR_ACCOUNT_IMPLEMENTATION,
        }
    }

    /// The counterfactual address, as the factory's `getAddress` computes it.
    pub fn address(&self) -> Address {
        let salt = keccak256((self.initial_owner, self.salt).abi_encode());
        self.factory
            .create2(salt, keccak256(self.proxy_init_code()))
    }

    /// The proxy's creation code with its constructor arguments, as the factory deploys it
    /// (running it, e.g. in an `eth_call` without target, gives the proxy's runtime code).
    pub fn proxy_init_code(&self) -> Bytes {
        let init = IHarborAccount::initializeCall {
            anOwner: self.initial_owner,
        }
        .abi_encode();
        let mut code = proxy_creation_code().to_vec();
        code.extend_from_slice(&(self.implementation, Bytes::from(init)).abi_encode_params());
        code.into()
    }

    /// `createAccount(owner, salt)`: the factory data of the first UserOperation.
    pub fn factory_data(&self) -> Bytes {
        IHarborAccountFactory::createAccountCall {
            owner: self.initial_owner,
            salt: self.salt,
        }
        .abi_encode()
        .into()
    }
}

/// The account's call data for `calls`: `execute` for one call, `executeBatch` for several.
pub fn encode_calls(calls: &[AccountCall]) -> Bytes {
    match calls {
        [one] => IHarborAccount::executeCall {
            target: one.to,
            value: one.value,
            data: one.data.clone(),
        }
        .abi_encode()
        .into(),
        many => IHarborAccount::executeBatchCall {
            calls: many
                .iter()
                .map(|c| Call {
                    target: c.to,
                    value: c.value,
                    data: c.data.clone(),
                })
                .collect(),
        }
        .abi_encode()
        .into(),
    }
}

/// Decodes the account call data back into calls (`execute` or `executeBatch`); `None` otherwise.
pub fn decode_calls(call_data: &[u8]) -> Option<Vec<AccountCall>> {
    if let Ok(call) = IHarborAccount::executeCall::abi_decode(call_data) {
        return Some(vec![AccountCall {
            to: call.target,
            value: call.value,
            data: call.data,
        }]);
    }
    IHarborAccount::executeBatchCall::abi_decode(call_data)
        .ok()
        .map(|batch| {
            batch
                .calls
                .into_iter()
                .map(|c| AccountCall {
                    to: c.target,
                    value: c.value,
                    data: c.data,
                })
                .collect()
        })
}

/// The 192-bit nonce key and 64-bit sequence of a UserOperation nonce.
pub fn split_nonce(nonce: U256) -> (U256, u64) {
    let sequence = (nonce & U256::from(u64::MAX)).to::<u64>();
    (nonce >> 64, sequence)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_code_is_embedded() {
        assert!(proxy_creation_code().len() > 100);
    }

    #[test]
    fn address_depends_on_owner_salt_and_factory() {
        let a = HarborAccount::new(Address::repeat_byte(1), U256::ZERO);
        let b = HarborAccount::new(Address::repeat_byte(2), U256::ZERO);
        let c = HarborAccount::new(Address::repeat_byte(1), U256::from(1));
        assert_ne!(a.address(), b.address());
        assert_ne!(a.address(), c.address());
        assert_eq!(
            a.address(),
            HarborAccount::new(Address::repeat_byte(1), U256::ZERO).address()
        );
    }

    #[test]
    fn calls_round_trip() {
        let one = vec![AccountCall {
            to: Address::repeat_byte(9),
            value: U256::from(5),
            data: Bytes::new(),
        }];
        let encoded = encode_calls(&one);
        assert_eq!(
            &encoded[..4],
            IHarborAccount::executeCall::SELECTOR.as_slice()
        );
        assert_eq!(decode_calls(&encoded), Some(one.clone()));
        let two = vec![one[0].clone(), one[0].clone()];
        let encoded = encode_calls(&two);
        assert_eq!(
            &encoded[..4],
            IHarborAccount::executeBatchCall::SELECTOR.as_slice()
        );
        assert_eq!(decode_calls(&encoded), Some(two));
        assert_eq!(decode_calls(&[1, 2, 3]), None);
    }

    #[test]
    fn nonce_split() {
        let nonce = (U256::from(7) << 64) | U256::from(3);
        assert_eq!(split_nonce(nonce), (U256::from(7), 3));
    }
}
