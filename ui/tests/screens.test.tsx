import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import { MemoryBackend } from "../src/memoryBackend";
import { open, renderApp, tr } from "./helpers";

const FRIEND = "0x1234567890AbcdEF1234567890aBcdef12345678";
const LOOKALIKE = "0x1234000000000000000000000000000000005678";

describe("home and receive", () => {
  for (const language of ["en", "zh-Hant"] as const) {
    it(`shows balances per chain, the total and the address (${language})`, async () => {
      const backend = new MemoryBackend({ wallet: true, language });
      renderApp(backend);
      const chain = await screen.findByTestId("chain-31337");
      expect(chain.textContent).toContain("1.5");
      expect(chain.textContent).toContain(tr(language, "home.notDeployed"));
      expect(screen.getByTestId("totals").textContent).toContain("250 HDT");
      expect(screen.getByTestId("home-address").textContent).toBe(backend.accountList[0].address);
      expect(screen.getAllByRole("img", { name: tr(language, "receive.qr") }).length).toBeGreaterThan(0);
    });
  }
  it("says in words when a network cannot be reached (zh-Hans)", async () => {
    const backend = new MemoryBackend({ wallet: true, language: "zh-Hans" });
    backend.offline = true;
    renderApp(backend);
    const chain = await screen.findByTestId("chain-31337");
    expect(chain.textContent).toContain(tr("zh-Hans", "error.network"));
    expect(chain.textContent).toContain(tr("zh-Hans", "error.network.next"));
  });
  it("receive shows the address with a QR code for the chosen chain", async () => {
    const backend = new MemoryBackend({ wallet: true });
    const { user } = renderApp(backend);
    await open(user, "en", "nav.receive");
    expect((await screen.findByTestId("receive-address")).textContent).toBe(backend.accountList[0].address);
    await waitFor(() => expect(screen.getByRole("img", { name: tr("en", "receive.qr") }).innerHTML).toContain("<svg"));
  });

  it("never offers a chain where the address belongs to another key, and says why", async () => {
    const backend = new MemoryBackend({ wallet: true });
    backend.chainList.push({ ...backend.chainList[0], chainId: 31338, name: "Second Dev Chain" });
    backend.pendingAlert = {
      kind: "notRecoveredHere",
      chainId: 31338,
      chainName: "Second Dev Chain",
      cancellable: false,
      newOwner: "0x00000000000000000000000000000000000000ee",
      executeAfter: null,
      message: "",
    };
    const { user } = renderApp(backend);
    expect((await screen.findByTestId("recovery-alert")).textContent).toContain(
      tr("en", "alert.notHere", { chain: "Second Dev Chain" }),
    );
    await user.click(within(screen.getByRole("navigation")).getByRole("button", { name: tr("en", "nav.receive") }));
    expect((await screen.findByTestId("receive-not-yours")).textContent).toContain("Second Dev Chain");
    const options = within(screen.getByLabelText(tr("en", "receive.chain"))).getAllByRole("option");
    expect(options.map((o) => o.textContent)).toEqual(["Harbor Dev Chain"]);
  });
});

describe("accounts", () => {
  it("adds a second account and switches to it", async () => {
    const backend = new MemoryBackend({ wallet: true });
    const { user } = renderApp(backend);
    await user.click(await screen.findByRole("button", { name: tr("en", "nav.addAccount") }));
    const picker = await screen.findByLabelText(tr("en", "nav.account"));
    expect(within(picker).getAllByRole("option")).toHaveLength(2);
    expect(await screen.findByRole("heading", { name: "Account 2" })).toBeTruthy();
  });
});

