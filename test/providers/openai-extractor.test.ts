/**
 * OpenAiExtractor against a local stand-in: the real openai client (its retries,
 * timeouts and encoding) talks to 127.0.0.1, which answers with recorded
 * chat.completions responses.
 */
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { InputRejectedError, ProviderFailedError } from '../../src/providers/provider-error.js';
import { clinicalRecordsJsonSchema, OpenAiExtractor, toOpenAiStrictSchema } from '../../src/providers/extraction/openai-extractor.js';
import { extractedRecordSchema } from '../../src/providers/extraction/schema.js';
import { inSequence, startStandIn, type StandIn, type StandInReply } from '../helpers/stand-in-server.js';
import { rejection } from '../helpers/suite.js';

const recorded = (name: string) => JSON.parse(readFileSync(new URL(`./recorded/${name}`, import.meta.url), 'utf8'));
const pages: { page: number; text: string; confidence: number }[] = recorded('lab-report-pages.json');
const completion = recorded('openai-chat-completion.json');
const refusal = recorded('openai-chat-completion-refusal.json');

const ok: StandInReply = { body: completion };
const apiError = (status: number, message: string, type: string, code: string | null = null, headers: Record<string, string> = {}): StandInReply => ({
  status,
  headers: { 'x-request-id': `req_${status}a1b2c3`, ...headers },
  body: { error: { message, type, param: null, code } },
});

interface ChatRequest {
  model: string;
  store: boolean;
  messages: { role: string; content: string }[];
  response_format: { type: string; json_schema: { name: string; strict: boolean; schema: Record<string, unknown> } };
}

const test = suite<{ standIn?: StandIn }>('OpenAiExtractor (local stand-in)', {});

test.after.each(async (context) => {
  await context.standIn?.close();
  context.standIn = undefined;
});

function extractor(standIn: StandIn, options: { timeoutMs?: number; maxRetries?: number } = {}) {
  return new OpenAiExtractor({
    apiKey: 'sk-test-stand-in',
    model: 'gpt-4o-2024-08-06',
    baseURL: `${standIn.url}/v1`,
    timeoutMs: options.timeoutMs ?? 5000,
    maxRetries: options.maxRetries ?? 2,
  });
}

test('the response format schema is strict everywhere and comes from the zod schema', () => {
  const schema = clinicalRecordsJsonSchema();
  const allowed = new Set(['$schema', '$defs', 'definitions', '$ref', 'type', 'properties', 'required', 'additionalProperties', 'items', 'anyOf', 'enum', 'const', 'description', 'title', 'pattern', 'format', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'minItems', 'maxItems']);
  let objects = 0;
  const visit = (node: unknown, path: string): void => {
    if (typeof node !== 'object' || node === null) return;
    const s = node as Record<string, unknown>;
    for (const keyword of Object.keys(s)) assert.ok(allowed.has(keyword), `${path}: ${keyword} is not supported in strict mode`);
    assert.not.ok('oneOf' in s || 'allOf' in s, `${path}: oneOf/allOf`);
    if (s.type === 'object' || 'properties' in s) {
      objects++;
      assert.is(s.additionalProperties, false, `${path}: additionalProperties`);
      assert.equal([...(s.required as string[])].sort(), Object.keys(s.properties as object).sort(), `${path}: required`);
    }
    for (const key of ['properties', '$defs', 'definitions']) {
      for (const [name, sub] of Object.entries((s[key] as Record<string, unknown>) ?? {})) visit(sub, `${path}/${key}/${name}`);
    }
    if (s.items) visit(s.items, `${path}/items`);
    if (Array.isArray(s.anyOf)) s.anyOf.forEach((sub, i) => visit(sub, `${path}/anyOf/${i}`));
  };
  visit(schema, '#');
  assert.is(schema.type, 'object');
  // the root, 6 record variants, 6 provenance objects, 5 codings (encounters have none)
  assert.is(objects, 18);
  // The variants are those of the zod discriminated union, in order.
  const items = (schema.properties as { records: { items: { anyOf: { properties: { kind: { const: string } } }[] } } }).records.items;
  assert.equal(
    items.anyOf.map((v) => v.properties.kind.const),
    extractedRecordSchema.options.map((o) => o.shape.kind.value),
  );
});

