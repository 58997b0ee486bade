-- The shipped rule catalogue (cds_rules): drug-drug interactions, drug-allergy classes, lab
-- ranges and trends, the National Immunisation Program schedule, therapeutic duplication
-- and one FHIRPath rule. Each rule names its source (the CDS Hooks card `source`).
--
-- `on conflict (key) do nothing`: a rule an operator has since edited or disabled keeps
-- its stored version; changing a shipped rule takes a new migration that updates it.
-- Params are validated by the kind's zod schema in
-- src/consumers/decision-support/evaluators/*.ts (test: catalogue.test.ts). Matching is
-- on generic names as whole words in the record's name, Australian brand names as
-- aliases, and RxNorm ingredient codes where a record is coded.

-- ddi.warfarin-nsaid
insert into public.cds_rules (key, kind, title, description, params, severity, source_label, source_url, time_based) values (
  'ddi.warfarin-nsaid', 'drug_interaction',
  'Warfarin with an NSAID or aspirin',
  'NSAIDs and aspirin impair platelet function and injure the gastric mucosa; with warfarin the risk of serious (especially gastrointestinal) bleeding rises.',
  $json${
    "a": ["warfarin"],
    "b": ["ibuprofen", "naproxen", "diclofenac", "celecoxib", "meloxicam", "indomethacin", "ketoprofen", "piroxicam",
      "etoricoxib", "mefenamic acid", "ketorolac", "parecoxib", "sulindac", "aspirin"],
    "effect": "increased risk of bleeding",
    "management": "Avoid the combination where possible (paracetamol is the usual alternative for pain); if both are needed, monitor INR and watch for bleeding.",
    "aliases": {"coumadin": "warfarin", "marevan": "warfarin", "nurofen": "ibuprofen", "brufen": "ibuprofen",
      "advil": "ibuprofen", "naprosyn": "naproxen", "naprogesic": "naproxen", "anaprox": "naproxen",
      "voltaren": "diclofenac", "cataflam": "diclofenac", "celebrex": "celecoxib", "mobic": "meloxicam",
      "arcoxia": "etoricoxib", "indocid": "indomethacin", "indometacin": "indomethacin", "ponstan": "mefenamic acid",
      "toradol": "ketorolac", "feldene": "piroxicam", "dynastat": "parecoxib", "cartia": "aspirin",
      "astrix": "aspirin", "disprin": "aspirin", "aspro": "aspirin"},
    "rxnorm": {"warfarin": ["11289"], "ibuprofen": ["5640"], "naproxen": ["7258"], "diclofenac": ["3355"],
      "aspirin": ["1191"]}
  }$json$::jsonb,
  'critical', 'FDA label: Coumadin (warfarin), drug interactions (DailyMed)',
  'https://dailymed.nlm.nih.gov/dailymed/search.cfm?labeltype=all&query=warfarin', false
) on conflict (key) do nothing;

-- ddi.warfarin-cyp2c9-inhibitor
insert into public.cds_rules (key, kind, title, description, params, severity, source_label, source_url, time_based) values (
  'ddi.warfarin-cyp2c9-inhibitor', 'drug_interaction',
  'Warfarin with a CYP2C9 inhibitor (azole antifungal, metronidazole, co-trimoxazole, amiodarone)',
  'These drugs slow warfarin''s metabolism (CYP2C9) and can raise the INR sharply within days; miconazole oral gel does so too despite being applied to the mouth.',
  $json${
    "a": ["warfarin"],
    "b": ["fluconazole", "miconazole", "voriconazole", "metronidazole", "sulfamethoxazole", "amiodarone"],
    "effect": "raised INR and risk of bleeding",
    "management": "Prefer an alternative; otherwise check the INR within a few days of starting or stopping the second drug and adjust the warfarin dose.",
    "aliases": {"coumadin": "warfarin", "marevan": "warfarin", "diflucan": "fluconazole", "daktarin": "miconazole",
      "vfend": "voriconazole", "flagyl": "metronidazole", "metrogyl": "metronidazole", "bactrim": "sulfamethoxazole",
      "septrin": "sulfamethoxazole", "co trimoxazole": "sulfamethoxazole", "cotrimoxazole": "sulfamethoxazole",
      "sulphamethoxazole": "sulfamethoxazole", "cordarone": "amiodarone", "aratac": "amiodarone"},
    "rxnorm": {"warfarin": ["11289"], "sulfamethoxazole": ["10180"]}
  }$json$::jsonb,
  'critical', 'FDA label: Coumadin (warfarin), CYP2C9 inhibitors (DailyMed)',
  'https://dailymed.nlm.nih.gov/dailymed/search.cfm?labeltype=all&query=warfarin', false
) on conflict (key) do nothing;

-- ddi.statin-cyp3a4-inhibitor
insert into public.cds_rules (key, kind, title, description, params, severity, source_label, source_url, time_based) values (
  'ddi.statin-cyp3a4-inhibitor', 'drug_interaction',
  'Simvastatin or lovastatin with a strong CYP3A4 inhibitor',
  'Strong CYP3A4 inhibitors raise simvastatin and lovastatin levels many-fold; their labels contraindicate the combination because of myopathy and rhabdomyolysis.',
  $json${
    "a": ["simvastatin", "lovastatin"],
    "b": ["clarithromycin", "erythromycin", "itraconazole", "ketoconazole", "posaconazole", "voriconazole",
      "ritonavir", "cobicistat", "nefazodone"],
    "effect": "risk of muscle damage (rhabdomyolysis)",
    "management": "Withhold the statin for the course of the inhibitor, or use a statin not metabolised by CYP3A4 (rosuvastatin, pravastatin).",
    "aliases": {"zocor": "simvastatin", "lipex": "simvastatin", "vytorin": "simvastatin", "mevacor": "lovastatin",
      "klacid": "clarithromycin", "eryc": "erythromycin", "e mycin": "erythromycin", "sporanox": "itraconazole",
      "lozanoc": "itraconazole", "noxafil": "posaconazole", "vfend": "voriconazole", "norvir": "ritonavir",
      "kaletra": "ritonavir", "paxlovid": "ritonavir", "genvoya": "cobicistat", "stribild": "cobicistat",
      "prezcobix": "cobicistat"},
    "rxnorm": {"simvastatin": ["36567"], "lovastatin": ["6472"], "clarithromycin": ["21212"],
      "erythromycin": ["4053"], "itraconazole": ["28031"], "ketoconazole": ["6135"]}
  }$json$::jsonb,
  'critical', 'FDA label: Zocor (simvastatin), contraindications (DailyMed)',
  'https://dailymed.nlm.nih.gov/dailymed/search.cfm?labeltype=all&query=simvastatin', false
) on conflict (key) do nothing;

-- ddi.methotrexate-trimethoprim
insert into public.cds_rules (key, kind, title, description, params, severity, source_label, source_url, time_based) values (
  'ddi.methotrexate-trimethoprim', 'drug_interaction',
  'Methotrexate with trimethoprim or co-trimoxazole',
  'Trimethoprim is an antifolate and reduces methotrexate''s renal clearance; together they cause bone-marrow suppression, even at low weekly methotrexate doses.',
  $json${
    "a": ["methotrexate"],
    "b": ["trimethoprim"],
    "effect": "risk of methotrexate toxicity (bone marrow suppression)",
    "management": "Avoid the combination; choose another antibiotic. If it was given, check a full blood count.",
    "aliases": {"methoblastin": "methotrexate", "metoject": "methotrexate", "trexject": "methotrexate",
      "otrexup": "methotrexate", "bactrim": "trimethoprim", "septrin": "trimethoprim",
      "co trimoxazole": "trimethoprim", "cotrimoxazole": "trimethoprim", "alprim": "trimethoprim",
      "triprim": "trimethoprim"},
    "rxnorm": {"methotrexate": ["6851"], "trimethoprim": ["10829"]}
  }$json$::jsonb,
  'critical', 'FDA label: methotrexate, drug interactions (DailyMed)',
  'https://dailymed.nlm.nih.gov/dailymed/search.cfm?labeltype=all&query=methotrexate', false
) on conflict (key) do nothing;

-- ddi.maoi-ssri-snri
insert into public.cds_rules (key, kind, title, description, params, severity, source_label, source_url, time_based) values (
  'ddi.maoi-ssri-snri', 'drug_interaction',
  'MAO inhibitor with an SSRI or SNRI',
  'Combining a monoamine oxidase inhibitor with a serotonin reuptake inhibitor can cause serotonin syndrome; the labels contraindicate it and require washout periods between them.',
  $json${
    "a": ["phenelzine", "tranylcypromine", "moclobemide", "isocarboxazid", "selegiline", "rasagiline", "linezolid"],
    "b": ["fluoxetine", "sertraline", "paroxetine", "citalopram", "escitalopram", "fluvoxamine", "venlafaxine",
      "desvenlafaxine", "duloxetine", "milnacipran"],
    "effect": "risk of serotonin syndrome",
    "management": "Contraindicated: do not combine; observe the washout period (two weeks, five weeks after fluoxetine) when switching.",
    "aliases": {"nardil": "phenelzine", "parnate": "tranylcypromine", "aurorix": "moclobemide",
      "amira": "moclobemide", "eldepryl": "selegiline", "azilect": "rasagiline", "zyvox": "linezolid",
      "prozac": "fluoxetine", "lovan": "fluoxetine", "zoloft": "sertraline", "aropax": "paroxetine",
      "paxil": "paroxetine", "cipramil": "citalopram", "lexapro": "escitalopram", "esipram": "escitalopram",
      "luvox": "fluvoxamine", "efexor": "venlafaxine", "pristiq": "desvenlafaxine", "cymbalta": "duloxetine",
      "joncia": "milnacipran"},
    "rxnorm": {"phenelzine": ["8123"], "tranylcypromine": ["10734"], "fluoxetine": ["4493"], "sertraline": ["36437"],
      "paroxetine": ["32937"], "citalopram": ["2556"], "escitalopram": ["321988"], "venlafaxine": ["39786"],
      "duloxetine": ["72625"]}
  }$json$::jsonb,
  'critical', 'FDA labels: SSRIs and SNRIs, contraindication with MAOIs (DailyMed)',
  'https://dailymed.nlm.nih.gov/dailymed/search.cfm?labeltype=all&query=monoamine oxidase inhibitor serotonin syndrome', false
) on conflict (key) do nothing;

-- ddi.pde5-inhibitor-nitrate
insert into public.cds_rules (key, kind, title, description, params, severity, source_label, source_url, time_based) values (
  'ddi.pde5-inhibitor-nitrate', 'drug_interaction',
  'PDE5 inhibitor with a nitrate or nicorandil',
  'Phosphodiesterase-5 inhibitors potentiate the vasodilating effect of nitrates and nicorandil, causing profound hypotension.',
  $json${
    "a": ["sildenafil", "tadalafil", "vardenafil", "avanafil"],
    "b": ["glyceryl trinitrate", "isosorbide mononitrate", "isosorbide dinitrate", "nicorandil", "amyl nitrite"],
    "effect": "risk of severe low blood pressure",
    "management": "Contraindicated: no nitrate within 24 hours of sildenafil or vardenafil, or 48 hours of tadalafil.",
    "aliases": {"viagra": "sildenafil", "revatio": "sildenafil", "cialis": "tadalafil", "adcirca": "tadalafil",
      "levitra": "vardenafil", "spedra": "avanafil", "nitroglycerin": "glyceryl trinitrate",
      "nitroglycerine": "glyceryl trinitrate", "gtn": "glyceryl trinitrate", "nitrolingual": "glyceryl trinitrate",
      "anginine": "glyceryl trinitrate", "transiderm nitro": "glyceryl trinitrate", "minitran": "glyceryl trinitrate",
      "nitro dur": "glyceryl trinitrate", "imdur": "isosorbide mononitrate", "monodur": "isosorbide mononitrate",
      "duride": "isosorbide mononitrate", "isordil": "isosorbide dinitrate", "sorbidin": "isosorbide dinitrate",
      "ikorel": "nicorandil"},
    "rxnorm": {"sildenafil": ["136411"], "tadalafil": ["358263"], "vardenafil": ["306674"],
      "glyceryl trinitrate": ["4917"], "isosorbide mononitrate": ["6058"], "isosorbide dinitrate": ["6057"]}
  }$json$::jsonb,
  'critical', 'FDA label: Viagra (sildenafil), contraindications (DailyMed)',
  'https://dailymed.nlm.nih.gov/dailymed/search.cfm?labeltype=all&query=sildenafil', false
) on conflict (key) do nothing;

-- ddi.lithium-nsaid-acei-arb-thiazide
insert into public.cds_rules (key, kind, title, description, params, severity, source_label, source_url, time_based) values (
  'ddi.lithium-nsaid-acei-arb-thiazide', 'drug_interaction',
  'Lithium with an NSAID, ACE inhibitor, ARB or thiazide diuretic',
  'These drugs reduce the kidneys'' clearance of lithium, which has a narrow therapeutic range; lithium levels can rise into the toxic range.',
  $json${
    "a": ["lithium"],
    "b": ["ibuprofen", "naproxen", "diclofenac", "celecoxib", "meloxicam", "indomethacin", "ketoprofen", "piroxicam",
      "etoricoxib", "mefenamic acid", "ketorolac", "parecoxib", "sulindac", "enalapril", "lisinopril", "ramipril",
      "perindopril", "captopril", "fosinopril", "quinapril", "trandolapril", "candesartan", "irbesartan", "losartan",
      "olmesartan", "telmisartan", "valsartan", "eprosartan", "azilsartan", "hydrochlorothiazide", "chlortalidone",
      "indapamide", "chlorothiazide"],
    "effect": "raised lithium levels (toxicity)",
    "management": "Avoid if possible; otherwise check the lithium level within a week of starting, stopping or changing the dose, and watch for tremor, confusion or vomiting.",
    "aliases": {"lithicarb": "lithium", "quilonum": "lithium", "nurofen": "ibuprofen", "brufen": "ibuprofen",
      "advil": "ibuprofen", "naprosyn": "naproxen", "naprogesic": "naproxen", "anaprox": "naproxen",
      "voltaren": "diclofenac", "cataflam": "diclofenac", "celebrex": "celecoxib", "mobic": "meloxicam",
      "arcoxia": "etoricoxib", "indocid": "indomethacin", "indometacin": "indomethacin", "ponstan": "mefenamic acid",
      "toradol": "ketorolac", "feldene": "piroxicam", "dynastat": "parecoxib", "coversyl": "perindopril",
      "tritace": "ramipril", "renitec": "enalapril", "zestril": "lisinopril", "prinivil": "lisinopril",
      "accupril": "quinapril", "gopten": "trandolapril", "monopril": "fosinopril", "capoten": "captopril",
      "atacand": "candesartan", "avapro": "irbesartan", "cozaar": "losartan", "olmetec": "olmesartan",
      "micardis": "telmisartan", "diovan": "valsartan", "entresto": "valsartan", "teveten": "eprosartan",
      "edarbi": "azilsartan", "chlorthalidone": "chlortalidone", "hygroton": "chlortalidone",
      "natrilix": "indapamide", "dithiazide": "hydrochlorothiazide"},
    "rxnorm": {"lithium": ["6448", "42351"], "ibuprofen": ["5640"], "naproxen": ["7258"],
      "hydrochlorothiazide": ["5487"], "lisinopril": ["29046"], "enalapril": ["3827"], "ramipril": ["35296"]}
  }$json$::jsonb,
  'warning', 'FDA label: lithium, drug interactions (DailyMed)',
  'https://dailymed.nlm.nih.gov/dailymed/search.cfm?labeltype=all&query=lithium carbonate', false
) on conflict (key) do nothing;

-- ddi.clopidogrel-omeprazole
insert into public.cds_rules (key, kind, title, description, params, severity, source_label, source_url, time_based) values (
  'ddi.clopidogrel-omeprazole', 'drug_interaction',
  'Clopidogrel with omeprazole or esomeprazole',
  'Omeprazole and esomeprazole inhibit CYP2C19, which turns clopidogrel into its active form; the antiplatelet effect is reduced.',
  $json${
    "a": ["clopidogrel"],
    "b": ["omeprazole", "esomeprazole"],
    "effect": "reduced antiplatelet effect of clopidogrel",
    "management": "The FDA label advises avoiding these two proton pump inhibitors with clopidogrel; pantoprazole is an alternative if acid suppression is needed.",
    "aliases": {"plavix": "clopidogrel", "iscover": "clopidogrel", "piax": "clopidogrel", "duocover": "clopidogrel",
      "coplavix": "clopidogrel", "losec": "omeprazole", "acimax": "omeprazole", "nexium": "esomeprazole"},
    "rxnorm": {"clopidogrel": ["32968"], "omeprazole": ["7646"], "esomeprazole": ["283742"]}
  }$json$::jsonb,
  'warning', 'FDA label: Plavix (clopidogrel), CYP2C19 inhibitors (DailyMed)',
  'https://dailymed.nlm.nih.gov/dailymed/search.cfm?labeltype=all&query=clopidogrel', false
) on conflict (key) do nothing;

-- ddi.potassium-sparing-raas-potassium
insert into public.cds_rules (key, kind, title, description, params, severity, source_label, source_url, time_based) values (
  'ddi.potassium-sparing-raas-potassium', 'drug_interaction',
  'Potassium-sparing diuretic with an ACE inhibitor, ARB or potassium supplement',
  'Potassium-sparing diuretics, ACE inhibitors, ARBs and potassium supplements all raise serum potassium; together they can cause dangerous hyperkalaemia, especially with kidney impairment.',
  $json${
    "a": ["spironolactone", "eplerenone", "amiloride", "triamterene"],
    "b": ["enalapril", "lisinopril", "ramipril", "perindopril", "captopril", "fosinopril", "quinapril",
      "trandolapril", "candesartan", "irbesartan", "losartan", "olmesartan", "telmisartan", "valsartan", "eprosartan",
      "azilsartan", "potassium chloride", "potassium citrate", "potassium bicarbonate"],
    "effect": "risk of high potassium (hyperkalaemia)",
    "management": "Often intended (e.g. heart failure), but check potassium and kidney function within a week of starting and regularly after; avoid potassium supplements unless potassium is known to be low.",
    "aliases": {"aldactone": "spironolactone", "spiractin": "spironolactone", "aldactazide": "spironolactone",
      "inspra": "eplerenone", "kaluril": "amiloride", "moduretic": "amiloride", "coversyl": "perindopril",
      "tritace": "ramipril", "renitec": "enalapril", "zestril": "lisinopril", "prinivil": "lisinopril",
      "accupril": "quinapril", "gopten": "trandolapril", "monopril": "fosinopril", "capoten": "captopril",
      "atacand": "candesartan", "avapro": "irbesartan", "cozaar": "losartan", "olmetec": "olmesartan",
      "micardis": "telmisartan", "diovan": "valsartan", "entresto": "valsartan", "teveten": "eprosartan",
      "edarbi": "azilsartan", "slow k": "potassium chloride", "span k": "potassium chloride",
      "chlorvescent": "potassium chloride"},
    "rxnorm": {"spironolactone": ["9997"], "eplerenone": ["298869"], "amiloride": ["644"], "triamterene": ["10763"],
      "potassium chloride": ["8591"]}
  }$json$::jsonb,
  'warning', 'FDA label: Aldactone (spironolactone), hyperkalaemia (DailyMed)',
  'https://dailymed.nlm.nih.gov/dailymed/search.cfm?labeltype=all&query=spironolactone', false
) on conflict (key) do nothing;

-- ddi.tramadol-ssri-snri
insert into public.cds_rules (key, kind, title, description, params, severity, source_label, source_url, time_based) values (
  'ddi.tramadol-ssri-snri', 'drug_interaction',
  'Tramadol with an SSRI or SNRI',
  'Tramadol inhibits serotonin reuptake itself and lowers the seizure threshold; with SSRIs or SNRIs the risk of serotonin syndrome and seizures rises, and CYP2D6 inhibitors (fluoxetine, paroxetine) also reduce its pain relief.',
  $json${
    "a": ["tramadol"],
    "b": ["fluoxetine", "sertraline", "paroxetine", "citalopram", "escitalopram", "fluvoxamine", "venlafaxine",
      "desvenlafaxine", "duloxetine", "milnacipran"],
    "effect": "risk of serotonin syndrome and seizures",
    "management": "Prefer another analgesic; if combined, use the lowest dose and stop at the first sign of agitation, tremor, fever or muscle twitching.",
    "aliases": {"tramal": "tramadol", "zydol": "tramadol", "durotram": "tramadol", "tramedo": "tramadol",
      "prozac": "fluoxetine", "lovan": "fluoxetine", "zoloft": "sertraline", "aropax": "paroxetine",
      "paxil": "paroxetine", "cipramil": "citalopram", "lexapro": "escitalopram", "esipram": "escitalopram",
      "luvox": "fluvoxamine", "efexor": "venlafaxine", "pristiq": "desvenlafaxine", "cymbalta": "duloxetine",
      "joncia": "milnacipran"},
    "rxnorm": {"tramadol": ["10689"], "fluoxetine": ["4493"], "sertraline": ["36437"], "paroxetine": ["32937"],
      "citalopram": ["2556"], "escitalopram": ["321988"], "venlafaxine": ["39786"], "duloxetine": ["72625"]}
  }$json$::jsonb,
  'warning', 'FDA label: Ultram (tramadol), serotonin syndrome (DailyMed)',
  'https://dailymed.nlm.nih.gov/dailymed/search.cfm?labeltype=all&query=tramadol', false
) on conflict (key) do nothing;

-- allergy.drug-class
insert into public.cds_rules (key, kind, title, description, params, severity, source_label, source_url, time_based) values (
  'allergy.drug-class', 'drug_allergy',
  'Active medication in a class the person is allergic to',
  'An active allergy names a drug or a drug class (penicillins, cephalosporins, sulfonamide antibiotics, NSAIDs, macrolides, fluoroquinolones, tetracyclines), and an active medication is that drug or belongs to that class. Classes do not cross (penicillin to cephalosporin cross-reactivity is about 1–2 %), and non-antibiotic sulfonamides (furosemide, thiazides, celecoxib) are not in the sulfonamide class. Severity is critical when the allergy is recorded as high criticality.',
  $json${
    "classes": {
      "penicillin": ["amoxicillin", "ampicillin", "flucloxacillin", "dicloxacillin", "cloxacillin",
        "phenoxymethylpenicillin", "benzylpenicillin", "piperacillin", "ticarcillin"],
      "cephalosporin": ["cefalexin", "cefazolin", "cefaclor", "cefadroxil", "cefuroxime", "cefoxitin", "ceftriaxone",
        "cefotaxime", "ceftazidime", "cefepime", "ceftaroline", "cefixime", "cefpodoxime"],
      "sulfonamide": ["sulfamethoxazole", "sulfadiazine", "sulfasalazine"],
      "nsaid": ["ibuprofen", "naproxen", "diclofenac", "celecoxib", "meloxicam", "indomethacin", "ketoprofen",
        "piroxicam", "etoricoxib", "mefenamic acid", "ketorolac", "parecoxib", "sulindac", "aspirin"],
      "macrolide": ["erythromycin", "clarithromycin", "azithromycin", "roxithromycin"],
      "fluoroquinolone": ["ciprofloxacin", "norfloxacin", "moxifloxacin", "levofloxacin"],
      "tetracycline": ["doxycycline", "minocycline", "tetracycline"]
    },
    "class_terms": {
      "penicillin": ["penicillin"],
      "cephalosporin": ["cephalosporin"],
      "sulfonamide": ["sulfa", "sulpha", "sulphonamide", "sulfa drug", "sulpha drug"],
      "nsaid": ["nsaid", "anti inflammatory", "anti inflammatories", "non steroidal anti inflammatory"],
      "macrolide": ["macrolide"],
      "fluoroquinolone": ["quinolone", "fluoroquinolone"],
      "tetracycline": ["tetracycline"]
    },
    "labels": {"penicillin": "penicillins", "cephalosporin": "cephalosporins",
      "sulfonamide": "sulfonamide antibiotics", "nsaid": "NSAIDs", "macrolide": "macrolide antibiotics",
      "fluoroquinolone": "fluoroquinolones", "tetracycline": "tetracyclines"},
    "aliases": {"amoxycillin": "amoxicillin", "amoxil": "amoxicillin", "alphamox": "amoxicillin",
      "moxacin": "amoxicillin", "augmentin": "amoxicillin", "clavulin": "amoxicillin", "flopen": "flucloxacillin",
      "staphylex": "flucloxacillin", "penicillin v": "phenoxymethylpenicillin", "penicillin g": "benzylpenicillin",
      "bicillin": "benzylpenicillin", "tazocin": "piperacillin", "cephalexin": "cefalexin", "keflex": "cefalexin",
      "ibilex": "cefalexin", "cephazolin": "cefazolin", "ceclor": "cefaclor", "rocephin": "ceftriaxone",
      "zinnat": "cefuroxime", "bactrim": "sulfamethoxazole", "septrin": "sulfamethoxazole",
      "co trimoxazole": "sulfamethoxazole", "cotrimoxazole": "sulfamethoxazole",
      "sulphamethoxazole": "sulfamethoxazole", "salazopyrin": "sulfasalazine", "sulphasalazine": "sulfasalazine",
      "nurofen": "ibuprofen", "brufen": "ibuprofen", "advil": "ibuprofen", "naprosyn": "naproxen",
      "naprogesic": "naproxen", "anaprox": "naproxen", "voltaren": "diclofenac", "cataflam": "diclofenac",
      "celebrex": "celecoxib", "mobic": "meloxicam", "arcoxia": "etoricoxib", "indocid": "indomethacin",
      "indometacin": "indomethacin", "ponstan": "mefenamic acid", "toradol": "ketorolac", "feldene": "piroxicam",
      "dynastat": "parecoxib", "cartia": "aspirin", "astrix": "aspirin", "disprin": "aspirin", "aspro": "aspirin",
      "klacid": "clarithromycin", "eryc": "erythromycin", "zithromax": "azithromycin", "rulide": "roxithromycin",
      "ciproxin": "ciprofloxacin", "avelox": "moxifloxacin", "doryx": "doxycycline", "vibramycin": "doxycycline",
      "minomycin": "minocycline"}
  }$json$::jsonb,
  'warning', 'Drug classes per the WHO ATC classification',
  'https://atcddd.fhi.no/atc_ddd_index/', false
) on conflict (key) do nothing;

-- lab.out-of-range
insert into public.cds_rules (key, kind, title, description, params, severity, source_label, source_url, time_based) values (
  'lab.out-of-range', 'lab_out_of_range',
  'Latest result outside its reference range',
  'The latest result of a lab series lies outside the reference range printed with it (a value on a bound is in range), or the laboratory flagged it when no range was printed. Critical when the laboratory flagged it critical (HH, LL, AA) or the value is at least twice the upper limit or at most half the lower limit.',
  $json${
    "critical_factor": 2
  }$json$::jsonb,
  'warning', 'Reference intervals printed by the reporting laboratory',
  null, false
) on conflict (key) do nothing;

-- lab.creatinine-rising
insert into public.cds_rules (key, kind, title, description, params, severity, source_label, source_url, time_based) values (
  'lab.creatinine-rising', 'lab_trend',
  'Creatinine rising in three consecutive results',
  'Serum creatinine rose in each of the last three results (four results in a row, each higher than the one before), which may mean kidney function is worsening.',
  $json${
    "analytes": ["loinc:2160-0", "loinc:14682-9", "loinc:38483-4", "name:creatinine", "name:serum creatinine",
      "name:creatinine serum", "name:plasma creatinine", "name:creatinine plasma", "name:s creatinine"],
    "direction": "rising",
    "consecutive": 3
  }$json$::jsonb,
  'warning', 'KDIGO 2012 Clinical Practice Guideline for the Evaluation and Management of CKD',
  'https://kdigo.org/guidelines/ckd-evaluation-and-management/', false
) on conflict (key) do nothing;

-- lab.egfr-falling
insert into public.cds_rules (key, kind, title, description, params, severity, source_label, source_url, time_based) values (
  'lab.egfr-falling', 'lab_trend',
  'eGFR fell by 25 % or more within a year',
  'eGFR fell by at least 25 % between the earliest and the latest result of the last 365 days: KDIGO defines a certain drop in eGFR as a fall in GFR category together with a ≥ 25 % decline from baseline.',
  $json${
    "analytes": ["loinc:33914-3", "loinc:62238-1", "loinc:98979-8", "loinc:48642-3", "name:egfr", "name:e gfr",
      "name:estimated gfr", "name:gfr estimated"],
    "direction": "falling",
    "percent_change": 25,
    "window_days": 365
  }$json$::jsonb,
  'warning', 'KDIGO 2012 Clinical Practice Guideline for the Evaluation and Management of CKD',
  'https://kdigo.org/guidelines/ckd-evaluation-and-management/', true
) on conflict (key) do nothing;

-- lab.hba1c-rising
insert into public.cds_rules (key, kind, title, description, params, severity, source_label, source_url, time_based) values (
  'lab.hba1c-rising', 'lab_trend',
  'HbA1c rising in three consecutive results',
  'HbA1c rose in each of the last three results, a sign that glucose control is worsening.',
  $json${
    "analytes": ["loinc:4548-4", "loinc:17856-6", "loinc:59261-8", "name:hba1c", "name:hb a1c",
      "name:haemoglobin a1c", "name:hemoglobin a1c", "name:glycated haemoglobin", "name:glycated hemoglobin"],
    "direction": "rising",
    "consecutive": 3
  }$json$::jsonb,
  'info', 'RACGP: Management of type 2 diabetes, a handbook for general practice',
  'https://www.racgp.org.au/clinical-resources/clinical-guidelines/key-racgp-guidelines/view-all-racgp-guidelines/management-of-type-2-diabetes', false
) on conflict (key) do nothing;

-- immunisation.nip-schedule
insert into public.cds_rules (key, kind, title, description, params, severity, source_label, source_url, time_based) values (
  'immunisation.nip-schedule', 'overdue_immunization',
  'Childhood or adolescent vaccine overdue (National Immunisation Program)',
  'A dose of Australia''s National Immunisation Program schedule for all children is not recorded 30 days after it fell due (7 days for the hepatitis B birth dose). Each antigen is its own group, so one DTPa-hepB-IPV-Hib (hexavalent) dose counts for all four; the DTPa boosters (18 months, 4 years, adolescent) are groups of their own that count only doses given from about their age, so cohorts that had no 18-month booster are not told they are a dose short. School-program doses (dTpa and HPV at 12–13 years, MenACWY at 14–16 years) are due at the end of their age window and overdue a year later, as schools deliver them during the school year. Doses that are not caught up are reported only while they can still be given: rotavirus until 15 and 25 weeks, the hepatitis B birth dose in the first month, Hib and pneumococcal until 5 years, the 18-month DTPa until the 4-year dose, the 12-month MenACWY until 10 years. A historical meningococcal C vaccine counts for the 12-month meningococcal dose. Only people under 20 are checked; the schedule for Aboriginal and Torres Strait Islander children and for medical risk groups adds doses not listed here.',
  $json${
    "schedule": [
      {"group": "hepb_birth", "label": "Hepatitis B (birth dose)", "dose": 1, "due_age_months": 0, "grace_days": 7,
        "catch_up_until_months": 1,
        "match": ["hepatitis b", "hep b", "hepb", "h b vax", "hbvax", "engerix", "infanrix hexa", "vaxelis", "hexa", "dtpa hepb ipv hib"],
        "cvx": ["08", "45"]},
      {"group": "hepb", "label": "Hepatitis B", "dose": 1, "due_age_months": 2,
        "match": ["hepatitis b", "hep b", "hepb", "h b vax", "hbvax", "engerix", "infanrix hexa", "vaxelis", "hexa", "dtpa hepb ipv hib"],
        "cvx": ["08", "43", "44", "45", "51", "110", "146"]},
      {"group": "hepb", "label": "Hepatitis B", "dose": 2, "due_age_months": 4},
      {"group": "hepb", "label": "Hepatitis B", "dose": 3, "due_age_months": 6},
      {"group": "dtpa", "label": "Diphtheria, tetanus, pertussis (DTPa)", "dose": 1, "due_age_months": 2,
        "match": ["dtpa", "dtap", "dtp", "diphtheria", "tetanus", "pertussis", "infanrix", "tripacel", "quadracel", "boostrix", "adacel", "infanrix hexa", "vaxelis", "hexa", "dtpa hepb ipv hib"],
        "cvx": ["01", "20", "50", "106", "107", "110", "115", "120", "130", "146"]},
      {"group": "dtpa", "label": "Diphtheria, tetanus, pertussis (DTPa)", "dose": 2, "due_age_months": 4},
      {"group": "dtpa", "label": "Diphtheria, tetanus, pertussis (DTPa)", "dose": 3, "due_age_months": 6},
      {"group": "dtpa_18m", "label": "DTPa booster (18 months)", "dose": 1, "due_age_months": 18,
        "count_from_age_months": 12, "catch_up_until_months": 48,
        "match": ["dtpa", "dtap", "dtp", "diphtheria", "tetanus", "pertussis", "infanrix", "tripacel", "quadracel", "boostrix", "adacel", "infanrix hexa", "vaxelis", "hexa", "dtpa hepb ipv hib"],
        "cvx": ["01", "20", "50", "106", "107", "110", "115", "120", "130", "146"]},
      {"group": "dtpa_4y", "label": "DTPa-IPV booster (4 years)", "dose": 1, "due_age_months": 48,
        "count_from_age_months": 42, "catch_up_until_months": 120,
        "match": ["dtpa", "dtap", "dtp", "diphtheria", "tetanus", "pertussis", "infanrix", "tripacel", "quadracel", "boostrix", "adacel", "infanrix hexa", "vaxelis", "hexa", "dtpa hepb ipv hib"],
        "cvx": ["01", "20", "50", "106", "107", "110", "115", "120", "130", "146"]},
      {"group": "dtpa_adolescent", "label": "dTpa booster (12–13 years, school program)", "dose": 1,
        "due_age_months": 156, "count_from_age_months": 120, "grace_days": 365,
        "match": ["dtpa", "dtap", "dtp", "diphtheria", "tetanus", "pertussis", "infanrix", "tripacel", "quadracel", "boostrix", "adacel", "infanrix hexa", "vaxelis", "hexa", "dtpa hepb ipv hib"],
        "cvx": ["01", "20", "50", "106", "107", "110", "115", "120", "130", "146"]},
      {"group": "ipv", "label": "Polio (IPV)", "dose": 1, "due_age_months": 2,
        "match": ["ipv", "polio", "poliomyelitis", "ipol", "infanrix ipv", "quadracel", "pediacel", "infanrix hexa", "vaxelis", "hexa", "dtpa hepb ipv hib"],
        "cvx": ["10", "89", "110", "120", "130", "146"]},
      {"group": "ipv", "label": "Polio (IPV)", "dose": 2, "due_age_months": 4},
      {"group": "ipv", "label": "Polio (IPV)", "dose": 3, "due_age_months": 6},
      {"group": "ipv", "label": "Polio (IPV)", "dose": 4, "due_age_months": 48},
      {"group": "hib", "label": "Haemophilus influenzae type b (Hib)", "dose": 1, "due_age_months": 2,
        "catch_up_until_months": 60,
        "match": ["hib", "haemophilus", "hemophilus", "act hib", "acthib", "hiberix", "pedvaxhib", "menitorix", "pediacel", "infanrix hexa", "vaxelis", "hexa", "dtpa hepb ipv hib"],
        "cvx": ["17", "46", "47", "48", "49", "50", "51", "120", "146", "148"]},
      {"group": "hib", "label": "Haemophilus influenzae type b (Hib)", "dose": 2, "due_age_months": 4,
        "catch_up_until_months": 60},
      {"group": "hib", "label": "Haemophilus influenzae type b (Hib)", "dose": 3, "due_age_months": 6,
        "catch_up_until_months": 60},
      {"group": "hib", "label": "Haemophilus influenzae type b (Hib)", "dose": 4, "due_age_months": 18,
        "catch_up_until_months": 60},
      {"group": "pneumococcal", "label": "Pneumococcal conjugate (PCV)", "dose": 1, "due_age_months": 2,
        "catch_up_until_months": 60,
        "match": ["pneumococcal", "pcv", "pcv7", "pcv13", "pcv15", "pcv20", "13vpcv", "prevenar", "prevnar", "vaxneuvance", "synflorix"],
        "cvx": ["100", "133", "152", "215", "216"]},
      {"group": "pneumococcal", "label": "Pneumococcal conjugate (PCV)", "dose": 2, "due_age_months": 4,
        "catch_up_until_months": 60},
      {"group": "pneumococcal", "label": "Pneumococcal conjugate (PCV)", "dose": 3, "due_age_months": 12,
        "catch_up_until_months": 60},
      {"group": "rotavirus", "label": "Rotavirus", "dose": 1, "due_age_months": 2, "catch_up_until_months": 3.45,
        "match": ["rotavirus", "rotarix", "rotateq"], "cvx": ["116", "119", "122"]},
      {"group": "rotavirus", "label": "Rotavirus", "dose": 2, "due_age_months": 4, "catch_up_until_months": 5.75},
      {"group": "menacwy", "label": "Meningococcal ACWY (12 months)", "dose": 1, "due_age_months": 12,
        "catch_up_until_months": 120,
        "match": ["menacwy", "men acwy", "meningococcal acwy", "nimenrix", "menquadfi", "menveo", "menactra", "meningococcal conjugate", "menc", "neisvac", "menjugate", "meningitec", "menitorix"],
        "cvx": ["114", "136", "147", "203"]},
      {"group": "menacwy_adolescent", "label": "Meningococcal ACWY (14–16 years, school program)", "dose": 1,
        "due_age_months": 192, "count_from_age_months": 120, "grace_days": 365,
        "match": ["menacwy", "men acwy", "meningococcal acwy", "nimenrix", "menquadfi", "menveo", "menactra", "meningococcal conjugate", "menc", "neisvac", "menjugate", "meningitec", "menitorix"],
        "cvx": ["114", "136", "147", "203"]},
      {"group": "mmr", "label": "Measles, mumps, rubella (MMR)", "dose": 1, "due_age_months": 12,
        "match": ["mmr", "mmrv", "m m r", "measles", "priorix", "proquad"], "cvx": ["03", "94"]},
      {"group": "mmr", "label": "Measles, mumps, rubella (MMRV, 18 months)", "dose": 2, "due_age_months": 18},
      {"group": "varicella", "label": "Varicella (chickenpox, MMRV)", "dose": 1, "due_age_months": 18,
        "match": ["varicella", "chickenpox", "mmrv", "priorix tetra", "proquad", "varilrix", "varivax"],
        "cvx": ["21", "94"]},
      {"group": "hpv", "label": "Human papillomavirus (HPV, 12–13 years, school program)", "dose": 1,
        "due_age_months": 156, "count_from_age_months": 108, "grace_days": 365,
        "match": ["hpv", "human papillomavirus", "papillomavirus", "gardasil", "cervarix"],
        "cvx": ["62", "118", "137", "165"]}
    ],
    "grace_days": 30,
    "max_age_months": 240
  }$json$::jsonb,
  'warning', 'Australian Immunisation Handbook: National Immunisation Program schedule',
  'https://www.health.gov.au/topics/immunisation/when-to-get-vaccinated/national-immunisation-program-schedule', true
) on conflict (key) do nothing;

-- medication.duplicate-therapy
insert into public.cds_rules (key, kind, title, description, params, severity, source_label, source_url, time_based) values (
  'medication.duplicate-therapy', 'duplicate_therapy',
  'Two active medications of the same class',
  'Two different active medications of one class (SSRIs, SNRIs, NSAIDs, proton pump inhibitors, statins, ACE inhibitors, ARBs, benzodiazepines), or one drug active under two different names (a brand and its generic). Low-dose aspirin is not counted as an NSAID here.',
  $json${
    "classes": {
      "ssri": ["fluoxetine", "sertraline", "paroxetine", "citalopram", "escitalopram", "fluvoxamine"],
      "snri": ["venlafaxine", "desvenlafaxine", "duloxetine", "milnacipran"],
      "nsaid": ["ibuprofen", "naproxen", "diclofenac", "celecoxib", "meloxicam", "indomethacin", "ketoprofen",
        "piroxicam", "etoricoxib", "mefenamic acid", "ketorolac", "parecoxib", "sulindac"],
      "ppi": ["omeprazole", "esomeprazole", "pantoprazole", "lansoprazole", "rabeprazole", "dexlansoprazole"],
      "statin": ["atorvastatin", "simvastatin", "rosuvastatin", "pravastatin", "fluvastatin", "lovastatin",
        "pitavastatin"],
      "ace_inhibitor": ["enalapril", "lisinopril", "ramipril", "perindopril", "captopril", "fosinopril", "quinapril",
        "trandolapril"],
      "arb": ["candesartan", "irbesartan", "losartan", "olmesartan", "telmisartan", "valsartan", "eprosartan",
        "azilsartan"],
      "benzodiazepine": ["diazepam", "oxazepam", "temazepam", "lorazepam", "alprazolam", "clonazepam", "nitrazepam",
        "bromazepam", "flunitrazepam", "midazolam", "triazolam"]
    },
    "labels": {"ssri": "SSRIs", "snri": "SNRIs", "nsaid": "NSAIDs", "ppi": "proton pump inhibitors",
      "statin": "statins", "ace_inhibitor": "ACE inhibitors", "arb": "ARBs (sartans)",
      "benzodiazepine": "benzodiazepines"},
    "aliases": {"prozac": "fluoxetine", "lovan": "fluoxetine", "zoloft": "sertraline", "aropax": "paroxetine",
      "paxil": "paroxetine", "cipramil": "citalopram", "lexapro": "escitalopram", "esipram": "escitalopram",
      "luvox": "fluvoxamine", "efexor": "venlafaxine", "pristiq": "desvenlafaxine", "cymbalta": "duloxetine",
      "joncia": "milnacipran", "nurofen": "ibuprofen", "brufen": "ibuprofen", "advil": "ibuprofen",
      "naprosyn": "naproxen", "naprogesic": "naproxen", "anaprox": "naproxen", "voltaren": "diclofenac",
      "cataflam": "diclofenac", "celebrex": "celecoxib", "mobic": "meloxicam", "arcoxia": "etoricoxib",
      "indocid": "indomethacin", "indometacin": "indomethacin", "ponstan": "mefenamic acid", "toradol": "ketorolac",
      "feldene": "piroxicam", "dynastat": "parecoxib", "losec": "omeprazole", "acimax": "omeprazole",
      "nexium": "esomeprazole", "somac": "pantoprazole", "zoton": "lansoprazole", "pariet": "rabeprazole",
      "lipitor": "atorvastatin", "caduet": "atorvastatin", "zocor": "simvastatin", "lipex": "simvastatin",
      "vytorin": "simvastatin", "crestor": "rosuvastatin", "pravachol": "pravastatin", "lescol": "fluvastatin",
      "livalo": "pitavastatin", "coversyl": "perindopril", "tritace": "ramipril", "renitec": "enalapril",
      "zestril": "lisinopril", "prinivil": "lisinopril", "accupril": "quinapril", "gopten": "trandolapril",
      "monopril": "fosinopril", "capoten": "captopril", "atacand": "candesartan", "avapro": "irbesartan",
      "cozaar": "losartan", "olmetec": "olmesartan", "micardis": "telmisartan", "diovan": "valsartan",
      "entresto": "valsartan", "teveten": "eprosartan", "edarbi": "azilsartan", "valium": "diazepam",
      "serepax": "oxazepam", "alepam": "oxazepam", "normison": "temazepam", "temaze": "temazepam",
      "ativan": "lorazepam", "xanax": "alprazolam", "kalma": "alprazolam", "rivotril": "clonazepam",
      "mogadon": "nitrazepam", "lexotan": "bromazepam", "hypnovel": "midazolam"}
  }$json$::jsonb,
  'warning', 'Therapeutic duplication screen; drug classes per the WHO ATC classification',
  'https://atcddd.fhi.no/atc_ddd_index/', false
) on conflict (key) do nothing;

-- fhirpath.hba1c-possible-diabetes
insert into public.cds_rules (key, kind, title, description, params, severity, source_label, source_url, time_based) values (
  'fhirpath.hba1c-possible-diabetes', 'fhirpath',
  'HbA1c in the diabetes range with no diabetes diagnosis on record',
  'The latest HbA1c is at or above 6.5 % (48 mmol/mol), the threshold at which HbA1c is diagnostic of diabetes, and no diabetes condition is on record.',
  $json${
    "expression": "iif(entry.resource.ofType(Condition).where((code.coding.where(system = 'http://snomed.info/sct' and (code = '73211009' or code = '44054006' or code = '46635009')).exists() or code.text.lower().matches('(^|[^a-z-])diabet')) and code.text.lower().contains('gestational').not() and code.text.lower().contains('insipidus').not()).exists(), {}, entry.resource.ofType(Observation).where(code.coding.code.intersect('4548-4' | '17856-6' | '59261-8').exists()).last().where(value.ofType(Quantity).where((code = '%' and value >= 6.5) or (code = 'mmol/mol' and value >= 48)).exists()))",
    "resource_types": ["Observation", "Condition"],
    "summary": "Possible undiagnosed diabetes: latest HbA1c is 6.5% (48 mmol/mol) or higher and no diabetes diagnosis is recorded",
    "detail": "The latest HbA1c result is at or above **6.5 % (48 mmol/mol)**, the level at which HbA1c is diagnostic of type 2 diabetes, and no diabetes diagnosis is on record.\n\nWithout symptoms, the diagnosis needs a second abnormal result; please discuss this result with a GP. If diabetes has already been diagnosed, add it to the conditions."
  }$json$::jsonb,
  'warning', 'RACGP: Management of type 2 diabetes (diagnosis: HbA1c ≥ 6.5 %, 48 mmol/mol); ADA Standards of Care',
  'https://www.racgp.org.au/clinical-resources/clinical-guidelines/key-racgp-guidelines/view-all-racgp-guidelines/management-of-type-2-diabetes', false
) on conflict (key) do nothing;
