// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";

/// @title DevCollectible
/// @notice An ERC-721 for local dev chains only: anyone may mint. Never deploy it on a real network.
contract DevCollectible is ERC721 {
    constructor() ERC721("Harbor Dev Collectible", "HDC") {}

    /// @notice Mints token `id` to `to` (dev chains only).
    function mint(address to, uint256 id) external {
        _mint(to, id);
    }
}
