// The backend over the Rust commands (generated bindings). Progress arrives as events tagged
// with the id this side gave the send.
import type { Backend, OnStage } from "./backend";
import { commands, events } from "./generated/bindings";
import type { GuardianKind, GuardianView, RecoveryNoticeView, SendRequest, SendStage } from "./generated/bindings";
import { newSendId } from "./format";

/** Runs `f` with a fresh send id while forwarding that send's progress events to `onStage`. */
async function withProgress<T>(onStage: OnStage, f: (sendId: string) => Promise<T>): Promise<T> {
  const sendId = newSendId();
  const unlisten = await events.sendProgressEvent.listen((e) => {
    if (e.payload.sendId === sendId) onStage(e.payload.stage as SendStage);
  });
  try {
    return await f(sendId);
  } finally {
    unlisten();
  }
}

/** The real backend inside the Tauri window. */
export class TauriBackend implements Backend {
  status = () => commands.status();
  createVault = (password: string) => commands.createVault(password);
  unlock = (password: string) => commands.unlock(password);
  unlockWithKeyring = () => commands.unlockWithKeyring();
  lock = () => commands.lock();
  setKeyringUnlock = (enabled: boolean) => commands.setKeyringUnlock(enabled);
  changePassword = (oldPassword: string, newPassword: string) => commands.changePassword(oldPassword, newPassword);
  saveSettings: Backend["saveSettings"] = (settings) => commands.saveSettings(settings);
  createWallet = (name: string) => commands.createWallet(name);
  importPhrase = (name: string, phrase: string) => commands.importPhrase(name, phrase);
  importKey = (name: string, key: string) => commands.importKey(name, key);
  revealPhrase = (walletId: string, password: string) => commands.revealPhrase(walletId, password);
  paperShares = (walletId: string, password: string, threshold: number, count: number) =>
    commands.paperShares(walletId, password, threshold, count);
  restoreFromShares = (name: string, shares: string[], language: string, expectedAddress: string | null) =>
    commands.restoreFromShares(name, shares, language, expectedAddress);
  accounts = () => commands.accounts();
  addAccount = (walletId: string, name: string) => commands.addAccount(walletId, name);
  chains = () => commands.chains();
  saveChain: Backend["saveChain"] = (chain) => commands.saveChain(chain);
  removeChain = (chainId: number) => commands.removeChain(chainId);
  sponsors = () => commands.sponsors();
  reportedBy = (account: string) => commands.reportedBy(account);
  addSponsor = (link: string) => commands.addSponsor(link);
  readQr = (picture: number[]) => commands.readQr(picture);
  removeSponsor = (link: string) => commands.removeSponsor(link);
  balances = (account: string) => commands.balances(account);
  contacts = () => commands.contacts();
  saveContact = (address: string, name: string) => commands.saveContact(address, name);
  removeContact = (address: string) => commands.removeContact(address);
  checkRecipient = (to: string) => commands.checkRecipient(to);
  reviewSend = (request: SendRequest) => commands.reviewSend(request);
  send = (request: SendRequest, onStage: OnStage) => withProgress(onStage, (id) => commands.send(request, id));
  activity = (account: string) => commands.activity(account);
  guardians = (account: string) => commands.guardians(account);
  setGuardians = (account: string, guardians: GuardianView[], threshold: number, onStage: OnStage) =>
    withProgress(onStage, (id) => commands.setGuardians(account, guardians, threshold, id));
  guardianAdvice = (count: number, threshold: number) => commands.guardianAdvice(count, threshold);
  createInvitation = (account: string, ownerName: string, kind: GuardianKind) =>
    commands.createInvitation(account, ownerName, kind);
  acceptInvitation = (link: string, account: string, name: string) => commands.acceptInvitation(link, account, name);
  readInvitationReply = (link: string) => commands.readInvitationReply(link);
  startRecovery = (account: string, note: string) => commands.startRecovery(account, note);
  recoveries = () => commands.recoveries();
  addApproval = (id: string, link: string) => commands.addApproval(id, link);
  advanceRecovery = (id: string, onStage: OnStage) => withProgress(onStage, (sid) => commands.advanceRecovery(id, sid));
  forgetRecovery = (id: string) => commands.forgetRecovery(id);
  describeRequest = (link: string) => commands.describeRequest(link);
  approveRequest = (link: string, account: string) => commands.approveRequest(link, account);
  alerts = (account: string) => commands.alerts(account);
  cancelRecovery = (account: string, chainId: number, onStage: OnStage) =>
    withProgress(onStage, (id) => commands.cancelRecovery(account, chainId, id));
  dappPending = () => commands.dappPending();
  dappDecide = (id: number, approve: boolean, account: string | null) => commands.dappDecide(id, approve, account);
  pairings = () => commands.pairings();
  decidePairing = (id: string, approve: boolean) => commands.decidePairing(id, approve);
  connectedSites = () => commands.connectedSites();
  revokeSite = (origin: string) => commands.revokeSite(origin);
  pairedClients = () => commands.pairedClients();
  unpair = (id: string) => commands.unpair(id);
  onDappWaiting(listener: () => void) {
    let unlisten: (() => void) | null = null;
    let stopped = false;
    events.dappWaiting.listen(() => listener()).then((u) => (stopped ? u() : (unlisten = u)));
    return () => {
      stopped = true;
      unlisten?.();
    };
  }
  onRecoveryNotice(listener: (notices: RecoveryNoticeView[]) => void) {
    let unlisten: (() => void) | null = null;
    let stopped = false;
    events.recoveryNoticeEvent
      .listen((e) => listener(e.payload.notices))
      .then((u) => (stopped ? u() : (unlisten = u)));
    return () => {
      stopped = true;
      unlisten?.();
    };
  }
  onLocked(listener: (idle: boolean) => void) {
    let unlisten: (() => void) | null = null;
    let stopped = false;
    events.walletLocked
      .listen((e) => listener(e.payload.idle))
      .then((u) => (stopped ? u() : (unlisten = u)));
    return () => {
      stopped = true;
      unlisten?.();
    };
  }
}
