/** What `npm run doctor` reports: one finding per check, with how to fix what is wrong. */
export type Severity = 'ok' | 'warn' | 'error';

export interface Finding {
  /** connection, settings, roles, migrations, storage, keys, realtime … */
  area: string;
  severity: Severity;
  message: string;
  /** What to do about it (warn and error only). */
  fix?: string;
}

export const ok = (area: string, message: string): Finding => ({ area, severity: 'ok', message });
export const warn = (area: string, message: string, fix: string): Finding => ({ area, severity: 'warn', message, fix });
export const error = (area: string, message: string, fix: string): Finding => ({ area, severity: 'error', message, fix });
