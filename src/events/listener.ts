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
 *
 * One hole we cover ourselves: when pg-listen 1.7.0's re-LISTEN on its new connection
 * fails, it emits 'error' only, never retrying nor 'connected': a live connection stays
 * deaf for good (the 15 s paranoid `select` passes), a dead one waits for that check.
 * So an 'error' between 'reconnect' and 'connected' starts `recover()`.
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

const quietClose = (sub: Subscriber | undefined) => sub?.close().catch(() => {});

export async function createListener(url: string, log: Logger): Promise<Listener> {
  const subject = new Subject<ListenerEvent>();
  let current: Subscriber | undefined; // the one whose events we report
  let pending: Subscriber | undefined; // being connected by replace(); reported once listening
  let recovering = false; // pg-listen said 'reconnect' and not yet 'connected'
  let supervising = false; // one recover() at a time
  let closed = false;
  let retry: { timer: NodeJS.Timeout; wake: () => void } | undefined;

  const build = (): Subscriber => {
    const sub: Subscriber = pgListen.default(
      // Named so an operator (or a test) can find the session in pg_stat_activity.
      { connectionString: url, application_name: LISTENER_APPLICATION_NAME },
      {
        // pg-listen starts its own reconnect loop even when the first connect fails, and
        // keeps it going after close(): throwing here ends it for a non-current subscriber.
        retryInterval: (attempt) => {
          if (sub !== current) throw new Error('superseded listener subscriber');
          return reconnectDelay(attempt);
        },
        retryLimit: Infinity,
        retryTimeout: 0, // never give up
        // Detects a half-open TCP connection that would otherwise silently stop delivering.
        paranoidChecking: 15_000,
      },
    );
    sub.events.on('connected', () => {
      if (sub === current) {
        recovering = false;
        subject.next({ kind: 'connected' });
      } else if (sub !== pending) void quietClose(sub); // a superseded loop's attempt got through
    });
    sub.events.on('reconnect', (attempt) => {
      if (sub !== current) return;
      recovering = true;
      log.warn({ attempt }, 'listener reconnecting');
      subject.next({ kind: 'reconnecting', attempt });
    });
    sub.events.on('error', (error) => {
      if (sub !== current) return; // a pending one's failure reaches replace(); a superseded one is done
      log.error({ err: { message: error.message } }, 'listener error');
      if (recovering) void recover(); // pg-listen gave up this re-initialisation
    });
    sub.notifications.on(JOBS_CHANNEL, (payload: unknown) => {
      if (sub !== current) return;
      const parsed = parseJobsPayload(payload);
      if (parsed) subject.next({ kind: 'jobs', ...parsed });
      else log.warn({ channel: JOBS_CHANNEL }, 'ignored a malformed notification');
    });
    return sub;
  };

  /** A fresh subscriber, connected and listening, becomes current; on failure it is closed. */
  const replace = async (): Promise<void> => {
    const sub = (pending = build());
    try {
      await sub.connect();
      await sub.listenTo(JOBS_CHANNEL);
      if (closed) throw new Error('listener closed');
      current = sub;
    } catch (error) {
      void quietClose(sub);
      throw error;
    } finally {
      pending = undefined;
    }
  };

  const recover = async (): Promise<void> => {
    if (supervising || closed) return;
    supervising = true;
    const sub = current;
    try {
      // listenTo() skips a channel pg-listen already lists: unlisten first so the
      // LISTEN really runs, on pg-listen's current (new) connection.
      await sub?.unlisten(JOBS_CHANNEL);
      if (!sub || !(await sub.listenTo(JOBS_CHANNEL))) throw new Error('no listening subscriber');
    } catch {
      current = undefined;
      void quietClose(sub);
      for (let attempt = 1; !closed; attempt++) {
        subject.next({ kind: 'reconnecting', attempt });
        try {
          await replace();
          break;
        } catch (error) {
          if (closed) break;
          log.warn({ attempt, err: { message: (error as Error).message } }, 'listener reconnect failed');
          await new Promise<void>((wake) => (retry = { timer: setTimeout(wake, reconnectDelay(attempt)), wake }));
        }
      }
    } finally {
      supervising = false;
    }
    if (closed) return;
    recovering = false;
    subject.next({ kind: 'connected' });
  };

  await replace();

  return {
    events$: subject.asObservable().pipe(share()),
    async close() {
      closed = true;
      clearTimeout(retry?.timer);
      retry?.wake();
      subject.complete();
      await quietClose(pending);
      await current?.close();
    },
  };
}
