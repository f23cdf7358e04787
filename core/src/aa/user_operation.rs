//! UserOperations (ERC-4337) in their RPC (unpacked) and on-chain (packed) forms, and their hash.

use alloy_primitives::{Address, B256, Bytes, U256, address, keccak256};
use alloy_sol_types::{SolStruct, SolValue, eip712_domain, sol};
use serde::{Deserialize, Serialize};

use crate::keys::SignError;

/// The canonical EntryPoint v0.7 address, the same on every chain.
pub const ENTRY_POINT_V07: Address = address!("0000000071727De22E5E9d8BAf0edAc6f37da032");

/// The canonical EntryPoint v0.8 address, the same on every chain.
pub const ENTRY_POINT_V08: Address = address!("4337084D9E255Ff0702461CF8895CE9E3b5Ff108");

/// Which EntryPoint an operation targets; the two differ in how the operation hash is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EntryPointVersion {
    /// v0.7: keccak256(abi.encode(keccak256(packed fields), entryPoint, chainId)).
    V07,
    /// v0.8: an EIP-712 hash with domain ("ERC4337", "1", chainId, entryPoint).
    V08,
}

impl EntryPointVersion {
    /// The canonical address of this EntryPoint.
    pub fn canonical_address(self) -> Address {
        match self {
            EntryPointVersion::V07 => ENTRY_POINT_V07,
            EntryPointVersion::V08 => ENTRY_POINT_V08,
        }
    }
}

sol! {
    /// The on-chain form of a UserOperation (EntryPoint v0.7 and v0.8).
    #[derive(Debug, Default, PartialEq, Eq)]
    struct PackedUserOperation {
        address sender;
        uint256 nonce;
        bytes initCode;
        bytes callData;
        bytes32 accountGasLimits;
        uint256 preVerificationGas;
        bytes32 gasFees;
        bytes paymasterAndData;
        bytes signature;
    }

    /// An entity's deposit and stake in the EntryPoint.
    #[derive(Debug, Default, PartialEq, Eq)]
    struct DepositInfo {
        uint256 deposit;
        bool staked;
        uint112 stake;
        uint32 unstakeDelaySec;
        uint48 withdrawTime;
    }

    /// The EntryPoint v0.7 functions and events the wallet and the relay use.
    interface IEntryPoint {
        function getNonce(address sender, uint192 key) external view returns (uint256 nonce);
        function balanceOf(address account) external view returns (uint256);
        function getUserOpHash(PackedUserOperation calldata userOp) external view returns (bytes32);
        function handleOps(PackedUserOperation[] calldata ops, address payable beneficiary) external;
        function getDepositInfo(address account) external view returns (DepositInfo memory info);
        event UserOperationEvent(bytes32 indexed userOpHash, address indexed sender, address indexed paymaster, uint256 nonce, bool success, uint256 actualGasCost, uint256 actualGasUsed);
        event UserOperationRevertReason(bytes32 indexed userOpHash, address indexed sender, uint256 nonce, bytes revertReason);
    }

    /// The validation entry points the EntryPoint calls on accounts and paymasters (ERC-4337).
    interface IValidation {
        function validateUserOp(PackedUserOperation calldata userOp, bytes32 userOpHash, uint256 missingAccountFunds) external returns (uint256 validationData);
        function validatePaymasterUserOp(PackedUserOperation calldata userOp, bytes32 userOpHash, uint256 maxCost) external returns (bytes memory context, uint256 validationData);
    }
}

/// EntryPoint v0.8's EIP-712 type: it must be named `PackedUserOperation` (the name is part of
/// the type hash), so it lives in a module of its own beside the ABI struct of that name.
mod v08 {
    alloy_sol_types::sol! {
    /// The EIP-712 struct that EntryPoint v0.8 hashes (the packed fields without the signature).
    struct PackedUserOperation {
        address sender;
        uint256 nonce;
        bytes initCode;
        bytes callData;
        bytes32 accountGasLimits;
        uint256 preVerificationGas;
        bytes32 gasFees;
        bytes paymasterAndData;
    }
    }
}

