import { useEffect, useState } from "react";
import type {
  Account,
  ChainBalances,
  ContactView,
  Receipt,
  RecipientView,
  RecipientWarningView,
  SendRequest,
  SendReview,
  SendStage,
  UiError,
} from "../backend";
import { asUiError } from "../backend";
import { useEnv } from "../context";
import { ErrorBox } from "../components/ErrorBox";
import { SendProgress } from "../components/Progress";

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

type Phase =
  | { kind: "form" }
  | { kind: "review"; review: SendReview }
  | { kind: "sending"; review: SendReview; stage: SendStage | null }
  | { kind: "done"; review: SendReview; receipt: Receipt };

/** Send coins or tokens: form, review in plain words, progress, receipt. */
export function Send({ account }: { account: Account }) {
  const { backend, t } = useEnv();
  const [balances, setBalances] = useState<ChainBalances[]>([]);
  const [contacts, setContacts] = useState<ContactView[]>([]);
  const [chainId, setChainId] = useState<number | null>(null);
  const [token, setToken] = useState<string>("");
  const [to, setTo] = useState("");
  const [amount, setAmount] = useState("");
  const [recipient, setRecipient] = useState<RecipientView | null>(null);
  const [phase, setPhase] = useState<Phase>({ kind: "form" });
  const [error, setError] = useState<UiError | null>(null);
  const [saveName, setSaveName] = useState("");
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    backend.balances(account.address).then((b) => {
      setBalances(b);
      setChainId((id) => id ?? b[0]?.chainId ?? null);
    }).catch((e) => setError(asUiError(e)));
    backend.contacts().then(setContacts).catch(() => setContacts([]));
  }, [backend, account.address]);

  useEffect(() => {
    setRecipient(null);
    if (!ADDRESS.test(to.trim())) return;
    let live = true;
    backend.checkRecipient(to.trim()).then((r) => live && setRecipient(r)).catch(() => {});
    return () => {
      live = false;
    };
  }, [backend, to]);

  const chain = balances.find((c) => c.chainId === chainId);
  const asset = chain?.amounts.find((a) => (a.token ?? "") === token) ?? chain?.amounts[0];
  const request = (): SendRequest => ({
    account: account.address,
    chainId: chainId ?? 0,
    token: token || null,
    to: to.trim(),
    amount: amount.trim(),
  });
  const review = async () => {
    setError(null);
    try {
      setPhase({ kind: "review", review: await backend.reviewSend(request()) });
    } catch (e) {
      setError(asUiError(e));
    }
  };
  const send = async (r: SendReview) => {
    setError(null);
    setPhase({ kind: "sending", review: r, stage: null });
    try {
      const receipt = await backend.send(request(), (stage) =>
        setPhase((p) => (p.kind === "sending" ? { ...p, stage } : p)),
      );
      setPhase({ kind: "done", review: r, receipt });
    } catch (e) {
      setError(asUiError(e));
      setPhase({ kind: "review", review: r });
    }
  };

  if (phase.kind === "review" || phase.kind === "sending") {
    const r = phase.review;
    return (
      <section>
        <h1>{t("send.reviewTitle")}</h1>
        <div className="card review" data-testid="send-review">
          <p className="sentence">
            {t("send.sentence", { amount: r.amount, symbol: r.symbol, chain: r.chainName })}
          </p>
          <p>{r.toName ? t("send.toNamed", { name: r.toName }) : t("send.to")}</p>
          <code className="full-address">{r.to}</code>
          <p className="gas" data-testid="gas-payer">
            {r.sponsored ? t("send.gasSponsored", { sponsor: r.sponsor ?? "Harbor" }) : t("send.gasSelf")}
          </p>
          {r.createsAccount && <p className="hint">{t("send.createsAccount")}</p>}
          <Warnings warnings={r.warnings} />
        </div>
        <ErrorBox error={error} />
        {phase.kind === "sending" ? (
          <SendProgress stage={phase.stage} sponsored={r.sponsored} />
        ) : (
          <div className="actions">
            <button type="button" className="primary" onClick={() => send(r)}>
              {t("send.confirm")}
            </button>
            <button type="button" onClick={() => setPhase({ kind: "form" })}>
              {t("common.back")}
            </button>
          </div>
        )}
      </section>
    );
  }

  if (phase.kind === "done") {
    const { review: r, receipt } = phase;
    const known = contacts.some((c) => c.address.toLowerCase() === r.to.toLowerCase() && c.name);
    return (
      <section>
        <h1>{t("send.doneTitle")}</h1>
        <div className="card" data-testid="send-receipt">
          <p className="sentence">{t("send.doneSentence", { amount: r.amount, symbol: r.symbol, to: r.to })}</p>
          <SendProgress stage={{ stage: "included", transactionHash: receipt.transactionHash }} sponsored={r.sponsored} />
          <dl>
            <dt>{t("receipt.gas")}</dt>
            <dd>
              {receipt.sponsor
                ? t("activity.gasSponsored", { gas: receipt.gasCost, symbol: receipt.gasSymbol, sponsor: receipt.sponsor })
                : t("activity.gasPaid", { gas: receipt.gasCost, symbol: receipt.gasSymbol })}
            </dd>
            {receipt.blockNumber !== null && (
              <>
                <dt>{t("receipt.block")}</dt>
                <dd>{receipt.blockNumber}</dd>
              </>
            )}
            <dt>{t("receipt.transaction")}</dt>
            <dd>
              <code>{receipt.transactionHash ?? receipt.userOpHash}</code>
            </dd>
          </dl>
          {receipt.explorerUrl && (
            <a href={receipt.explorerUrl} target="_blank" rel="noreferrer">
              {t("activity.explorer")}
            </a>
          )}
        </div>
        {!known && !saved && (
          <form
            className="inline"
            onSubmit={async (e) => {
              e.preventDefault();
              try {
                await backend.saveContact(r.to, saveName);
                setSaved(true);
              } catch (err) {
                setError(asUiError(err));
              }
            }}
          >
            <label>
              {t("send.saveContact")}
              <input value={saveName} onChange={(e) => setSaveName(e.target.value)} />
            </label>
            <button type="submit" disabled={!saveName.trim()}>
              {t("common.save")}
            </button>
          </form>
        )}
        <ErrorBox error={error} />
        <button
          type="button"
          className="primary"
          onClick={() => {
            setPhase({ kind: "form" });
            setAmount("");
            setTo("");
            setSaved(false);
          }}
        >
          {t("send.another")}
        </button>
      </section>
    );
  }

  return (
    <section>
      <h1>{t("send.title")}</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          review();
        }}
      >
        <label>
          {t("send.network")}
          <select value={chainId ?? ""} onChange={(e) => { setChainId(Number(e.target.value)); setToken(""); }}>
            {balances.map((c) => (
              <option key={c.chainId} value={c.chainId}>
                {c.chainName}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("send.asset")}
          <select aria-label={t("send.asset")} value={token} onChange={(e) => setToken(e.target.value)}>
            {chain?.amounts.map((a) => (
              <option key={a.token ?? ""} value={a.token ?? ""}>
                {a.symbol} ({t("send.available", { amount: a.formatted })})
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("send.recipient")}
          <input
            list="contacts"
            value={to}
            placeholder="0x…"
            onChange={(e) => setTo(e.target.value)}
            spellCheck={false}
            autoComplete="off"
          />
        </label>
        <datalist id="contacts">
          {contacts.map((c) => (
            <option key={c.address} value={c.address} label={c.name ?? undefined} />
          ))}
        </datalist>
        {to.trim() && !ADDRESS.test(to.trim()) && <p className="hint">{t("send.notAddress")}</p>}
        {recipient && (
          <div className="card" data-testid="recipient">
            {recipient.name && <strong>{recipient.name}</strong>}
            <code className="full-address">{recipient.checksum}</code>
            <Warnings warnings={recipient.warnings} />
          </div>
        )}
        <label>
          {t("send.amount")}
          <span className="row">
            <input value={amount} inputMode="decimal" placeholder="0.0" onChange={(e) => setAmount(e.target.value)} />
            <button type="button" onClick={() => asset && setAmount(asset.formatted)}>
              {t("send.max")}
            </button>
          </span>
        </label>
        <ErrorBox error={error} />
        <button type="submit" className="primary" disabled={!chain || !ADDRESS.test(to.trim()) || !amount.trim()}>
          {t("send.review")}
        </button>
      </form>
    </section>
  );
}

function Warnings({ warnings }: { warnings: RecipientWarningView[] }) {
  const { t } = useEnv();
  if (!warnings.length) return null;
  return (
    <ul className="warnings">
      {warnings.map((w, i) => (
        <li key={i} className={w.kind === "looksLike" || w.kind === "zeroAddress" ? "danger" : "caution"}>
          {w.kind === "firstTime"
            ? t("warning.firstTime")
            : w.kind === "looksLike"
              ? t("warning.looksLike", { known: w.known, name: w.name ?? t("warning.pastRecipient") })
              : w.kind === "zeroAddress"
                ? t("warning.zero")
                : t("warning.own")}
        </li>
      ))}
    </ul>
  );
}
