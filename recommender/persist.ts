import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ShopError } from '../store/errors.js';
import { restoreModel } from './models/index.js';
import type { RatingModel, SavedModel } from './types.js';

const MAGIC = 'SAREC1';

/**
 * One file per model: the magic, a 4-byte header length, a JSON header (kind, meta, and
 * each array's name, offset and length), then the float32 arrays back to back. Written to
 * a temporary name and renamed, so a reader never sees half a file.
 */
export async function saveModel(model: RatingModel, file: string, extra: Record<string, unknown> = {}): Promise<void> {
  const saved = model.save();
  let offset = 0;
  const layout = Object.entries(saved.arrays).map(([name, a]) => {
    const entry = { name, offset, length: a.length };
    offset += a.length * 4;
    return entry;
  });
  const header = Buffer.from(JSON.stringify({ kind: saved.kind, meta: saved.meta, arrays: layout, extra, savedAt: new Date().toISOString() }));
  const head = Buffer.alloc(MAGIC.length + 4);
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt32LE(header.length, MAGIC.length);
  const body = Buffer.alloc(offset);
  for (const [k, a] of Object.values(saved.arrays).entries()) Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(body, layout[k]!.offset);
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, Buffer.concat([head, header, body]));
  await rename(tmp, file);
}

export async function readSavedModel(file: string): Promise<{ saved: SavedModel; extra: Record<string, unknown>; savedAt: string }> {
  const buf = await readFile(file);
  if (buf.length < MAGIC.length + 4 || buf.toString('latin1', 0, MAGIC.length) !== MAGIC) throw new ShopError('bad_request', `${file} is not a saved recommender model`);
  const headerLength = buf.readUInt32LE(MAGIC.length);
  const start = MAGIC.length + 4;
  const header = JSON.parse(buf.toString('utf8', start, start + headerLength)) as {
    kind: string;
    meta: Record<string, unknown>;
    arrays: Array<{ name: string; offset: number; length: number }>;
    extra?: Record<string, unknown>;
    savedAt: string;
  };
  const base = start + headerLength;
  const arrays: Record<string, Float32Array> = {};
  for (const a of header.arrays) {
    if (base + a.offset + a.length * 4 > buf.length) throw new ShopError('bad_request', `${file} is truncated`);
    // Copy out: the file buffer's offsets are not 4-byte aligned.
    const out = new Float32Array(a.length);
    Buffer.from(out.buffer).set(buf.subarray(base + a.offset, base + a.offset + a.length * 4));
    arrays[a.name] = out;
  }
  return { saved: { kind: header.kind, meta: header.meta, arrays }, extra: header.extra ?? {}, savedAt: header.savedAt };
}

export async function loadModel(file: string): Promise<{ model: RatingModel; extra: Record<string, unknown>; savedAt: string }> {
  const { saved, extra, savedAt } = await readSavedModel(file);
  return { model: restoreModel(saved), extra, savedAt };
}
