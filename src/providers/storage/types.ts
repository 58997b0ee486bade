/**
 * Where document files live: Supabase Storage (bucket `documents`) in production, a
 * local folder otherwise. Every method takes the object with the profile it belongs to,
 * and refuses (storage_bad_path) a path that is not canonical or not inside that
 * profile's folder (./object-path.ts), so a row naming another family's file is stopped
 * here too, not only by the database.
 */
import type { Readable } from 'node:stream';
import type { ObjectRef } from './object-path.js';

export type { ObjectRef } from './object-path.js';

export interface FileStorage {
  readonly name: string;
  put(object: ObjectRef, bytes: Uint8Array, mediaType: string): Promise<void>;
  /**
   * Stores a file from a stream without holding it in memory. The object appears under
   * its path only once the whole body has arrived: when `body` errors (the client went
   * away, the upload was over its limit), this rejects and nothing is left under the path
   * (a crashed process may still leave a temporary file behind, never the final name;
   * see sweepTemporaryFiles).
   */
  putStream(object: ObjectRef, body: Readable, mediaType: string): Promise<void>;
  get(object: ObjectRef): Promise<Uint8Array>;
  remove(object: ObjectRef): Promise<void>;
  /**
   * Removes temporary files that no live upload can still be writing (left by a process
   * that crashed mid-upload); returns how many. Absent where uploads leave none.
   */
  sweepTemporaryFiles?(): Promise<number>;
}
