/**
 * Supabase Storage, bucket `documents`, through @supabase/supabase-js with the
 * service role key (the worker reads every profile's files; users reach theirs
 * through the storage.objects policies).
 *
 * storage-js puts the object key into the request URL as it is, where a `..` step would
 * be resolved by URL parsing before Storage sees it: every key is checked to be canonical
 * and inside its profile's folder (checkedObject) before any request is made.
 */
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import type { WebSocketLikeConstructor } from '@supabase/realtime-js';
import type { Readable } from 'node:stream';
import WebSocket from 'ws';
import { checkedObject } from './object-path.js';
import { StorageError } from './storage-error.js';
import type { FileStorage, ObjectRef } from './types.js';

export class SupabaseStorage implements FileStorage {
  readonly name = 'supabase';
  private readonly client: SupabaseClient;

  /** `key`: the project's secret key (sb_secret_…) or the legacy service_role JWT. */
  constructor(options: { url: string; key: string; bucket?: string }) {
    this.client = createClient(options.url, options.key, {
      auth: { persistSession: false, autoRefreshToken: false },
      // supabase-js builds its realtime client eagerly, and Node 20 has no global WebSocket.
      // ws's constructor types are wider than realtime-js's structural type; the runtime fits.
      realtime: { transport: WebSocket as unknown as WebSocketLikeConstructor },
    });
    this.bucket = options.bucket ?? 'documents';
  }

  private readonly bucket: string;

  async put(object: ObjectRef, bytes: Uint8Array, mediaType: string): Promise<void> {
    const { error } = await this.client.storage.from(this.bucket).upload(checkedObject(object).path, bytes, { contentType: mediaType, upsert: true });
    if (error) throw new StorageError('storage_failed', `upload failed: ${error.message}`);
  }

  /**
   * Streams the body to Supabase Storage: storage-js passes a Node Readable straight to
   * fetch (undici on Node 20 sends any async iterable as a chunked body, `duplex: 'half'`
   * is required for that), so memory stays at a few stream chunks (~64 KiB each), not the
   * file size. When `body` errors mid-way, fetch aborts the request and Storage never
   * creates the object. Standard (non-resumable) uploads are fine up to our 25 MB default;
   * Supabase recommends its TUS resumable endpoint only above ~6 MB on flaky client links,
   * which does not apply to this server-to-Storage hop.
   */
  async putStream(object: ObjectRef, body: Readable, mediaType: string): Promise<void> {
    // A body that fails before fetch starts reading it would otherwise be an unhandled
    // 'error' event (a crash); fetch sees the destroyed stream and rejects.
    body.on('error', () => undefined);
    const { path: objectPath } = checkedObject(object);
    const { error } = await this.client.storage
      .from(this.bucket)
      .upload(objectPath, body, { contentType: mediaType, upsert: true, duplex: 'half' });
    if (error) {
      // The body's own failure (client gone, size limit) is what the caller acts on.
      if (body.errored) throw body.errored;
      throw new StorageError('storage_failed', `upload failed: ${error.message}`);
    }
  }

  async get(object: ObjectRef): Promise<Uint8Array> {
    const { data, error } = await this.client.storage.from(this.bucket).download(checkedObject(object).path);
    if (error || !data) {
      const status = (error as { statusCode?: string | number } | null)?.statusCode;
      if (String(status) === '404' || /not found/i.test(error?.message ?? '')) throw new StorageError('storage_not_found', 'the file is not in storage');
      throw new StorageError('storage_failed', `download failed: ${error?.message ?? 'no data'}`);
    }
    return new Uint8Array(await data.arrayBuffer());
  }

  async remove(object: ObjectRef): Promise<void> {
    const { error } = await this.client.storage.from(this.bucket).remove([checkedObject(object).path]);
    if (error) throw new StorageError('storage_failed', `remove failed: ${error.message}`);
  }
}
