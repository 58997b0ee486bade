/**
 * `npm run build`: the production build. src/ is compiled to dist/ by tsc (type-checked,
 * tsconfig.build.json), and every other file under src/ is copied to the same place in
 * dist/: modules read such files next to themselves through import.meta.url (the /app
 * page, the Supabase stand-in SQL, certificates), so whatever is added there ships without
 * a list to keep up to date. dist/ mirrors src/, so dist/config.js finds the project root
 * (supabase/migrations, supabase/seed.sql, .data/) one folder up, as src/config.ts does.
 *
 * Incremental: tsc keeps dist/.tsbuildinfo and a build with nothing changed takes seconds
 * (`npm test` runs one every time); files left in dist/ by a source that is gone are
 * removed. `rm -rf dist` gives a clean build.
 */
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, rm, rmdir, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src');
const dist = path.join(root, 'dist');
const BUILD_INFO = '.tsbuildinfo';

/** Every file under `dir`, as paths relative to it. */
async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

/** Source code, compiled by tsc rather than copied. */
const isTypeScript = (file: string) => file.endsWith('.ts');
/** Editor and OS droppings (.x.swp, .DS_Store): never read by the code. */
const isHidden = (file: string) => path.basename(file).startsWith('.');

async function compile(): Promise<void> {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`tsc failed (exit ${result.status ?? result.signal})`);
}

async function copyAssets(sources: string[]): Promise<number> {
  let copied = 0;
  for (const file of sources.filter((f) => !isTypeScript(f) && !isHidden(f))) {
    const from = path.join(src, file);
    const to = path.join(dist, file);
    const [a, b] = await Promise.all([readFile(from), readFile(to).catch(() => undefined)]);
    if (b && a.equals(b)) continue;
    await mkdir(path.dirname(to), { recursive: true });
    await copyFile(from, to);
    copied++;
  }
  return copied;
}

/** What dist/ may hold: each source's output (x.ts → x.js) or copy, and tsc's build info. */
async function removeStale(sources: string[]): Promise<number> {
  const expected = new Set(sources.map((f) => (isTypeScript(f) ? f.replace(/\.ts$/, '.js') : f)));
  let removed = 0;
  for (const file of await files(dist)) {
    if (file === BUILD_INFO || expected.has(file)) continue;
    await rm(path.join(dist, file));
    removed++;
  }
  // Folders emptied above (a source folder that was removed).
  const folders = (await readdir(dist, { recursive: true, withFileTypes: true })).filter((e) => e.isDirectory());
  for (const folder of folders.map((e) => path.join(e.parentPath, e.name)).sort((a, b) => b.length - a.length)) {
    if ((await readdir(folder)).length === 0) await rmdir(folder);
  }
  return removed;
}

const started = performance.now();
await compile();
const sources = await files(src);
const copied = await copyAssets(sources);
const removed = await removeStale(sources);
const outputs = await files(dist);
if (!(await stat(path.join(dist, 'api.js')).catch(() => undefined))) throw new Error('dist/api.js was not built');
console.log(
  `build: dist/ holds ${outputs.length - 1} files (${copied} asset(s) copied, ${removed} stale file(s) removed) in ${Math.round(performance.now() - started)} ms`,
);
