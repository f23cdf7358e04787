// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PackedUserOperation} from "@account-abstraction/contracts/interfaces/PackedUserOperation.sol";

/// @title ChainStateAccount
/// @notice Test-only attacker account: its validation succeeds only while the transaction's origin
/// holds more than 100 ETH (or, with `useTime`, only in even seconds). A simulation with the
/// relayer's balance overridden passes; on chain it fails, at the relayer's cost. Never deploy it
/// on a real network.
contract ChainStateAccount {
    address public immutable ENTRY_POINT;
    bool public immutable USE_TIME;

    constructor(address entryPoint, bool useTime) {
        ENTRY_POINT = entryPoint;
        USE_TIME = useTime;
    }

    /// @notice ERC-4337 validation that depends on chain state it must not read.
    function validateUserOp(PackedUserOperation calldata, bytes32, uint256 missingAccountFunds)
        external
        returns (uint256)
    {
        bool ok = USE_TIME ? block.timestamp % 2 == 0 : tx.origin.balance > 100 ether;
        if (missingAccountFunds > 0) {
            (bool paid,) = payable(msg.sender).call{value: missingAccountFunds}("");
            paid;
        }
        return ok ? 0 : 1;
    }

    /// @notice Looks like Harbor's `execute`.
    function execute(address target, uint256 value, bytes calldata data) external {
        (bool ok,) = target.call{value: value}(data);
        require(ok, "call failed");
    }

    receive() external payable {}
}
