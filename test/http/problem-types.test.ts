import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import { loadConfig } from '../../src/config.js';
import { STATUS_CODES } from '../../src/http/problem.js';
import { isProblemCode, PROBLEM_CODES, PROBLEM_TYPES } from '../../src/http/problem-types.js';

const test = suite('the catalogue of problem codes');
const SRC = path.join(loadConfig({}).projectRoot, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(full) : entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every code the source can answer with, and the status it is raised with (when it says). */
function raisedCodes(): { code: string; status?: number; where: string }[] {
  const found: { code: string; status?: number; where: string }[] = [];
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    const where = path.relative(SRC, file);
    for (const m of text.matchAll(/new HttpProblem\(\s*(\d{3}),\s*'([^']+)'/g)) found.push({ code: m[2]!, status: Number(m[1]), where });
    // Errors of other layers that reach the client with their own code (AuthError, AuthUnavailableError).
    for (const m of text.matchAll(/new AuthError\(\s*'([^']+)'/g)) found.push({ code: m[1]!, status: 401, where });
    const union = /export type AuthErrorCode =([^;]+);/.exec(text);
    if (union) for (const m of union[1]!.matchAll(/'([^']+)'/g)) found.push({ code: m[1]!, status: 401, where });
    if (/readonly status = \d{3}/.test(text)) for (const m of text.matchAll(/readonly code = '([^']+)'/g)) found.push({ code: m[1]!, where });
  }
  for (const [status, code] of Object.entries(STATUS_CODES)) found.push({ code, status: Number(status), where: 'problem.ts STATUS_CODES' });
  return found;
}

test('every code the source raises is in the catalogue, with the status it is raised with', () => {
  const raised = raisedCodes();
  // The scan must find what is there, or it would prove nothing.
  assert.ok(new Set(raised.map((r) => r.code)).size >= 45, `only ${raised.length} codes found`);
  for (const { code, status, where } of raised) {
    assert.ok(isProblemCode(code), `${where} raises ${code}, which is not in src/http/problem-types.ts`);
    if (status !== undefined && isProblemCode(code)) assert.is(PROBLEM_TYPES[code].status, status, `${code} in ${where}`);
  }
});

test('codes are lower_snake; titles are short and unique; each says what it means and what to do', () => {
  const titles = new Set<string>();
  for (const code of PROBLEM_CODES) {
    const entry = PROBLEM_TYPES[code];
    assert.match(code, /^[a-z]+(_[a-z]+)*$/);
    assert.ok(entry.title.length > 0 && entry.title.length <= 40, `${code}: title "${entry.title}"`);
    assert.not.ok(titles.has(entry.title), `${code}: title "${entry.title}" is used twice`);
    titles.add(entry.title);
    assert.ok(entry.status >= 400 && entry.status <= 599, code);
    assert.ok(entry.meaning.endsWith('.') && entry.action.endsWith('.'), code);
  }
  assert.not.ok(isProblemCode('toString'), 'only the catalogue\'s own keys count');
});

test.run();
