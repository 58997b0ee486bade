/**
 * enqueue-document: the quick acknowledgement after a client uploaded a file straight to
 * Storage. POST {"document_id": "<uuid>"} with the user's access token.
 *
 * The user's part runs as the user under RLS, so "is this document the caller's" is the
 * database's answer: another user's document is as missing as one that does not exist
 * (404 either way). Then, as the service, private.queue_upload queues it with its
 * process_document job — the one place an upload becomes queued. A document already past
 * `uploaded` (a trigger or an earlier call queued it) answers 200 with its status, so
 * calling twice is harmless.
 */
import { verifyUser } from '../_shared/auth.ts';
import { json } from '../_shared/cors.ts';
import { asUser, becomeService } from '../_shared/database.ts';
import { handler, jsonBody, UUID } from '../_shared/handler.ts';
import { Problem } from '../_shared/problem.ts';

Deno.serve(handler(['POST'], async (request) => {
  const claims = await verifyUser(request);
  const body = await jsonBody(request);
  const documentId = body.document_id;
  if (typeof documentId !== 'string' || !UUID.test(documentId)) {
    throw new Problem(400, 'validation_failed', 'document_id must be a uuid');
  }
  const answer = await asUser(claims, async (client) => {
    const visible = await client.query<{ status: string }>('select status from public.documents where id = $1::uuid', [documentId]);
    if (!visible.rows[0]) throw new Problem(404, 'document_not_found', 'there is no such document, or it is not yours');
    await becomeService(client);
    const queued = (await client.query<{ queued: boolean }>('select private.queue_upload($1::uuid) as queued', [documentId])).rows[0].queued;
    const now = (await client.query<{ status: string }>('select status from public.documents where id = $1::uuid', [documentId])).rows[0];
    return { queued, status: now.status };
  });
  return json({ document_id: documentId, status: answer.status, queued: answer.queued }, answer.queued ? 202 : 200);
}));
