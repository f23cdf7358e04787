import { useCallback, useEffect, useState } from "react";
import type { DappRequestView, Pairing, UiError } from "../backend";
import { asUiError } from "../backend";
import { useEnv } from "../context";
import { ErrorBox } from "./ErrorBox";

/** Requests from sites and programs that wait for the person: the oldest one, in words, with
 * its warnings loud; approve or reject. Shown over every screen while anything waits. */
export function Approvals({ pollMs = 1500 }: { pollMs?: number }) {
  const { backend, t } = useEnv();
  const [requests, setRequests] = useState<DappRequestView[]>([]);
  const [pairings, setPairings] = useState<Pairing[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<UiError | null>(null);
  const load = useCallback(async () => {
    try {
      setRequests(await backend.dappPending());
      setPairings(await backend.pairings().catch(() => []));
    } catch {
      // Polling is best-effort; the next round tries again.
    }
  }, [backend]);
  useEffect(() => {
    load();
    const timer = setInterval(load, pollMs);
    const stop = backend.onDappWaiting(() => load());
    return () => {
      clearInterval(timer);
      stop();
    };
  }, [backend, load, pollMs]);
  const decide = async (f: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await f();
    } catch (e) {
      setError(asUiError(e));
    } finally {
      setBusy(false);
      load();
    }
  };
  const waiting = requests.length + pairings.length;
  if (waiting === 0) return null;
  const pairing = pairings[0];
  const request = requests[0];
  return (
    <div className="approval" role="dialog" aria-modal="true" aria-labelledby="approval-title">
      <div className="card">
        {waiting > 1 && <p className="hint">{t("dapp.waiting", { n: waiting })}</p>}
        <ErrorBox error={error} />
        {pairing ? (
          <>
            <h2 id="approval-title">{t("dapp.pairTitle", { name: pairing.name })}</h2>
            <p>{pairing.kind === "extension" ? t("dapp.pairExtension") : t("dapp.pairScript")}</p>
            <p className="warning">{t("dapp.pairCode", { code: pairing.code })}</p>
            <div className="actions">
              <button type="button" disabled={busy} onClick={() => decide(() => backend.decidePairing(pairing.id, false))}>
                {t("dapp.pairRefuse")}
              </button>
              <button type="button" className="primary" disabled={busy} onClick={() => decide(() => backend.decidePairing(pairing.id, true))}>
                {t("dapp.pairAllow")}
              </button>
            </div>
          </>
        ) : (
          <>
            <h2 id="approval-title">{request.title}</h2>
            {request.warnings.length > 0 && (
              <ul className="warnings" aria-label={t("dapp.warnings")}>
                {request.warnings.map((w) => (
                  <li key={w} className="danger">
                    {w}
                  </li>
                ))}
              </ul>
            )}
            <ul className="details">
              {request.lines.map((line, i) => (
                <li key={i}>
                  {line.includes("\n") ? <pre>{line}</pre> : line}
                </li>
              ))}
            </ul>
            {request.payer && (
              <p>
                <strong>{t("dapp.payer")}:</strong> {request.payer}
              </p>
            )}
            <div className="actions">
              <button type="button" disabled={busy} onClick={() => decide(() => backend.dappDecide(request.id, false, null))}>
                {t("dapp.reject")}
              </button>
              <button
                type="button"
                className={request.warnings.length > 0 ? "danger" : "primary"}
                disabled={busy}
                onClick={() => decide(() => backend.dappDecide(request.id, true, request.account))}
              >
                {t("dapp.approve")}
              </button>
            </div>
          </>
        )}
      </div>
    </div>
  );
}
