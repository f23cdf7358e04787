import { useState } from "react";
import type { UiError } from "../backend";
import { useEnv } from "../context";
import type { Key } from "../i18n";

/** An error as a sentence, what to do next, and the engine's detail on request. */
export function ErrorBox({ error }: { error: UiError | null }) {
  const { t } = useEnv();
  const [open, setOpen] = useState(false);
  if (!error) return null;
  const words = error.wordPositions.length
    ? " " + t("error.wordPositions", { positions: error.wordPositions.join(", ") })
    : "";
  return (
    <div className="error" role="alert">
      <strong>{t(`error.${error.kind}` as Key)}</strong>
      {words}
      <div>{t(`error.${error.kind}.next` as Key)}</div>
      <button type="button" className="link" onClick={() => setOpen(!open)}>
        {open ? t("common.hideDetails") : t("common.showDetails")}
      </button>
      {open && <pre className="detail">{error.message}</pre>}
    </div>
  );
}
