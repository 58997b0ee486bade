/**
 * Where document files live: Supabase Storage (bucket `documents`) in production, a
 * local folder otherwise. Paths are `<profile id>/<document id>/<file name>`.
 */
export interface StoredFile {
  bytes: Uint8Array;
}

export interface FileStorage {
  readonly name: string;
  put(path: string, bytes: Uint8Array, mediaType: string): Promise<void>;
  get(path: string): Promise<Uint8Array>;
  remove(path: string): Promise<void>;
}
