// What the extension's parts say to each other and to the Harbor app.

/** The ports the Harbor app listens on, in the order it tries them. */
export const HARBOR_PORTS = Array.from({ length: 10 }, (_, i) => 18545 + i);

/** A page's request, from the page's provider to the content script. */
export interface PageRequest {
  target: "harbor-content";
  id: number;
  method: string;
  params?: unknown;
}

/** An answer or an event, from the content script to the page's provider. */
export interface PageReply {
  target: "harbor-inpage";
  id?: number;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
  event?: string;
  data?: unknown;
}

/** EIP-1193 error codes the extension itself answers with. */
export const DISCONNECTED = 4900;
export const INVALID_REQUEST = -32600;

/** The error a page gets when Harbor cannot be reached, in words. */
export const NOT_RUNNING = "Harbor is not running: start the Harbor app on this computer, then try again";
/** The error a page gets before the extension is paired. */
export const NOT_PAIRED = "Harbor is not paired with this browser yet: open the Harbor extension and pair it";

/** The web origin of the page behind a runtime port, taken from the browser (never from the
 * page's messages); `null` for anything that is not an http(s) page. */
export function originOf(sender: { origin?: string; url?: string } | undefined): string | null {
  const raw = sender?.origin ?? (sender?.url ? safeOrigin(sender.url) : undefined);
  if (!raw || !(raw.startsWith("https://") || raw.startsWith("http://"))) return null;
  return raw;
}

function safeOrigin(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}
