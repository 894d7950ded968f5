import { crc32, inflateRawSync } from 'node:zlib';
import { ShopError } from '../../store/index.js';

/**
 * A minimal, read-only zip reader for wheels (which are zip files): stored and deflated
 * entries, read from the central directory, each checked for a safe name, a size within
 * the archive and the caller's limit, and its CRC-32. No zip64, no encryption: a wheel
 * that needs either is refused rather than half-read.
 */

export interface ZipEntry {
  /** The name as stored: forward slashes, relative. */
  name: string;
  /** 0 = stored, 8 = deflated. */
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  /** Offset of the entry's local header in the archive. */
  localHeaderOffset: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_MIN = 22;
const CENTRAL_MIN = 46;
const LOCAL_MIN = 30;

function unsafeArchive(message: string, details: Record<string, unknown> = {}): ShopError {
  return new ShopError('conflict', message, { details: { reason: 'unsafe_archive', ...details } });
}

/**
 * Whether an entry name stays inside the folder it is extracted to: relative, no `..`
 * segment, no backslash (a separator on Windows), no drive letter, no NUL.
 */
export function isSafeEntryName(name: string): boolean {
  if (name.length === 0 || name.includes('\0') || name.includes('\\')) return false;
  if (name.startsWith('/') || /^[a-zA-Z]:/.test(name)) return false;
  return name.split('/').every((segment) => segment !== '..');
}

export class ZipArchive {
  readonly entries: ReadonlyMap<string, ZipEntry>;

  private constructor(
    private readonly bytes: Buffer,
    entries: Map<string, ZipEntry>,
  ) {
    this.entries = entries;
  }

  /**
   * Parses the central directory. Throws ShopError `conflict` (details.reason
   * `unsafe_archive`) for a malformed archive or for any entry whose name could escape
   * the extraction folder: a wheel carrying one is not trusted for its other files either.
   */
  static open(bytes: Buffer): ZipArchive {
    const eocd = findEndOfCentralDirectory(bytes);
    const count = bytes.readUInt16LE(eocd + 10);
    const cdSize = bytes.readUInt32LE(eocd + 12);
    const cdOffset = bytes.readUInt32LE(eocd + 16);
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      throw unsafeArchive('zip64 archives are not supported');
    }
    if (cdOffset + cdSize > eocd) throw unsafeArchive('zip central directory lies outside the archive');
    const entries = new Map<string, ZipEntry>();
    let at = cdOffset;
    for (let i = 0; i < count; i++) {
      if (at + CENTRAL_MIN > eocd || bytes.readUInt32LE(at) !== CENTRAL_SIGNATURE) {
        throw unsafeArchive(`zip central directory entry ${i} is malformed`);
      }
      const flags = bytes.readUInt16LE(at + 8);
      const method = bytes.readUInt16LE(at + 10);
      const crc = bytes.readUInt32LE(at + 16);
      const compressedSize = bytes.readUInt32LE(at + 20);
      const size = bytes.readUInt32LE(at + 24);
      const nameLength = bytes.readUInt16LE(at + 28);
      const extraLength = bytes.readUInt16LE(at + 30);
      const commentLength = bytes.readUInt16LE(at + 32);
      const localHeaderOffset = bytes.readUInt32LE(at + 42);
      const nameEnd = at + CENTRAL_MIN + nameLength;
      if (nameEnd > eocd) throw unsafeArchive(`zip central directory entry ${i} is malformed`);
      const name = bytes.toString('utf8', at + CENTRAL_MIN, nameEnd);
      if (!isSafeEntryName(name)) throw unsafeArchive(`zip entry name ${JSON.stringify(name)} is unsafe (absolute or escapes the folder)`, { entry: name });
      if (flags & 0x1) throw unsafeArchive(`zip entry ${name} is encrypted`, { entry: name });
      if (entries.has(name)) throw unsafeArchive(`zip entry ${name} appears twice`, { entry: name });
      if (compressedSize === 0xffffffff || size === 0xffffffff || localHeaderOffset === 0xffffffff) {
        throw unsafeArchive(`zip entry ${name} needs zip64, which is not supported`, { entry: name });
      }
      entries.set(name, { name, method, compressedSize, size, crc32: crc, localHeaderOffset });
      at = nameEnd + extraLength + commentLength;
    }
    return new ZipArchive(bytes, entries);
  }

  /**
   * One entry's bytes, after checking its local header, that it fits in the archive,
   * that it inflates to exactly its declared size (never more than `maxBytes`) and its CRC.
   */
  read(name: string, maxBytes: number): Buffer {
    const entry = this.entries.get(name);
    if (!entry) throw new ShopError('not_found', `zip entry ${name} is missing`, { details: { reason: 'missing_file', entry: name } });
    if (entry.size > maxBytes) {
      throw unsafeArchive(`zip entry ${name} is ${entry.size} bytes, over the limit of ${maxBytes}`, { entry: name });
    }
    const at = entry.localHeaderOffset;
    if (at + LOCAL_MIN > this.bytes.length || this.bytes.readUInt32LE(at) !== LOCAL_SIGNATURE) {
      throw unsafeArchive(`zip entry ${name} has no valid local header`, { entry: name });
    }
    const start = at + LOCAL_MIN + this.bytes.readUInt16LE(at + 26) + this.bytes.readUInt16LE(at + 28);
    const end = start + entry.compressedSize;
    if (end > this.bytes.length) throw unsafeArchive(`zip entry ${name} runs past the end of the archive`, { entry: name });
    const raw = this.bytes.subarray(start, end);
    let data: Buffer;
    if (entry.method === 0) {
      data = Buffer.from(raw);
    } else if (entry.method === 8) {
      try {
        // maxOutputLength bounds a zip bomb: inflating stops (with an error) past the declared size.
        data = inflateRawSync(raw, { maxOutputLength: Math.max(entry.size, 1) });
      } catch (err) {
        throw unsafeArchive(`zip entry ${name} does not inflate to its declared ${entry.size} bytes`, { entry: name, cause: String(err) });
      }
    } else {
      throw unsafeArchive(`zip entry ${name} uses compression method ${entry.method}; only stored and deflated are supported`, { entry: name });
    }
    if (data.length !== entry.size) {
      throw unsafeArchive(`zip entry ${name} is ${data.length} bytes, its header says ${entry.size}`, { entry: name });
    }
    if (crc32(data) >>> 0 !== entry.crc32) throw unsafeArchive(`zip entry ${name} fails its CRC-32 check`, { entry: name });
    return data;
  }
}

function findEndOfCentralDirectory(bytes: Buffer): number {
  // The record is 22 bytes plus a comment of at most 65,535 bytes, at the very end.
  const lowest = Math.max(0, bytes.length - EOCD_MIN - 0xffff);
  for (let at = bytes.length - EOCD_MIN; at >= lowest; at--) {
    if (bytes.readUInt32LE(at) === EOCD_SIGNATURE && at + EOCD_MIN + bytes.readUInt16LE(at + 20) === bytes.length) return at;
  }
  throw unsafeArchive('not a zip archive (no end-of-central-directory record)');
}
