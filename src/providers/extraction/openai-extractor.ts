/**
 * Extraction with OpenAI chat completions and Structured Outputs: the response
 * format is a strict JSON schema derived from `extractionSchema` (schema.ts), and
 * the answer is validated against that same zod schema before anything uses it.
 *
 * Retries of 408/409/429/5xx and connection errors are the openai client's own
 * (exponential backoff, honouring retry-after-ms / retry-after); this class only
 * sorts what is left into permanent job errors (retrying cannot help) and plain
 * errors (the queue may retry the job later).
 *
 * Error messages never carry document text or model output: they end up in the
 * job row, and the values are health data.
 */
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { extractionSchema, type ExtractionResult, type Extractor } from './schema.js';
import { InputRejectedError, ProviderFailedError } from '../provider-error.js';

export interface OpenAiExtractorOptions {
  apiKey: string;
  /** A model with Structured Outputs, e.g. gpt-4o-2024-08-06 or later. */
  model: string;
  /** Another OpenAI-compatible endpoint (tests use a local stand-in). */
  baseURL?: string;
  /** Per attempt, in ms. */
  timeoutMs: number;
  /** Retries after the first attempt, made by the openai client. */
  maxRetries: number;
}

type JsonSchema = Record<string, unknown>;

const SCHEMA_NAME = 'clinical_records';

/**
 * Keywords OpenAI strict mode accepts (Structured Outputs "supported schemas").
 * Anything else zod emits (minLength, ...) is dropped from what the model sees;
 * the zod schema still enforces it when the answer is validated.
 */
const SUPPORTED_KEYWORDS = new Set([
  '$schema',
  '$defs',
  'definitions',
  '$ref',
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'anyOf',
  'enum',
  'const',
  'description',
  'title',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minItems',
  'maxItems',
]);
/** Keywords whose value is a map of name → subschema. */
const SCHEMA_MAPS = new Set(['properties', '$defs', 'definitions']);

/**
 * Makes a JSON schema fit OpenAI strict mode: drops unsupported keywords (and the
 * ±2^53 integer bounds zod adds, which say nothing), and checks that every object
 * is closed (`additionalProperties: false`) with all its properties required.
 * It does not make optional properties required: that would change the meaning
 * (schema.ts uses nullable for optional facts), so it throws instead.
 */
export function toOpenAiStrictSchema(schema: JsonSchema, path = '#'): JsonSchema {
  const out: JsonSchema = {};
  for (const [keyword, value] of Object.entries(schema)) {
    if (!SUPPORTED_KEYWORDS.has(keyword)) continue;
    if (keyword === '$schema' && path !== '#') continue;
    if ((keyword === 'maximum' && value === Number.MAX_SAFE_INTEGER) || (keyword === 'minimum' && value === Number.MIN_SAFE_INTEGER)) continue;
    if (SCHEMA_MAPS.has(keyword) && isObject(value)) {
      out[keyword] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, toOpenAiStrictSchema(asSchema(sub, `${path}/${keyword}/${name}`), `${path}/${keyword}/${name}`)]));
    } else if (keyword === 'items' && isObject(value)) {
      out[keyword] = toOpenAiStrictSchema(value, `${path}/items`);
    } else if (keyword === 'anyOf' && Array.isArray(value)) {
      out[keyword] = value.map((sub, i) => toOpenAiStrictSchema(asSchema(sub, `${path}/anyOf/${i}`), `${path}/anyOf/${i}`));
    } else {
      out[keyword] = value;
    }
  }
  if (out.type === 'object' || 'properties' in out) {
    if (out.additionalProperties !== false) throw new Error(`strict schema: ${path} must set additionalProperties: false`);
    const properties = Object.keys(isObject(out.properties) ? out.properties : {});
    const required = new Set(Array.isArray(out.required) ? out.required : []);
    const missing = properties.filter((name) => !required.has(name));
    if (missing.length > 0) throw new Error(`strict schema: ${path} leaves ${missing.join(', ')} optional (use nullable)`);
  }
  return out;
}

let cachedSchema: JsonSchema | undefined;

/** The JSON schema sent as the response format, derived from `extractionSchema`. */
export function clinicalRecordsJsonSchema(): JsonSchema {
  // openai's helper handles zod 4 (z.toJSONSchema, discriminated unions as anyOf, strict closing).
  cachedSchema ??= toOpenAiStrictSchema(zodResponseFormat(extractionSchema, SCHEMA_NAME).json_schema.schema as JsonSchema);
  return cachedSchema;
}

