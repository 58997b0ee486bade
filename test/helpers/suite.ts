/**
 * Shared uvu hooks: a suite that gets a fresh database before its tests and drops
 * it after, plus `until` for waiting on conditions instead of sleeping.
 */
import { suite, type Test } from 'uvu';
import { createTestDatabase, type TestDatabase } from './database.js';

export interface DatabaseContext {
  db: TestDatabase;
}

export function databaseSuite<T extends object = Record<string, never>>(name: string): Test<DatabaseContext & T> {
  const test = suite<DatabaseContext & T>(name, {} as DatabaseContext & T);
  // uvu 0.5 runs `before` hooks in a try whose finally returns, so a hook's error is
  // swallowed: the suite shows "(0 / n)" and no reason. Print it before uvu drops it.
  const register = test.before;
  const each = register.each;
  test.before = Object.assign(
    (hook: Parameters<typeof register>[0]) =>
      register(async (ctx) => {
        try {
          await hook(ctx);
        } catch (error) {
          console.error(`\n  ${name}: a before hook failed, so its tests did not run:\n  ${(error as Error).stack ?? String(error)}\n`);
          throw error;
        }
      }),
    { each },
  );
  test.before(async (ctx) => {
    ctx.db = await createTestDatabase();
  });
  test.after(async (ctx) => {
    await ctx.db?.drop();
  });
  return test;
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function until<T>(check: () => Promise<T> | T, timeoutMs = 10_000, intervalMs = 20): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** The error a promise rejects with; fails the test if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}
