// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {Create2} from "@openzeppelin/contracts/utils/Create2.sol";
import {HarborAccount} from "./HarborAccount.sol";

/// @title HarborAccountFactory
/// @notice Deploys HarborAccount proxies with CREATE2, so an account's address is known before it
/// exists (`getAddress`) and is the same on every chain where the factory sits at the same address.
/// The EntryPoint calls `createAccount` through `initCode = factory ‖ createAccount(owner, salt)`.
contract HarborAccountFactory {
    /// @notice The implementation every proxy points at.
    HarborAccount public immutable ACCOUNT_IMPLEMENTATION;

    event AccountCreated(address indexed account, address indexed owner, uint256 salt);

    constructor(HarborAccount implementation) {
        ACCOUNT_IMPLEMENTATION = implementation;
    }

    /// @notice Deploys the account of `owner` and `salt`, or returns it if it exists already (so a
    /// UserOperation with initCode for a deployed account still validates in simulation).
    function createAccount(address owner, uint256 salt) external returns (HarborAccount account) {
        address predicted = getAddress(owner, salt);
        if (predicted.code.length > 0) return HarborAccount(payable(predicted));
        account = HarborAccount(
            payable(new ERC1967Proxy{salt: _salt(owner, salt)}(
                    address(ACCOUNT_IMPLEMENTATION), _initData(owner)
                ))
        );
        emit AccountCreated(address(account), owner, salt);
    }

    /// @notice The counterfactual address of the account of `owner` and `salt`.
    function getAddress(address owner, uint256 salt) public view returns (address) {
        bytes32 codeHash = keccak256(
            abi.encodePacked(
                type(ERC1967Proxy).creationCode, abi.encode(address(ACCOUNT_IMPLEMENTATION), _initData(owner))
            )
        );
        return Create2.computeAddress(_salt(owner, salt), codeHash);
    }

    function _salt(address owner, uint256 salt) private pure returns (bytes32) {
        return keccak256(abi.encode(owner, salt));
    }

    function _initData(address owner) private pure returns (bytes memory) {
        return abi.encodeCall(HarborAccount.initialize, (owner));
    }
}
