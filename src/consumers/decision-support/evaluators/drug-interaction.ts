/**
 * Drug–drug interaction: an active medication that is one of the rule's `a` drugs
 * together with another active medication that is one of its `b` drugs.
 *
 * One finding per interacting pair of generics (subject "ibuprofen+warfarin"), not
 * one per rule: stopping one of two NSAIDs resolves exactly its alert, and adding a
 * third drug opens a new alert instead of rewriting (and un-dismissing) the old one.
 * The two drugs must be two records; a single record naming both (a fixed-dose
 * combination) is a deliberate product, not an interaction to warn about.
 */
import { z } from 'zod';
import type { Evaluator, Finding } from '../types.js';
import { activeMedications, drugVocabulary, type ActiveMedication } from './drug-names.js';
import { capitalise, clip, escapeMarkdown } from './finding-text.js';
import { aliasMap, codeMap, nameList, ruleParams } from './rule-params.js';

export const drugInteractionParams = z
  .strictObject({
    a: nameList,
    b: nameList,
    /** Short, for the summary: "increased risk of bleeding". */
    effect: z.string().trim().min(3).max(90),
    /** What to do about it, for the detail. */
    management: z.string().trim().min(3).max(1000).optional(),
    /** Brand or alternative name → generic: {"nurofen": "ibuprofen"}. */
    aliases: aliasMap.optional(),
    /** Generic → RxNorm codes (ingredient or product) that are that drug. */
    rxnorm: codeMap.optional(),
  })
  .transform((p) => ({
    ...p,
    sideA: drugVocabulary(p.a, p.aliases, p.rxnorm),
    sideB: drugVocabulary(p.b, p.aliases, p.rxnorm),
  }));

interface Pair {
  first: string;
  second: string;
  records: Map<string, { medication: ActiveMedication; generic: string }>;
}

export const evaluateDrugInteraction: Evaluator = (rule, facts) => {
  const params = ruleParams(drugInteractionParams, rule);
  const medications = activeMedications(facts);
  const withA = medications.map((m) => ({ m, generics: params.sideA.genericsOf(m) })).filter((x) => x.generics.length > 0);
  if (withA.length === 0) return [];
  const withB = medications.map((m) => ({ m, generics: params.sideB.genericsOf(m) })).filter((x) => x.generics.length > 0);

  const pairs = new Map<string, Pair>();
  for (const a of withA) {
    for (const b of withB) {
      if (a.m === b.m) continue;
      for (const first of a.generics) {
        for (const second of b.generics) {
          if (first === second) continue;
          const subject = [first, second].sort().join('+');
          let pair = pairs.get(subject);
          if (!pair) {
            pair = { first, second, records: new Map() };
            pairs.set(subject, pair);
          }
          pair.records.set(`${a.m.record.id}\n${first}`, { medication: a.m, generic: first });
          pair.records.set(`${b.m.record.id}\n${second}`, { medication: b.m, generic: second });
        }
      }
    }
  }

  return [...pairs].map(([subject, pair]): Finding => {
    const records = [...pair.records.values()];
    const lines = records.map(({ medication, generic }) => {
      const { name, dose_text } = medication.record;
      return `- ${escapeMarkdown(name)}${dose_text ? ` (${escapeMarkdown(dose_text)})` : ''}: ${generic}`;
    });
    const detail = [
      `**${capitalise(pair.first)}** and **${pair.second}** are both on the active medication list:`,
      '',
      ...lines,
      '',
      `${capitalise(params.effect)}.${params.management ? ` ${params.management}` : ''}`,
    ].join('\n');
    return {
      subject,
      summary: clip(`${capitalise(pair.first)} with ${pair.second}: ${params.effect}`),
      detail,
      categories: ['medications'],
      evidence: [...new Set(records.map((r) => r.medication.record.id))].map((id) => ({ table: 'medications', id })),
    };
  });
};
