import type { PaperSharesView } from "../backend";
import { useEnv } from "../context";

/** BIP-39 languages (code, name in itself) a phrase can be restored in. */
export const PHRASE_LANGUAGES: [string, string][] = [
  ["english", "English"],
  ["chinese_simplified", "简体中文"],
  ["chinese_traditional", "繁體中文"],
  ["japanese", "日本語"],
  ["korean", "한국어"],
  ["spanish", "Español"],
  ["french", "Français"],
  ["italian", "Italiano"],
  ["czech", "Čeština"],
  ["portuguese", "Português"],
];

/** Paper shares with what must be written beside each: the phrase's language and first address. */
export function SharesSheet({ paper }: { paper: PaperSharesView }) {
  const { t } = useEnv();
  return (
    <>
      <p className="warning">{t("shares.writeBeside")}</p>
      <dl className="share-facts" data-testid="share-facts">
        <dt>{t("shares.language")}</dt>
        <dd>{paper.languageName}</dd>
        <dt>{t("shares.address")}</dt>
        <dd>
          <code>{paper.firstAddress}</code>
        </dd>
      </dl>
      <ol className="shares" data-testid="paper-shares">
        {paper.shares.map((s: string, i: number) => (
          <li key={i}>
            <code>{s}</code>
          </li>
        ))}
      </ol>
    </>
  );
}
