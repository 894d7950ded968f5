import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, transform, type Plugin } from 'esbuild';

// From source (tsx, vitest) the entry is main.ts; from a tsc build (dist/) it is main.js.
const ENTRY = [new URL('./src/main.ts', import.meta.url), new URL('./src/main.js', import.meta.url)].map((u) => fileURLToPath(u)).find((f) => existsSync(f)) ?? '';

/** styles.ts holds readable CSS; the bundle gets it minified by esbuild's CSS minifier. */
const minifiedStyles: Plugin = {
  name: 'minified-styles',
  setup(b) {
    b.onLoad({ filter: /[\\/]styles\.ts$/ }, async () => {
      const { CSS } = await import('./src/styles.js');
      const min = await transform(CSS, { loader: 'css', minify: true });
      return { contents: `export const CSS = ${JSON.stringify(min.code.trim())};`, loader: 'ts' };
    });
  },
};

/**
 * Bundles the widget into one self-contained script (IIFE, ES2019, minified). The server
 * builds it in memory at start and serves it at /widget.js.
 */
export async function buildWidget(): Promise<string> {
  if (!ENTRY) throw new Error('web/widget/src/main.ts not found: the widget sources are missing');
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    format: 'iife',
    target: 'es2019',
    platform: 'browser',
    minify: true,
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
    plugins: [minifiedStyles],
  });
  const out = result.outputFiles[0];
  if (!out) throw new Error('esbuild produced no output for the widget');
  return out.text;
}

// `npx tsx web/widget/build.ts` writes web/widget/dist/widget.js for inspection.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const js = await buildWidget();
  const dir = fileURLToPath(new URL('./dist/', import.meta.url));
  await mkdir(dir, { recursive: true });
  // A build artefact, not source: keep `eslint web` quiet about it.
  await writeFile(`${dir}widget.js`, `/* eslint-disable */\n${js}`);
  console.error(`web/widget/dist/widget.js: ${(js.length / 1024).toFixed(1)} KB`);
}
