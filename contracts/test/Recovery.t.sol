// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {HarborAccount} from "../src/HarborAccount.sol";
import {Fixture} from "./utils/Fixture.sol";

contract RecoveryTest is Fixture {
    HarborAccount internal account;
    uint256 internal deadline;

    event RecoveryStarted(
        address indexed newOwner, uint256 executeAfter, uint256 nonce, uint256 approvals, address[] guardians
    );
    event ApprovalsInvalidated(uint256 nonce);
    event RecoveryCancelled(address indexed newOwner, uint256 nonce);
    event RecoveryExecuted(address indexed previousOwner, address indexed newOwner, uint256 nonce);

    function setUp() public override {
        super.setUp();
        account = accountWithGuardians(2);
        deadline = block.timestamp + 1 days;
    }

    function start(uint256[] memory keys) internal {
        (address[] memory signers, bytes[] memory sigs) = approvals(account, newOwner, deadline, keys);
        account.startRecovery(newOwner, deadline, signers, sigs);
    }

    function test_FullRecoveryRotatesOwnerAfterDelay() public {
        (address[] memory signers, bytes[] memory sigs) = approvals(account, newOwner, deadline, keys2());
        // The event names the guardians who approved (so the owner knows whom to distrust).
        vm.expectEmit();
        emit RecoveryStarted(newOwner, block.timestamp + 2 days, 0, 2, signers);
        vm.prank(stranger); // anyone may submit approvals
        account.startRecovery(newOwner, deadline, signers, sigs);
        HarborAccount.PendingRecovery memory pending = account.pendingRecovery();
        assertEq(pending.newOwner, newOwner);
        assertEq(pending.approvals, 2);

        vm.warp(block.timestamp + 2 days - 1);
        vm.expectRevert(
            abi.encodeWithSelector(HarborAccount.RecoveryDelayNotOver.selector, pending.executeAfter)
        );
        account.executeRecovery();

        vm.warp(block.timestamp + 1);
        vm.expectEmit();
        emit RecoveryExecuted(owner, newOwner, 0);
        vm.prank(stranger);
        account.executeRecovery();
        assertEq(account.owner(), newOwner);
        assertEq(account.recoveryNonce(), 1);
        assertEq(account.pendingRecovery().newOwner, address(0));

        // The old owner can no longer sign or call.
        bytes32 hash = keccak256("after");
        bytes memory oldSig = signDigest(OWNER_KEY, account.messageDigest(hash));
        assertEq(bytes32(account.isValidSignature(hash, oldSig)), bytes32(bytes4(0xffffffff)));
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.NotAuthorized.selector, owner));
        account.execute(owner, 0, "");
        bytes memory newSig = signDigest(NEW_OWNER_KEY, account.messageDigest(hash));
        assertEq(bytes32(account.isValidSignature(hash, newSig)), bytes32(bytes4(0x1626ba7e)));
    }

    function test_BelowThresholdIsRefused() public {
        uint256[] memory one = new uint256[](1);
        one[0] = guardianKeys[0];
        (address[] memory signers, bytes[] memory sigs) = approvals(account, newOwner, deadline, one);
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.BelowThreshold.selector, 1, 2));
        account.startRecovery(newOwner, deadline, signers, sigs);
    }

    function test_NoGuardiansMeansNoRecovery() public {
        HarborAccount plain = factory.createAccount(owner, 99);
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.BelowThreshold.selector, 0, 0));
        plain.startRecovery(newOwner, deadline, new address[](0), new bytes[](0));
    }

    function test_DuplicateApprovalsAreRefused() public {
        (address[] memory signers, bytes[] memory sigs) = approvals(account, newOwner, deadline, keys2());
        signers[1] = signers[0];
        sigs[1] = sigs[0];
        vm.expectRevert(HarborAccount.GuardiansNotSorted.selector);
        account.startRecovery(newOwner, deadline, signers, sigs);
    }

    function test_UnsortedApprovalsAreRefused() public {
        (address[] memory signers, bytes[] memory sigs) = approvals(account, newOwner, deadline, keys2());
        (signers[0], signers[1]) = (signers[1], signers[0]);
        (sigs[0], sigs[1]) = (sigs[1], sigs[0]);
        vm.expectRevert(HarborAccount.GuardiansNotSorted.selector);
        account.startRecovery(newOwner, deadline, signers, sigs);
    }

    function test_LengthMismatchIsRefused() public {
        (address[] memory signers,) = approvals(account, newOwner, deadline, keys2());
        vm.expectRevert(HarborAccount.LengthMismatch.selector);
        account.startRecovery(newOwner, deadline, signers, new bytes[](1));
    }

    function test_NonGuardianApprovalIsRefused() public {
        uint256[] memory keys = new uint256[](2);
        keys[0] = guardianKeys[0];
        keys[1] = STRANGER_KEY;
        (address[] memory signers, bytes[] memory sigs) = approvals(account, newOwner, deadline, keys);
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.NotAGuardian.selector, stranger));
        account.startRecovery(newOwner, deadline, signers, sigs);
    }

    function test_WrongSignerIsRefused() public {
        (address[] memory signers, bytes[] memory sigs) = approvals(account, newOwner, deadline, keys2());
        sigs[0] = signDigest(STRANGER_KEY, account.recoveryDigest(newOwner, 0, deadline));
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.InvalidGuardianSignature.selector, signers[0]));
        account.startRecovery(newOwner, deadline, signers, sigs);
    }

    function test_ApprovalForAnotherOwnerIsRefused() public {
        (address[] memory signers, bytes[] memory sigs) = approvals(account, newOwner, deadline, keys2());
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.InvalidGuardianSignature.selector, signers[0]));
        account.startRecovery(stranger, deadline, signers, sigs);
    }

    function test_ExpiredDeadlineIsRefused() public {
        (address[] memory signers, bytes[] memory sigs) = approvals(account, newOwner, deadline, keys2());
        vm.warp(deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.ApprovalExpired.selector, deadline));
        account.startRecovery(newOwner, deadline, signers, sigs);
    }

    function test_ApprovalsCannotBeReplayedAfterExecution() public {
        deadline = block.timestamp + 30 days;
        (address[] memory signers, bytes[] memory sigs) = approvals(account, newOwner, deadline, keys2());
        account.startRecovery(newOwner, deadline, signers, sigs);
        vm.warp(block.timestamp + 2 days);
        account.executeRecovery();
        // Submitting them again would move the account to the key that owns it already.
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.InvalidOwner.selector, newOwner));
        account.startRecovery(newOwner, deadline, signers, sigs);
        // And approvals of the old nonce are dead for any other new owner.
        (signers, sigs) = approvalsAt(account, stranger, 0, deadline, keys2());
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.InvalidGuardianSignature.selector, signers[0]));
        account.startRecovery(stranger, deadline, signers, sigs);
    }

    function test_ApprovalsCannotBeReplayedAfterCancel() public {
        (address[] memory signers, bytes[] memory sigs) = approvals(account, newOwner, deadline, keys2());
        account.startRecovery(newOwner, deadline, signers, sigs);
        vm.expectEmit();
        emit RecoveryCancelled(newOwner, 0);
        vm.prank(owner);
        account.cancelRecovery();
        assertEq(account.recoveryNonce(), 1);
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.InvalidGuardianSignature.selector, signers[0]));
        account.startRecovery(newOwner, deadline, signers, sigs);
    }

    function test_OwnerCancelsThroughTheAccountToo() public {
        start(keys2());
        vm.prank(owner);
        account.execute(address(account), 0, abi.encodeCall(HarborAccount.cancelRecovery, ()));
        assertEq(account.pendingRecovery().newOwner, address(0));
    }

    function test_StrangerAndGuardianCannotCancel() public {
        start(keys2());
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.NotAuthorized.selector, stranger));
        account.cancelRecovery();
        vm.prank(guardian(0));
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.NotAuthorized.selector, guardian(0)));
        account.cancelRecovery();
    }

    function test_CancelAfterDelayIsRefused() public {
        start(keys2());
        uint256 executeAfter = account.pendingRecovery().executeAfter;
        vm.warp(executeAfter);
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.RecoveryDelayOver.selector, executeAfter));
        account.cancelRecovery();
    }

    function test_NothingPending() public {
        vm.expectRevert(HarborAccount.NoPendingRecovery.selector);
        account.executeRecovery();
        vm.prank(owner);
        vm.expectRevert(HarborAccount.NoPendingRecovery.selector);
        account.cancelRecovery();
    }

    function test_OwnersConfigCancelsARecoveryInItsDelayOnly() public {
        start(keys2());
        (HarborAccount.Config memory c, bytes memory sig) =
            signedConfig(account, OWNER_KEY, one(guardian(2)), 1, 2 days);
        vm.expectEmit();
        emit RecoveryCancelled(newOwner, 0);
        account.applyConfig(c, sig);
        assertEq(account.pendingRecovery().newOwner, address(0));
        assertEq(account.recoveryNonce(), 1);
        // After the delay the recovery wins: the config waits.
        uint256[] memory keys = new uint256[](1);
        keys[0] = guardianKeys[2];
        (address[] memory signers, bytes[] memory sigs) = approvals(account, newOwner, deadline, keys);
        account.startRecovery(newOwner, deadline, signers, sigs);
        uint256 executeAfter = account.pendingRecovery().executeAfter;
        (c, sig) = signedConfig(account, OWNER_KEY, new address[](0), 0, 2 days);
        vm.warp(executeAfter);
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.RecoveryDelayOver.selector, executeAfter));
        account.applyConfig(c, sig);
    }

    function test_OwnerCanInvalidateApprovalsHandedOut() public {
        (address[] memory signers, bytes[] memory sigs) = approvals(account, newOwner, deadline, keys2());
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.NotAuthorized.selector, stranger));
        account.invalidateApprovals();
        vm.prank(guardian(0));
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.NotAuthorized.selector, guardian(0)));
        account.invalidateApprovals();
        vm.expectEmit();
        emit ApprovalsInvalidated(1);
        vm.prank(owner);
        account.invalidateApprovals();
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.InvalidGuardianSignature.selector, signers[0]));
        account.startRecovery(newOwner, deadline, signers, sigs);
        // Through the account too.
        vm.prank(owner);
        account.execute(address(account), 0, abi.encodeCall(HarborAccount.invalidateApprovals, ()));
        assertEq(account.recoveryNonce(), 2);
    }

    function test_MoreApprovalsForTheSameOwnerKeepTheDelay() public {
        start(keys2());
        uint256 executeAfter = account.pendingRecovery().executeAfter;
        // A day later a third guardian (who took no part) submits all three public approvals.
        vm.warp(block.timestamp + 1 days);
        start(keys3());
        HarborAccount.PendingRecovery memory pending = account.pendingRecovery();
        assertEq(pending.approvals, 3);
        assertEq(pending.executeAfter, executeAfter);
        vm.warp(executeAfter);
        account.executeRecovery();
        assertEq(account.owner(), newOwner);
    }

    function test_RecoveryToTheCurrentOwnerIsRefused() public {
        (address[] memory signers, bytes[] memory sigs) = approvals(account, owner, deadline, keys2());
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.InvalidOwner.selector, owner));
        account.startRecovery(owner, deadline, signers, sigs);
    }

    function test_NewOwnerCannotBeAGuardian() public {
        address to = guardian(2);
        (address[] memory signers, bytes[] memory sigs) = approvals(account, to, deadline, keys2());
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.InvalidOwner.selector, to));
        account.startRecovery(to, deadline, signers, sigs);
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.InvalidOwner.selector, address(0)));
        account.startRecovery(address(0), deadline, signers, sigs);
    }

    function test_OnlyAStrongerRecoveryReplacesAPendingOne() public {
        start(keys2());
        // An equally supported recovery to someone else is refused.
        uint256[] memory other = new uint256[](2);
        other[0] = guardianKeys[1];
        other[1] = guardianKeys[2];
        (address[] memory s2, bytes[] memory g2) = approvals(account, stranger, deadline, other);
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.RecoveryNotStronger.selector, 2, 2));
        account.startRecovery(stranger, deadline, s2, g2);
        // All three guardians win, and the delay restarts.
        vm.warp(block.timestamp + 1 days);
        (address[] memory s3, bytes[] memory g3) = approvals(account, stranger, deadline, keys3());
        account.startRecovery(stranger, deadline, s3, g3);
        HarborAccount.PendingRecovery memory pending = account.pendingRecovery();
        assertEq(pending.newOwner, stranger);
        assertEq(pending.approvals, 3);
        assertEq(pending.executeAfter, block.timestamp + 2 days);
    }

    function test_ContractGuardianViaErc1271() public {
        // Another Harbor account (say, a friend's) guards this one; its owner signs for it.
        HarborAccount friend = factory.createAccount(vm.addr(0xF00D), 0);
        HarborAccount guarded = factory.createAccount(owner, 5);
        configure(guarded, OWNER_KEY, one(address(friend)), 1, 2 days);
        bytes32 digest = guarded.recoveryDigest(newOwner, 0, deadline);
        address[] memory signers = new address[](1);
        signers[0] = address(friend);
        bytes[] memory sigs = new bytes[](1);
        sigs[0] = signDigest(0xF00D, friend.messageDigest(digest));
        guarded.startRecovery(newOwner, deadline, signers, sigs);
        assertEq(guarded.pendingRecovery().newOwner, newOwner);
        // A signature over the bare digest is not a valid ERC-1271 approval.
        HarborAccount guarded2 = factory.createAccount(owner, 6);
        configure(guarded2, OWNER_KEY, one(address(friend)), 1, 2 days);
        sigs[0] = signDigest(0xF00D, guarded2.recoveryDigest(newOwner, 0, deadline));
        vm.expectRevert(
            abi.encodeWithSelector(HarborAccount.InvalidGuardianSignature.selector, address(friend))
        );
        guarded2.startRecovery(newOwner, deadline, signers, sigs);
    }

    function test_ApprovalsAreBoundToTheChain() public {
        (address[] memory signers, bytes[] memory sigs) = approvals(account, newOwner, deadline, keys2());
        vm.chainId(8453);
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.InvalidGuardianSignature.selector, signers[0]));
        account.startRecovery(newOwner, deadline, signers, sigs);
    }

    function testFuzz_FewerThanThresholdNeverStarts(uint8 threshold, uint8 present) public {
        HarborAccount acc = factory.createAccount(owner, 1000);
        uint256 t = bound(threshold, 1, 3);
        uint256 k = bound(present, 0, t - 1);
        address[] memory all = new address[](3);
        for (uint256 i = 0; i < 3; i++) {
            all[i] = guardian(i);
        }
        configure(acc, OWNER_KEY, all, t, 2 days);
        uint256[] memory keys = new uint256[](k);
        for (uint256 i = 0; i < k; i++) {
            keys[i] = guardianKeys[i];
        }
        (address[] memory signers, bytes[] memory sigs) = approvals(acc, newOwner, deadline, keys);
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.BelowThreshold.selector, k, t));
        acc.startRecovery(newOwner, deadline, signers, sigs);
        assertEq(acc.owner(), owner);
    }

    function testFuzz_OwnerCanAlwaysCancelBeforeTheDelayEnds(uint256 wait, uint256 delay) public {
        delay = bound(delay, 1 days, 90 days);
        address[] memory all = new address[](3);
        for (uint256 i = 0; i < 3; i++) {
            all[i] = guardian(i);
        }
        configure(account, OWNER_KEY, all, 2, delay);
        start(keys2());
        wait = bound(wait, 0, delay - 1);
        vm.warp(block.timestamp + wait);
        vm.prank(owner);
        account.cancelRecovery();
        vm.warp(block.timestamp + 100 days);
        vm.expectRevert(HarborAccount.NoPendingRecovery.selector);
        account.executeRecovery();
        assertEq(account.owner(), owner);
    }
}
