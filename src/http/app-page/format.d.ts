// Types of format.js (plain browser JavaScript, run by the /app page and by the tests).
export function displayUnit(ucum: string | null | undefined): string;
export function displayUnitsIn(text: string | null | undefined): string;
export function countOf(n: number, singular: string, plural?: string): string;
export function recordCount(table: string, n: number): string;
export const SEVERITY_LABELS: Record<'critical' | 'warning' | 'info', string>;
export function severityLabel(severity: string): string;
