/**
 * Lab value unit conversion for the journey's series and the trend rules: one analyte
 * reported in mg/dL by one lab and in mmol/L by another must land on one scale.
 *
 * UCUM arithmetic comes from @lhncbc/ucum-lhc. Mass ↔ amount-of-substance conversions
 * (mg/dL ↔ mmol/L) need the analyte's molar mass, looked up in a small table by LOINC
 * code or by name; and HbA1c % ↔ mmol/mol is not a unit conversion at all (NGSP and
 * IFCC measure differently) but the IFCC–NGSP master equation.
 *
 * The journey converts thousands of points per recompute, so each (from, to, molar
 * mass) triple is resolved once: UCUM conversions are affine (temperature has an
 * offset, everything else is a pure factor), so two probes give the coefficients,
 * and a third confirms it (log units such as pH are not affine and are never cached).
 */
import { createRequire } from 'node:module';
import { normaliseName } from './series-key.js';

export interface Analyte {
  series_key: string;
  name: string;
}

interface AnalyteEntry {
  id: string;
  /** g/mol, for mass ↔ mol. */
  molarMass?: number;
  /** |charge|, for mmol ↔ meq (monovalent 1, calcium and magnesium 2). */
  charge?: number;
  /** The unit Australian laboratories report in; null: keep the lab's. */
  preferred?: string;
  loinc: readonly string[];
  /** Normalised names once qualifiers (serum, fasting, total, …) are removed. */
  names: readonly string[];
}

