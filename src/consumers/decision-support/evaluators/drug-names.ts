/**
 * Which generic drugs a medication record is. Records carry what a document said
 * ("Nurofen 200 mg tablets", "Amoxicillin/clavulanic acid 875/125"), so a record is
 * matched by the generic names (and brand or spelling aliases) that appear in its
 * normalised name as whole words, or by its RxNorm code when a rule lists codes.
 * Whole words, so "estradiol" finds "Estradiol 2 mg" but not "ethinylestradiol". Salts
 * are words too: a rule meaning potassium supplements lists "potassium chloride", since
 * "potassium" alone would also find "losartan potassium".
 */
import { normaliseName } from '../../journey/series-key.js';
import type { MedicationFact, ProfileFacts } from '../types.js';

export interface ActiveMedication {
  record: MedicationFact;
  /** Normalised name with a space on each side, so `includes(' term ')` is a whole-word match. */
  padded: string;
  /** The code, when the record is coded in RxNorm (http://www.nlm.nih.gov/research/umls/rxnorm). */
  rxnorm: string | null;
}

export interface DrugVocabulary {
  /** The distinct generic names the medication is, in vocabulary order. */
  genericsOf(medication: Pick<ActiveMedication, 'padded' | 'rxnorm'>): string[];
  /** How the medication matched: each generic with the name (generic or alias) or `rxnorm:<code>` that found it. */
  matchesOf(medication: Pick<ActiveMedication, 'padded' | 'rxnorm'>): Array<{ generic: string; by: string }>;
  /** Every generic the vocabulary knows. */
  readonly generics: ReadonlySet<string>;
}

/** Pads a normalised name for whole-word search. */
export const padded = (name: string) => ` ${normaliseName(name)} `;

/** Whether `term` (normalised, unpadded) occurs in `paddedText` as whole words. */
export const containsWords = (paddedText: string, term: string) => paddedText.includes(` ${term} `);

/**
 * Medications with status 'active' (stopped, completed, on-hold and unknown ones cannot
 * interact now). Not cached across rules: the ten shipped interaction rules together take
 * under 1 ms on 50 medications, and a cache keyed by the facts would serve stale names to
 * a caller that edits its facts in place.
 */
export function activeMedications(facts: ProfileFacts): ActiveMedication[] {
  return facts.medications
    .filter((m) => m.status === 'active')
    .map((record) => ({
      record,
      padded: padded(record.name),
      rxnorm: record.code && record.code_system?.toLowerCase().includes('rxnorm') ? record.code.trim() : null,
    }));
}

/**
 * A vocabulary of `generics`, with `aliases` (brand or alternative name → generic)
 * and RxNorm codes (generic → codes). Aliases and codes of generics outside the
 * list are ignored, so one alias table can serve several lists.
 */
export function drugVocabulary(
  generics: readonly string[],
  aliases: Readonly<Record<string, string>> = {},
  rxnorm: Readonly<Record<string, readonly string[]>> = {},
): DrugVocabulary {
  const known = new Set(generics.map(normaliseName).filter(Boolean));
  const terms: Array<[term: string, generic: string]> = [...known].map((g) => [g, g]);
  for (const [alias, generic] of Object.entries(aliases)) {
    const target = normaliseName(generic);
    const term = normaliseName(alias);
    if (known.has(target) && term && !known.has(term)) terms.push([term, target]);
  }
  const codes = new Map<string, string>();
  for (const [generic, list] of Object.entries(rxnorm)) {
    const target = normaliseName(generic);
    if (known.has(target)) for (const code of list) codes.set(code.trim(), target);
  }
  const matchesOf: DrugVocabulary['matchesOf'] = (medication) => {
    const found: Array<{ generic: string; by: string }> = [];
    const byCode = medication.rxnorm ? codes.get(medication.rxnorm) : undefined;
    if (byCode) found.push({ generic: byCode, by: `rxnorm:${medication.rxnorm}` });
    for (const [term, generic] of terms) if (containsWords(medication.padded, term)) found.push({ generic, by: term });
    return found;
  };
  return {
    generics: known,
    matchesOf,
    genericsOf: (medication) => [...new Set(matchesOf(medication).map((m) => m.generic))],
  };
}
