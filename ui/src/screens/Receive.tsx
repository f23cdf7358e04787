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
  useEffect(() => {
    backend.chains().then((c) => {
      const usable = c.filter((x) => x.bundlerUrl);
      setChains(usable);
      setChainId(usable[0]?.chainId ?? null);
    }).catch(() => setChains([]));
  }, [backend]);
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
        </div>
        <Qr text={qrText} label={t("receive.qr")} />
      </div>
    </section>
  );
}
