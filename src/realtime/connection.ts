/**
 * One WebSocket: its channels, their auth, and the protocol events
 * (heartbeat, phx_join, access_token, phx_leave, broadcast).
 *
 * Logs carry socket ids, topics, event names and error codes only: never tokens,
 * claims, or payloads (a broadcast or a change can hold health data).
 */
import type { WebSocket } from 'ws';
import type { Logger } from '../log.js';
import { AuthError, type TokenVerifier, type VerifiedToken } from '../auth/tokens.js';
import { decodeFrame, encodeFrame, isObject, type Frame, type Vsn } from './frames.js';
import type { PostgresChangeBinding, PostgresChangesData, Subscription, SubscriptionRegistry } from './registry.js';

type Role = 'anon' | 'authenticated' | 'service_role';

export interface GatewayContext {
  verifier: TokenVerifier;
  registry: SubscriptionRegistry;
  log: Logger;
  maxBufferedBytes: number;
  nextBindingId(): number;
  /** Channels joined on a topic, across sockets (broadcast fan-out). */
  members(topic: string): Set<Channel>;
  leave(channel: Channel): void;
  dropped(connection: Connection): void;
}

export interface Channel {
  readonly topic: string;
  readonly joinRef: string | null;
  readonly connection: Connection;
  broadcastSelf: boolean;
  broadcastAck: boolean;
  auth: VerifiedToken;
  subscriptionKey: string | null;
  expiryTimer: NodeJS.Timeout | null;
}

const EVENTS = ['INSERT', 'UPDATE', 'DELETE', '*'] as const;
// PostgREST operators Supabase Realtime accepts in a filter: col=op.value.
const FILTER = /^[A-Za-z_][A-Za-z0-9_]*=(eq|neq|lt|lte|gt|gte)\..+$|^[A-Za-z_][A-Za-z0-9_]*=in\.\(.+\)$/;
/**
 * Channels one socket may have joined at once: Supabase Realtime's "channels per
 * connection" limit on every plan (100, supabase.com/docs/guides/realtime/limits).
 * A client written for Supabase never needs more, and each channel costs the gateway a
 * registry entry, timers and a claims group in every change's fan-out: unbounded, one
 * socket could join thousands and slow every change.
 */
export const MAX_CHANNELS_PER_SOCKET = 100;
const TOO_MANY_CHANNELS = `too many channels: at most ${MAX_CHANNELS_PER_SOCKET} per connection`;
// setTimeout's ceiling (~24.8 days): longer expiries re-arm in steps.
const MAX_TIMER_MS = 2_147_483_647;
// After a 1013 close frame is queued behind up to maxBufferedBytes a reader that never
// reads will never see it; 1 s is long enough for a live client to take it, then the
// TCP connection is cut so its buffer is freed.
const DROP_GRACE_MS = 1_000;

export class Connection {
  readonly channels = new Map<string, Channel>();
  lastSeen = Date.now();
  #closed = false;

