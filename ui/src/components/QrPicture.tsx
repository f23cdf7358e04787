import { useRef, useState } from "react";
import type { ClipboardEvent } from "react";
import { asUiError, type UiError } from "../backend";
import { useEnv } from "../context";

/** Reads a QR code's text from a picture file (the person's screenshot or photo). */
export function QrPicture({ onText, onError, testId }: { onText: (text: string) => void; onError: (e: UiError | null) => void; testId?: string }) {
  const { t } = useEnv();
  const read = useQrReader(onText, onError);
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  return (
    <>
      <input
        ref={input}
        type="file"
        accept="image/png,image/jpeg"
        hidden
        data-testid={testId}
        onChange={async (e) => {
          const file = e.target.files?.[0];
          e.target.value = "";
          if (!file) return;
          setBusy(true);
          await read(file);
          setBusy(false);
        }}
      />
      <button type="button" className="small" disabled={busy} aria-busy={busy} onClick={() => input.current?.click()}>
        {t("qr.fromPicture")}
      </button>
    </>
  );
}

/** A text field's paste handler: a pasted picture (a screenshot copied to the clipboard) is read
 * as a QR code; pasted text goes in as usual. */
export function useQrPaste(onText: (text: string) => void, onError: (e: UiError | null) => void) {
  const read = useQrReader(onText, onError);
  return (e: ClipboardEvent) => {
    const picture = Array.from(e.clipboardData?.files ?? []).find((f) => f.type.startsWith("image/"));
    if (!picture) return;
    e.preventDefault();
    void read(picture);
  };
}

function useQrReader(onText: (text: string) => void, onError: (e: UiError | null) => void) {
  const { backend } = useEnv();
  return async (file: Blob) => {
    onError(null);
    try {
      onText(await backend.readQr(Array.from(await bytesOf(file))));
    } catch (err) {
      onError(asUiError(err));
    }
  };
}

/** The bytes of a file (FileReader: the component tests' DOM has no `Blob.arrayBuffer`). */
function bytesOf(file: Blob): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(new Uint8Array(reader.result as ArrayBuffer));
    reader.onerror = () => reject(reader.error);
    reader.readAsArrayBuffer(file);
  });
}
