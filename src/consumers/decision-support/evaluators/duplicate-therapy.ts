/**
 * Duplicate therapy: two different active drugs of one class (sertraline with
 * fluoxetine), or one drug active under two different names (Nurofen with ibuprofen
 * 400 mg: a brand and its generic taken together, the classic double dose).
 *
 * Two records that name a drug the same way ("Sertraline 50 mg" twice) are not a
 * duplicate: that is one prescription seen in two documents far more often than two
 * supplies of it, and warning on it would mostly be noise.
 *
 * One finding per class; subject "class:generic+generic" (sorted), so a changed set
 * of drugs is a new alert rather than a rewritten one.
 */
import { z } from 'zod';
import type { Evaluator, Finding } from '../types.js';
import { activeMedications, drugVocabulary, type ActiveMedication, type DrugVocabulary } from './drug-names.js';
import { capitalise, clip, escapeMarkdown, joinWords } from './finding-text.js';
import { aliasMap, nameList, ruleParams } from './rule-params.js';

const classKey = z.string().regex(/^[a-z0-9_]{2,60}$/);

export const duplicateTherapyParams = z
  .strictObject({
    classes: z.record(classKey, nameList),
    /** Class → how to call its members in text ("SSRIs"). */
    labels: z.record(classKey, z.string().trim().min(2).max(60)).optional(),
    aliases: aliasMap.optional(),
  })
  .superRefine((p, ctx) => {
    for (const key of Object.keys(p.labels ?? {})) {
      if (!(key in p.classes)) ctx.addIssue({ code: 'custom', message: `${key} is not one of the classes`, path: ['labels'] });
    }
  })
  .transform((p) => {
    const classes: Array<{ key: string; label: string; vocabulary: DrugVocabulary }> = Object.entries(p.classes).map(([key, drugs]) => ({
      key,
      label: p.labels?.[key] ?? key.replace(/_/g, ' '),
      vocabulary: drugVocabulary(drugs, p.aliases),
    }));
    return { classes };
  });

export const evaluateDuplicateTherapy: Evaluator = (rule, facts) => {
  const params = ruleParams(duplicateTherapyParams, rule);
  const medications = activeMedications(facts);
  if (medications.length < 2) return [];
  const findings: Finding[] = [];
  for (const cls of params.classes) {
    // generic → the records that are it, and how each names it ("nurofen" or "ibuprofen").
    const byGeneric = new Map<string, Map<ActiveMedication, Set<string>>>();
    for (const m of medications) {
      for (const { generic, by } of cls.vocabulary.matchesOf(m)) {
        let records = byGeneric.get(generic);
        if (!records) byGeneric.set(generic, (records = new Map()));
        let names = records.get(m);
        if (!names) records.set(m, (names = new Set()));
        names.add(by);
      }
    }
    const generics = [...byGeneric.keys()].sort();
    const namings = (generic: string) => new Set([...byGeneric.get(generic)!.values()].map((names) => [...names].sort().join('|')));
    const doubled = generics.filter((g) => namings(g).size > 1);
    if (generics.length < 2 && doubled.length === 0) continue;
    const records = [...new Set([...byGeneric.values()].flatMap((r) => [...r.keys()]))];
    if (records.length < 2) continue; // one combination product naming two members is one therapy
    const summary =
      generics.length >= 2
        ? `${generics.length} ${cls.label} are active together: ${joinWords(generics)}`
        : `${capitalise(doubled[0]!)} appears in ${byGeneric.get(doubled[0]!)!.size} active medications under different names (${cls.label})`;
    const detail = [
      generics.length >= 2
        ? `More than one of the **${escapeMarkdown(cls.label)}** is on the active medication list. Taking two drugs of one class adds their side effects, usually without adding benefit:`
        : `**${doubled[0]}** is on the active medication list under more than one name, which may mean it is being taken twice:`,
      '',
      ...records.map((m) => `- ${escapeMarkdown(m.record.name)}${m.record.dose_text ? ` (${escapeMarkdown(m.record.dose_text)})` : ''}`),
      '',
      'If one of them has been stopped or replaced, update its status; otherwise check with the prescriber.',
    ].join('\n');
    findings.push({
      subject: `${cls.key}:${generics.join('+')}`,
      summary: clip(summary),
      detail,
      categories: ['medications'],
      evidence: records.map((m) => ({ table: 'medications' as const, id: m.record.id })),
    });
  }
  return findings;
};
