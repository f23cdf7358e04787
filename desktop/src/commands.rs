//! The Tauri commands: one-line adapters from the UI to [`App`]. Their TypeScript is generated
//! (`ui/src/generated/bindings.ts`). Every command the user triggers postpones auto-lock; the
//! background polls (`status`, `alerts`) do not.

use std::sync::Arc;

use tauri::{AppHandle, State};
use tauri_specta::Event;
use zeroize::Zeroizing;

use crate::app::App;
use crate::dto::*;
use crate::error::{UiError, UiResult};

type AppState<'a> = State<'a, Arc<App>>;

/// Runs blocking work (Argon2, SQLite) off the UI's async threads.
async fn blocking<T: Send + 'static>(
    app: &AppState<'_>,
    f: impl FnOnce(&App) -> UiResult<T> + Send + 'static,
) -> UiResult<T> {
    let app = Arc::clone(app);
    tauri::async_runtime::spawn_blocking(move || f(&app))
        .await
        .map_err(UiError::internal)?
}

/// A progress callback that emits `send-progress` events tagged with `send_id`.
fn emitter(handle: AppHandle, send_id: String) -> impl Fn(SendStage) + Send + Sync {
    move |stage| {
        let event = SendProgressEvent {
            send_id: send_id.clone(),
            stage,
        };
        if let Err(error) = event.emit(&handle) {
            tracing::warn!(%error, "could not emit send progress");
        }
    }
}

/// The app's state: whether a wallet exists and is unlocked, and the settings.
#[tauri::command]
#[specta::specta]
pub fn status(app: AppState<'_>) -> AppStatus {
    app.status()
}

/// Creates the wallet file protected by `password`.
#[tauri::command]
#[specta::specta]
pub async fn create_vault(app: AppState<'_>, password: String) -> UiResult<()> {
    app.touch();
    let password = Zeroizing::new(password);
    blocking(&app, move |a| a.create_vault(&password)).await
}

/// Unlocks the wallet with its password.
#[tauri::command]
#[specta::specta]
pub async fn unlock(app: AppState<'_>, password: String) -> UiResult<()> {
    app.touch();
    let password = Zeroizing::new(password);
    blocking(&app, move |a| a.unlock(&password)).await
}

/// Unlocks through the system keyring.
#[tauri::command]
#[specta::specta]
pub async fn unlock_with_keyring(app: AppState<'_>) -> UiResult<()> {
    app.touch();
    blocking(&app, App::unlock_with_keyring).await
}

/// Locks the wallet now.
#[tauri::command]
#[specta::specta]
pub fn lock(app: AppState<'_>, handle: AppHandle, slot: State<'_, ProviderSlot>) -> UiResult<()> {
    app.lock()?;
    if let Ok(p) = provider(&slot) {
        p.on_locked();
    }
    let _ = WalletLocked { idle: false }.emit(&handle);
    Ok(())
}

/// Turns unlocking through the system keyring on or off.
#[tauri::command]
#[specta::specta]
pub async fn set_keyring_unlock(app: AppState<'_>, enabled: bool) -> UiResult<()> {
    app.touch();
    blocking(&app, move |a| a.set_keyring_unlock(enabled)).await
}

/// Changes the password.
#[tauri::command]
#[specta::specta]
pub async fn change_password(
    app: AppState<'_>,
    old_password: String,
    new_password: String,
) -> UiResult<()> {
    app.touch();
    let (old, new) = (Zeroizing::new(old_password), Zeroizing::new(new_password));
    blocking(&app, move |a| a.change_password(&old, &new)).await
}

/// Saves the settings.
#[tauri::command]
#[specta::specta]
pub fn save_settings(
    handle: tauri::AppHandle,
    app: AppState<'_>,
    settings: Settings,
) -> UiResult<Settings> {
    app.touch();
    let saved = app.save_settings(settings)?;
    crate::tray::relabel(&handle, saved.language);
    Ok(saved)
}

/// Creates a wallet with a new recovery phrase.
#[tauri::command]
#[specta::specta]
pub async fn create_wallet(app: AppState<'_>, name: String) -> UiResult<NewWallet> {
    app.touch();
    blocking(&app, move |a| a.create_wallet(&name)).await
}

/// Imports a recovery phrase.
#[tauri::command]
#[specta::specta]
pub async fn import_phrase(app: AppState<'_>, name: String, phrase: String) -> UiResult<NewWallet> {
    app.touch();
    let phrase = Zeroizing::new(phrase);
    blocking(&app, move |a| a.import_phrase(&name, &phrase)).await
}

