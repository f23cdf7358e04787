// The extension's background: one Relay, wired to the browser.
import { Relay } from "./relay";

const relay = new Relay({
  openSocket: (url) =>
    new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      socket.onopen = () => resolve(socket as unknown as import("./relay").SocketLike);
      socket.onerror = () => reject(new Error("cannot connect"));
    }),
  fetch: (...args) => fetch(...args),
  load: () => chrome.storage.local.get(["token", "port"]) as Promise<{ token?: string; port?: number }>,
  save: (values) => chrome.storage.local.set(values),
});

chrome.runtime.onConnect.addListener((port) => {
  if (port.name !== "harbor-page") return;
  relay.attach(port);
  port.onMessage.addListener((message) => relay.request(port, message));
  port.onDisconnect.addListener(() => relay.detach(port));
});

chrome.runtime.onMessage.addListener((message, sender, reply) => {
  // Only the extension's own pages (the popup) talk to the background this way; content
  // scripts run in web pages, whose URLs are not the extension's.
  if (sender.id !== chrome.runtime.id || !sender.url?.startsWith(chrome.runtime.getURL(""))) return false;
  if (message?.type === "status") {
    relay.status().then(reply);
    return true;
  }
  if (message?.type === "pair") {
    relay
      .pair(`Harbor extension (${navigator.userAgent.includes("Firefox") ? "Firefox" : "Chromium"})`, (code) =>
        chrome.runtime.sendMessage({ type: "pairCode", code }).catch(() => undefined),
      )
      .then((paired) => reply({ paired }))
      .catch((e: Error) => reply({ paired: false, error: e.message }));
    return true;
  }
  return false;
});
