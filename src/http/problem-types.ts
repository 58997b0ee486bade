/**
 * Every problem code the api answers with, in one catalogue: its status, a short stable
 * title, what it means and what to do. The problem+json `type` of each answer points at
 * its page here (`/problems/<code>`, rendered by routes/problem-pages.ts), so a client
 * developer who meets a code can read what it means without searching the source.
 *
 * `HttpProblem` accepts only codes of this catalogue (its type is `ProblemCode`), and a
 * test reads the source for every code raised any other way (auth errors, the fallbacks
 * for errors from Koa and its middleware) and checks each one is here.
 */

export interface ProblemType {
  status: number;
  /** Short and stable: the same for every answer with this code (RFC 9457 `title`). */
  title: string;
  /** What happened, in a sentence or two. */
  meaning: string;
  /** What the client (or the person using it) can do about it. */
  action: string;
}

const catalogue = {
  // --- the request itself ------------------------------------------------------------------
  bad_request: {
    status: 400, title: 'Bad request',
    meaning: 'The request could not be read: a body that is not valid JSON, or another malformed part.',
    action: 'Check the request against the API reference (/docs) and send it again.',
  },
  validation_failed: {
    status: 400, title: 'Validation failed',
    meaning: 'A path parameter, query parameter or body field is missing or not valid. The `errors` member lists each one with where it is (`in`), its `path` and a message.',
    action: 'Correct the fields listed in `errors` and send the request again.',
  },
  invalid_input: {
    status: 400, title: 'Invalid input',
    meaning: 'A value passed validation but the database cannot hold it: out of range, malformed, or containing a NUL character.',
    action: 'Send a value within the documented range and format.',
  },
  not_acceptable: {
    status: 406, title: 'Not acceptable',
    meaning: 'The Accept header asks for a format this endpoint cannot produce.',
    action: 'Ask for one of the formats the detail names (for reports: application/json or text/html).',
  },
  payload_too_large: {
    status: 413, title: 'Payload too large',
    meaning: 'The body (a JSON body, or an uploaded file) is larger than this api accepts.',
    action: 'Send a smaller file or body; for uploads, `max_bytes` says the limit.',
  },
  unsupported_media_type: {
    status: 415, title: 'Unsupported media type',
    meaning: 'The body or the uploaded file is of a type this endpoint does not take.',
    action: 'Upload a PDF or an image of a supported type; send JSON bodies as application/json.',
  },
  multipart_required: {
    status: 415, title: 'Multipart form required',
    meaning: 'Uploads are sent as multipart/form-data with one file part.',
    action: 'Send the document as multipart/form-data, e.g. `curl -F file=@report.pdf …`.',
  },
  upload_malformed: {
    status: 400, title: 'Upload malformed',
    meaning: 'The multipart body is malformed, has no boundary, or was interrupted before it ended.',
    action: 'Send the upload again; if it keeps failing, let your HTTP client build the multipart body.',
  },
  file_missing: {
    status: 400, title: 'File missing',
    meaning: 'The upload form has no file part.',
    action: 'Add the document as the form field `file`.',
  },
  file_empty: {
    status: 400, title: 'File empty',
    meaning: 'The uploaded file has no content.',
    action: 'Choose the document again; it may not have been saved completely.',
  },
  field_too_large: {
    status: 400, title: 'Form field too large',
    meaning: 'A form field other than the file is larger than the api accepts.',
    action: 'Send only the file part.',
  },
  too_many_fields: {
    status: 400, title: 'Too many form fields',
    meaning: 'The upload form has more fields than the api accepts.',
    action: 'Send only the file part.',
  },
  too_many_files: {
    status: 400, title: 'Too many files',
    meaning: 'An upload carries one document.',
    action: 'Upload each document on its own.',
  },
  method_not_allowed: {
    status: 405, title: 'Method not allowed',
    meaning: 'The path exists but does not take this HTTP method.',
    action: 'Use one of the methods in the Allow header.',
  },
  not_found: {
    status: 404, title: 'Not found',
    meaning: 'No route answers this method and path.',
    action: 'Check the path against the API reference (/docs).',
  },
  rate_limited: {
    status: 429, title: 'Too many requests',
    meaning: 'This user or address sent more requests in the last minute than the api allows.',
    action: 'Wait the number of seconds in the Retry-After header, then retry.',
  },

  // --- signing in ----------------------------------------------------------------------------
  unauthorized: {
    status: 401, title: 'Unauthorized',
    meaning: 'The request needs credentials it did not carry, or they were not accepted.',
    action: 'Sign in and send the access token as `Authorization: Bearer <token>`.',
  },
  token_missing: {
    status: 401, title: 'Sign-in required',
    meaning: 'The endpoint needs an access token and the request carried none.',
    action: 'Sign in and send the access token as `Authorization: Bearer <token>`.',
  },
  token_malformed: {
    status: 401, title: 'Token malformed',
    meaning: 'The Authorization header or the token in it is not well formed (not a Bearer token, or not a JWT).',
    action: 'Send `Authorization: Bearer <token>` with the access token exactly as the sign-in returned it.',
  },
  token_invalid: {
    status: 401, title: 'Token invalid',
    meaning: 'The token could not be verified: its signature, signing key, issuer or claims are not this project\'s.',
    action: 'Sign in again to this project to get a fresh token.',
  },
  token_expired: {
    status: 401, title: 'Token expired',
    meaning: 'The access token is past its expiry time.',
    action: 'Refresh the session (or sign in again) and retry with the new token.',
  },
  token_wrong_audience: {
    status: 401, title: 'Token for another audience',
    meaning: 'The token was issued for another audience than this api expects.',
    action: 'Use a user access token of this project.',
  },
  token_role_invalid: {
    status: 401, title: 'Token role invalid',
    meaning: 'The token\'s role is not one this api knows (anon, authenticated, service_role).',
    action: 'Use a user access token or a key of this project.',
  },
  user_not_found: {
    status: 401, title: 'Account not found',
    meaning: 'The token is valid but the account it names does not exist (any more).',
    action: 'Sign in again with an existing account.',
  },
  function_unavailable: {
    status: 503, title: 'Edge Function unavailable',
    meaning: 'The local Edge Function runtime (Deno) could not start or answer this function just now.',
    action: 'Retry shortly; the api\'s log says why the function could not start.',
  },
  auth_unavailable: {
    status: 503, title: 'Sign-in keys unavailable',
    meaning: 'The token may be fine, but the keys that verify it could not be fetched just now.',
    action: 'Retry after the number of seconds in the Retry-After header; the session stays valid.',
  },

  // --- permissions -----------------------------------------------------------------------------
  forbidden: {
    status: 403, title: 'Forbidden',
    meaning: 'The caller is signed in but may not do this.',
    action: 'Ask someone who may (the profile\'s owner) to do it, or to give you access.',
  },
  role_not_allowed: {
    status: 403, title: 'Role not allowed',
    meaning: 'The endpoint is for signed-in people; the token has another role (anon, service_role).',
    action: 'Call it with a user access token.',
  },
  service_role_required: {
    status: 403, title: 'Service role required',
    meaning: 'The endpoint is for the operators of the service only.',
    action: 'Call it with the service role key, from the server side only.',
  },
  profile_read_only: {
    status: 403, title: 'Profile read-only for you',
    meaning: 'You can see this profile but not change it: only its owner or a manager can.',
    action: 'Ask the profile\'s owner to make you a manager, or to make the change.',
  },
  owner_only: {
    status: 403, title: 'Owner only',
    meaning: 'Only the profile\'s owner may do this (invite people, grant providers access, read who accessed it).',
    action: 'Ask the profile\'s owner.',
  },
  alert_read_only: {
    status: 403, title: 'Alert read-only for you',
    meaning: 'Only the owner or a manager of the profile may acknowledge or dismiss its alerts.',
    action: 'Ask the profile\'s owner or a manager.',
  },
  not_a_provider: {
    status: 403, title: 'Not a provider',
    meaning: 'The provider portal is for accounts in the provider directory.',
    action: 'Sign in with a provider account.',
  },
  category_not_granted: {
    status: 403, title: 'Category not granted',
    meaning: 'Your access grant to this profile does not include this category of records.',
    action: 'Ask the profile\'s owner to extend the grant.',
  },

  // --- things that are not there (or not shared with you) ------------------------------------
  profile_not_found: {
    status: 404, title: 'Profile not found',
    meaning: 'There is no such profile, or it is not shared with you: both answer the same, so nobody learns which profiles exist.',
    action: 'Check the profile id (GET /api/profiles lists yours).',
  },
  document_not_found: {
    status: 404, title: 'Document not found',
    meaning: 'There is no such document, or it is not shared with you.',
    action: 'Check the document id (the profile\'s document list has them).',
  },
  document_file_missing: {
    status: 404, title: 'Document file missing',
    meaning: 'The document\'s record exists but its file is no longer stored.',
    action: 'Upload the document again.',
  },
  series_not_found: {
    status: 404, title: 'Lab series not found',
    meaning: 'This profile has no lab series with that key, or it is not shared with you.',
    action: 'Take the key from the journey\'s `lab_series`.',
  },
  alert_not_found: {
    status: 404, title: 'Alert not found',
    meaning: 'There is no such alert, or it is not shared with you.',
    action: 'Check the alert id (the profile\'s alert list has them).',
  },
  grant_not_found: {
    status: 404, title: 'Access grant not found',
    meaning: 'There is no such access grant, or it is not yours to see.',
    action: 'Check the grant id (the profile\'s grant list has them).',
  },
  invitation_not_found: {
    status: 404, title: 'Invitation not found',
    meaning: 'There is no open invitation for your account with that id.',
    action: 'Ask for a new invitation; it must be for the account you are signed in with.',
  },
  provider_not_found: {
    status: 400, title: 'Provider not found',
    meaning: 'No provider with that id is in the directory.',
    action: 'Search the directory (GET /api/providers) and use an id from it.',
  },
  job_not_found: {
    status: 404, title: 'Job not found',
    meaning: 'There is no job with that id (completed jobs are removed from the queue).',
    action: 'Check the job id.',
  },

  // --- state ---------------------------------------------------------------------------------
  document_processing: {
    status: 409, title: 'Document being processed',
    meaning: 'The document is being read right now, so it cannot be changed or deleted yet.',
    action: 'Try again when its status is processed or failed.',
  },
  alert_not_live: {
    status: 409, title: 'Alert no longer open',
    meaning: 'The alert was resolved or dismissed already.',
    action: 'Reload the alerts; nothing else is needed.',
  },
  grant_not_live: {
    status: 409, title: 'Access grant no longer live',
    meaning: 'The grant expired or was revoked and cannot change.',
    action: 'Create a new grant.',
  },
  job_wrong_state: {
    status: 409, title: 'Job in the wrong state',
    meaning: 'Only failed jobs can be retried, and only pending or failed jobs cancelled.',
    action: 'Read the job\'s state first (GET /api/admin/queue).',
  },

  // --- our side --------------------------------------------------------------------------------
  internal_error: {
    status: 500, title: 'Internal server error',
    meaning: 'Something failed on the server. The details went to the server\'s log, never to the answer.',
    action: 'Retry later; when reporting it, quote the `request_id`.',
  },
  document_file_corrupt: {
    status: 500, title: 'Document file corrupt',
    meaning: 'The stored file no longer matches the checksum taken when it was uploaded.',
    action: 'Upload the document again, and report it with the `request_id`.',
  },
  database_unavailable: {
    status: 503, title: 'Database briefly unavailable',
    meaning: 'The connection to the database went away under the request (a restart or a failover).',
    action: 'Retry after the number of seconds in the Retry-After header.',
  },
} as const satisfies Record<string, ProblemType>;

export type ProblemCode = keyof typeof catalogue;

export const PROBLEM_TYPES: Readonly<Record<ProblemCode, ProblemType>> = catalogue;

export const PROBLEM_CODES = Object.keys(catalogue) as ProblemCode[];

export function isProblemCode(code: unknown): code is ProblemCode {
  return typeof code === 'string' && Object.hasOwn(catalogue, code);
}

/**
 * The `type` of a problem: a path on this api (RFC 9457 allows a relative reference,
 * resolved against the request's URL), so it resolves wherever the api is deployed and
 * stays the same string in every environment.
 */
export function problemTypeUri(code: ProblemCode): string {
  return `/problems/${code}`;
}
