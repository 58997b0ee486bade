/**
 * Writes a document's extracted records, replacing whatever an earlier run of the
 * same document wrote (re-processing never duplicates), inside the caller's
 * transaction. One statement per table: the records travel as one jsonb array
 * and jsonb_to_recordset turns them into rows, so 200 lab values are one insert.
 */
import type pg from 'pg';
import type { ExtractedRecord, ExtractionResult } from '../../providers/extraction/schema.js';
import { CLINICAL_TABLES } from '../../db/record-categories.js';

const TABLES = CLINICAL_TABLES;

type Row = Record<string, unknown>;

function provenanceColumns(record: ExtractedRecord, extractor: ExtractionResult['extractor']): Row {
  const p = record.provenance;
  return {
    source_page: p.page,
    source_span_start: p.start,
    source_span_end: Math.max(p.start, p.end),
    source_text: p.text.slice(0, 2000),
    confidence: Math.round(p.confidence * 1000) / 1000,
    extractor: extractor.name,
    extractor_version: extractor.version,
    code_system: 'coding' in record && record.coding ? record.coding.system : null,
    code: 'coding' in record && record.coding ? record.coding.code : null,
  };
}

function toRow(record: ExtractedRecord): { table: (typeof TABLES)[number]; row: Row } | undefined {
  switch (record.kind) {
    case 'observation':
      if (record.value === null && record.valueText === null) return undefined; // nothing to keep
      return {
        table: 'observations',
        row: {
          category: record.category, name: record.name, value_numeric: record.value, value_text: record.valueText, unit: record.unit,
          reference_low: record.referenceLow !== null && record.referenceHigh !== null && record.referenceLow > record.referenceHigh ? null : record.referenceLow,
          reference_high: record.referenceHigh, interpretation: record.interpretation, effective_at: record.effectiveDate,
        },
      };
    case 'medication':
      return {
        table: 'medications',
        row: {
          name: record.name, dose_text: record.doseText, dose_value: record.doseValue, dose_unit: record.doseUnit, route: record.route,
          frequency: record.frequency, start_date: record.startDate,
          end_date: record.endDate && record.startDate && record.endDate < record.startDate ? null : record.endDate, status: record.status ?? 'active',
        },
      };
    case 'condition':
      return { table: 'conditions', row: { name: record.name, clinical_status: record.clinicalStatus ?? 'active', onset_date: record.onsetDate } };
    case 'allergy':
      return { table: 'allergies', row: { substance: record.substance, category: record.category, reaction: record.reaction, severity: record.severity } };
    case 'immunization':
      return {
        table: 'immunizations',
        row: { vaccine: record.vaccine, occurrence_date: record.date, dose_number: record.doseNumber, lot_number: record.lotNumber },
      };
    case 'encounter':
      return {
        table: 'encounters',
        row: {
          class: record.class, start_at: record.startDate,
          end_at: record.endDate && record.startDate && record.endDate < record.startDate ? null : record.endDate,
          facility: record.facility, practitioner: record.practitioner, reason: record.reason,
        },
      };
  }
}

const PROVENANCE = 'source_page, source_span_start, source_span_end, source_text, confidence, extractor, extractor_version';
const COLUMNS: Record<(typeof TABLES)[number], string> = {
  observations: `category, name, value_numeric, value_text, unit, reference_low, reference_high, interpretation, effective_at, code_system, code, ${PROVENANCE}`,
  medications: `name, dose_text, dose_value, dose_unit, route, frequency, start_date, end_date, status, code_system, code, ${PROVENANCE}`,
  conditions: `name, clinical_status, onset_date, code_system, code, ${PROVENANCE}`,
  allergies: `substance, category, reaction, severity, code_system, code, ${PROVENANCE}`,
  immunizations: `vaccine, occurrence_date, dose_number, lot_number, code_system, code, ${PROVENANCE}`,
  encounters: `class, start_at, end_at, facility, practitioner, reason, ${PROVENANCE}`,
  procedures: `name, performed_at, code_system, code, ${PROVENANCE}`,
};

/**
 * The statements per table, built once from the closed lists above (identifiers,
 * never values: every value is a parameter). jsonb_populate_recordset reads the
 * rows with the table's own column types.
 */
const STATEMENTS = Object.fromEntries(
  TABLES.map((t) => [
    t,
    {
      remove: `delete from public.${t} where source_document_id = $1::uuid`,
      insert: `insert into public.${t} (profile_id, source_document_id, ${COLUMNS[t]})
               select $1::uuid, $2::uuid, ${COLUMNS[t]} from jsonb_populate_recordset(null::public.${t}, $3::jsonb)`,
    },
  ]),
) as Record<(typeof TABLES)[number], { remove: string; insert: string }>;

export async function replaceDocumentRecords(
  client: pg.ClientBase,
  document: { id: string; profileId: string },
  result: ExtractionResult,
): Promise<Record<string, number>> {
  const byTable = new Map<string, Row[]>();
  for (const record of result.records) {
    const mapped = toRow(record);
    if (!mapped) continue;
    const rows = byTable.get(mapped.table) ?? [];
    rows.push({ ...mapped.row, ...provenanceColumns(record, result.extractor) });
    byTable.set(mapped.table, rows);
  }
  const counts: Record<string, number> = {};
  for (const table of TABLES) {
    await client.query(STATEMENTS[table].remove, [document.id]);
    const rows = byTable.get(table);
    if (!rows?.length) continue;
    const { rowCount } = await client.query(STATEMENTS[table].insert, [document.profileId, document.id, JSON.stringify(rows)]);
    counts[table] = rowCount ?? 0;
  }
  return counts;
}