/// Imports a private key.
#[tauri::command]
#[specta::specta]
pub async fn import_key(app: AppState<'_>, name: String, key: String) -> UiResult<NewWallet> {
    app.touch();
    let key = Zeroizing::new(key);
    blocking(&app, move |a| a.import_key(&name, &key)).await
}

/// Shows a wallet's recovery phrase (password again).
#[tauri::command]
#[specta::specta]
pub async fn reveal_phrase(
    app: AppState<'_>,
    wallet_id: String,
    password: String,
) -> UiResult<Vec<String>> {
    app.touch();
    let password = Zeroizing::new(password);
    blocking(&app, move |a| a.reveal_phrase(&wallet_id, &password)).await
}

/// Makes SLIP-39 paper shares of a wallet's phrase (password again).
#[tauri::command]
#[specta::specta]
pub async fn paper_shares(
    app: AppState<'_>,
    wallet_id: String,
    password: String,
    threshold: u8,
    count: u8,
) -> UiResult<PaperSharesView> {
    app.touch();
    let password = Zeroizing::new(password);
    blocking(&app, move |a| {
        a.paper_shares(&wallet_id, &password, threshold, count)
    })
    .await
}

/// Restores a wallet from paper shares, in the phrase's language (code, e.g. `spanish`); with
/// the first address written beside the shares, another wallet is refused.
#[tauri::command]
#[specta::specta]
pub async fn restore_from_shares(
    app: AppState<'_>,
    name: String,
    shares: Vec<String>,
    language: String,
    expected_address: Option<String>,
) -> UiResult<NewWallet> {
    app.touch();
    blocking(&app, move |a| {
        a.restore_from_shares(&name, &shares, &language, expected_address.as_deref())
    })
    .await
}

/// The user's accounts.
#[tauri::command]
#[specta::specta]
pub fn accounts(app: AppState<'_>) -> UiResult<Vec<Account>> {
    app.touch();
    app.accounts()
}

/// Adds an account to a phrase wallet.
#[tauri::command]
#[specta::specta]
pub fn add_account(app: AppState<'_>, wallet_id: String, name: String) -> UiResult<Account> {
    app.touch();
    app.add_account(&wallet_id, &name)
}

/// The networks.
#[tauri::command]
#[specta::specta]
pub fn chains(app: AppState<'_>) -> UiResult<Vec<ChainView>> {
    app.touch();
    app.chains()
}

/// The sponsor that reported the recovery pending on `account`, if one did.
#[tauri::command]
#[specta::specta]
pub fn reported_by(app: AppState<'_>, account: String) -> UiResult<Option<String>> {
    app.reported_by(&account)
}

/// The text of the QR code in a picture (PNG or JPEG bytes: a file or a pasted screenshot).
#[tauri::command]
#[specta::specta]
pub async fn read_qr(picture: Vec<u8>) -> UiResult<String> {
    tauri::async_runtime::spawn_blocking(move || crate::qr::read(&picture))
        .await
        .map_err(UiError::internal)?
        .map_err(UiError::from)
}

/// The gas sponsors added.
#[tauri::command]
#[specta::specta]
pub fn sponsors(app: AppState<'_>) -> UiResult<Vec<SponsorView>> {
    app.touch();
    app.sponsors()
}

/// Adds a gas sponsor by its profile link; every network it pays on is set up.
#[tauri::command]
#[specta::specta]
pub async fn add_sponsor(app: AppState<'_>, link: String) -> UiResult<SponsorView> {
    app.touch();
    app.add_sponsor(&link).await
}

/// Removes a gas sponsor; its networks go back to what they were.
#[tauri::command]
#[specta::specta]
pub fn remove_sponsor(app: AppState<'_>, link: String) -> UiResult<()> {
    app.touch();
    app.remove_sponsor(&link)
}

/// Adds or changes a network.
#[tauri::command]
#[specta::specta]
pub fn save_chain(app: AppState<'_>, chain: ChainView) -> UiResult<()> {
    app.touch();
    app.save_chain(chain)
}

/// Removes a network.
#[tauri::command]
#[specta::specta]
pub fn remove_chain(app: AppState<'_>, chain_id: u64) -> UiResult<bool> {
    app.touch();
    app.remove_chain(chain_id)
}

/// Balances of an account on every active network.
#[tauri::command]
#[specta::specta]
pub async fn balances(app: AppState<'_>, account: String) -> UiResult<Vec<ChainBalances>> {
    app.touch();
    app.balances(&account).await
}

