import { useCallback, useEffect, useState } from "react";
import type { Account, RecoveryView, RequestView, SendStage, UiError } from "../backend";
import { asUiError } from "../backend";
import { useEnv } from "../context";
import { ErrorBox } from "../components/ErrorBox";
import { Copyable } from "../components/Copy";
import { Qr } from "../components/Qr";
import { QrPicture, useQrPaste } from "../components/QrPicture";
import { SendProgress } from "../components/Progress";
import { countdown, dateTime } from "../format";
import type { Key } from "../i18n";

/** Recovering an account on this device, and approving someone else's recovery. */
export function Recovery({ account, accounts, onChanged }: { account?: Account; accounts: Account[]; onChanged: () => void }) {
  const { backend, t } = useEnv();
  const [list, setList] = useState<RecoveryView[]>([]);
  const [error, setError] = useState<UiError | null>(null);
  const load = useCallback(async () => {
    try {
      setList(await backend.recoveries());
    } catch (e) {
      setError(asUiError(e));
    }
  }, [backend]);
  useEffect(() => {
    load();
  }, [load]);
  return (
    <section>
      <h1>{t("recovery.title")}</h1>
      <ErrorBox error={error} />
      {list.map((r) => (
        <RecoveryCard key={r.id} recovery={r} onChange={() => { load(); onChanged(); }} />
      ))}
      <StartRecovery onStarted={load} />
      {accounts.length > 0 && <Approve account={account ?? accounts[0]} />}
    </section>
  );
}

function StartRecovery({ onStarted }: { onStarted: () => void }) {
  const { backend, t } = useEnv();
  const [address, setAddress] = useState("");
  const [note, setNote] = useState("");
  const [error, setError] = useState<UiError | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      className="card"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        try {
          await backend.startRecovery(address.trim(), note);
          setAddress("");
          onStarted();
        } catch (err) {
          setError(asUiError(err));
        } finally {
          setBusy(false);
        }
      }}
    >
      <h2>{t("recovery.startTitle")}</h2>
      <p className="hint">{t("recovery.startIntro")}</p>
      <label>
        {t("recovery.account")}
        <input value={address} placeholder="0x…" onChange={(e) => setAddress(e.target.value)} spellCheck={false} />
      </label>
      <label>
        {t("recovery.note")}
        <input value={note} maxLength={120} onChange={(e) => setNote(e.target.value)} />
      </label>
      <ErrorBox error={error} />
      <button type="submit" className="primary" disabled={busy || !address.trim()}>
        {t("recovery.start")}
      </button>
    </form>
  );
}

function RecoveryCard({ recovery, onChange }: { recovery: RecoveryView; onChange: () => void }) {
  const { backend, t } = useEnv();
  const [approval, setApproval] = useState("");
  const [error, setError] = useState<UiError | null>(null);
  const [stage, setStage] = useState<SendStage | null>(null);
  const [busy, setBusy] = useState(false);
  const [now, setNow] = useState(Date.now() / 1000);
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now() / 1000), 1000);
    return () => clearInterval(id);
  }, []);
  const act = async (f: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await f();
      onChange();
    } catch (e) {
      setError(asUiError(e));
    } finally {
      setBusy(false);
      setStage(null);
    }
  };
  return (
    <div className="card" data-testid="recovery-card">
      <h2>{t("recovery.of", { account: recovery.account })}</h2>
      {!recovery.finished && (
        <>
          <p>{t("recovery.shareRequest")}</p>
          <div className="row">
            <Copyable text={recovery.requestLink} testId="request-link" />
            <Qr text={recovery.requestLink} label={t("recovery.requestQr")} />
          </div>
        </>
      )}
      <table>
        <tbody>
          {recovery.chains.map((c) => (
            <tr key={c.chainId}>
              <td>{c.chainName}</td>
              <td data-testid={`recovery-stage-${c.chainId}`}>{t(`recoveryStage.${c.stage}` as Key)}</td>
              <td>{t("recovery.approvals", { n: c.approvals, total: c.threshold })}</td>
              <td>
                {c.executeAfter !== null &&
                  (c.executeAfter > now
                    ? t("recovery.countdown", { left: countdown(c.executeAfter - now) })
                    : t("recovery.canComplete"))}
              </td>
              <td>{c.lastError && <span className="error">{c.lastError}</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {!recovery.finished && (
        <>
          <form onSubmit={(e) => { e.preventDefault(); act(() => backend.addApproval(recovery.id, approval).then(() => setApproval(""))); }}>
            <label>
              {t("recovery.pasteApproval")}
              <textarea rows={2} value={approval} onChange={(e) => setApproval(e.target.value)} spellCheck={false} />
            </label>
            <button type="submit" disabled={busy || !approval.trim()}>
              {t("recovery.addApproval")}
            </button>
          </form>
          {busy && stage && <SendProgress stage={stage} sponsored />}
          <button type="button" className="primary" disabled={busy} onClick={() => act(() => backend.advanceRecovery(recovery.id, setStage))}>
            {t("recovery.advance")}
          </button>
        </>
      )}
      <button type="button" className="link" onClick={() => act(() => backend.forgetRecovery(recovery.id))}>
        {t("recovery.forget")}
      </button>
      <ErrorBox error={error} />
    </div>
  );
}

/** As a guardian: read a request in plain words and approve it. */
function Approve({ account }: { account: Account }) {
  const { backend, t, language } = useEnv();
  const [link, setLink] = useState("");
  const [request, setRequest] = useState<RequestView | null>(null);
  const [approval, setApproval] = useState("");
  const [error, setError] = useState<UiError | null>(null);
  const readLink = (text: string) => {
    setLink(text);
    setRequest(null);
  };
  const pasteQr = useQrPaste(readLink, setError);
  return (
    <div className="card">
      <h2>{t("approve.title")}</h2>
      <p className="hint">{t("approve.intro")}</p>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setError(null);
          setApproval("");
          try {
            setRequest(await backend.describeRequest(link));
          } catch (err) {
            setError(asUiError(err));
          }
        }}
      >
        <label>
          {t("approve.paste")}
          <textarea rows={2} value={link} onChange={(e) => readLink(e.target.value)} onPaste={pasteQr} spellCheck={false} />
        </label>
        <QrPicture onText={readLink} onError={setError} testId="request-qr-file" />
        <button type="submit" disabled={!link.trim()}>
          {t("approve.read")}
        </button>
      </form>
      {request && (
        <div className="review" data-testid="request-description">
          <p className="sentence">{t("approve.sentence", { account: request.account, owner: request.newOwner })}</p>
          {request.note && <p>{t("approve.note", { note: request.note })}</p>}
          <p className="hint">{t("approve.validUntil", { date: dateTime(request.validUntil, language) })}</p>
          <p className="warning">{t("approve.check")}</p>
          <button
            type="button"
            className="primary"
            onClick={async () => {
              try {
                setApproval(await backend.approveRequest(link, account.address));
              } catch (err) {
                setError(asUiError(err));
              }
            }}
          >
            {t("approve.confirm")}
          </button>
        </div>
      )}
      {approval && (
        <>
          <p>{t("approve.sendBack")}</p>
          <Copyable text={approval} testId="approval-link" />
        </>
      )}
      <ErrorBox error={error} />
    </div>
  );
}
