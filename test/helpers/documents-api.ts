/**
 * Shared by the documents api tests: a suite with an api, an owner and a PDF, and the
 * requests and reads those tests repeat.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import type { Test } from 'uvu';
import { sampleLabReport, toPdf } from '../fixtures/documents.js';
import { createTestApi, type TestApi } from './api.js';
import { createUser } from './fixtures.js';
import { databaseSuite, type DatabaseContext } from './suite.js';

export interface DocumentsContext {
  api: TestApi;
  owner: string;
  token: string;
  /** A one-page synthetic lab report. */
  pdf: Uint8Array;
}

export function documentsSuite<T extends object = Record<string, never>>(name: string): Test<DatabaseContext & DocumentsContext & T> {
  const test = databaseSuite<DocumentsContext & T>(name);
  test.before(async (ctx) => {
    ctx.api = await createTestApi(ctx.db);
    ctx.owner = await createUser(ctx.db.pool);
    ctx.token = await ctx.api.tokenFor(ctx.owner);
    ctx.pdf = await toPdf(sampleLabReport());
  });
  return test;
}

export const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

export async function upload(api: TestApi, token: string, profileId: string, bytes: Uint8Array, fileName = 'labs.pdf', contentType = 'application/pdf') {
  return api.request.post(`/api/profiles/${profileId}/documents`).set(auth(token))
    .attach('file', Buffer.from(bytes), { filename: fileName, contentType });
}

/** Every file under the storage folder of a profile (empty when nothing was ever stored there). */
export async function storedFiles(api: TestApi, profileId: string): Promise<string[]> {
  try {
    return (await readdir(path.join(api.storageDir, profileId), { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile()).map((e) => e.name);
  } catch {
    return [];
  }
}

export async function documentRow(ctx: { db: { pool: pg.Pool } }, id: string) {
  return (await ctx.db.pool.query(`select status, storage_path, sha256, size_bytes::int as size_bytes, uploaded_by from public.documents where id = $1::uuid`, [id])).rows[0];
}
