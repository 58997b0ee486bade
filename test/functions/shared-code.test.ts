/**
 * What the Edge Functions repeat of the api (a deployed function cannot import the api's
 * code) stays the same as the api's: snippet parts, and the titles of the problem codes.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { snippetParts as apiSnippetParts } from '../../src/http/api/search.js';
import { isProblemCode, PROBLEM_TYPES } from '../../src/http/problem-types.js';
import { snippetParts as functionSnippetParts } from '../../supabase/functions/_shared/snippet.js';
import { config } from '../helpers/database.js';

const test = suite('functions: code shared with the api');

test('snippet parts are the same as the api\'s', () => {
  const samples = ['', 'plain', 'a \u0002b\u0003 <i>c</i>', '\u0002open', 'x\u0002\u0003y', '\u0002a\u0003\u0002b\u0003 tail', 'end\u0002'];
  for (const sample of samples) assert.equal(functionSnippetParts(sample), apiSnippetParts(sample), JSON.stringify(sample));
});

test('every problem code a function answers is in the api\'s catalogue, with the same title', async () => {
  const source = await readFile(path.join(config.projectRoot, 'supabase', 'functions', '_shared', 'problem.ts'), 'utf8');
  const block = /const TITLES = \{([\s\S]*?)\} as const/.exec(source)?.[1] ?? '';
  const titles = [...block.matchAll(/^\s*(\w+): '([^']*)',?$/gm)].map((m) => [m[1]!, m[2]!] as const);
  assert.ok(titles.length >= 10, 'the titles were read');
  for (const [code, title] of titles) {
    assert.ok(isProblemCode(code), `${code} is in the catalogue`);
    assert.is(title, PROBLEM_TYPES[code as keyof typeof PROBLEM_TYPES].title, code);
  }
});

test.run();
