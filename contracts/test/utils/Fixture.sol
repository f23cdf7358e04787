// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {EntryPoint} from "@account-abstraction/contracts/core/EntryPoint.sol";
import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";
import {PackedUserOperation} from "@account-abstraction/contracts/interfaces/PackedUserOperation.sol";
import {HarborAccount} from "../../src/HarborAccount.sol";
import {HarborAccountFactory} from "../../src/HarborAccountFactory.sol";
import {HarborPaymaster} from "../../src/HarborPaymaster.sol";
import {HarborTest} from "./HarborTest.sol";

/// Deploys the real EntryPoint v0.7 and the Harbor contracts, with keys and helpers.
abstract contract Fixture is HarborTest {
    EntryPoint internal entryPoint;
    HarborAccount internal implementation;
    HarborAccountFactory internal factory;
    HarborPaymaster internal paymaster;

    uint256 internal constant OWNER_KEY = 0xA11CE;
    uint256 internal constant NEW_OWNER_KEY = 0xB0B;
    uint256 internal constant STRANGER_KEY = 0xBAD;
    uint256 internal constant SPONSOR_KEY = 0x5905;
    uint256[3] internal guardianKeys = [uint256(0x6A1), 0x6A2, 0x6A3];

    address internal owner;
    address internal newOwner;
    address internal stranger;
    address internal sponsorSigner;
    address internal paymasterOwner = address(0xFEE);

    function setUp() public virtual {
        entryPoint = new EntryPoint();
        implementation = new HarborAccount(IEntryPoint(address(entryPoint)));
        factory = new HarborAccountFactory(implementation);
        owner = vm.addr(OWNER_KEY);
        newOwner = vm.addr(NEW_OWNER_KEY);
        stranger = vm.addr(STRANGER_KEY);
        sponsorSigner = vm.addr(SPONSOR_KEY);
        address[] memory signers = new address[](1);
        signers[0] = sponsorSigner;
        paymaster = new HarborPaymaster(IEntryPoint(address(entryPoint)), paymasterOwner, signers);
        vm.deal(paymasterOwner, 100 ether);
        vm.prank(paymasterOwner);
        paymaster.deposit{value: 10 ether}();
    }

    function newAccount() internal returns (HarborAccount) {
        return factory.createAccount(owner, 0);
    }

    function guardian(uint256 i) internal view returns (address) {
        return vm.addr(guardianKeys[i]);
    }

    /// An account with all three guardians and `threshold`.
    function accountWithGuardians(uint256 threshold) internal returns (HarborAccount account) {
        account = newAccount();
        address[] memory all = new address[](guardianKeys.length);
        for (uint256 i = 0; i < guardianKeys.length; i++) {
            all[i] = guardian(i);
        }
        configure(account, OWNER_KEY, all, threshold, 2 days);
    }

    /// The next config of `account` (version + 1) and `ownerKey`'s signature over it.
    function signedConfig(
        HarborAccount account,
        uint256 ownerKey,
        address[] memory guardians_,
        uint256 threshold,
        uint256 delay
    ) internal view returns (HarborAccount.Config memory config, bytes memory signature) {
        (HarborAccount.Config memory current,) = account.latestConfig();
        config = HarborAccount.Config({
            guardians: guardians_, threshold: threshold, securityDelay: delay, version: current.version + 1
        });
        signature = signDigest(ownerKey, account.configDigest(config));
    }

    /// Applies the next config, signed by `ownerKey`.
    function configure(
        HarborAccount account,
        uint256 ownerKey,
        address[] memory guardians_,
        uint256 threshold,
        uint256 delay
    ) internal {
        (HarborAccount.Config memory config, bytes memory signature) =
            signedConfig(account, ownerKey, guardians_, threshold, delay);
        account.applyConfig(config, signature);
    }

    /// `HarborAccount.configDigest` computed here from the EIP-712 definition (also for accounts
    /// not deployed yet).
    function configDigestFor(address account, HarborAccount.Config memory config)
        internal
        pure
        returns (bytes32)
    {
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,address verifyingContract)"),
                keccak256("HarborAccount"),
                keccak256("1"),
                account
            )
        );
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256(
                    "HarborConfig(address[] guardians,uint256 threshold,uint256 securityDelay,uint256 version)"
                ),
                keccak256(abi.encodePacked(config.guardians)),
                config.threshold,
                config.securityDelay,
                config.version
            )
        );
        return keccak256(abi.encodePacked("\x19\x01", domain, structHash));
    }

    function one(address a) internal pure returns (address[] memory list) {
        list = new address[](1);
        list[0] = a;
    }

    /// Approvals by the guardians with `keys`, sorted by address as `startRecovery` requires.
    function approvals(HarborAccount account, address to, uint256 deadline, uint256[] memory keys)
        internal
        view
        returns (address[] memory signers, bytes[] memory signatures)
    {
        return approvalsAt(account, to, account.recoveryNonce(), deadline, keys);
    }

    /// Approvals as above for the recovery nonce `nonce`.
    function approvalsAt(
        HarborAccount account,
        address to,
        uint256 nonce,
        uint256 deadline,
        uint256[] memory keys
    ) internal view returns (address[] memory signers, bytes[] memory signatures) {
        uint256 n = keys.length;
        uint256[] memory sorted = new uint256[](n);
        for (uint256 i = 0; i < n; i++) {
            sorted[i] = keys[i];
        }
        for (uint256 i = 0; i < n; i++) {
            for (uint256 j = i + 1; j < n; j++) {
                if (vm.addr(sorted[j]) < vm.addr(sorted[i])) (sorted[i], sorted[j]) = (sorted[j], sorted[i]);
            }
        }
        bytes32 digest = account.recoveryDigest(to, nonce, deadline);
        signers = new address[](n);
        signatures = new bytes[](n);
        for (uint256 i = 0; i < n; i++) {
            signers[i] = vm.addr(sorted[i]);
            signatures[i] = signDigest(sorted[i], digest);
        }
    }

    function keys2() internal view returns (uint256[] memory k) {
        k = new uint256[](2);
        k[0] = guardianKeys[0];
        k[1] = guardianKeys[1];
    }

    function keys3() internal view returns (uint256[] memory k) {
        k = new uint256[](3);
        k[0] = guardianKeys[0];
        k[1] = guardianKeys[1];
        k[2] = guardianKeys[2];
    }

    /// paymasterAndData for `op` signed by `key` (see HarborPaymaster for the layout).
    function sponsor(PackedUserOperation memory op, uint256 key, uint48 validUntil, uint48 validAfter)
        internal
        view
        returns (bytes memory)
    {
        bytes memory head = abi.encodePacked(address(paymaster), uint128(100_000), uint128(0));
        op.paymasterAndData = abi.encodePacked(head, validUntil, validAfter, new bytes(65));
        bytes32 hash = this.paymasterHash(op, validUntil, validAfter);
        bytes32 digest = keccak256(abi.encodePacked("\x19Ethereum Signed Message:\n32", hash));
        return abi.encodePacked(head, validUntil, validAfter, signDigest(key, digest));
    }

    /// Calldata-copying shim: HarborPaymaster.getHash takes the op as calldata.
    function paymasterHash(PackedUserOperation calldata op, uint48 validUntil, uint48 validAfter)
        external
        view
        returns (bytes32)
    {
        return paymaster.getHash(op, validUntil, validAfter);
    }

    function packGas(uint256 high, uint256 low) internal pure returns (bytes32) {
        return bytes32((high << 128) | low);
    }

    /// An unsigned operation of `sender` calling `callData`.
    function userOp(address sender, bytes memory initCode, bytes memory callData)
        internal
        view
        returns (PackedUserOperation memory op)
    {
        op.sender = sender;
        op.nonce = entryPoint.getNonce(sender, 0);
        op.initCode = initCode;
        op.callData = callData;
        op.accountGasLimits = packGas(500_000, 200_000);
        op.preVerificationGas = 60_000;
        op.gasFees = packGas(1 gwei, 2 gwei);
    }
}
