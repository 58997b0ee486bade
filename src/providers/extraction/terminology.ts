/**
 * A small shipped terminology: common analytes (LOINC), medicines (RxNorm
 * ingredients), vaccines (CVX), conditions (SNOMED CT) and allergens. Enough to
 * code the everyday cases offline; anything unknown keeps its printed name and no
 * code. Names are matched on a normalised key (lower case, letters and digits).
 */
export interface Term {
  code: string;
  names: string[];
}

export const LOINC = 'http://loinc.org';
export const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
export const CVX = 'http://hl7.org/fhir/sid/cvx';
export const SNOMED = 'http://snomed.info/sct';

export const ANALYTES: Term[] = [
  { code: '2345-7', names: ['glucose', 'glucose fasting', 'fasting glucose', 'blood glucose', 'glucose random', 'plasma glucose'] },
  { code: '4548-4', names: ['hba1c', 'haemoglobin a1c', 'hemoglobin a1c', 'glycated haemoglobin', 'glycated hemoglobin'] },
  { code: '718-7', names: ['haemoglobin', 'hemoglobin', 'hb', 'hgb'] },
  { code: '6690-2', names: ['wbc', 'white cell count', 'white blood cells', 'white cell count wcc', 'wcc', 'leukocytes'] },
  { code: '777-3', names: ['platelets', 'platelet count', 'plt'] },
  { code: '789-8', names: ['red cell count', 'rbc', 'red blood cells'] },
  { code: '4544-3', names: ['haematocrit', 'hematocrit', 'hct'] },
  { code: '787-2', names: ['mcv', 'mean cell volume'] },
  { code: '2951-2', names: ['sodium', 'na'] },
  { code: '2823-3', names: ['potassium', 'k'] },
  { code: '2075-0', names: ['chloride', 'cl'] },
  { code: '1963-8', names: ['bicarbonate', 'hco3'] },
  { code: '3094-0', names: ['urea', 'bun', 'blood urea nitrogen'] },
  { code: '2160-0', names: ['creatinine', 'serum creatinine'] },
  { code: '33914-3', names: ['egfr', 'estimated gfr'] },
  { code: '1742-6', names: ['alt', 'alanine aminotransferase'] },
  { code: '1920-8', names: ['ast', 'aspartate aminotransferase'] },
  { code: '6768-6', names: ['alp', 'alkaline phosphatase'] },
  { code: '2324-2', names: ['ggt', 'gamma gt', 'gamma glutamyl transferase'] },
  { code: '1975-2', names: ['bilirubin', 'total bilirubin', 'bilirubin total'] },
  { code: '1751-7', names: ['albumin'] },
  { code: '2093-3', names: ['total cholesterol', 'cholesterol', 'cholesterol total'] },
  { code: '13457-7', names: ['ldl', 'ldl cholesterol', 'ldl c'] },
  { code: '2085-9', names: ['hdl', 'hdl cholesterol', 'hdl c'] },
  { code: '2571-8', names: ['triglycerides', 'trig'] },
  { code: '3016-3', names: ['tsh', 'thyroid stimulating hormone'] },
  { code: '3024-7', names: ['free t4', 'ft4'] },
  { code: '2276-4', names: ['ferritin'] },
  { code: '1988-5', names: ['crp', 'c reactive protein'] },
  { code: '1989-3', names: ['vitamin d', '25 oh vitamin d', '25oh vitamin d', 'vitamin d 25 oh'] },
  { code: '2132-9', names: ['vitamin b12', 'b12'] },
  { code: '2284-8', names: ['folate', 'serum folate'] },
  { code: '2498-4', names: ['iron', 'serum iron'] },
  { code: '2947-0', names: ['psa'] },
  { code: '17861-6', names: ['calcium', 'ca'] },
  { code: '2777-1', names: ['phosphate'] },
  { code: '19123-9', names: ['magnesium', 'mg'] },
  { code: '3084-1', names: ['urate', 'uric acid'] },
  { code: '30341-2', names: ['esr'] },
  { code: '5902-2', names: ['pt', 'prothrombin time'] },
  { code: '6301-6', names: ['inr'] },
  { code: '751-8', names: ['neutrophils', 'neutrophil count', 'neutrophils absolute'] },
  { code: '731-0', names: ['lymphocytes', 'lymphocyte count'] },
  { code: '2502-3', names: ['transferrin saturation', 'iron saturation'] },
  { code: '3034-3', names: ['transferrin'] },
];

