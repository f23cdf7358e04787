//! What crosses to the UI: plain records with camelCase fields, their TypeScript generated.

use serde::{Deserialize, Serialize};
use specta::Type;

/// The app's state at a glance: what the first screen should be.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AppStatus {
    /// Why the wallet file cannot be used right now (it is open elsewhere, damaged …).
    pub problem: Option<crate::error::UiError>,
    /// A wallet file exists on this computer.
    pub has_vault: bool,
    /// It is unlocked.
    pub unlocked: bool,
    /// The system keyring can unlock it without the password.
    pub keyring_unlock: bool,
    /// Where the wallet file is.
    pub vault_path: String,
    /// The user's settings.
    pub settings: Settings,
}

/// Languages of the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type, Default)]
pub enum AppLanguage {
    /// English.
    #[default]
    #[serde(rename = "en")]
    En,
    /// Simplified Chinese.
    #[serde(rename = "zh-Hans")]
    ZhHans,
    /// Traditional Chinese.
    #[serde(rename = "zh-Hant")]
    ZhHant,
}

/// The user's preferences (kept in `settings.json` beside the wallet file; nothing secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// Interface language.
    pub language: AppLanguage,
    /// Minutes without use before the wallet locks itself (0: never).
    pub lock_minutes: u32,
    /// Tokens shown on the home screen.
    pub tokens: Vec<TokenRef>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            language: AppLanguage::En,
            lock_minutes: 5,
            tokens: Vec::new(),
        }
    }
}

/// An ERC-20 token the user added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct TokenRef {
    /// Its chain.
    pub chain_id: u64,
    /// Its contract address.
    pub address: String,
}

/// A newly created wallet and its first account.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct NewWallet {
    /// The wallet's id.
    pub wallet_id: String,
    /// Its first account.
    pub account: Account,
}

/// A wallet's paper shares and what to write beside them.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PaperSharesView {
    /// The shares (each secret).
    pub shares: Vec<String>,
    /// The recovery phrase's language code (`spanish`): restoring needs it.
    pub language: String,
    /// The language's name in itself ("Español").
    pub language_name: String,
    /// The wallet's first address, to check a restore against.
    pub first_address: String,
}

/// A smart account the user controls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    /// The wallet holding the key.
    pub wallet_id: String,
    /// The key's index in that wallet.
    pub index: u32,
    /// The user's name for it.
    pub name: String,
    /// The smart account address (the same on every chain; the one to share).
    pub address: String,
    /// The key that controls it.
    pub owner: String,
    /// Whether the wallet has a recovery phrase (else it came from a private key).
    pub has_phrase: bool,
    /// Taken over through a recovery: the account was created by another key.
    pub recovered: bool,
}

/// A network and its services.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ChainView {
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// Display name.
    pub name: String,
    /// Native coin ticker.
    pub symbol: String,
    /// JSON-RPC endpoint.
    pub rpc_url: String,
    /// ERC-7769 bundler endpoint.
    pub bundler_url: Option<String>,
    /// ERC-7677 paymaster endpoint (gas sponsorship).
    pub paymaster_url: Option<String>,
    /// Block explorer.
    pub explorer_url: Option<String>,
    /// Coins here have no value.
    pub testnet: bool,
    /// Added by the user (built-in chains can only be overridden).
    pub custom: bool,
    /// The gas sponsor whose profile set up its bundler and paymaster.
    pub sponsor: Option<String>,
}

/// A gas sponsor added by its profile link.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct SponsorView {
    /// The link it was added with.
    pub link: String,
    /// Its name.
    pub name: String,
    /// How to reach it.
    pub contact: Option<String>,
    /// The networks it pays on.
    pub chains: Vec<SponsoredChainView>,
}

/// One network a sponsor pays on.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct SponsoredChainView {
    /// Chain id.
    pub chain_id: u64,
    /// The network's name.
    pub chain_name: String,
    /// What the sponsor pays for there, in its words.
    pub pays: Vec<String>,
}

