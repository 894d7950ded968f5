import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The staff pages: each is web/<name>/index.html plus one script bundled from web/<name>/src/main.ts. */
export type StaffPage = 'console' | 'dashboard';

/**
 * Bundles a staff page's script (IIFE, ES2020, minified) in memory; the server serves it at
 * /<name>/app.js. From a tsc build (dist/) the entry is main.js.
 */
export async function buildPage(name: StaffPage): Promise<string> {
  const entry = ['main.ts', 'main.js'].map((f) => fileURLToPath(new URL(`./${name}/src/${f}`, import.meta.url))).find((f) => existsSync(f));
  if (!entry) throw new Error(`web/${name}/src/main.ts not found: the ${name} sources are missing`);
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'iife',
    target: 'es2020',
    platform: 'browser',
    minify: true,
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const out = result.outputFiles[0];
  if (!out) throw new Error(`esbuild produced no output for the ${name} page`);
  return out.text;
}
