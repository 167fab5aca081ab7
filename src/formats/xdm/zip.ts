/**
 * In-memory ZIP (PKWARE APPNOTE) on yazl / yauzl, as Results: `writeZip` lays out files,
 * `readZip` lists and inflates them within limits. No file system, no throw on bad input.
 *
 * The reader is lenient with real-world archives (backslashes in names, names neither UTF-8
 * flagged nor ASCII, directory entries, duplicate names) but refuses what would be unsafe:
 * encrypted entries, absolute or `..` paths (skipped with a warning), more entries or more
 * inflated bytes than the limits (zip bombs), entries whose inflated size lies.
 */
import yazl from 'yazl';
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

/** Builds a ZIP archive (deflate, unless a file is `stored`) of `files`, in the order given; `mtime` stamps every entry. */
export function writeZip(files: ZipInputFile[], mtime: Date): Promise<Result<Uint8Array>> {
  return new Promise((resolve) => {
    try {
      const zip = new yazl.ZipFile();
      const chunks: Buffer[] = [];
      zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
      zip.outputStream.on('error', (e: Error) => resolve(fail('zip', `cannot write the archive: ${e.message}`)));
      zip.outputStream.on('end', () => resolve(ok(new Uint8Array(Buffer.concat(chunks)))));
      for (const f of files) zip.addBuffer(Buffer.from(f.bytes), f.path, { mtime, compress: f.stored !== true });
      zip.end();
    } catch (error) {
      resolve(fail('zip', `cannot write the archive: ${error instanceof Error ? error.message : String(error)}`));
    }
  });
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
