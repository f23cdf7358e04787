import { useCallback, useEffect, useState } from "react";
import type { Account, AlertView, AppStatus, Backend, UiError } from "./backend";
import { asUiError } from "./backend";
import { EnvContext, useEnv } from "./context";
import { ErrorBox } from "./components/ErrorBox";
import { Approvals } from "./components/Approvals";
import { Onboarding } from "./screens/Onboarding";
import { Unlock } from "./screens/Unlock";
import { Home } from "./screens/Home";
import { Send } from "./screens/Send";
import { Receive } from "./screens/Receive";
import { Activity } from "./screens/Activity";
import { Guardians } from "./screens/Guardians";
import { Recovery } from "./screens/Recovery";
import { Settings } from "./screens/Settings";
import type { Key } from "./i18n";
import { countdown } from "./format";
import { SCREENS, type Screen } from "./navigation";


/** The whole app over `backend`. */
export function App({ backend, alertPollMs = 10000 }: { backend: Backend; alertPollMs?: number }) {
  const [status, setStatus] = useState<AppStatus | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const refresh = useCallback(async () => {
    try {
      setStatus(await backend.status());
    } catch (e) {
      setError(asUiError(e));
    }
  }, [backend]);
  useEffect(() => {
    refresh();
    return backend.onLocked(() => refresh());
  }, [backend, refresh]);
  const language = status?.settings.language ?? "en";
  useEffect(() => {
    document.documentElement.lang = language;
  }, [language]);
  return (
    <EnvContext.Provider value={{ backend, language }}>
      {error && <ErrorBox error={error} />}
      {!status ? (
        <p className="loading">…</p>
      ) : status.problem ? (
        <Problem error={status.problem} onRetry={refresh} />
      ) : !status.hasVault ? (
        <Onboarding onDone={refresh} />
      ) : !status.unlocked ? (
        <Unlock keyring={status.keyringUnlock} onUnlocked={refresh} />
      ) : (
        <Main status={status} refresh={refresh} alertPollMs={alertPollMs} />
      )}
    </EnvContext.Provider>
  );
}

function Main({ status, refresh, alertPollMs }: { status: AppStatus; refresh: () => Promise<void>; alertPollMs: number }) {
  const { backend, t } = useEnv();
  const [screen, setScreen] = useState<Screen>("home");
  // Choosing a screen in the menu always opens it fresh (even the one already shown).
  const [visit, setVisit] = useState(0);
  const [accounts, setAccounts] = useState<Account[]>([]);
  const [selected, setSelected] = useState(0);
  const [error, setError] = useState<UiError | null>(null);
  const loadAccounts = useCallback(async () => {
    try {
      setAccounts(await backend.accounts());
    } catch (e) {
      setError(asUiError(e));
    }
  }, [backend]);
  useEffect(() => {
    loadAccounts();
  }, [loadAccounts]);
  const account = accounts[selected] ?? accounts[0];
  const lock = async () => {
    await backend.lock();
    await refresh();
  };
  const go = (s: Screen) => {
    setScreen(s);
    setVisit((v) => v + 1);
    loadAccounts();
  };
  return (
    <div className="layout">
      <nav className="sidebar" aria-label={t("nav.label")}>
        <div className="brand">Harbor</div>
        {accounts.length > 1 && (
          <select aria-label={t("nav.account")} value={selected} onChange={(e) => setSelected(Number(e.target.value))}>
            {accounts.map((a, i) => (
              <option key={a.address + i} value={i}>
                {a.recovered ? t("account.recovered", { name: a.name }) : a.name}
              </option>
            ))}
          </select>
        )}
        {account?.hasPhrase && !account.recovered && (
          <button
            type="button"
            className="small"
            onClick={async () => {
              try {
                await backend.addAccount(account.walletId, t("nav.accountName", { n: accounts.length + 1 }));
                await loadAccounts();
                setSelected(accounts.length);
              } catch (e) {
                setError(asUiError(e));
              }
            }}
          >
            {t("nav.addAccount")}
          </button>
        )}
        {SCREENS.map((s) => (
          <button key={s} type="button" className={s === screen ? "active" : ""} aria-current={s === screen ? "page" : undefined} onClick={() => go(s)}>
            {t(`nav.${s}` as Key)}
          </button>
        ))}
        <button type="button" className="lock" onClick={lock}>
          {t("nav.lock")}
        </button>
      </nav>
      <Approvals />
      <main key={visit}>
        <ErrorBox error={error} />
        {account && <AlertBanner account={account} pollMs={alertPollMs} />}
        {!account && screen !== "settings" && screen !== "recovery" ? (
          <NoAccount onCreated={loadAccounts} />
        ) : screen === "home" ? (
          <Home account={account} onNavigate={go} />
        ) : screen === "send" ? (
          <Send account={account} />
        ) : screen === "receive" ? (
          <Receive account={account} />
        ) : screen === "activity" ? (
          <Activity account={account} />
        ) : screen === "guardians" ? (
          <Guardians account={account} />
        ) : screen === "recovery" ? (
          <Recovery account={account} accounts={accounts} onChanged={loadAccounts} />
        ) : (
          <Settings status={status} accounts={accounts} onChanged={refresh} />
        )}
      </main>
    </div>
  );
}

