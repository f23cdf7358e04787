import { describe, expect, it } from "vitest";
import { Relay, type PagePort, type SocketLike } from "../src/relay";
import { NOT_PAIRED, NOT_RUNNING, originOf } from "../src/protocol";

class FakeSocket implements SocketLike {
  sent: Record<string, unknown>[] = [];
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onclose: (() => void) | null = null;
  send(text: string) {
    this.sent.push(JSON.parse(text));
  }
  close() {
    this.onclose?.();
  }
  answer(message: unknown) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
}

function page(origin: string | undefined, url?: string): PagePort & { got: unknown[] } {
  const got: unknown[] = [];
  return { sender: { origin, url }, got, postMessage: (m) => got.push(m) };
}

function relay(opts: { token?: string; listening?: number[]; socket?: FakeSocket } = {}) {
  const socket = opts.socket ?? new FakeSocket();
  const tried: string[] = [];
  let stored: { token?: string; port?: number } = { token: opts.token };
  const r = new Relay({
    openSocket: async (url) => {
      tried.push(url);
      const port = Number(new URL(url).port);
      if (!(opts.listening ?? [18545]).includes(port)) throw new Error("refused");
      return socket;
    },
    fetch: (async () => {
      throw new Error("offline");
    }) as unknown as typeof fetch,
    load: async () => stored,
    save: async (v) => {
      stored = { ...stored, ...v };
    },
  });
  return { r, socket, tried, stored: () => stored };
}

describe("the background relay", () => {
  it("takes the page's origin from the browser, never from the page", () => {
    expect(originOf({ origin: "https://app.example" })).toBe("https://app.example");
    expect(originOf({ url: "https://app.example/swap?x=1" })).toBe("https://app.example");
    expect(originOf({ origin: "chrome-extension://abc" })).toBeNull();
    expect(originOf({ url: "file:///etc/passwd" })).toBeNull();
    expect(originOf(undefined)).toBeNull();
  });

  it("forwards with the origin, answers the page that asked, and routes events by origin", async () => {
    const { r, socket } = relay({ token: "t0k" });
    const a = page("https://a.example");
    const b = page(undefined, "https://b.example/page");
    r.attach(a);
    r.attach(b);
    await r.request(a, { id: 7, method: "eth_chainId" });
    await r.request(b, { id: 7, method: "eth_accounts" });
    expect(socket.sent.map((m) => [m.origin, m.method])).toEqual([
      ["https://a.example", "eth_chainId"],
      ["https://b.example", "eth_accounts"],
    ]);
    socket.answer({ id: socket.sent[1].id, result: [] });
    socket.answer({ id: socket.sent[0].id, result: "0x7a69" });
    expect(a.got).toEqual([{ id: 7, result: "0x7a69" }]);
    expect(b.got).toEqual([{ id: 7, result: [] }]);
    socket.answer({ type: "event", origin: "https://a.example", name: "accountsChanged", data: [] });
    expect(a.got.at(-1)).toEqual({ event: "accountsChanged", data: [] });
    expect(b.got.length).toBe(1);
    // Harbor quits: waiting requests and pages hear 4900.
    await r.request(a, { id: 8, method: "eth_requestAccounts" });
    socket.close();
    expect(a.got.slice(-2)).toEqual([
      { id: 8, error: { code: 4900, message: NOT_RUNNING } },
      { event: "disconnect", data: { code: 4900, message: NOT_RUNNING } },
    ]);
  });

  it("says clearly when Harbor is not paired or not running, and finds a fallback port", async () => {
    const unpaired = relay();
    const p = page("https://a.example");
    await unpaired.r.request(p, { id: 1, method: "eth_chainId" });
    expect(p.got).toEqual([{ id: 1, error: { code: 4900, message: NOT_PAIRED } }]);

    const stopped = relay({ token: "t", listening: [] });
    await stopped.r.request(p, { id: 2, method: "eth_chainId" });
    expect(p.got.at(-1)).toEqual({ id: 2, error: { code: 4900, message: NOT_RUNNING } });
    expect(stopped.tried.length).toBe(10);

    const moved = relay({ token: "t", listening: [18547] });
    await moved.r.request(p, { id: 3, method: "eth_chainId" });
    expect(moved.socket.sent.length).toBe(1);
    expect(moved.stored().port).toBe(18547);

    const script = page("chrome-extension://other");
    await moved.r.request(script, { id: 4, method: "eth_chainId" });
    expect(script.got).toEqual([{ id: 4, error: { code: -32600, message: "Harbor serves web pages only" } }]);
  });
});
