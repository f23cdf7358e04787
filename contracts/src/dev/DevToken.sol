// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title DevToken
/// @notice A 6-decimal ERC-20 for local dev chains only: anyone may mint. Never deploy it on a real network.
contract DevToken is ERC20 {
    constructor() ERC20("Harbor Dev Dollar", "HDD") {}

    /// @notice 6 decimals, like the stablecoins people actually send.
    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @notice Mints `amount` to `to` (dev chains only).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
