/**
 * public.quick_search marks each match in a snippet with U+0002 … U+0003 (no document text
 * carries them); clients get parts instead, so nobody renders document text as HTML.
 * The same as the api's snippetParts (src/http/api/search.ts): a deployed function
 * cannot import the api's code, and a test checks the two agree.
 */
const MATCH_START = '\u0002';
const MATCH_END = '\u0003';

export interface SnippetPart {
  text: string;
  match: boolean;
}

export function snippetParts(marked: string): SnippetPart[] {
  const parts: SnippetPart[] = [];
  let rest = marked;
  while (rest.length > 0) {
    const start = rest.indexOf(MATCH_START);
    if (start === -1) {
      parts.push({ text: rest, match: false });
      break;
    }
    if (start > 0) parts.push({ text: rest.slice(0, start), match: false });
    const end = rest.indexOf(MATCH_END, start + 1);
    const matched = rest.slice(start + 1, end === -1 ? undefined : end);
    if (matched) parts.push({ text: matched, match: true });
    rest = end === -1 ? '' : rest.slice(end + 1);
  }
  return parts;
}
