/** A storage failure with a stable code, whichever adapter (local folder, Supabase Storage) raised it. */
export type StorageErrorCode = 'storage_not_found' | 'storage_bad_path' | 'storage_failed' | 'storage_checksum_mismatch';

export class StorageError extends Error {
  override readonly name = 'StorageError';
  constructor(
    readonly code: StorageErrorCode,
    message: string,
  ) {
    super(message);
  }
}
