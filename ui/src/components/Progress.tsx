import type { SendStage } from "../backend";
import { useEnv } from "../context";
import type { Key } from "../i18n";

const ORDER = ["preparing", "sponsoring", "signing", "submitted", "included"] as const;

/** The stages of a send with the current one highlighted. */
export function SendProgress({ stage, sponsored }: { stage: SendStage | null; sponsored: boolean }) {
  const { t } = useEnv();
  const steps = ORDER.filter((s) => sponsored || s !== "sponsoring");
  const current = stage ? steps.indexOf(stage.stage as (typeof ORDER)[number]) : -1;
  return (
    <ol className="progress" aria-label={t("send.progress")}>
      {steps.map((s, i) => (
        <li key={s} className={i < current || stage?.stage === "included" ? "done" : i === current ? "current" : ""}>
          {t(`stage.${s}` as Key)}
        </li>
      ))}
    </ol>
  );
}
