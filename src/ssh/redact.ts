/** Replaces every occurrence of each secret with `***`. Longest first, so a secret containing another is hidden whole. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...secrets].filter((s) => s.length > 0).sort((a, b) => b.length - a.length)) out = out.split(s).join('***');
  return out;
}
