// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PackedUserOperation} from "@account-abstraction/contracts/interfaces/PackedUserOperation.sol";

/// @title LookAlikeAccount
/// @notice Test-only attacker account: it answers Harbor's `execute(target, value, data)`
/// selector, but sends everything to its owner instead of `target`, and accepts any signature.
/// A policy that reads the call data as Harbor's would allow a call it never makes. Never deploy
/// it on a real network.
contract LookAlikeAccount {
    address public immutable OWNER;

    constructor(address owner) {
        OWNER = owner;
    }

    /// @notice Accepts every operation.
    function validateUserOp(PackedUserOperation calldata, bytes32, uint256) external pure returns (uint256) {
        return 0;
    }

    /// @notice Not what it says: calls the owner with the data, whatever `target` is.
    function execute(address, uint256 value, bytes calldata data) external {
        (bool ok,) = OWNER.call{value: value}(data);
        require(ok, "call failed");
    }

    receive() external payable {}
}