const ANALYTES: readonly AnalyteEntry[] = [
  { id: 'glucose', molarMass: 180.16, preferred: 'mmol/L', loinc: ['2345-7', '2339-0', '1558-6', '14749-6', '15074-8', '14771-0'], names: ['glucose', 'bsl', 'bgl'] },
  { id: 'creatinine', molarMass: 113.12, preferred: 'umol/L', loinc: ['2160-0', '14682-9', '38483-4'], names: ['creatinine', 'creat'] },
  // Blood urea nitrogen: the mass is of urea's two nitrogen atoms (2 × 14.007), so
  // mg/dL of BUN converts to mmol/L of urea.
  { id: 'urea-nitrogen', molarMass: 28.014, loinc: ['3094-0', '6299-2'], names: ['bun', 'urea nitrogen', 'blood urea nitrogen'] },
  { id: 'urea', molarMass: 60.06, preferred: 'mmol/L', loinc: ['3091-6', '22664-7'], names: ['urea'] },
  { id: 'urate', molarMass: 168.11, preferred: 'mmol/L', loinc: ['3084-1', '14933-6'], names: ['urate', 'uric acid'] },
  { id: 'hdl', molarMass: 386.65, preferred: 'mmol/L', loinc: ['2085-9', '14646-4'], names: ['hdl', 'hdl cholesterol', 'cholesterol hdl', 'hdl c'] },
  { id: 'ldl', molarMass: 386.65, preferred: 'mmol/L', loinc: ['13457-7', '18262-6', '2089-1', '22748-8', '39469-2'], names: ['ldl', 'ldl cholesterol', 'cholesterol ldl', 'ldl c'] },
  { id: 'non-hdl', molarMass: 386.65, preferred: 'mmol/L', loinc: ['43396-1'], names: ['non hdl cholesterol', 'non hdl', 'non hdl c'] },
  { id: 'cholesterol', molarMass: 386.65, preferred: 'mmol/L', loinc: ['2093-3', '14647-2'], names: ['cholesterol', 'chol'] },
  // Triglycerides as triolein, the convention behind the 0.01129 mg/dL → mmol/L factor.
  { id: 'triglycerides', molarMass: 885.7, preferred: 'mmol/L', loinc: ['2571-8', '14927-8'], names: ['triglycerides', 'triglyceride', 'trig', 'tg'] },
  { id: 'bilirubin', molarMass: 584.66, preferred: 'umol/L', loinc: ['1975-2', '14631-6', '1968-7', '14629-0'], names: ['bilirubin', 'bili', 'conjugated bilirubin', 'direct bilirubin', 'bilirubin direct', 'bilirubin conjugated'] },
  { id: 'calcium', molarMass: 40.08, charge: 2, preferred: 'mmol/L', loinc: ['17861-6', '2000-8'], names: ['calcium', 'corrected calcium', 'calcium corrected', 'ca'] },
  { id: 'magnesium', molarMass: 24.305, charge: 2, preferred: 'mmol/L', loinc: ['19123-9'], names: ['magnesium', 'mg'] },
  { id: 'phosphate', molarMass: 30.974, preferred: 'mmol/L', loinc: ['2777-1', '14879-1'], names: ['phosphate', 'phosphorus', 'inorganic phosphate'] },
  { id: 'sodium', molarMass: 22.99, charge: 1, preferred: 'mmol/L', loinc: ['2951-2', '2947-0'], names: ['sodium', 'na'] },
  { id: 'potassium', molarMass: 39.098, charge: 1, preferred: 'mmol/L', loinc: ['2823-3', '6298-4'], names: ['potassium', 'k'] },
  { id: 'chloride', molarMass: 35.45, charge: 1, preferred: 'mmol/L', loinc: ['2075-0'], names: ['chloride', 'cl'] },
  { id: 'bicarbonate', molarMass: 61.017, charge: 1, preferred: 'mmol/L', loinc: ['1963-8', '2028-9'], names: ['bicarbonate', 'hco3', 'co2', 'total co2'] },
  { id: 'iron', molarMass: 55.845, preferred: 'umol/L', loinc: ['2498-4', '14798-3'], names: ['iron'] },
  // 25-hydroxyvitamin D3 (400.64 g/mol): ng/mL × 2.496 = nmol/L.
  { id: 'vitamin-d', molarMass: 400.64, preferred: 'nmol/L', loinc: ['1989-3', '62292-8', '14635-7'], names: ['vitamin d', '25 oh vitamin d', '25 hydroxyvitamin d', '25 hydroxy vitamin d', 'vitamin d 25 oh', 'vit d'] },
  { id: 'vitamin-b12', molarMass: 1355.37, preferred: 'pmol/L', loinc: ['2132-9', '14685-2'], names: ['vitamin b12', 'b12', 'cobalamin', 'vit b12'] },
  { id: 'haemoglobin', preferred: 'g/L', loinc: ['718-7'], names: ['haemoglobin', 'hemoglobin', 'hb', 'hgb'] },
  { id: 'albumin', preferred: 'g/L', loinc: ['1751-7'], names: ['albumin'] },
  { id: 'total-protein', preferred: 'g/L', loinc: ['2885-2'], names: ['protein', 'total protein'] },
  { id: 'ferritin', preferred: 'ug/L', loinc: ['2276-4'], names: ['ferritin'] },
  { id: 'platelets', preferred: '10*9/L', loinc: ['777-3'], names: ['platelets', 'platelet count', 'plt'] },
  { id: 'white-cells', preferred: '10*9/L', loinc: ['6690-2'], names: ['white cell count', 'wbc', 'white blood cells', 'white blood cell count', 'leucocytes', 'leukocytes'] },
  // HbA1c: % (NGSP/DCCT) is what the RACGP and ADA diagnostic threshold quotes (6.5 %);
  // the LOINC code for the IFCC unit keeps its own unit.
  { id: 'hba1c', preferred: '%', loinc: ['4548-4', '17856-6'], names: ['hba1c', 'hb a1c', 'a1c', 'haemoglobin a1c', 'hemoglobin a1c', 'glycated haemoglobin', 'glycated hemoglobin', 'glycosylated haemoglobin', 'glycosylated hemoglobin'] },
  { id: 'hba1c', preferred: 'mmol/mol', loinc: ['59261-8'], names: [] },
];

/** Words that qualify a result but do not change the analyte (or its molar mass). */
const QUALIFIERS = new Set(['serum', 'plasma', 'blood', 'whole', 'venous', 'capillary', 'fasting', 'random', 'level', 'total', 's', 'p', 'sp', 'b', 'ifcc', 'ngsp', 'dcct', 'measured', 'calculated', 'calc']);

const BY_LOINC = new Map<string, AnalyteEntry>();
const BY_NAME = new Map<string, AnalyteEntry>();
for (const entry of ANALYTES) {
  for (const code of entry.loinc) BY_LOINC.set(code, entry);
  for (const name of entry.names) BY_NAME.set(name, entry);
}
/**
 * Longer names first, so "hdl cholesterol" is found inside "urine hdl cholesterol"
 * before "cholesterol" is; and "urea nitrogen" before "urea".
 */
