/**
 * Files in a local folder (the default when no Supabase URL is configured), laid
 * out like the Supabase bucket: <root>/<profile id>/<document id>/<file name>.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FileStorage } from './types.js';

export class StorageError extends Error {
  override readonly name = 'StorageError';
  constructor(
    readonly code: 'storage_not_found' | 'storage_bad_path' | 'storage_failed' | 'storage_checksum_mismatch',
    message: string,
  ) {
    super(message);
  }
}

const ignore = () => undefined;

export class LocalStorage implements FileStorage {
  readonly name = 'local';
  constructor(private readonly root: string) {}

  private resolve(objectPath: string): string {
    // Paths come from document rows, but never trust them to stay inside the root.
    const full = path.resolve(this.root, objectPath);
    if (!full.startsWith(path.resolve(this.root) + path.sep)) throw new StorageError('storage_bad_path', 'object path escapes the storage root');
    return full;
  }

  async put(objectPath: string, bytes: Uint8Array, _mediaType?: string): Promise<void> {
    const full = this.resolve(objectPath);
    await mkdir(path.dirname(full), { recursive: true, mode: 0o700 });
    await writeFile(full, bytes, { mode: 0o600 });
  }

  async putStream(objectPath: string, body: Readable, _mediaType?: string): Promise<void> {
    // A body that fails while we are still creating folders would otherwise be an unhandled
    // 'error' event (a crash); pipeline below reports the stored error as its rejection.
    body.on('error', ignore);
    const full = this.resolve(objectPath);
    await mkdir(path.dirname(full), { recursive: true, mode: 0o700 });
    if (body.errored) throw body.errored;
    // Same folder as the final name, so the rename is atomic (one file system) and a
    // reader never sees a half-written file under the final name. The leading dot and
    // `.part` suffix make leftovers of a crashed process easy to spot and sweep.
    const temp = path.join(path.dirname(full), `.${randomUUID()}.part`);
    // 'wx': never follow or reuse an existing file at the temporary name.
    const out = createWriteStream(temp, { flags: 'wx', mode: 0o600 });
    try {
      await pipeline(body, out);
      await rename(temp, full);
    } catch (error) {
      // The file is opened asynchronously: wait until the stream has closed, or the open
      // could land after the rm and leave the temporary file behind.
      if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
      await rm(temp, { force: true });
      throw error;
    }
  }

  async get(objectPath: string): Promise<Uint8Array> {
    try {
      return new Uint8Array(await readFile(this.resolve(objectPath)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new StorageError('storage_not_found', 'the file is not in storage');
      throw error;
    }
  }

  async remove(objectPath: string): Promise<void> {
    await rm(this.resolve(objectPath), { force: true });
  }
}
