import { useEffect, useState } from "react";
import type { Account, GuardianAdvice, GuardianKind, GuardianSetView, GuardianView, SendStage, UiError } from "../backend";
import { asUiError } from "../backend";
import { useEnv } from "../context";
import { ErrorBox } from "../components/ErrorBox";
import { Copyable } from "../components/Copy";
import { Qr } from "../components/Qr";
import { QrPicture, useQrPaste } from "../components/QrPicture";
import { SendProgress } from "../components/Progress";
import type { Key } from "../i18n";

const KINDS: GuardianKind[] = ["person", "ownDevice", "hardwareWallet", "contract"];

/** The account's guardians: add (by address or invitation), remove, threshold, save. */
export function Guardians({ account }: { account: Account }) {
  const { backend, t } = useEnv();
  const [sets, setSets] = useState<GuardianSetView[] | null>(null);
  const [draft, setDraft] = useState<GuardianView[]>([]);
  const [threshold, setThreshold] = useState(1);
  const [advice, setAdvice] = useState<GuardianAdvice | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const [stage, setStage] = useState<SendStage | null>(null);
  const [saving, setSaving] = useState(false);
  const [savedMessage, setSavedMessage] = useState("");

  const load = async () => {
    try {
      const s = await backend.guardians(account.address);
      setSets(s);
      const first = s.find((x) => x.deployed) ?? s[0];
      setDraft(first?.guardians ?? []);
      setThreshold(Math.max(1, first?.threshold ?? 1));
    } catch (e) {
      setError(asUiError(e));
    }
  };
  useEffect(() => {
    load();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [account.address]);
  useEffect(() => {
    backend.guardianAdvice(draft.length, threshold).then(setAdvice).catch(() => setAdvice(null));
  }, [backend, draft.length, threshold]);

  const save = async () => {
    setSaving(true);
    setError(null);
    setSavedMessage("");
    try {
      const changed = await backend.setGuardians(account.address, draft, threshold, setStage);
      setSavedMessage(changed ? t("guardians.saved") : t("guardians.unchanged"));
      await load();
    } catch (e) {
      setError(asUiError(e));
    } finally {
      setSaving(false);
      setStage(null);
    }
  };
  const delay = sets?.find((s) => s.deployed)?.securityDelaySeconds ?? 172800;

  return (
    <section>
      <h1>{t("guardians.title")}</h1>
      <p>{t("guardians.intro")}</p>
      <p className="hint">{t("guardians.delay", { hours: Math.round(delay / 3600) })}</p>
      <ErrorBox error={error} />
      {!sets ? (
        <p aria-busy="true">{t("home.loading")}</p>
      ) : (
        <>
          <ul className="guardians" data-testid="guardian-list">
            {draft.map((g) => (
              <li key={g.address} className="card row">
                <div>
                  <strong>{g.name || t("guardians.unnamed")}</strong> <span className="badge">{t(`kind.${g.kind}` as Key)}</span>
                  <div>
                    <code>{g.address}</code>
                  </div>
                </div>
                <button type="button" onClick={() => setDraft(draft.filter((x) => x.address !== g.address))}>
                  {t("guardians.remove")}
                </button>
              </li>
            ))}
            {draft.length === 0 && <li>{t("guardians.none")}</li>}
          </ul>
          <AddGuardian
            account={account}
            onAdd={(g) => {
              if (!draft.some((x) => x.address.toLowerCase() === g.address.toLowerCase())) {
                const next = [...draft, g];
                setDraft(next);
                backend.guardianAdvice(next.length, threshold).then((a) => setThreshold(a.suggestedThreshold));
              }
            }}
          />
          <label>
            {t("guardians.threshold")}
            <select value={threshold} onChange={(e) => setThreshold(Number(e.target.value))}>
              {Array.from({ length: Math.max(1, draft.length) }, (_, i) => i + 1).map((n) => (
                <option key={n} value={n}>
                  {t("guardians.thresholdOption", { n, total: draft.length })}
                </option>
              ))}
            </select>
          </label>
          {advice && advice.warnings.length > 0 && (
            <ul className="warnings">
              {advice.warnings.map((w) => (
                <li key={w} className="caution">
                  {t(`advice.${w}` as Key)}
                </li>
              ))}
            </ul>
          )}
          {saving && <SendProgress stage={stage} sponsored />}
          {savedMessage && <p className="ok" role="status">{savedMessage}</p>}
          <button type="button" className="primary" disabled={saving || draft.length === 0} onClick={save}>
            {saving ? t("guardians.saving") : t("guardians.save")}
          </button>
        </>
      )}
      <BeAGuardian account={account} />
    </section>
  );
}

function AddGuardian({ account, onAdd }: { account: Account; onAdd: (g: GuardianView) => void }) {
  const { backend, t } = useEnv();
  const [name, setName] = useState("");
  const [address, setAddress] = useState("");
  const [kind, setKind] = useState<GuardianKind>("person");
  const [invite, setInvite] = useState("");
  const [reply, setReply] = useState("");
  const [error, setError] = useState<UiError | null>(null);
  return (
    <div className="card">
      <h2>{t("guardians.add")}</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (!/^0x[0-9a-fA-F]{40}$/.test(address.trim())) {
            setError({ kind: "invalidInput", message: address, wordPositions: [] });
            return;
          }
          setError(null);
          onAdd({ address: address.trim(), name: name.trim(), kind });
          setName("");
          setAddress("");
        }}
      >
        <label>
          {t("guardians.name")}
          <input value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          {t("guardians.address")}
          <input value={address} placeholder="0x…" onChange={(e) => setAddress(e.target.value)} spellCheck={false} />
        </label>
        <label>
          {t("guardians.kind")}
          <select value={kind} onChange={(e) => setKind(e.target.value as GuardianKind)}>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {t(`kind.${k}` as Key)}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={!name.trim() || !address.trim()}>
          {t("guardians.addButton")}
        </button>
      </form>
      <h3>{t("guardians.inviteTitle")}</h3>
      <p className="hint">{t("guardians.inviteIntro")}</p>
      <button
        type="button"
        onClick={async () => {
          try {
            setInvite(await backend.createInvitation(account.address, account.name, kind));
          } catch (e) {
            setError(asUiError(e));
          }
        }}
      >
        {t("guardians.createInvite")}
      </button>
      {invite && (
        <div className="row">
          <Copyable text={invite} testId="invitation-link" />
          <Qr text={invite} label={t("guardians.inviteQr")} />
        </div>
      )}
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            const r = await backend.readInvitationReply(reply);
            onAdd({ address: r.guardian, name: r.name, kind });
            setReply("");
            setError(null);
          } catch (err) {
            setError(asUiError(err));
          }
        }}
      >
        <label>
          {t("guardians.pasteReply")}
          <textarea rows={2} value={reply} onChange={(e) => setReply(e.target.value)} spellCheck={false} />
        </label>
        <button type="submit" disabled={!reply.trim()}>
          {t("guardians.readReply")}
        </button>
      </form>
      <ErrorBox error={error} />
    </div>
  );
}

