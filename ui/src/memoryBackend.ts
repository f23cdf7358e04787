// An in-memory wallet with the same behaviour the screens rely on: for component tests and for
// previewing the UI in a browser (`npm run dev`). It holds no real keys.
import type { Backend, OnStage } from "./backend";
import type {
  Account,
  ActivityEntry,
  AlertView,
  ChainView,
  ConnectedSite,
  ContactView,
  DappRequestView,
  ErrorKind,
  GuardianSetView,
  GuardianView,
  PairedClientView,
  Pairing,
  RecoveryNoticeView,
  RecoveryView,
  SendRequest,
  Settings,
  SponsorView,
  UiError,
} from "./generated/bindings";

const WORDS = "abandon ability able about above absent absorb abstract absurd abuse access accident".split(" ");

function fail(kind: ErrorKind, message: string, wordPositions: number[] = []): never {
  throw { kind, message, wordPositions } satisfies UiError;
}

function hexAddress(seed: number): string {
  return "0x" + seed.toString(16).padStart(4, "0").repeat(10);
}

/** A fake backend; `options` tunes it for tests. */
export class MemoryBackend implements Backend {
  password: string | null = null;
  unlocked = false;
  keyring = false;
  settings: Settings = { language: "en", lockMinutes: 5, tokens: [] };
  accountList: Account[] = [];
  chainList: ChainView[] = [
    {
      chainId: 31337,
      name: "Harbor Dev Chain",
      symbol: "ETH",
      rpcUrl: "http://127.0.0.1:8545",
      bundlerUrl: "http://127.0.0.1:4337/rpc/31337/dev",
      paymasterUrl: "http://127.0.0.1:4337/rpc/31337/dev",
      explorerUrl: null,
      testnet: true,
      custom: true,
      sponsor: "Harbor sponsor",
    },
  ];
  sponsorList: SponsorView[] = [];
  balance = { eth: "1.5", token: "250" };
  contactList: ContactView[] = [];
  history: ActivityEntry[] = [];
  guardianSet: GuardianView[] = [];
  threshold = 0;
  recoveryList: RecoveryView[] = [];
  pendingAlert: AlertView | null = null;
  /** Why the wallet file cannot be opened, when it cannot (tests of the problem screen). */
  problem: UiError | null = null;
  /** When set, reading the chain fails like an unreachable node (tests of failure states). */
  offline = false;
  /** Error to throw from the next `send` (tests of failure states). */
  failNextSend: UiError | null = null;
  private lockListeners: ((idle: boolean) => void)[] = [];
  private noticeListeners: ((notices: RecoveryNoticeView[]) => void)[] = [];

  constructor(options: { wallet?: boolean; language?: Settings["language"] } = {}) {
    if (options.language) this.settings.language = options.language;
    if (options.wallet) {
      this.password = "correct horse";
      this.unlocked = true;
      this.addWallet("My wallet", true);
    }
  }

  private need() {
    if (this.password === null) fail("noWallet", "there is no wallet yet");
    if (!this.unlocked) fail("locked", "the wallet is locked; unlock it first");
  }

  private addWallet(name: string, hasPhrase: boolean) {
    const n = this.accountList.length + 1;
    const account: Account = {
      walletId: `w${n}`,
      index: 0,
      name,
      address: hexAddress(0xa000 + n),
      owner: hexAddress(0xb000 + n),
      hasPhrase,
      recovered: false,
    };
    this.accountList.push(account);
    return { walletId: account.walletId, account };
  }

