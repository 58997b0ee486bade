/**
 * The worker's wake-up channel: notifications of `guardian_jobs` (job types and counts,
 * never payloads) on the process's one dedicated LISTEN connection. Every (re)connect
 * emits `connected`, which the worker treats as "catch up now": notifications sent
 * while we were away are gone, the job table is not.
 */
import { map, type Observable } from 'rxjs';
import type { DatabaseLink } from '../db/connection.js';
import type { Logger } from '../log.js';
import { listenForNotifications } from './notification-listener.js';
import { JOBS_CHANNEL, type JobsNotification } from './queue/job.js';

export type ListenerEvent =
  | { kind: 'connected' }
  | { kind: 'reconnecting'; attempt: number }
  | { kind: 'jobs'; types: string[]; count: number };

export interface Listener {
  events$: Observable<ListenerEvent>;
  close(): Promise<void>;
}

export const LISTENER_APPLICATION_NAME = 'guardian-listener';

function parseJobsPayload(text: string): JobsNotification | undefined {
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof payload !== 'object' || payload === null) return undefined;
  const { types, count } = payload as { types?: unknown; count?: unknown };
  if (!Array.isArray(types) || !types.every((t) => typeof t === 'string')) return undefined;
  return { types, count: typeof count === 'number' ? count : 0 };
}

/** Listens on the database's session URL (DATABASE_LISTEN_URL): a transaction pooler cannot LISTEN. */
export async function createListener(database: DatabaseLink, log: Logger): Promise<Listener> {
  const listener = await listenForNotifications({
    url: database,
    channel: JOBS_CHANNEL,
    applicationName: LISTENER_APPLICATION_NAME,
    parse: parseJobsPayload,
    log,
  });
  return {
    events$: listener.events$.pipe(
      map((event): ListenerEvent => (event.kind === 'notification' ? { kind: 'jobs', ...event.payload } : event)),
    ),
    close: () => listener.close(),
  };
}
