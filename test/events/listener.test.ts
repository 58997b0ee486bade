import * as assert from 'uvu/assert';
import net from 'node:net';
import { createListener, LISTENER_APPLICATION_NAME, type Listener, type ListenerEvent } from '../../src/events/listener.js';
import { JOBS_CHANNEL } from '../../src/events/queue/job.js';
import { createLogger } from '../../src/log.js';
import { databaseSuite, until } from '../helpers/suite.js';

/**
 * A TCP proxy between the listener and Postgres that sabotages the first
 * `LISTEN guardian_jobs` on its second connection, i.e. pg-listen's re-LISTEN after
 * a connection loss: 'kill' drops that connection as the query passes (the new
 * connection dies during the LISTEN), 'garble' turns it into `LISTEX …`, a syntax
 * error on a connection that stays alive. Connections numbered in `refuse` are
 * dropped as soon as they open.
 */
interface Proxy {
  url: string;
  connections: number;
  sabotaged: number;
  /** Connections currently open through the proxy. */
  open(): number;
  close(): Promise<void>;
}

async function startProxy(databaseUrl: string, mode: 'kill' | 'garble', refuse: number[] = []): Promise<Proxy> {
  const target = new URL(databaseUrl);
  const sockets = new Set<net.Socket>();
  const listen = Buffer.from(`LISTEN ${JOBS_CHANNEL}`);
  const server = net.createServer((client) => {
    const connection = ++proxy.connections;
    if (refuse.includes(connection)) return void client.destroy();
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('data', (chunk: Buffer) => {
      const at = chunk.indexOf(listen);
      // Not UNLISTEN: the recovery may send one before its own LISTEN.
      if (connection === 2 && proxy.sabotaged === 0 && at >= 0 && chunk.subarray(at - 2, at).toString() !== 'UN') {
        proxy.sabotaged++;
        if (mode === 'kill') {
          client.destroy();
          return;
        }
        chunk.write('X', at + 'LISTE'.length);
      }
      upstream.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as net.AddressInfo).port);
  const proxy: Proxy = {
    url: url.toString(),
    connections: 0,
    sabotaged: 0,
    open: () => sockets.size / 2,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  return proxy;
}

const test = databaseSuite<{ proxy?: Proxy; listener?: Listener }>('listener');
const log = createLogger('silent');

test.after.each(async (ctx) => {
  await ctx.listener?.close();
  await ctx.proxy?.close();
  ctx.listener = undefined;
  ctx.proxy = undefined;
});

async function breakReListen(ctx: Parameters<Parameters<typeof test>[1]>[0], mode: 'kill' | 'garble', refuse: number[] = []) {
  const proxy = (ctx.proxy = await startProxy(ctx.db.url, mode, refuse));
  const listener = (ctx.listener = await createListener(proxy.url, log));
  const events: ListenerEvent[] = [];
  listener.events$.subscribe((event) => events.push(event));
  const { rows } = await ctx.db.pool.query<{ pid: number }>(
    `select pid from pg_stat_activity where datname = current_database() and application_name = $1::text`,
    [LISTENER_APPLICATION_NAME],
  );
  assert.is(rows.length, 1);
  const terminated = Date.now();
  await ctx.db.pool.query('select pg_terminate_backend($1::int)', [rows[0]!.pid]);

  // Well inside pg-listen's 15 s paranoid check, which would otherwise be the only rescue (or none).
  await until(() => events.some((e) => e.kind === 'connected'), 5000);
  await ctx.db.pool.query(`select pg_notify($1::text, '{"types":["t"],"count":1}')`, [JOBS_CHANNEL]);
  const heard = await until(() => events.find((e) => e.kind === 'jobs'), 5000 - (Date.now() - terminated));
  assert.equal(heard, { kind: 'jobs', types: ['t'], count: 1 });
  assert.is(proxy.sabotaged, 1); // the re-LISTEN really failed
  assert.ok(events.some((e) => e.kind === 'reconnecting'));
  await until(() => proxy.open() === 1); // nothing superseded is left connected
  const connections = proxy.connections;
  await listener.close();
  ctx.listener = undefined;
  await until(() => proxy.open() === 0);
  assert.is(proxy.connections, connections); // and nothing reconnects after close()
  return proxy;
}

test('a re-LISTEN that dies with its new connection is recovered on a fresh connection within 5 s', async (ctx) => {
  const proxy = await breakReListen(ctx, 'kill');
  assert.ok(proxy.connections >= 3); // the killed one was replaced
});

test('a re-LISTEN that fails on a live connection is retried on that connection within 5 s', async (ctx) => {
  const proxy = await breakReListen(ctx, 'garble');
  assert.is(proxy.connections, 2); // no new connection needed
});

test('a fresh connection that fails is retried, and neither it nor pg-listen\'s own retry of it lingers', async (ctx) => {
  const proxy = await breakReListen(ctx, 'kill', [3]);
  assert.ok(proxy.connections >= 4);
});

test.run();
