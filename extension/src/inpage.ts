// The provider pages see (runs in the page's own world): EIP-1193 `request` and events,
// announced through EIP-6963; `window.ethereum` only when no other wallet has it. Requests go to
// the content script by `window.postMessage`; the page cannot name its origin — the extension
// takes it from the browser.
import type { PageReply, PageRequest } from "./protocol";
import { DISCONNECTED, INVALID_REQUEST } from "./protocol";

const ICON =
  "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHZpZXdCb3g9IjAgMCA5NiA5NiI+PHJlY3Qgd2lkdGg9Ijk2IiBoZWlnaHQ9Ijk2IiByeD0iMjAiIGZpbGw9IiMwYjNkNWMiLz48cGF0aCBkPSJNMjQgNjBoNDhsLTggMTJIMzJ6TTQ2IDIwaDR2MzZoLTR6TTUwIDI0bDE2IDE2SDUweiIgZmlsbD0iI2ZmZiIvPjwvc3ZnPg==";

class ProviderRpcError extends Error {
  constructor(
    public code: number,
    message: string,
    public data?: unknown,
  ) {
    super(message);
  }
}

type Listener = (data: unknown) => void;

/** Installs Harbor's provider in `win` (once). */
export function install(win: Window & typeof globalThis) {
  const w = win as unknown as Record<string, unknown>;
  if (w.__harborInstalled) return;
  w.__harborInstalled = true;
  let nextId = 0;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const listeners = new Map<string, Set<Listener>>();
  const emit = (event: string, data: unknown) => listeners.get(event)?.forEach((l) => l(data));

  const provider = {
    isHarbor: true,
    request(args: { method: string; params?: unknown }): Promise<unknown> {
      if (!args || typeof args.method !== "string") {
        return Promise.reject(new ProviderRpcError(INVALID_REQUEST, "request expects {method, params}"));
      }
      const id = ++nextId;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        const message: PageRequest = { target: "harbor-content", id, method: args.method, params: args.params ?? [] };
        win.postMessage(message, "*");
      });
    },
    on(event: string, listener: Listener) {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event)!.add(listener);
      return provider;
    },
    removeListener(event: string, listener: Listener) {
      listeners.get(event)?.delete(listener);
      return provider;
    },
  };

  win.addEventListener("message", (e: MessageEvent) => {
    const reply = e.data as PageReply;
    if (e.source !== win || !reply || reply.target !== "harbor-inpage") return;
    if (reply.event) {
      if (reply.event === "disconnect") {
        const d = (reply.data ?? {}) as { code?: number; message?: string };
        for (const [, w] of waiting) w.reject(new ProviderRpcError(d.code ?? DISCONNECTED, d.message ?? "disconnected"));
        waiting.clear();
        emit("disconnect", new ProviderRpcError(d.code ?? DISCONNECTED, d.message ?? "disconnected"));
      } else {
        emit(reply.event, reply.data);
      }
      return;
    }
    const entry = reply.id === undefined ? undefined : waiting.get(reply.id);
    if (!entry || reply.id === undefined) return;
    waiting.delete(reply.id);
    if (reply.error) entry.reject(new ProviderRpcError(reply.error.code, reply.error.message, reply.error.data));
    else entry.resolve(reply.result ?? null);
  });

  const info = Object.freeze({ uuid: win.crypto.randomUUID(), name: "Harbor", icon: ICON, rdns: "app.harbor.wallet" });
  const announce = () =>
    win.dispatchEvent(new win.CustomEvent("eip6963:announceProvider", { detail: Object.freeze({ info, provider }) }));
  win.addEventListener("eip6963:requestProvider", announce);
  announce();
  if (w.ethereum === undefined) {
    try {
      Object.defineProperty(win, "ethereum", { value: provider, configurable: true, writable: false });
    } catch {
      // Another wallet took it first; EIP-6963 still finds Harbor.
    }
  }
  return provider;
}

if (typeof window !== "undefined" && !(globalThis as Record<string, unknown>).__harborTest) install(window);