export const SYSTEM_PROMPT = [
  'You extract clinical records from the OCR text of one medical document (lab reports, discharge letters, prescriptions, vaccination cards).',
  'Rules:',
  '- Extract only what the text states. Never infer, complete or correct values, never add records that are not written, and never guess codes: use coding null unless the document itself gives a LOINC, SNOMED CT, RxNorm or CVX code or the mapping is unambiguous.',
  '- Kinds: observation (laboratory results and vital signs), medication, allergy, immunization, condition, encounter. If the document has none, return {"records": []}.',
  '- Provenance for every record: page is the number in the "--- page N ---" header; start and end are character offsets into that page\'s text (0 = first character after the header line, end exclusive); text is the exact source text between them (the line or table row the record was read from); confidence (0 to 1) is how sure you are the record is read correctly.',
  '- Dates as ISO YYYY-MM-DD; if the day or month is not written, use null rather than inventing one.',
  '- Units in UCUM (mmol/L, mg/dL, g/L, %, 10*9/L, mm[Hg], /min, Cel, kg). Numbers as numbers, with a decimal point; a non-numeric result goes in valueText.',
  '- Reference ranges only as printed; interpretation (L, N, H, LL, HH, A) only if the document flags it.',
  '- Use null for any fact the text does not give.',
].join('\n');

export function userMessage(pages: { page: number; text: string }[]): string {
  return pages.map((p) => `--- page ${p.page} ---\n${p.text}`).join('\n\n');
}

export class OpenAiExtractor implements Extractor {
  readonly name = 'openai';
  private readonly client: OpenAI;
  private readonly schema: JsonSchema;

  constructor(private readonly options: OpenAiExtractorOptions) {
    this.client = new OpenAI({
      apiKey: options.apiKey,
      baseURL: options.baseURL,
      timeout: options.timeoutMs,
      maxRetries: options.maxRetries,
    });
    this.schema = clinicalRecordsJsonSchema();
  }

  async extract(pages: { page: number; text: string; confidence: number }[], options: { signal?: AbortSignal } = {}): Promise<ExtractionResult> {
    const version = { name: 'openai', version: this.options.model };
    if (pages.every((p) => p.text.trim() === '')) return { records: [], extractor: version };

    let completion: OpenAI.Chat.Completions.ChatCompletion;
    try {
      completion = await this.client.chat.completions.create(
        {
          model: this.options.model,
          messages: [
            { role: 'system', content: SYSTEM_PROMPT },
            { role: 'user', content: userMessage(pages) },
          ],
          response_format: { type: 'json_schema', json_schema: { name: SCHEMA_NAME, strict: true, schema: this.schema } },
          // Health data: not kept for OpenAI's dashboards and evals.
          store: false,
        },
        { signal: options.signal },
      );
    } catch (error) {
      // Aborted by the caller: its reason, as signal.throwIfAborted() would give.
      if (error instanceof OpenAI.APIUserAbortError && options.signal?.aborted) throw options.signal.reason;
      throw requestError(error, this.options.timeoutMs);
    }

    const choice = completion.choices[0];
    if (!choice) throw new ProviderFailedError('extraction_invalid', 'the answer has no choices');
    const { message } = choice;
    if (message.refusal) {
      // The refusal text is the model's own words about the document: not kept.
      throw new InputRejectedError('extraction_refused', 'the model refused to extract records from this document');
    }
    if (choice.finish_reason === 'length') throw new ProviderFailedError('extraction_invalid', 'the answer was cut off at the token limit');
    if (choice.finish_reason === 'content_filter') throw new InputRejectedError('extraction_refused', 'the answer was stopped by the content filter');
    if (typeof message.content !== 'string' || message.content === '') throw new ProviderFailedError('extraction_invalid', 'the answer has no content');

    let parsed: unknown;
    try {
      parsed = JSON.parse(message.content);
    } catch {
      throw new ProviderFailedError('extraction_invalid', 'the answer is not JSON');
    }
    const result = extractionSchema.safeParse(parsed);
    if (!result.success) {
      // Paths and issue codes only: zod messages can quote what was received.
      const issues = result.error.issues.slice(0, 10).map((i) => `${i.path.join('.') || '(root)'} (${i.code})`);
      const more = result.error.issues.length > 10 ? `; and ${result.error.issues.length - 10} more` : '';
      throw new ProviderFailedError('extraction_invalid', `${issues.join('; ')}${more}`);
    }
    return { records: result.data.records, extractor: version };
  }
}

/** What is left after the client's own retries, sorted for the job queue. */
function requestError(error: unknown, timeoutMs: number): Error {
  if (error instanceof OpenAI.APIConnectionTimeoutError) return new ProviderFailedError('extraction_timeout', `OpenAI did not answer within ${timeoutMs} ms`);
  if (error instanceof OpenAI.APIConnectionError) return new ProviderFailedError('extraction_unavailable', 'OpenAI cannot be reached');
  if (error instanceof OpenAI.APIError && typeof error.status === 'number') {
    const { status } = error;
    // The client already retried these; the job may be retried later.
    if (status === 408 || status === 409 || status === 429 || status >= 500) return new ProviderFailedError('extraction_unavailable', `OpenAI answered ${status}`);
    return new InputRejectedError('extraction_rejected', `OpenAI answered ${status}`);
  }
  return error instanceof Error ? error : new Error(String(error));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asSchema(value: unknown, path: string): JsonSchema {
  if (!isObject(value)) throw new Error(`strict schema: ${path} is not a schema object`);
  return value;
}
