/**
 * A tiny local HTTP stand-in for a third-party API (OpenAI, Google Vision): a
 * node:http server on 127.0.0.1 with a free port that records every request it
 * receives and answers with what the test scripts. Real clients are pointed at
 * it, so their own retry, timeout and encoding code runs; nothing leaves the host.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandInRequest {
  method: string;
  /** Path and query, as received: `/v1/chat/completions`. */
  url: string;
  /** The path alone. */
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON. */
  json<T = unknown>(): T;
}

/**
 * What to answer: a status (200 by default), headers and a body (an object or array
 * is sent as JSON, a string as is), or 'hang' to never answer.
 */
export type StandInReply = { status?: number; headers?: Record<string, string>; body?: unknown } | 'hang';

export type StandInHandler = (request: StandInRequest, index: number) => StandInReply | Promise<StandInReply>;

export interface StandIn {
  /** `http://127.0.0.1:<port>` */
  url: string;
  host: string;
  port: number;
  /** Every request received, in order. */
  requests: StandInRequest[];
  close(): Promise<void>;
}

export async function startStandIn(handle: StandInHandler): Promise<StandIn> {
  const requests: StandInRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = req.url ?? '/';
      const request: StandInRequest = {
        method: req.method ?? 'GET',
        url,
        path: url.split('?')[0] ?? url,
        headers: req.headers,
        body,
        json: <T>() => JSON.parse(body) as T,
      };
      requests.push(request);
      Promise.resolve()
        .then(() => handle(request, requests.length - 1))
        .then((reply) => send(res, reply))
        .catch((error: unknown) => send(res, { status: 599, body: { standInError: String(error) } }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        // Hanging requests and keep-alive sockets would hold close() open.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answers the n-th request with the n-th reply; the last one repeats. */
export function inSequence(...replies: StandInReply[]): StandInHandler {
  if (replies.length === 0) throw new Error('inSequence needs at least one reply');
  return (_request, index) => replies[Math.min(index, replies.length - 1)]!;
}

function send(res: http.ServerResponse, reply: StandInReply): void {
  if (reply === 'hang') return;
  const { status = 200, headers = {}, body } = reply;
  const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  const isJson = body !== undefined && typeof body !== 'string';
  res.writeHead(status, { ...(isJson ? { 'content-type': 'application/json' } : {}), ...headers });
  res.end(text);
}
