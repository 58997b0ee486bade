/**
 * quick-search: the api's GET /api/search as an Edge Function, with the same answer
 * (`{results: [...]}`, snippets in parts). GET ?q=…&profile_id=…&limit=…, or POST the same
 * as a JSON body (supabase-js' functions.invoke posts).
 *
 * public.quick_search runs as the user, so row-level security decides what is found: a
 * member searches their profiles, a provider the categories of a live grant, nobody
 * anything else. The words searched for may be health data: never logged.
 */
import { audit, requestIdOf } from '../_shared/audit.ts';
import { verifyUser } from '../_shared/auth.ts';
import { json } from '../_shared/cors.ts';
import { asUser, becomeService } from '../_shared/database.ts';
import { handler, jsonBody, UUID } from '../_shared/handler.ts';
import { Problem } from '../_shared/problem.ts';
import { snippetParts } from '../_shared/snippet.ts';

// As the api's route.
const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 50;
const MAX_QUERY_LENGTH = 200;

interface SearchInput {
  q: string;
  profileId: string | null;
  limit: number;
}

interface SearchRow {
  kind: string; id: string; profile_id: string; document_id: string | null; page: number | null; title: string; snippet: string; rank: number;
}

function invalid(detail: string): Problem {
  return new Problem(400, 'validation_failed', detail);
}

function searchInput(raw: Record<string, unknown>): SearchInput {
  const q = typeof raw.q === 'string' ? raw.q.trim() : '';
  if (q.length < 1 || q.length > MAX_QUERY_LENGTH) throw invalid(`q must be 1 to ${MAX_QUERY_LENGTH} characters`);
  const profile = raw.profile_id ?? null;
  if (profile !== null && (typeof profile !== 'string' || !UUID.test(profile))) throw invalid('profile_id must be a uuid');
  const rawLimit = raw.limit ?? DEFAULT_LIMIT;
  const limit = typeof rawLimit === 'string' && /^\d+$/.test(rawLimit) ? Number(rawLimit) : rawLimit;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw invalid(`limit must be a whole number from 1 to ${MAX_LIMIT}`);
  return { q, profileId: profile, limit };
}

async function readInput(request: Request): Promise<SearchInput> {
  if (request.method === 'GET') {
    const params = new URL(request.url).searchParams;
    const raw: Record<string, unknown> = {};
    for (const key of ['q', 'profile_id', 'limit']) {
      const value = params.get(key);
      if (value !== null && value !== '') raw[key] = value;
    }
    return searchInput(raw);
  }
  return searchInput(await jsonBody(request));
}

Deno.serve(handler(['GET', 'POST'], async (request) => {
  const claims = await verifyUser(request);
  const { q, profileId, limit } = await readInput(request);
  const rows = await asUser(claims, async (client) => {
    if (profileId) {
      const visible = await client.query('select 1 from public.profiles where id = $1::uuid', [profileId]);
      if (!visible.rowCount) throw new Problem(404, 'profile_not_found', 'there is no such profile, or it is not shared with you');
    }
    const found = (await client.query<SearchRow>('select * from public.quick_search($1::text, $2::uuid, $3::int)', [q, profileId, limit])).rows;
    // The words searched for may themselves be health data: counted, never kept.
    await becomeService(client);
    await audit(client, requestIdOf(request), { actor: claims.sub, action: 'search.query', profileId, resourceType: 'search', details: { results: found.length } });
    return found;
  });
  return json({ results: rows.map((row) => ({ ...row, rank: Math.round(Number(row.rank) * 1e4) / 1e4, snippet: snippetParts(row.snippet) })) });
}));
