import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import type { Backend } from "./backend";
import "./styles.css";

async function backend(): Promise<Backend> {
  // Inside Tauri the IPC bridge exists; in a plain browser (`npm run dev`) use the in-memory one.
  if ("__TAURI_INTERNALS__" in window) {
    const { TauriBackend } = await import("./tauriBackend");
    return new TauriBackend();
  }
  const { MemoryBackend } = await import("./memoryBackend");
  return new MemoryBackend();
}

backend().then((b) => {
  const started = performance.now();
  createRoot(document.getElementById("root")!).render(
    <StrictMode>
      <App backend={b} />
    </StrictMode>,
  );
  requestAnimationFrame(() => {
    (window as unknown as { __harborFirstPaint: number }).__harborFirstPaint = performance.now() - started;
  });
});
