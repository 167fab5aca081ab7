/**
 * In-memory ZIP (PKWARE APPNOTE) as Results: `writeZip` lays out files, `readZip` lists and
 * inflates them within limits. No file system, no throw on bad input.
 *
 * The writer is our own, minimal and synchronous (APPNOTE 6.3.x §4.3): one local file header
 * per entry with its CRC-32 and sizes (no data descriptor), the file data (stored, or raw
 * deflate from zlib), the central directory, the end of central directory record; CRC-32 and
 * deflate are zlib's (native). No ZIP64, no encryption, no comments, no directory entries: an
 * archive that would need ZIP64 is refused, and so are absolute or `..` names.
 *
 * The reader (yauzl) is lenient with real-world archives (backslashes in names, names neither
 * UTF-8 flagged nor ASCII, directory entries, duplicate names) but refuses what would be unsafe:
 * encrypted entries, absolute or `..` paths (skipped with a warning), more entries or more
 * inflated bytes than the limits (zip bombs), entries whose inflated size lies.
 */
import { crc32, deflateRawSync } from 'node:zlib';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { fail, ok, type Result } from '../result.ts';

export interface ZipInputFile {
  path: string;
  bytes: Uint8Array;
  /** Stored as is rather than deflated (content compressed already). */
  stored?: boolean;
}

export interface ZipLimits {
  /** Files in the archive (directories included). Default 1 000. */
  maxEntries?: number;
  /** Total inflated bytes. Default 64 MiB. */
  maxTotalBytes?: number;
}

export interface ZipEntryRead {
  /** Normalised path: forward slashes, no leading `./` or `/`. */
  path: string;
  bytes: Uint8Array;
}

export interface ZipRead {
  files: ZipEntryRead[];
  /** What was skipped or repaired, in English, for logs (never document content). */
  warnings: string[];
}

export const DEFAULT_ZIP_LIMITS: Required<ZipLimits> = { maxEntries: 1000, maxTotalBytes: 64 * 1024 * 1024 };

// Record sizes and signatures (APPNOTE §4.3.7, §4.3.12, §4.3.16).
const LOCAL_HEADER_SIZE = 30;
const CENTRAL_HEADER_SIZE = 46;
const END_RECORD_SIZE = 22;
const LOCAL_HEADER_SIGNATURE = 0x04034b50;
const CENTRAL_HEADER_SIGNATURE = 0x02014b50;
const END_RECORD_SIGNATURE = 0x06054b50;
/** Info-ZIP extended timestamp ("UT", 0x5455) in the central directory: flags + mtime, UTC. */
const UT_TAG = 0x5455;
const UT_FIELD_SIZE = 9;
/** Deflate needs 2.0 (APPNOTE §4.4.3.2); stored entries say 2.0 as well (one value, as before). */
const VERSION_NEEDED = 20;
/** Made by: UNIX (3) in the high byte, so that the external attributes read as a file mode; spec 2.0. */
const VERSION_MADE_BY = (3 << 8) | VERSION_NEEDED;
/** Regular file, rw-rw-r-- (as the former writer), in the high 16 bits of the external attributes. */
const EXTERNAL_ATTRIBUTES = (0o100664 << 16) >>> 0;
/** General purpose bit 11: name (and comment) in UTF-8 (APPNOTE §4.4.4, appendix D). */
const UTF8_FLAG = 0x0800;
const METHOD_STORED = 0;
const METHOD_DEFLATED = 8;
/**
 * Without ZIP64, 0xFFFF and 0xFFFFFFFF mean "see the ZIP64 record" (APPNOTE §4.4.1.4), so the
 * largest values we may write are one less.
 */
const MAX_ENTRIES = 0xfffe;
const MAX_32 = 0xfffffffe;
const MAX_NAME_BYTES = 0xffff;

interface PlannedEntry {
  name: Buffer;
  utf8: boolean;
  method: number;
  crc: number;
  size: number;
  data: Uint8Array;
  offset: number;
}

