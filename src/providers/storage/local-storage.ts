/**
 * Files in a local folder (the default when no Supabase URL is configured), laid
 * out like the Supabase bucket: <root>/<profile id>/<document id>/<file name>.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { checkedObject, type ObjectRef } from './object-path.js';
import { StorageError } from './storage-error.js';
import type { FileStorage } from './types.js';

const ignore = () => undefined;

/** `.<uuid>.part`: the temporary name putStream writes to before the atomic rename. */
const TEMPORARY_FILE = /^\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.part$/;
/**
 * A temporary file nobody has written to for this long has no live writer: every write
 * updates its mtime, and Node's HTTP server ends a request after `requestTimeout` (300 s,
 * its default, which the api keeps), so an upload cannot pause for 10 minutes and go on.
 */
export const TEMPORARY_FILE_MAX_AGE_MS = 10 * 60_000;

export class LocalStorage implements FileStorage {
  readonly name = 'local';
  constructor(private readonly root: string) {}

  private resolve(object: ObjectRef): string {
    // The path is canonical and in the profile's folder (checkedObject); resolving it must
    // then land inside that folder, which this checks again rather than trusting the regex.
    const { profileId, path: objectPath } = checkedObject(object);
    const folder = path.resolve(this.root, profileId.toLowerCase());
    const full = path.resolve(this.root, objectPath);
    if (!full.startsWith(folder + path.sep)) throw new StorageError('storage_bad_path', 'object path escapes the profile\'s folder');
    return full;
  }

  async put(object: ObjectRef, bytes: Uint8Array, _mediaType?: string): Promise<void> {
    const full = this.resolve(object);
    await mkdir(path.dirname(full), { recursive: true, mode: 0o700 });
    await writeFile(full, bytes, { mode: 0o600 });
  }

  async putStream(object: ObjectRef, body: Readable, _mediaType?: string): Promise<void> {
    // A body that fails while we are still creating folders would otherwise be an unhandled
    // 'error' event (a crash); pipeline below reports the stored error as its rejection.
    body.on('error', ignore);
    const full = this.resolve(object);
    await mkdir(path.dirname(full), { recursive: true, mode: 0o700 });
    if (body.errored) throw body.errored;
    // Same folder as the final name, so the rename is atomic (one file system) and a
    // reader never sees a half-written file under the final name. The leading dot and
    // `.part` suffix make leftovers of a crashed process easy to find (sweepTemporaryFiles).
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

  async get(object: ObjectRef): Promise<Uint8Array> {
    try {
      return new Uint8Array(await readFile(this.resolve(object)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new StorageError('storage_not_found', 'the file is not in storage');
      throw error;
    }
  }

  async remove(object: ObjectRef): Promise<void> {
    await rm(this.resolve(object), { force: true });
  }

  /** Deletes `.part` files older than TEMPORARY_FILE_MAX_AGE_MS (an api that crashed mid-upload leaves them). */
  async sweepTemporaryFiles(now = Date.now()): Promise<number> {
    let entries;
    try {
      entries = await readdir(this.root, { recursive: true, withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0; // nothing stored yet
      throw error;
    }
    let removed = 0;
    for (const entry of entries) {
      if (!entry.isFile() || !TEMPORARY_FILE.test(entry.name)) continue;
      // parentPath from Node 20.12; `path` before (deprecated since).
      const file = path.join((entry as { parentPath?: string }).parentPath ?? entry.path, entry.name);
      const stats = await lstat(file).catch(() => undefined);
      if (!stats || now - stats.mtimeMs < TEMPORARY_FILE_MAX_AGE_MS) continue;
      await rm(file, { force: true });
      removed++;
    }
    return removed;
  }
}
