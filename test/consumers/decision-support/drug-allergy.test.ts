import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluateDrugAllergy } from '../../../src/consumers/decision-support/evaluators/drug-allergy.js';
import { allergy, facts, medication, rule } from './facts-builder.js';

const test = suite('decision support: drug_allergy');

const classes = rule('drug_allergy', {
  classes: {
    penicillin: ['amoxicillin', 'flucloxacillin', 'phenoxymethylpenicillin'],
    sulfonamide: ['sulfamethoxazole'],
    cephalosporin: ['cefalexin'],
  },
  class_terms: { sulfonamide: ['sulfa', 'sulpha'] },
  labels: { penicillin: 'penicillins', sulfonamide: 'sulfonamide antibiotics' },
  aliases: { augmentin: 'amoxicillin', bactrim: 'sulfamethoxazole' },
}, { key: 'allergy.drug-class' });

test('an allergy to a class fires for an active medication of that class', () => {
  const penicillin = allergy('Penicillin', { criticality: 'low' });
  const amoxicillin = medication('Amoxicillin 500 mg capsules');
  const [finding, ...rest] = evaluateDrugAllergy(classes, facts({ allergies: [penicillin], medications: [amoxicillin, medication('Paracetamol')] }));
  assert.is(rest.length, 0);
  assert.is(finding!.subject, 'penicillin:amoxicillin');
  assert.is(finding!.summary, 'Amoxicillin is an active medication, but an allergy to Penicillin is recorded (penicillins)');
  assert.is(finding!.severity, undefined);
  assert.equal(finding!.categories, ['allergies', 'medications']);
  assert.equal(finding!.evidence, [{ table: 'allergies', id: penicillin.id }, { table: 'medications', id: amoxicillin.id }]);
});

test('an allergy to one drug of a class covers the class, by brand name too; high criticality is critical', () => {
  const amoxil = allergy('amoxicillin', { criticality: 'high' });
  const [finding] = evaluateDrugAllergy(classes, facts({ allergies: [amoxil], medications: [medication('Flucloxacillin 250mg')] }));
  assert.is(finding!.subject, 'amoxicillin:flucloxacillin');
  assert.is(finding!.severity, 'critical');
  const [direct] = evaluateDrugAllergy(classes, facts({ allergies: [amoxil], medications: [medication('Augmentin Duo Forte')] }));
  assert.is(direct!.subject, 'amoxicillin:amoxicillin');
});

test('class terms and plurals name a class ("sulfa drugs", "penicillins")', () => {
  const found = evaluateDrugAllergy(classes, facts({
    allergies: [allergy('Sulfa drugs'), allergy('penicillins')],
    medications: [medication('Bactrim DS'), medication('Phenoxymethylpenicillin 500mg')],
  }));
  assert.equal(found.map((f) => f.subject).sort(), ['penicillins:phenoxymethylpenicillin', 'sulfa drugs:sulfamethoxazole']);
});

test('a drug in no class fires when the allergy names it word for word', () => {
  const [finding] = evaluateDrugAllergy(classes, facts({ allergies: [allergy('Codeine')], medications: [medication('Codeine phosphate 30 mg')] }));
  assert.is(finding!.subject, 'codeine:codeine');
});

test('quiet on near misses: classes do not cross, inactive allergies and food allergies do not count', () => {
  const cefalexin = medication('Cefalexin 500mg');
  assert.equal(evaluateDrugAllergy(classes, facts({ allergies: [allergy('Penicillin')], medications: [cefalexin] })), [], 'no penicillin → cephalosporin');
  assert.equal(evaluateDrugAllergy(classes, facts({ allergies: [allergy('Cefalexin', { clinical_status: 'resolved' })], medications: [cefalexin] })), []);
  assert.equal(evaluateDrugAllergy(classes, facts({ allergies: [allergy('Peanut', { category: 'food' })], medications: [medication('Peanut oil ear drops')] })), []);
  assert.equal(evaluateDrugAllergy(classes, facts({ allergies: [allergy('Penicillin')], medications: [medication('Amoxicillin', { status: 'completed' })] })), []);
});

test('the finding disappears when the medication is stopped or the allergy is resolved', () => {
  const penicillin = allergy('Penicillin');
  const amoxicillin = medication('Amoxicillin');
  assert.is(evaluateDrugAllergy(classes, facts({ allergies: [penicillin], medications: [amoxicillin] })).length, 1);
  assert.equal(evaluateDrugAllergy(classes, facts({ allergies: [penicillin], medications: [{ ...amoxicillin, status: 'stopped' }] })), []);
  assert.equal(evaluateDrugAllergy(classes, facts({ allergies: [{ ...penicillin, clinical_status: 'inactive' }], medications: [amoxicillin] })), []);
});

test.run();