/// A UserOperation in the unpacked form that ERC-7769 bundlers and ERC-7677 paymasters speak.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserOperation {
    /// The smart account.
    pub sender: Address,
    /// Anti-replay nonce (192-bit key ‖ 64-bit sequence).
    pub nonce: U256,
    /// Factory that deploys the account on its first operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factory: Option<Address>,
    /// Data passed to the factory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factory_data: Option<Bytes>,
    /// The call the account executes.
    pub call_data: Bytes,
    /// Gas for the execution phase.
    pub call_gas_limit: U256,
    /// Gas for the verification phase.
    pub verification_gas_limit: U256,
    /// Gas paid to the bundler for overhead.
    pub pre_verification_gas: U256,
    /// EIP-1559 fee cap.
    pub max_fee_per_gas: U256,
    /// EIP-1559 tip.
    pub max_priority_fee_per_gas: U256,
    /// Paymaster that sponsors the operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paymaster: Option<Address>,
    /// Gas for the paymaster's validation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paymaster_verification_gas_limit: Option<U256>,
    /// Gas for the paymaster's post-operation hook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paymaster_post_op_gas_limit: Option<U256>,
    /// Data for the paymaster (its signature, validity window …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paymaster_data: Option<Bytes>,
    /// The account's signature over the operation hash.
    pub signature: Bytes,
}

/// Why a UserOperation cannot be packed for the EntryPoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserOperationError {
    /// A gas or fee value does not fit the 128 bits the packed form gives it.
    #[error("{field} is {value}, larger than the 128-bit field it must fit")]
    ValueTooLarge {
        /// The field's name.
        field: &'static str,
        /// The value.
        value: U256,
    },
}

crate::classified!(UserOperationError, |e: &UserOperationError| match e {
    UserOperationError::ValueTooLarge { .. } => crate::error::ErrorKind::InvalidInput,
});

/// Packs two 128-bit values into one 32-byte word: `high << 128 | low` (values are truncated).
fn pack_u128s(high: U256, low: U256) -> B256 {
    let mask = (U256::from(1) << 128) - U256::from(1);
    B256::from(((high & mask) << 128) | (low & mask))
}

impl UserOperation {
    /// `factory ‖ factoryData`, or empty for a deployed account.
    pub fn init_code(&self) -> Bytes {
        match self.factory {
            Some(factory) => {
                let mut out = factory.to_vec();
                out.extend_from_slice(self.factory_data.as_ref().map_or(&[][..], |d| &d[..]));
                out.into()
            }
            None => Bytes::new(),
        }
    }

    /// `paymaster ‖ verificationGasLimit (16) ‖ postOpGasLimit (16) ‖ paymasterData`, or empty.
    pub fn paymaster_and_data(&self) -> Bytes {
        match self.paymaster {
            Some(paymaster) => {
                let mut out = paymaster.to_vec();
                let limits = pack_u128s(
                    self.paymaster_verification_gas_limit.unwrap_or_default(),
                    self.paymaster_post_op_gas_limit.unwrap_or_default(),
                );
                out.extend_from_slice(limits.as_slice());
                out.extend_from_slice(self.paymaster_data.as_ref().map_or(&[][..], |d| &d[..]));
                out.into()
            }
            None => Bytes::new(),
        }
    }

    /// Checks that every gas and fee value fits its 128-bit packed field.
    pub fn check_limits(&self) -> Result<(), UserOperationError> {
        let fields = [
            ("callGasLimit", self.call_gas_limit),
            ("verificationGasLimit", self.verification_gas_limit),
            ("maxFeePerGas", self.max_fee_per_gas),
            ("maxPriorityFeePerGas", self.max_priority_fee_per_gas),
            (
                "paymasterVerificationGasLimit",
                self.paymaster_verification_gas_limit.unwrap_or_default(),
            ),
            (
                "paymasterPostOpGasLimit",
                self.paymaster_post_op_gas_limit.unwrap_or_default(),
            ),
        ];
        for (field, value) in fields {
            if value > U256::from(u128::MAX) {
                return Err(UserOperationError::ValueTooLarge { field, value });
            }
        }
        Ok(())
    }

