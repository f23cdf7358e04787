import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { App } from "../src/App";
import { MemoryBackend } from "../src/memoryBackend";
import { translate, type Key } from "../src/i18n";
import type { AppLanguage } from "../src/generated/bindings";

/** Renders the whole app over a memory backend. */
export function renderApp(backend: MemoryBackend, alertPollMs = 50) {
  const user = userEvent.setup();
  render(<App backend={backend} alertPollMs={alertPollMs} />);
  return { user };
}

/** The text of `key` in `language` (so tests read the same words the user does). */
export function tr(language: AppLanguage, key: Key, params?: Record<string, string | number>) {
  return translate(language, key, params);
}

/** Opens a screen from the sidebar. */
export async function open(user: ReturnType<typeof userEvent.setup>, language: AppLanguage, key: Key) {
  await user.click(await screen.findByRole("button", { name: tr(language, key) }));
}
