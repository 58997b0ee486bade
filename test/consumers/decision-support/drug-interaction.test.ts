import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluateDrugInteraction } from '../../../src/consumers/decision-support/evaluators/drug-interaction.js';
import { facts, medication, rule } from './facts-builder.js';

const test = suite('decision support: drug_interaction');

const warfarinNsaid = rule('drug_interaction', {
  a: ['warfarin'],
  b: ['ibuprofen', 'naproxen', 'aspirin'],
  effect: 'increased risk of bleeding',
  management: 'Prefer paracetamol.',
  aliases: { coumadin: 'warfarin', nurofen: 'ibuprofen' },
  rxnorm: { naproxen: ['7258'] },
}, { key: 'ddi.warfarin-nsaid', severity: 'critical' });

test('two active interacting drugs give one finding naming the pair', () => {
  const warfarin = medication('Warfarin 5 mg tablet', { dose_text: '5 mg daily' });
  const ibuprofen = medication('IBUPROFEN 400mg');
  const [finding, ...rest] = evaluateDrugInteraction(warfarinNsaid, facts({ medications: [warfarin, ibuprofen, medication('Metformin')] }));
  assert.is(rest.length, 0);
  assert.is(finding!.subject, 'ibuprofen+warfarin');
  assert.is(finding!.summary, 'Warfarin with ibuprofen: increased risk of bleeding');
  assert.is(finding!.severity, undefined, 'the rule severity applies');
  assert.equal(finding!.categories, ['medications']);
  assert.equal(finding!.evidence.map((e) => e.id).sort(), [warfarin.id, ibuprofen.id].sort());
  assert.match(finding!.detail, '**Warfarin** and **ibuprofen**');
  assert.match(finding!.detail, 'Prefer paracetamol.');
});

test('brand aliases and RxNorm codes identify the drugs', () => {
  const coumadin = medication('Coumadin 2mg');
  const nurofen = medication('Nurofen Zavance');
  const coded = medication('Tablet X', { code_system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '7258' });
  const findings = evaluateDrugInteraction(warfarinNsaid, facts({ medications: [coumadin, nurofen, coded] }));
  assert.equal(findings.map((f) => f.subject).sort(), ['ibuprofen+warfarin', 'naproxen+warfarin']);
});

test('each interacting pair is its own finding, so stopping one resolves only its own', () => {
  const meds = [medication('Warfarin'), medication('Ibuprofen'), medication('Naproxen 250 mg')];
  assert.is(evaluateDrugInteraction(warfarinNsaid, facts({ medications: meds })).length, 2);
  meds[2]!.status = 'stopped';
  assert.equal(evaluateDrugInteraction(warfarinNsaid, facts({ medications: meds })).map((f) => f.subject), ['ibuprofen+warfarin']);
});

test('quiet when one of the drugs is not active', () => {
  for (const status of ['stopped', 'completed', 'on-hold', 'unknown']) {
    const meds = [medication('Warfarin'), medication('Ibuprofen', { status })];
    assert.equal(evaluateDrugInteraction(warfarinNsaid, facts({ medications: meds })), [], status);
  }
});

test('quiet on near-miss names: a listed name must be a whole word', () => {
  const meds = [medication('Warfarin'), medication('Ibuprofenic acid cream'), medication('aspirinate')];
  assert.equal(evaluateDrugInteraction(warfarinNsaid, facts({ medications: meds })), []);
});

test('one record naming both drugs is a combination product, not an interaction', () => {
  assert.equal(evaluateDrugInteraction(warfarinNsaid, facts({ medications: [medication('warfarin / aspirin')] })), []);
});

test('the finding disappears when the interacting drug is stopped', () => {
  const ibuprofen = medication('Ibuprofen');
  const profile = facts({ medications: [medication('Warfarin'), ibuprofen] });
  assert.is(evaluateDrugInteraction(warfarinNsaid, profile).length, 1);
  const fixed = facts({ ...profile, medications: [profile.medications[0]!, { ...ibuprofen, status: 'stopped' }] });
  assert.equal(evaluateDrugInteraction(warfarinNsaid, fixed), []);
});

test.run();
