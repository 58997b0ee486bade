/**
 * Receives one document upload (multipart/form-data) and streams the file straight to
 * storage while hashing (sha256) and counting it, so memory stays at a few stream chunks
 * whatever the file size.
 *
 * The media type is decided by the file's first bytes (the client's Content-Type and
 * extension are ignored: a renamed file is still what it is), before anything is stored.
 * Every failure leaves nothing in storage: the file only gets its final name once fully
 * received (see FileStorage.putStream), and anything stored before a late failure (a
 * second file part after the first) is removed.
 */
import busboy from 'busboy';
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Transform } from 'node:stream';
import { extensionOf, sniffMediaType, SUPPORTED_TYPES_TEXT } from '../../providers/media-types.js';
import type { FileStorage, ObjectRef } from '../../providers/storage/types.js';
import { HttpProblem } from '../problem.js';

export interface ReceivedUpload {
  /** Safe for a storage path (ASCII letters, digits, a few punctuation marks; ≤ 200 chars). */
  fileName: string;
  /** The client's file name with control characters and path parts removed (≤ 200 chars), for display. */
  originalFileName: string;
  /** Sniffed from the first bytes, never taken from the client. */
  mediaType: string;
  sizeBytes: number;
  sha256: string;
  /** Where the file was stored. */
  object: ObjectRef;
}

export interface ReceiveUploadOptions {
  maxBytes: number;
  storage: FileStorage;
  allowedTypes: ReadonlySet<string>;
  /** Where to store a file of this (storage-safe) name; may throw (the upload then fails with its error). */
  objectFor: (fileName: string) => ObjectRef;
}

/** Enough bytes for every signature sniffMediaType knows (WebP needs bytes 8–11). */
const SNIFF_BYTES = 12;
// Form fields are metadata (title, kind, date), never content: 16 of at most 1 KiB each.
const MAX_FIELDS = 16;
const MAX_FIELD_BYTES = 1024;
/**
 * What a multipart body may carry besides the file: per part ~100 bytes of boundary and
 * ~300 bytes of headers (a long encoded file name), plus the fields: 17 parts × ~1.4 KiB
 * ≈ 24 KiB; 64 KiB leaves room for verbose clients without letting a declared length run
 * far past the file limit.
 */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;
const MAX_FILE_NAME_CHARS = 200;