const NAMES_LONGEST_FIRST = [...BY_NAME.keys()].filter((n) => n.length >= 3).sort((a, b) => b.length - a.length);

/** HbA1c, IFCC–NGSP master equation (Hoelzel W et al., Clin Chem 2004;50:166–174): NGSP % = 0.09148 × IFCC + 2.152. */
const NGSP_SLOPE = 0.09148;
const NGSP_INTERCEPT = 2.152;

// Both caches hold unit strings and lab test names only, never values or people; they
// are bounded so free-text units from extraction cannot grow them without end.
const CACHE_LIMIT = 5_000;
const analyteCache = new Map<string, AnalyteMatch>();
const conversionCache = new Map<string, Conversion>();

interface AnalyteMatch {
  /** Found by LOINC code or by the whole (qualifier-free) name: safe to pick its unit. */
  exact: AnalyteEntry | null;
  /** Found as a phrase inside a longer name ("urine creatinine"): good for its molar mass only. */
  substance: AnalyteEntry | null;
}

type Conversion = { kind: 'affine'; scale: number; offset: number } | { kind: 'direct' } | { kind: 'none' };

function coreName(name: string): string {
  return normaliseName(name).split(' ').filter((w) => w && !QUALIFIERS.has(w)).join(' ');
}

function identify(analyte: Analyte): AnalyteMatch {
  const cacheKey = `${analyte.series_key}\u0000${analyte.name}`;
  const cached = analyteCache.get(cacheKey);
  if (cached) return cached;
  let exact: AnalyteEntry | null = null;
  if (analyte.series_key.startsWith('loinc:')) exact = BY_LOINC.get(analyte.series_key.slice(6)) ?? null;
  const core = coreName(analyte.name);
  exact ??= BY_NAME.get(core) ?? null;
  let substance = exact;
  if (!substance) {
    const padded = ` ${core} `;
    const found = NAMES_LONGEST_FIRST.find((n) => padded.includes(` ${n} `));
    substance = found ? (BY_NAME.get(found) ?? null) : null;
  }
  const match = { exact, substance };
  if (analyteCache.size >= CACHE_LIMIT) analyteCache.clear();
  analyteCache.set(cacheKey, match);
  return match;
}

/** Common non-UCUM spellings from lab reports, keyed in lower case. */
const UNIT_SPELLINGS: Readonly<Record<string, string>> = {
  'mmol/l': 'mmol/L', 'umol/l': 'umol/L', 'nmol/l': 'nmol/L', 'pmol/l': 'pmol/L', 'mol/l': 'mol/L',
  'mg/dl': 'mg/dL', 'g/dl': 'g/dL', 'g/l': 'g/L', 'mg/l': 'mg/L', 'ug/l': 'ug/L', 'ng/l': 'ng/L',
  'ug/dl': 'ug/dL', 'ng/ml': 'ng/mL', 'pg/ml': 'pg/mL', 'ug/ml': 'ug/mL',
  'meq/l': 'meq/L', 'iu/l': '[IU]/L', 'u/l': 'U/L', 'miu/l': 'm[IU]/L', 'mu/l': 'mU/L',
  'x10^9/l': '10*9/L', '10^9/l': '10*9/L', 'x10e9/l': '10*9/L', '10*9/l': '10*9/L',
  'x10^12/l': '10*12/L', '10^12/l': '10*12/L', '10*12/l': '10*12/L',
  'k/ul': '10*3/uL', 'x10^3/ul': '10*3/uL', '10^3/ul': '10*3/uL', '10*3/ul': '10*3/uL',
  'mmol/mol': 'mmol/mol', 'mg/mmol': 'mg/mmol', 'mg/g': 'mg/g',
};

/** A unit as UCUM spells it where the spelling is a known variant (µ → u, mmol/l → mmol/L); else as given, trimmed. */
export function canonicalUnit(unit: string): string {
  const compact = unit.trim().replace(/[µμ]/g, 'u').replace(/\s+/g, '');
  return UNIT_SPELLINGS[compact.toLowerCase()] ?? compact;
}

interface UcumResult {
  status: 'succeeded' | 'failed' | 'error';
  toVal: number | null;
}
interface UcumUtils {
  convertUnitTo(from: string, value: number, to: string, options?: { molecularWeight?: number; charge?: number }): UcumResult;
}
let ucum: UcumUtils | null = null;

