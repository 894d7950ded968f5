import { describe, expect, it } from 'vitest';
import { ZipArchive, isSafeEntryName } from '../../knowledge/models/index.js';
import { isShopError } from '../../store/index.js';
import { writeZip } from './models-zip-writer.js';

const text = Buffer.from('the same line again and again\n'.repeat(200));

function reason(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    if (isShopError(err)) return err.details?.reason ?? err.code;
    throw err;
  }
  throw new Error('expected a ShopError');
}

describe('ZipArchive (wheel reader)', () => {
  it('reads stored and deflated entries back byte for byte', () => {
    const bin = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7919) % 256));
    const zip = ZipArchive.open(writeZip([
      { name: 'pkg/a.txt', data: text, deflate: true },
      { name: 'pkg/b.bin', data: bin },
      { name: 'pkg/empty', data: Buffer.alloc(0), deflate: true },
    ]));
    expect([...zip.entries.keys()]).toEqual(['pkg/a.txt', 'pkg/b.bin', 'pkg/empty']);
    expect(zip.entries.get('pkg/a.txt')!.compressedSize).toBeLessThan(text.length);
    expect(zip.read('pkg/a.txt', 1 << 20).equals(text)).toBe(true);
    expect(zip.read('pkg/b.bin', 1 << 20).equals(bin)).toBe(true);
    expect(zip.read('pkg/empty', 1 << 20).length).toBe(0);
  });

  it.each(['../evil.txt', 'pkg/../../evil.txt', '/etc/passwd', 'C:/x.txt', 'pkg\\..\\evil.txt', 'a\0b'])(
    'refuses the whole archive when an entry is named %j',
    (name) => {
      expect(isSafeEntryName(name)).toBe(false);
      expect(reason(() => ZipArchive.open(writeZip([{ name: 'ok.txt', data: text }, { name, data: text }])))).toBe('unsafe_archive');
    },
  );

  it('accepts ordinary nested names', () => {
    expect(isSafeEntryName('pkg/data/model..v1/tokenizer.json')).toBe(true);
  });

  it('stops inflating at the declared size (a zip bomb is refused, not expanded)', () => {
    const zip = ZipArchive.open(writeZip([{ name: 'bomb', data: Buffer.alloc(5_000_000), deflate: true, declaredSize: 100 }]));
    expect(reason(() => zip.read('bomb', 1 << 30))).toBe('unsafe_archive');
  });

  it('refuses an entry over the caller limit before reading it', () => {
    const zip = ZipArchive.open(writeZip([{ name: 'big', data: text, deflate: true }]));
    expect(reason(() => zip.read('big', 100))).toBe('unsafe_archive');
  });

  it('detects a corrupted entry by its CRC-32', () => {
    const bytes = writeZip([{ name: 'a.txt', data: text }]);
    const at = 30 + 'a.txt'.length + 10;
    bytes[at] = bytes[at]! ^ 0xff;
    expect(reason(() => ZipArchive.open(bytes).read('a.txt', 1 << 20))).toBe('unsafe_archive');
  });

  it('refuses bytes that are not a zip, and a truncated zip', () => {
    expect(reason(() => ZipArchive.open(Buffer.from('not a zip at all')))).toBe('unsafe_archive');
    const bytes = writeZip([{ name: 'a.txt', data: text }]);
    expect(reason(() => ZipArchive.open(bytes.subarray(0, bytes.length - 5)))).toBe('unsafe_archive');
  });

  it('says which entry is missing', () => {
    const zip = ZipArchive.open(writeZip([{ name: 'a.txt', data: text }]));
    expect(reason(() => zip.read('b.txt', 1 << 20))).toBe('missing_file');
  });
});
