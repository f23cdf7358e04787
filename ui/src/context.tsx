import { createContext, useContext } from "react";
import type { Backend } from "./backend";
import type { AppLanguage } from "./generated/bindings";
import { translate, type Key } from "./i18n";

/** What every screen needs: the backend and the current language. */
export interface Env {
  backend: Backend;
  language: AppLanguage;
}

export const EnvContext = createContext<Env | null>(null);

/** The backend and a translator bound to the current language. */
export function useEnv() {
  const env = useContext(EnvContext);
  if (!env) throw new Error("useEnv outside EnvContext");
  const t = (key: Key, params?: Record<string, string | number>) => translate(env.language, key, params);
  return { ...env, t };
}