test('the post-processing refuses an open object and an optional property, and drops unsupported keywords', () => {
  assert.throws(() => toOpenAiStrictSchema({ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }), /additionalProperties/);
  assert.throws(() => toOpenAiStrictSchema({ type: 'object', properties: { a: { type: 'string' } }, required: [], additionalProperties: false }), /leaves a optional/);
  const out = toOpenAiStrictSchema({
    type: 'object',
    properties: { a: { type: 'string', minLength: 1 }, n: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } },
    required: ['a', 'n'],
    additionalProperties: false,
  });
  assert.equal(out.properties, { a: { type: 'string' }, n: { type: 'integer', minimum: 0 } });
});

test('happy path: validated records, a strict json_schema request with the pages', async (context) => {
  const standIn = (context.standIn = await startStandIn(inSequence(ok)));
  const result = await extractor(standIn).extract(pages);
  assert.is(result.records.length, 9);
  assert.equal(result.extractor, { name: 'openai', version: 'gpt-4o-2024-08-06' });
  assert.equal(
    result.records.map((r) => r.kind),
    ['observation', 'observation', 'observation', 'observation', 'condition', 'medication', 'allergy', 'immunization', 'encounter'],
  );
  // The recording's provenance points at the source text of the pages sent.
  for (const { provenance } of result.records) {
    assert.is(pages[provenance.page - 1]!.text.slice(provenance.start, provenance.end), provenance.text);
  }

  assert.is(standIn.requests.length, 1);
  const request = standIn.requests[0]!;
  assert.is(request.method, 'POST');
  assert.is(request.path, '/v1/chat/completions');
  assert.is(request.headers.authorization, 'Bearer sk-test-stand-in');
  const body = request.json<ChatRequest>();
  assert.is(body.model, 'gpt-4o-2024-08-06');
  assert.is(body.store, false);
  assert.is(body.response_format.type, 'json_schema');
  assert.is(body.response_format.json_schema.name, 'clinical_records');
  assert.is(body.response_format.json_schema.strict, true);
  assert.equal(body.response_format.json_schema.schema, clinicalRecordsJsonSchema());
  assert.equal(body.messages.map((m) => m.role), ['system', 'user']);
  assert.match(body.messages[0]!.content, /only what the text states/);
  assert.match(body.messages[0]!.content, /UCUM/);
  const user = body.messages[1]!.content;
  for (const page of pages) assert.ok(user.includes(`--- page ${page.page} ---\n${page.text}`), `page ${page.page} is in the user message`);
});

test('429 with retry-after-ms: the client retries and succeeds (2 requests)', async (context) => {
  const standIn = (context.standIn = await startStandIn(
    inSequence(apiError(429, 'Rate limit reached for gpt-4o on tokens per min (TPM).', 'tokens', 'rate_limit_exceeded', { 'retry-after-ms': '10' }), ok),
  ));
  const result = await extractor(standIn).extract(pages);
  assert.is(result.records.length, 9);
  assert.is(standIn.requests.length, 2);
});

test('500 twice then success with maxRetries 2 (3 requests)', async (context) => {
  const standIn = (context.standIn = await startStandIn(
    inSequence(apiError(500, 'The server had an error while processing your request.', 'server_error'), apiError(500, 'The server had an error while processing your request.', 'server_error'), ok),
  ));
  const result = await extractor(standIn, { maxRetries: 2 }).extract(pages);
  assert.is(result.records.length, 9);
  assert.is(standIn.requests.length, 3);
});

test('500 beyond maxRetries: a plain (retryable) error, not a permanent one', async (context) => {
  const standIn = (context.standIn = await startStandIn(inSequence(apiError(503, 'Service unavailable', 'server_error', null, { 'retry-after-ms': '5' }))));
  const error = await rejection(extractor(standIn, { maxRetries: 1 }).extract(pages));
  assert.not.instance(error, InputRejectedError);
  assert.instance(error, ProviderFailedError);
  assert.equal([(error as ProviderFailedError).code, error.message], ['extraction_unavailable', 'OpenAI answered 503']);
  assert.is(standIn.requests.length, 2);
});

test('400: InputRejectedError extraction_rejected after exactly 1 request', async (context) => {
  const standIn = (context.standIn = await startStandIn(
    inSequence(apiError(400, "Invalid schema for response_format 'clinical_records'.", 'invalid_request_error'), ok),
  ));
  const error = await rejection(extractor(standIn).extract(pages));
  assert.instance(error, InputRejectedError);
  assert.is((error as InputRejectedError).code, 'extraction_rejected');
  assert.is(error.message, 'OpenAI answered 400');
  assert.is(standIn.requests.length, 1);
});