export const VITALS: Term[] = [
  { code: '8480-6', names: ['systolic blood pressure'] },
  { code: '8462-4', names: ['diastolic blood pressure'] },
  { code: '8867-4', names: ['heart rate', 'pulse', 'hr', 'pulse rate'] },
  { code: '8310-5', names: ['temperature', 'temp', 'body temperature'] },
  { code: '29463-7', names: ['weight', 'body weight', 'wt'] },
  { code: '8302-2', names: ['height', 'body height', 'ht'] },
  { code: '39156-5', names: ['bmi', 'body mass index'] },
  { code: '59408-5', names: ['spo2', 'oxygen saturation', 'o2 saturation', 'sao2'] },
  { code: '9279-1', names: ['respiratory rate', 'resp rate', 'rr'] },
];

export const MEDICINES: Term[] = [
  { code: '6809', names: ['metformin'] }, { code: '29046', names: ['lisinopril'] }, { code: '17767', names: ['amlodipine'] },
  { code: '83367', names: ['atorvastatin'] }, { code: '36567', names: ['simvastatin'] }, { code: '301542', names: ['rosuvastatin'] },
  { code: '10582', names: ['levothyroxine', 'thyroxine'] }, { code: '1191', names: ['aspirin'] }, { code: '161', names: ['paracetamol', 'acetaminophen'] },
  { code: '5640', names: ['ibuprofen'] }, { code: '723', names: ['amoxicillin', 'amoxycillin'] }, { code: '7646', names: ['omeprazole'] },
  { code: '40790', names: ['pantoprazole'] }, { code: '32968', names: ['clopidogrel'] }, { code: '11289', names: ['warfarin'] },
  { code: '1364430', names: ['apixaban'] }, { code: '4603', names: ['furosemide', 'frusemide'] }, { code: '5487', names: ['hydrochlorothiazide'] },
  { code: '52175', names: ['losartan'] }, { code: '6918', names: ['metoprolol'] }, { code: '20352', names: ['carvedilol'] },
  { code: '36437', names: ['sertraline'] }, { code: '321988', names: ['escitalopram'] }, { code: '435', names: ['salbutamol', 'albuterol'] },
  { code: '8638', names: ['prednisolone'] }, { code: '8640', names: ['prednisone'] }, { code: '2551', names: ['ciprofloxacin'] },
  { code: '21212', names: ['clarithromycin'] }, { code: '3640', names: ['doxycycline'] }, { code: '25480', names: ['gabapentin'] },
  { code: '7052', names: ['morphine'] }, { code: '10689', names: ['tramadol'] }, { code: '274783', names: ['insulin glargine'] },
  { code: '7804', names: ['oxycodone'] }, { code: '6135', names: ['ketoconazole'] }, { code: '7984', names: ['penicillin v', 'phenoxymethylpenicillin'] },
  { code: '2231', names: ['cefalexin', 'cephalexin'] }, { code: '9997', names: ['spironolactone'] }, { code: '20610', names: ['cetirizine'] },
  { code: '41126', names: ['fluticasone'] }, { code: '19831', names: ['budesonide'] }, { code: '187832', names: ['pregabalin'] },
  { code: '54552', names: ['perindopril'] }, { code: '83818', names: ['irbesartan'] }, { code: '19484', names: ['bisoprolol'] },
  { code: '1114195', names: ['rivaroxaban'] }, { code: '519', names: ['allopurinol'] }, { code: '6851', names: ['methotrexate'] },
  { code: '46041', names: ['alendronate', 'alendronic acid'] }, { code: '67108', names: ['enoxaparin'] }, { code: '2193', names: ['ceftriaxone'] },
  { code: '35296', names: ['ramipril'] }, { code: '1202', names: ['atenolol'] }, { code: '8787', names: ['propranolol'] },
  { code: '3827', names: ['enalapril'] }, { code: '69749', names: ['valsartan'] }, { code: '214354', names: ['candesartan'] },
  { code: '3407', names: ['digoxin'] }, { code: '703', names: ['amiodarone'] }, { code: '3443', names: ['diltiazem'] },
  { code: '11170', names: ['verapamil'] }, { code: '7417', names: ['nifedipine'] }, { code: '2683', names: ['colchicine'] },
  { code: '4493', names: ['fluoxetine'] }, { code: '2556', names: ['citalopram'] }, { code: '39786', names: ['venlafaxine'] },
  { code: '15996', names: ['mirtazapine'] }, { code: '3322', names: ['diazepam'] }, { code: '26225', names: ['ondansetron'] },
  { code: '6915', names: ['metoclopramide'] }, { code: '2670', names: ['codeine'] }, { code: '11124', names: ['vancomycin'] },
  { code: '283742', names: ['esomeprazole'] }, { code: '1037042', names: ['dabigatran'] }, { code: '1545653', names: ['empagliflozin'] },
  { code: '1488564', names: ['dapagliflozin'] }, { code: '593411', names: ['sitagliptin'] }, { code: '4821', names: ['glipizide'] },
  { code: '5224', names: ['heparin'] },
];