/// The address book.
#[tauri::command]
#[specta::specta]
pub fn contacts(app: AppState<'_>) -> UiResult<Vec<ContactView>> {
    app.touch();
    app.contacts()
}

/// Adds or renames a contact.
#[tauri::command]
#[specta::specta]
pub fn save_contact(app: AppState<'_>, address: String, name: String) -> UiResult<()> {
    app.touch();
    app.save_contact(&address, &name)
}

/// Removes a contact.
#[tauri::command]
#[specta::specta]
pub fn remove_contact(app: AppState<'_>, address: String) -> UiResult<bool> {
    app.touch();
    app.remove_contact(&address)
}

/// What the wallet knows about a recipient.
#[tauri::command]
#[specta::specta]
pub fn check_recipient(app: AppState<'_>, to: String) -> UiResult<RecipientView> {
    app.touch();
    app.check_recipient(&to)
}

/// Checks a send and describes it for review.
#[tauri::command]
#[specta::specta]
pub async fn review_send(app: AppState<'_>, request: SendRequest) -> UiResult<SendReview> {
    app.touch();
    app.review_send(&request).await
}

/// Sends; progress arrives as `send-progress` events with `send_id`.
#[tauri::command]
#[specta::specta]
pub async fn send(
    app: AppState<'_>,
    handle: AppHandle,
    request: SendRequest,
    send_id: String,
) -> UiResult<Receipt> {
    app.touch();
    app.send(&request, &emitter(handle, send_id)).await
}

/// Past operations of an account.
#[tauri::command]
#[specta::specta]
pub fn activity(app: AppState<'_>, account: String) -> UiResult<Vec<ActivityEntry>> {
    app.touch();
    app.activity(&account)
}

/// Guardians of an account on every active network.
#[tauri::command]
#[specta::specta]
pub async fn guardians(app: AppState<'_>, account: String) -> UiResult<Vec<GuardianSetView>> {
    app.touch();
    app.guardians(&account).await
}

/// Sets the guardians of an account; returns how many networks changed.
#[tauri::command]
#[specta::specta]
pub async fn set_guardians(
    app: AppState<'_>,
    handle: AppHandle,
    account: String,
    guardians: Vec<GuardianView>,
    threshold: u32,
    send_id: String,
) -> UiResult<u32> {
    app.touch();
    app.set_guardians(&account, &guardians, threshold, &emitter(handle, send_id))
        .await
}

/// Advice on a guardian set.
#[tauri::command]
#[specta::specta]
pub fn guardian_advice(count: u32, threshold: u32) -> GuardianAdvice {
    App::guardian_advice(count, threshold)
}

/// An invitation link asking someone to guard an account.
#[tauri::command]
#[specta::specta]
pub fn create_invitation(
    app: AppState<'_>,
    account: String,
    owner_name: String,
    kind: GuardianKind,
) -> UiResult<String> {
    app.touch();
    app.create_invitation(&account, &owner_name, kind)
}

/// As a guardian: the reply to an invitation.
#[tauri::command]
#[specta::specta]
pub async fn accept_invitation(
    app: AppState<'_>,
    link: String,
    account: String,
    name: String,
) -> UiResult<String> {
    app.touch();
    app.accept_invitation(&link, &account, &name).await
}

/// As the owner: reads a guardian's reply.
#[tauri::command]
#[specta::specta]
pub fn read_invitation_reply(link: String) -> UiResult<InvitationReplyView> {
    App::read_invitation_reply(&link)
}

/// On a new device: starts recovering an account.
#[tauri::command]
#[specta::specta]
pub async fn start_recovery(
    app: AppState<'_>,
    account: String,
    note: String,
) -> UiResult<RecoveryView> {
    app.touch();
    app.start_recovery(&account, &note).await
}

/// Recoveries on this device.
#[tauri::command]
#[specta::specta]
pub fn recoveries(app: AppState<'_>) -> UiResult<Vec<RecoveryView>> {
    app.touch();
    app.recoveries()
}

/// Adds a guardian's approval.
#[tauri::command]
#[specta::specta]
pub async fn add_approval(app: AppState<'_>, id: String, link: String) -> UiResult<RecoveryView> {
    app.touch();
    app.add_approval(&id, &link).await
}

/// Moves a recovery forward.
#[tauri::command]
#[specta::specta]
pub async fn advance_recovery(
    app: AppState<'_>,
    handle: AppHandle,
    id: String,
    send_id: String,
) -> UiResult<RecoveryView> {
    app.touch();
    app.advance_recovery(&id, &emitter(handle, send_id)).await
}

