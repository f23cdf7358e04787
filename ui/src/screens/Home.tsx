import { useEffect, useState } from "react";
import type { Account, ChainBalances, UiError } from "../backend";
import { asUiError } from "../backend";
import { useEnv } from "../context";
import { Copyable } from "../components/Copy";
import { ErrorBox } from "../components/ErrorBox";
import { Qr } from "../components/Qr";
import type { Screen } from "../navigation";

/** Sums amounts with the same ticker across chains (as decimal strings, exact). */
export function totals(chains: ChainBalances[]): { symbol: string; amount: string }[] {
  const sums = new Map<string, { raw: bigint; decimals: number }>();
  for (const c of chains)
    for (const a of c.amounts) {
      const prev = sums.get(a.symbol);
      sums.set(a.symbol, { raw: (prev?.raw ?? 0n) + BigInt(a.raw), decimals: a.decimals });
    }
  return [...sums].map(([symbol, { raw, decimals }]) => ({ symbol, amount: formatUnits(raw, decimals) }));
}

function formatUnits(raw: bigint, decimals: number): string {
  const base = 10n ** BigInt(decimals);
  const whole = raw / base;
  const frac = (raw % base).toString().padStart(decimals, "0").replace(/0+$/, "");
  return frac ? `${whole}.${frac}` : `${whole}`;
}

/** Accounts' balances per chain, the address to share, where the account exists. */
export function Home({ account, onNavigate }: { account: Account; onNavigate: (s: Screen) => void }) {
  const { backend, t } = useEnv();
  const [chains, setChains] = useState<ChainBalances[] | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  useEffect(() => {
    let live = true;
    setChains(null);
    backend
      .balances(account.address)
      .then((c) => live && setChains(c))
      .catch((e) => live && setError(asUiError(e)));
    return () => {
      live = false;
    };
  }, [backend, account.address]);
  return (
    <section>
      <h1>{account.recovered ? t("account.recovered", { name: account.name }) : account.name}</h1>
      <div className="card address-card">
        <div>
          <h2>{t("home.address")}</h2>
          <p className="hint">{t("home.sameEverywhere")}</p>
          <Copyable text={account.address} testId="home-address" />
        </div>
        <Qr text={account.address} label={t("receive.qr")} />
      </div>
      <ErrorBox error={error} />
      {!chains ? (
        <p aria-busy="true">{t("home.loading")}</p>
      ) : chains.length === 0 ? (
        <p>{t("home.noNetworks")}</p>
      ) : (
        <>
          <div className="card">
            <h2>{t("home.total")}</h2>
            <ul className="totals" data-testid="totals">
              {totals(chains).map((x) => (
                <li key={x.symbol}>
                  <span className="amount">{x.amount}</span> {x.symbol}
                </li>
              ))}
            </ul>
          </div>
          {chains.map((c) => (
            <div className="card" key={c.chainId} data-testid={`chain-${c.chainId}`}>
              <h2>
                {c.chainName}
                <span className={c.deployed ? "badge ok" : "badge"}>{c.deployed ? t("home.deployed") : t("home.notDeployed")}</span>
                {c.sponsored && (
                  <span className="badge ok" data-testid={`sponsor-${c.chainId}`}>
                    {c.sponsor ? t("home.sponsoredBy", { sponsor: c.sponsor }) : t("home.sponsored")}
                  </span>
                )}
              </h2>
              {c.error ? (
                <ErrorBox error={c.error} />
              ) : (
                <ul>
                  {c.amounts.map((a) => (
                    <li key={a.token ?? "native"}>
                      <span className="amount">{a.formatted}</span> {a.symbol}
                    </li>
                  ))}
                </ul>
              )}
            </div>
          ))}
        </>
      )}
      <div className="actions">
        <button type="button" className="primary" onClick={() => onNavigate("send")}>
          {t("nav.send")}
        </button>
        <button type="button" onClick={() => onNavigate("receive")}>
          {t("nav.receive")}
        </button>
      </div>
    </section>
  );
}