describe("send", () => {
  it("reviews in plain words, shows who pays gas, goes through the stages and records activity", async () => {
    const backend = new MemoryBackend({ wallet: true });
    const { user } = renderApp(backend);
    await open(user, "en", "nav.send");
    await user.type(await screen.findByLabelText(tr("en", "send.recipient")), FRIEND);
    expect((await screen.findByTestId("recipient")).textContent).toContain(tr("en", "warning.firstTime"));
    await user.click(screen.getByRole("button", { name: tr("en", "send.max") }));
    expect((screen.getByLabelText(tr("en", "send.amount")) as HTMLInputElement).value).toBe("1.5");
    await user.clear(screen.getByLabelText(tr("en", "send.amount")));
    await user.type(screen.getByLabelText(tr("en", "send.amount")), "0.5");
    await user.click(screen.getByRole("button", { name: tr("en", "send.review") }));
    const review = await screen.findByTestId("send-review");
    expect(review.textContent).toContain(tr("en", "send.sentence", { amount: "0.5", symbol: "ETH", chain: "Harbor Dev Chain" }));
    expect(review.textContent).toContain(FRIEND);
    expect(screen.getByTestId("gas-payer").textContent).toBe(tr("en", "send.gasSponsored", { sponsor: "Harbor sponsor" }));
    await user.click(screen.getByRole("button", { name: tr("en", "send.confirm") }));
    const receipt = await screen.findByTestId("send-receipt");
    expect(receipt.textContent).toContain(tr("en", "stage.included"));
    expect(receipt.textContent).toContain("paid by Harbor sponsor");
    // Save the new recipient, then the activity list shows the send.
    await user.type(screen.getByLabelText(tr("en", "send.saveContact")), "Alice");
    await user.click(screen.getByRole("button", { name: tr("en", "common.save") }));
    expect(backend.contactList.find((c) => c.address === FRIEND)?.name).toBe("Alice");
    await open(user, "en", "nav.activity");
    const list = await screen.findByTestId("activity-list");
    expect(list.textContent).toContain(tr("en", "activity.sent", { amount: "0.5", symbol: "ETH", to: FRIEND }));
    expect(list.textContent).toContain(tr("en", "activity.status.confirmed"));
  });

  it("warns about a look-alike of a known address", async () => {
    const backend = new MemoryBackend({ wallet: true });
    await backend.saveContact(FRIEND, "Alice");
    const { user } = renderApp(backend);
    await open(user, "en", "nav.send");
    await user.type(await screen.findByLabelText(tr("en", "send.recipient")), LOOKALIKE);
    const box = await screen.findByTestId("recipient");
    expect(box.textContent).toContain(tr("en", "warning.looksLike", { known: FRIEND, name: "Alice" }));
  });

  it("explains a too-large amount and a failed send in the user's language", async () => {
    const backend = new MemoryBackend({ wallet: true, language: "zh-Hans" });
    const { user } = renderApp(backend);
    await open(user, "zh-Hans", "nav.send");
    await user.type(await screen.findByLabelText(tr("zh-Hans", "send.recipient")), FRIEND);
    await user.type(screen.getByLabelText(tr("zh-Hans", "send.amount")), "99");
    await user.click(screen.getByRole("button", { name: tr("zh-Hans", "send.review") }));
    expect((await screen.findByRole("alert")).textContent).toContain(tr("zh-Hans", "error.insufficientFunds"));
    await user.clear(screen.getByLabelText(tr("zh-Hans", "send.amount")));
    await user.type(screen.getByLabelText(tr("zh-Hans", "send.amount")), "1");
    await user.click(screen.getByRole("button", { name: tr("zh-Hans", "send.review") }));
    backend.failNextSend = { kind: "sponsorDeclined", message: "over the daily limit", wordPositions: [] };
    await user.click(await screen.findByRole("button", { name: tr("zh-Hans", "send.confirm") }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain(tr("zh-Hans", "error.sponsorDeclined"));
    expect(alert.textContent).toContain(tr("zh-Hans", "error.sponsorDeclined.next"));
    expect(backend.history).toHaveLength(0);
  });

  it("activity starts empty", async () => {
    const { user } = renderApp(new MemoryBackend({ wallet: true }));
    await open(user, "en", "nav.activity");
    expect(await screen.findByText(tr("en", "activity.empty"))).toBeTruthy();
  });
});

describe("guardians", () => {
  it("adds guardians (by address and by invitation reply), suggests a majority, saves", async () => {
    const backend = new MemoryBackend({ wallet: true });
    const { user } = renderApp(backend);
    await open(user, "en", "nav.guardians");
    expect(await screen.findByText(tr("en", "guardians.none"))).toBeTruthy();
    expect(screen.getByText(tr("en", "guardians.delay", { hours: 48 }))).toBeTruthy();
    for (const [name, address] of [["Bob", "0x00000000000000000000000000000000000000b0"], ["Carol", "0x00000000000000000000000000000000000000c0"]]) {
      await user.type(screen.getByLabelText(tr("en", "guardians.name")), name);
      await user.type(screen.getByLabelText(tr("en", "guardians.address")), address);
      await user.click(screen.getByRole("button", { name: tr("en", "guardians.addButton") }));
    }
    // Invitation round trip: create, answer as the guardian, read the reply.
    await user.click(screen.getByRole("button", { name: tr("en", "guardians.createInvite") }));
    const invite = (await screen.findByTestId("invitation-link")).textContent!;
    await user.type(screen.getByLabelText(tr("en", "guardians.pasteInvite")), invite);
    await user.type(screen.getByLabelText(tr("en", "guardians.yourName")), "Dana");
    await user.click(screen.getByRole("button", { name: tr("en", "guardians.accept") }));
    const reply = (await screen.findByTestId("invitation-reply")).textContent!;
    await user.type(screen.getByLabelText(tr("en", "guardians.pasteReply")), reply);
    await user.click(screen.getByRole("button", { name: tr("en", "guardians.readReply") }));
    const list = screen.getByTestId("guardian-list");
    expect(within(list).getAllByRole("listitem")).toHaveLength(3);
    expect(list.textContent).toContain("Dana");
    await waitFor(() => expect((screen.getByLabelText(tr("en", "guardians.threshold")) as HTMLSelectElement).value).toBe("2"));
    await user.click(screen.getByRole("button", { name: tr("en", "guardians.save") }));
    expect(await screen.findByText(tr("en", "guardians.saved"))).toBeTruthy();
    expect(backend.guardianSet.map((g) => g.name)).toEqual(["Bob", "Carol", "Dana"]);
    expect(backend.threshold).toBe(2);
  });

  it("warns when one guardian alone could recover", async () => {
    const { user } = renderApp(new MemoryBackend({ wallet: true }));
    await open(user, "en", "nav.guardians");
    await user.type(await screen.findByLabelText(tr("en", "guardians.name")), "Bob");
    await user.type(screen.getByLabelText(tr("en", "guardians.address")), "0x00000000000000000000000000000000000000b0");
    await user.click(screen.getByRole("button", { name: tr("en", "guardians.addButton") }));
    expect(await screen.findByText(tr("en", "advice.singleGuardianCanRecover"))).toBeTruthy();
  });
});

describe("recovery", () => {
  it("starts a recovery, collects an approval, and refuses a wrong link", async () => {
    const backend = new MemoryBackend({ wallet: true });
    const { user } = renderApp(backend);
    await open(user, "en", "nav.recovery");
    await user.type(await screen.findByLabelText(tr("en", "recovery.account")), FRIEND);
    await user.click(screen.getByRole("button", { name: tr("en", "recovery.start") }));
    const card = await screen.findByTestId("recovery-card");
    expect(within(card).getByTestId("request-link").textContent).toMatch(/^harbor:\/\/recover/);
    expect(card.textContent).toContain(tr("en", "recovery.approvals", { n: 0, total: 2 }));
    await user.type(within(card).getByLabelText(tr("en", "recovery.pasteApproval")), "hello");
    await user.click(within(card).getByRole("button", { name: tr("en", "recovery.addApproval") }));
    expect((await within(card).findByRole("alert")).textContent).toContain(tr("en", "error.invalidInput"));
    await user.clear(within(card).getByLabelText(tr("en", "recovery.pasteApproval")));
    await user.type(within(card).getByLabelText(tr("en", "recovery.pasteApproval")), "harbor://approve?v=1&d=e30");
    await user.click(within(card).getByRole("button", { name: tr("en", "recovery.addApproval") }));
    await waitFor(() => expect(screen.getByTestId("recovery-card").textContent).toContain(tr("en", "recovery.approvals", { n: 1, total: 2 })));
  });

  it("as a guardian: reads the request in plain words and approves it", async () => {
    const { user } = renderApp(new MemoryBackend({ wallet: true, language: "zh-Hant" }));
    await open(user, "zh-Hant", "nav.recovery");
    await user.type(await screen.findByLabelText(tr("zh-Hant", "approve.paste")), "harbor://recover?v=1&d=e30");
    await user.click(screen.getByRole("button", { name: tr("zh-Hant", "approve.read") }));
    const description = await screen.findByTestId("request-description");
    expect(description.textContent).toContain(tr("zh-Hant", "approve.check"));
    expect(description.textContent).toContain("Ana's new phone");
    await user.click(screen.getByRole("button", { name: tr("zh-Hant", "approve.confirm") }));
    expect((await screen.findByTestId("approval-link")).textContent).toMatch(/^harbor:\/\/approve/);
  });

  it("alerts the owner of a pending recovery and cancels it in one click", async () => {
    const backend = new MemoryBackend({ wallet: true });
    backend.pendingAlert = {
      kind: "pending",
      chainId: 31337,
      chainName: "Harbor Dev Chain",
      cancellable: true,
      newOwner: "0x00000000000000000000000000000000000000ee",
      executeAfter: Math.floor(Date.now() / 1000) + 7200,
      message: "",
    };
    const { user } = renderApp(backend);
    const alert = await screen.findByTestId("recovery-alert");
    expect(alert.textContent).toContain(tr("en", "alert.pending", { chain: "Harbor Dev Chain" }));
    expect(alert.textContent).toMatch(/1:59:5\d|2:00:00/);
    await user.click(within(alert).getByRole("button", { name: tr("en", "alert.cancel") }));
    await waitFor(() => expect(screen.queryByTestId("recovery-alert")).toBeNull());
    expect(backend.pendingAlert).toBeNull();
  });

  it("shows a recovery at once when the sponsor's relay reports it, without waiting for the poll", async () => {
    const backend = new MemoryBackend({ wallet: true });
    // Polling alone would take an hour.
    renderApp(backend, 3_600_000);
    await screen.findByTestId("chain-31337");
    expect(screen.queryByTestId("recovery-alert")).toBeNull();
    backend.pendingAlert = {
      kind: "pending",
      chainId: 31337,
      chainName: "Harbor Dev Chain",
      cancellable: true,
      newOwner: "0x00000000000000000000000000000000000000ee",
      executeAfter: Math.floor(Date.now() / 1000) + 7200,
      message: "",
    };
    backend.emitRecoveryNotice([
      { kind: "started", account: "0xa001a001a001a001a001a001a001a001a001a001", chainId: 31337, chainName: "Harbor Dev Chain", sponsor: "Harbor dev sponsor", message: "" },
    ]);
    const alert = await screen.findByTestId("recovery-alert");
    expect(alert.textContent).toContain(tr("en", "alert.pending", { chain: "Harbor Dev Chain" }));
    expect(within(alert).getByTestId("alert-reported-by").textContent).toBe(tr("en", "alert.reportedBy", { sponsor: "Harbor dev sponsor" }));
  });
});

describe("settings", () => {
  it("switches the whole interface to Simplified then Traditional Chinese", async () => {
    const backend = new MemoryBackend({ wallet: true });
    const { user } = renderApp(backend);
    await open(user, "en", "nav.settings");
    await user.selectOptions(await screen.findByLabelText(tr("en", "settings.language")), "zh-Hans");
    expect(await screen.findByRole("button", { name: tr("zh-Hans", "nav.settings") })).toBeTruthy();
    expect(screen.getByText(tr("zh-Hans", "settings.networks"))).toBeTruthy();
    await user.selectOptions(screen.getByLabelText(tr("zh-Hans", "settings.language")), "zh-Hant");
    expect(await screen.findByRole("button", { name: tr("zh-Hant", "nav.recovery") })).toBeTruthy();
    expect(backend.settings.language).toBe("zh-Hant");
  });

  it("adds a custom network and explains a bad RPC URL", async () => {
    const backend = new MemoryBackend({ wallet: true });
    const { user } = renderApp(backend);
    await open(user, "en", "nav.settings");
    await user.click(await screen.findByRole("button", { name: tr("en", "settings.addNetwork") }));
    await user.type(screen.getByLabelText(tr("en", "settings.chainId")), "11155111");
    await user.type(screen.getByLabelText(tr("en", "settings.chainName")), "Sepolia");
    await user.type(screen.getByLabelText(tr("en", "settings.rpc")), "ftp://nope");
    await user.click(screen.getAllByRole("button", { name: tr("en", "common.save") })[0]);
    expect((await screen.findByRole("alert")).textContent).toContain(tr("en", "error.invalidInput"));
    await user.clear(screen.getByLabelText(tr("en", "settings.rpc")));
    await user.type(screen.getByLabelText(tr("en", "settings.rpc")), "https://rpc.sepolia.example");
    await user.type(screen.getByLabelText(tr("en", "settings.bundler")), "https://bundler.example");
    await user.click(screen.getAllByRole("button", { name: tr("en", "common.save") })[0]);
    expect(await screen.findByText(tr("en", "settings.networkSaved"))).toBeTruthy();
    expect(backend.chainList.some((c) => c.chainId === 11155111 && c.bundlerUrl === "https://bundler.example")).toBe(true);
  });

  it("shows the recovery phrase only with the password again, and changes the lock timeout", async () => {
    const backend = new MemoryBackend({ wallet: true });
    const { user } = renderApp(backend);
    await open(user, "en", "nav.settings");
    await user.selectOptions(await screen.findByLabelText(tr("en", "settings.lock")), "15");
    await waitFor(() => expect(backend.settings.lockMinutes).toBe(15));
    await user.type(screen.getByLabelText(tr("en", "settings.passwordAgain")), "wrong one");
    await user.click(screen.getByRole("button", { name: tr("en", "settings.showPhrase") }));
    expect((await screen.findByRole("alert")).textContent).toContain(tr("en", "error.wrongPassword"));
    await user.type(screen.getByLabelText(tr("en", "settings.passwordAgain")), "correct horse");
    await user.click(screen.getByRole("button", { name: tr("en", "settings.showPhrase") }));
    expect(await screen.findByText("abandon")).toBeTruthy();
  });
});