export async function receiveUpload(req: IncomingMessage, options: ReceiveUploadOptions): Promise<ReceivedUpload> {
  const { maxBytes, storage, allowedTypes, objectFor } = options;
  const malformed = () => new HttpProblem(400, 'upload_malformed', 'the multipart body is malformed or incomplete');
  const tooLarge = () => new HttpProblem(413, 'payload_too_large', `the file is larger than ${maxBytes} bytes`, { max_bytes: maxBytes });

  if (!/^multipart\/form-data\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
    throw new HttpProblem(415, 'multipart_required', 'send the document as multipart/form-data with one file part');
  }
  const declared = Number(req.headers['content-length']);
  // Refuse before reading a byte; what is left unread is discarded by Node's HTTP server.
  if (Number.isFinite(declared) && declared > maxBytes + MULTIPART_OVERHEAD_BYTES) throw tooLarge();

  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: req.headers,
      // File names as UTF-8 (busboy's default is latin1), as browsers send them.
      defParamCharset: 'utf8',
      limits: {
        files: 1,
        // busboy reports 'limit' on reaching fileSize, not on passing it: one byte more
        // lets a file of exactly maxBytes through.
        fileSize: maxBytes + 1,
        fields: MAX_FIELDS,
        fieldSize: MAX_FIELD_BYTES,
        fieldNameSize: 100,
        parts: MAX_FIELDS + 2,
        headerPairs: 20,
      },
    });
  } catch {
    // busboy throws on a multipart type without a boundary.
    throw new HttpProblem(400, 'upload_malformed', 'the multipart body has no boundary');
  }

  return new Promise<ReceivedUpload>((resolve, reject) => {
    let failure: HttpProblem | Error | undefined;
    let settled = false;
    let parsed = false;
    let fileSeen = false;
    let file: { fileName: string; originalFileName: string; mediaType: string; object: ObjectRef } | undefined;
    /** The stream handed to storage; destroyed on any failure so storage discards it. */
    let body: Transform | undefined;
    /** Settles when storage has the whole file (or gave up). */
    let stored: Promise<void> | undefined;
    let storedOk = false;
    let sizeBytes = 0;
    const hash = createHash('sha256');

    const cleanUp = async () => {
      if (stored) await stored.catch(() => undefined);
      // putStream already removes its partial data; this catches a file that was fully
      // stored before a later part of the form failed.
      if (file && stored) await storage.remove(file.object).catch(() => undefined);
    };

    const fail = (error: HttpProblem | Error) => {
      if (failure || settled) return;
      failure = error;
      // Tear down after the current call stack: busboy emits 'limit' (and others) from
      // inside its own write and touches its state afterwards, so destroying it there throws.
      process.nextTick(() => {
        req.unpipe(parser);
        // Keep reading (and discarding) the rest, so the client can finish sending and read
        // our answer instead of a connection reset; Node's requestTimeout bounds the time.
        req.resume();
        body?.destroy(error);
        parser.destroy();
        void cleanUp().then(() => {
          settled = true;
          reject(error);
        });
      });
    };

    const finishIfDone = () => {
      if (failure || settled || !parsed) return;
      if (!fileSeen || !file) {
        // No file part, or an empty one (decided when its stream ended).
        if (!fileSeen) fail(new HttpProblem(400, 'file_missing', 'the form has no file part'));
        return;
      }
      if (!storedOk) return;
      settled = true;
      resolve({ ...file, sizeBytes, sha256: hash.digest('hex') });
    };

    // Other form fields are read (and limited) but not used: the file is the upload.
    parser.on('field', (_name, _value, info) => {
      if (info.valueTruncated || info.nameTruncated) {
        fail(new HttpProblem(400, 'field_too_large', `form fields are limited to ${MAX_FIELD_BYTES} bytes`));
      }
    });
    parser.on('fieldsLimit', () => fail(new HttpProblem(400, 'too_many_fields', `at most ${MAX_FIELDS} form fields are accepted`)));
    parser.on('partsLimit', () => fail(new HttpProblem(400, 'too_many_fields', `at most ${MAX_FIELDS} form fields are accepted`)));
    parser.on('filesLimit', () => fail(new HttpProblem(400, 'too_many_files', 'send one file per upload')));
    parser.on('error', () => fail(malformed()));
    parser.on('close', () => {
      parsed = true;
      finishIfDone();
    });

    parser.on('file', (_name, stream, info) => {
      fileSeen = true;
      if (failure) {
        stream.resume();
        return;
      }
      stream.on('limit', () => fail(tooLarge()));
      // busboy fails the file stream itself on a truncated body ("Unexpected end of form").
      stream.on('error', () => fail(malformed()));

      // Hold the first chunks until ≥ 12 bytes (or the end) have arrived, then decide the type.
      const head: Buffer[] = [];
      let headBytes = 0;
      const onHead = (chunk: Buffer) => {
        head.push(chunk);
        headBytes += chunk.length;
        if (headBytes >= SNIFF_BYTES) start();
      };
      let ended = false;
      const onEndBeforeHead = () => {
        ended = true;
        start();
      };
      stream.on('data', onHead);
      stream.once('end', onEndBeforeHead);

      const start = () => {
        stream.off('data', onHead);
        stream.off('end', onEndBeforeHead);
        if (failure) return;
        const first = Buffer.concat(head);
        if (first.length === 0) {
          fail(new HttpProblem(400, 'file_empty', 'the file is empty'));
          return;
        }
        const mediaType = sniffMediaType(first);
        if (!mediaType || !allowedTypes.has(mediaType)) {
          // Nothing was stored yet: the type is decided before storage sees a byte.
          fail(new HttpProblem(415, 'unsupported_media_type', `the file is not a supported document type (${SUPPORTED_TYPES_TEXT})`));
          return;
        }
        const names = fileNames(info.filename, mediaType);
        let object: ObjectRef;
        try {
          object = objectFor(names.fileName);
        } catch (error) {
          fail(error as Error);
          return;
        }
        file = { ...names, mediaType, object };

        // Hash and count on the way through. The Transform's buffers (16 KiB each side) and
        // busboy's are all that is ever held: pipe() pauses the file stream, and through it
        // the request, whenever storage is slower than the client.
        body = new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            hash.update(chunk);
            sizeBytes += chunk.length;
            callback(null, chunk);
          },
        });
        // Its errors reach us through putStream's rejection; without a listener, pipe()
        // would rethrow the one we destroy it with.
        body.on('error', () => undefined);
        if (ended) {
          body.end(first);
        } else {
          body.write(first);
          stream.pipe(body);
        }
        stored = storage.putStream(object, body, mediaType).then(
          () => {
            storedOk = true;
            finishIfDone();
          },
          (error: unknown) => {
            fail(failure ?? (error instanceof Error ? error : new Error(String(error))));
          },
        );
      };
    });

    // A client that goes away mid-body: `complete` stays false.
    req.on('close', () => {
      if (!req.complete) fail(new HttpProblem(400, 'upload_malformed', 'the upload was interrupted'));
    });
    req.on('error', () => fail(new HttpProblem(400, 'upload_malformed', 'the upload was interrupted')));
    req.pipe(parser);
  });
}

/**
 * The file name twice: for display (control characters and any path removed) and for the
 * storage path, where Supabase Storage accepts only ASCII letters, digits and a few marks
 * in object keys (it answers "Invalid key" otherwise), so accents are dropped ("Müller" →
 * "Muller") and other characters become "_".
 */
export function fileNames(clientName: string | undefined, mediaType: string): { fileName: string; originalFileName: string } {
  const extension = extensionOf(mediaType);
  const fallback = `upload${extension}`;
  const base = (clientName ?? '').split(/[/\\]/).pop() ?? '';
  // C0, DEL and C1 controls, plus bidi overrides that can disguise an extension.
  const cleaned = base.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '').trim();
  const originalFileName = /^[.\s]*$/.test(cleaned) ? fallback : limit(cleaned);

  const ascii = cleaned
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9 ._\-()+,!']/g, '_')
    .replace(/_{2,}/g, '_')
    // No hidden files, no "." or "..": a leading dot would make them path steps.
    .replace(/^[.\s]+/, '')
    .trim();
  // A name with no letter or digit left (all Japanese, say) says nothing: use the fallback.
  const stem = ascii.replace(/\.[^.]*$/, '');
  const fileName = /[A-Za-z0-9]/.test(stem) ? limit(ascii) : fallback;
  return { fileName, originalFileName };
}

/** At most 200 characters, keeping the extension (it helps people, not the type decision). */
function limit(name: string): string {
  const chars = Array.from(name);
  if (chars.length <= MAX_FILE_NAME_CHARS) return name;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 && name.length - dot <= 10 ? name.slice(dot) : '';
  return Array.from(name.slice(0, name.length - extension.length)).slice(0, MAX_FILE_NAME_CHARS - extension.length).join('') + extension;
}
