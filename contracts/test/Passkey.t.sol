// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {PackedUserOperation} from "@account-abstraction/contracts/interfaces/PackedUserOperation.sol";
import {SIG_VALIDATION_FAILED, SIG_VALIDATION_SUCCESS} from "@account-abstraction/contracts/core/Helpers.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {Base64} from "@openzeppelin/contracts/utils/Base64.sol";
import {P256} from "@openzeppelin/contracts/utils/cryptography/P256.sol";
import {HarborAccount} from "../src/HarborAccount.sol";
import {OwnerSignature} from "../src/OwnerSignature.sol";
import {Fixture} from "./utils/Fixture.sol";

/// Calls the library the account uses, so tests reach it directly.
contract OwnerSignatureHarness {
    function verifyWebAuthn(
        bytes32 challenge,
        OwnerSignature.Assertion memory assertion,
        bytes32 r,
        bytes32 s,
        uint256 x,
        uint256 y
    ) external view returns (bool) {
        return OwnerSignature.verifyWebAuthn(challenge, assertion, r, s, x, y);
    }

    function isValid(address owner, bytes32 digest, bytes calldata signature) external view returns (bool) {
        return OwnerSignature.isValid(owner, digest, signature);
    }

    function hasP256Precompile() external view returns (bool) {
        return OwnerSignature.hasP256Precompile();
    }

    function p256(bytes32 h, bytes32 r, bytes32 s, uint256 x, uint256 y) external view returns (bool) {
        return P256.verify(h, r, s, bytes32(x), bytes32(y));
    }

    function p256Solidity(bytes32 h, bytes32 r, bytes32 s, uint256 x, uint256 y)
        external
        view
        returns (bool)
    {
        return P256.verifySolidity(h, r, s, bytes32(x), bytes32(y));
    }
}

