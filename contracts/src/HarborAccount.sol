// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BaseAccount} from "@account-abstraction/contracts/core/BaseAccount.sol";
import {SIG_VALIDATION_FAILED, SIG_VALIDATION_SUCCESS} from "@account-abstraction/contracts/core/Helpers.sol";
import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";
import {PackedUserOperation} from "@account-abstraction/contracts/interfaces/PackedUserOperation.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {UUPSUpgradeable} from "@openzeppelin/contracts/proxy/utils/UUPSUpgradeable.sol";
import {ERC721Holder} from "@openzeppelin/contracts/token/ERC721/utils/ERC721Holder.sol";
import {ERC1155Holder} from "@openzeppelin/contracts/token/ERC1155/utils/ERC1155Holder.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {OwnerSignature} from "./OwnerSignature.sol";

/// @title HarborAccount
/// @notice An ERC-4337 (EntryPoint v0.7) smart account with one owner key and social recovery.
///
/// The owner is a secp256k1 key (its address) or a P-256 key — a platform key or a passkey — named
/// by its id, `OwnerSignature.keyId(x, y)`; see `OwnerSignature` for the signature forms. A
/// recovery may move the account from one kind to the other.
///
/// Settings (guardians, threshold, security delay) change only through `applyConfig`: the owner
/// signs a versioned `HarborConfig` once, in a domain without a chain id (name "HarborAccount",
/// version "1", verifying contract = the account, whose address is the same on every chain), and
/// anyone may apply it on any chain where its version is newer. So a chain where the account is
/// deployed later gets the same guardians as everywhere else, in the same order of versions.
///
/// Recovery: guardians (EOAs or ERC-1271 contracts) sign the EIP-712 message
/// `Recovery(address account,address newOwner,uint256 nonce,uint256 deadline)` under this
/// account's domain (name "HarborAccount", version "1", chain id, verifying contract = the
/// account). Anyone may submit at least `threshold` approvals with `startRecovery`; the owner
/// can cancel during the security delay; after it, anyone may `executeRecovery`. A stronger
/// recovery (more approvals) to another owner replaces a pending one and restarts the delay; more
/// approvals for the same new owner keep its delay. Executing or cancelling bumps the recovery
/// nonce, so collected approvals cannot be replayed; the owner may also bump it to void approvals
/// handed out but not submitted. The owner key changes only through a recovery (on each chain,
/// with that chain's delay), never by the owner alone, so every chain follows the same owners.
///
/// Owner signatures: UserOperations are signed over the raw `userOpHash`. ERC-1271 signatures are
/// over `HarborMessage(bytes32 hash)` in the account's EIP-712 domain, so a signature made for one
/// account or chain is not valid for another.
contract HarborAccount is
    BaseAccount,
    Initializable,
    UUPSUpgradeable,
    EIP712,
    ERC721Holder,
    ERC1155Holder,
    IERC1271
{
    /// @notice One call of a batch.
    struct Call {
        address target;
        uint256 value;
        bytes data;
    }

    /// @notice Recovery settings the owner signs once for every chain (see `applyConfig`).
    struct Config {
        address[] guardians;
        uint256 threshold;
        uint256 securityDelay;
        uint256 version;
    }

    /// @notice A recovery waiting for its delay to pass.
    struct PendingRecovery {
        address newOwner;
        uint64 executeAfter;
        uint32 approvals;
    }

    /// @custom:storage-location erc7201:harbor.account.v1
    struct AccountStorage {
        address owner;
        uint32 threshold;
        uint64 securityDelay;
        uint256 recoveryNonce;
        address[] guardians;
        mapping(address => bool) isGuardian;
        PendingRecovery pending;
        uint256 configVersion;
        bytes configSignature;
    }

    // keccak256(abi.encode(uint256(keccak256("harbor.account.v1")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_SLOT =
        0x593944a96e843026dd0fa98237e8e69108d43902a01bede25146d31a7289b300;

    /// @notice EIP-712 type of a guardian's recovery approval.
    bytes32 public constant RECOVERY_TYPEHASH =
        keccak256("Recovery(address account,address newOwner,uint256 nonce,uint256 deadline)");
    /// @notice EIP-712 type of the owner's settings, valid on every chain.
    bytes32 public constant CONFIG_TYPEHASH = keccak256(
        "HarborConfig(address[] guardians,uint256 threshold,uint256 securityDelay,uint256 version)"
    );
    /// @notice EIP-712 domain type without a chain id, for what must hold on every chain.
    bytes32 private constant CROSS_CHAIN_DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,address verifyingContract)");
    /// @notice EIP-712 type wrapping hashes checked through ERC-1271.
    bytes32 public constant MESSAGE_TYPEHASH = keccak256("HarborMessage(bytes32 hash)");
    /// @notice Security delay of a new account.
    uint64 public constant DEFAULT_SECURITY_DELAY = 2 days;
    /// @notice Shortest security delay, on every chain (tests move time forward instead).
    uint64 public constant MIN_SECURITY_DELAY = 1 days;
    /// @notice Longest security delay (a typo guard).
    uint64 public constant MAX_SECURITY_DELAY = 90 days;
    /// @notice Most guardians an account may have (bounds the gas of checks).
    uint256 public constant MAX_GUARDIANS = 16;

    IEntryPoint private immutable ENTRY_POINT;

    event AccountInitialized(IEntryPoint indexed entryPoint, address indexed owner);
    event OwnerChanged(address indexed previousOwner, address indexed newOwner);
    event ConfigApplied(
        uint256 indexed version, address[] guardians, uint256 threshold, uint256 securityDelay
    );
    event ApprovalsInvalidated(uint256 nonce);
    event RecoveryStarted(
        address indexed newOwner, uint256 executeAfter, uint256 nonce, uint256 approvals, address[] guardians
    );
    event RecoveryCancelled(address indexed newOwner, uint256 nonce);
    event RecoveryExecuted(address indexed previousOwner, address indexed newOwner, uint256 nonce);

    error NotAuthorized(address caller);
    error InvalidOwner(address owner);
    error InvalidGuardian(address guardian);
    error DuplicateGuardian(address guardian);
    error StaleConfig(uint256 version, uint256 currentVersion);
    error InvalidConfigSignature();
    error NotAGuardian(address guardian);
    error TooManyGuardians();
    error InvalidThreshold(uint256 threshold, uint256 guardians);
    error InvalidSecurityDelay(uint256 delay);
    error NoPendingRecovery();
    error ApprovalExpired(uint256 deadline);
    error LengthMismatch();
    error GuardiansNotSorted();
    error InvalidGuardianSignature(address guardian);
    error BelowThreshold(uint256 approvals, uint256 threshold);
    error RecoveryNotStronger(uint256 approvals, uint256 pendingApprovals);
    error RecoveryDelayNotOver(uint256 executeAfter);
    error RecoveryDelayOver(uint256 executeAfter);
    error CallFailed(uint256 index, bytes reason);

    /// @param anEntryPoint the EntryPoint v0.7 this account trusts.
    constructor(IEntryPoint anEntryPoint) EIP712("HarborAccount", "1") {
        ENTRY_POINT = anEntryPoint;
        _disableInitializers();
    }

    /// @notice Sets the first owner; called once by the factory through the proxy.
    function initialize(address anOwner) external initializer {
        if (anOwner == address(0)) revert InvalidOwner(anOwner);
        AccountStorage storage s = _s();
        s.owner = anOwner;
        s.securityDelay = DEFAULT_SECURITY_DELAY;
        emit AccountInitialized(ENTRY_POINT, anOwner);
        emit OwnerChanged(address(0), anOwner);
    }

    receive() external payable {}

    // ------------------------------------------------------------------ access

    modifier onlySelf() {
        if (msg.sender != address(this)) revert NotAuthorized(msg.sender);
        _;
    }

    modifier onlyEntryPointOrOwner() {
        if (msg.sender != address(ENTRY_POINT) && msg.sender != _s().owner) revert NotAuthorized(msg.sender);
        _;
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc BaseAccount
    function entryPoint() public view override returns (IEntryPoint) {
        return ENTRY_POINT;
    }

    /// @notice The key that signs for this account.
    function owner() external view returns (address) {
        return _s().owner;
    }

    /// @notice Every guardian, in the order they were added.
    function guardians() external view returns (address[] memory) {
        return _s().guardians;
    }

    /// @notice Whether `who` is a guardian.
    function isGuardian(address who) external view returns (bool) {
        return _s().isGuardian[who];
    }

    /// @notice Approvals needed to start a recovery.
    function threshold() external view returns (uint256) {
        return _s().threshold;
    }

    /// @notice Seconds between the start of a recovery and when it can be executed.
    function securityDelay() external view returns (uint256) {
        return _s().securityDelay;
    }

    /// @notice Nonce that guardian approvals must carry.
    function recoveryNonce() external view returns (uint256) {
        return _s().recoveryNonce;
    }

    /// @notice The settings in force and the owner's signature over them, to apply them on a
    /// chain where the account has older ones (or is not deployed yet).
    function latestConfig() external view returns (Config memory config, bytes memory signature) {
        AccountStorage storage s = _s();
        config = Config({
            guardians: s.guardians,
            threshold: s.threshold,
            securityDelay: s.securityDelay,
            version: s.configVersion
        });
        signature = s.configSignature;
    }

    /// @notice The EIP-712 digest the owner signs for `config`: the same on every chain.
    function configDigest(Config calldata config) public view returns (bytes32) {
        bytes32 domain = keccak256(
            abi.encode(CROSS_CHAIN_DOMAIN_TYPEHASH, keccak256("HarborAccount"), keccak256("1"), address(this))
        );
        bytes32 structHash = keccak256(
            abi.encode(
                CONFIG_TYPEHASH,
                keccak256(abi.encodePacked(config.guardians)),
                config.threshold,
                config.securityDelay,
                config.version
            )
        );
        return keccak256(abi.encodePacked("\x19\x01", domain, structHash));
    }

    /// @notice The pending recovery (newOwner is zero when none).
    function pendingRecovery() external view returns (PendingRecovery memory) {
        return _s().pending;
    }

    /// @notice The EIP-712 digest guardians sign to approve moving the account to `newOwner`.
    function recoveryDigest(address newOwner, uint256 nonce, uint256 deadline) public view returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(abi.encode(RECOVERY_TYPEHASH, address(this), newOwner, nonce, deadline))
            );
    }

    /// @notice The EIP-712 digest the owner signs for an ERC-1271 check of `hash`.
    function messageDigest(bytes32 hash) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(MESSAGE_TYPEHASH, hash)));
    }

    /// @notice The EIP-712 domain separator of this account on this chain.
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ------------------------------------------------------------------ execution

    /// @notice Calls `target` with `value` and `data`.
    function execute(address target, uint256 value, bytes calldata data) external onlyEntryPointOrOwner {
        _call(0, target, value, data);
    }

    /// @notice Runs `calls` in order; reverts with the index of the first failure.
    function executeBatch(Call[] calldata calls) external onlyEntryPointOrOwner {
        for (uint256 i = 0; i < calls.length; i++) {
            _call(i, calls[i].target, calls[i].value, calls[i].data);
        }
    }

    function _call(uint256 index, address target, uint256 value, bytes calldata data) private {
        (bool ok, bytes memory reason) = target.call{value: value}(data);
        if (!ok) revert CallFailed(index, reason);
    }

    /// @inheritdoc BaseAccount
    function _validateSignature(PackedUserOperation calldata userOp, bytes32 userOpHash)
        internal
        view
        override
        returns (uint256)
    {
        if (!OwnerSignature.isValid(_s().owner, userOpHash, userOp.signature)) {
            return SIG_VALIDATION_FAILED;
        }
        return SIG_VALIDATION_SUCCESS;
    }

    /// @inheritdoc IERC1271
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        if (OwnerSignature.isValid(_s().owner, messageDigest(hash), signature)) {
            return IERC1271.isValidSignature.selector;
        }
        return 0xffffffff;
    }

    // ------------------------------------------------------------------ settings (signed by the owner)

    /// @notice Replaces guardians, threshold and security delay with `config`, signed by the
    /// owner (see `configDigest`). Anyone may submit it, on any chain, once per version: versions
    /// only go up. A recovery in its delay is cancelled, as the owner would; after the delay the
    /// config waits for the recovery. Threshold 0 with no guardians turns recovery off.
    function applyConfig(Config calldata config, bytes calldata signature) external {
        AccountStorage storage s = _s();
        if (config.version <= s.configVersion) revert StaleConfig(config.version, s.configVersion);
        if (!OwnerSignature.isValid(s.owner, configDigest(config), signature)) {
            revert InvalidConfigSignature();
        }
        uint256 count = config.guardians.length;
        if (count > MAX_GUARDIANS) revert TooManyGuardians();
        if (config.threshold > count || (config.threshold == 0 && count != 0)) {
            revert InvalidThreshold(config.threshold, count);
        }
        if (config.securityDelay < MIN_SECURITY_DELAY || config.securityDelay > MAX_SECURITY_DELAY) {
            revert InvalidSecurityDelay(config.securityDelay);
        }
        if (s.pending.newOwner != address(0)) {
            if (block.timestamp >= s.pending.executeAfter) revert RecoveryDelayOver(s.pending.executeAfter);
            _cancel(s);
        }
        for (uint256 i = 0; i < s.guardians.length; i++) {
            s.isGuardian[s.guardians[i]] = false;
        }
        delete s.guardians;
        for (uint256 i = 0; i < count; i++) {
            address guardian = config.guardians[i];
            if (guardian == address(0) || guardian == address(this) || guardian == s.owner) {
                revert InvalidGuardian(guardian);
            }
            if (s.isGuardian[guardian]) revert DuplicateGuardian(guardian);
            s.isGuardian[guardian] = true;
            s.guardians.push(guardian);
        }
        // casting to 'uint32' is safe because threshold <= guardians.length <= MAX_GUARDIANS
        // forge-lint: disable-next-line(unsafe-typecast)
        s.threshold = uint32(config.threshold);
        // casting to 'uint64' is safe because securityDelay <= MAX_SECURITY_DELAY
        // forge-lint: disable-next-line(unsafe-typecast)
        s.securityDelay = uint64(config.securityDelay);
        s.configVersion = config.version;
        s.configSignature = signature;
        emit ConfigApplied(config.version, config.guardians, config.threshold, config.securityDelay);
    }

    /// @notice Voids every approval handed out for the current recovery nonce (by the owner,
    /// directly or through the account), e.g. after a guardian's key leaked.
    function invalidateApprovals() external {
        AccountStorage storage s = _s();
        if (msg.sender != s.owner && msg.sender != address(this)) revert NotAuthorized(msg.sender);
        emit ApprovalsInvalidated(++s.recoveryNonce);
    }

    // ------------------------------------------------------------------ recovery

    /// @notice Starts moving the account to `newOwner` with guardian approvals. `signers` must be
    /// guardians in strictly ascending order (no duplicates), each with its signature.
    function startRecovery(
        address newOwner,
        uint256 deadline,
        address[] calldata signers,
        bytes[] calldata signatures
    ) external {
        AccountStorage storage s = _s();
        if (block.timestamp > deadline) revert ApprovalExpired(deadline);
        if (
            newOwner == address(0) || newOwner == address(this) || newOwner == s.owner
                || s.isGuardian[newOwner]
        ) {
            revert InvalidOwner(newOwner);
        }
        if (signers.length != signatures.length) revert LengthMismatch();
        uint256 approvals = signers.length;
        if (s.threshold == 0 || approvals < s.threshold) revert BelowThreshold(approvals, s.threshold);
        PendingRecovery storage pending = s.pending;
        if (pending.newOwner != address(0) && approvals <= pending.approvals) {
            revert RecoveryNotStronger(approvals, pending.approvals);
        }
        bytes32 digest = recoveryDigest(newOwner, s.recoveryNonce, deadline);
        address previous = address(0);
        for (uint256 i = 0; i < approvals; i++) {
            address guardian = signers[i];
            if (guardian <= previous) revert GuardiansNotSorted();
            previous = guardian;
            if (!s.isGuardian[guardian]) revert NotAGuardian(guardian);
            if (!SignatureChecker.isValidSignatureNow(guardian, digest, signatures[i])) {
                revert InvalidGuardianSignature(guardian);
            }
        }
        // More approvals for the recovery already pending keep its delay: otherwise any one more
        // guardian could postpone it again and again with the public approvals.
        // casting to 'uint64' is safe because timestamps fit until the year 2^64 s
        // forge-lint: disable-next-line(unsafe-typecast)
        uint64 executeAfter =
            pending.newOwner == newOwner ? pending.executeAfter : uint64(block.timestamp) + s.securityDelay;
        // casting to 'uint32' is safe because approvals are distinct guardians (<= MAX_GUARDIANS)
        // forge-lint: disable-next-line(unsafe-typecast)
        uint32 count = uint32(approvals);
        s.pending = PendingRecovery({newOwner: newOwner, executeAfter: executeAfter, approvals: count});
        emit RecoveryStarted(newOwner, executeAfter, s.recoveryNonce, approvals, signers);
    }

    /// @notice Cancels the pending recovery; by the owner (directly or through the account) while
    /// the delay runs.
    function cancelRecovery() external {
        AccountStorage storage s = _s();
        if (msg.sender != s.owner && msg.sender != address(this)) revert NotAuthorized(msg.sender);
        PendingRecovery memory pending = s.pending;
        if (pending.newOwner == address(0)) revert NoPendingRecovery();
        if (block.timestamp >= pending.executeAfter) revert RecoveryDelayOver(pending.executeAfter);
        _cancel(s);
    }

    /// @notice Completes a recovery whose delay is over; anyone may call it.
    function executeRecovery() external {
        AccountStorage storage s = _s();
        PendingRecovery memory pending = s.pending;
        if (pending.newOwner == address(0)) revert NoPendingRecovery();
        if (block.timestamp < pending.executeAfter) revert RecoveryDelayNotOver(pending.executeAfter);
        // A guardian added after the approvals cannot exist (changes are refused while pending),
        // but re-check so the owner is never a guardian.
        if (s.isGuardian[pending.newOwner]) revert InvalidOwner(pending.newOwner);
        delete s.pending;
        address previous = s.owner;
        uint256 nonce = s.recoveryNonce++;
        _setOwner(pending.newOwner);
        emit RecoveryExecuted(previous, pending.newOwner, nonce);
    }

    // ------------------------------------------------------------------ internals

    function _cancel(AccountStorage storage s) private {
        address newOwner = s.pending.newOwner;
        delete s.pending;
        emit RecoveryCancelled(newOwner, s.recoveryNonce++);
    }

    function _setOwner(address newOwner) private {
        AccountStorage storage s = _s();
        if (newOwner == address(0) || newOwner == address(this) || s.isGuardian[newOwner]) {
            revert InvalidOwner(newOwner);
        }
        emit OwnerChanged(s.owner, newOwner);
        s.owner = newOwner;
    }

    /// @inheritdoc UUPSUpgradeable
    function _authorizeUpgrade(address) internal view override onlySelf {}

    function _s() private pure returns (AccountStorage storage s) {
        bytes32 slot = STORAGE_SLOT;
        assembly ("memory-safe") {
            s.slot := slot
        }
    }
}
