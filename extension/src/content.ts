// Carries a page's requests to the extension's background and the answers and events back.
// Runs in the extension's isolated world: it reads only messages the page posted to itself.
import type { PageReply, PageRequest } from "./protocol";

let port: chrome.runtime.Port | null = null;

function connect(): chrome.runtime.Port {
  if (port) return port;
  const p = chrome.runtime.connect({ name: "harbor-page" });
  p.onMessage.addListener((reply: Omit<PageReply, "target">) => {
    window.postMessage({ ...reply, target: "harbor-inpage" } satisfies PageReply, "*");
  });
  p.onDisconnect.addListener(() => {
    port = null;
  });
  port = p;
  return p;
}

window.addEventListener("message", (e: MessageEvent) => {
  const request = e.data as PageRequest;
  if (e.source !== window || !request || request.target !== "harbor-content") return;
  connect().postMessage({ id: request.id, method: request.method, params: request.params });
});
