/**
 * Errors as RFC 9457 problem details with the api's stable codes and titles
 * (src/http/problem-types.ts; a test checks they agree), so a client handles a function's answer as it handles the
 * api's. `detail` never carries health data or any part of a token.
 */
import { corsHeaders } from './cors.ts';

const TITLES = {
  token_missing: 'Sign-in required',
  token_malformed: 'Token malformed',
  token_invalid: 'Token invalid',
  token_expired: 'Token expired',
  token_wrong_audience: 'Token for another audience',
  token_role_invalid: 'Token role invalid',
  auth_unavailable: 'Sign-in keys unavailable',
  validation_failed: 'Validation failed',
  document_not_found: 'Document not found',
  profile_not_found: 'Profile not found',
  profile_read_only: 'Profile read-only for you',
  method_not_allowed: 'Method not allowed',
  database_unavailable: 'Database briefly unavailable',
  internal_error: 'Internal server error',
} as const;

export type ProblemCode = keyof typeof TITLES;

export class Problem extends Error {
  override readonly name = 'Problem';
  constructor(
    readonly status: number,
    readonly code: ProblemCode,
    /** What was wrong with this request, for a person to read. */
    detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

export function problemResponse(problem: Problem): Response {
  const body = { type: `/problems/${problem.code}`, title: TITLES[problem.code], status: problem.status, detail: problem.message, code: problem.code };
  const headers: Record<string, string> = { ...corsHeaders, ...problem.headers, 'Content-Type': 'application/problem+json' };
  if (problem.status === 401 && !headers['WWW-Authenticate']) headers['WWW-Authenticate'] = 'Bearer realm="guardian"';
  return new Response(JSON.stringify(body), { status: problem.status, headers });
}
