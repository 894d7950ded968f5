/**
 * `npm run bench [name...]`: runs the benchmarks in bench/ one after another. Each prints
 * what it measured next to a baseline measured in the same run. Benchmarks are not tests.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort();

if (files.length === 0) {
  console.error(`no benchmark matches ${wanted.join(', ')}`);
  process.exit(2);
}
for (const f of files) {
  console.log(`\n### ${f}\n`);
  const mod = (await import(pathToFileURL(path.join(here, f)).href)) as { run: () => Promise<void> };
  await mod.run();
}