  constructor(
    readonly id: string,
    readonly ws: WebSocket,
    readonly vsn: Vsn,
    /** The verified `apikey`: the channel's auth when a join carries no access_token. */
    readonly apikey: VerifiedToken,
    readonly ctx: GatewayContext,
  ) {
    ws.on('message', (data, isBinary) => {
      this.lastSeen = Date.now();
      void this.#onMessage(data as Buffer, isBinary).catch((error: unknown) => {
        this.ctx.log.error({ socket: this.id, err: (error as Error).message }, 'realtime: frame handler failed');
      });
    });
    ws.on('close', () => this.shutdown());
    // e.g. WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: a message over the gateway's maxPayload (ws closes with 1009).
    ws.on('error', (error) => this.ctx.log.warn({ socket: this.id, code: (error as { code?: string }).code, err: error.message }, 'realtime: socket error'));
  }

  /** Sends a frame; drops the socket when its unsent backlog passes the bound. */
  send(frame: Frame): void {
    if (this.#closed || this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > this.ctx.maxBufferedBytes) return this.drop();
    const data = encodeFrame(frame, this.vsn);
    if (data === null) return;
    this.ws.send(data);
    if (this.ws.bufferedAmount > this.ctx.maxBufferedBytes) this.drop();
  }

  /** Closes a slow socket with 1013 ("try again later") and forgets its channels now. */
  drop(): void {
    if (this.#closed) return;
    this.ctx.log.warn({ socket: this.id, buffered: this.ws.bufferedAmount }, 'realtime: slow client dropped');
    this.shutdown();
    this.ws.close(1013, 'slow consumer: send buffer full');
    setTimeout(() => this.ws.terminate(), DROP_GRACE_MS).unref();
  }

  /** Unregisters everything; idempotent. */
  shutdown(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const channel of this.channels.values()) this.#forget(channel);
    this.channels.clear();
    this.ctx.dropped(this);
  }

  reply(frame: Pick<Frame, 'topic' | 'ref' | 'joinRef'>, status: 'ok' | 'error', response: Record<string, unknown> = {}): void {
    this.send({ topic: frame.topic, ref: frame.ref, joinRef: frame.joinRef, event: 'phx_reply', payload: { status, response } });
  }

  async #onMessage(data: Buffer, isBinary: boolean): Promise<void> {
    const decoded = decodeFrame(data, isBinary, this.vsn);
    if (!decoded.ok) {
      if ('unparseable' in decoded || decoded.topic === undefined) {
        this.ctx.log.info({ socket: this.id, reason: decoded.reason }, 'realtime: unparseable frame ignored');
        return;
      }
      return this.reply({ topic: decoded.topic, ref: decoded.ref ?? null, joinRef: decoded.joinRef ?? null }, 'error', { reason: decoded.reason });
    }
    const frame = decoded.frame;
    if (frame.topic === 'phoenix') {
      if (frame.event === 'heartbeat') return this.reply(frame, 'ok');
      return this.reply(frame, 'error', { reason: `unknown event "${frame.event}" on phoenix` });
    }
    switch (frame.event) {
      case 'phx_join':
        return this.#join(frame);
      case 'phx_leave':
        return this.#leave(frame);
      case 'access_token':
        return this.#accessToken(frame);
      case 'broadcast':
        return this.#broadcast(frame);
      default: {
        const reason = this.channels.has(frame.topic) ? `unknown event "${frame.event}"` : 'unmatched topic';
        return this.reply(frame, 'error', { reason });
      }
    }
  }

  async #join(frame: Frame): Promise<void> {
    if (!frame.topic.startsWith('realtime:') || frame.topic.length === 'realtime:'.length) {
      return this.reply(frame, 'error', { reason: 'topic must be realtime:<name>' });
    }
    // Checked before the token is verified (no work for a join that cannot succeed) and
    // again after (joins verified concurrently must not overshoot). Rejoining a topic
    // replaces its channel, so it is not a new one.
    if (this.#refusedOverLimit(frame)) return;
    const config = isObject(frame.payload.config) ? frame.payload.config : {};
    if (config.private === true) return this.reply(frame, 'error', { reason: 'private channels are not supported' });
    const parsed = parseBindings(config.postgres_changes);
    if (typeof parsed === 'string') return this.reply(frame, 'error', { reason: parsed });
    const token = typeof frame.payload.access_token === 'string' ? frame.payload.access_token : null;
    let auth = this.apikey;
    if (token !== null) {
      try {
        auth = await this.ctx.verifier.verify(token);
      } catch (error) {
        return this.reply(frame, 'error', { reason: authReason(error) });
      }
    }
    if (this.#closed) return;
    if (this.#refusedOverLimit(frame)) return;
    const previous = this.channels.get(frame.topic);
    if (previous) this.#forget(previous);
    const broadcast = isObject(config.broadcast) ? config.broadcast : {};
    const channel: Channel = {
      topic: frame.topic,
      joinRef: frame.joinRef ?? frame.ref,
      connection: this,
      broadcastSelf: broadcast.self === true,
      broadcastAck: broadcast.ack === true,
      auth,
      subscriptionKey: null,
      expiryTimer: null,
    };
    this.channels.set(frame.topic, channel);
    this.ctx.members(frame.topic).add(channel);
    const bindings: PostgresChangeBinding[] = parsed.map((b) => ({ ...b.binding, id: this.ctx.nextBindingId() }));
    this.reply(frame, 'ok', { postgres_changes: bindings.map((b, i) => ({ ...parsed[i]!.echo, id: b.id })) });
    if (bindings.length > 0) {
      channel.subscriptionKey = `${this.id}:${frame.topic}`;
      this.ctx.registry.add(this.#subscription(channel, channel.subscriptionKey, bindings));
      this.#system(channel, { extension: 'postgres_changes', status: 'ok', message: 'Subscribed to PostgreSQL', channel: subTopic(channel.topic) });
    }
    this.#armExpiry(channel);
  }

  /** Answers a join that would pass the channel limit with an error; true if it did. */
  #refusedOverLimit(frame: Frame): boolean {
    if (this.channels.has(frame.topic) || this.channels.size < MAX_CHANNELS_PER_SOCKET) return false;
    this.ctx.log.info({ socket: this.id, channels: this.channels.size }, 'realtime: join refused, channel limit reached');
    this.reply(frame, 'error', { reason: TOO_MANY_CHANNELS });
    return true;
  }

  #leave(frame: Frame): void {
    const channel = this.channels.get(frame.topic);
    if (!channel) return this.reply(frame, 'ok');
    this.#forget(channel);
    this.channels.delete(frame.topic);
    this.reply(frame, 'ok');
    this.send({ topic: channel.topic, ref: channel.joinRef, joinRef: channel.joinRef, event: 'phx_close', payload: {} });
  }

  async #accessToken(frame: Frame): Promise<void> {
    const channel = this.channels.get(frame.topic);
    if (!channel) return this.reply(frame, 'error', { reason: 'unmatched topic' });
    const token = frame.payload.access_token;
    if (typeof token !== 'string') return this.reply(frame, 'error', { reason: 'access_token must be a string' });
    let auth: VerifiedToken;
    try {
      auth = await this.ctx.verifier.verify(token);
    } catch (error) {
      if (this.channels.get(frame.topic) === channel) this.#closeChannel(channel, authReason(error));
      return;
    }
    if (this.channels.get(frame.topic) !== channel) return; // left or rejoined meanwhile
    channel.auth = auth;
    this.#armExpiry(channel);
    this.reply(frame, 'ok');
  }

  #broadcast(frame: Frame): void {
    const channel = this.channels.get(frame.topic);
    if (!channel) return this.reply(frame, 'error', { reason: 'unmatched topic' });
    if (typeof frame.payload.event !== 'string') return this.reply(frame, 'error', { reason: 'broadcast needs an event' });
    const out: Frame = { topic: frame.topic, ref: null, joinRef: null, event: 'broadcast', payload: { ...frame.payload, type: 'broadcast' } };
    for (const member of this.ctx.members(frame.topic)) {
      if (member === channel && !channel.broadcastSelf) continue;
      member.connection.send(out);
    }
    if (channel.broadcastAck) this.reply(frame, 'ok');
  }

  #subscription(channel: Channel, key: string, bindings: readonly PostgresChangeBinding[]): Subscription {
    return {
      key,
      bindings,
      claims: () => channel.auth.caller.claims,
      role: (): Role => channel.auth.caller.role,
      deliver: (data: PostgresChangesData, bindingIds: number[]) => {
        try {
          if (this.channels.get(channel.topic) !== channel) return;
          this.send({ topic: channel.topic, ref: null, joinRef: channel.joinRef, event: 'postgres_changes', payload: { ids: bindingIds, data } });
        } catch (error) {
          this.ctx.log.error({ socket: this.id, err: (error as Error).message }, 'realtime: delivery failed');
        }
      },
    };
  }

  #system(channel: Channel, payload: Record<string, unknown>): void {
    this.send({ topic: channel.topic, ref: null, joinRef: channel.joinRef, event: 'system', payload });
  }

  /** The channel ends with a system error (Supabase's shape), then phx_close. */
  #closeChannel(channel: Channel, message: string): void {
    this.ctx.log.info({ socket: this.id, topic: channel.topic, reason: message }, 'realtime: channel closed');
    this.#system(channel, { extension: 'system', status: 'error', message, channel: subTopic(channel.topic) });
    this.#forget(channel);
    this.channels.delete(channel.topic);
    this.send({ topic: channel.topic, ref: channel.joinRef, joinRef: channel.joinRef, event: 'phx_close', payload: {} });
  }

  #armExpiry(channel: Channel): void {
    if (channel.expiryTimer) clearTimeout(channel.expiryTimer);
    channel.expiryTimer = null;
    const expiresAt = channel.auth.expiresAt;
    if (!expiresAt) return;
    const wait = expiresAt.getTime() - Date.now();
    channel.expiryTimer = setTimeout(
      () => {
        if (this.channels.get(channel.topic) !== channel) return;
        if (Date.now() < expiresAt.getTime()) return this.#armExpiry(channel);
        this.#closeChannel(channel, 'token has expired');
      },
      Math.min(Math.max(wait, 0), MAX_TIMER_MS),
    );
    channel.expiryTimer.unref();
  }

  #forget(channel: Channel): void {
    if (channel.expiryTimer) clearTimeout(channel.expiryTimer);
    channel.expiryTimer = null;
    if (channel.subscriptionKey) this.ctx.registry.remove(channel.subscriptionKey);
    channel.subscriptionKey = null;
    this.ctx.leave(channel);
  }
}

