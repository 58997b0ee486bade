import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluateDuplicateTherapy } from '../../../src/consumers/decision-support/evaluators/duplicate-therapy.js';
import { facts, medication, rule } from './facts-builder.js';

const test = suite('decision support: duplicate_therapy');

const duplicates = rule('duplicate_therapy', {
  classes: { ssri: ['sertraline', 'fluoxetine', 'escitalopram'], nsaid: ['ibuprofen', 'naproxen'] },
  labels: { ssri: 'SSRIs', nsaid: 'NSAIDs' },
  aliases: { zoloft: 'sertraline', nurofen: 'ibuprofen' },
}, { key: 'medication.duplicate-therapy' });

test('two different drugs of one class fire once for the class', () => {
  const sertraline = medication('Zoloft 50mg');
  const fluoxetine = medication('Fluoxetine 20 mg');
  const [finding, ...rest] = evaluateDuplicateTherapy(duplicates, facts({ medications: [sertraline, fluoxetine, medication('Ibuprofen')] }));
  assert.is(rest.length, 0);
  assert.is(finding!.subject, 'ssri:fluoxetine+sertraline');
  assert.is(finding!.summary, '2 SSRIs are active together: fluoxetine and sertraline');
  assert.is(finding!.severity, undefined);
  assert.equal(finding!.categories, ['medications']);
  assert.equal(finding!.evidence.map((e) => e.id).sort(), [sertraline.id, fluoxetine.id].sort());
});

test('one drug under two names (brand and generic) fires', () => {
  const [finding] = evaluateDuplicateTherapy(duplicates, facts({ medications: [medication('Nurofen'), medication('Ibuprofen 400 mg')] }));
  assert.is(finding!.subject, 'nsaid:ibuprofen');
  assert.is(finding!.summary, 'Ibuprofen appears in 2 active medications under different names (NSAIDs)');
});

test('quiet with one drug of a class, or the same record twice, or one of two stopped', () => {
  assert.equal(evaluateDuplicateTherapy(duplicates, facts({ medications: [medication('Sertraline'), medication('Ibuprofen')] })), []);
  assert.equal(evaluateDuplicateTherapy(duplicates, facts({ medications: [medication('Sertraline 50 mg'), medication('SERTRALINE 50MG')] })), [],
    'the same prescription seen in two documents');
  assert.equal(evaluateDuplicateTherapy(duplicates, facts({ medications: [medication('Sertraline'), medication('Fluoxetine', { status: 'stopped' })] })), []);
});

test('the finding disappears when one of the two is stopped', () => {
  const meds = [medication('Sertraline'), medication('Escitalopram')];
  assert.is(evaluateDuplicateTherapy(duplicates, facts({ medications: meds })).length, 1);
  assert.equal(evaluateDuplicateTherapy(duplicates, facts({ medications: [meds[0]!, { ...meds[1]!, status: 'completed' }] })), []);
});

test.run();
