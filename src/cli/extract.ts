/**
 * `npm run extract -- <file> [--json]`: OCR and extraction of one local file with
 * the configured providers (offline by default), no database needed.
 *
 * --json prints one object, a stable shape (documented in the README):
 *   { file, media_type, ocr: {name, version}, extractor: {name, version},
 *     pages: [{page, source, confidence, characters}], records: [...] }
 * where each record is the extraction schema's (src/providers/extraction/schema.ts).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../config.js';
import { readDocument } from '../consumers/documents/read-document.js';
import { isSupportedMediaType, mediaTypeOfExtension, sniffMediaType, SUPPORTED_TYPES_TEXT } from '../providers/media-types.js';
import { terminateTesseract } from '../providers/ocr/tesseract.js';
import { InputRejectedError, ProviderError } from '../providers/provider-error.js';
import { createExtractor, createOcr } from '../providers/index.js';
import { parseCommandLine, usageError } from './command-line.js';

/** By content first (a renamed file is still what it is), else by extension. */
function mediaTypeOf(bytes: Uint8Array, fileName: string): string | undefined {
  const sniffed = sniffMediaType(bytes) ?? mediaTypeOfExtension(path.extname(fileName));
  return sniffed && isSupportedMediaType(sniffed) ? sniffed : undefined;
}

/** A file that cannot be read, said the way a person reads it ("no such file"), not as ENOENT twice. */
const UNREADABLE: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'it is a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

/** The file's bytes, or one line saying why it cannot be read and exit code 1. */
async function readInput(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    console.error(`cannot read ${file}: ${UNREADABLE[code] ?? code}`);
    process.exit(1);
  }
}

const COMMAND = {
  name: 'extract',
  usage: 'usage: npm run extract -- <file> [--json]\n\nOCR and extraction of one local file (PDF or image), no database needed.',
};
const { values, positionals } = parseCommandLine({ ...COMMAND, options: { json: { type: 'boolean' } }, maxPositionals: 1 });
const json = values.json === true;
const file = positionals[0] ?? usageError(COMMAND, 'a file is required');

const config = loadConfig();
const bytes = await readInput(file);
let exitCode = 0;
try {
  if (bytes.length === 0) throw new InputRejectedError('empty_file', 'the file is empty');
  const mediaType = mediaTypeOf(bytes, file);
  if (!mediaType) throw new InputRejectedError('unsupported_media_type', `not a ${SUPPORTED_TYPES_TEXT} file`);
  // The pipeline's own read step, its page limit and no-text check included.
  const { ocr: recognized, extraction } = await readDocument(
    { ocr: await createOcr(config), extractor: await createExtractor(config) },
    { bytes, mediaType, maxPages: config.documents.maxPages },
  );
  const output = {
    file: path.basename(file),
    media_type: mediaType,
    ocr: recognized.engine,
    extractor: extraction.extractor,
    pages: recognized.pages.map((p) => ({ page: p.page, source: p.source, confidence: p.confidence, characters: p.text.length })),
    records: extraction.records,
  };
  if (json) console.log(JSON.stringify(output, null, 2));
  else {
    console.log(`${output.file}: ${output.pages.length} page(s) via ${output.ocr.name}, ${output.records.length} record(s) via ${output.extractor.name}`);
    for (const r of output.records) {
      const { provenance, kind, ...fields } = r;
      const shown = Object.entries(fields).filter(([, v]) => v !== null).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
      console.log(`  ${kind.padEnd(12)} ${shown.join('  ')}  [page ${provenance.page}, confidence ${provenance.confidence}]`);
    }
  }
} catch (error) {
  console.error(`${error instanceof ProviderError ? error.code : 'extract_failed'}: ${(error as Error).message}`);
  exitCode = 1;
} finally {
  await terminateTesseract();
}
process.exit(exitCode);
