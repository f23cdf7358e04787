// The one interface the screens use. `TauriBackend` calls the Rust commands; `MemoryBackend`
// (memoryBackend.ts) keeps everything in memory for component tests and browser previews.
import type {
  Account,
  ActivityEntry,
  AlertView,
  AppStatus,
  ChainBalances,
  ChainView,
  ConnectedSite,
  ContactView,
  DappRequestView,
  GuardianAdvice,
  GuardianKind,
  GuardianSetView,
  GuardianView,
  InvitationReplyView,
  NewWallet,
  PairedClientView,
  Pairing,
  PaperSharesView,
  Receipt,
  RecipientView,
  RecoveryView,
  RecoveryNoticeView,
  RequestView,
  SendRequest,
  SendReview,
  SendStage,
  Settings,
  SponsorView,
  UiError,
} from "./generated/bindings";

export type * from "./generated/bindings";

/** What commands without a result resolve to. */
export type Done = void | null;

/** Called with each stage of a send while it runs. */
export type OnStage = (stage: SendStage) => void;

/** Everything the UI can ask the wallet engine. */
export interface Backend {
  status(): Promise<AppStatus>;
  createVault(password: string): Promise<Done>;
  unlock(password: string): Promise<Done>;
  unlockWithKeyring(): Promise<Done>;
  lock(): Promise<Done>;
  setKeyringUnlock(enabled: boolean): Promise<Done>;
  changePassword(oldPassword: string, newPassword: string): Promise<Done>;
  saveSettings(settings: Settings): Promise<Settings>;
  createWallet(name: string): Promise<NewWallet>;
  importPhrase(name: string, phrase: string): Promise<NewWallet>;
  importKey(name: string, key: string): Promise<NewWallet>;
  revealPhrase(walletId: string, password: string): Promise<string[]>;
  paperShares(walletId: string, password: string, threshold: number, count: number): Promise<PaperSharesView>;
  restoreFromShares(name: string, shares: string[], language: string, expectedAddress: string | null): Promise<NewWallet>;
  accounts(): Promise<Account[]>;
  addAccount(walletId: string, name: string): Promise<Account>;
  chains(): Promise<ChainView[]>;
  saveChain(chain: ChainView): Promise<Done>;
  removeChain(chainId: number): Promise<boolean>;
  /** Gas sponsors added by their profile link, oldest first. */
  sponsors(): Promise<SponsorView[]>;
  /** Adds (or refreshes) the sponsor whose profile is at `link`; sets up every network it pays on. */
  addSponsor(link: string): Promise<SponsorView>;
  removeSponsor(link: string): Promise<Done>;
  /** The text of the QR code in a PNG or JPEG picture (a file or a pasted screenshot). */
  readQr(picture: number[]): Promise<string>;
  balances(account: string): Promise<ChainBalances[]>;
  contacts(): Promise<ContactView[]>;
  saveContact(address: string, name: string): Promise<Done>;
  removeContact(address: string): Promise<boolean>;
  checkRecipient(to: string): Promise<RecipientView>;
  reviewSend(request: SendRequest): Promise<SendReview>;
  send(request: SendRequest, onStage: OnStage): Promise<Receipt>;
  activity(account: string): Promise<ActivityEntry[]>;
  guardians(account: string): Promise<GuardianSetView[]>;
  setGuardians(account: string, guardians: GuardianView[], threshold: number, onStage: OnStage): Promise<number>;
  guardianAdvice(count: number, threshold: number): Promise<GuardianAdvice>;
  createInvitation(account: string, ownerName: string, kind: GuardianKind): Promise<string>;
  acceptInvitation(link: string, account: string, name: string): Promise<string>;
  readInvitationReply(link: string): Promise<InvitationReplyView>;
  startRecovery(account: string, note: string): Promise<RecoveryView>;
  recoveries(): Promise<RecoveryView[]>;
  addApproval(id: string, link: string): Promise<RecoveryView>;
  advanceRecovery(id: string, onStage: OnStage): Promise<RecoveryView>;
  forgetRecovery(id: string): Promise<boolean>;
  describeRequest(link: string): Promise<RequestView>;
  approveRequest(link: string, account: string): Promise<string>;
  alerts(account: string): Promise<AlertView[]>;
  cancelRecovery(account: string, chainId: number, onStage: OnStage): Promise<Done>;
  /** Requests from sites and programs waiting for the person, oldest first. */
  dappPending(): Promise<DappRequestView[]>;
  /** The person's answer to a site's request (`account`: the one to connect). */
  dappDecide(id: number, approve: boolean, account: string | null): Promise<Done>;
  pairings(): Promise<Pairing[]>;
  decidePairing(id: string, approve: boolean): Promise<Done>;
  connectedSites(): Promise<ConnectedSite[]>;
  revokeSite(origin: string): Promise<boolean>;
  pairedClients(): Promise<PairedClientView[]>;
  unpair(id: string): Promise<boolean>;
  /** Subscribes to requests arriving from sites; returns the unsubscribe function. */
  onDappWaiting(listener: () => void): () => void;
  /** The sponsor that reported the recovery pending on `account`, if one did. */
  reportedBy(account: string): Promise<string | null>;
  /** Subscribes to recovery alerts a sponsor's relay reported; returns the unsubscribe function. */
  onRecoveryNotice(listener: (notices: RecoveryNoticeView[]) => void): () => void;
  /** Subscribes to the wallet locking itself; returns the unsubscribe function. */
  onLocked(listener: (idle: boolean) => void): () => void;
}

/** Whether a thrown value is an error from the backend. */
export function isUiError(e: unknown): e is UiError {
  return typeof e === "object" && e !== null && "kind" in e && "message" in e;
}

/** Turns anything thrown into a backend error (unknown failures become `internal`). */
export function asUiError(e: unknown): UiError {
  if (isUiError(e)) return e;
  return { kind: "internal", message: e instanceof Error ? e.message : String(e), wordPositions: [] };
}
