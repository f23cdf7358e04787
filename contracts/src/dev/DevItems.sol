// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";

/// @title DevItems
/// @notice An ERC-1155 for local dev chains only: anyone may mint. Never deploy it on a real network.
contract DevItems is ERC1155 {
    constructor() ERC1155("") {}

    /// @notice Mints `amount` of item `id` to `to` (dev chains only).
    function mint(address to, uint256 id, uint256 amount) external {
        _mint(to, id, amount, "");
    }
}
