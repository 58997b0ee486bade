/** Reads a stored file and checks it against the sha256 recorded on its document row. */
import { createHash } from 'node:crypto';
import { StorageError } from './storage-error.js';
import type { FileStorage, ObjectRef } from './types.js';

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function readVerified(storage: FileStorage, object: ObjectRef, expectedSha256: string): Promise<Uint8Array> {
  const bytes = await storage.get(object);
  if (sha256Hex(bytes) !== expectedSha256) {
    throw new StorageError('storage_checksum_mismatch', 'the stored file does not match the checksum recorded at upload');
  }
  return bytes;
}
