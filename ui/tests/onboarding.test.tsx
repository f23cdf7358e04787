import { describe, expect, it } from "vitest";
import { screen, within } from "@testing-library/react";
import { MemoryBackend } from "../src/memoryBackend";
import { renderApp, tr } from "./helpers";

describe("onboarding", () => {
  it("creates a wallet, shows the phrase on request and checks it with a quiz", async () => {
    const backend = new MemoryBackend();
    const { user } = renderApp(backend);
    await user.click(await screen.findByRole("button", { name: tr("en", "onboarding.create") }));
    const [pw, confirm] = screen.getAllByLabelText(/password|again/i);
    await user.type(pw, "short");
    expect(screen.getByText(tr("en", "password.tooShort"))).toBeTruthy();
    await user.type(pw, "-but-now-long");
    await user.type(confirm, "different");
    expect(screen.getByText(tr("en", "password.mismatch"))).toBeTruthy();
    await user.clear(confirm);
    await user.type(confirm, "short-but-now-long");
    await user.click(screen.getByRole("button", { name: tr("en", "common.continue") }));
    // Backup choice: guardians recommended, the phrase only on request.
    expect(await screen.findByText(tr("en", "backup.title"))).toBeTruthy();
    expect(screen.queryByTestId("phrase-words")).toBeNull();
    await user.click(screen.getByRole("button", { name: new RegExp(tr("en", "backup.phrase")) }));
    const words = within(await screen.findByTestId("phrase-words")).getAllByRole("listitem").map((li) => li.textContent!);
    expect(words).toHaveLength(12);
    await user.click(screen.getByRole("button", { name: tr("en", "phrase.written") }));
    const inputs = await screen.findAllByTestId(/quiz-/);
    expect(inputs).toHaveLength(3);
    for (const input of inputs) await user.type(input, "wrong");
    await user.click(screen.getByRole("button", { name: tr("en", "quiz.check") }));
    expect(screen.getByText(tr("en", "quiz.wrong"))).toBeTruthy();
    for (const input of inputs) {
      const n = Number(input.getAttribute("data-testid")!.split("-")[1]);
      await user.clear(input);
      await user.type(input, words[n - 1]);
    }
    await user.click(screen.getByRole("button", { name: tr("en", "quiz.check") }));
    // Done: the home screen with the new account.
    expect(await screen.findByTestId("home-address")).toBeTruthy();
  });

  it("makes paper shares as the backup", async () => {
    const backend = new MemoryBackend();
    const { user } = renderApp(backend);
    await user.click(await screen.findByRole("button", { name: tr("en", "onboarding.create") }));
    const [pw, confirm] = screen.getAllByLabelText(/password|again/i);
    await user.type(pw, "long enough");
    await user.type(confirm, "long enough");
    await user.click(screen.getByRole("button", { name: tr("en", "common.continue") }));
    await user.click(await screen.findByRole("button", { name: new RegExp(tr("en", "backup.shares")) }));
    expect(within(await screen.findByTestId("paper-shares")).getAllByRole("listitem")).toHaveLength(3);
    // What must be written beside the shares: the phrase's language and the first address.
    const facts = screen.getByTestId("share-facts");
    expect(facts.textContent).toContain("English");
    expect(facts.textContent).toMatch(/0x[0-9a-fA-F]{40}/);
    expect(screen.getByText(tr("en", "shares.writeBeside"))).toBeTruthy();
  });

  it("restores from paper shares in the phrase's language, and refuses another wallet", async () => {
    const backend = new MemoryBackend();
    const { user } = renderApp(backend);
    await user.click(await screen.findByRole("button", { name: tr("en", "onboarding.restoreShares") }));
    const [pw, confirm] = screen.getAllByLabelText(/password|again/i);
    await user.type(pw, "long enough");
    await user.type(confirm, "long enough");
    await user.click(screen.getByRole("button", { name: tr("en", "common.continue") }));
    await user.type(await screen.findByLabelText(tr("en", "restoreShares.label")), "share one{enter}share two");
    await user.selectOptions(screen.getByTestId("shares-language"), "spanish");
    await user.type(screen.getByLabelText(tr("en", "restoreShares.address")), "0x0000000000000000000000000000000000000001");
    await user.click(screen.getByRole("button", { name: tr("en", "restoreShares.submit") }));
    expect((await screen.findByRole("alert")).textContent).toContain(tr("en", "error.invalidShares.next"));
    await user.selectOptions(screen.getByTestId("shares-language"), "english");
    await user.click(screen.getByRole("button", { name: tr("en", "restoreShares.submit") }));
    expect(await screen.findByTestId("home-address")).toBeTruthy();
  });

  it("names the unknown words of an imported phrase, in Chinese", async () => {
    const backend = new MemoryBackend({ language: "zh-Hans" });
    const { user } = renderApp(backend);
    await user.click(await screen.findByRole("button", { name: tr("zh-Hans", "onboarding.import") }));
    const [pw, confirm] = screen.getAllByLabelText(/密码|再输入/);
    await user.type(pw, "long enough");
    await user.type(confirm, "long enough");
    await user.click(screen.getByRole("button", { name: tr("zh-Hans", "common.continue") }));
    await user.type(await screen.findByLabelText(tr("zh-Hans", "import.label")), "abandon 42 able about above absent absorb abstract absurd abuse access accident");
    await user.click(screen.getByRole("button", { name: tr("zh-Hans", "import.submit") }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain(tr("zh-Hans", "error.invalidPhrase"));
    expect(alert.textContent).toContain(tr("zh-Hans", "error.wordPositions", { positions: "2" }));
    expect(alert.textContent).toContain(tr("zh-Hans", "error.invalidPhrase.next"));
  });
});

describe("unlock", () => {
  it("explains a wrong password, then unlocks; auto-lock returns here", async () => {
    const backend = new MemoryBackend({ wallet: true });
    backend.unlocked = false;
    const { user } = renderApp(backend);
    await user.type(await screen.findByLabelText(tr("en", "password.label")), "nope");
    await user.click(screen.getByRole("button", { name: tr("en", "unlock.submit") }));
    expect((await screen.findByRole("alert")).textContent).toContain(tr("en", "error.wrongPassword.next"));
    await user.clear(screen.getByLabelText(tr("en", "password.label")));
    await user.type(screen.getByLabelText(tr("en", "password.label")), "correct horse");
    await user.click(screen.getByRole("button", { name: tr("en", "unlock.submit") }));
    expect(await screen.findByTestId("home-address")).toBeTruthy();
    backend.autoLock();
    expect(await screen.findByRole("button", { name: tr("en", "unlock.submit") })).toBeTruthy();
  });
});

describe("a wallet file that cannot be opened", () => {
  it("says why and retries", async () => {
    const backend = new MemoryBackend({ wallet: true });
    backend.problem = { kind: "storage", message: "the wallet file is open in another Harbor window or process", wordPositions: [] };
    const { user } = renderApp(backend);
    expect((await screen.findByRole("alert")).textContent).toContain(tr("en", "error.storage.next"));
    backend.problem = null;
    await user.click(screen.getByRole("button", { name: tr("en", "problem.retry") }));
    expect(await screen.findByTestId("home-address")).toBeTruthy();
  });
});
