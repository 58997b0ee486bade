/**
 * Drug–allergy: an active allergy and an active medication that is (or belongs to
 * the class of) the substance. The allergy names a class by the class's name or
 * terms ("penicillin", "sulfa drugs") or by one of its drugs ("amoxicillin" names the
 * penicillins); a medication is in a class when it is one of the class's drugs.
 * An allergy whose substance appears word for word in a medication's name fires too,
 * so drugs in no class ("codeine" → "Codeine phosphate 30 mg") are still caught.
 *
 * Classes do not cross: penicillin allergy → cephalosporin is left out (about 1–2 %
 * cross-reactivity, routinely prescribed after assessment). Food and environmental
 * allergies are skipped. Severity rises to critical when the allergy's criticality
 * is high. One finding per (allergy substance, drug): subject "penicillin:amoxicillin".
 */
import { z } from 'zod';
import { normaliseName } from '../../journey/series-key.js';
import type { AllergyFact, Evaluator, Finding } from '../types.js';
import { activeMedications, containsWords, drugVocabulary, padded, type ActiveMedication } from './drug-names.js';
import { capitalise, clip, escapeMarkdown } from './finding-text.js';
import { aliasMap, nameList, ruleParams } from './rule-params.js';

const classKey = z.string().regex(/^[a-z0-9_]{2,60}$/);

export const drugAllergyParams = z
  .strictObject({
    /** Class → its drugs (generic names). */
    classes: z.record(classKey, nameList),
    /** Class → further words an allergy may use for the class ("sulfa", "sulpha"); the class key always counts. */
    class_terms: z.record(classKey, nameList).optional(),
    /** Class → how to call it in text ("penicillins"). */
    labels: z.record(classKey, z.string().trim().min(2).max(60)).optional(),
    /** Brand or alternative name → generic, for medications and allergy substances alike. */
    aliases: aliasMap.optional(),
  })
  .superRefine((p, ctx) => {
    for (const key of [...Object.keys(p.class_terms ?? {}), ...Object.keys(p.labels ?? {})]) {
      if (!(key in p.classes)) ctx.addIssue({ code: 'custom', message: `${key} is not one of the classes`, path: ['classes'] });
    }
  })
  .transform((p) => {
    const members = drugVocabulary(Object.values(p.classes).flat(), p.aliases);
    const classesOf = new Map<string, string[]>();
    for (const [cls, drugs] of Object.entries(p.classes)) {
      for (const drug of drugs) {
        const generic = normaliseName(drug);
        classesOf.set(generic, [...(classesOf.get(generic) ?? []), cls]);
      }
    }
    const classTerms: Array<[term: string, cls: string]> = [];
    for (const cls of Object.keys(p.classes)) {
      for (const word of [cls.replace(/_/g, ' '), ...(p.class_terms?.[cls] ?? [])]) {
        const term = normaliseName(word);
        classTerms.push([term, cls]);
        if (!term.endsWith('s')) classTerms.push([`${term}s`, cls]);
      }
    }
    const label = (cls: string) => p.labels?.[cls] ?? cls.replace(/_/g, ' ');
    return { members, classesOf, classTerms, label };
  });

type Params = z.output<typeof drugAllergyParams>;

interface AllergyReading {
  allergy: AllergyFact;
  substance: string;
  classes: Set<string>;
  generics: Set<string>;
}

/** What an allergy record points at: the classes and drugs its substance names. */
function readAllergy(allergy: AllergyFact, params: Params): AllergyReading | null {
  if (allergy.clinical_status !== 'active') return null;
  if (allergy.category === 'food' || allergy.category === 'environment') return null;
  const substance = normaliseName(allergy.substance);
  if (substance.length < 3) return null;
  const text = ` ${substance} `;
  const generics = new Set(params.members.genericsOf({ padded: text, rxnorm: null }));
  const classes = new Set<string>();
  for (const [term, cls] of params.classTerms) if (containsWords(text, term)) classes.add(cls);
  for (const generic of generics) for (const cls of params.classesOf.get(generic) ?? []) classes.add(cls);
  return { allergy, substance, classes, generics };
}

interface Hit {
  readings: Map<string, AllergyReading>;
  generic: string;
  cls: string | null;
  medications: Map<string, ActiveMedication>;
}

export const evaluateDrugAllergy: Evaluator = (rule, facts) => {
  const params = ruleParams(drugAllergyParams, rule);
  const readings = facts.allergies.map((a) => readAllergy(a, params)).filter((r): r is AllergyReading => r !== null);
  if (readings.length === 0) return [];
  const medications = activeMedications(facts).map((m) => ({ m, generics: params.members.genericsOf(m) }));

  const hits = new Map<string, Hit>();
  const hit = (reading: AllergyReading, generic: string, cls: string | null, m: ActiveMedication) => {
    const subject = `${reading.substance}:${generic}`;
    const existing = hits.get(subject);
    if (existing) {
      existing.medications.set(m.record.id, m);
      existing.readings.set(reading.allergy.id, reading);
    } else {
      hits.set(subject, { readings: new Map([[reading.allergy.id, reading]]), generic, cls, medications: new Map([[m.record.id, m]]) });
    }
  };

  for (const reading of readings) {
    for (const { m, generics } of medications) {
      let matched = false;
      for (const generic of generics) {
        if (reading.generics.has(generic)) {
          hit(reading, generic, null, m);
          matched = true;
          continue;
        }
        const cls = (params.classesOf.get(generic) ?? []).find((c) => reading.classes.has(c));
        if (cls) {
          hit(reading, generic, cls, m);
          matched = true;
        }
      }
      if (!matched && containsWords(m.padded, reading.substance)) hit(reading, reading.substance, null, m);
    }
  }

  return [...hits].map(([subject, h]): Finding => {
    const allergies = [...h.readings.values()].map((r) => r.allergy);
    // Two records of one substance (two documents said so): the more critical one speaks.
    const allergy = allergies.find((a) => a.criticality === 'high') ?? allergies[0]!;
    const medications = [...h.medications.values()];
    const why = h.cls
      ? `${capitalise(h.generic)} is one of the ${params.label(h.cls)}; an allergy to one of them usually means avoiding the class until it has been assessed.`
      : `${capitalise(h.generic)} is the substance the allergy is recorded against.`;
    const detail = [
      `An allergy to **${escapeMarkdown(allergy.substance)}** is recorded${allergy.criticality ? ` (criticality: ${allergy.criticality})` : ''}, and these active medications contain **${h.generic}**:`,
      '',
      ...medications.map((m) => `- ${escapeMarkdown(m.record.name)}${m.record.dose_text ? ` (${escapeMarkdown(m.record.dose_text)})` : ''}`),
      '',
      why,
    ].join('\n');
    const finding: Finding = {
      subject,
      summary: clip(`${capitalise(h.generic)} is an active medication, but an allergy to ${allergy.substance} is recorded${h.cls ? ` (${params.label(h.cls)})` : ''}`),
      detail,
      categories: ['allergies', 'medications'],
      evidence: [...allergies.map((a) => ({ table: 'allergies' as const, id: a.id })), ...medications.map((m) => ({ table: 'medications' as const, id: m.record.id }))],
    };
    if (allergy.criticality === 'high') finding.severity = 'critical';
    return finding;
  });
};
