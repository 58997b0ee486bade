/**
 * Which lab trend series an observation belongs to: its LOINC code when it has one,
 * else its name normalised (case, punctuation and spacing folded), so "Glucose,
 * fasting" and "GLUCOSE FASTING" land in one series. Shared by the journey (series)
 * and decision support (trend and range rules), so both speak of the same analyte.
 */

const LOINC = 'http://loinc.org';

export function seriesKey(observation: { code_system: string | null; code: string | null; name: string }): string {
  const code = observation.code?.trim();
  if (code && (observation.code_system === LOINC || observation.code_system === null) && /^\d{1,7}-\d$/.test(code)) {
    return `loinc:${code}`;
  }
  return `name:${normaliseName(observation.name)}`;
}

export function normaliseName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9%]+/g, ' ')
    .trim()
    .slice(0, 120);
}