/// An amount of a coin or token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Amount {
    /// Token contract, or `None` for the native coin.
    pub token: Option<String>,
    /// Ticker.
    pub symbol: String,
    /// Human amount ("12.5").
    pub formatted: String,
    /// Smallest units, decimal.
    pub raw: String,
    /// Decimals of the unit.
    pub decimals: u8,
}

/// What an account holds on one chain.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ChainBalances {
    /// The chain.
    pub chain_id: u64,
    /// Its name.
    pub chain_name: String,
    /// Whether the account's contract exists there yet (it is created by the first send).
    pub deployed: bool,
    /// Whether gas can be sponsored there.
    pub sponsored: bool,
    /// Who pays the gas there (the sponsor's name or host), when sponsored.
    pub sponsor: Option<String>,
    /// Native coin first, then added tokens.
    pub amounts: Vec<Amount>,
    /// Why the chain could not be read, if it could not.
    pub error: Option<crate::error::UiError>,
}

/// An address-book entry.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ContactView {
    /// EIP-55 address.
    pub address: String,
    /// The user's name for it, if named.
    pub name: Option<String>,
    /// Last sent to (Unix seconds).
    pub last_sent_at: Option<i64>,
}

/// A warning about a recipient.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum RecipientWarningView {
    /// Never sent to before.
    FirstTime,
    /// Looks like a known address but is not it.
    LooksLike {
        /// The known address.
        known: String,
        /// Its name, if any.
        name: Option<String>,
    },
    /// Coins sent there are lost.
    ZeroAddress,
    /// One of the user's own accounts.
    OwnAccount,
}

/// What the wallet knows about a recipient.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct RecipientView {
    /// EIP-55 form, to show in full.
    pub checksum: String,
    /// Name from the address book.
    pub name: Option<String>,
    /// Warnings, most serious first.
    pub warnings: Vec<RecipientWarningView>,
}

/// A send the user is about to make.
#[derive(Debug, Clone, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct SendRequest {
    /// The sending smart account.
    pub account: String,
    /// The chain.
    pub chain_id: u64,
    /// Token contract; `None` for the native coin.
    pub token: Option<String>,
    /// Recipient.
    pub to: String,
    /// Amount as typed ("0.5").
    pub amount: String,
}

/// The review step: everything the user agrees to, in fields the UI puts into sentences.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct SendReview {
    /// From (smart account).
    pub from: String,
    /// Recipient, EIP-55.
    pub to: String,
    /// Recipient's name, if known.
    pub to_name: Option<String>,
    /// Amount as normalised ("0.5").
    pub amount: String,
    /// Ticker.
    pub symbol: String,
    /// Chain name.
    pub chain_name: String,
    /// Whether the sponsor pays the gas (else the account pays in the native coin).
    pub sponsored: bool,
    /// The sponsor's name, when sponsored.
    pub sponsor: Option<String>,
    /// Whether this send also creates the account's contract on this chain.
    pub creates_account: bool,
    /// Warnings on the recipient.
    pub warnings: Vec<RecipientWarningView>,
}

/// Stages of a send, as the progress view shows them.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(
    tag = "stage",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum SendStage {
    /// Reading account state and fees.
    Preparing,
    /// Asking the sponsor.
    Sponsoring,
    /// Signing.
    Signing,
    /// With the bundler; waiting for a block.
    Submitted {
        /// UserOperation hash.
        user_op_hash: String,
    },
    /// In a block.
    Included {
        /// Bundle transaction.
        transaction_hash: Option<String>,
    },
    /// Failed.
    Failed {
        /// Why.
        reason: String,
    },
}

/// Progress of a send (event `send-progress`).
#[derive(Debug, Clone, Serialize, Type, tauri_specta::Event)]
#[serde(rename_all = "camelCase")]
pub struct SendProgressEvent {
    /// The id the UI gave the send.
    pub send_id: String,
    /// Where it is.
    pub stage: SendStage,
}

