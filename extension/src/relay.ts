// The background's job, without the browser: pages' requests out to the Harbor app over one
// WebSocket, answers back to the page that asked, events to the pages of their origin, pairing.
import { DISCONNECTED, HARBOR_PORTS, INVALID_REQUEST, NOT_PAIRED, NOT_RUNNING, originOf } from "./protocol";

/** A page's end of the conversation (a `chrome.runtime.Port` in the browser). */
export interface PagePort {
  sender?: { origin?: string; url?: string };
  postMessage(message: unknown): void;
}

/** What the relay needs from the browser. */
export interface RelayDeps {
  /** Opens a WebSocket (resolves once open, rejects when it cannot connect). */
  openSocket(url: string): Promise<SocketLike>;
  fetch: typeof fetch;
  load(): Promise<{ token?: string; port?: number }>;
  save(values: { token?: string; port?: number }): Promise<void>;
}

/** The part of a WebSocket the relay uses. */
export interface SocketLike {
  send(text: string): void;
  close(): void;
  onmessage: ((e: { data: unknown }) => void) | null;
  onclose: (() => void) | null;
}

/** Whether Harbor can be reached and the extension is paired, for the popup. */
export interface Status {
  running: boolean;
  paired: boolean;
  port: number | null;
}

export class Relay {
  private socket: SocketLike | null = null;
  private opening: Promise<SocketLike> | null = null;
  private nextId = 0;
  private waiting = new Map<number, { port: PagePort; id: number }>();
  private pages = new Set<PagePort>();

  constructor(private deps: RelayDeps) {}

  /** A page's port opened. */
  attach(port: PagePort) {
    this.pages.add(port);
  }

  /** A page's port closed. */
  detach(port: PagePort) {
    this.pages.delete(port);
    for (const [id, w] of this.waiting) if (w.port === port) this.waiting.delete(id);
  }

  /** A page asks; the origin comes from the browser, never from the page. */
  async request(port: PagePort, message: { id: number; method: string; params?: unknown }) {
    const origin = originOf(port.sender);
    if (!origin) {
      port.postMessage({ id: message.id, error: { code: INVALID_REQUEST, message: "Harbor serves web pages only" } });
      return;
    }
    let socket: SocketLike;
    try {
      socket = await this.connect();
    } catch (e) {
      port.postMessage({ id: message.id, error: { code: DISCONNECTED, message: (e as Error).message } });
      return;
    }
    const id = ++this.nextId;
    this.waiting.set(id, { port, id: message.id });
    socket.send(JSON.stringify({ jsonrpc: "2.0", id, origin, method: message.method, params: message.params ?? [] }));
  }

  private async connect(): Promise<SocketLike> {
    if (this.socket) return this.socket;
    if (this.opening) return this.opening;
    this.opening = (async () => {
      const { token, port } = await this.deps.load();
      if (!token) throw new Error(NOT_PAIRED);
      const order = port ? [port, ...HARBOR_PORTS.filter((p) => p !== port)] : HARBOR_PORTS;
      for (const p of order) {
        try {
          const socket = await this.deps.openSocket(`ws://127.0.0.1:${p}/ws?token=${encodeURIComponent(token)}`);
          socket.onmessage = (e) => this.received(String(e.data));
          socket.onclose = () => this.closed();
          this.socket = socket;
          if (p !== port) await this.deps.save({ token, port: p });
          return socket;
        } catch {
          // Try the next port.
        }
      }
      throw new Error(NOT_RUNNING);
    })();
    try {
      return await this.opening;
    } finally {
      this.opening = null;
    }
  }

  private received(text: string) {
    let message: { id?: number; type?: string; origin?: string; name?: string; data?: unknown; result?: unknown; error?: unknown };
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (message.type === "event") {
      for (const page of this.pages) {
        if (originOf(page.sender) === message.origin) page.postMessage({ event: message.name, data: message.data });
      }
      return;
    }
    const w = message.id === undefined ? undefined : this.waiting.get(message.id);
    if (!w || message.id === undefined) return;
    this.waiting.delete(message.id);
    w.port.postMessage(message.error ? { id: w.id, error: message.error } : { id: w.id, result: message.result });
  }

  private closed() {
    this.socket = null;
    for (const [, w] of this.waiting) w.port.postMessage({ id: w.id, error: { code: DISCONNECTED, message: NOT_RUNNING } });
    this.waiting.clear();
    for (const page of this.pages) page.postMessage({ event: "disconnect", data: { code: DISCONNECTED, message: NOT_RUNNING } });
  }

  /** Whether Harbor answers and the extension is paired. */
  async status(): Promise<Status> {
    const { token, port } = await this.deps.load();
    if (token) {
      try {
        await this.connect();
        const saved = await this.deps.load();
        return { running: true, paired: true, port: saved.port ?? port ?? null };
      } catch (e) {
        if ((e as Error).message === NOT_PAIRED) return { running: true, paired: false, port: null };
      }
    }
    for (const p of HARBOR_PORTS) {
      try {
        // Any answer (even 404) means Harbor listens there.
        await this.deps.fetch(`http://127.0.0.1:${p}/pair/none`);
        return { running: true, paired: false, port: p };
      } catch {
        // Not there.
      }
    }
    return { running: false, paired: Boolean(token), port: null };
  }

  /** Asks Harbor to pair; resolves with the code to show once Harbor shows the same one, then
   * keeps the token when the person allows it in Harbor. */
  async pair(name: string, onCode: (code: string) => void, pollMs = 1000, timeoutMs = 300_000): Promise<boolean> {
    const status = await this.status();
    if (!status.running || status.port === null) throw new Error(NOT_RUNNING);
    const base = `http://127.0.0.1:${status.port}`;
    const asked = await this.deps.fetch(`${base}/pair`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name, kind: "extension" }),
    });
    if (!asked.ok) throw new Error(`Harbor refused to pair: ${await asked.text()}`);
    const { id, code } = (await asked.json()) as { id: string; code: string };
    onCode(code);
    const started = Date.now();
    while (Date.now() - started < timeoutMs) {
      const reply = (await (await this.deps.fetch(`${base}/pair/${id}`)).json()) as { status: string; token?: string };
      if (reply.status === "approved" && reply.token) {
        await this.deps.save({ token: reply.token, port: status.port });
        this.socket?.close();
        this.socket = null;
        return true;
      }
      if (reply.status === "refused") return false;
      await new Promise((r) => setTimeout(r, pollMs));
    }
    return false;
  }
}
