import { useEffect, useState } from "react";
import type { Account, ActivityEntry, UiError } from "../backend";
import { asUiError } from "../backend";
import { useEnv } from "../context";
import { ErrorBox } from "../components/ErrorBox";
import { dateTime } from "../format";
import type { Key } from "../i18n";

/** Past operations with their status, amounts and gas. */
export function Activity({ account }: { account: Account }) {
  const { backend, t, language } = useEnv();
  const [items, setItems] = useState<ActivityEntry[] | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  useEffect(() => {
    backend.activity(account.address).then(setItems).catch((e) => setError(asUiError(e)));
  }, [backend, account.address]);
  return (
    <section>
      <h1>{t("activity.title")}</h1>
      <ErrorBox error={error} />
      {items && items.length === 0 && <p>{t("activity.empty")}</p>}
      <ul className="activity" data-testid="activity-list">
        {items?.map((a) => (
          <li key={a.id} className={`card status-${a.status}`}>
            <div className="row">
              <strong>
                {a.amount && a.symbol && a.to
                  ? t("activity.sent", { amount: a.amount, symbol: a.symbol, to: a.to })
                  : a.description}
              </strong>
              <span className="badge">{t(`activity.status.${a.status}` as Key)}</span>
            </div>
            <div className="hint">
              {a.chainName} · {dateTime(a.createdAt, language)}
              {a.gasCost &&
                " · " +
                  (a.sponsor
                    ? t("activity.gasSponsored", { gas: a.gasCost, symbol: a.gasSymbol, sponsor: a.sponsor })
                    : t("activity.gasPaid", { gas: a.gasCost, symbol: a.gasSymbol }))}
            </div>
            {a.error && <div className="error">{a.error}</div>}
            {a.explorerUrl && (
              <a href={a.explorerUrl} target="_blank" rel="noreferrer">
                {t("activity.explorer")}
              </a>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