/**
 * Medicines recognised by name without a shipped code (the code is left to a
 * terminology service rather than guessed): enough to accept "Gliclazide 30 mg"
 * outside a medications heading.
 */
export const MEDICINE_NAMES = new Set(
  ['gliclazide', 'flucloxacillin', 'amoxicillin clavulanate', 'augmentin', 'trimethoprim', 'nitrofurantoin', 'metronidazole', 'azithromycin',
    'roxithromycin', 'ticagrelor', 'prasugrel', 'ezetimibe', 'fenofibrate', 'tiotropium', 'salmeterol', 'formoterol', 'ipratropium',
    'montelukast', 'loratadine', 'fexofenadine', 'ranitidine', 'famotidine', 'lansoprazole', 'rabeprazole', 'macrogol', 'lactulose',
    'docusate', 'senna', 'insulin', 'insulin aspart', 'insulin lispro', 'insulin detemir', 'levetiracetam', 'sodium valproate', 'lamotrigine',
    'carbamazepine', 'phenytoin', 'quetiapine', 'olanzapine', 'risperidone', 'lithium', 'amitriptyline', 'nortriptyline', 'duloxetine',
    'desvenlafaxine', 'temazepam', 'zopiclone', 'oxazepam', 'tapentadol', 'buprenorphine', 'fentanyl', 'hydromorphone', 'celecoxib',
    'meloxicam', 'naproxen', 'diclofenac', 'hydroxychloroquine', 'sulfasalazine', 'leflunomide', 'folic acid', 'cholecalciferol',
    'calcium carbonate', 'ferrous sulfate', 'vitamin b12', 'thiamine', 'tamsulosin', 'finasteride', 'oxybutynin', 'solifenacin',
    'hydrocortisone', 'dexamethasone', 'methylprednisolone', 'denosumab', 'risedronate', 'zoledronic acid', 'candesartan cilexetil',
    'telmisartan', 'olmesartan', 'indapamide', 'chlorthalidone', 'eplerenone', 'sacubitril valsartan', 'ivabradine', 'nicorandil',
    'isosorbide mononitrate', 'glyceryl trinitrate', 'piperacillin tazobactam', 'gentamicin', 'meropenem', 'benzylpenicillin'].map((name) => normaliseKey(name)),
);

