/** "2 h 05 min 09 s" style countdown for `seconds` (0 when past). */
export function countdown(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${pad(m)}:${pad(r)}` : `${pad(m)}:${pad(r)}`;
}

/** A date and time from Unix seconds, in the interface language. */
export function dateTime(unix: number, language: string): string {
  return new Date(unix * 1000).toLocaleString(language);
}

/** A new id for one send (to match progress events with it). */
export function newSendId(): string {
  return Math.random().toString(36).slice(2) + Date.now().toString(36);
}
