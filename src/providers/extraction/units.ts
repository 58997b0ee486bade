/** Units as printed → UCUM (the unit codes FHIR Quantity expects). Unknown units pass through trimmed. */
const UCUM: Record<string, string> = {
  'mmol/l': 'mmol/L', 'umol/l': 'umol/L', 'µmol/l': 'umol/L', 'μmol/l': 'umol/L', 'nmol/l': 'nmol/L', 'pmol/l': 'pmol/L',
  'mg/dl': 'mg/dL', 'g/dl': 'g/dL', 'mg/l': 'mg/L', 'g/l': 'g/L', 'ug/l': 'ug/L', 'µg/l': 'ug/L', 'ng/ml': 'ng/mL', 'pg/ml': 'pg/mL',
  'x10^9/l': '10*9/L', '×10^9/l': '10*9/L', 'x10e9/l': '10*9/L', '10^9/l': '10*9/L', 'x 10^9/l': '10*9/L', '×10⁹/l': '10*9/L', 'x10*9/l': '10*9/L', '10*9/l': '10*9/L',
  'x10^12/l': '10*12/L', '×10^12/l': '10*12/L', '10^12/l': '10*12/L', '10*12/l': '10*12/L',
  'u/l': 'U/L', 'iu/l': '[IU]/L', 'miu/l': 'm[IU]/L', 'mu/l': 'm[IU]/L', 'miu/ml': 'm[IU]/mL',
  'ml/min/1.73m2': 'mL/min/{1.73_m2}', 'ml/min/1.73m²': 'mL/min/{1.73_m2}', 'ml/min/1.73 m2': 'mL/min/{1.73_m2}',
  '%': '%', 'mmhg': 'mm[Hg]', 'mm hg': 'mm[Hg]', 'mm[hg]': 'mm[Hg]',
  'bpm': '/min', 'beats/min': '/min', '/min': '/min', 'breaths/min': '/min',
  '°c': 'Cel', 'c': 'Cel', 'degc': 'Cel', 'cel': 'Cel', 'kg': 'kg', 'g': 'g', 'cm': 'cm', 'm': 'm', 'kg/m2': 'kg/m2', 'kg/m²': 'kg/m2',
  'fl': 'fL', 'pg': 'pg', 'l/l': 'L/L', 'mg': 'mg', 'mcg': 'ug', 'µg': 'ug', 'ug': 'ug', 'ml': 'mL', 'units': '[iU]', 'iu': '[iU]',
};

/** A unit token as printed, for matching: the patterns the extractor recognises. */
export const UNIT_PATTERN =
  /(?:mmol\/l|[uµμ]mol\/l|nmol\/l|pmol\/l|mg\/dl|g\/dl|mg\/l|g\/l|[uµ]g\/l|ng\/ml|pg\/ml|[x×]\s?10(?:\^|e|\*)?[0-9⁹]+\/l|10\^?\*?\d+\/l|m?iu\/m?l|mu\/l|u\/l|ml\/min\/1\.73\s?m[2²]|mm\s?\[?hg\]?|bpm|beats\/min|breaths\/min|\/min|°c|degc|kg\/m[2²]|kg|cm|fl|l\/l|%)/i;

export function toUcum(unit: string | null | undefined): string | null {
  if (!unit) return null;
  const key = unit.trim().toLowerCase().replace(/\s+/g, ' ');
  return UCUM[key] ?? UCUM[key.replace(/\s/g, '')] ?? unit.trim();
}

/**
 * One printed token read as a unit, or null when it is not one. Tolerates what OCR
 * does to units: "x10^9/L" read as x10"9/L or 10M9/L, "mIU/L" as mlU/L.
 */
export function readUnit(token: string): string | null {
  let t = token.trim().replace(/^[(\[]+|[)\],;.]+$/g, '');
  if (t === '') return null;
  // Cell counts are per 10^9 or 10^12 litres; OCR reads the caret as ", M, * or 7 (and "^1" of 12 as 7).
  const power = /^[x×]?\s?10\s?(?:["'^*Mm°]|7(?=9|2\/))?\s?(9|12|2|⁹)\s?\/\s?[lL1I]$/.exec(t);
  if (power) return `10*${power[1] === '⁹' ? '9' : power[1] === '2' ? '12' : power[1]}/L`;
  t = t.replace(/^ml[uU]\//, 'mIU/').replace(/^[uµμ]mo[l1I]\/[l1I]$/i, 'umol/L');
  const pattern = new RegExp(`^(?:${UNIT_PATTERN.source})$`, 'i');
  return pattern.test(t) ? toUcum(t) : null;
}
