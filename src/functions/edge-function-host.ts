/**
 * The Edge Functions of supabase/functions, run locally by the real Deno runtime as
 * Supabase runs them: each function in a Deno process of its own, started on its first
 * request (a function nobody calls costs nothing) on a free port, stopped on shutdown.
 *
 * Least privilege: network (its port, the database, the JWKS), environment variables, and
 * reading its own folder only. The environment is given explicitly, never inherited: a
 * function sees what Supabase would give it (SUPABASE_URL, SUPABASE_DB_URL, …), not the
 * api's secrets.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { EdgeFunctionSettings } from '../config.js';
import type { Logger } from '../log.js';

/** How long a cold function may take to listen: the first run downloads its npm packages. */
const START_TIMEOUT_MS = 120_000;
// Deno.serve's own line once it listens (DENO_SERVE_ADDRESS picks the port).
const LISTENING = /Listening on (http:\/\/[^\s/]+)\//;
const FUNCTION_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/**
 * As Supabase resolves a function's imports: each `npm:` specifier at its pinned version from
 * the registry (into DENO_DIR), never from the project's own package.json and node_modules,
 * which Deno would otherwise find above supabase/functions and use instead.
 */
export const DENO_RESOLUTION_FLAGS = ['--node-modules-dir=none'] as const;
export const DENO_RESOLUTION_ENV = { DENO_NO_PACKAGE_JSON: '1' } as const;

/** What every Deno command Guardian runs is given: its cache, package resolution, and the CA to reach the registry. */
export function denoEnvironment(settings: EdgeFunctionSettings): Record<string, string> {
  return {
    DENO_DIR: settings.denoDir,
    NO_COLOR: '1',
    ...DENO_RESOLUTION_ENV,
    ...(settings.caFile ? { DENO_CERT: settings.caFile } : {}),
  };
}

export class EdgeFunctionStartError extends Error {
  override readonly name = 'EdgeFunctionStartError';
}

interface Running {
  child: ChildProcess;
  origin: Promise<string>;
}

export class EdgeFunctionHost {
  private readonly running = new Map<string, Running>();
  private closed = false;

  constructor(
    private readonly settings: EdgeFunctionSettings,
    /** What each function finds in its environment (Supabase's default secrets, locally). */
    private readonly env: Record<string, string>,
    private readonly log: Logger,
  ) {}

  /** Whether supabase/functions has a function by this name (a folder with index.ts; _shared is not one). */
  async has(name: string): Promise<boolean> {
    if (!FUNCTION_NAME.test(name)) return false;
    return stat(path.join(this.settings.functionsDir, name, 'index.ts')).then((s) => s.isFile(), () => false);
  }

  async names(): Promise<string[]> {
    const entries = await readdir(this.settings.functionsDir, { withFileTypes: true }).catch(() => []);
    const names = entries.filter((e) => e.isDirectory() && FUNCTION_NAME.test(e.name)).map((e) => e.name);
    const present = await Promise.all(names.map((n) => this.has(n)));
    return names.filter((_, i) => present[i]).sort();
  }

  /** The function's local origin (http://127.0.0.1:port), starting it when it is not running. */
  origin(name: string): Promise<string> {
    if (this.closed) return Promise.reject(new EdgeFunctionStartError('the Edge Function host is shut down'));
    const existing = this.running.get(name);
    if (existing) return existing.origin;
    const started = this.start(name);
    this.running.set(name, started);
    // A start that failed is forgotten, so the next request tries again.
    started.origin.catch(() => {
      if (this.running.get(name) === started) this.running.delete(name);
    });
    return started.origin;
  }

  private start(name: string): Running {
    const { deno, functionsDir } = this.settings;
    const child = spawn(
      deno,
      ['run', ...DENO_RESOLUTION_FLAGS, '--no-prompt', '--allow-net', '--allow-env', `--allow-read=${functionsDir}`, path.join(functionsDir, name, 'index.ts')],
      {
        cwd: functionsDir,
        env: { ...this.env, ...denoEnvironment(this.settings), DENO_SERVE_ADDRESS: 'tcp:127.0.0.1:0', PATH: '/usr/local/bin:/usr/bin:/bin' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const origin = new Promise<string>((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => {
        reject(new EdgeFunctionStartError(`${name} did not listen within ${START_TIMEOUT_MS / 1000} s`));
        child.kill('SIGTERM');
      }, START_TIMEOUT_MS);
      const onOutput = (chunk: Buffer) => {
        seen = (seen + chunk.toString('utf8')).slice(-4096);
        const match = LISTENING.exec(seen);
        if (match) {
          clearTimeout(timer);
          resolve(match[1] ?? '');
        }
      };
      child.stdout?.on('data', onOutput);
      child.stderr?.on('data', onOutput);
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(new EdgeFunctionStartError(`${name} could not start: ${error.message}`));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (this.running.get(name)?.child === child) this.running.delete(name);
        // Deno's own output (a type error, a missing permission) says why; it holds code, not data.
        const reason = seen.split('\n').filter((l) => /error/i.test(l)).slice(0, 3).join(' | ');
        const message = `${name} exited (${signal ?? code})${reason ? `: ${reason}` : ''}`;
        reject(new EdgeFunctionStartError(message));
        if (!this.closed) this.log.warn({ function: name, code, signal }, 'edge function exited');
      });
    });
    // After start, what a function writes to stderr: ours write an error's kind only (never
    // its message), and Deno's own lines name code, not data. Debug: the api's log stays quiet.
    child.stderr?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) this.log.debug({ function: name, line: line.slice(0, 500) }, 'edge function');
    });
    return { child, origin };
  }

  /** Stops every running function (SIGTERM, then SIGKILL after 3 s). */
  async close(): Promise<void> {
    this.closed = true;
    const children = [...this.running.values()].map((r) => r.child);
    this.running.clear();
    await Promise.all(children.map((child) => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const force = setTimeout(() => child.kill('SIGKILL'), 3000);
      child.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      child.kill('SIGTERM');
    })));
  }
}
