/**
 * GoogleVisionOcr against a local stand-in: the real ImageAnnotatorClient over its
 * REST transport (http://127.0.0.1:<port>), authenticated with a service account
 * key generated here, so google-auth-library signs its own JWT and never calls a
 * token endpoint. The stand-in answers images:annotate and files:annotate with
 * recorded responses.
 */
import { generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { InputRejectedError, ProviderFailedError } from '../../src/providers/provider-error.js';
import { GoogleVisionOcr, type GoogleVisionOcrOptions } from '../../src/providers/ocr/google-vision.js';
import { jpegBomb, pdfImageBomb, pngBomb, tiffBomb, webpBomb } from '../fixtures/hostile.js';
import { inSequence, startStandIn, type StandIn, type StandInHandler, type StandInReply, type StandInRequest } from '../helpers/stand-in-server.js';
import { rejection } from '../helpers/suite.js';

const recorded = (name: string) => JSON.parse(readFileSync(new URL(`./recorded/${name}`, import.meta.url), 'utf8'));
const imagesAnswer = recorded('vision-images-annotate.json');
const filePages1to5 = recorded('vision-files-annotate-pages-1-5.json');
const filePages6to7 = recorded('vision-files-annotate-pages-6-7.json');

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const credentials = {
  client_email: 'guardian-ocr@guardian-test.iam.gserviceaccount.com',
  private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  project_id: 'guardian-test',
};
// Small real images: their headers are sized before anything is sent (the stand-in decodes nothing).
const png = pngBomb(64, 48); // the bombs' generators at a harmless size
const tiff = tiffBomb(64, 48);
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

interface FilesRequest {
  requests: { inputConfig: { content: string; mimeType: string }; features: { type: number | string }[]; pages?: number[] }[];
}

/** images:annotate → the recorded image; files:annotate → the recorded pages asked for. */
const recordedVision: StandInHandler = (request) => {
  if (request.path === '/v1/images:annotate') return { body: imagesAnswer };
  if (request.path === '/v1/files:annotate') {
    const { requests } = request.json<FilesRequest>();
    const pages = requests[0]?.pages ?? [];
    const answer = structuredClone(pages[0] === 6 ? filePages6to7 : filePages1to5);
    answer.responses[0].inputConfig.mimeType = requests[0]?.inputConfig.mimeType;
    return { body: answer };
  }
  return { status: 404, body: { error: { code: 404, message: 'Not found', status: 'NOT_FOUND' } } };
};

const unavailable: StandInReply = { status: 503, body: { error: { code: 503, message: 'The service is currently unavailable.', status: 'UNAVAILABLE' } } };

const test = suite<{ standIn?: StandIn; ocr?: GoogleVisionOcr }>('GoogleVisionOcr (local stand-in)', {});

test.after.each(async (context) => {
  await context.ocr?.close();
  await context.standIn?.close();
  context.ocr = undefined;
  context.standIn = undefined;
});

function visionOcr(context: { standIn?: StandIn; ocr?: GoogleVisionOcr }, options: Partial<GoogleVisionOcrOptions> = {}) {
  const standIn = context.standIn!;
  context.ocr = new GoogleVisionOcr({ apiEndpoint: standIn.host, port: standIn.port, protocol: 'http', credentials, timeoutMs: 5000, maxRetries: 0, ...options });
  return context.ocr;
}

async function pdf(pages: number): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let i = 1; i <= pages; i++) doc.addPage([612, 792]).drawText(`Page ${i}`, { x: 72, y: 700, size: 14, font });
  return doc.save();
}