export const VACCINES: Term[] = [
  { code: '03', names: ['mmr', 'measles mumps rubella'] }, { code: '94', names: ['mmrv', 'mmr varicella'] },
  { code: '20', names: ['dtpa', 'dtap', 'diphtheria tetanus pertussis'] }, { code: '115', names: ['tdap', 'dtpa adult', 'boostrix', 'adacel'] },
  { code: '141', names: ['influenza', 'flu', 'influenza vaccine', 'fluad', 'fluarix', 'vaxigrip'] },
  { code: '208', names: ['covid 19', 'covid 19 vaccine', 'comirnaty', 'pfizer biontech covid 19', 'spikevax'] },
  { code: '08', names: ['hepatitis b', 'hep b', 'hbv'] }, { code: '83', names: ['hepatitis a', 'hep a'] },
  { code: '62', names: ['hpv', 'human papillomavirus', 'gardasil'] }, { code: '165', names: ['gardasil 9', 'hpv9', '9vhpv'] }, { code: '21', names: ['varicella', 'chickenpox'] },
  { code: '133', names: ['pneumococcal', 'prevenar 13', 'pcv13', 'pneumococcal conjugate'] }, { code: '216', names: ['prevenar 20', 'pcv20'] }, { code: '116', names: ['rotavirus', 'rotateq', 'rotarix'] },
  { code: '114', names: ['meningococcal acwy', 'menactra', 'nimenrix', 'menacwy'] }, { code: '187', names: ['shingrix', 'zoster', 'herpes zoster'] },
  { code: '10', names: ['ipv', 'polio'] }, { code: '17', names: ['hib', 'haemophilus influenzae type b'] },
];

export const CONDITIONS: Term[] = [
  { code: '44054006', names: ['type 2 diabetes', 'type 2 diabetes mellitus', 't2dm', 'diabetes mellitus type 2'] },
  { code: '46635009', names: ['type 1 diabetes', 'type 1 diabetes mellitus'] }, { code: '38341003', names: ['hypertension', 'essential hypertension'] },
  { code: '55822004', names: ['hyperlipidaemia', 'hyperlipidemia', 'dyslipidaemia'] }, { code: '195967001', names: ['asthma'] },
  { code: '13645005', names: ['copd', 'chronic obstructive pulmonary disease'] }, { code: '49436004', names: ['atrial fibrillation', 'af'] },
  { code: '84114007', names: ['heart failure', 'congestive heart failure'] }, { code: '40930008', names: ['hypothyroidism'] },
  { code: '35489007', names: ['depression', 'major depression'] }, { code: '197480006', names: ['anxiety', 'anxiety disorder'] },
  { code: '233604007', names: ['pneumonia'] }, { code: '68566005', names: ['urinary tract infection', 'uti'] },
  { code: '396275006', names: ['osteoarthritis'] }, { code: '69896004', names: ['rheumatoid arthritis'] },
  { code: '709044004', names: ['chronic kidney disease', 'ckd'] }, { code: '22298006', names: ['myocardial infarction', 'heart attack'] },
  { code: '230690007', names: ['stroke', 'cerebrovascular accident'] }, { code: '235595009', names: ['gastro oesophageal reflux', 'gord', 'gerd', 'reflux'] },
  { code: '37796009', names: ['migraine'] }, { code: '74400008', names: ['appendicitis', 'acute appendicitis'] }, { code: '64859006', names: ['osteoporosis'] },
  { code: '87522002', names: ['iron deficiency anaemia', 'iron deficiency anemia'] }, { code: '271737000', names: ['anaemia', 'anemia'] },
  { code: '414916001', names: ['obesity'] }, { code: '73430006', names: ['sleep apnoea', 'obstructive sleep apnoea', 'sleep apnea'] },
  { code: '84229001', names: ['fatigue'] }, { code: '43116000', names: ['eczema'] },
  { code: '13644009', names: ['hypercholesterolaemia', 'hypercholesterolemia'] }, { code: '90560007', names: ['gout'] },
  { code: '128045006', names: ['cellulitis'] }, { code: '14669001', names: ['acute kidney injury', 'aki', 'acute renal failure'] },
  { code: '433144002', names: ['chronic kidney disease stage 3', 'ckd stage 3'] },
  { code: '385093006', names: ['community acquired pneumonia'] },
];

