/**
 * Where document files live: Supabase Storage (bucket `documents`) in production, a
 * local folder otherwise. Paths are `<profile id>/<document id>/<file name>`.
 */
import type { Readable } from 'node:stream';

export interface StoredFile {
  bytes: Uint8Array;
}

export interface FileStorage {
  readonly name: string;
  put(path: string, bytes: Uint8Array, mediaType: string): Promise<void>;
  /**
   * Stores a file from a stream without holding it in memory. The object appears under
   * `path` only once the whole body has arrived: when `body` errors (the client went
   * away, the upload was over its limit), this rejects and nothing is left under `path`
   * (a crashed process may still leave a temporary file behind, never the final name).
   */
  putStream(path: string, body: Readable, mediaType: string): Promise<void>;
  get(path: string): Promise<Uint8Array>;
  remove(path: string): Promise<void>;
}
