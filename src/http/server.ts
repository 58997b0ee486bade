/** Binds the api to a port and closes it gracefully. */
import type { Server } from 'node:http';
import { createApp, type AppDeps } from './app.js';

export async function listen(deps: AppDeps, port: number): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const app = createApp(deps);
  const server = app.listen(port);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
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
