import { useEffect, useState } from "react";
import type { Account, ChainView } from "../backend";
import { useEnv } from "../context";
import { Copyable } from "../components/Copy";
import { Qr } from "../components/Qr";

/** The address to receive on, with a QR code and the chain to use. */
export function Receive({ account }: { account: Account }) {
  const { backend, t } = useEnv();
  const [chains, setChains] = useState<ChainView[]>([]);
  const [chainId, setChainId] = useState<number | null>(null);
  const [notYours, setNotYours] = useState<string[]>([]);
  useEffect(() => {
    // A chain where another key owns (or would own) this address is never offered.
    Promise.all([backend.chains(), backend.alerts(account.address).catch(() => [])])
      .then(([c, alerts]) => {
        const blocked = new Set(alerts.filter((a) => a.kind !== "pending").map((a) => a.chainId));
        const usable = c.filter((x) => x.bundlerUrl && !blocked.has(x.chainId));
        setChains(usable);
        setNotYours(c.filter((x) => blocked.has(x.chainId)).map((x) => x.name));
        setChainId(usable[0]?.chainId ?? null);
      })
      .catch(() => setChains([]));
  }, [backend, account.address]);
  const chain = chains.find((c) => c.chainId === chainId);
  // EIP-681 payment link: wallets that scan it pick the right chain.
  const qrText = chain ? `ethereum:${account.address}@${chain.chainId}` : account.address;
  return (
    <section>
      <h1>{t("receive.title")}</h1>
      <label>
        {t("receive.chain")}
        <select value={chainId ?? ""} onChange={(e) => setChainId(Number(e.target.value))}>
          {chains.map((c) => (
            <option key={c.chainId} value={c.chainId}>
              {c.name}
            </option>
          ))}
        </select>
      </label>
      <div className="card address-card">
        <div>
          <p>{t("receive.intro", { chain: chain?.name ?? "" })}</p>
          <Copyable text={account.address} testId="receive-address" />
          <p className="hint">{t("receive.warning")}</p>
          {notYours.length > 0 && (
            <p className="warning" data-testid="receive-not-yours">
              {t("receive.notYours", { chains: notYours.join(", ") })}
            </p>
          )}
        </div>
        <Qr text={qrText} label={t("receive.qr")} />
      </div>
    </section>
  );
}
