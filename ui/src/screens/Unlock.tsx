import { useState } from "react";
import type { UiError } from "../backend";
import { asUiError } from "../backend";
import { useEnv } from "../context";
import { ErrorBox } from "../components/ErrorBox";

/** The locked wallet: password, or the system keyring when enabled. */
export function Unlock({ keyring, onUnlocked }: { keyring: boolean; onUnlocked: () => void }) {
  const { backend, t } = useEnv();
  const [password, setPassword] = useState("");
  const [error, setError] = useState<UiError | null>(null);
  const [busy, setBusy] = useState(false);
  const attempt = async (f: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await f();
      onUnlocked();
    } catch (e) {
      setError(asUiError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="onboarding">
      <form onSubmit={(e) => { e.preventDefault(); attempt(() => backend.unlock(password)); }}>
        <h1>{t("unlock.title")}</h1>
        <label>
          {t("password.label")}
          <input type="password" autoFocus value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        <button type="submit" className="primary" disabled={busy || !password}>
          {busy ? t("unlock.busy") : t("unlock.submit")}
        </button>
        {keyring && (
          <button type="button" onClick={() => attempt(() => backend.unlockWithKeyring())}>
            {t("unlock.keyring")}
          </button>
        )}
      </form>
      <ErrorBox error={error} />
    </section>
  );
}
