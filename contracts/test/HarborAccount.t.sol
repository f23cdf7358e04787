// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";
import {IERC1155Receiver} from "@openzeppelin/contracts/token/ERC1155/IERC1155Receiver.sol";
import {IERC721Receiver} from "@openzeppelin/contracts/token/ERC721/IERC721Receiver.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {HarborAccount} from "../src/HarborAccount.sol";
import {HarborAccountFactory} from "../src/HarborAccountFactory.sol";
import {Fixture} from "./utils/Fixture.sol";

contract Target {
    uint256 public calls;
    uint256 public received;

    function hit(uint256 amount) external payable {
        calls += 1;
        received += amount + msg.value;
    }

    function boom() external pure {
        revert("boom");
    }
}

contract HarborAccountV2 is HarborAccount {
    constructor(IEntryPoint ep) HarborAccount(ep) {}

    function version() external pure returns (uint256) {
        return 2;
    }
}

contract HarborAccountTest is Fixture {
    HarborAccount internal account;
    Target internal target;

    function setUp() public override {
        super.setUp();
        account = newAccount();
        target = new Target();
    }

    function test_StorageSlotIsErc7201() public pure {
        bytes32 expected =
            keccak256(abi.encode(uint256(keccak256("harbor.account.v1")) - 1)) & ~bytes32(uint256(0xff));
        assertEq(expected, 0x593944a96e843026dd0fa98237e8e69108d43902a01bede25146d31a7289b300);
    }

    function test_InitializeSetsOwnerAndDefaults() public view {
        assertEq(account.owner(), owner);
        assertEq(account.securityDelay(), 2 days);
        assertEq(account.threshold(), 0);
        assertEq(address(account.entryPoint()), address(entryPoint));
        assertEq(account.guardians().length, 0);
    }

    function test_CannotInitializeTwiceOrTheImplementation() public {
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        account.initialize(stranger);
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        implementation.initialize(stranger);
    }

    function test_FactoryAddressIsCounterfactualAndIdempotent() public {
        address predicted = factory.getAddress(newOwner, 7);
        assertEq(predicted.code.length, 0);
        HarborAccount created = factory.createAccount(newOwner, 7);
        assertEq(address(created), predicted);
        assertEq(address(factory.createAccount(newOwner, 7)), predicted);
        assertTrue(factory.getAddress(newOwner, 8) != predicted);
        assertTrue(factory.getAddress(owner, 7) != predicted);
        assertEq(created.owner(), newOwner);
    }

    function test_FactoryRefusesZeroOwner() public {
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.InvalidOwner.selector, address(0)));
        factory.createAccount(address(0), 1);
    }

    function test_ExecuteByOwnerAndEntryPoint() public {
        vm.deal(address(account), 1 ether);
        vm.prank(owner);
        account.execute(address(target), 0.1 ether, abi.encodeCall(Target.hit, (1)));
        vm.prank(address(entryPoint));
        account.execute(address(target), 0, abi.encodeCall(Target.hit, (2)));
        assertEq(target.calls(), 2);
        assertEq(address(target).balance, 0.1 ether);
    }

    function test_ExecuteByStrangerReverts() public {
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.NotAuthorized.selector, stranger));
        account.execute(address(target), 0, abi.encodeCall(Target.hit, (1)));
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.NotAuthorized.selector, stranger));
        account.executeBatch(new HarborAccount.Call[](0));
    }

    function test_ExecuteBatchRunsInOrderAndReportsFailingIndex() public {
        HarborAccount.Call[] memory calls = new HarborAccount.Call[](2);
        calls[0] = HarborAccount.Call(address(target), 0, abi.encodeCall(Target.hit, (5)));
        calls[1] = HarborAccount.Call(address(target), 0, abi.encodeCall(Target.hit, (6)));
        vm.prank(owner);
        account.executeBatch(calls);
        assertEq(target.received(), 11);

        calls[1] = HarborAccount.Call(address(target), 0, abi.encodeCall(Target.boom, ()));
        bytes memory reason = abi.encodeWithSignature("Error(string)", "boom");
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.CallFailed.selector, 1, reason));
        account.executeBatch(calls);
        assertEq(target.calls(), 2);
    }

    function test_HoldsEthAndTokens() public {
        vm.deal(stranger, 1 ether);
        vm.prank(stranger);
        (bool ok,) = address(account).call{value: 1 ether}("");
        assertTrue(ok);
        assertEq(address(account).balance, 1 ether);
        assertEq(
            bytes32(account.onERC721Received(stranger, stranger, 1, "")),
            bytes32(IERC721Receiver.onERC721Received.selector)
        );
        assertEq(
            bytes32(account.onERC1155Received(stranger, stranger, 1, 1, "")),
            bytes32(IERC1155Receiver.onERC1155Received.selector)
        );
        assertTrue(account.supportsInterface(type(IERC1155Receiver).interfaceId));
    }

    function test_Erc1271IsReplaySafe() public {
        bytes32 hash = keccak256("order #1");
        bytes memory good = signDigest(OWNER_KEY, account.messageDigest(hash));
        assertEq(bytes32(account.isValidSignature(hash, good)), bytes32(bytes4(0x1626ba7e)));
        // A signature of the bare hash is not accepted.
        assertEq(
            bytes32(account.isValidSignature(hash, signDigest(OWNER_KEY, hash))), bytes32(bytes4(0xffffffff))
        );
        // Another account of the same owner has another domain.
        HarborAccount other = factory.createAccount(owner, 1);
        assertEq(bytes32(other.isValidSignature(hash, good)), bytes32(bytes4(0xffffffff)));
        // The same account on another chain has another domain.
        vm.chainId(10);
        assertEq(bytes32(account.isValidSignature(hash, good)), bytes32(bytes4(0xffffffff)));
        // Garbage is rejected, not reverted.
        assertEq(bytes32(account.isValidSignature(hash, hex"1234")), bytes32(bytes4(0xffffffff)));
    }

    function test_ConfigNeedsTheOwnersSignature() public {
        (HarborAccount.Config memory config, bytes memory byStranger) =
            signedConfig(account, STRANGER_KEY, one(guardian(0)), 1, 2 days);
        vm.expectRevert(HarborAccount.InvalidConfigSignature.selector);
        account.applyConfig(config, byStranger);
        vm.expectRevert(HarborAccount.InvalidConfigSignature.selector);
        account.applyConfig(config, hex"1234");
        // A signature over another config (here: another threshold) does not carry over.
        (, bytes memory byOwner) = signedConfig(account, OWNER_KEY, one(guardian(0)), 1, 3 days);
        vm.expectRevert(HarborAccount.InvalidConfigSignature.selector);
        account.applyConfig(config, byOwner);
        // The owner's signature may be submitted by anyone, directly or through the account.
        (, byOwner) = signedConfig(account, OWNER_KEY, one(guardian(0)), 1, 2 days);
        vm.prank(stranger);
        account.applyConfig(config, byOwner);
        assertTrue(account.isGuardian(guardian(0)));
        (HarborAccount.Config memory latest, bytes memory latestSignature) = account.latestConfig();
        assertEq(latest.version, 1);
        assertEq(latest.guardians.length, 1);
        assertEq(latestSignature, byOwner);
    }

    function test_ConfigVersionsOnlyGoUp() public {
        (HarborAccount.Config memory first, bytes memory firstSig) =
            signedConfig(account, OWNER_KEY, one(guardian(0)), 1, 2 days);
        account.applyConfig(first, firstSig);
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.StaleConfig.selector, 1, 1));
        account.applyConfig(first, firstSig);
        configure(account, OWNER_KEY, one(guardian(1)), 1, 2 days);
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.StaleConfig.selector, 1, 2));
        account.applyConfig(first, firstSig);
        assertTrue(account.isGuardian(guardian(1)));
        assertFalse(account.isGuardian(guardian(0)));
    }

    function test_ConfigIsTheSameOnEveryChain() public {
        (HarborAccount.Config memory config, bytes memory signature) =
            signedConfig(account, OWNER_KEY, one(guardian(0)), 1, 2 days);
        assertEq(account.configDigest(config), configDigestFor(address(account), config));
        bytes32 here = account.configDigest(config);
        vm.chainId(10);
        assertEq(account.configDigest(config), here);
        account.applyConfig(config, signature);
        assertTrue(account.isGuardian(guardian(0)));
        // Another account of the same owner has another domain.
        HarborAccount other = factory.createAccount(owner, 1);
        vm.expectRevert(HarborAccount.InvalidConfigSignature.selector);
        other.applyConfig(config, signature);
    }

    function test_GuardianSetRules() public {
        address[] memory list = new address[](2);
        list[0] = guardian(0);
        list[1] = address(0);
        (HarborAccount.Config memory c, bytes memory sig) = signedConfig(account, OWNER_KEY, list, 1, 2 days);
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.InvalidGuardian.selector, address(0)));
        account.applyConfig(c, sig);
        list[1] = owner;
        (c, sig) = signedConfig(account, OWNER_KEY, list, 1, 2 days);
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.InvalidGuardian.selector, owner));
        account.applyConfig(c, sig);
        list[1] = address(account);
        (c, sig) = signedConfig(account, OWNER_KEY, list, 1, 2 days);
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.InvalidGuardian.selector, address(account)));
        account.applyConfig(c, sig);
        list[1] = guardian(0);
        (c, sig) = signedConfig(account, OWNER_KEY, list, 1, 2 days);
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.DuplicateGuardian.selector, guardian(0)));
        account.applyConfig(c, sig);
        list[1] = guardian(1);
        (c, sig) = signedConfig(account, OWNER_KEY, list, 3, 2 days);
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.InvalidThreshold.selector, 3, 2));
        account.applyConfig(c, sig);
        (c, sig) = signedConfig(account, OWNER_KEY, list, 0, 2 days);
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.InvalidThreshold.selector, 0, 2));
        account.applyConfig(c, sig);
        (c, sig) = signedConfig(account, OWNER_KEY, new address[](0), 1, 2 days);
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.InvalidThreshold.selector, 1, 0));
        account.applyConfig(c, sig);
        configure(account, OWNER_KEY, list, 2, 2 days);
        assertEq(account.guardians().length, 2);
        assertEq(account.threshold(), 2);
    }

    function test_TheLastGuardianCanBeRemoved() public {
        configure(account, OWNER_KEY, one(guardian(0)), 1, 2 days);
        assertEq(account.threshold(), 1);
        // Back to no guardians: recovery is off, and the former guardian can no longer start one.
        configure(account, OWNER_KEY, new address[](0), 0, 2 days);
        assertEq(account.guardians().length, 0);
        assertEq(account.threshold(), 0);
        assertFalse(account.isGuardian(guardian(0)));
        uint256[] memory keys = new uint256[](1);
        keys[0] = guardianKeys[0];
        (address[] memory signers, bytes[] memory sigs) =
            approvals(account, newOwner, block.timestamp + 1 days, keys);
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.BelowThreshold.selector, 1, 0));
        account.startRecovery(newOwner, block.timestamp + 1 days, signers, sigs);
    }

    function test_GuardianLimit() public {
        address[] memory many = new address[](17);
        for (uint256 i = 0; i < 17; i++) {
            many[i] = address(uint160(0x1000 + i));
        }
        (HarborAccount.Config memory c, bytes memory sig) = signedConfig(account, OWNER_KEY, many, 1, 2 days);
        vm.expectRevert(HarborAccount.TooManyGuardians.selector);
        account.applyConfig(c, sig);
        assembly {
            mstore(many, 16)
        }
        configure(account, OWNER_KEY, many, 16, 2 days);
        assertEq(account.guardians().length, 16);
    }

    function test_SecurityDelayHasAFloorOnEveryChain() public {
        uint256[3] memory chains = [uint256(1), 31337, 8453];
        for (uint256 i = 0; i < chains.length; i++) {
            vm.chainId(chains[i]);
            (HarborAccount.Config memory c, bytes memory sig) =
                signedConfig(account, OWNER_KEY, new address[](0), 0, 0);
            vm.expectRevert(abi.encodeWithSelector(HarborAccount.InvalidSecurityDelay.selector, 0));
            account.applyConfig(c, sig);
            (c, sig) = signedConfig(account, OWNER_KEY, new address[](0), 0, 1 days - 1);
            vm.expectRevert(abi.encodeWithSelector(HarborAccount.InvalidSecurityDelay.selector, 1 days - 1));
            account.applyConfig(c, sig);
            (c, sig) = signedConfig(account, OWNER_KEY, new address[](0), 0, 91 days);
            vm.expectRevert(abi.encodeWithSelector(HarborAccount.InvalidSecurityDelay.selector, 91 days));
            account.applyConfig(c, sig);
        }
        configure(account, OWNER_KEY, new address[](0), 0, 1 days);
        assertEq(account.securityDelay(), 1 days);
    }

    function test_NoWayForTheOwnerAloneToChangeTheOwner() public {
        // There is no owner-only rotation: the owner changes only through a recovery, so every
        // chain follows the same owners. A call to the removed function fails.
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.CallFailed.selector, 0, ""));
        account.execute(address(account), 0, abi.encodeWithSignature("transferOwnership(address)", newOwner));
        assertEq(account.owner(), owner);
    }

    function test_UpgradeOnlyByTheAccount() public {
        HarborAccountV2 v2 = new HarborAccountV2(IEntryPoint(address(entryPoint)));
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.NotAuthorized.selector, stranger));
        account.upgradeToAndCall(address(v2), "");
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(HarborAccount.NotAuthorized.selector, owner));
        account.upgradeToAndCall(address(v2), "");
        vm.prank(owner);
        account.execute(address(account), 0, abi.encodeCall(account.upgradeToAndCall, (address(v2), "")));
        assertEq(HarborAccountV2(payable(address(account))).version(), 2);
        assertEq(account.owner(), owner);
    }

    function test_DomainSeparatorDependsOnAccountAndChain() public {
        HarborAccount other = factory.createAccount(owner, 1);
        assertTrue(account.domainSeparator() != other.domainSeparator());
        bytes32 before = account.domainSeparator();
        vm.chainId(5);
        assertTrue(account.domainSeparator() != before);
    }

    function test_FactoryExposesImplementation() public view {
        assertEq(address(factory.ACCOUNT_IMPLEMENTATION()), address(implementation));
    }

    function testFuzz_OnlyOwnerSignaturesValidate(uint256 key, bytes32 hash) public view {
        key = bound(key, 1, 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140);
        bytes memory sig = signDigest(key, account.messageDigest(hash));
        bytes4 result = account.isValidSignature(hash, sig);
        if (vm.addr(key) == owner) assertEq(bytes32(result), bytes32(bytes4(0x1626ba7e)));
        else assertEq(bytes32(result), bytes32(bytes4(0xffffffff)));
    }
}
