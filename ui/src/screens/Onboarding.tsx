import { useMemo, useState } from "react";
import type { NewWallet, PaperSharesView, UiError } from "../backend";
import { asUiError } from "../backend";
import { useEnv } from "../context";
import { ErrorBox } from "../components/ErrorBox";
import { PHRASE_LANGUAGES, SharesSheet } from "../components/SharesSheet";

type Path = "create" | "import" | "guardians" | "shares";
type Step =
  | { kind: "welcome" }
  | { kind: "password"; path: Path }
  | { kind: "backup"; wallet: NewWallet; password: string }
  | { kind: "phrase"; wallet: NewWallet; password: string; words: string[] }
  | { kind: "quiz"; wallet: NewWallet; words: string[] }
  | { kind: "shares"; wallet: NewWallet; paper: PaperSharesView }
  | { kind: "import" }
  | { kind: "restoreShares" };

/** First run: create or import a wallet, choose a backup. */
export function Onboarding({ onDone }: { onDone: () => void }) {
  const { backend, t } = useEnv();
  const [step, setStep] = useState<Step>({ kind: "welcome" });
  const [error, setError] = useState<UiError | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (f: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await f();
    } catch (e) {
      setError(asUiError(e));
    } finally {
      setBusy(false);
    }
  };
  const body = (() => {
    switch (step.kind) {
      case "welcome":
        return (
          <>
            <h1>{t("onboarding.welcome")}</h1>
            <p>{t("onboarding.intro")}</p>
            <div className="choices">
              <button type="button" className="primary" onClick={() => setStep({ kind: "password", path: "create" })}>
                {t("onboarding.create")}
              </button>
              <button type="button" onClick={() => setStep({ kind: "password", path: "import" })}>
                {t("onboarding.import")}
              </button>
              <button type="button" onClick={() => setStep({ kind: "password", path: "guardians" })}>
                {t("onboarding.restoreGuardians")}
              </button>
              <button type="button" onClick={() => setStep({ kind: "password", path: "shares" })}>
                {t("onboarding.restoreShares")}
              </button>
            </div>
          </>
        );
      case "password":
        return (
          <PasswordStep
            busy={busy}
            onSubmit={(password) =>
              run(async () => {
                await backend.createVault(password);
                if (step.path === "create") {
                  const wallet = await backend.createWallet(t("onboarding.defaultWalletName"));
                  setStep({ kind: "backup", wallet, password });
                } else if (step.path === "guardians") {
                  // The new device's own key takes over the old account once guardians approve.
                  await backend.createWallet(t("onboarding.defaultWalletName"));
                  onDone();
                } else if (step.path === "import") {
                  setStep({ kind: "import" });
                } else {
                  setStep({ kind: "restoreShares" });
                }
              })
            }
          />
        );
      case "backup":
        return (
          <>
            <h1>{t("backup.title")}</h1>
            <p>{t("backup.intro")}</p>
            <div className="choices">
              <button type="button" className="primary" onClick={onDone}>
                {t("backup.guardians")}
                <small>{t("backup.guardiansHint")}</small>
              </button>
              <button
                type="button"
                onClick={() =>
                  run(async () => {
                    const paper = await backend.paperShares(step.wallet.walletId, step.password, 2, 3);
                    setStep({ kind: "shares", wallet: step.wallet, paper });
                  })
                }
              >
                {t("backup.shares")}
                <small>{t("backup.sharesHint")}</small>
              </button>
              <button
                type="button"
                onClick={() =>
                  run(async () => {
                    const words = await backend.revealPhrase(step.wallet.walletId, step.password);
                    setStep({ kind: "phrase", wallet: step.wallet, password: step.password, words });
                  })
                }
              >
                {t("backup.phrase")}
                <small>{t("backup.phraseHint")}</small>
              </button>
            </div>
          </>
        );
      case "phrase":
        return (
          <>
            <h1>{t("phrase.title")}</h1>
            <p className="warning">{t("phrase.warning")}</p>
            <ol className="words" data-testid="phrase-words">
              {step.words.map((w, i) => (
                <li key={i}>{w}</li>
              ))}
            </ol>
            <button type="button" className="primary" onClick={() => setStep({ kind: "quiz", wallet: step.wallet, words: step.words })}>
              {t("phrase.written")}
            </button>
          </>
        );
      case "quiz":
        return <Quiz words={step.words} onPassed={onDone} onBack={() => setStep({ kind: "welcome" })} />;
      case "shares":
        return (
          <>
            <h1>{t("shares.title")}</h1>
            <p>{t("shares.intro", { threshold: 2, count: step.paper.shares.length })}</p>
            <SharesSheet paper={step.paper} />
            <button type="button" className="primary" onClick={onDone}>
              {t("shares.done")}
            </button>
          </>
        );
      case "import":
        return <ImportStep busy={busy} onImport={(text) => run(async () => {
          const trimmed = text.trim();
          const isKey = /^(0x)?[0-9a-fA-F]{64}$/.test(trimmed);
          if (isKey) await backend.importKey(t("onboarding.importedName"), trimmed);
          else await backend.importPhrase(t("onboarding.importedName"), trimmed);
          onDone();
        })} />;
      case "restoreShares":
        return <SharesStep busy={busy} onRestore={(shares, language, address) => run(async () => {
          await backend.restoreFromShares(t("onboarding.importedName"), shares, language, address || null);
          onDone();
        })} />;
    }
  })();
  return (
    <section className="onboarding">
      {body}
      <ErrorBox error={error} />
    </section>
  );
}

