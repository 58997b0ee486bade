/**
 * A dedicated LISTEN connection on one channel, as an Observable of typed events. Used
 * by the job listener (src/events/listener.ts) and the realtime change feed.
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
import { connectionConfig, type DatabaseLink } from '../db/connection.js';
import type { Logger } from '../log.js';

export type NotificationEvent<T> =
  | { kind: 'connected' }
  | { kind: 'reconnecting'; attempt: number }
  | { kind: 'notification'; payload: T };

export interface NotificationListener<T> {
  events$: Observable<NotificationEvent<T>>;
  close(): Promise<void>;
}

export interface NotificationListenerOptions<T> {
  /** The database; the connection goes to its session URL (src/db/connection.ts). */
  url: DatabaseLink;
  channel: string;
  /** Names the session in pg_stat_activity, for operators and tests. */
  applicationName: string;
  /** The payload text → a value, or undefined for a malformed one (logged and skipped). */
  parse(text: string): T | undefined;
  log: Logger;
}

export function reconnectDelay(attempt: number, random = Math.random): number {
  const ceiling = Math.min(10_000, 100 * 2 ** Math.min(attempt, 20));
  return Math.round(random() * ceiling);
}

const quietClose = (sub: Subscriber | undefined) => sub?.close().catch(() => {});

export async function listenForNotifications<T>(options: NotificationListenerOptions<T>): Promise<NotificationListener<T>> {
  const { url, channel, applicationName, parse, log } = options;
  // Resolved once: TLS, the session URL, and a clear error for a transaction pooler.
  const connection = connectionConfig(url, { applicationName, session: true }).config;
  const subject = new Subject<NotificationEvent<T>>();
  let current: Subscriber | undefined; // the one whose events we report
  let pending: Subscriber | undefined; // being connected by replace(); reported once listening
  let recovering = false; // pg-listen said 'reconnect' and not yet 'connected'
  let supervising = false; // one recover() at a time
  let closed = false;
  let retry: { timer: NodeJS.Timeout; wake: () => void } | undefined;

  const build = (): Subscriber => {
    const sub: Subscriber = pgListen.default(
      // Named (application_name) so an operator (or a test) can find the session in pg_stat_activity.
      connection,
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
        // Raw text: `parse` validates it, so a malformed payload is one warning, not an emitter error.
        parse: (text: string) => text,
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
      log.warn({ channel, attempt }, 'listener reconnecting');
      subject.next({ kind: 'reconnecting', attempt });
    });
    sub.events.on('error', (error) => {
      if (sub !== current) {
        // A pending one's failure reaches replace(). A superseded one whose own reconnect
        // got a connection but failed its LISTEN would keep that connection and its 15 s
        // check timer for ever: close it (again).
        if (sub !== pending) void quietClose(sub);
        return;
      }
      log.error({ channel, err: { message: error.message } }, 'listener error');
      if (recovering) void recover(); // pg-listen gave up this re-initialisation
    });
    sub.notifications.on(channel, (text: string) => {
      if (sub !== current) return;
      const parsed = parse(text);
      if (parsed !== undefined) subject.next({ kind: 'notification', payload: parsed });
      else log.warn({ channel }, 'ignored a malformed notification');
    });
    return sub;
  };

  /** A fresh subscriber, connected and listening, becomes current; on failure it is closed. */
  const replace = async (): Promise<void> => {
    const sub = (pending = build());
    try {
      await sub.connect();
      await sub.listenTo(channel);
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
      await sub?.unlisten(channel);
      if (!sub || !(await sub.listenTo(channel))) throw new Error('no listening subscriber');
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
          log.warn({ channel, attempt, err: { message: (error as Error).message } }, 'listener reconnect failed');
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
