/** Binds the api to a port and closes it gracefully. */
import type { Server } from 'node:http';
import { createApp, type AppDeps } from './app.js';

/** The port is taken (another Guardian, or another program): said in one line, with the way out. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  readonly code = 'port_in_use';
  constructor(
    readonly port: number,
    readonly host: string,
  ) {
    super(`port ${port} on ${host} is already in use (another Guardian, or another program, listens there); pick another with PORT, e.g. PORT=${port + 1}`);
  }
}

/**
 * Listens on `host` (default 127.0.0.1: this machine only; Render needs 0.0.0.0, which
 * config chooses there) and `port` (0: any free one).
 */
export async function listen(deps: AppDeps, port: number, host = '127.0.0.1'): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const app = createApp(deps);
  const server = app.listen(port, host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE' ? new PortInUseError(port, host) : error));
  });
  const address = server.address();
  return {
    server,
    port: typeof address === 'object' && address ? address.port : port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}
