/**
 * The process's one LISTEN connection, as an Observable of typed events.
 *
 * pg-listen holds a dedicated connection (a pooled one cannot LISTEN: notifications
 * arrive on the session that asked) and re-establishes it after any loss, here with
 * exponential backoff and full jitter (100 ms doubling to 10 s) so a fleet of workers
 * does not reconnect in lockstep after a database restart, and with no deadline:
 * a worker should outlive any outage. Every (re)connect emits `connected`, which
 * consumers treat as "catch up now": notifications sent while we were away are
 * gone, the job table is not.
 */
import pgListen, { type Subscriber } from 'pg-listen';
import { Observable, share, Subject } from 'rxjs';
import type { Logger } from '../log.js';
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

export function reconnectDelay(attempt: number, random = Math.random): number {
  const ceiling = Math.min(10_000, 100 * 2 ** Math.min(attempt, 20));
  return Math.round(random() * ceiling);
}

function parseJobsPayload(payload: unknown): JobsNotification | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const { types, count } = payload as { types?: unknown; count?: unknown };
  if (!Array.isArray(types) || !types.every((t) => typeof t === 'string')) return undefined;
  return { types, count: typeof count === 'number' ? count : 0 };
}

export async function createListener(url: string, log: Logger): Promise<Listener> {
  const subject = new Subject<ListenerEvent>();
  // pg-listen is CommonJS with `exports.default`; from ESM its function sits on .default.
  const subscriber: Subscriber = pgListen.default(
    // Named so an operator (or a test) can find the session in pg_stat_activity.
    { connectionString: url, application_name: LISTENER_APPLICATION_NAME },
    {
      retryInterval: reconnectDelay,
      retryLimit: Infinity,
      retryTimeout: 0, // never give up
      // Detects a half-open TCP connection that would otherwise silently stop delivering.
      paranoidChecking: 15_000,
    },
  );
  subscriber.events.on('connected', () => {
    log.debug('listener connected');
    subject.next({ kind: 'connected' });
  });
  subscriber.events.on('reconnect', (attempt) => {
    log.warn({ attempt }, 'listener reconnecting');
    subject.next({ kind: 'reconnecting', attempt });
  });
  subscriber.events.on('error', (error) => log.error({ err: { message: error.message } }, 'listener error'));
  subscriber.notifications.on(JOBS_CHANNEL, (payload: unknown) => {
    const parsed = parseJobsPayload(payload);
    if (parsed) subject.next({ kind: 'jobs', ...parsed });
    else log.warn({ channel: JOBS_CHANNEL }, 'ignored a malformed notification');
  });

  await subscriber.connect();
  await subscriber.listenTo(JOBS_CHANNEL);

  return {
    events$: subject.asObservable().pipe(share()),
    async close() {
      subject.complete();
      await subscriber.close();
    },
  };
}
