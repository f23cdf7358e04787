import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// Tauri serves the built files from ui/dist; tests run in jsdom against the in-memory backend.
export default defineConfig({
  plugins: [react()],
  clearScreen: false,
  build: { outDir: "dist", target: "es2022", sourcemap: false, emptyOutDir: true },
  server: { port: 1420, strictPort: true, host: "127.0.0.1" },
  test: {
    environment: "jsdom",
    include: ["tests/**/*.test.tsx"],
    setupFiles: ["tests/setup.ts"],
    testTimeout: 15000,
  },
});