/// P-256 owners: platform keys signing the digest, and passkeys (WebAuthn) — checked against the
/// W3C WebAuthn Level 3 test vectors (§ Test Vectors, ES256 authentication ceremonies) and with
/// keys made by forge's P-256 cheatcodes, through the account and the real EntryPoint.
contract PasskeyTest is Fixture {
    uint256 internal constant N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551;
    uint256 internal constant PASSKEY = 0x9a55;
    uint256 internal constant OTHER_PASSKEY = 0x9a56;
    bytes internal constant AUTH_DATA_UV =
        hex"49960de5880e8c687434170f6476605b8fe4aeb9a28632c7995cf3ba831d97630500000001";

    OwnerSignatureHarness internal lib;

    struct Vector {
        uint256 x;
        uint256 y;
        bytes32 challenge;
        OwnerSignature.Assertion assertion;
        bytes32 r;
        bytes32 s;
    }

    function setUp() public override {
        super.setUp();
        lib = new OwnerSignatureHarness();
    }

    // ---------------------------------------------------------------- W3C vectors

    /// "ES256 Credential with No Attestation": user present, not verified; high s.
    function vectorNone() internal pure returns (Vector memory) {
        {
            Vector memory t;
            t.x = 0xafefa16f97ca9b2d23eb86ccb64098d20db90856062eb249c33a9b672f26df61;
            t.y = 0x930a56b87a2fca66334b03458abf879717c12cc68ed73290af2e2664796b9220;
            t.challenge = 0x39c0e7521417ba54d43e8dc95174f423dee9bf3cd804ff6d65c857c9abf4d408;
            t.assertion = OwnerSignature.Assertion({
                authenticatorData: hex"bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b51900000000",
                clientDataJSON: "{\"type\":\"webauthn.get\",\"challenge\":\"OcDnUhQXulTUPo3JUXT0I97pvzzYBP9tZchXyav01Ag\",\"origin\":\"https://example.org\",\"crossOrigin\":false}",
                challengeIndex: 23,
                typeIndex: 1
            });
            t.r = bytes32(0xf50a4e2e4409249c4a853ba361282f09841df4dd4547a13a87780218deffcd38);
            t.s = bytes32(0x8480ac0f0b93538174f575bf11a1dd5d78c6e486013f937295ea13653e331e87);
            return t;
        }
    }

    /// "ES256 Credential with Self Attestation": user present, not verified.
    function vectorPackedSelf() internal pure returns (Vector memory) {
        {
            Vector memory t;
            t.x = 0xeb151c8176b225cc651559fecf07af450fd85802046656b34c18f6cf193843c5;
            t.y = 0x927b8aa427a2be1b8834d233a2d34f61f13bfd44119c325d5896e183fee484f2;
            t.challenge = 0x4478a10b1352348dd160c1353b0d469b5db19eb91c27f7dfa6fed39fe26af20b;
            t.assertion = OwnerSignature.Assertion({
                authenticatorData: hex"bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b50900000000",
                clientDataJSON: "{\"type\":\"webauthn.get\",\"challenge\":\"RHihCxNSNI3RYME1Ow1Gm12xnrkcJ_ffpv7Tn-Jq8gs\",\"origin\":\"https://example.org\",\"crossOrigin\":false,\"extraData\":\"clientDataJSON may be extended with additional fields in the future, such as this: gTb53rz6EhSWomXGzimC1Q\"}",
                challengeIndex: 23,
                typeIndex: 1
            });
            t.r = bytes32(0x3310b9431903c401f1be2bdc8d23a4007682dbbddcf846994947b7f465daf840);
            t.s = bytes32(0x4e94dd00047b316061b3b99772b7efd95994a83ef584b3b6b825ea3550251b66);
            return t;
        }
    }

    /// "ES256 Credential with crossOrigin true": user verified; high s.
    function vectorCrossOrigin() internal pure returns (Vector memory) {
        {
            Vector memory t;
            t.x = 0x22200a473f90b11078851550d03b4e44a2279f8c4eca27b3153dedfe03e4e97d;
            t.y = 0xcbd0be95e746ad6f5a8191be11756e4c0420e72f65b466d39bc56b8b123a9c6e;
            t.challenge = 0x876aa517ba83fdee65fcffdbca4c84eeae5d54f8041a1fc85c991e5bbb273137;
            t.assertion = OwnerSignature.Assertion({
                authenticatorData: hex"bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b50500000000",
                clientDataJSON: "{\"type\":\"webauthn.get\",\"challenge\":\"h2qlF7qD_e5l_P_bykyE7q5dVPgEGh_IXJkeW7snMTc\",\"origin\":\"https://example.org\",\"crossOrigin\":true,\"extraData\":\"clientDataJSON may be extended with additional fields in the future, such as this: 92pcTVD0Aby-q4dtmj6efg\"}",
                challengeIndex: 23,
                typeIndex: 1
            });
            t.r = bytes32(0xeb12fcf23b12764c0f122e22371fab92e283879fd798f38ee1841c951b6e40e7);
            t.s = bytes32(0xc76237ff9db77b3c56f30837cda6a09acfa2e915544e609c0733b1184036d1cf);
            return t;
        }
    }

    /// "ES256 Credential with topOrigin": user verified; low s.
    function vectorTopOrigin() internal pure returns (Vector memory) {
        {
            Vector memory t;
            t.x = 0xa1c47c1d82da4ebe82cd72207102b380670701993bc35398ae2e5726427fe01d;
            t.y = 0x86c1080d82987028c7f54ecb1b01185de243b359294a0ed210cd47480f0adc88;
            t.challenge = 0xd54a5c8ca4b62a8e3bb321e3b2bc73856f85a10150db2939ac195739eb1ea066;
            t.assertion = OwnerSignature.Assertion({
                authenticatorData: hex"bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b50500000000",
                clientDataJSON: "{\"type\":\"webauthn.get\",\"challenge\":\"1UpcjKS2Ko47syHjsrxzhW-FoQFQ2yk5rBlXOeseoGY\",\"origin\":\"https://example.org\",\"crossOrigin\":true,\"topOrigin\":\"https://example.com\",\"extraData\":\"clientDataJSON may be extended with additional fields in the future, such as this: UiFoJMVRQHDAFWFi4vxUpQ\"}",
                challengeIndex: 23,
                typeIndex: 1
            });
            t.r = bytes32(0xb5a70c81780d5fcc9a4f2ae9caae99058f8accaf58b91fb59329646c28ac6ffc);
            t.s = bytes32(0x12e101c165db3c8e9957f0c54dd6ca9b56bc3bd2f280bd2faa6c1d02c6e5c171);
            return t;
        }
    }

    function lowS(bytes32 s) internal pure returns (bytes32) {
        return uint256(s) > N / 2 ? bytes32(N - uint256(s)) : s;
    }

    function check(Vector memory t) internal view returns (bool) {
        return lib.verifyWebAuthn(t.challenge, t.assertion, t.r, t.s, t.x, t.y);
    }

    /// The signed message of a vector, checked as a bare P-256 signature.
    function signatureHolds(Vector memory t) internal view returns (bool) {
        bytes32 message = sha256(
            abi.encodePacked(t.assertion.authenticatorData, sha256(bytes(t.assertion.clientDataJSON)))
        );
        return lib.p256(message, t.r, lowS(t.s), t.x, t.y);
    }

    function test_VectorsWithUserVerificationAreAccepted() public view {
        vm.assertTrue(check(vectorTopOrigin()), "topOrigin vector");
        Vector memory t = vectorCrossOrigin();
        t.s = lowS(t.s);
        vm.assertTrue(check(t), "crossOrigin vector with low s");
    }

    function test_HighSIsRefused() public view {
        Vector memory t = vectorCrossOrigin();
        vm.assertTrue(uint256(t.s) > N / 2, "the vector has a high s");
        vm.assertFalse(check(t), "high s accepted");
    }

    function test_VectorsWithoutUserVerificationAreRefused() public view {
        Vector memory none = vectorNone();
        none.s = lowS(none.s);
        Vector memory self = vectorPackedSelf();
        // The signatures themselves are good: only the missing UV flag refuses them.
        vm.assertTrue(signatureHolds(none) && signatureHolds(self), "vector signatures");
        vm.assertFalse(check(none), "no UV (none)");
        vm.assertFalse(check(self), "no UV (packed self)");
    }

    function test_AssertionForAnotherChallengeOrKeyIsRefused() public view {
        Vector memory t = vectorTopOrigin();
        bytes32 challenge = t.challenge;
        t.challenge = bytes32(uint256(challenge) ^ 1);
        vm.assertFalse(check(t), "other challenge");
        t.challenge = challenge;
        t.x = vectorCrossOrigin().x;
        vm.assertFalse(check(t), "other key");
    }

    function test_MalformedAssertionsAreRefused() public view {
        Vector memory t = vectorTopOrigin();
        t.assertion.challengeIndex += 1;
        vm.assertFalse(check(t), "challenge index off by one");
        t = vectorTopOrigin();
        t.assertion.typeIndex = t.assertion.challengeIndex;
        vm.assertFalse(check(t), "type not at its index");
        t = vectorTopOrigin();
        t.assertion.challengeIndex = bytes(t.assertion.clientDataJSON).length + 1;
        vm.assertFalse(check(t), "index past the end");
        t = vectorTopOrigin();
        t.assertion.clientDataJSON =
        '{"type":"webauthn.create","challenge":"1UpcjKS2Ko47syHjsrxzhW-FoQFQ2yk5rBlXOeseoGY"}';
        vm.assertFalse(check(t), "a registration, not an assertion");
        t = vectorTopOrigin();
        t.assertion.authenticatorData = hex"0500";
        vm.assertFalse(check(t), "short authenticator data");
    }

    // ---------------------------------------------------------------- accounts owned by P-256 keys

    function passkeyOwner(uint256 key) internal pure returns (address) {
        (uint256 x, uint256 y) = vm.publicKeyP256(key);
        return OwnerSignature.keyId(x, y);
    }

    /// The platform-key form: 0x01 ‖ abi.encode(x, y, r, s) over `digest` itself.
    function rawSignature(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint256 x, uint256 y) = vm.publicKeyP256(key);
        (bytes32 r, bytes32 s) = vm.signP256(key, digest);
        return abi.encodePacked(uint8(0x01), abi.encode(x, y, r, lowS(s)));
    }

    /// The passkey form: a WebAuthn assertion with `digest` as its challenge, user verified.
    function webAuthnSignature(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint256 x, uint256 y) = vm.publicKeyP256(key);
        string memory json = string.concat(
            '{"type":"webauthn.get","challenge":"',
            Base64.encodeURL(abi.encodePacked(digest)),
            '","origin":"https://wallet.harbor.example","crossOrigin":false}'
        );
        bytes32 message = sha256(abi.encodePacked(AUTH_DATA_UV, sha256(bytes(json))));
        (bytes32 r, bytes32 s) = vm.signP256(key, message);
        OwnerSignature.Assertion memory assertion = OwnerSignature.Assertion({
            authenticatorData: AUTH_DATA_UV, clientDataJSON: json, challengeIndex: 23, typeIndex: 1
        });
        return abi.encodePacked(uint8(0x02), abi.encode(x, y, r, lowS(s), assertion));
    }

    function validate(HarborAccount account, bytes memory signature) internal returns (uint256) {
        PackedUserOperation memory op = userOp(address(account), "", "");
        op.signature = signature;
        bytes32 hash = entryPoint.getUserOpHash(op);
        vm.prank(address(entryPoint));
        return account.validateUserOp(op, hash, 0);
    }

    function test_PlatformKeyOwnsAnAccount() public {
        HarborAccount account = factory.createAccount(passkeyOwner(PASSKEY), 0);
        PackedUserOperation memory op = userOp(address(account), "", "");
        bytes32 hash = entryPoint.getUserOpHash(op);
        assertEq(validate(account, rawSignature(PASSKEY, hash)), SIG_VALIDATION_SUCCESS);
        assertEq(validate(account, rawSignature(OTHER_PASSKEY, hash)), SIG_VALIDATION_FAILED);
        assertEq(validate(account, signDigest(OWNER_KEY, hash)), SIG_VALIDATION_FAILED);
        bytes32 message = keccak256("hello");
        assertEq(
            bytes32(account.isValidSignature(message, rawSignature(PASSKEY, account.messageDigest(message)))),
            bytes32(IERC1271.isValidSignature.selector)
        );
        assertEq(
            bytes32(account.isValidSignature(message, rawSignature(PASSKEY, message))),
            bytes32(bytes4(0xffffffff))
        );
    }

    function test_PasskeyOwnsAnAccount() public {
        HarborAccount account = factory.createAccount(passkeyOwner(PASSKEY), 1);
        PackedUserOperation memory op = userOp(address(account), "", "");
        bytes32 hash = entryPoint.getUserOpHash(op);
        assertEq(validate(account, webAuthnSignature(PASSKEY, hash)), SIG_VALIDATION_SUCCESS);
        assertEq(validate(account, webAuthnSignature(OTHER_PASSKEY, hash)), SIG_VALIDATION_FAILED);
        // The settings are signed by the passkey too.
        (HarborAccount.Config memory config,) = account.latestConfig();
        config.guardians = one(guardian(0));
        config.threshold = 1;
        config.securityDelay = 2 days;
        config.version = 1;
        account.applyConfig(config, webAuthnSignature(PASSKEY, account.configDigest(config)));
        assertTrue(account.isGuardian(guardian(0)));
    }

    function test_UnknownSignatureFormsAreRefused() public {
        HarborAccount account = factory.createAccount(passkeyOwner(PASSKEY), 2);
        bytes32 digest = keccak256("op");
        bytes memory raw = rawSignature(PASSKEY, digest);
        raw[0] = 0x03;
        vm.assertFalse(lib.isValid(account.owner(), digest, raw), "kind 3");
        vm.assertFalse(lib.isValid(account.owner(), digest, new bytes(100)), "too short for P-256");
        bytes memory longRaw = abi.encodePacked(rawSignature(PASSKEY, digest), uint8(0));
        vm.assertFalse(lib.isValid(account.owner(), digest, longRaw), "raw form with trailing bytes");
    }

    function test_RecoveryMovesAnAccountFromASeedKeyToAPasskey() public {
        HarborAccount account = accountWithGuardians(2);
        address passkey = passkeyOwner(PASSKEY);
        uint256 deadline = block.timestamp + 1 days;
        (address[] memory signers, bytes[] memory sigs) = approvals(account, passkey, deadline, keys2());
        account.startRecovery(passkey, deadline, signers, sigs);
        vm.warp(block.timestamp + 2 days);
        account.executeRecovery();
        assertEq(account.owner(), passkey);
        PackedUserOperation memory op = userOp(address(account), "", "");
        bytes32 hash = entryPoint.getUserOpHash(op);
        assertEq(validate(account, webAuthnSignature(PASSKEY, hash)), SIG_VALIDATION_SUCCESS);
        assertEq(validate(account, signDigest(OWNER_KEY, hash)), SIG_VALIDATION_FAILED);
    }

    /// Also run on an EVM without P256VERIFY (`cargo xtask test` runs it with `--evm-version
    /// cancun` and HARBOR_EXPECT_P256=false): the Solidity verifier gives the same answers.
    function test_SignaturesHoldWithAndWithoutThePrecompile() public view {
        vm.assertEq(
            lib.hasP256Precompile() ? 1 : 0,
            vm.envOr("HARBOR_EXPECT_P256", true) ? 1 : 0,
            "P256VERIFY present"
        );
        bytes32 digest = keccak256("op");
        vm.assertTrue(lib.isValid(passkeyOwner(PASSKEY), digest, rawSignature(PASSKEY, digest)), "good");
        bytes memory other = rawSignature(OTHER_PASSKEY, keccak256("another"));
        vm.assertFalse(lib.isValid(passkeyOwner(OTHER_PASSKEY), digest, other), "signed something else");
        vm.assertTrue(check(vectorTopOrigin()), "W3C vector");
    }

    // ---------------------------------------------------------------- gas (see the ADR)

    function test_GasP256Precompile() public view {
        Vector memory t = vectorTopOrigin();
        bytes32 message = sha256(
            abi.encodePacked(t.assertion.authenticatorData, sha256(bytes(t.assertion.clientDataJSON)))
        );
        assertTrue(lib.p256(message, t.r, t.s, t.x, t.y));
    }

    function test_GasP256Solidity() public view {
        Vector memory t = vectorTopOrigin();
        bytes32 message = sha256(
            abi.encodePacked(t.assertion.authenticatorData, sha256(bytes(t.assertion.clientDataJSON)))
        );
        assertTrue(lib.p256Solidity(message, t.r, t.s, t.x, t.y));
    }

    /// `validateUserOp` of one operation by each kind of owner (compare in the trace, -vvvv).
    function test_GasValidateByOwnerKind() public {
        HarborAccount seed = factory.createAccount(owner, 7);
        HarborAccount platform = factory.createAccount(passkeyOwner(PASSKEY), 7);
        HarborAccount passkey = factory.createAccount(passkeyOwner(OTHER_PASSKEY), 8);
        bytes32 h1 = entryPoint.getUserOpHash(userOp(address(seed), "", ""));
        bytes32 h2 = entryPoint.getUserOpHash(userOp(address(platform), "", ""));
        bytes32 h3 = entryPoint.getUserOpHash(userOp(address(passkey), "", ""));
        assertEq(validate(seed, signDigest(OWNER_KEY, h1)), SIG_VALIDATION_SUCCESS);
        assertEq(validate(platform, rawSignature(PASSKEY, h2)), SIG_VALIDATION_SUCCESS);
        assertEq(validate(passkey, webAuthnSignature(OTHER_PASSKEY, h3)), SIG_VALIDATION_SUCCESS);
    }

    function test_GasWebAuthnAssertion() public view {
        assertTrue(check(vectorTopOrigin()));
    }
}
