import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import { anchorProvenance } from '../../src/providers/extraction/anchor.js';
import type { ExtractedRecord } from '../../src/providers/extraction/schema.js';

const test = suite('provenance anchoring');
const page = { page: 1, text: 'PATHOLOGY\nSodium 140 mmol/L 135-145\nPotassium 4.1 mmol/L 3.5-5.2' };
const allergy = (start: number, end: number, text: string): ExtractedRecord => ({
  kind: 'allergy', substance: 'x', coding: null, category: null, reaction: null, severity: null,
  provenance: { page: 1, start, end, text, confidence: 0.9 },
});

test('a span that already holds the quote is kept', () => {
  const start = page.text.indexOf('Sodium');
  const [r] = anchorProvenance([allergy(start, start + 6, 'Sodium')], [page]);
  assert.equal(r!.provenance, { page: 1, start, end: start + 6, text: 'Sodium', confidence: 0.9 });
});

test('an off-by-some span is moved onto the quoted text', () => {
  const [r] = anchorProvenance([allergy(3, 20, 'Potassium 4.1 mmol/L')], [page]);
  const start = page.text.indexOf('Potassium 4.1');
  assert.equal(r!.provenance, { page: 1, start, end: start + 20, text: 'Potassium 4.1 mmol/L', confidence: 0.9 });
});

test('a quote not on the page keeps its span at half the confidence', () => {
  const [r] = anchorProvenance([allergy(3, 9, 'Chloride 101')], [page]);
  assert.equal(r!.provenance, { page: 1, start: 3, end: 9, text: 'Chloride 101', confidence: 0.45 });
});

test.run();
