import { useState } from "react";
import { useEnv } from "../context";

/** Text shown in full with a copy button. */
export function Copyable({ text, testId }: { text: string; testId?: string }) {
  const { t } = useEnv();
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const area = document.createElement("textarea");
      area.value = text;
      document.body.appendChild(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  return (
    <div className="copyable">
      <code data-testid={testId}>{text}</code>
      <button type="button" onClick={copy}>
        {copied ? t("common.copied") : t("common.copy")}
      </button>
    </div>
  );
}