/**
 * MS-DOS date and time (APPNOTE §4.4.6) in local time, clamped to 1980-01-01 00:00:00 …
 * 2107-12-31 23:59:58, with two-second precision: the same fields as the former writer (yazl),
 * so that archives unzip with the same times. The exact UTC time goes in the UT extra field.
 */
function dosDateTime(when: Date): { date: number; time: number } {
  const min = new Date(1980, 0, 1);
  const max = new Date(2107, 11, 31, 23, 59, 58);
  const d = when < min ? min : when > max ? max : when;
  return {
    date: ((d.getFullYear() - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1),
  };
}

const quoted = (name: string): string => JSON.stringify(name.length > 100 ? `${name.slice(0, 100)}…` : name);

/** The name as stored (forward slashes, APPNOTE §4.4.17.1), or why it is refused. */
function entryName(path: string): { name: string } | { error: string } {
  const name = path.replace(/\\/g, '/');
  if (name === '') return { error: 'empty name' };
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return { error: 'absolute path' };
  if (name.split('/').includes('..')) return { error: 'parent (..) segment' };
  if (name.endsWith('/')) return { error: 'a file name cannot end with "/"' };
  if (/\p{Cs}/u.test(name)) return { error: 'not well-formed Unicode (lone surrogate)' };
  return { name };
}

/**
 * Builds a ZIP archive (deflate, unless a file is `stored`) of `files`, in the order given;
 * `mtime` stamps every entry. Backslashes in paths become forward slashes; absolute paths,
 * `..` segments, names ending with `/` and archives that would need ZIP64 (65 535 entries or
 * more, 4 GiB sizes or offsets) are refused. Synchronous: deflate blocks for its duration.
 */
export function writeZip(files: ZipInputFile[], mtime: Date): Result<Uint8Array> {
  if (!Array.isArray(files)) return fail('zip', 'the files must be an array');
  if (!(mtime instanceof Date) || Number.isNaN(mtime.getTime())) return fail('zip', 'the modification time must be a valid date');
  if (files.length > MAX_ENTRIES) return fail('zip', `${files.length} entries: more than ${MAX_ENTRIES} would need ZIP64`);

  const planned: PlannedEntry[] = [];
  let offset = 0;
  let centralSize = 0;
  for (const [i, f] of files.entries()) {
    if (typeof f !== 'object' || f === null || typeof f.path !== 'string') return fail('zip', `entry ${i}: a path is required`);
    if (!(f.bytes instanceof Uint8Array)) return fail('zip', `entry ${i} ${quoted(f.path)}: bytes must be a Uint8Array`);
    const checked = entryName(f.path);
    if ('error' in checked) return fail('zip', `entry ${i} ${quoted(f.path)}: ${checked.error}`);
    const name = Buffer.from(checked.name, 'utf8');
    if (name.length > MAX_NAME_BYTES) return fail('zip', `entry ${i}: name longer than ${MAX_NAME_BYTES} bytes`);
    const size = f.bytes.byteLength;
    if (size > MAX_32) return fail('zip', `entry ${i} ${quoted(checked.name)}: ${size} bytes would need ZIP64`);
    const stored = f.stored === true;
    let data: Uint8Array;
    try {
      data = stored ? f.bytes : deflateRawSync(f.bytes);
    } catch (error) {
      return fail('zip', `entry ${i} ${quoted(checked.name)}: cannot deflate: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (data.byteLength > MAX_32) return fail('zip', `entry ${i} ${quoted(checked.name)}: ${data.byteLength} compressed bytes would need ZIP64`);
    if (offset > MAX_32) return fail('zip', `entry ${i} ${quoted(checked.name)}: its header would start beyond 4 GiB (ZIP64)`);
    planned.push({
      name,
      // A UTF-8 name longer in bytes than in UTF-16 units has a non-ASCII character.
      utf8: name.length !== checked.name.length,
      method: stored ? METHOD_STORED : METHOD_DEFLATED,
      crc: crc32(f.bytes),
      size,
      data,
      offset,
    });
    offset += LOCAL_HEADER_SIZE + name.length + data.byteLength;
    centralSize += CENTRAL_HEADER_SIZE + name.length + UT_FIELD_SIZE;
  }
  if (offset > MAX_32) return fail('zip', 'the central directory would start beyond 4 GiB (ZIP64)');
  if (centralSize > MAX_32) return fail('zip', 'the central directory would exceed 4 GiB (ZIP64)');

  const { date, time } = dosDateTime(mtime);
  const unixTime = Math.min(Math.max(Math.floor(mtime.getTime() / 1000), -0x80000000), 0x7fffffff);
  const total = offset + centralSize + END_RECORD_SIZE;
  // Not from the shared pool: the archive owns its ArrayBuffer (`.buffer` exposes nothing else).
  // Every byte is written below.
  let out: Buffer;
  try {
    out = Buffer.allocUnsafeSlow(total);
  } catch (error) {
    return fail('zip', `cannot allocate ${total} bytes: ${error instanceof Error ? error.message : String(error)}`);
  }
  /** The fields a local header and its central directory header share, from "version needed" to the name's length. */
  const writeShared = (e: PlannedEntry, from: number): number => {
    let at = out.writeUInt16LE(VERSION_NEEDED, from);
    at = out.writeUInt16LE(e.utf8 ? UTF8_FLAG : 0, at);
    at = out.writeUInt16LE(e.method, at);
    at = out.writeUInt16LE(time, at);
    at = out.writeUInt16LE(date, at);
    at = out.writeUInt32LE(e.crc, at);
    at = out.writeUInt32LE(e.data.byteLength, at);
    at = out.writeUInt32LE(e.size, at);
    return out.writeUInt16LE(e.name.length, at);
  };
  let at = 0;
  for (const e of planned) {
    at = out.writeUInt32LE(LOCAL_HEADER_SIGNATURE, at);
    at = writeShared(e, at);
    at = out.writeUInt16LE(0, at); // extra field length
    out.set(e.name, at);
    at += e.name.length;
    out.set(e.data, at);
    at += e.data.byteLength;
  }
  const centralOffset = at;
  for (const e of planned) {
    at = out.writeUInt32LE(CENTRAL_HEADER_SIGNATURE, at);
    at = out.writeUInt16LE(VERSION_MADE_BY, at);
    at = writeShared(e, at);
    at = out.writeUInt16LE(UT_FIELD_SIZE, at); // extra field length
    at = out.writeUInt16LE(0, at); // comment length
    at = out.writeUInt16LE(0, at); // disk number start
    at = out.writeUInt16LE(0, at); // internal attributes
    at = out.writeUInt32LE(EXTERNAL_ATTRIBUTES, at);
    at = out.writeUInt32LE(e.offset, at);
    out.set(e.name, at);
    at += e.name.length;
    at = out.writeUInt16LE(UT_TAG, at);
    at = out.writeUInt16LE(UT_FIELD_SIZE - 4, at);
    at = out.writeUInt8(0x01, at); // flags: modification time present
    at = out.writeInt32LE(unixTime, at);
  }
  at = out.writeUInt32LE(END_RECORD_SIGNATURE, at);
  at = out.writeUInt16LE(0, at); // this disk
  at = out.writeUInt16LE(0, at); // disk with the central directory
  at = out.writeUInt16LE(planned.length, at); // entries on this disk
  at = out.writeUInt16LE(planned.length, at); // entries in all
  at = out.writeUInt32LE(centralSize, at);
  at = out.writeUInt32LE(centralOffset, at);
  at = out.writeUInt16LE(0, at); // comment length
  if (at !== total) return fail('zip', `internal error: wrote ${at} of ${total} bytes`);
  return ok(new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
}

/** Entry names: UTF-8 when flagged (or valid UTF-8), else CP437 read as Latin-1 (close enough for names). */
function decodeName(raw: Buffer, utf8Flag: boolean): string {
  if (utf8Flag) return raw.toString('utf8');
  const asUtf8 = raw.toString('utf8');
  return asUtf8.includes('\uFFFD') ? raw.toString('latin1') : asUtf8;
}

/** `a\b/./c` → `a/b/c`; undefined for absolute or parent-escaping paths. */
export function normaliseZipPath(name: string): string | undefined {
  const slashed = name.replace(/\\/g, '/');
  if (slashed.startsWith('/') || /^[A-Za-z]:/.test(slashed)) return undefined;
  const parts: string[] = [];
  for (const part of slashed.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') return undefined;
    parts.push(part);
  }
  return parts.join('/');
}

const readAll = (zipfile: ZipFile, entry: Entry, budget: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    zipfile.openReadStream(entry, (error, stream) => {
      if (error || !stream) {
        reject(error ?? new Error('no stream'));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (c: Buffer) => {
        size += c.length;
        if (size > budget) {
          stream.destroy(new Error('inflated size exceeds the limit'));
          return;
        }
        chunks.push(c);
      });
      stream.on('error', reject);
      stream.on('end', () => resolve(Buffer.concat(chunks)));
    });
  });

/** Reads every file of a ZIP archive held in memory. */
export function readZip(bytes: Uint8Array, limits: ZipLimits = {}): Promise<Result<ZipRead>> {
  const maxEntries = limits.maxEntries ?? DEFAULT_ZIP_LIMITS.maxEntries;
  const maxTotal = limits.maxTotalBytes ?? DEFAULT_ZIP_LIMITS.maxTotalBytes;
  return new Promise((resolve) => {
    if (!(bytes instanceof Uint8Array) || bytes.byteLength === 0) {
      resolve(fail('zip', 'empty or missing archive'));
      return;
    }
    let settled = false;
    const finish = (r: Result<ZipRead>, zipfile?: ZipFile): void => {
      if (settled) return;
      settled = true;
      try {
        zipfile?.close();
      } catch {
        /* already closed */
      }
      resolve(r);
    };
    try {
      yauzl.fromBuffer(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { lazyEntries: true, decodeStrings: false, validateEntrySizes: true }, (error, zipfile) => {
        if (error || !zipfile) {
          finish(fail('zip', `not a readable ZIP archive: ${error?.message ?? 'unknown error'}`));
          return;
        }
        const files: ZipEntryRead[] = [];
        const warnings: string[] = [];
        const seen = new Set<string>();
        let count = 0;
        let total = 0;
        zipfile.on('error', (e: Error) => finish(fail('zip', `corrupt archive: ${e.message}`), zipfile));
        zipfile.on('end', () => finish(ok({ files, warnings }), zipfile));
        zipfile.on('entry', (entry: Entry) => {
          void (async () => {
            count += 1;
            if (count > maxEntries) {
              finish(fail('zip', `more than ${maxEntries} entries`), zipfile);
              return;
            }
            const rawName = entry.fileName as unknown as Buffer | string;
            const name = typeof rawName === 'string' ? rawName : decodeName(rawName, (entry.generalPurposeBitFlag & 0x800) !== 0);
            const path = normaliseZipPath(name);
            if (path === undefined) {
              warnings.push(`entry "${name.slice(0, 100)}" skipped: absolute or parent path`);
              zipfile.readEntry();
              return;
            }
            if (name.endsWith('/') || name.endsWith('\\') || path === '') {
              zipfile.readEntry();
              return;
            }
            if ((entry.generalPurposeBitFlag & 0x1) !== 0) {
              finish(fail(`zip:${path}`, 'encrypted entries are not supported'), zipfile);
              return;
            }
            if (total + entry.uncompressedSize > maxTotal) {
              finish(fail(`zip:${path}`, `the archive inflates to more than ${maxTotal} bytes`), zipfile);
              return;
            }
            try {
              const data = await readAll(zipfile, entry, maxTotal - total);
              total += data.length;
              if (seen.has(path.toUpperCase())) warnings.push(`entry "${path}" appears twice: the first one is kept`);
              else {
                seen.add(path.toUpperCase());
                files.push({ path, bytes: new Uint8Array(data) });
              }
              zipfile.readEntry();
            } catch (e) {
              finish(fail(`zip:${path}`, `cannot inflate: ${e instanceof Error ? e.message : String(e)}`), zipfile);
            }
          })();
        });
        zipfile.readEntry();
      });
    } catch (error) {
      finish(fail('zip', `not a readable ZIP archive: ${error instanceof Error ? error.message : String(error)}`));
    }
  });
}