    /// The most gas the operation can be charged for (all limits plus preVerificationGas).
    pub fn total_gas_limit(&self) -> U256 {
        self.call_gas_limit
            .saturating_add(self.verification_gas_limit)
            .saturating_add(self.pre_verification_gas)
            .saturating_add(self.paymaster_verification_gas_limit.unwrap_or_default())
            .saturating_add(self.paymaster_post_op_gas_limit.unwrap_or_default())
    }

    /// The worst-case cost in wei: total gas limit × maxFeePerGas (the EntryPoint's prefund).
    pub fn max_gas_cost(&self) -> U256 {
        self.total_gas_limit().saturating_mul(self.max_fee_per_gas)
    }

    /// The on-chain packed form (values above 128 bits are truncated: call
    /// [`check_limits`](Self::check_limits) first for untrusted input).
    pub fn pack(&self) -> PackedUserOperation {
        PackedUserOperation {
            sender: self.sender,
            nonce: self.nonce,
            initCode: self.init_code(),
            callData: self.call_data.clone(),
            accountGasLimits: pack_u128s(self.verification_gas_limit, self.call_gas_limit),
            preVerificationGas: self.pre_verification_gas,
            gasFees: pack_u128s(self.max_priority_fee_per_gas, self.max_fee_per_gas),
            paymasterAndData: self.paymaster_and_data(),
            signature: self.signature.clone(),
        }
    }
}

impl PackedUserOperation {
    /// keccak256 of the ABI-encoded fields (hashing the dynamic ones), without the signature.
    fn v07_inner_hash(&self) -> B256 {
        keccak256(
            (
                self.sender,
                self.nonce,
                keccak256(&self.initCode),
                keccak256(&self.callData),
                self.accountGasLimits,
                self.preVerificationGas,
                self.gasFees,
                keccak256(&self.paymasterAndData),
            )
                .abi_encode(),
        )
    }

    /// The hash the account signs, as `EntryPoint.getUserOpHash` computes it.
    pub fn hash(&self, version: EntryPointVersion, entry_point: Address, chain_id: u64) -> B256 {
        match version {
            EntryPointVersion::V07 => {
                keccak256((self.v07_inner_hash(), entry_point, U256::from(chain_id)).abi_encode())
            }
            EntryPointVersion::V08 => {
                let domain = eip712_domain! {
                    name: "ERC4337",
                    version: "1",
                    chain_id: chain_id,
                    verifying_contract: entry_point,
                };
                v08::PackedUserOperation {
                    sender: self.sender,
                    nonce: self.nonce,
                    initCode: self.initCode.clone(),
                    callData: self.callData.clone(),
                    accountGasLimits: self.accountGasLimits,
                    preVerificationGas: self.preVerificationGas,
                    gasFees: self.gasFees,
                    paymasterAndData: self.paymasterAndData.clone(),
                }
                .eip712_signing_hash(&domain)
            }
        }
    }
}

/// The UserOperation hash for `entry_point` on `chain_id`.
pub fn user_operation_hash(
    op: &UserOperation,
    version: EntryPointVersion,
    entry_point: Address,
    chain_id: u64,
) -> B256 {
    op.pack().hash(version, entry_point, chain_id)
}