/** The wallet file cannot be used (open in another window, damaged …): say why, offer a retry. */
function Problem({ error, onRetry }: { error: UiError; onRetry: () => void }) {
  const { t } = useEnv();
  return (
    <section className="onboarding">
      <h1>{t("problem.title")}</h1>
      <ErrorBox error={error} />
      <button type="button" className="primary" onClick={onRetry}>
        {t("problem.retry")}
      </button>
    </section>
  );
}

function NoAccount({ onCreated }: { onCreated: () => void }) {
  const { backend, t } = useEnv();
  const [error, setError] = useState<UiError | null>(null);
  const create = async () => {
    try {
      await backend.createWallet(t("onboarding.defaultWalletName"));
      onCreated();
    } catch (e) {
      setError(asUiError(e));
    }
  };
  return (
    <section>
      <h1>{t("home.noAccount")}</h1>
      <ErrorBox error={error} />
      <button type="button" className="primary" onClick={create}>
        {t("onboarding.create")}
      </button>
    </section>
  );
}

/** The owner's alert: a recovery of this account is pending (cancel it) or happened. */
function AlertBanner({ account, pollMs }: { account: Account; pollMs: number }) {
  const { backend, t } = useEnv();
  const [alerts, setAlerts] = useState<AlertView[]>([]);
  const [now, setNow] = useState(Date.now() / 1000);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<UiError | null>(null);
  const [reportedBy, setReportedBy] = useState<string | null>(null);
  const poll = useCallback(async () => {
    try {
      setAlerts(await backend.alerts(account.address));
      setReportedBy(await backend.reportedBy(account.address));
    } catch {
      // Alerts are best-effort; the next poll tries again.
    }
  }, [backend, account.address]);
  // A sponsor's relay saw it on chain first: look now rather than at the next poll.
  useEffect(() => backend.onRecoveryNotice(() => void poll()), [backend, poll]);
  useEffect(() => {
    poll();
    const id = setInterval(poll, pollMs);
    const tick = setInterval(() => setNow(Date.now() / 1000), 1000);
    return () => {
      clearInterval(id);
      clearInterval(tick);
    };
  }, [poll, pollMs]);
  if (!alerts.length) return null;
  const cancel = async (chainId: number) => {
    setBusy(true);
    setError(null);
    try {
      await backend.cancelRecovery(account.address, chainId, () => {});
      await poll();
    } catch (e) {
      setError(asUiError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="alert" role="alert" data-testid="recovery-alert">
      {alerts.map((a) =>
        a.cancellable ? (
          <div key={a.chainId}>
            <strong>{t("alert.pending", { chain: a.chainName })}</strong>
            <p>{t("alert.pendingDetail", { owner: a.newOwner, left: countdown((a.executeAfter ?? 0) - now) })}</p>
            {reportedBy && (
              <p className="hint" data-testid="alert-reported-by">
                {t("alert.reportedBy", { sponsor: reportedBy })}
              </p>
            )}
            <button type="button" className="danger" disabled={busy} onClick={() => cancel(a.chainId)}>
              {busy ? t("alert.cancelling") : t("alert.cancel")}
            </button>
          </div>
        ) : a.kind === "notRecoveredHere" ? (
          <div key={a.chainId}>
            <strong>{t("alert.notHere", { chain: a.chainName })}</strong>
            <p>{t("alert.notHereDetail", { owner: a.newOwner })}</p>
          </div>
        ) : (
          <div key={a.chainId}>
            <strong>{t("alert.taken", { chain: a.chainName })}</strong>
            <p>{t("alert.takenDetail", { owner: a.newOwner })}</p>
          </div>
        ),
      )}
      <ErrorBox error={error} />
    </div>
  );
}