interface ParsedBinding {
  binding: Omit<PostgresChangeBinding, 'id'>;
  /** What the client sent, echoed verbatim: the client compares it field by field. */
  echo: Record<string, unknown>;
}

function parseBindings(raw: unknown): ParsedBinding[] | string {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) return 'postgres_changes must be an array';
  const out: ParsedBinding[] = [];
  for (const item of raw) {
    if (!isObject(item)) return 'each postgres_changes binding must be an object';
    const { event, schema, table, filter } = item;
    if (typeof event !== 'string' || !(EVENTS as readonly string[]).includes(event.toUpperCase())) return 'binding event must be INSERT, UPDATE, DELETE or *';
    if (typeof schema !== 'string' || schema === '') return 'binding needs a schema';
    if (table !== undefined && table !== null && (typeof table !== 'string' || table === '')) return 'binding table must be a string';
    if (filter !== undefined && filter !== null && filter !== '' && (typeof filter !== 'string' || !FILTER.test(filter))) {
      return 'binding filter must look like column=op.value (eq, neq, lt, lte, gt, gte, in)';
    }
    const binding: Omit<PostgresChangeBinding, 'id'> = {
      event: event.toUpperCase() as PostgresChangeBinding['event'],
      schema,
      table: typeof table === 'string' ? table : '*',
    };
    if (typeof filter === 'string' && filter !== '') binding.filter = filter;
    out.push({ binding, echo: { event, schema, table, filter } });
  }
  return out;
}

function subTopic(topic: string): string {
  return topic.replace(/^realtime:/, '');
}

function authReason(error: unknown): string {
  if (error instanceof AuthError) return error.code === 'token_expired' ? 'token has expired' : `invalid token (${error.code})`;
  return 'token could not be verified';
}
