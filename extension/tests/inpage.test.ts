import { describe, expect, it } from "vitest";
import { install } from "../src/inpage";

(globalThis as Record<string, unknown>).__harborTest = true;

function freshWindow() {
  // Each test gets its own window-like object so installs do not leak.
  const target = new EventTarget();
  const posted: unknown[] = [];
  const win = {
    addEventListener: target.addEventListener.bind(target),
    removeEventListener: target.removeEventListener.bind(target),
    dispatchEvent: target.dispatchEvent.bind(target),
    CustomEvent,
    crypto: globalThis.crypto,
    postMessage: (m: unknown) => posted.push(m),
  } as unknown as Window & typeof globalThis & { ethereum?: unknown };
  const reply = (data: unknown) => target.dispatchEvent(Object.assign(new MessageEvent("message", { data }), {}));
  return { win, target, posted, reply };
}

function deliver(target: EventTarget, win: unknown, data: unknown) {
  const event = new MessageEvent("message", { data });
  Object.defineProperty(event, "source", { value: win });
  target.dispatchEvent(event);
}

describe("the page's provider", () => {
  it("announces Harbor through EIP-6963 and takes window.ethereum only when free", () => {
    const { win, target } = freshWindow();
    const announced: { info: { name: string; rdns: string; uuid: string; icon: string } }[] = [];
    target.addEventListener("eip6963:announceProvider", (e) => announced.push((e as CustomEvent).detail));
    const provider = install(win);
    expect(announced[0].info.name).toBe("Harbor");
    expect(announced[0].info.rdns).toBe("app.harbor.wallet");
    expect(announced[0].info.icon.startsWith("data:image/svg+xml;base64,")).toBe(true);
    expect(win.ethereum).toBe(provider);
    win.dispatchEvent(new CustomEvent("eip6963:requestProvider"));
    expect(announced.length).toBe(2);

    const other = freshWindow();
    const theirs = { isMetaMask: true };
    (other.win as { ethereum?: unknown }).ethereum = theirs;
    install(other.win);
    expect(other.win.ethereum).toBe(theirs);
  });

  it("sends requests to the content script and settles them from its replies only", async () => {
    const { win, target, posted } = freshWindow();
    const provider = install(win)!;
    const chain = provider.request({ method: "eth_chainId" });
    expect(posted[0]).toEqual({ target: "harbor-content", id: 1, method: "eth_chainId", params: [] });
    // A message from another window is ignored.
    deliver(target, {}, { target: "harbor-inpage", id: 1, result: "0xbad" });
    deliver(target, win, { target: "harbor-inpage", id: 1, result: "0x7a69" });
    await expect(chain).resolves.toBe("0x7a69");
    const signed = provider.request({ method: "personal_sign", params: ["0x00", "0x0"] });
    deliver(target, win, { target: "harbor-inpage", id: 2, error: { code: 4001, message: "the request was declined in Harbor" } });
    await expect(signed).rejects.toMatchObject({ code: 4001 });
    const seen: unknown[] = [];
    provider.on("accountsChanged", (a) => seen.push(a));
    deliver(target, win, { target: "harbor-inpage", event: "accountsChanged", data: [] });
    expect(seen).toEqual([[]]);
    const pending = provider.request({ method: "eth_requestAccounts" });
    deliver(target, win, { target: "harbor-inpage", event: "disconnect", data: { code: 4900, message: "Harbor is not running" } });
    await expect(pending).rejects.toMatchObject({ code: 4900 });
  });
});
