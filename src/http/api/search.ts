/**
 * Quick search: GET /api/search. What the family's documents say (each page's OCR text),
 * their names and the records read from them, ranked, with the matching words marked.
 * public.quick_search runs as the caller, so every table's row-level security decides
 * what is found: a member searches their profiles, a provider the categories of a live
 * grant, nobody anything else.
 */
import { z } from 'zod';
import { defineRoute, type AnyRoute } from '../route.js';
import { requireVisibleProfile } from './common.js';

export const SEARCH_KINDS = ['document', 'page', 'observation', 'medication', 'condition', 'allergy', 'immunization', 'encounter', 'procedure'] as const;

const SEARCH_DEFAULT_LIMIT = 20;
const SEARCH_MAX_LIMIT = 50;

/** The database marks each match with these (see the migration); no document text carries them. */
const MATCH_START = '\u0002';
const MATCH_END = '\u0003';

const snippetPart = z.object({ text: z.string(), match: z.boolean() });

export const searchResultSchema = z.object({
  kind: z.enum(SEARCH_KINDS).describe('a document (by its name), a page of one (by its text), or a record read from one'),
  id: z.uuid().describe('the document for document and page results, else the record'),
  profile_id: z.uuid(),
  document_id: z.uuid().nullable().describe('the document it came from; null for a record entered by hand'),
  page: z.number().int().nullable(),
  title: z.string(),
  snippet: z.array(snippetPart).describe('the text around the match, in parts; parts with match true are the words searched for'),
  rank: z.number(),
});
export type SearchResult = z.infer<typeof searchResultSchema>;

/** "a \u0002b\u0003 c" → [{a, false}, {b, true}, {c, false}]: structure, not markup, so a client never renders document text as HTML. */
export function snippetParts(marked: string): SearchResult['snippet'] {
  const parts: SearchResult['snippet'] = [];
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

interface SearchRow {
  kind: SearchResult['kind']; id: string; profile_id: string; document_id: string | null; page: number | null; title: string; snippet: string; rank: number;
}

export function searchRoutes(): AnyRoute[] {
  return [
    defineRoute({
      method: 'get', path: '/api/search', operationId: 'quickSearch', tags: ['search'], auth: 'user',
      summary: 'Search the profiles you may read: document text and names, and the records read from them; ranked, with the matches marked',
      query: z.object({
        q: z.string().trim().min(1).max(200).describe('words to find; each matches as a prefix ("chol" finds cholesterol)'),
        profile_id: z.uuid().optional().describe('only this profile'),
        limit: z.coerce.number().int().min(1).max(SEARCH_MAX_LIMIT).default(SEARCH_DEFAULT_LIMIT),
      }),
      responses: { 200: { description: 'the best matches you may read, best first', schema: z.object({ results: z.array(searchResultSchema) }) } },
      async handle(ctx) {
        const { q, profile_id: profileId, limit } = ctx.query;
        // The words searched for may themselves be health data: counted, never kept.
        const entry = { action: 'search.query', profileId: profileId ?? null, resourceType: 'search', details: { results: 0 } };
        ctx.audit(entry);
        const rows = await ctx.db(async (c) => {
          if (profileId) await requireVisibleProfile(c, profileId);
          return (await c.query<SearchRow>('select * from public.quick_search($1::text, $2::uuid, $3::int)', [q, profileId ?? null, limit])).rows;
        });
        entry.details.results = rows.length;
        ctx.koa.body = { results: rows.map((row) => ({ ...row, rank: Math.round(row.rank * 1e4) / 1e4, snippet: snippetParts(row.snippet) })) };
      },
    }),
  ];
}
