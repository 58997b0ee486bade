/**
 * Holds an answer to its zod schema key by key, both ways: a key the answer carries
 * that the schema does not declare, and a key the schema declares that no answer ever
 * filled (absent, or null everywhere). zod's own parse checks the types of what is
 * there; this checks that the schema and the answer describe the same keys, so an
 * answer built outside zod (JSON text from SQL) cannot drift from its schema unseen.
 *
 * Array elements are pooled: a key counts as filled when any element fills it.
 * Records (`z.record`) are open by design and not looked into.
 */
import { z } from 'zod';

export interface ShapeMismatch {
  path: string;
  problem: 'undeclared' | 'never filled';
}

/** The mismatches between `schema` and the answers, as dotted paths (`[]` for array elements). */
export function shapeMismatches(schema: z.ZodType, answers: unknown[]): ShapeMismatch[] {
  const mismatches: ShapeMismatch[] = [];
  walk(schema, answers, '$', mismatches);
  return mismatches;
}

function walk(schema: z.ZodType, values: unknown[], path: string, out: ShapeMismatch[]): void {
  const present = values.filter((v) => v !== null && v !== undefined);
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) {
    walk(schema.unwrap() as z.ZodType, present, path, out);
  } else if (schema instanceof z.ZodArray) {
    walk(schema.element as z.ZodType, present.flatMap((v) => (Array.isArray(v) ? v : [])), `${path}[]`, out);
  } else if (schema instanceof z.ZodObject) {
    const objects = present.filter((v): v is Record<string, unknown> => typeof v === 'object' && !Array.isArray(v));
    const shape = schema.shape as Record<string, z.ZodType>;
    const undeclared = new Set(objects.flatMap((o) => Object.keys(o)).filter((key) => !(key in shape)));
    for (const key of undeclared) out.push({ path: `${path}.${key}`, problem: 'undeclared' });
    for (const [key, child] of Object.entries(shape)) {
      const filled = objects.map((o) => o[key]).filter((v) => v !== null && v !== undefined);
      if (filled.length === 0) out.push({ path: `${path}.${key}`, problem: 'never filled' });
      else walk(child, filled, `${path}.${key}`, out);
    }
  }
}
