// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";
import {PackedUserOperation} from "@account-abstraction/contracts/interfaces/PackedUserOperation.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {HarborPaymaster} from "../src/HarborPaymaster.sol";
import {Fixture} from "./utils/Fixture.sol";

contract HarborPaymasterTest is Fixture {
    PackedUserOperation internal op;

    function setUp() public override {
        super.setUp();
        op = userOp(address(0x1234), "", hex"deadbeef");
    }

    function validate(PackedUserOperation memory o) internal returns (uint256 validationData) {
        vm.prank(address(entryPoint));
        (, validationData) = paymaster.validatePaymasterUserOp(o, bytes32(0), 1 ether);
    }

    function test_OwnershipMovesInTwoStepsAndIsNeverRenounced() public {
        address next = address(0xCAFE);
        vm.prank(paymasterOwner);
        paymaster.transferOwnership(next);
        assertEq(paymaster.owner(), paymasterOwner);
        assertEq(paymaster.pendingOwner(), next);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSignature("OwnableUnauthorizedAccount(address)", stranger));
        paymaster.acceptOwnership();
        vm.prank(next);
        paymaster.acceptOwnership();
        assertEq(paymaster.owner(), next);
        vm.prank(next);
        vm.expectRevert(HarborPaymaster.RenounceDisabled.selector);
        paymaster.renounceOwnership();
        vm.prank(next);
        vm.expectRevert(abi.encodeWithSignature("OwnableInvalidOwner(address)", address(0)));
        paymaster.transferOwnership(address(0));
        assertEq(paymaster.owner(), next);
    }

    function test_OwnerZeroIsRefusedAtDeployment() public {
        vm.expectRevert(abi.encodeWithSignature("OwnableInvalidOwner(address)", address(0)));
        new HarborPaymaster(IEntryPoint(address(entryPoint)), address(0), new address[](0));
    }

    function test_OwnerIsNotTheDeployer() public view {
        assertEq(paymaster.owner(), paymasterOwner);
        assertTrue(paymaster.isSigner(sponsorSigner));
    }

    function test_AcceptsWhatItsSignerSigned() public {
        op.paymasterAndData = sponsor(op, SPONSOR_KEY, 2000, 1000);
        uint256 data = validate(op);
        assertEq(data & 1, 0); // signature ok
        assertEq(uint48(data >> 160), 2000); // validUntil
        assertEq(uint48(data >> 208), 1000); // validAfter
    }

    function test_RejectsAStrangersSignature() public {
        op.paymasterAndData = sponsor(op, STRANGER_KEY, 0, 0);
        assertEq(validate(op) & 1, 1);
    }

    function test_RejectsChangedFields() public {
        op.paymasterAndData = sponsor(op, SPONSOR_KEY, 0, 0);
        PackedUserOperation memory changed = op;
        changed.callData = hex"deadbeee";
        assertEq(validate(changed) & 1, 1);
        changed = op;
        changed.gasFees = packGas(1 gwei, 200 gwei);
        assertEq(validate(changed) & 1, 1);
        changed = op;
        changed.nonce = op.nonce + 1;
        assertEq(validate(changed) & 1, 1);
    }

    function test_SignatureIsBoundToChain() public {
        op.paymasterAndData = sponsor(op, SPONSOR_KEY, 0, 0);
        vm.chainId(10);
        assertEq(validate(op) & 1, 1);
    }

    function test_MalformedSignatureFailsValidationWithoutReverting() public {
        bytes memory data = sponsor(op, SPONSOR_KEY, 0, 0);
        data[data.length - 1] = 0x05; // invalid v
        op.paymasterAndData = data;
        assertEq(validate(op) & 1, 1);
    }

    function test_WrongLengthReverts() public {
        op.paymasterAndData =
            abi.encodePacked(address(paymaster), uint128(1), uint128(0), uint48(0), uint48(0));
        vm.prank(address(entryPoint));
        vm.expectRevert(abi.encodeWithSelector(HarborPaymaster.InvalidPaymasterDataLength.selector, 64));
        paymaster.validatePaymasterUserOp(op, bytes32(0), 1);
    }

    function test_OnlyEntryPointValidates() public {
        op.paymasterAndData = sponsor(op, SPONSOR_KEY, 0, 0);
        vm.expectRevert("Sender not EntryPoint");
        paymaster.validatePaymasterUserOp(op, bytes32(0), 1);
    }

    function test_SignerRotation() public {
        address next = vm.addr(0x5906);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        paymaster.addSigner(next);
        vm.startPrank(paymasterOwner);
        paymaster.addSigner(next);
        vm.expectRevert(abi.encodeWithSelector(HarborPaymaster.InvalidSigner.selector, next));
        paymaster.addSigner(next);
        vm.expectRevert(abi.encodeWithSelector(HarborPaymaster.InvalidSigner.selector, address(0)));
        paymaster.addSigner(address(0));
        // Both signers are valid during the rotation.
        vm.stopPrank();
        op.paymasterAndData = sponsor(op, 0x5906, 0, 0);
        assertEq(validate(op) & 1, 0);
        op.paymasterAndData = sponsor(op, SPONSOR_KEY, 0, 0);
        assertEq(validate(op) & 1, 0);
        vm.prank(paymasterOwner);
        paymaster.removeSigner(sponsorSigner);
        assertEq(validate(op) & 1, 1);
        vm.prank(paymasterOwner);
        vm.expectRevert(abi.encodeWithSelector(HarborPaymaster.InvalidSigner.selector, sponsorSigner));
        paymaster.removeSigner(sponsorSigner);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        paymaster.removeSigner(next);
    }

    function test_DepositStakeAndWithdraw() public {
        assertEq(paymaster.getDeposit(), 10 ether);
        vm.startPrank(paymasterOwner);
        paymaster.addStake{value: 1 ether}(1 days);
        paymaster.withdrawTo(payable(paymasterOwner), 4 ether);
        vm.stopPrank();
        assertEq(paymaster.getDeposit(), 6 ether);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        paymaster.withdrawTo(payable(stranger), 1 ether);
    }

    function test_ParsesItsLayout() public view {
        bytes memory data = sponsor(op, SPONSOR_KEY, 7, 3);
        (uint48 until, uint48 after_, bytes memory sig) = paymaster.parsePaymasterAndData(data);
        assertEq(until, 7);
        assertEq(after_, 3);
        assertEq(sig.length, 65);
    }

    function testFuzz_NeverAcceptsWhatItsSignerDidNotSign(uint256 key, bytes memory callData, uint48 until)
        public
    {
        key = bound(key, 1, 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140);
        vm.assume(key != SPONSOR_KEY);
        op.callData = callData;
        op.paymasterAndData = sponsor(op, key, until, 0);
        assertEq(validate(op) & 1, 1);
    }
}