/// A request from a site or program waits for the person (event `dapp-waiting`).
#[derive(Debug, Clone, Serialize, Type, tauri_specta::Event)]
#[serde(rename_all = "camelCase")]
pub struct DappWaiting {
    /// How many requests and pairings wait now.
    pub count: u32,
}

/// A sponsor's relay reported recoveries of the person's accounts (event `recovery-notice`).
#[derive(Debug, Clone, Serialize, Type, tauri_specta::Event)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryNoticeEvent {
    /// What happened, one entry per event.
    pub notices: Vec<RecoveryNoticeView>,
}

/// One recovery event of an account, in words.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryNoticeView {
    /// `started`, `cancelled` or `executed`.
    pub kind: String,
    /// The account.
    pub account: String,
    /// The network.
    pub chain_id: u64,
    /// Its name.
    pub chain_name: String,
    /// The sponsor that reported it.
    pub sponsor: String,
    /// In plain words (English; the UI words it by `kind`).
    pub message: String,
}

/// A request from a site, in words, for the approval screen.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct DappRequestView {
    /// The id to approve or reject it with.
    pub id: u64,
    /// The site (or `harbor-script://…` for a paired script).
    pub origin: String,
    /// The JSON-RPC method.
    pub method: String,
    /// connect, signIn, message, typedData, calls, switchChain, addChain, watchAsset.
    pub kind: String,
    /// Who asks what.
    pub title: String,
    /// The details, in order.
    pub lines: Vec<String>,
    /// What looks dangerous (shown loudly).
    pub warnings: Vec<String>,
    /// The network.
    pub chain_name: Option<String>,
    /// Who pays the gas.
    pub payer: Option<String>,
    /// The account that would act.
    pub account: Option<String>,
}

/// A site connected to an account.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ConnectedSite {
    /// The site.
    pub origin: String,
    /// The account it sees.
    pub account: String,
    /// Its network.
    pub chain_id: u64,
    /// The network's name.
    pub chain_name: String,
    /// When it was connected (Unix seconds).
    pub granted_at: i64,
}

/// A program paired with the local provider.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PairedClientView {
    /// Its id.
    pub id: String,
    /// The name it gave.
    pub name: String,
    /// `extension` or `script`.
    pub kind: String,
    /// When it was paired (Unix seconds).
    pub created_at: i64,
}

/// The wallet locked itself or was locked (event `wallet-locked`).
#[derive(Debug, Clone, Serialize, Type, tauri_specta::Event)]
#[serde(rename_all = "camelCase")]
pub struct WalletLocked {
    /// Locked after the idle timeout (rather than by the user).
    pub idle: bool,
}

/// The result of a completed send.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    /// UserOperation hash.
    pub user_op_hash: String,
    /// Bundle transaction.
    pub transaction_hash: Option<String>,
    /// Block.
    pub block_number: Option<u64>,
    /// Gas cost, formatted in the native coin.
    pub gas_cost: String,
    /// Native coin ticker.
    pub gas_symbol: String,
    /// Sponsor who paid the gas (`None`: the account paid).
    pub sponsor: Option<String>,
    /// Explorer link to the transaction.
    pub explorer_url: Option<String>,
}

/// Where a past operation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub enum ActivityStatus {
    /// Sent, not yet included.
    Pending,
    /// Included and executed.
    Confirmed,
    /// Included but failed, or dropped.
    Failed,
}

/// One past operation.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ActivityEntry {
    /// Id (UserOperation hash).
    pub id: String,
    /// Chain.
    pub chain_id: u64,
    /// Chain name.
    pub chain_name: String,
    /// Description in English (when not a transfer).
    pub description: String,
    /// Where it stands.
    pub status: ActivityStatus,
    /// For a transfer: recipient.
    pub to: Option<String>,
    /// For a transfer: amount.
    pub amount: Option<String>,
    /// For a transfer: ticker.
    pub symbol: Option<String>,
    /// Gas cost formatted in the native coin.
    pub gas_cost: Option<String>,
    /// Native coin ticker.
    pub gas_symbol: String,
    /// Who paid gas.
    pub sponsor: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// Explorer link.
    pub explorer_url: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
}

