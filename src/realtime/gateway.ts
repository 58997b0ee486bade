/**
 * A Supabase-Realtime-compatible WebSocket gateway on the api's own http.Server:
 * `ws(s)://host/realtime/v1/websocket?apikey=…&vsn=1.0.0|2.0.0`. Other upgrade paths
 * are left alone for whoever else listens.
 *
 * The `apikey` (an anon key or a user token) is verified before the upgrade, so a
 * socket never exists without verified claims; each join may carry its own
 * `access_token`, which then rules that channel.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Logger } from '../log.js';
import type { TokenVerifier } from '../auth/tokens.js';
import { Connection, type Channel } from './connection.js';
import { VSNS, type Vsn } from './frames.js';
import type { SubscriptionRegistry } from './registry.js';

export const REALTIME_PATH = '/realtime/v1/websocket';

/**
 * 1 MiB of unsent data per socket: a change event is ~1–4 KB, so this is a burst of
 * 250+ changes (several seconds of backlog on a 1 Mbit/s mobile link) before a client
 * counts as stuck, while 500 stuck sockets (the bench's size) cost at most ~500 MiB
 * instead of growing without bound.
 */
export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;
/**
 * Largest incoming message, fragments included: Supabase Realtime's broadcast payload
 * limit on its Free plan (256 KB), so a client that works against Supabase works here.
 * ws refuses a bigger message as soon as its length header arrives, before buffering it,
 * and closes that socket with 1009 ("message too big"); other sockets are untouched.
 */
export const MAX_FRAME_BYTES = 256 * 1024;
/** realtime-js heartbeats every 25 s; 60 s of silence is two missed beats plus slack. */
const IDLE_TIMEOUT_MS = 60_000;
const IDLE_SWEEP_MS = 15_000;

export interface RealtimeGatewayOptions {
  server: Server;
  verifier: TokenVerifier;
  registry: SubscriptionRegistry;
  log: Logger;
  maxBufferedBytes?: number;
}

export interface RealtimeGateway {
  close(): Promise<void>;
  sockets(): number;
}

export function createRealtimeGateway(options: RealtimeGatewayOptions): RealtimeGateway {
  const { server, verifier, registry, log } = options;
  const maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
  const connections = new Set<Connection>();
  const topics = new Map<string, Set<Channel>>();
  let bindingId = 0;
  let closing = false;

  const ctx = {
    verifier,
    registry,
    log,
    maxBufferedBytes,
    nextBindingId: () => ++bindingId,
    members(topic: string): Set<Channel> {
      // Only joins and broadcasts from joined channels call this, so no empty set is left behind.
      let set = topics.get(topic);
      if (!set) topics.set(topic, (set = new Set()));
      return set;
    },
    leave(channel: Channel): void {
      const set = topics.get(channel.topic);
      set?.delete(channel);
      if (set?.size === 0) topics.delete(channel.topic);
    },
    dropped(connection: Connection): void {
      connections.delete(connection);
    },
  };

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== REALTIME_PATH) return; // not ours: the api may have other upgrade handlers
    void accept(request, socket, head, url).catch((error: unknown) => {
      log.error({ err: (error as Error).message }, 'realtime: upgrade failed');
      reject(socket, 500, 'Internal Server Error');
    });
  };

  async function accept(request: IncomingMessage, socket: Duplex, head: Buffer, url: URL): Promise<void> {
    if (closing) return reject(socket, 503, 'Service Unavailable');
    const vsn = (url.searchParams.get('vsn') ?? '2.0.0') as Vsn;
    if (!VSNS.includes(vsn)) return reject(socket, 400, 'Bad Request');
    const apikey = url.searchParams.get('apikey') ?? headerValue(request.headers.apikey);
    if (!apikey) return reject(socket, 401, 'Unauthorized');
    let verified;
    try {
      verified = await verifier.verify(apikey);
    } catch (error) {
      log.info({ code: (error as { code?: string }).code }, 'realtime: apikey rejected');
      return reject(socket, 401, 'Unauthorized');
    }
    if (socket.destroyed) return;
    wss.handleUpgrade(request, socket, head, (ws) => {
      const connection = new Connection(randomUUID(), ws, vsn, verified, ctx);
      if (closing) return connection.ws.close(1001, 'server shutting down');
      connections.add(connection);
      log.debug({ socket: connection.id, vsn }, 'realtime: socket open');
    });
  }

  const sweep = setInterval(() => {
    const cutoff = Date.now() - IDLE_TIMEOUT_MS;
    for (const connection of connections) {
      if (connection.lastSeen < cutoff) {
        connection.shutdown();
        connection.ws.terminate();
      }
    }
  }, IDLE_SWEEP_MS);
  sweep.unref();

  server.on('upgrade', onUpgrade);

  return {
    sockets: () => connections.size,
    async close() {
      closing = true;
      clearInterval(sweep);
      server.off('upgrade', onUpgrade);
      const open = [...connections];
      for (const connection of open) {
        connection.shutdown();
        connection.ws.close(1001, 'server shutting down');
      }
      // A client that never answers the close handshake is cut after 1 s rather than ws's 30 s.
      const deadline = setTimeout(() => open.forEach((c) => c.ws.terminate()), 1_000);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await Promise.all(open.map((c) => (c.ws.readyState === c.ws.CLOSED ? undefined : new Promise((r) => c.ws.once('close', r)))));
      clearTimeout(deadline);
    },
  };
}

function reject(socket: Duplex, status: number, text: string): void {
  if (socket.destroyed) return;
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function headerValue(value: string | string[] | undefined): string | null {
  return (Array.isArray(value) ? value[0] : value) ?? null;
}
