// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BasePaymaster} from "@account-abstraction/contracts/core/BasePaymaster.sol";
import {_packValidationData} from "@account-abstraction/contracts/core/Helpers.sol";
import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {PackedUserOperation} from "@account-abstraction/contracts/interfaces/PackedUserOperation.sol";
import {UserOperationLib} from "@account-abstraction/contracts/core/UserOperationLib.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";

/// @title HarborPaymaster
/// @notice A verifying paymaster for EntryPoint v0.7: it pays for an operation when one of its
/// trusted off-chain signers (the Harbor paymaster relay) signed it.
///
/// `paymasterAndData` layout (77 bytes of paymaster data):
///
///     [0:20]    paymaster address
///     [20:36]   paymasterVerificationGasLimit (uint128)
///     [36:52]   paymasterPostOpGasLimit (uint128)
///     [52:58]   validUntil (uint48, big-endian; 0 = no expiry)
///     [58:64]   validAfter (uint48, big-endian)
///     [64:129]  signature (65 bytes, r ‖ s ‖ v)
///
/// The signature is EIP-191 (`personal_sign`) over `getHash(userOp, validUntil, validAfter)`:
///
///     keccak256(abi.encode(
///         sender, nonce, keccak256(initCode), keccak256(callData), accountGasLimits,
///         uint256(bytes32(paymasterAndData[20:52])), preVerificationGas, gasFees,
///         block.chainid, address(this), validUntil, validAfter))
///
/// so the signer commits to every gas limit and fee it pays for, the chain and this paymaster.
///
/// Ownership (signers, deposit, stake) moves in two steps (`transferOwnership` then
/// `acceptOwnership` by the new owner) and cannot be renounced, so the deposit is never locked.
contract HarborPaymaster is BasePaymaster, Ownable2Step {
    using UserOperationLib for PackedUserOperation;

    uint256 private constant VALID_TIMESTAMP_OFFSET = 52;
    uint256 private constant SIGNATURE_OFFSET = 64;
    uint256 private constant SIGNATURE_LENGTH = 65;

    /// @notice Whether an address may sign sponsorships.
    mapping(address => bool) public isSigner;

    event SignerAdded(address indexed signer);
    event SignerRemoved(address indexed signer);

    error InvalidSigner(address signer);
    error InvalidPaymasterDataLength(uint256 length);
    error RenounceDisabled();

    /// @param anEntryPoint the EntryPoint v0.7.
    /// @param anOwner who manages signers, deposit and stake (not the deployer, which may be the
    ///        deterministic deployment proxy).
    /// @param signers the first trusted signers.
    constructor(IEntryPoint anEntryPoint, address anOwner, address[] memory signers)
        BasePaymaster(anEntryPoint)
    {
        if (anOwner == address(0)) revert OwnableInvalidOwner(anOwner);
        _transferOwnership(anOwner);
        for (uint256 i = 0; i < signers.length; i++) {
            _addSigner(signers[i]);
        }
    }

    /// @notice Starts handing the paymaster to `newOwner`, who must call `acceptOwnership`.
    function transferOwnership(address newOwner) public override(Ownable, Ownable2Step) onlyOwner {
        if (newOwner == address(0)) revert OwnableInvalidOwner(newOwner);
        Ownable2Step.transferOwnership(newOwner);
    }

    /// @notice Refused: an ownerless paymaster could never withdraw its deposit or stake.
    function renounceOwnership() public view override onlyOwner {
        revert RenounceDisabled();
    }

    function _transferOwnership(address newOwner) internal override(Ownable, Ownable2Step) {
        Ownable2Step._transferOwnership(newOwner);
    }

    /// @notice Trusts a new signer (for key rotation, add the new one before removing the old).
    function addSigner(address signer) external onlyOwner {
        _addSigner(signer);
    }

    /// @notice Stops trusting a signer.
    function removeSigner(address signer) external onlyOwner {
        if (!isSigner[signer]) revert InvalidSigner(signer);
        isSigner[signer] = false;
        emit SignerRemoved(signer);
    }

    function _addSigner(address signer) private {
        if (signer == address(0) || isSigner[signer]) revert InvalidSigner(signer);
        isSigner[signer] = true;
        emit SignerAdded(signer);
    }

    /// @notice The hash a signer signs (EIP-191) to sponsor `userOp` between `validAfter` and
    /// `validUntil`.
    function getHash(PackedUserOperation calldata userOp, uint48 validUntil, uint48 validAfter)
        public
        view
        returns (bytes32)
    {
        return keccak256(
            abi.encode(
                userOp.getSender(),
                userOp.nonce,
                keccak256(userOp.initCode),
                keccak256(userOp.callData),
                userOp.accountGasLimits,
                uint256(bytes32(userOp.paymasterAndData[20:VALID_TIMESTAMP_OFFSET])),
                userOp.preVerificationGas,
                userOp.gasFees,
                block.chainid,
                address(this),
                validUntil,
                validAfter
            )
        );
    }

    /// @notice Splits paymaster data into its validity window and signature.
    function parsePaymasterAndData(bytes calldata paymasterAndData)
        public
        pure
        returns (uint48 validUntil, uint48 validAfter, bytes calldata signature)
    {
        if (paymasterAndData.length != SIGNATURE_OFFSET + SIGNATURE_LENGTH) {
            revert InvalidPaymasterDataLength(paymasterAndData.length);
        }
        validUntil = uint48(bytes6(paymasterAndData[VALID_TIMESTAMP_OFFSET:VALID_TIMESTAMP_OFFSET + 6]));
        validAfter = uint48(bytes6(paymasterAndData[VALID_TIMESTAMP_OFFSET + 6:SIGNATURE_OFFSET]));
        signature = paymasterAndData[SIGNATURE_OFFSET:];
    }

    /// @inheritdoc BasePaymaster
    function _validatePaymasterUserOp(PackedUserOperation calldata userOp, bytes32, uint256)
        internal
        view
        override
        returns (bytes memory context, uint256 validationData)
    {
        (uint48 validUntil, uint48 validAfter, bytes calldata signature) =
            parsePaymasterAndData(userOp.paymasterAndData);
        bytes32 digest = MessageHashUtils.toEthSignedMessageHash(getHash(userOp, validUntil, validAfter));
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signature);
        bool failed = err != ECDSA.RecoverError.NoError || !isSigner[recovered];
        return ("", _packValidationData(failed, validUntil, validAfter));
    }
}