/** The bearer token is a JWT the client signed itself with the service account key. */
function assertSelfSignedJwt(request: StandInRequest, key: KeyObject) {
  const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
  assert.ok(token, 'a bearer token');
  const [header, payload, signature] = token.split('.') as [string, string, string];
  assert.ok(verify('sha256', Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url')), 'signed with the key');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  assert.is(claims.iss, credentials.client_email);
  assert.match(claims.scope, /cloud-vision|cloud-platform/);
}

test('an image: one page with the recorded text and the mean block confidence', async (context) => {
  context.standIn = await startStandIn(recordedVision);
  const calls: [number, number][] = [];
  const result = await visionOcr(context).recognize({ bytes: png, mediaType: 'image/png', onPage: (done, total) => void calls.push([done, total]) });

  assert.equal(result.engine, { name: 'google-vision', version: 'v1' });
  assert.is(result.pages.length, 1);
  const [page] = result.pages;
  assert.is(page!.page, 1);
  assert.is(page!.source, 'ocr');
  assert.is(page!.text, 'CITY PHARMACY  Rx 448213\nAMLODIPINE 5 MG TABLETS\nTake ONE tablet daily\nDr. M. Patel  12/02/2024\n');
  assert.ok(Math.abs(page!.confidence - mean([0.98, 0.95, 0.91, 0.87])) < 1e-6, `confidence ${page!.confidence}`);
  assert.equal(calls, [[1, 1]]);

  const { requests } = context.standIn;
  assert.is(requests.length, 1); // no token endpoint, no metadata server: only the API call
  assert.is(requests[0]!.method, 'POST');
  assert.is(requests[0]!.path, '/v1/images:annotate');
  const body = requests[0]!.json<{ requests: { image: { content: string }; features: { type: number }[] }[] }>();
  assert.is(body.requests.length, 1);
  assert.is(body.requests[0]!.image.content, Buffer.from(png).toString('base64'));
  assert.equal(body.requests[0]!.features, [{ type: 11 }]); // DOCUMENT_TEXT_DETECTION (numeric enums over REST)
  assertSelfSignedJwt(requests[0]!, publicKey);
});

test('a 7-page PDF: 2 requests (pages 1-5, 6-7), onPage 7 times in order', async (context) => {
  context.standIn = await startStandIn(recordedVision);
  const bytes = await pdf(7);
  const calls: [number, number][] = [];
  const result = await visionOcr(context).recognize({ bytes, mediaType: 'application/pdf', onPage: (done, total) => void calls.push([done, total]) });

  const { requests } = context.standIn;
  assert.equal(requests.map((r) => r.path), ['/v1/files:annotate', '/v1/files:annotate']);
  const bodies = requests.map((r) => r.json<FilesRequest>().requests[0]!);
  assert.equal(bodies.map((b) => b.pages), [[1, 2, 3, 4, 5], [6, 7]]);
  for (const b of bodies) {
    assert.is(b.inputConfig.mimeType, 'application/pdf');
    assert.is(b.inputConfig.content, Buffer.from(bytes).toString('base64'));
    assert.equal(b.features, [{ type: 11 }]);
  }
  assert.equal(calls, [1, 2, 3, 4, 5, 6, 7].map((n) => [n, 7]));

  assert.equal(result.pages.map((p) => p.page), [1, 2, 3, 4, 5, 6, 7]);
  assert.is(result.pages[0]!.text, 'ST. AGNES HOSPITAL - DISCHARGE SUMMARY\nAdmitted: 02/01/2024  Discharged: 09/01/2024\nReason for admission: community-acquired pneumonia\n');
  assert.is(result.pages[5]!.text, 'MEDICATION ON DISCHARGE\nMetformin 1 g twice daily\nRamipril 5 mg once daily\n');
  assert.ok(Math.abs(result.pages[0]!.confidence - mean([0.99, 0.97, 0.96])) < 1e-6);
  // Page 4 carries Vision's own page confidence: it wins over its blocks' mean.
  assert.ok(Math.abs(result.pages[3]!.confidence - 0.83) < 1e-6, `page 4: ${result.pages[3]!.confidence}`);
  // Page 7 is blank: no annotation at all.
  assert.equal(result.pages[6], { page: 7, text: '', confidence: 0, source: 'ocr' });
});

test('a multi-page TIFF: the first request leaves pages to Vision, the total comes from its answer', async (context) => {
  context.standIn = await startStandIn(recordedVision);
  const calls: [number, number][] = [];
  const result = await visionOcr(context).recognize({ bytes: tiff, mediaType: 'image/tiff', onPage: (d, t) => void calls.push([d, t]) });
  const bodies = context.standIn.requests.map((r) => r.json<FilesRequest>().requests[0]!);
  assert.equal(bodies.map((b) => b.pages ?? []), [[], [6, 7]]);
  assert.is(bodies[0]!.inputConfig.mimeType, 'image/tiff');
  assert.equal(result.pages.map((p) => p.page), [1, 2, 3, 4, 5, 6, 7]);
  assert.equal(calls.at(-1), [7, 7]);
});

test('a 503 surfaces as a retryable error (retries off)', async (context) => {
  context.standIn = await startStandIn(inSequence(unavailable));
  const error = await rejection(visionOcr(context, { maxRetries: 0 }).recognize({ bytes: png, mediaType: 'image/png' }));
  assert.not.instance(error, InputRejectedError);
  assert.instance(error, ProviderFailedError);
  assert.equal([(error as ProviderFailedError).code, error.message], ['ocr_unavailable', 'Google Vision answered 503']);
  assert.is(context.standIn.requests.length, 1);
});

test('a 503 then an answer: the transport retries (maxRetries 1, 2 requests)', async (context) => {
  context.standIn = await startStandIn(inSequence(unavailable, { body: imagesAnswer }));
  const result = await visionOcr(context, { maxRetries: 1 }).recognize({ bytes: png, mediaType: 'image/png' });
  assert.is(result.pages.length, 1);
  assert.is(context.standIn.requests.length, 2);
});

test('a 400 is permanent (ocr_rejected) after 1 request', async (context) => {
  context.standIn = await startStandIn(inSequence({ status: 400, body: { error: { code: 400, message: 'Request payload size exceeds the limit: 41943040 bytes.', status: 'INVALID_ARGUMENT' } } }));
  const error = await rejection(visionOcr(context, { maxRetries: 3 }).recognize({ bytes: png, mediaType: 'image/png' }));
  assert.instance(error, InputRejectedError);
  assert.is((error as InputRejectedError).code, 'ocr_rejected');
  assert.is(error.message, 'Google Vision answered 400');
  assert.is(context.standIn.requests.length, 1);
});

test('a per-image INVALID_ARGUMENT (bad image data) is permanent: image_unreadable', async (context) => {
  context.standIn = await startStandIn(inSequence({ body: { responses: [{ error: { code: 3, message: 'Bad image data.' } }] } }));
  const error = await rejection(visionOcr(context).recognize({ bytes: png, mediaType: 'image/png' }));
  assert.instance(error, InputRejectedError);
  assert.is((error as InputRejectedError).code, 'image_unreadable');
});

test('a stand-in that never answers: timeoutMs 200, maxRetries 0 rejects within ~1 s', async (context) => {
  context.standIn = await startStandIn(() => 'hang');
  const started = Date.now();
  const error = await rejection(visionOcr(context, { timeoutMs: 200, maxRetries: 0 }).recognize({ bytes: png, mediaType: 'image/png' }));
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 1000, `took ${elapsed} ms`);
  assert.instance(error, ProviderFailedError);
  assert.equal([(error as ProviderFailedError).code, error.message], ['ocr_timeout', 'Google Vision did not answer within 200 ms']);
  assert.is(context.standIn.requests.length, 1);
});

test('an abort rejects at once with the signal reason', async (context) => {
  context.standIn = await startStandIn(() => 'hang');
  const controller = new AbortController();
  const pending = visionOcr(context, { timeoutMs: 2000 }).recognize({ bytes: png, mediaType: 'image/png', signal: controller.signal });
  setTimeout(() => controller.abort(), 100);
  const started = Date.now();
  const error = await rejection(pending);
  assert.ok(Date.now() - started < 500);
  assert.is(error.name, 'AbortError');
});

test('refused before any request: an unsupported type, a PDF over maxPages', async (context) => {
  context.standIn = await startStandIn(recordedVision);
  const ocr = visionOcr(context, { maxPages: 5 });
  const unsupported = await rejection(ocr.recognize({ bytes: png, mediaType: 'text/plain' }));
  assert.is((unsupported as InputRejectedError).code, 'unsupported_media_type');
  const tooLong = await rejection(ocr.recognize({ bytes: await pdf(7), mediaType: 'application/pdf' }));
  assert.is((tooLong as InputRejectedError).code, 'too_many_pages');
  assert.is(context.standIn.requests.length, 0);
});

test('refused before any request, as the local OCR refuses them: images over the pixel bounds, unreadable headers', async (context) => {
  context.standIn = await startStandIn(recordedVision);
  const ocr = visionOcr(context);
  const cases: [string, Uint8Array, string][] = [
    ['image_too_large', pngBomb(), 'image/png'],
    ['image_too_large', webpBomb(), 'image/webp'],
    ['image_too_large', jpegBomb(), 'image/jpeg'],
    ['image_too_large', tiffBomb(), 'image/tiff'],
    ['image_too_large', await pdfImageBomb(), 'application/pdf'],
    ['image_unreadable', png.subarray(0, 12), 'image/png'],
  ];
  for (const [code, bytes, mediaType] of cases) {
    const error = await rejection(ocr.recognize({ bytes, mediaType }));
    assert.instance(error, InputRejectedError, mediaType);
    assert.is((error as InputRejectedError).code, code, mediaType);
  }
  assert.is(context.standIn.requests.length, 0);
});

test.run();
