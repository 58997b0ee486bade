/**
 * Chooses each provider from the configuration: Supabase Storage when configured,
 * else a local folder; Google Vision or the local OCR; OpenAI or the local extractor.
 * The offline defaults need no network and no key.
 */
import type { Config } from '../config.js';
import { LocalExtractor } from './extraction/local-extractor.js';
import type { Extractor } from './extraction/schema.js';
import { LocalOcr } from './ocr/local-ocr.js';
import type { OcrProvider } from './ocr/types.js';
import { LocalStorage } from './storage/local-storage.js';
import { SupabaseStorage } from './storage/supabase-storage.js';
import type { FileStorage } from './storage/types.js';

export function createStorage(config: Config): FileStorage {
  const { supabaseUrl, supabaseKey, storageDir } = config.documents;
  if (supabaseUrl && supabaseKey) return new SupabaseStorage({ url: supabaseUrl, key: supabaseKey });
  return new LocalStorage(storageDir);
}

export async function createOcr(config: Config): Promise<OcrProvider> {
  if (config.documents.ocrProvider === 'google') {
    const { GoogleVisionOcr } = await import('./ocr/google-vision.js');
    return new GoogleVisionOcr({
      maxPages: config.documents.maxPages,
      ...(config.documents.googleCredentialsFile ? { keyFilename: config.documents.googleCredentialsFile } : {}),
    });
  }
  return new LocalOcr({ maxPages: config.documents.maxPages });
}

export async function createExtractor(config: Config): Promise<Extractor> {
  const { extractionProvider, openai } = config.documents;
  if (extractionProvider === 'openai' && openai.apiKey) {
    const { OpenAiExtractor } = await import('./extraction/openai-extractor.js');
    return new OpenAiExtractor({
      apiKey: openai.apiKey,
      model: openai.model,
      ...(openai.baseUrl ? { baseURL: openai.baseUrl } : {}),
      timeoutMs: openai.timeoutMs,
      maxRetries: openai.maxRetries,
    });
  }
  return new LocalExtractor();
}