/// Signs a UserOperation for a Harbor account as its owner (over the bare hash).
pub fn sign_user_operation(
    signer: &dyn super::OwnerSigner,
    op: &UserOperation,
    version: EntryPointVersion,
    entry_point: Address,
    chain_id: u64,
) -> Result<Bytes, SignError> {
    let hash = user_operation_hash(op, version, entry_point, chain_id);
    signer.sign_owner(&hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v08_type_is_the_entry_points() {
        // EntryPoint v0.8's PACKED_USEROP_TYPEHASH preimage, byte for byte.
        use alloy_sol_types::SolStruct;
        assert_eq!(
            v08::PackedUserOperation::eip712_encode_type(),
            "PackedUserOperation(address sender,uint256 nonce,bytes initCode,bytes callData,\
             bytes32 accountGasLimits,uint256 preVerificationGas,bytes32 gasFees,\
             bytes paymasterAndData)"
        );
    }

    fn sample() -> UserOperation {
        UserOperation {
            sender: Address::repeat_byte(0x11),
            nonce: U256::from(7),
            factory: Some(Address::repeat_byte(0x22)),
            factory_data: Some(Bytes::from(vec![1, 2, 3])),
            call_data: Bytes::from(vec![0xde, 0xad]),
            call_gas_limit: U256::from(100_000),
            verification_gas_limit: U256::from(200_000),
            pre_verification_gas: U256::from(50_000),
            max_fee_per_gas: U256::from(3_000_000_000u64),
            max_priority_fee_per_gas: U256::from(1_000_000_000u64),
            paymaster: Some(Address::repeat_byte(0x33)),
            paymaster_verification_gas_limit: Some(U256::from(60_000)),
            paymaster_post_op_gas_limit: Some(U256::from(10_000)),
            paymaster_data: Some(Bytes::from(vec![9; 10])),
            signature: Bytes::new(),
        }
    }

    #[test]
    fn packing_layout() {
        let packed = sample().pack();
        assert_eq!(packed.initCode.len(), 23);
        assert_eq!(
            &packed.initCode[..20],
            Address::repeat_byte(0x22).as_slice()
        );
        assert_eq!(packed.paymasterAndData.len(), 20 + 32 + 10);
        assert_eq!(
            U256::from_be_slice(&packed.accountGasLimits[..16]),
            U256::from(200_000)
        );
        assert_eq!(
            U256::from_be_slice(&packed.accountGasLimits[16..]),
            U256::from(100_000)
        );
        assert_eq!(
            U256::from_be_slice(&packed.gasFees[..16]),
            U256::from(1_000_000_000u64)
        );
        assert_eq!(
            U256::from_be_slice(&packed.paymasterAndData[20..36]),
            U256::from(60_000)
        );
        assert_eq!(
            U256::from_be_slice(&packed.paymasterAndData[36..52]),
            U256::from(10_000)
        );
    }

    #[test]
    fn hash_binds_chain_entry_point_and_version() {
        let op = sample();
        let base = user_operation_hash(&op, EntryPointVersion::V07, ENTRY_POINT_V07, 1);
        assert_ne!(
            base,
            user_operation_hash(&op, EntryPointVersion::V07, ENTRY_POINT_V07, 2)
        );
        assert_ne!(
            base,
            user_operation_hash(&op, EntryPointVersion::V07, ENTRY_POINT_V08, 1)
        );
        assert_ne!(
            base,
            user_operation_hash(&op, EntryPointVersion::V08, ENTRY_POINT_V07, 1)
        );
        let mut signed = op.clone();
        signed.signature = Bytes::from(vec![1; 65]);
        assert_eq!(
            base,
            user_operation_hash(&signed, EntryPointVersion::V07, ENTRY_POINT_V07, 1)
        );
    }

    #[test]
    fn limits_are_checked() {
        let mut op = sample();
        assert_eq!(op.check_limits(), Ok(()));
        assert_eq!(op.total_gas_limit(), U256::from(420_000));
        assert_eq!(op.max_gas_cost(), U256::from(420_000u64 * 3_000_000_000u64));
        op.call_gas_limit = U256::from(1) << 128;
        assert!(matches!(
            op.check_limits(),
            Err(UserOperationError::ValueTooLarge {
                field: "callGasLimit",
                ..
            })
        ));
    }

    #[test]
    fn rpc_json_shape() {
        let json = serde_json::to_value(sample()).unwrap();
        assert_eq!(json["callGasLimit"], "0x186a0");
        assert_eq!(json["factoryData"], "0x010203");
        let back: UserOperation = serde_json::from_value(json).unwrap();
        assert_eq!(back, sample());
    }
}
