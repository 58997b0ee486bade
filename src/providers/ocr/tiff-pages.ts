/**
 * The size of every page (IFD) of a TIFF, read from its directories without
 * decoding anything. image-size 1.2 reads TIFFs only from a file path, and only the
 * first page; a multi-page TIFF goes to Google Vision whole, so every page counts.
 * Classic TIFF only: BigTIFF is not sniffed as image/tiff (media-type.ts), so it
 * never reaches here.
 */

export interface PageSize {
  width: number;
  height: number;
}

const IMAGE_WIDTH = 256;
const IMAGE_LENGTH = 257;
const SHORT = 3;
const LONG = 4;
/** A loop guard: a file whose IFD chain is longer is refused as unreadable. */
const MAX_IFDS = 10_000;

export class TiffHeaderError extends Error {
  override readonly name = 'TiffHeaderError';
}

export function tiffPageSizes(bytes: Uint8Array): PageSize[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const order = String.fromCharCode(bytes[0] ?? 0, bytes[1] ?? 0);
  if (order !== 'II' && order !== 'MM') throw new TiffHeaderError('not a TIFF byte order');
  const le = order === 'II';
  const u16 = (at: number) => {
    if (at + 2 > bytes.length) throw new TiffHeaderError('truncated TIFF');
    return view.getUint16(at, le);
  };
  const u32 = (at: number) => {
    if (at + 4 > bytes.length) throw new TiffHeaderError('truncated TIFF');
    return view.getUint32(at, le);
  };
  if (u16(2) !== 42) throw new TiffHeaderError('not a classic TIFF');

  const pages: PageSize[] = [];
  const seen = new Set<number>();
  for (let ifd = u32(4); ifd !== 0; ) {
    if (seen.has(ifd) || seen.size >= MAX_IFDS) throw new TiffHeaderError('TIFF directories loop or are too many');
    seen.add(ifd);
    const entries = u16(ifd);
    let width: number | undefined;
    let height: number | undefined;
    for (let i = 0; i < entries; i++) {
      const at = ifd + 2 + i * 12;
      const tag = u16(at);
      if (tag !== IMAGE_WIDTH && tag !== IMAGE_LENGTH) continue;
      const type = u16(at + 2);
      // One SHORT or LONG: it sits in the entry's own value field.
      const value = type === SHORT ? u16(at + 8) : type === LONG ? u32(at + 8) : undefined;
      if (value === undefined || u32(at + 4) < 1) throw new TiffHeaderError('TIFF dimensions of an unexpected type');
      if (tag === IMAGE_WIDTH) width = value;
      else height = value;
    }
    if (!width || !height) throw new TiffHeaderError('a TIFF page without dimensions');
    pages.push({ width, height });
    ifd = u32(ifd + 2 + entries * 12);
  }
  if (pages.length === 0) throw new TiffHeaderError('a TIFF without pages');
  return pages;
}