test('401 is permanent too', async (context) => {
  const standIn = (context.standIn = await startStandIn(inSequence(apiError(401, 'Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'))));
  const error = await rejection(extractor(standIn).extract(pages));
  assert.instance(error, InputRejectedError);
  assert.is((error as InputRejectedError).code, 'extraction_rejected');
  assert.is(standIn.requests.length, 1);
});

test('a refusal: InputRejectedError extraction_refused, without the refusal text', async (context) => {
  const standIn = (context.standIn = await startStandIn(inSequence({ body: refusal })));
  const error = await rejection(extractor(standIn).extract(pages));
  assert.instance(error, InputRejectedError);
  assert.is((error as InputRejectedError).code, 'extraction_refused');
  assert.not.match(error.message, /sorry/i);
});

test('content that violates the schema: extraction_invalid with paths, never values', async (context) => {
  const bad = {
    records: [
      {
        kind: 'observation',
        category: 'laboratory',
        name: 'Zyloprim-HbA1c-secret',
        coding: null,
        value: 'six point one',
        valueText: null,
        unit: 'mmol/L',
        referenceLow: null,
        referenceHigh: null,
        interpretation: 'VERY-HIGH',
        effectiveDate: '05/03/2024',
        provenance: { page: 0, start: 4, end: 9, text: 'Patient: EXAMPLE, Jane', confidence: 7.25 },
      },
      { kind: 'diagnosis-of-Jane', name: 'Example' },
    ],
  };
  const reply = structuredClone(completion);
  reply.choices[0].message.content = JSON.stringify(bad);
  const standIn = (context.standIn = await startStandIn(inSequence({ body: reply })));
  const error = await rejection(extractor(standIn).extract(pages));
  assert.not.instance(error, InputRejectedError);
  assert.is((error as ProviderFailedError).code, 'extraction_invalid');
  assert.match(error.message, /records\.0\.value/);
  assert.match(error.message, /records\.0\.provenance\.page/);
  for (const value of ['Zyloprim', 'six point one', 'VERY-HIGH', '05/03/2024', 'Jane', 'EXAMPLE', 'diagnosis-of', '7.25', 'mmol']) {
    assert.not.ok(error.message.includes(value), `the message leaks ${value}: ${error.message}`);
  }
});

test('content that is not JSON: extraction_invalid', async (context) => {
  const reply = structuredClone(completion);
  reply.choices[0].message.content = '{"records": [{"kind": "observation", "name": "Potassium 3.3';
  reply.choices[0].finish_reason = 'stop';
  const standIn = (context.standIn = await startStandIn(inSequence({ body: reply })));
  const error = await rejection(extractor(standIn).extract(pages));
  assert.instance(error, ProviderFailedError);
  assert.equal([(error as ProviderFailedError).code, error.message], ['extraction_invalid', 'the answer is not JSON']);
});

test('a stand-in that never answers: timeoutMs 200, maxRetries 0 rejects within ~1 s', async (context) => {
  const standIn = (context.standIn = await startStandIn(() => 'hang'));
  const started = Date.now();
  const error = await rejection(extractor(standIn, { timeoutMs: 200, maxRetries: 0 }).extract(pages));
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 1000, `took ${elapsed} ms`);
  assert.instance(error, ProviderFailedError);
  assert.equal([(error as ProviderFailedError).code, error.message], ['extraction_timeout', 'OpenAI did not answer within 200 ms']);
  assert.not.instance(error, InputRejectedError);
  assert.is(standIn.requests.length, 1);
});

test('the AbortSignal reaches the request', async (context) => {
  const standIn = (context.standIn = await startStandIn(() => 'hang'));
  const controller = new AbortController();
  const pending = extractor(standIn, { timeoutMs: 10_000, maxRetries: 2 }).extract(pages, { signal: controller.signal });
  setTimeout(() => controller.abort(), 100);
  const started = Date.now();
  const error = await rejection(pending);
  assert.ok(Date.now() - started < 1000);
  assert.is(error.name, 'AbortError');
  assert.is(standIn.requests.length, 1);
});

test.run();
