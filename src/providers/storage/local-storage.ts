/**
 * Files in a local folder (the default when no Supabase URL is configured), laid
 * out like the Supabase bucket: <root>/<profile id>/<document id>/<file name>.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
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
