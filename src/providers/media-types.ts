/**
 * The document types Guardian accepts, in one list, and how a file's type is told from
 * its first bytes (a renamed file is still what it is). Upload, the pipeline, both OCR
 * providers and `npm run extract` read this list; nothing else names a media type.
 */

interface MediaType {
  /** The extension a stored file gets, and the ones `npm run extract` recognises. */
  extensions: readonly [string, ...string[]];
  /** Several pages in one file (PDF, TIFF); images have one. */
  paged: boolean;
}

export const DOCUMENT_MEDIA_TYPES = {
  'application/pdf': { extensions: ['.pdf'], paged: true },
  'image/png': { extensions: ['.png'], paged: false },
  'image/jpeg': { extensions: ['.jpg', '.jpeg'], paged: false },
  'image/tiff': { extensions: ['.tif', '.tiff'], paged: true },
  'image/webp': { extensions: ['.webp'], paged: false },
} as const satisfies Record<string, MediaType>;

export type DocumentMediaType = keyof typeof DOCUMENT_MEDIA_TYPES;

/** For messages: "PDF, PNG, JPEG, TIFF or WebP". */
export const SUPPORTED_TYPES_TEXT = 'PDF, PNG, JPEG, TIFF or WebP';

export const SUPPORTED_MEDIA_TYPES: ReadonlySet<string> = new Set(Object.keys(DOCUMENT_MEDIA_TYPES));

export function isSupportedMediaType(type: string): type is DocumentMediaType {
  return SUPPORTED_MEDIA_TYPES.has(type);
}

/** An image (one page, decoded as pixels), as opposed to a PDF. TIFF is an image with pages. */
export function isImageType(type: string): boolean {
  return isSupportedMediaType(type) && type !== 'application/pdf';
}

/** The extension for a stored file of this type ('' for an unsupported one). */
export function extensionOf(type: string): string {
  return isSupportedMediaType(type) ? DOCUMENT_MEDIA_TYPES[type].extensions[0] : '';
}

/** The supported type a file name's extension names, if any. */
export function mediaTypeOfExtension(extension: string): DocumentMediaType | undefined {
  const wanted = extension.toLowerCase();
  return (Object.keys(DOCUMENT_MEDIA_TYPES) as DocumentMediaType[]).find((type) =>
    (DOCUMENT_MEDIA_TYPES[type].extensions as readonly string[]).includes(wanted));
}

/**
 * What a file is, by its first bytes: one of the supported types, or 'image/bmp' (told
 * apart so it can be refused by name), or undefined.
 */
export function sniffMediaType(bytes: Uint8Array): string | undefined {
  const head = Buffer.from(bytes.subarray(0, 12));
  if (head.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf';
  if (head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg';
  if (head.subarray(0, 4).toString('latin1') === 'RIFF' && head.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  if (['II*\0', 'MM\0*'].includes(head.subarray(0, 4).toString('latin1'))) return 'image/tiff';
  if (head.subarray(0, 2).toString('latin1') === 'BM') return 'image/bmp';
  return undefined;
}
