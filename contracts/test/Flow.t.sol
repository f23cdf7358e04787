// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";
import {PackedUserOperation} from "@account-abstraction/contracts/interfaces/PackedUserOperation.sol";
import {HarborAccount} from "../src/HarborAccount.sol";
import {HarborAccountFactory} from "../src/HarborAccountFactory.sol";
import {Fixture} from "./utils/Fixture.sol";
import {Target} from "./HarborAccount.t.sol";

/// End to end through the real EntryPoint v0.7: a brand-new account with no ETH is deployed by
/// its first UserOperation, sponsored by HarborPaymaster, and runs a batch.
contract FlowTest is Fixture {
    Target internal target;
    address payable internal beneficiary = payable(address(0xBEEF));

    function setUp() public override {
        super.setUp();
        target = new Target();
    }

    function firstOp(uint256 salt) internal view returns (PackedUserOperation memory op) {
        address sender = factory.getAddress(owner, salt);
        bytes memory initCode = abi.encodePacked(
            address(factory), abi.encodeCall(HarborAccountFactory.createAccount, (owner, salt))
        );
        HarborAccount.Call[] memory calls = new HarborAccount.Call[](3);
        calls[0] = HarborAccount.Call(address(target), 0, abi.encodeCall(Target.hit, (1)));
        calls[1] = HarborAccount.Call(address(target), 0, abi.encodeCall(Target.hit, (2)));
        // Set up recovery in the same operation: the account calls itself.
        HarborAccount.Config memory config = HarborAccount.Config({
            guardians: one(guardian(0)), threshold: 1, securityDelay: 2 days, version: 1
        });
        bytes memory signature = signDigest(OWNER_KEY, configDigestFor(sender, config));
        calls[2] =
            HarborAccount.Call(sender, 0, abi.encodeCall(HarborAccount.applyConfig, (config, signature)));
        op = userOp(sender, initCode, abi.encodeCall(HarborAccount.executeBatch, (calls)));
        op.accountGasLimits = packGas(1_000_000, 300_000);
    }

    function submit(PackedUserOperation memory op) internal {
        PackedUserOperation[] memory ops = new PackedUserOperation[](1);
        ops[0] = op;
        entryPoint.handleOps(ops, beneficiary);
    }

    function test_SponsoredFirstOperationDeploysAndRunsABatch() public {
        PackedUserOperation memory op = firstOp(42);
        assertEq(op.sender.code.length, 0);
        assertEq(op.sender.balance, 0);
        op.paymasterAndData = sponsor(op, SPONSOR_KEY, uint48(block.timestamp + 600), 0);
        op.signature = signDigest(OWNER_KEY, entryPoint.getUserOpHash(op));
        uint256 depositBefore = paymaster.getDeposit();

        submit(op);

        assertTrue(op.sender.code.length > 0);
        HarborAccount account = HarborAccount(payable(op.sender));
        assertEq(account.owner(), owner);
        assertEq(target.calls(), 2);
        assertEq(target.received(), 3);
        assertTrue(account.isGuardian(guardian(0)));
        assertEq(op.sender.balance, 0);
        assertTrue(paymaster.getDeposit() < depositBefore);
        assertTrue(beneficiary.balance > 0);
        assertEq(entryPoint.getNonce(op.sender, 0), 1);
    }

    function test_WrongOwnerSignatureIsRejectedByTheEntryPoint() public {
        PackedUserOperation memory op = firstOp(43);
        op.paymasterAndData = sponsor(op, SPONSOR_KEY, 0, 0);
        op.signature = signDigest(STRANGER_KEY, entryPoint.getUserOpHash(op));
        vm.expectRevert(abi.encodeWithSelector(IEntryPoint.FailedOp.selector, 0, "AA24 signature error"));
        submit(op);
    }

    function test_UnsponsoredOperationIsRejectedByThePaymaster() public {
        PackedUserOperation memory op = firstOp(44);
        op.paymasterAndData = sponsor(op, STRANGER_KEY, 0, 0);
        op.signature = signDigest(OWNER_KEY, entryPoint.getUserOpHash(op));
        vm.expectRevert(abi.encodeWithSelector(IEntryPoint.FailedOp.selector, 0, "AA34 signature error"));
        submit(op);
    }

    function test_ExpiredSponsorshipIsRejected() public {
        vm.warp(10_000);
        PackedUserOperation memory op = firstOp(45);
        op.paymasterAndData = sponsor(op, SPONSOR_KEY, uint48(block.timestamp - 1), 0);
        op.signature = signDigest(OWNER_KEY, entryPoint.getUserOpHash(op));
        vm.expectRevert(
            abi.encodeWithSelector(IEntryPoint.FailedOp.selector, 0, "AA32 paymaster expired or not due")
        );
        submit(op);
    }

    function test_SelfPaidOperationFromAFundedAccount() public {
        HarborAccount account = factory.createAccount(owner, 46);
        vm.deal(address(account), 1 ether);
        PackedUserOperation memory op = userOp(
            address(account),
            "",
            abi.encodeCall(HarborAccount.execute, (address(target), 0, abi.encodeCall(Target.hit, (9))))
        );
        op.signature = signDigest(OWNER_KEY, entryPoint.getUserOpHash(op));
        submit(op);
        assertEq(target.received(), 9);
        assertTrue(address(account).balance < 1 ether);
    }
}
