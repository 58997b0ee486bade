/**
 * How rules name lab analytes: a series key ("loinc:2160-0", "name:creatinine"), a bare
 * LOINC code ("2160-0") or a bare name ("eGFR", normalised like the journey's series
 * keys), all folded to series keys so they compare with ObservationFact.series_key.
 */
import { z } from 'zod';
import { normaliseName } from '../../journey/series-key.js';

const LOINC_CODE = /^\d{1,7}-\d$/;

export function analyteKey(reference: string): string {
  const text = reference.trim();
  if (LOINC_CODE.test(text)) return `loinc:${text}`;
  const loinc = /^loinc:(.+)$/i.exec(text);
  if (loinc) return `loinc:${loinc[1]!.trim()}`;
  const name = /^name:(.+)$/i.exec(text);
  return `name:${normaliseName(name ? name[1]! : text)}`;
}

export const analyteList = z
  .array(z.string().trim().min(2).max(130))
  .min(1)
  .max(200)
  .transform((list) => new Set(list.map(analyteKey)));
