// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {P256} from "@openzeppelin/contracts/utils/cryptography/P256.sol";
import {Base64} from "@openzeppelin/contracts/utils/Base64.sol";

/// @title OwnerSignature
/// @notice Checks a signature by a Harbor account's owner, which is one of:
/// - a secp256k1 key: the owner is its address; the signature is 65 bytes (r, s, v);
/// - a P-256 key held by the platform (Android Keystore, Secure Enclave) that signs the digest
///   itself: the owner is the key's id (`keyId`), the signature `0x01 ‖ abi.encode(x, y, r, s)`;
/// - a passkey (WebAuthn, P-256): the owner is the key's id, the signature
///   `0x02 ‖ abi.encode(x, y, r, s, Assertion)`, where the assertion's challenge is the digest.
/// P-256 goes through the P256VERIFY precompile (EIP-7951 / RIP-7212, address 0x100) where the
/// chain has it, OpenZeppelin's Solidity verifier otherwise. High `s` values are refused
/// (malleability): signers use `n - s`. See docs/adr/0014-p256-owners.md.
///
/// The precompile answers nothing both for a bad signature and where it does not exist; only
/// then is it asked a known-good signature, so a chain with the precompile never runs the
/// Solidity verifier (≈ 230k gas, and a trace too large for validation checks).
library OwnerSignature {
    /// @notice A P-256 signature of the digest itself.
    uint8 internal constant P256_RAW = 0x01;
    /// @notice A WebAuthn assertion whose challenge is the digest.
    uint8 internal constant WEBAUTHN = 0x02;

    /// @dev The P256VERIFY precompile.
    address private constant P256_VERIFIER = address(0x100);
    /// @dev Half the P-256 group order: larger `s` values are refused.
    uint256 private constant HALF_N = 0x7fffffff800000007fffffffffffffffde737d56d38bcf4279dce5617e3192a8;
    /// @dev A good P256VERIFY input (the W3C WebAuthn "ES256 topOrigin" assertion).
    bytes private constant KNOWN_GOOD = abi.encode(
        0x49add7e2e30d357a01026318673237fab66d9dff9928a2f16f3da716af078466,
        0xb5a70c81780d5fcc9a4f2ae9caae99058f8accaf58b91fb59329646c28ac6ffc,
        0x12e101c165db3c8e9957f0c54dd6ca9b56bc3bd2f280bd2faa6c1d02c6e5c171,
        0xa1c47c1d82da4ebe82cd72207102b380670701993bc35398ae2e5726427fe01d,
        0x86c1080d82987028c7f54ecb1b01185de243b359294a0ed210cd47480f0adc88
    );

    /// @dev Authenticator data flags: user present, user verified.
    bytes1 private constant FLAG_UP = 0x01;
    bytes1 private constant FLAG_UV = 0x04;

    /// @notice What a passkey returns besides (r, s), as `navigator.credentials.get` gives it.
    struct Assertion {
        bytes authenticatorData;
        string clientDataJSON;
        /// @dev Offset of `"challenge":"` in clientDataJSON.
        uint256 challengeIndex;
        /// @dev Offset of `"type":"webauthn.get"` in clientDataJSON.
        uint256 typeIndex;
    }

    /// @notice The owner id of the P-256 public key (x, y): an address no secp256k1 key has.
    function keyId(uint256 x, uint256 y) internal pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encode(x, y)))));
    }

    /// @notice Whether `signature` is `owner`'s over `digest` (a malformed P-256 one reverts).
    function isValid(address owner, bytes32 digest, bytes calldata signature) internal view returns (bool) {
        if (signature.length == 65) {
            (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signature);
            return err == ECDSA.RecoverError.NoError && signer == owner;
        }
        if (signature.length < 129) return false;
        uint8 kind = uint8(signature[0]);
        if (kind == P256_RAW && signature.length == 129) {
            (uint256 x, uint256 y, bytes32 r, bytes32 s) =
                abi.decode(signature[1:], (uint256, uint256, bytes32, bytes32));
            return keyId(x, y) == owner && verifyP256(digest, r, s, x, y);
        }
        if (kind == WEBAUTHN) {
            (uint256 x, uint256 y, bytes32 r, bytes32 s, Assertion memory assertion) =
                abi.decode(signature[1:], (uint256, uint256, bytes32, bytes32, Assertion));
            return keyId(x, y) == owner && verifyWebAuthn(digest, assertion, r, s, x, y);
        }
        return false;
    }

    /// @notice Whether `assertion` with (r, s) by the key (x, y) answers `challenge`: type
    /// "webauthn.get", the challenge base64url-encoded, the user present and verified (biometrics
    /// or PIN), signed over authenticatorData ‖ sha256(clientDataJSON).
    function verifyWebAuthn(
        bytes32 challenge,
        Assertion memory assertion,
        bytes32 r,
        bytes32 s,
        uint256 x,
        uint256 y
    ) internal view returns (bool) {
        bytes memory data = assertion.authenticatorData;
        if (data.length < 37) return false;
        bytes1 flags = data[32];
        if (flags & FLAG_UP == 0 || flags & FLAG_UV == 0) return false;
        bytes memory json = bytes(assertion.clientDataJSON);
        if (!_contains(json, assertion.typeIndex, bytes('"type":"webauthn.get"'))) return false;
        bytes memory expected =
            abi.encodePacked('"challenge":"', Base64.encodeURL(abi.encodePacked(challenge)), '"');
        if (!_contains(json, assertion.challengeIndex, expected)) return false;
        bytes32 message = sha256(abi.encodePacked(data, sha256(json)));
        return verifyP256(message, r, s, x, y);
    }

    /// @notice Whether (r, s) is the key (x, y)'s signature of `h` (low s only).
    function verifyP256(bytes32 h, bytes32 r, bytes32 s, uint256 x, uint256 y) internal view returns (bool) {
        if (uint256(s) > HALF_N) return false;
        (bool ok, bytes memory out) = P256_VERIFIER.staticcall(abi.encode(h, r, s, x, y));
        if (ok && out.length == 32) return abi.decode(out, (uint256)) == 1;
        if (hasP256Precompile()) return false;
        return P256.verifySolidity(h, r, s, bytes32(x), bytes32(y));
    }

    /// @notice Whether this chain has the P256VERIFY precompile.
    function hasP256Precompile() internal view returns (bool) {
        (bool ok, bytes memory out) = P256_VERIFIER.staticcall(KNOWN_GOOD);
        return ok && out.length == 32;
    }

    /// @dev Whether `part` sits in `whole` at `offset`.
    function _contains(bytes memory whole, uint256 offset, bytes memory part) private pure returns (bool) {
        if (offset > whole.length || whole.length - offset < part.length) return false;
        for (uint256 i = 0; i < part.length; i++) {
            if (whole[offset + i] != part[i]) return false;
        }
        return true;
    }
}
