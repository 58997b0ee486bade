/**
 * Wording helpers shared by the evaluators: summaries must fit the CDS Hooks card
 * limit (140 characters), and numbers read the way a lab report prints them.
 */

export const SUMMARY_LIMIT = 140;

/** `text` cut to `limit` characters, ending in an ellipsis when it was cut. */
export function clip(text: string, limit = SUMMARY_LIMIT): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  if (clean.length <= limit) return clean;
  return `${clean.slice(0, limit - 1).trimEnd()}…`;
}

export const capitalise = (text: string) => (text ? text[0]!.toUpperCase() + text.slice(1) : text);

/** Up to 4 significant digits, no float noise: 5.4951 → "5.495", 88.4017 → "88.4", 120 → "120". */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  const rounded = abs >= 1000 ? Math.round(value) : Number(value.toPrecision(4));
  return String(rounded);
}

export const withUnit = (value: number, unit: string | null) => (unit ? `${formatNumber(value)} ${unit}` : formatNumber(value));

/** "a", "a and b", "a, b and c". */
export function joinWords(words: readonly string[]): string {
  if (words.length <= 1) return words[0] ?? '';
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

/** Markdown-safe: a record's free text must not become a link or heading in the detail. */
export function escapeMarkdown(text: string): string {
  return text.replace(/([\\`*_[\]#|<>])/g, '\\$1');
}
