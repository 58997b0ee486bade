/**
 * enqueue-document: the quick acknowledgement after a file was uploaded straight to
 * Storage. Two callers:
 * - the client, POST {"document_id": "<uuid>"} with the user's access token. The user's
 *   part runs as the user under RLS, so "is this document the caller's" is the database's
 *   answer: another user's document is as missing as one that does not exist (404 either
 *   way), and one the user may only read (a viewer, a provider) is a 403. Then, as the service, private.queue_upload queues it.
 * - a Supabase database webhook on INSERT into storage.objects (or public.documents),
 *   sent with one of the project's secret keys: the document the new object belongs to is
 *   queued. Where a trigger on storage.objects is permitted the migrations queue it
 *   already; the webhook is for where it is not, and either way nothing is queued twice.
 *
 * private.queue_upload is the one place an upload becomes queued, with its process_document
 * job. A document already past `uploaded` (a trigger or an earlier call queued it) answers
 * 200 with its status, so calling twice is harmless; a fresh queueing answers 202. Each
 * call that reaches a document is recorded in the audit trail (document.enqueue).
 */
import { audit, requestIdOf } from '../_shared/audit.ts';
import { verifyCaller } from '../_shared/auth.ts';
import { json } from '../_shared/cors.ts';
import { asService, asUser, becomeService, type PoolClient } from '../_shared/database.ts';
import { handler, jsonBody, UUID } from '../_shared/handler.ts';
import { Problem } from '../_shared/problem.ts';

const BUCKET = 'documents';

interface Outcome {
  document_id: string | null;
  status: string | null;
  queued: boolean;
}

interface Acting {
  /** The signed-in user; null for the project itself. */
  actor: string | null;
  requestId: string;
}

/** As the service: queue the document if it is still `uploaded`, say where it stands, and record it in the audit trail. */
async function queue(client: PoolClient, documentId: string, acting: Acting): Promise<Outcome> {
  const queued = (await client.query<{ queued: boolean }>('select private.queue_upload($1::uuid) as queued', [documentId])).rows[0]?.queued ?? false;
  const now = (await client.query<{ status: string; profile_id: string }>('select status, profile_id from public.documents where id = $1::uuid', [documentId])).rows[0];
  await audit(client, acting.requestId, {
    actor: acting.actor, action: 'document.enqueue', profileId: now?.profile_id ?? null, resourceType: 'document', resourceId: documentId, details: { queued },
  });
  return { document_id: documentId, status: now?.status ?? null, queued };
}

function documentIdOf(body: Record<string, unknown>): string {
  const documentId = body.document_id;
  if (typeof documentId !== 'string' || !UUID.test(documentId)) throw new Problem(400, 'validation_failed', 'document_id must be a uuid');
  return documentId;
}

/** What a database webhook names: a new object in the documents bucket, or a new document row. */
function webhookTarget(body: Record<string, unknown>): { storagePath: string } | { documentId: string } | null {
  const record = body.record;
  if (body.type !== 'INSERT' || record === null || typeof record !== 'object') throw new Problem(400, 'validation_failed', 'expected a database webhook INSERT payload or {"document_id": …}');
  const row = record as Record<string, unknown>;
  if (body.schema === 'storage' && body.table === 'objects') {
    if (row.bucket_id !== BUCKET) return null;
    if (typeof row.name !== 'string' || !row.name) throw new Problem(400, 'validation_failed', 'record.name must be the object\'s path');
    return { storagePath: row.name };
  }
  if (body.schema === 'public' && body.table === 'documents') {
    if (typeof row.id !== 'string' || !UUID.test(row.id)) throw new Problem(400, 'validation_failed', 'record.id must be a uuid');
    return { documentId: row.id };
  }
  throw new Problem(400, 'validation_failed', 'only INSERTs into storage.objects or public.documents are handled');
}

function forService(body: Record<string, unknown>, requestId: string): Promise<Outcome> {
  const target = 'document_id' in body ? { documentId: documentIdOf(body) } : webhookTarget(body);
  if (!target) return Promise.resolve({ document_id: null, status: null, queued: false });
  return asService(async (client) => {
    let documentId: string | undefined;
    if ('documentId' in target) documentId = target.documentId;
    else documentId = (await client.query<{ id: string }>('select id from public.documents where storage_path = $1::text', [target.storagePath])).rows[0]?.id;
    // An object whose row has not arrived yet: the row's own trigger queues it then.
    if (!documentId) return { document_id: null, status: null, queued: false };
    const exists = await client.query('select 1 from public.documents where id = $1::uuid', [documentId]);
    if (!exists.rowCount) throw new Problem(404, 'document_not_found', 'there is no such document');
    return queue(client, documentId, { actor: null, requestId });
  });
}

Deno.serve(handler(['POST'], async (request) => {
  const caller = await verifyCaller(request);
  const body = await jsonBody(request);
  const requestId = requestIdOf(request);
  let outcome: Outcome;
  if (caller.kind === 'service') {
    outcome = await forService(body, requestId);
  } else {
    const documentId = documentIdOf(body);
    outcome = await asUser(caller.claims, async (client) => {
      // Processing is asked for by whoever may add the profile's documents (owners and managers),
      // as the api's POST /api/process-document: a viewer or a provider may read it, not queue it.
      const visible = await client.query<{ editable: boolean }>('select private.can_edit(d.profile_id) as editable from public.documents d where d.id = $1::uuid', [documentId]);
      if (!visible.rows[0]) throw new Problem(404, 'document_not_found', 'there is no such document, or it is not yours');
      if (!visible.rows[0].editable) throw new Problem(403, 'profile_read_only', 'only the owner or a manager of the profile may queue its documents');
      await becomeService(client);
      return queue(client, documentId, { actor: caller.claims.sub, requestId });
    });
  }
  return json(outcome, outcome.queued ? 202 : 200);
}));