export const ALLERGENS: { names: string[]; category: 'food' | 'medication' | 'environment' | 'biologic' }[] = [
  { names: ['penicillin', 'amoxicillin', 'sulfonamides', 'sulfa', 'sulphonamides', 'codeine', 'morphine', 'aspirin', 'ibuprofen', 'nsaids', 'cephalosporins', 'trimethoprim', 'erythromycin', 'tetracycline', 'contrast', 'iodinated contrast'], category: 'medication' },
  { names: ['peanut', 'peanuts', 'tree nuts', 'shellfish', 'egg', 'eggs', 'milk', 'cow milk', "cow's milk", 'soy', 'wheat', 'fish', 'sesame'], category: 'food' },
  { names: ['latex', 'bee sting', 'bee venom', 'wasp', 'pollen', 'dust mite', 'house dust mite', 'cat dander', 'grass pollen', 'nickel', 'adhesive tape', 'elastoplast'], category: 'environment' },
];

export function normaliseKey(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
}

function index(terms: Term[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const term of terms) for (const name of term.names) map.set(normaliseKey(name), term.code);
  return map;
}

const indexes = {
  analytes: index(ANALYTES), vitals: index(VITALS), medicines: index(MEDICINES), vaccines: index(VACCINES), conditions: index(CONDITIONS),
};

/** The code for a name, exactly, else for the longest known name the text starts with or contains. */
export function lookup(table: keyof typeof indexes, name: string): string | undefined {
  const key = normaliseKey(name);
  const map = indexes[table];
  const exact = map.get(key);
  if (exact) return exact;
  let best: { length: number; code: string } | undefined;
  for (const [known, code] of map) {
    if (known.length < 3) continue; // 'k', 'na', 'hb' only match exactly
    if (new RegExp(`(^| )${known}( |$)`).test(key) && (!best || known.length > best.length)) best = { length: known.length, code };
  }
  return best?.code;
}

export function allergenCategory(substance: string): 'food' | 'medication' | 'environment' | null {
  const key = normaliseKey(substance);
  for (const group of ALLERGENS) if (group.names.some((n) => key === normaliseKey(n) || key.startsWith(`${normaliseKey(n)} `))) return group.category === 'biologic' ? null : group.category;
  return lookup('medicines', substance) ? 'medication' : null;
}

function withinOneEdit(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  // After the first difference the rest must agree once one character is substituted, dropped or added.
  return a.slice(i + 1) === b.slice(i + 1) || a.slice(i + 1) === b.slice(i) || a.slice(i) === b.slice(i + 1);
}

const vocabularies = new Map<keyof typeof indexes, Set<string>>();
function vocabulary(table: keyof typeof indexes): Set<string> {
  let words = vocabularies.get(table);
  if (!words) {
    words = new Set([...indexes[table].keys()].flatMap((k) => k.split(' ')).filter((w) => w.length >= 6));
    vocabularies.set(table, words);
  }
  return words;
}

/**
 * OCR slips in a known name ("Comiraty", "HbAlc"): each word of six letters or more
 * that is one edit from exactly one word of the table's names takes that spelling
 * (case as printed where it can be kept); anything else stays as printed.
 */
export function correctSpelling(table: keyof typeof indexes, name: string): string {
  if (lookup(table, name) && !/[a-z]{6,}/i.test(name)) return name;
  const words = vocabulary(table);
  return name.replace(/[A-Za-z]{6,}/g, (word) => {
    const lower = word.toLowerCase();
    if (words.has(lower)) return word;
    const near = [...words].filter((w) => withinOneEdit(lower, w));
    if (near.length !== 1) return word;
    const fixed = near[0]!;
    return word === word.toUpperCase() ? fixed.toUpperCase() : word[0] === word[0]!.toUpperCase() ? fixed[0]!.toUpperCase() + fixed.slice(1) : fixed;
  });
}