/// Kinds of guardian.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub enum GuardianKind {
    /// A person (their Harbor app).
    Person,
    /// Another device of the user.
    OwnDevice,
    /// A hardware wallet.
    HardwareWallet,
    /// A contract (ERC-1271).
    Contract,
}

/// A guardian with the user's name for it.
#[derive(Debug, Clone, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct GuardianView {
    /// Address.
    pub address: String,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: GuardianKind,
}

/// The guardian set of an account on one chain.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct GuardianSetView {
    /// Chain.
    pub chain_id: u64,
    /// Chain name.
    pub chain_name: String,
    /// Whether the account exists there.
    pub deployed: bool,
    /// Guardians (named where the user named them).
    pub guardians: Vec<GuardianView>,
    /// Approvals needed.
    pub threshold: u32,
    /// Delay between a started recovery and the takeover, seconds.
    pub security_delay_seconds: u64,
    /// Error reading the chain.
    pub error: Option<crate::error::UiError>,
}

/// Advice on a guardian set (kinds of warning; the UI words them).
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct GuardianAdvice {
    /// The threshold Harbor suggests (a majority).
    pub suggested_threshold: u32,
    /// "noGuardians", "singleGuardian", "allRequired", "unreachableThreshold".
    pub warnings: Vec<String>,
}

/// A recovery in progress on this device.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryView {
    /// Id.
    pub id: String,
    /// The account being recovered.
    pub account: String,
    /// The new key.
    pub new_owner: String,
    /// The request to send to guardians (link; also the QR content).
    pub request_link: String,
    /// Per chain.
    pub chains: Vec<ChainRecoveryView>,
    /// Every chain is done (or cannot go on).
    pub finished: bool,
}

/// A recovery on one chain.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ChainRecoveryView {
    /// Chain.
    pub chain_id: u64,
    /// Chain name.
    pub chain_name: String,
    /// "collectingApprovals", "readyToSubmit", "started", "executed", "cancelled", "expired", "stale".
    pub stage: String,
    /// Approvals collected.
    pub approvals: u32,
    /// Approvals needed.
    pub threshold: u32,
    /// When started: the takeover is possible from (Unix seconds).
    pub execute_after: Option<i64>,
    /// The last problem, in words.
    pub last_error: Option<String>,
}

/// A recovery request, described for the guardian asked to approve it.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct RequestView {
    /// The account to recover.
    pub account: String,
    /// The key that would control it.
    pub new_owner: String,
    /// Plain-words description (English, from the engine).
    pub description: String,
    /// The note the requester wrote.
    pub note: String,
    /// Approval valid until (Unix seconds).
    pub valid_until: i64,
    /// Chains involved.
    pub chain_ids: Vec<u64>,
}

/// What the owner must know about a recovery of their account.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AlertView {
    /// Chain.
    pub chain_id: u64,
    /// Chain name.
    pub chain_name: String,
    /// `pending` (a recovery the owner can still cancel), `taken` (another key owns the account
    /// there) or `notRecoveredHere` (not deployed there, and it would be created for the key the
    /// account was recovered from): on the last two the address is not the user's.
    pub kind: String,
    /// A recovery is pending and can still be cancelled.
    pub cancellable: bool,
    /// The key that would take (or took) over.
    pub new_owner: String,
    /// When the takeover becomes possible (Unix seconds).
    pub execute_after: Option<i64>,
    /// The engine's description.
    pub message: String,
}

/// An invitation reply read back: the guardian to add.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct InvitationReplyView {
    /// The account the invitation was for.
    pub account: String,
    /// The guardian's address.
    pub guardian: String,
    /// The name they gave.
    pub name: String,
}
