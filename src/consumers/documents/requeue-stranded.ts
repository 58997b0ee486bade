/**
 * Uploads stranded between their two steps: the api inserts the document row as the
 * user, then queues its job as the service (the user may not write the queue). A
 * process that dies in between leaves a row 'uploaded' with no job. This sweep (cron
 * and the worker's timer) queues them; five minutes is far longer than the gap lasts
 * (milliseconds) and short enough that nobody waits long.
 */
import type { Pool } from '../../db/pool.js';
import { inTransaction } from '../../db/transaction.js';
import type { Logger } from '../../log.js';
import { enqueue } from '../../events/queue/enqueue.js';
import { PROCESS_DOCUMENT } from './process-document.js';

export async function requeueStrandedUploads(pool: Pool, olderThanSeconds = 300): Promise<number> {
  return inTransaction(pool, async (client) => {
    const { rows } = await client.query<{ id: string }>(
      `update public.documents d set status = 'queued'
       where d.id in (
         select s.id from public.documents s
         where s.status = 'uploaded' and s.created_at < now() - make_interval(secs => $1::int)
           and not exists (select 1 from public.job_queue q
                           where q.type = $2::text and q.dedupe_key = s.id::text and q.status in ('pending', 'processing'))
         order by s.created_at limit 500
         for update skip locked)
       returning d.id`,
      [olderThanSeconds, PROCESS_DOCUMENT],
    );
    for (const { id } of rows) await enqueue(client, PROCESS_DOCUMENT, { document_id: id }, { dedupeKey: id });
    return rows.length;
  });
}

/** The sweep as timers and the cron job run it: logs, never throws; false when it failed. */
export async function strandedUploadSweep(pool: Pool, log: Logger): Promise<boolean> {
  try {
    const queued = await requeueStrandedUploads(pool);
    if (queued > 0) log.warn({ queued }, 'queued uploads that had no job');
    return true;
  } catch (error) {
    log.warn({ err: { message: (error as Error).message } }, 'stranded upload sweep failed');
    return false;
  }
}
