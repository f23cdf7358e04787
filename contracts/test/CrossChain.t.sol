// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {HarborAccount} from "../src/HarborAccount.sol";
import {Fixture} from "./utils/Fixture.sol";

/// One address on every chain: after guardians move the account to a new key on chain A, the
/// same address on chain B (deployed later, by anyone, for the old key) ends up controlled by the
/// new key only. Two chains are modelled by reverting to a state before the account existed and
/// changing the chain id.
contract CrossChainTest is Fixture {
    uint256 internal constant CHAIN_A = 1;
    uint256 internal constant CHAIN_B = 8453;

    function allGuardians() internal view returns (address[] memory all) {
        all = new address[](3);
        for (uint256 i = 0; i < 3; i++) {
            all[i] = guardian(i);
        }
    }

    function recover(HarborAccount account) internal {
        uint256 deadline = block.timestamp + 7 days;
        (address[] memory signers, bytes[] memory sigs) = approvals(account, newOwner, deadline, keys2());
        account.startRecovery(newOwner, deadline, signers, sigs);
        vm.warp(block.timestamp + account.securityDelay());
        account.executeRecovery();
    }

    function test_RecoveredKeyAloneControlsTheAddressOnAChainDeployedLater() public {
        uint256 beforeAnyChain = vm.snapshotState();

        // Chain A: the owner sets guardians (one signed config), then loses the key; recovery.
        vm.chainId(CHAIN_A);
        HarborAccount onA = newAccount();
        configure(onA, OWNER_KEY, allGuardians(), 2, 2 days);
        recover(onA);
        assertEq(onA.owner(), newOwner);
        (HarborAccount.Config memory config, bytes memory signature) = onA.latestConfig();

        // Chain B, later: a stranger deploys the same address for the old key.
        vm.revertToState(beforeAnyChain);
        vm.chainId(CHAIN_B);
        vm.prank(stranger);
        HarborAccount onB = factory.createAccount(owner, 0);
        assertEq(address(onB), address(onA));
        assertEq(onB.owner(), owner);

        // The owner's config from chain A applies as it is; the guardians recover chain B too.
        vm.prank(stranger);
        onB.applyConfig(config, signature);
        assertEq(onB.guardians().length, 3);
        recover(onB);

        // Only the new key controls it on B.
        assertEq(onB.owner(), newOwner);
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.NotAuthorized.selector, owner));
        onB.execute(owner, 0, "");
        bytes32 hash = keccak256("pay me");
        assertEq(
            bytes32(onB.isValidSignature(hash, signDigest(OWNER_KEY, onB.messageDigest(hash)))),
            bytes32(bytes4(0xffffffff))
        );
        assertEq(
            bytes32(onB.isValidSignature(hash, signDigest(NEW_OWNER_KEY, onB.messageDigest(hash)))),
            bytes32(bytes4(0x1626ba7e))
        );
        // The old key cannot change the guardians there any more either.
        (HarborAccount.Config memory mine, bytes memory mySig) =
            signedConfig(onB, OWNER_KEY, new address[](0), 0, 1 days);
        vm.expectRevert(HarborAccount.InvalidConfigSignature.selector);
        onB.applyConfig(mine, mySig);
        // The new key can, and its config is then the latest for chains that follow.
        configure(onB, NEW_OWNER_KEY, allGuardians(), 3, 2 days);
        assertEq(onB.threshold(), 3);
    }

    function test_AnOlderConfigCannotBeReplayedOverANewerOne() public {
        uint256 beforeAnyChain = vm.snapshotState();
        vm.chainId(CHAIN_A);
        HarborAccount onA = newAccount();
        configure(onA, OWNER_KEY, allGuardians(), 2, 2 days);
        (HarborAccount.Config memory v1, bytes memory v1Sig) = onA.latestConfig();
        // Guardian 0's key leaks: the owner drops that guardian.
        address[] memory two = new address[](2);
        two[0] = guardian(1);
        two[1] = guardian(2);
        configure(onA, OWNER_KEY, two, 2, 2 days);
        (HarborAccount.Config memory v2, bytes memory v2Sig) = onA.latestConfig();

        vm.revertToState(beforeAnyChain);
        vm.chainId(CHAIN_B);
        HarborAccount onB = newAccount();
        // An attacker applies the old config first; the newer one still applies over it.
        onB.applyConfig(v1, v1Sig);
        onB.applyConfig(v2, v2Sig);
        assertFalse(onB.isGuardian(guardian(0)));
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.StaleConfig.selector, 1, 2));
        onB.applyConfig(v1, v1Sig);
    }

    function test_ApplyingTheNewerConfigCancelsARecoveryStartedUnderAnOlderOne() public {
        uint256 beforeAnyChain = vm.snapshotState();
        vm.chainId(CHAIN_A);
        HarborAccount onA = newAccount();
        // v1: one guardian, alone enough; v2 drops it for three others.
        configure(onA, OWNER_KEY, one(guardian(0)), 1, 2 days);
        (HarborAccount.Config memory v1, bytes memory v1Sig) = onA.latestConfig();
        configure(onA, OWNER_KEY, allGuardians(), 2, 2 days);
        (HarborAccount.Config memory v2, bytes memory v2Sig) = onA.latestConfig();

        vm.revertToState(beforeAnyChain);
        vm.chainId(CHAIN_B);
        HarborAccount onB = newAccount();
        onB.applyConfig(v1, v1Sig);
        // The dropped guardian tries to take chain B alone.
        uint256[] memory key0 = new uint256[](1);
        key0[0] = guardianKeys[0];
        uint256 deadline = block.timestamp + 1 days;
        (address[] memory s, bytes[] memory g) = approvals(onB, stranger, deadline, key0);
        onB.startRecovery(stranger, deadline, s, g);
        // Anyone (the wallet) applies the owner's newer config: that recovery is cancelled.
        onB.applyConfig(v2, v2Sig);
        assertEq(onB.pendingRecovery().newOwner, address(0));
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.BelowThreshold.selector, 1, 2));
        onB.startRecovery(stranger, deadline, s, g);
    }
}
