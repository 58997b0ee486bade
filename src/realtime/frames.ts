/**
 * Phoenix frames as Supabase Realtime speaks them (the reference is the client's own
 * `@supabase/realtime-js/dist/main/lib/serializer.js`):
 * - vsn 1.0.0: text frames, JSON objects `{topic, event, payload, ref, join_ref}`;
 * - vsn 2.0.0: text frames, JSON arrays `[join_ref, ref, topic, event, payload]`, plus
 *   binary broadcast frames: the client PUSHES kind 3 and RECEIVES kind 4.
 *
 * Kind 3 (client → server): u8 kind, u8 join_ref len, u8 ref len, u8 topic len,
 *   u8 event len, u8 metadata len, u8 encoding (0 binary, 1 JSON), then those strings,
 *   then the user payload. Kind 4 (server → client): u8 kind, u8 topic len, u8 event
 *   len, u8 metadata len, u8 encoding, strings, payload. Every length is one byte, so
 *   each string is at most 255 bytes.
 */

export type Vsn = '1.0.0' | '2.0.0';
export const VSNS: readonly Vsn[] = ['1.0.0', '2.0.0'];

export interface Frame {
  joinRef: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: Record<string, unknown>;
}

/** A user broadcast's payload as it travels: JSON, or raw bytes (binary encoding). */
export interface BroadcastPayload {
  type: 'broadcast';
  event: string;
  payload: unknown;
  meta?: unknown;
}

export type Decoded =
  | { ok: true; frame: Frame }
  /** Parsed, but not a valid frame: answer with an error when we know where to (topic + ref). */
  | { ok: false; reason: string; topic?: string; ref?: string | null; joinRef?: string | null }
  /** Not even parseable: there is no one to answer. */
  | { ok: false; reason: string; unparseable: true };

const KIND_USER_BROADCAST_PUSH = 3;
const KIND_USER_BROADCAST = 4;
const ENCODING_BINARY = 0;
const ENCODING_JSON = 1;
const PUSH_HEADER = 7; // kind + 5 lengths + encoding
const BROADCAST_HEADER = 5; // kind + 3 lengths + encoding

export function decodeFrame(data: Buffer | string, isBinary: boolean, vsn: Vsn): Decoded {
  if (isBinary) {
    if (vsn !== '2.0.0') return { ok: false, reason: 'binary frames need vsn 2.0.0', unparseable: true };
    return decodeBinaryPush(typeof data === 'string' ? Buffer.from(data) : data);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof data === 'string' ? data : data.toString('utf8'));
  } catch {
    return { ok: false, reason: 'frame is not JSON', unparseable: true };
  }
  if (vsn === '2.0.0') {
    if (!Array.isArray(parsed)) return { ok: false, reason: 'vsn 2.0.0 frames are arrays', unparseable: true };
    const [joinRef, ref, topic, event, payload] = parsed as unknown[];
    return shape(joinRef, ref, topic, event, payload);
  }
  if (!isObject(parsed)) return { ok: false, reason: 'vsn 1.0.0 frames are objects', unparseable: true };
  return shape(parsed.join_ref, parsed.ref, parsed.topic, parsed.event, parsed.payload);
}

function shape(joinRef: unknown, ref: unknown, topic: unknown, event: unknown, payload: unknown): Decoded {
  const refOk = (v: unknown) => v === null || v === undefined || typeof v === 'string';
  if (typeof topic !== 'string' || !refOk(ref) || !refOk(joinRef)) {
    return { ok: false, reason: 'frame needs a string topic and string refs', unparseable: true };
  }
  const where = { topic, ref: (ref as string | null | undefined) ?? null, joinRef: (joinRef as string | null | undefined) ?? null };
  if (typeof event !== 'string' || event === '') return { ok: false, reason: 'frame needs an event', ...where };
  if (!isObject(payload)) return { ok: false, reason: 'payload must be an object', ...where };
  return { ok: true, frame: { ...where, event, payload } };
}

