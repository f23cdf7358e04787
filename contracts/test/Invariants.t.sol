// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {HarborAccount} from "../src/HarborAccount.sol";
import {Fixture} from "./utils/Fixture.sol";
import {Vm} from "./utils/HarborTest.sol";

/// Random sequences of recovery actions against one account (threshold 2 of 3).
contract RecoveryHandler {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    HarborAccount public immutable account;
    uint256[3] internal guardianKeys;
    uint256[] internal ownerKeys;

    /// The owner the account must have: changed only by a successful executeRecovery.
    address public ghostOwner;
    uint256 public ghostOwnerKey;
    /// Broken rules seen (must stay zero).
    uint256 public violations;
    uint256 public executed;

    constructor(HarborAccount anAccount, uint256[3] memory gKeys, uint256 ownerKey) {
        account = anAccount;
        guardianKeys = gKeys;
        ghostOwner = vm.addr(ownerKey);
        ghostOwnerKey = ownerKey;
        ownerKeys.push(0xC0FFEE1);
        ownerKeys.push(0xC0FFEE2);
        ownerKeys.push(0xC0FFEE3);
    }

    function startRecovery(uint8 mask, uint8 who, bool forged) external {
        uint256 count;
        for (uint256 i = 0; i < 3; i++) {
            if (mask & (1 << i) != 0) count++;
        }
        uint256[] memory keys = new uint256[](count);
        uint256 n;
        for (uint256 i = 0; i < 3; i++) {
            if (mask & (1 << i) != 0) keys[n++] = guardianKeys[i];
        }
        // Sort by address.
        for (uint256 i = 0; i < count; i++) {
            for (uint256 j = i + 1; j < count; j++) {
                if (vm.addr(keys[j]) < vm.addr(keys[i])) (keys[i], keys[j]) = (keys[j], keys[i]);
            }
        }
        address to = vm.addr(ownerKeys[who % ownerKeys.length]);
        uint256 deadline = block.timestamp + 1 hours;
        bytes32 digest = account.recoveryDigest(to, account.recoveryNonce(), deadline);
        address[] memory signers = new address[](count);
        bytes[] memory sigs = new bytes[](count);
        for (uint256 i = 0; i < count; i++) {
            signers[i] = vm.addr(keys[i]);
            // A forged approval is signed by a non-guardian key.
            (uint8 v, bytes32 r, bytes32 s) = vm.sign(forged && i == 0 ? 0xBAD : keys[i], digest);
            sigs[i] = abi.encodePacked(r, s, v);
        }
        try account.startRecovery(to, deadline, signers, sigs) {
            if (count < account.threshold() || (forged && count > 0)) violations++;
        } catch {}
    }

    function cancel() external {
        HarborAccount.PendingRecovery memory pending = account.pendingRecovery();
        if (pending.newOwner == address(0) || block.timestamp >= pending.executeAfter) return;
        vm.prank(ghostOwner);
        try account.cancelRecovery() {}
        catch {
            violations++; // the owner must always be able to cancel during the delay
        }
    }

    function warp(uint32 secondsAhead) external {
        vm.warp(block.timestamp + (secondsAhead % 3 days));
    }

    function execute() external {
        HarborAccount.PendingRecovery memory pending = account.pendingRecovery();
        try account.executeRecovery() {
            if (block.timestamp < pending.executeAfter) violations++;
            uint256 oldKey = ghostOwnerKey;
            ghostOwner = pending.newOwner;
            for (uint256 i = 0; i < ownerKeys.length; i++) {
                if (vm.addr(ownerKeys[i]) == ghostOwner) ghostOwnerKey = ownerKeys[i];
            }
            executed++;
            // The old owner can no longer sign.
            bytes32 hash = keccak256(abi.encode(executed));
            (uint8 v, bytes32 r, bytes32 s) = vm.sign(oldKey, account.messageDigest(hash));
            if (
                oldKey != ghostOwnerKey
                    && account.isValidSignature(hash, abi.encodePacked(r, s, v)) != 0xffffffff
            ) {
                violations++;
            }
        } catch {}
    }
}

contract RecoveryInvariantTest is Fixture {
    RecoveryHandler internal handler;
    HarborAccount internal account;

    function setUp() public override {
        super.setUp();
        account = accountWithGuardians(2);
        handler = new RecoveryHandler(account, guardianKeys, OWNER_KEY);
        targetContract(address(handler));
    }

    /// The owner changes only through a recovery with at least `threshold` approvals whose delay passed.
    function invariant_OwnerOnlyChangesThroughCompletedRecovery() public view {
        assertEq(account.owner(), handler.ghostOwner());
    }

    /// No forged or under-threshold recovery started, every cancel in the delay worked, and the
    /// old owner's signatures died with the rotation.
    function invariant_NoRuleWasBroken() public view {
        assertEq(handler.violations(), 0);
    }
}