function PasswordStep({ busy, onSubmit }: { busy: boolean; onSubmit: (password: string) => void }) {
  const { t } = useEnv();
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const tooShort = password.length > 0 && password.length < 8;
  const mismatch = confirm.length > 0 && confirm !== password;
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        if (password.length >= 8 && password === confirm) onSubmit(password);
      }}
    >
      <h1>{t("password.title")}</h1>
      <p>{t("password.intro")}</p>
      <label>
        {t("password.label")}
        <input type="password" autoFocus value={password} onChange={(e) => setPassword(e.target.value)} />
      </label>
      {tooShort && <p className="hint">{t("password.tooShort")}</p>}
      <label>
        {t("password.confirm")}
        <input type="password" value={confirm} onChange={(e) => setConfirm(e.target.value)} />
      </label>
      {mismatch && <p className="hint">{t("password.mismatch")}</p>}
      <button type="submit" className="primary" disabled={busy || password.length < 8 || password !== confirm}>
        {busy ? t("password.securing") : t("common.continue")}
      </button>
    </form>
  );
}

/** Asks for three words of the phrase at random positions. */
function Quiz({ words, onPassed, onBack }: { words: string[]; onPassed: () => void; onBack: () => void }) {
  const { t } = useEnv();
  const positions = useMemo(() => {
    const all = words.map((_, i) => i);
    for (let i = all.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [all[i], all[j]] = [all[j], all[i]];
    }
    return all.slice(0, 3).sort((a, b) => a - b);
  }, [words]);
  const [answers, setAnswers] = useState<string[]>(["", "", ""]);
  const [wrong, setWrong] = useState(false);
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        const ok = positions.every((p, i) => answers[i].trim().toLowerCase() === words[p]);
        if (ok) onPassed();
        else setWrong(true);
      }}
    >
      <h1>{t("quiz.title")}</h1>
      <p>{t("quiz.intro")}</p>
      {positions.map((p, i) => (
        <label key={p}>
          {t("quiz.word", { n: p + 1 })}
          <input
            data-testid={`quiz-${p + 1}`}
            value={answers[i]}
            onChange={(e) => setAnswers(answers.map((a, j) => (j === i ? e.target.value : a)))}
          />
        </label>
      ))}
      {wrong && <p className="error" role="alert">{t("quiz.wrong")}</p>}
      <button type="submit" className="primary">
        {t("quiz.check")}
      </button>
      <button type="button" className="link" onClick={onBack}>
        {t("common.back")}
      </button>
    </form>
  );
}

function ImportStep({ busy, onImport }: { busy: boolean; onImport: (text: string) => void }) {
  const { t } = useEnv();
  const [text, setText] = useState("");
  return (
    <form onSubmit={(e) => { e.preventDefault(); onImport(text); }}>
      <h1>{t("import.title")}</h1>
      <p>{t("import.intro")}</p>
      <label>
        {t("import.label")}
        <textarea rows={3} value={text} onChange={(e) => setText(e.target.value)} autoComplete="off" spellCheck={false} />
      </label>
      <button type="submit" className="primary" disabled={busy || !text.trim()}>
        {t("import.submit")}
      </button>
    </form>
  );
}

function SharesStep({
  busy,
  onRestore,
}: {
  busy: boolean;
  onRestore: (shares: string[], language: string, address: string) => void;
}) {
  const { t } = useEnv();
  const [text, setText] = useState("");
  const [language, setLanguage] = useState("english");
  const [address, setAddress] = useState("");
  const shares = text.split("\n").map((s) => s.trim()).filter(Boolean);
  return (
    <form onSubmit={(e) => { e.preventDefault(); onRestore(shares, language, address.trim()); }}>
      <h1>{t("restoreShares.title")}</h1>
      <p>{t("restoreShares.intro")}</p>
      <label>
        {t("restoreShares.label")}
        <textarea rows={6} value={text} onChange={(e) => setText(e.target.value)} spellCheck={false} />
      </label>
      <label>
        {t("restoreShares.language")}
        <select value={language} onChange={(e) => setLanguage(e.target.value)} data-testid="shares-language">
          {PHRASE_LANGUAGES.map(([code, name]) => (
            <option key={code} value={code}>
              {name}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t("restoreShares.address")}
        <input value={address} onChange={(e) => setAddress(e.target.value)} spellCheck={false} placeholder="0x…" />
      </label>
      <p className="hint">{t("restoreShares.addressHint")}</p>
      <button type="submit" className="primary" disabled={busy || shares.length === 0}>
        {t("restoreShares.submit")}
      </button>
    </form>
  );
}
