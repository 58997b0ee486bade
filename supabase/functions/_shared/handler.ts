/**
 * What every function does around its own work: the CORS preflight, the methods it
 * accepts, and turning a thrown Problem (or anything else) into problem+json. The log
 * line of an unexpected error names its kind only: messages may quote database values.
 */
import { preflight } from './cors.ts';
import { Problem, problemResponse } from './problem.ts';

export function handler(methods: string[], work: (request: Request) => Promise<Response>): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method === 'OPTIONS') return preflight();
    try {
      if (!methods.includes(request.method)) {
        throw new Problem(405, 'method_not_allowed', `use ${methods.join(' or ')}`, { Allow: [...methods, 'OPTIONS'].join(', ') });
      }
      return await work(request);
    } catch (error) {
      if (error instanceof Problem) return problemResponse(error);
      const sqlState = (error as { code?: unknown } | null)?.code;
      console.error(JSON.stringify({ msg: 'request failed', error: error instanceof Error ? error.name : typeof error, sql_state: typeof sqlState === 'string' ? sqlState : undefined }));
      return problemResponse(new Problem(500, 'internal_error', 'the function failed; retry later'));
    }
  };
}

/** The request's JSON body (an object), or a 400 validation_failed. */
export async function jsonBody(request: Request): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    throw new Problem(400, 'validation_failed', 'the body must be a JSON object');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new Problem(400, 'validation_failed', 'the body must be a JSON object');
  return body as Record<string, unknown>;
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