  async status() {
    return {
      problem: this.problem,
      hasVault: this.password !== null,
      unlocked: this.unlocked,
      keyringUnlock: this.keyring,
      vaultPath: "/memory/harbor.vault",
      settings: this.settings,
    };
  }
  async createVault(password: string) {
    if (this.password !== null) fail("invalidInput", "a wallet already exists on this computer");
    if (password.length < 8) fail("invalidInput", "the password must have at least 8 characters");
    this.password = password;
    this.unlocked = true;
  }
  async unlock(password: string) {
    if (this.password === null) fail("noWallet", "there is no wallet yet");
    if (password !== this.password) fail("wrongPassword", "wrong password");
    this.unlocked = true;
  }
  async unlockWithKeyring() {
    if (!this.keyring) fail("secureStore", "keyring unlock is not enabled");
    this.unlocked = true;
  }
  async lock() {
    this.unlocked = false;
  }
  /** Simulates the auto-lock firing. */
  autoLock() {
    this.unlocked = false;
    this.lockListeners.forEach((l) => l(true));
  }
  async setKeyringUnlock(enabled: boolean) {
    this.need();
    this.keyring = enabled;
  }
  async changePassword(oldPassword: string, newPassword: string) {
    if (oldPassword !== this.password) fail("wrongPassword", "wrong password");
    this.password = newPassword;
  }
  async saveSettings(settings: Settings) {
    this.settings = settings;
    return settings;
  }
  async createWallet(name: string) {
    this.need();
    return this.addWallet(name, true);
  }
  async importPhrase(name: string, phrase: string) {
    this.need();
    const words = phrase.trim().split(/\s+/);
    const unknown = words.map((w, i) => (/^[a-z]+$/.test(w) ? -1 : i + 1)).filter((i) => i > 0);
    if (unknown.length) fail("invalidPhrase", `words ${unknown.join(", ")} are not in the word list`, unknown);
    if (![12, 15, 18, 21, 24].includes(words.length)) fail("invalidPhrase", `a phrase has 12 to 24 words, not ${words.length}`);
    return this.addWallet(name, true);
  }
  async importKey(name: string, key: string) {
    this.need();
    if (!/^(0x)?[0-9a-fA-F]{64}$/.test(key.trim())) fail("invalidInput", "not a private key");
    return this.addWallet(name, false);
  }
  async revealPhrase(_walletId: string, password: string) {
    this.need();
    if (password !== this.password) fail("wrongPassword", "wrong password");
    return WORDS;
  }
  async paperShares(_walletId: string, password: string, threshold: number, count: number) {
    this.need();
    if (password !== this.password) fail("wrongPassword", "wrong password");
    return {
      shares: Array.from({ length: count }, (_, i) => `share ${i + 1} of ${count} needs ${threshold} academic acid`),
      language: "english",
      languageName: "English",
      firstAddress: this.accountList[0]?.owner ?? "0x0000000000000000000000000000000000000001",
    };
  }
  async restoreFromShares(name: string, shares: string[], language: string, expectedAddress: string | null) {
    this.need();
    if (shares.length < 2) fail("invalidShares", "2 shares are needed, 1 given");
    // Shares hold no language: any other than the phrase's gives another wallet.
    if (language !== "english" && expectedAddress)
      fail("invalidShares", "these paper shares give a wallet whose first address is 0x…: check the language");
    return this.addWallet(name, true);
  }
  async accounts() {
    this.need();
    return [...this.accountList];
  }
  async addAccount(walletId: string, name: string) {
    this.need();
    const base = this.accountList.find((x) => x.walletId === walletId)!;
    const index = this.accountList.filter((x) => x.walletId === walletId).length;
    const a = { ...base, name, index, address: hexAddress(0xc000 + this.accountList.length), owner: hexAddress(0xd000 + this.accountList.length) };
    this.accountList.push(a);
    return a;
  }
  async chains() {
    this.need();
    return [...this.chainList];
  }
  async saveChain(chain: ChainView) {
    this.need();
    if (!chain.rpcUrl.startsWith("http")) fail("invalidInput", "the RPC URL must start with http:// or https://");
    this.chainList = [...this.chainList.filter((c) => c.chainId !== chain.chainId), chain];
  }
  async removeChain(chainId: number) {
    const before = this.chainList.length;
    this.chainList = this.chainList.filter((c) => c.chainId !== chainId);
    return before !== this.chainList.length;
  }
  async sponsors() {
    this.need();
    return [...this.sponsorList];
  }
  /** A "picture" whose bytes read `qr:` followed by text holds that text; any other is no picture. */
  async readQr(picture: number[]) {
    const text = new TextDecoder().decode(new Uint8Array(picture));
    if (!text.startsWith("qr:")) fail("invalidInput", "This file is not a picture Harbor can read (use a PNG or JPEG image).");
    return text.slice(3);
  }
  /** Any https link gives "Acme Gas" paying on Base Sepolia; "unreachable" in it fails like a dead host. */
  async addSponsor(link: string) {
    this.need();
    const url = (() => {
      try {
        return new URL(link.trim());
      } catch {
        return fail("invalidInput", "this link does not give a gas sponsor profile: the link is not an http:// or https:// address");
      }
    })();
    if (link.includes("unreachable")) fail("network", `cannot reach the sponsor at ${url.host}: connection refused`);
    const sponsor: SponsorView = {
      link: link.trim(),
      name: "Acme Gas",
      contact: "help@acme.example",
      chains: [{ chainId: 84532, chainName: "Base Sepolia", pays: ["Gas for up to 50 operations and 0.05 ETH per account each day.", "Any call from a Harbor account."] }],
    };
    this.sponsorList = [...this.sponsorList.filter((s) => s.link !== sponsor.link), sponsor];
    this.chainList = [
      ...this.chainList.filter((c) => c.chainId !== 84532),
      { chainId: 84532, name: "Base Sepolia", symbol: "ETH", rpcUrl: "https://sepolia.base.org", bundlerUrl: `${url.origin}/rpc/84532/k`, paymasterUrl: `${url.origin}/rpc/84532/k`, explorerUrl: null, testnet: true, custom: false, sponsor: "Acme Gas" },
    ];
    return sponsor;
  }
  async removeSponsor(link: string) {
    this.need();
    if (!this.sponsorList.some((s) => s.link === link)) fail("notFound", "no gas sponsor was added with this link");
    this.sponsorList = this.sponsorList.filter((s) => s.link !== link);
    this.chainList = this.chainList.filter((c) => c.sponsor !== "Acme Gas");
  }
  async balances(_account: string) {
    this.need();
    const unreachable: UiError = { kind: "network", message: "cannot reach http://127.0.0.1:8545", wordPositions: [] };
    return this.chainList
      .filter((c) => c.bundlerUrl)
      .map((c) => ({
        chainId: c.chainId,
        chainName: c.name,
        deployed: this.history.length > 0,
        sponsored: !!c.paymasterUrl,
        sponsor: c.paymasterUrl ? (c.sponsor ?? new URL(c.paymasterUrl).host) : null,
        amounts: this.offline ? [] : [
          { token: null, symbol: c.symbol, formatted: this.balance.eth, raw: toRaw(this.balance.eth, 18), decimals: 18 },
          { token: hexAddress(0x70c0), symbol: "HDT", formatted: this.balance.token, raw: toRaw(this.balance.token, 6), decimals: 6 },
        ],
        error: this.offline ? unreachable : null,
      }));
  }
  async contacts() {
    this.need();
    return [...this.contactList];
  }
  async saveContact(address: string, name: string) {
    if (!name.trim()) fail("invalidInput", "a contact needs a name");
    this.contactList = [...this.contactList.filter((c) => c.address !== address), { address, name, lastSentAt: null }];
  }
  async removeContact(address: string) {
    const before = this.contactList.length;
    this.contactList = this.contactList.filter((c) => c.address !== address);
    return before !== this.contactList.length;
  }
  async checkRecipient(to: string) {
    this.need();
    const lower = to.toLowerCase();
    const known = this.contactList.find((c) => c.address.toLowerCase() === lower);
    const warnings: Awaited<ReturnType<Backend["checkRecipient"]>>["warnings"] = [];
    for (const c of this.contactList)
      if (c.address.toLowerCase() !== lower && c.address.slice(2, 6).toLowerCase() === lower.slice(2, 6) && c.address.slice(-4).toLowerCase() === lower.slice(-4))
        warnings.push({ kind: "looksLike", known: c.address, name: c.name });
    if (/^0x0{40}$/.test(lower)) warnings.unshift({ kind: "zeroAddress" });
    if (!known) warnings.push({ kind: "firstTime" });
    return { checksum: to, name: known?.name ?? null, warnings };
  }
  async reviewSend(request: SendRequest) {
    this.need();
    const chain = this.chainList.find((c) => c.chainId === request.chainId);
    if (!chain) fail("invalidInput", "unknown network");
    const available = Number(request.token ? this.balance.token : this.balance.eth);
    if (!(Number(request.amount) > 0)) fail("invalidInput", "the amount must be more than zero");
    if (Number(request.amount) > available) fail("insufficientFunds", `this account has ${available}`);
    const recipient = await this.checkRecipient(request.to);
    return {
      from: request.account,
      to: request.to,
      toName: recipient.name,
      amount: request.amount,
      symbol: request.token ? "HDT" : chain.symbol,
      chainName: chain.name,
      sponsored: !!chain.paymasterUrl,
      sponsor: chain.paymasterUrl ? (chain.sponsor ?? new URL(chain.paymasterUrl).host) : null,
      createsAccount: this.history.length === 0,
      warnings: recipient.warnings,
    };
  }
  async send(request: SendRequest, onStage: OnStage) {
    const review = await this.reviewSend(request);
    onStage({ stage: "preparing" });
    onStage({ stage: "sponsoring" });
    onStage({ stage: "signing" });
    if (this.failNextSend) {
      const e = this.failNextSend;
      this.failNextSend = null;
      onStage({ stage: "failed", reason: e.message });
      throw e;
    }
    const hash = "0x" + (this.history.length + 1).toString(16).padStart(64, "0");
    onStage({ stage: "submitted", userOpHash: hash });
    onStage({ stage: "included", transactionHash: hash });
    this.history.unshift({
      id: hash,
      chainId: request.chainId,
      chainName: review.chainName,
      description: `Sent ${review.amount} ${review.symbol}`,
      status: "confirmed",
      to: review.to,
      amount: review.amount,
      symbol: review.symbol,
      gasCost: "0.000021",
      gasSymbol: "ETH",
      sponsor: review.sponsor,
      error: null,
      explorerUrl: null,
      createdAt: Math.floor(Date.now() / 1000),
    });
    if (!this.contactList.some((c) => c.address.toLowerCase() === request.to.toLowerCase()))
      this.contactList.push({ address: request.to, name: null, lastSentAt: Math.floor(Date.now() / 1000) });
    return {
      userOpHash: hash,
      transactionHash: hash,
      blockNumber: 7,
      gasCost: "0.000021",
      gasSymbol: "ETH",
      sponsor: review.sponsor,
      explorerUrl: null,
    };
  }
  async activity(_account: string) {
    this.need();
    return [...this.history];
  }
  async guardians(_account: string): Promise<GuardianSetView[]> {
    this.need();
    return this.chainList
      .filter((c) => c.bundlerUrl)
      .map((c) => ({
        chainId: c.chainId,
        chainName: c.name,
        deployed: true,
        guardians: this.guardianSet,
        threshold: this.threshold,
        securityDelaySeconds: 172800,
        error: null,
      }));
  }
  async setGuardians(_account: string, guardians: GuardianView[], threshold: number, onStage: OnStage) {
    this.need();
    if (threshold > guardians.length) fail("invalidInput", "the threshold is higher than the number of guardians");
    onStage({ stage: "preparing" });
    onStage({ stage: "included", transactionHash: null });
    const changed = JSON.stringify(guardians) !== JSON.stringify(this.guardianSet) || threshold !== this.threshold;
    this.guardianSet = guardians;
    this.threshold = threshold;
    return changed ? 1 : 0;
  }
  async guardianAdvice(count: number, threshold: number) {
    const warnings: string[] = [];
    if (count === 0) warnings.push("noGuardians");
    else if (threshold > count) warnings.push("thresholdUnreachable");
    else {
      if (threshold === 1) warnings.push("singleGuardianCanRecover");
      if (count > 1 && threshold === count) warnings.push("everyGuardianNeeded");
    }
    return { suggestedThreshold: Math.max(1, Math.floor(count / 2) + 1), warnings };
  }
  async createInvitation(account: string, ownerName: string, kind: string) {
    return `harbor://invite?v=1&d=${btoa(JSON.stringify({ account, ownerName, kind }))}`;
  }
  async acceptInvitation(link: string, _account: string, name: string) {
    if (!link.startsWith("harbor://invite")) fail("invalidInput", "this is not a Harbor invitation");
    return `harbor://invite-reply?v=1&d=${btoa(JSON.stringify({ guardian: this.accountList[0]?.owner, name }))}`;
  }
  async readInvitationReply(link: string) {
    if (!link.startsWith("harbor://invite-reply")) fail("invalidInput", "this is not a reply to an invitation");
    const data = JSON.parse(atob(link.split("d=")[1]));
    return { account: this.accountList[0]?.address ?? "", guardian: data.guardian, name: data.name };
  }
  async startRecovery(account: string, _note: string) {
    this.need();
    if (!/^0x[0-9a-fA-F]{40}$/.test(account)) fail("invalidInput", `“${account}” is not an address`);
    const r: RecoveryView = {
      id: `r${this.recoveryList.length + 1}`,
      account,
      newOwner: this.accountList[0]?.owner ?? "",
      requestLink: "harbor://recover?v=1&d=e30",
      finished: false,
      chains: [{ chainId: 31337, chainName: "Harbor Dev Chain", stage: "collectingApprovals", approvals: 0, threshold: 2, executeAfter: null, lastError: null }],
    };
    this.recoveryList.push(r);
    return r;
  }
  async recoveries() {
    this.need();
    return [...this.recoveryList];
  }
  async addApproval(id: string, link: string) {
    if (!link.startsWith("harbor://approve")) fail("invalidInput", "this is not a recovery approval");
    const r = this.recoveryList.find((x) => x.id === id)!;
    r.chains = r.chains.map((c) => ({ ...c, approvals: c.approvals + 1, stage: c.approvals + 1 >= c.threshold ? "readyToSubmit" : c.stage }));
    return { ...r };
  }
  async advanceRecovery(id: string, onStage: OnStage) {
    const r = this.recoveryList.find((x) => x.id === id)!;
    onStage({ stage: "preparing" });
    r.chains = r.chains.map((c) =>
      c.stage === "readyToSubmit" ? { ...c, stage: "started", executeAfter: Math.floor(Date.now() / 1000) + 3600 } : c,
    );
    return r;
  }
  async forgetRecovery(id: string) {
    this.recoveryList = this.recoveryList.filter((r) => r.id !== id);
    return true;
  }
  async describeRequest(link: string) {
    if (!link.startsWith("harbor://recover")) fail("invalidInput", "this is not a recovery request");
    return {
      account: hexAddress(0xacc0),
      newOwner: hexAddress(0x0e70),
      description: "Recover the account",
      note: "Ana's new phone",
      validUntil: Math.floor(Date.now() / 1000) + 86400,
      chainIds: [31337],
    };
  }
  async approveRequest(link: string, _account: string) {
    await this.describeRequest(link);
    return "harbor://approve?v=1&d=e30";
  }
  async alerts(_account: string) {
    return this.pendingAlert ? [this.pendingAlert] : [];
  }
  async cancelRecovery(_account: string, _chainId: number, onStage: OnStage) {
    if (!this.pendingAlert) fail("recovery", "nothing to cancel");
    onStage({ stage: "included", transactionHash: null });
    this.pendingAlert = null;
  }
  /** Requests from sites waiting (tests add them). */
  dappRequests: DappRequestView[] = [];
  /** What the person decided, in order. */
  dappDecisions: { id: number; approve: boolean; account: string | null }[] = [];
  pairingList: Pairing[] = [];
  sites: ConnectedSite[] = [];
  clients: PairedClientView[] = [];
  private dappListeners: (() => void)[] = [];
  /** Adds a site's request as if it had arrived from the local provider. */
  addDappRequest(request: DappRequestView) {
    this.dappRequests.push(request);
    this.dappListeners.forEach((l) => l());
  }
  async dappPending() {
    return [...this.dappRequests];
  }
  async dappDecide(id: number, approve: boolean, account: string | null) {
    if (!this.dappRequests.some((r) => r.id === id)) fail("invalidInput", `there is no pending request ${id}`);
    this.dappRequests = this.dappRequests.filter((r) => r.id !== id);
    this.dappDecisions.push({ id, approve, account });
  }
  async pairings() {
    return [...this.pairingList];
  }
  async decidePairing(id: string, approve: boolean) {
    const p = this.pairingList.find((x) => x.id === id);
    if (!p) fail("invalidInput", "this pairing is no longer waiting");
    this.pairingList = this.pairingList.filter((x) => x.id !== id);
    if (approve) this.clients.unshift({ id: `c-${id}`, name: p!.name, kind: p!.kind, createdAt: Math.floor(Date.now() / 1000) });
  }
  async connectedSites() {
    return [...this.sites];
  }
  async revokeSite(origin: string) {
    const before = this.sites.length;
    this.sites = this.sites.filter((s) => s.origin !== origin);
    return this.sites.length < before;
  }
  async pairedClients() {
    return [...this.clients];
  }
  async unpair(id: string) {
    const before = this.clients.length;
    this.clients = this.clients.filter((c) => c.id !== id);
    return this.clients.length < before;
  }
  onDappWaiting(listener: () => void) {
    this.dappListeners.push(listener);
    return () => {
      this.dappListeners = this.dappListeners.filter((l) => l !== listener);
    };
  }
  onRecoveryNotice(listener: (notices: RecoveryNoticeView[]) => void) {
    this.noticeListeners.push(listener);
    return () => {
      this.noticeListeners = this.noticeListeners.filter((l) => l !== listener);
    };
  }
  /** What the app's background task does when a sponsor's relay reports a recovery. */
  emitRecoveryNotice(notices: RecoveryNoticeView[]) {
    for (const n of notices) {
      if (n.kind === "started") this.reported.set(n.account, n.sponsor);
      else this.reported.delete(n.account);
    }
    for (const l of this.noticeListeners) l(notices);
  }
  reported = new Map<string, string>();
  async reportedBy(account: string) {
    return this.reported.get(account) ?? null;
  }
  onLocked(listener: (idle: boolean) => void) {
    this.lockListeners.push(listener);
    return () => {
      this.lockListeners = this.lockListeners.filter((l) => l !== listener);
    };
  }
}

function toRaw(amount: string, decimals: number): string {
  const [whole, frac = ""] = amount.split(".");
  return (BigInt(whole) * 10n ** BigInt(decimals) + BigInt((frac + "0".repeat(decimals)).slice(0, decimals) || "0")).toString();
}
