import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import { MemoryBackend } from "../src/memoryBackend";
import { open, renderApp, tr } from "./helpers";

const SITE = "https://app.example";

function request(id: number, warnings: string[] = []) {
  return {
    id,
    origin: SITE,
    method: "eth_sendTransaction",
    kind: "calls",
    title: `${SITE} asks your account to make 1 call(s)`,
    lines: ["Network: Harbor dev chain", "You send 1.5 HDD to 0xF1f1…"],
    warnings,
    chainName: "Harbor dev chain",
    payer: "Gas is paid by Harbor dev sponsor.",
    account: "0x00000000000000000000000000000000000000aa",
  };
}

describe("requests from sites", () => {
  it("shows the oldest request over every screen, warnings first, and sends the decision", async () => {
    const backend = new MemoryBackend({ wallet: true });
    const { user } = renderApp(backend);
    await screen.findByTestId("chain-31337");
    backend.addDappRequest(request(1, ["Unlimited: 0xF1f1… could take all of your HDD at any time, now or later."]));
    backend.addDappRequest(request(2));
    const dialog = await screen.findByRole("dialog");
    expect(within(dialog).getByRole("heading").textContent).toBe(request(1).title);
    expect(within(dialog).getByText(tr("en", "dapp.waiting", { n: 2 }))).toBeTruthy();
    const warnings = within(dialog).getByRole("list", { name: tr("en", "dapp.warnings") });
    expect(warnings.textContent).toContain("Unlimited");
    expect(dialog.textContent).toContain("Gas is paid by Harbor dev sponsor.");
    // A risky request's approve button is the danger one.
    const approve = within(dialog).getByRole("button", { name: tr("en", "dapp.approve") });
    expect(approve.className).toBe("danger");
    await user.click(within(dialog).getByRole("button", { name: tr("en", "dapp.reject") }));
    await waitFor(() => expect(backend.dappDecisions).toEqual([{ id: 1, approve: false, account: null }]));
    const next = await screen.findByRole("dialog");
    await waitFor(() => expect(within(next).getByRole("heading").textContent).toBe(request(2).title));
    await user.click(within(next).getByRole("button", { name: tr("en", "dapp.approve") }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(backend.dappDecisions[1]).toEqual({ id: 2, approve: true, account: request(2).account });
  });

  it("asks before pairing a program, showing the code to match (zh-Hant)", async () => {
    const backend = new MemoryBackend({ wallet: true, language: "zh-Hant" });
    backend.pairingList = [{ id: "p1", name: "Harbor for Chromium", kind: "extension", code: "4821" }];
    const { user } = renderApp(backend);
    const dialog = await screen.findByRole("dialog");
    expect(dialog.textContent).toContain(tr("zh-Hant", "dapp.pairCode", { code: "4821" }));
    await user.click(within(dialog).getByRole("button", { name: tr("zh-Hant", "dapp.pairAllow") }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(backend.clients.map((c) => c.name)).toEqual(["Harbor for Chromium"]);
  });

  it("lists connected sites and paired programs in Settings; disconnect and unpair", async () => {
    const backend = new MemoryBackend({ wallet: true });
    backend.sites = [{ origin: SITE, account: "0x00000000000000000000000000000000000000aa", chainId: 31337, chainName: "Harbor dev chain", grantedAt: 1_796_032_800 }];
    backend.clients = [{ id: "c1", name: "my-script", kind: "script", createdAt: 1_796_032_800 }];
    const { user } = renderApp(backend);
    await open(user, "en", "nav.settings");
    await screen.findByText(SITE);
    expect(screen.getByText("my-script")).toBeTruthy();
    await user.click(screen.getByRole("button", { name: tr("en", "settings.revoke") }));
    await screen.findByText(tr("en", "settings.noSites"));
    await user.click(screen.getByRole("button", { name: tr("en", "settings.unpair") }));
    await screen.findByText(tr("en", "settings.noPrograms"));
    expect(backend.sites).toEqual([]);
  });
});
