import { useEffect, useState } from "react";
import type { Account, AppStatus, ChainView, AppLanguage, PaperSharesView, UiError } from "../backend";
import { asUiError } from "../backend";
import { useEnv } from "../context";
import { ErrorBox } from "../components/ErrorBox";
import { SharesSheet } from "../components/SharesSheet";
import { QrPicture, useQrPaste } from "../components/QrPicture";
import { dateTime } from "../format";
import type { ConnectedSite, PairedClientView, SponsorView } from "../backend";

const LANGUAGES: { code: AppLanguage; label: string }[] = [
  { code: "en", label: "English" },
  { code: "zh-Hans", label: "简体中文" },
  { code: "zh-Hant", label: "繁體中文" },
];

const EMPTY_CHAIN: ChainView = {
  chainId: 0,
  name: "",
  symbol: "ETH",
  rpcUrl: "",
  bundlerUrl: null,
  paymasterUrl: null,
  explorerUrl: null,
  testnet: true,
  custom: true,
  sponsor: null,
};

/** Language, auto-lock, keyring, networks, backups. */
export function Settings({ status, accounts, onChanged }: { status: AppStatus; accounts: Account[]; onChanged: () => void }) {
  const { backend, t } = useEnv();
  const [error, setError] = useState<UiError | null>(null);
  const [chains, setChains] = useState<ChainView[]>([]);
  const [editing, setEditing] = useState<ChainView | null>(null);
  const [message, setMessage] = useState("");
  const loadChains = () => backend.chains().then(setChains).catch((e) => setError(asUiError(e)));
  useEffect(() => {
    loadChains();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  const act = async (f: () => Promise<unknown>, done?: string) => {
    setError(null);
    setMessage("");
    try {
      await f();
      if (done) setMessage(done);
      onChanged();
    } catch (e) {
      setError(asUiError(e));
    }
  };
  const settings = status.settings;
  return (
    <section>
      <h1>{t("settings.title")}</h1>
      <ErrorBox error={error} />
      {message && <p className="ok" role="status">{message}</p>}
      <div className="card">
        <label>
          {t("settings.language")}
          <select
            value={settings.language}
            onChange={(e) => act(() => backend.saveSettings({ ...settings, language: e.target.value as AppLanguage }))}
          >
            {LANGUAGES.map((l) => (
              <option key={l.code} value={l.code}>
                {l.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("settings.lock")}
          <select
            value={settings.lockMinutes}
            onChange={(e) => act(() => backend.saveSettings({ ...settings, lockMinutes: Number(e.target.value) }))}
          >
            {[1, 5, 15, 60, 0].map((m) => (
              <option key={m} value={m}>
                {m === 0 ? t("settings.never") : t("settings.minutes", { n: m })}
              </option>
            ))}
          </select>
        </label>
        <label className="check">
          <input
            type="checkbox"
            checked={status.keyringUnlock}
            onChange={(e) => act(() => backend.setKeyringUnlock(e.target.checked))}
          />
          {t("settings.keyring")}
        </label>
        <p className="hint">{t("settings.keyringHint")}</p>
      </div>
      <Sponsors
        onError={setError}
        onChanged={async (done) => {
          setError(null);
          setMessage(done);
          await loadChains();
          onChanged();
        }}
      />
      <div className="card">
        <h2>{t("settings.networks")}</h2>
        <table>
          <tbody>
            {chains.map((c) => (
              <tr key={c.chainId}>
                <td>{c.name}</td>
                <td>{c.chainId}</td>
                <td>{c.bundlerUrl ? (c.paymasterUrl ? t("settings.sponsored") : t("settings.active")) : t("settings.inactive")}</td>
                <td>
                  <button type="button" onClick={() => setEditing(c)}>
                    {t("common.edit")}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <button type="button" onClick={() => setEditing(EMPTY_CHAIN)}>
          {t("settings.addNetwork")}
        </button>
        {editing && (
          <ChainForm
            chain={editing}
            onCancel={() => setEditing(null)}
            onSave={(c) =>
              act(async () => {
                await backend.saveChain(c);
                setEditing(null);
                await loadChains();
              }, t("settings.networkSaved"))
            }
          />
        )}
      </div>
      <ConnectedSites onError={setError} />
      <Backup accounts={accounts} onError={setError} />
      <ChangePassword onDone={(m) => setMessage(m)} onError={setError} />
    </section>
  );
}

function ChainForm({ chain, onSave, onCancel }: { chain: ChainView; onSave: (c: ChainView) => void; onCancel: () => void }) {
  const { t } = useEnv();
  const [c, setC] = useState<ChainView>(chain);
  const text = (key: "name" | "symbol" | "rpcUrl", label: string) => (
    <label>
      {label}
      <input value={c[key]} onChange={(e) => setC({ ...c, [key]: e.target.value })} />
    </label>
  );
  const optional = (key: "bundlerUrl" | "paymasterUrl" | "explorerUrl", label: string) => (
    <label>
      {label}
      <input value={c[key] ?? ""} onChange={(e) => setC({ ...c, [key]: e.target.value || null })} />
    </label>
  );
  return (
    <form onSubmit={(e) => { e.preventDefault(); onSave(c); }}>
      <label>
        {t("settings.chainId")}
        <input type="number" value={c.chainId || ""} onChange={(e) => setC({ ...c, chainId: Number(e.target.value) })} />
      </label>
      {text("name", t("settings.chainName"))}
      {text("symbol", t("settings.symbol"))}
      {text("rpcUrl", t("settings.rpc"))}
      {optional("bundlerUrl", t("settings.bundler"))}
      {optional("paymasterUrl", t("settings.paymaster"))}
      {optional("explorerUrl", t("settings.explorer"))}
      <button type="submit" className="primary">
        {t("common.save")}
      </button>
      <button type="button" onClick={onCancel}>
        {t("common.cancel")}
      </button>
    </form>
  );
}

function Backup({ accounts, onError }: { accounts: Account[]; onError: (e: UiError) => void }) {
  const { backend, t } = useEnv();
  const wallets = accounts.filter((a, i) => a.hasPhrase && !a.recovered && accounts.findIndex((b) => b.walletId === a.walletId) === i);
  const [walletId, setWalletId] = useState(wallets[0]?.walletId ?? "");
  const [password, setPassword] = useState("");
  const [words, setWords] = useState<string[]>([]);
  const [paper, setPaper] = useState<PaperSharesView | null>(null);
  if (!wallets.length) return null;
  const run = async (f: () => Promise<void>) => {
    setWords([]);
    setPaper(null);
    try {
      await f();
    } catch (e) {
      onError(asUiError(e));
    } finally {
      setPassword("");
    }
  };
  return (
    <div className="card">
      <h2>{t("settings.backup")}</h2>
      <p className="hint">{t("settings.backupHint")}</p>
      {wallets.length > 1 && (
        <select value={walletId} onChange={(e) => setWalletId(e.target.value)}>
          {wallets.map((w) => (
            <option key={w.walletId} value={w.walletId}>
              {w.name}
            </option>
          ))}
        </select>
      )}
      <label>
        {t("settings.passwordAgain")}
        <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} />
      </label>
      <button type="button" disabled={!password} onClick={() => run(async () => setWords(await backend.revealPhrase(walletId || wallets[0].walletId, password)))}>
        {t("settings.showPhrase")}
      </button>
      <button type="button" disabled={!password} onClick={() => run(async () => setPaper(await backend.paperShares(walletId || wallets[0].walletId, password, 2, 3)))}>
        {t("settings.makeShares")}
      </button>
      {words.length > 0 && (
        <>
          <p className="warning">{t("phrase.warning")}</p>
          <ol className="words">
            {words.map((w, i) => (
              <li key={i}>{w}</li>
            ))}
          </ol>
          <button type="button" onClick={() => setWords([])}>
            {t("common.hide")}
          </button>
        </>
      )}
      {paper && <SharesSheet paper={paper} />}
    </div>
  );
}

function ChangePassword({ onDone, onError }: { onDone: (m: string) => void; onError: (e: UiError) => void }) {
  const { backend, t } = useEnv();
  const [old, setOld] = useState("");
  const [next, setNext] = useState("");
  return (
    <form
      className="card"
      onSubmit={async (e) => {
        e.preventDefault();
        try {
          await backend.changePassword(old, next);
          onDone(t("settings.passwordChanged"));
        } catch (err) {
          onError(asUiError(err));
        } finally {
          setOld("");
          setNext("");
        }
      }}
    >
      <h2>{t("settings.changePassword")}</h2>
      <label>
        {t("settings.oldPassword")}
        <input type="password" value={old} onChange={(e) => setOld(e.target.value)} />
      </label>
      <label>
        {t("settings.newPassword")}
        <input type="password" value={next} onChange={(e) => setNext(e.target.value)} />
      </label>
      <button type="submit" disabled={!old || next.length < 8}>
        {t("settings.changePassword")}
      </button>
    </form>
  );
}

/** Sites connected to an account, and programs paired with Harbor; disconnect or unpair. */
/** Gas sponsors added by their profile link: add one, see what it pays for, remove it. */
function Sponsors({ onError, onChanged }: { onError: (e: UiError) => void; onChanged: (message: string) => void }) {
  const { backend, t } = useEnv();
  const [sponsors, setSponsors] = useState<SponsorView[]>([]);
  const [link, setLink] = useState("");
  const [busy, setBusy] = useState(false);
  const qrError = (e: UiError | null) => e && onError(e);
  const pasteQr = useQrPaste(setLink, qrError);
  const load = () => backend.sponsors().then(setSponsors).catch((e) => onError(asUiError(e)));
  useEffect(() => {
    load();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  const add = async () => {
    setBusy(true);
    try {
      const added = await backend.addSponsor(link);
      setLink("");
      await load();
      onChanged(t("settings.sponsorAdded", { name: added.name, chains: added.chains.map((c) => c.chainName).join(", ") }));
    } catch (e) {
      onError(asUiError(e));
    } finally {
      setBusy(false);
    }
  };
  const remove = async (s: SponsorView) => {
    try {
      await backend.removeSponsor(s.link);
      await load();
      onChanged("");
    } catch (e) {
      onError(asUiError(e));
    }
  };
  return (
    <div className="card" data-testid="sponsors">
      <h2>{t("settings.sponsors")}</h2>
      <p className="hint">{t("settings.sponsorsHint")}</p>
      {sponsors.length === 0 ? (
        <p className="hint">{t("settings.noSponsors")}</p>
      ) : (
        <ul className="list">
          {sponsors.map((s) => (
            <li key={s.link}>
              <strong>{s.name}</strong> {s.contact && <span className="hint">{s.contact}</span>}{" "}
              <button type="button" className="small" onClick={() => remove(s)}>
                {t("settings.removeSponsor")}
              </button>
              {s.chains.map((c) => (
                <div key={c.chainId} className="hint">
                  {t("settings.sponsorPaysOn", { chain: c.chainName })} {c.pays.join(" ")}
                </div>
              ))}
            </li>
          ))}
        </ul>
      )}
      <label>
        {t("settings.sponsorLink")}
        <input value={link} onChange={(e) => setLink(e.target.value)} onPaste={pasteQr} placeholder="https://…" spellCheck={false} />
      </label>
      <QrPicture onText={setLink} onError={qrError} testId="sponsor-qr-file" />
      <button type="button" disabled={!link.trim() || busy} aria-busy={busy} onClick={add}>
        {t("settings.addSponsor")}
      </button>
    </div>
  );
}

function ConnectedSites({ onError }: { onError: (e: UiError) => void }) {
  const { backend, t, language } = useEnv();
  const [sites, setSites] = useState<ConnectedSite[]>([]);
  const [clients, setClients] = useState<PairedClientView[]>([]);
  const load = async () => {
    try {
      setSites(await backend.connectedSites());
      setClients(await backend.pairedClients());
    } catch (e) {
      onError(asUiError(e));
    }
  };
  useEffect(() => {
    load();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  const act = async (f: () => Promise<unknown>) => {
    try {
      await f();
    } catch (e) {
      onError(asUiError(e));
    }
    load();
  };
  return (
    <div className="card">
      <h2>{t("settings.sites")}</h2>
      {sites.length === 0 ? (
        <p className="hint">{t("settings.noSites")}</p>
      ) : (
        <ul className="list">
          {sites.map((s) => (
            <li key={s.origin}>
              <strong>{s.origin}</strong>{" "}
              <span className="hint">
                {t("settings.siteLine", { account: s.account, chain: s.chainName, date: dateTime(s.grantedAt, language) })}
              </span>{" "}
              <button type="button" className="small" onClick={() => act(() => backend.revokeSite(s.origin))}>
                {t("settings.revoke")}
              </button>
            </li>
          ))}
        </ul>
      )}
      <h2>{t("settings.programs")}</h2>
      {clients.length === 0 ? (
        <p className="hint">{t("settings.noPrograms")}</p>
      ) : (
        <ul className="list">
          {clients.map((c) => (
            <li key={c.id}>
              <strong>{c.name}</strong> <span className="hint">{dateTime(c.createdAt, language)}</span>{" "}
              <button type="button" className="small" onClick={() => act(() => backend.unpair(c.id))}>
                {t("settings.unpair")}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