function decodeBinaryPush(buf: Buffer): Decoded {
  if (buf.length < PUSH_HEADER || buf[0] !== KIND_USER_BROADCAST_PUSH) {
    return { ok: false, reason: 'unknown binary frame kind', unparseable: true };
  }
  const lengths = [buf[1]!, buf[2]!, buf[3]!, buf[4]!, buf[5]!];
  const encoding = buf[6]!;
  let offset = PUSH_HEADER;
  const strings: string[] = [];
  for (const length of lengths) {
    if (offset + length > buf.length) return { ok: false, reason: 'binary frame is truncated', unparseable: true };
    // The client writes charCodeAt() bytes, i.e. latin1 for its ASCII refs and topics.
    strings.push(buf.toString('latin1', offset, offset + length));
    offset += length;
  }
  const [joinRef, ref, topic, event, metadata] = strings as [string, string, string, string, string];
  const where = { topic, ref: ref || null, joinRef: joinRef || null };
  const body = buf.subarray(offset);
  const broadcast: BroadcastPayload = { type: 'broadcast', event, payload: null };
  try {
    if (encoding === ENCODING_JSON) broadcast.payload = JSON.parse(body.toString('utf8'));
    else if (encoding === ENCODING_BINARY) broadcast.payload = new Uint8Array(body);
    else return { ok: false, reason: 'unknown payload encoding', ...where };
    if (metadata) broadcast.meta = JSON.parse(metadata);
  } catch {
    return { ok: false, reason: 'broadcast payload is not JSON', ...where };
  }
  return { ok: true, frame: { ...where, event: 'broadcast', payload: { ...broadcast } } };
}

/**
 * Encodes an outgoing frame. A user broadcast to a vsn 2.0.0 client goes out as a
 * binary kind-4 frame, as Supabase's server does; everything else as text. Returns
 * null when the frame cannot be expressed (raw bytes to a vsn 1.0.0 client).
 */
export function encodeFrame(frame: Frame, vsn: Vsn): string | Buffer | null {
  const bytes = frame.event === 'broadcast' ? frame.payload.payload : undefined;
  if (vsn === '2.0.0') {
    if (frame.event === 'broadcast' && typeof frame.payload.event === 'string') {
      const binary = encodeBinaryBroadcast(frame.topic, frame.payload as unknown as BroadcastPayload);
      if (binary) return binary;
    }
    if (bytes instanceof Uint8Array) return null;
    return JSON.stringify([frame.joinRef, frame.ref, frame.topic, frame.event, frame.payload]);
  }
  if (bytes instanceof Uint8Array) return null;
  return JSON.stringify({ topic: frame.topic, event: frame.event, payload: frame.payload, ref: frame.ref, join_ref: frame.joinRef });
}

function encodeBinaryBroadcast(topic: string, b: BroadcastPayload): Buffer | null {
  const topicBytes = Buffer.from(topic, 'utf8');
  const eventBytes = Buffer.from(b.event, 'utf8');
  const metaBytes = Buffer.from(b.meta === undefined ? '' : JSON.stringify(b.meta), 'utf8');
  // One length byte each: longer strings fall back to a JSON text frame.
  if (topicBytes.length > 255 || eventBytes.length > 255 || metaBytes.length > 255) return null;
  const isBytes = b.payload instanceof Uint8Array;
  const body = isBytes ? Buffer.from(b.payload as Uint8Array) : Buffer.from(JSON.stringify(b.payload ?? {}), 'utf8');
  const header = Buffer.from([
    KIND_USER_BROADCAST,
    topicBytes.length,
    eventBytes.length,
    metaBytes.length,
    isBytes ? ENCODING_BINARY : ENCODING_JSON,
  ]);
  return Buffer.concat([header, topicBytes, eventBytes, metaBytes, body], BROADCAST_HEADER + topicBytes.length + eventBytes.length + metaBytes.length + body.length);
}

/** Encodes a client-side kind-3 push (what realtime-js sends); used by tests and tools. */
export function encodeBinaryPush(joinRef: string, ref: string, topic: string, event: string, payload: unknown): Buffer {
  const parts = [joinRef, ref, topic, event, ''].map((s) => Buffer.from(s, 'latin1'));
  const body = Buffer.from(JSON.stringify(payload), 'utf8');
  return Buffer.concat([Buffer.from([KIND_USER_BROADCAST_PUSH, ...parts.map((p) => p.length), ENCODING_JSON]), ...parts, body]);
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