/// Forgets a recovery on this device.
#[tauri::command]
#[specta::specta]
pub fn forget_recovery(app: AppState<'_>, id: String) -> UiResult<bool> {
    app.touch();
    app.forget_recovery(&id)
}

/// As a guardian: describes a recovery request.
#[tauri::command]
#[specta::specta]
pub fn describe_request(app: AppState<'_>, link: String) -> UiResult<RequestView> {
    app.touch();
    app.describe_request(&link)
}

/// As a guardian: approves a recovery request with an account's key.
#[tauri::command]
#[specta::specta]
pub async fn approve_request(app: AppState<'_>, link: String, account: String) -> UiResult<String> {
    app.touch();
    app.approve_request(&link, &account).await
}

/// Recovery alerts for the owner of an account.
#[tauri::command]
#[specta::specta]
pub async fn alerts(app: AppState<'_>, account: String) -> UiResult<Vec<AlertView>> {
    app.alerts(&account).await
}

/// Cancels a pending recovery of an account.
#[tauri::command]
#[specta::specta]
pub async fn cancel_recovery(
    app: AppState<'_>,
    handle: AppHandle,
    account: String,
    chain_id: u64,
    send_id: String,
) -> UiResult<()> {
    app.touch();
    app.cancel_recovery(&account, chain_id, &emitter(handle, send_id))
        .await
}

/// The local provider, once it listens.
#[derive(Default)]
pub struct ProviderSlot(pub std::sync::Mutex<Option<Arc<crate::provider::Provider>>>);

fn provider(slot: &State<'_, ProviderSlot>) -> UiResult<Arc<crate::provider::Provider>> {
    slot.0
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
        .ok_or_else(|| UiError::internal("the local provider is not running"))
}

/// Requests from sites and programs waiting for the person.
#[tauri::command]
#[specta::specta]
pub fn dapp_pending(app: AppState<'_>) -> Vec<DappRequestView> {
    app.dapp_pending()
}

/// The person's answer to a site's request (`account`: the one to connect, for a connection).
#[tauri::command]
#[specta::specta]
pub async fn dapp_decide(
    app: AppState<'_>,
    slot: State<'_, ProviderSlot>,
    id: u64,
    approve: bool,
    account: Option<String>,
) -> UiResult<()> {
    app.touch();
    let account = account
        .as_deref()
        .map(crate::error::parse_address)
        .transpose()?;
    let provider = provider(&slot)?;
    match provider.decide(id, approve, account).await {
        Ok(_) => Ok(()),
        // Rejecting is the person's choice, not a failure.
        Err(harbor_core::dapp::DappError::UserRejected) if !approve => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Programs asking to be paired.
#[tauri::command]
#[specta::specta]
pub fn pairings(slot: State<'_, ProviderSlot>) -> UiResult<Vec<crate::provider::Pairing>> {
    Ok(provider(&slot)?.pending_pairings())
}

/// The person's answer to a pairing.
#[tauri::command]
#[specta::specta]
pub fn decide_pairing(
    app: AppState<'_>,
    slot: State<'_, ProviderSlot>,
    id: String,
    approve: bool,
) -> UiResult<()> {
    app.touch();
    provider(&slot)?
        .decide_pairing(&id, approve)
        .map_err(UiError::input)
}

/// Sites connected to an account.
#[tauri::command]
#[specta::specta]
pub fn connected_sites(app: AppState<'_>) -> UiResult<Vec<ConnectedSite>> {
    app.touch();
    app.connected_sites()
}

/// Disconnects a site.
#[tauri::command]
#[specta::specta]
pub fn revoke_site(
    app: AppState<'_>,
    slot: State<'_, ProviderSlot>,
    origin: String,
) -> UiResult<bool> {
    app.touch();
    let revoked = app.revoke_site(&origin)?;
    if let Ok(p) = provider(&slot) {
        p.flush_events();
    }
    Ok(revoked)
}

/// Programs paired with the local provider.
#[tauri::command]
#[specta::specta]
pub fn paired_clients(app: AppState<'_>) -> UiResult<Vec<PairedClientView>> {
    app.touch();
    app.paired_clients()
}

/// Unpairs a program (its connections close).
#[tauri::command]
#[specta::specta]
pub fn unpair(app: AppState<'_>, slot: State<'_, ProviderSlot>, id: String) -> UiResult<bool> {
    app.touch();
    provider(&slot)?.unpair(&id).map_err(UiError::internal)
}