/** The guardian side of an invitation: answer it with this wallet's key. */
function BeAGuardian({ account }: { account: Account }) {
  const { backend, t } = useEnv();
  const [link, setLink] = useState("");
  const [name, setName] = useState("");
  const [reply, setReply] = useState("");
  const [error, setError] = useState<UiError | null>(null);
  const pasteQr = useQrPaste(setLink, setError);
  return (
    <div className="card">
      <h2>{t("guardians.beTitle")}</h2>
      <p className="hint">{t("guardians.beIntro")}</p>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          try {
            setReply(await backend.acceptInvitation(link, account.address, name));
            setError(null);
          } catch (err) {
            setError(asUiError(err));
          }
        }}
      >
        <label>
          {t("guardians.pasteInvite")}
          <textarea rows={2} value={link} onChange={(e) => setLink(e.target.value)} onPaste={pasteQr} spellCheck={false} />
        </label>
        <QrPicture onText={setLink} onError={setError} testId="invite-qr-file" />
        <label>
          {t("guardians.yourName")}
          <input value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <button type="submit" disabled={!link.trim() || !name.trim()}>
          {t("guardians.accept")}
        </button>
      </form>
      {reply && (
        <>
          <p>{t("guardians.sendReply")}</p>
          <Copyable text={reply} testId="invitation-reply" />
        </>
      )}
      <ErrorBox error={error} />
    </div>
  );
}