/** Loaded on first use (~20 ms to read its unit tables); the package ships CommonJS without types. */
function ucumUtils(): UcumUtils {
  if (!ucum) {
    const pkg = createRequire(import.meta.url)('@lhncbc/ucum-lhc') as { UcumLhcUtils: { getInstance(): UcumUtils } };
    ucum = pkg.UcumLhcUtils.getInstance();
  }
  return ucum;
}

function ucumConvert(value: number, from: string, to: string, entry: AnalyteEntry | null): number | null {
  const options: { molecularWeight?: number; charge?: number } = {};
  if (entry?.molarMass) options.molecularWeight = entry.molarMass;
  if (entry?.charge) options.charge = entry.charge;
  const result = ucumUtils().convertUnitTo(from, value, to, options);
  return result.status === 'succeeded' && typeof result.toVal === 'number' && Number.isFinite(result.toVal) ? result.toVal : null;
}

function resolveConversion(from: string, to: string, entry: AnalyteEntry | null): Conversion {
  const at0 = ucumConvert(0, from, to, entry);
  const at1 = ucumConvert(1, from, to, entry);
  if (at0 === null || at1 === null) {
    // Log units fail at 0 but may convert elsewhere: keep asking ucum-lhc per value.
    return ucumConvert(10, from, to, entry) === null ? { kind: 'none' } : { kind: 'direct' };
  }
  const scale = at1 - at0;
  const at10 = ucumConvert(10, from, to, entry);
  const expected = scale * 10 + at0;
  const affine = at10 !== null && Math.abs(at10 - expected) <= 1e-9 * Math.max(1, Math.abs(expected));
  return affine ? { kind: 'affine', scale, offset: at0 } : { kind: 'direct' };
}

function hba1cConvert(value: number, from: string, to: string): number | null {
  if (from === '%' && to === 'mmol/mol') return (value - NGSP_INTERCEPT) / NGSP_SLOPE;
  if (from === 'mmol/mol' && to === '%') return value * NGSP_SLOPE + NGSP_INTERCEPT;
  return null;
}

/**
 * `value` in `fromUnit` expressed in `toUnit`, or null when it cannot be (a unit is
 * missing or unknown, the units measure different things, or mass ↔ mol is asked
 * for an analyte whose molar mass is not in the table). The same unit (after
 * spelling is folded: "mmol/l" is "mmol/L"), including no unit on both sides, gives
 * the value back unchanged.
 */
export function convertValue(value: number, fromUnit: string | null, toUnit: string | null, analyte: Analyte): number | null {
  if (!Number.isFinite(value)) return null;
  // No unit (null or blank) on both sides is the same unit: a ratio such as INR.
  const from = fromUnit?.trim() ? canonicalUnit(fromUnit) : null;
  const to = toUnit?.trim() ? canonicalUnit(toUnit) : null;
  if (from === to) return value;
  if (from === null || to === null) return null;
  const entry = identify(analyte).substance;
  if (entry?.id === 'hba1c' && (from === '%' || to === '%')) {
    // ucum-lhc would happily turn 7 % into 70 mmol/mol (both are dimensionless ratios).
    return hba1cConvert(value, from, to);
  }
  const cacheKey = `${from}\u0000${to}\u0000${entry?.id ?? ''}`;
  let conversion = conversionCache.get(cacheKey);
  if (!conversion) {
    conversion = resolveConversion(from, to, entry);
    if (conversionCache.size >= CACHE_LIMIT) conversionCache.clear();
    conversionCache.set(cacheKey, conversion);
  }
  switch (conversion.kind) {
    case 'affine':
      return value * conversion.scale + conversion.offset;
    case 'direct':
      return ucumConvert(value, from, to, entry);
    case 'none':
      return null;
  }
}

/**
 * The unit a series of this analyte is best shown in (Australian reporting units:
 * glucose mmol/L, creatinine µmol/L, haemoglobin g/L, HbA1c %), or null when the
 * analyte is not one we know by its code or its whole name (the journey then keeps
 * the first point's unit). Only exact identifications count: "urine creatinine" is
 * reported in mmol/L, not in the µmol/L of serum creatinine.
 */
export function preferredUnit(analyte: Analyte): string | null {
  return identify(analyte).exact?.preferred ?? null;
}
