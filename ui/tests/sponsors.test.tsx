import { describe, expect, it } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import { MemoryBackend } from "../src/memoryBackend";
import { open, renderApp, tr } from "./helpers";

describe("gas sponsors", () => {
  it("adds a sponsor by its link, shows what it pays for and who pays on Home, removes it", async () => {
    const backend = new MemoryBackend({ wallet: true });
    const { user } = renderApp(backend);
    // The dev network names its sponsor on Home.
    expect((await screen.findByTestId("sponsor-31337")).textContent).toBe(tr("en", "home.sponsoredBy", { sponsor: "Harbor sponsor" }));

    await open(user, "en", "nav.settings");
    const card = await screen.findByTestId("sponsors");
    within(card).getByText(tr("en", "settings.noSponsors"));
    const field = within(card).getByLabelText(tr("en", "settings.sponsorLink"));
    // A bad link: a sentence, nothing added.
    await user.type(field, "not a link");
    await user.click(within(card).getByRole("button", { name: tr("en", "settings.addSponsor") }));
    const alert = await screen.findByRole("alert");
    within(alert).getByText(tr("en", "error.invalidInput"));
    await user.click(within(alert).getByRole("button", { name: tr("en", "common.showDetails") }));
    within(alert).getByText(/this link does not give a gas sponsor profile/);
    expect(backend.sponsorList).toEqual([]);

    await user.clear(field);
    await user.type(field, "https://relay.acme.example/.well-known/harbor-sponsor/k");
    await user.click(within(card).getByRole("button", { name: tr("en", "settings.addSponsor") }));
    await screen.findByText(tr("en", "settings.sponsorAdded", { name: "Acme Gas", chains: "Base Sepolia" }));
    within(card).getByText("Acme Gas");
    within(card).getByText(/Gas for up to 50 operations/);
    expect(backend.chainList.find((c) => c.chainId === 84532)?.sponsor).toBe("Acme Gas");

    await open(user, "en", "nav.home");
    expect((await screen.findByTestId("sponsor-84532")).textContent).toBe(tr("en", "home.sponsoredBy", { sponsor: "Acme Gas" }));

    await open(user, "en", "nav.settings");
    await user.click(within(await screen.findByTestId("sponsors")).getByRole("button", { name: tr("en", "settings.removeSponsor") }));
    await within(await screen.findByTestId("sponsors")).findByText(tr("en", "settings.noSponsors"));
    expect(backend.chainList.some((c) => c.chainId === 84532)).toBe(false);
  });
});

describe("QR codes from pictures", () => {
  const picture = (text: string, type = "image/png") => new File([new TextEncoder().encode(text)], "code.png", { type });

  it("fills the sponsor link from a chosen picture, and says so when the file is not one", async () => {
    const backend = new MemoryBackend({ wallet: true });
    const { user } = renderApp(backend);
    await open(user, "en", "nav.settings");
    const card = await screen.findByTestId("sponsors");
    const field = within(card).getByLabelText(tr("en", "settings.sponsorLink")) as HTMLInputElement;
    await user.upload(within(card).getByTestId("sponsor-qr-file"), picture("qr:https://relay.acme.example/.well-known/harbor-sponsor/k"));
    await waitFor(() => expect(field.value).toBe("https://relay.acme.example/.well-known/harbor-sponsor/k"));
    await user.click(within(card).getByRole("button", { name: tr("en", "settings.addSponsor") }));
    await screen.findByText(tr("en", "settings.sponsorAdded", { name: "Acme Gas", chains: "Base Sepolia" }));

    await user.upload(within(card).getByTestId("sponsor-qr-file"), picture("%PDF-1.7"));
    const alert = await screen.findByRole("alert");
    await user.click(within(alert).getByRole("button", { name: tr("en", "common.showDetails") }));
    within(alert).getByText(/not a picture Harbor can read/);
  });

  it("reads a screenshot pasted into the field, and leaves pasted text alone", async () => {
    const backend = new MemoryBackend({ wallet: true });
    const { user } = renderApp(backend);
    await open(user, "en", "nav.settings");
    const card = await screen.findByTestId("sponsors");
    const field = within(card).getByLabelText(tr("en", "settings.sponsorLink")) as HTMLInputElement;
    field.focus();
    await user.paste({ files: [picture("qr:https://relay.acme.example/s")], items: [], types: ["Files"] } as unknown as DataTransfer);
    await waitFor(() => expect(field.value).toBe("https://relay.acme.example/s"));
    await user.clear(field);
    await user.paste("https://typed.example/x");
    expect(field.value).toBe("https://typed.example/x");
  });
});
