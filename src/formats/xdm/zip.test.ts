import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, inflateRawSync } from 'node:zlib';
import yauzl, { type Entry } from 'yauzl';
import { readZip, writeZip, type ZipInputFile } from './zip.ts';

const TIME = new Date('2024-01-15T09:35:07Z');
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function written(files: ZipInputFile[], mtime: Date = TIME): Uint8Array {
  const z = writeZip(files, mtime);
  if (!z.ok) throw new Error(`${z.error.field}: ${z.error.rule}`);
  return z.value;
}

async function readBack(zip: Uint8Array, maxEntries?: number): Promise<Array<{ path: string; bytes: Buffer }>> {
  const r = await readZip(zip, maxEntries ? { maxEntries } : {});
  if (!r.ok) throw new Error(`${r.error.field}: ${r.error.rule}`);
  expect(r.value.warnings).toEqual([]);
  return r.value.files.map((f) => ({ path: f.path, bytes: Buffer.from(f.bytes) }));
}

interface RawEntry {
  name: string;
  flags: number;
  method: number;
  time: number;
  date: number;
  crc: number;
  compressedSize: number;
  size: number;
  versionMadeBy: number;
  versionNeeded: number;
  externalAttributes: number;
  extra: Buffer;
  data: Buffer;
}

/** A reading of the records independent of yauzl, checking that local and central headers agree. */
function parseRaw(zip: Uint8Array): RawEntry[] {
  const b = Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength);
  const end = b.length - 22;
  expect(b.readUInt32LE(end)).toBe(0x06054b50);
  expect(b.readUInt16LE(end + 4)).toBe(0);
  expect(b.readUInt16LE(end + 6)).toBe(0);
  const count = b.readUInt16LE(end + 8);
  expect(b.readUInt16LE(end + 10)).toBe(count);
  const cdSize = b.readUInt32LE(end + 12);
  const cdOffset = b.readUInt32LE(end + 16);
  expect(b.readUInt16LE(end + 20)).toBe(0);
  expect(cdOffset + cdSize).toBe(end);
  const entries: RawEntry[] = [];
  let at = cdOffset;
  let expectedLocal = 0;
  for (let i = 0; i < count; i += 1) {
    expect(b.readUInt32LE(at)).toBe(0x02014b50);
    const nameLength = b.readUInt16LE(at + 28);
    const extraLength = b.readUInt16LE(at + 30);
    expect(b.readUInt16LE(at + 32)).toBe(0); // comment
    expect(b.readUInt16LE(at + 34)).toBe(0); // disk
    expect(b.readUInt16LE(at + 36)).toBe(0); // internal attributes
    const local = b.readUInt32LE(at + 42);
    expect(local).toBe(expectedLocal); // entries follow each other, in central directory order
    const e = {
      name: b.subarray(at + 46, at + 46 + nameLength).toString('utf8'),
      versionMadeBy: b.readUInt16LE(at + 4),
      versionNeeded: b.readUInt16LE(at + 6),
      flags: b.readUInt16LE(at + 8),
      method: b.readUInt16LE(at + 10),
      time: b.readUInt16LE(at + 12),
      date: b.readUInt16LE(at + 14),
      crc: b.readUInt32LE(at + 16),
      compressedSize: b.readUInt32LE(at + 20),
      size: b.readUInt32LE(at + 24),
      externalAttributes: b.readUInt32LE(at + 38),
      extra: b.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength),
    };
    // The local header repeats the same fields, sizes and CRC included (no data descriptor).
    expect(b.readUInt32LE(local)).toBe(0x04034b50);
    expect(b.readUInt16LE(local + 4)).toBe(e.versionNeeded);
    expect(b.readUInt16LE(local + 6)).toBe(e.flags);
    expect(b.readUInt16LE(local + 8)).toBe(e.method);
    expect(b.readUInt16LE(local + 10)).toBe(e.time);
    expect(b.readUInt16LE(local + 12)).toBe(e.date);
    expect(b.readUInt32LE(local + 14)).toBe(e.crc);
    expect(b.readUInt32LE(local + 18)).toBe(e.compressedSize);
    expect(b.readUInt32LE(local + 22)).toBe(e.size);
    expect(b.readUInt16LE(local + 26)).toBe(nameLength);
    expect(b.readUInt16LE(local + 28)).toBe(0);
    expect(b.subarray(local + 30, local + 30 + nameLength).equals(b.subarray(at + 46, at + 46 + nameLength))).toBe(true);
    const dataStart = local + 30 + nameLength;
    entries.push({ ...e, data: b.subarray(dataStart, dataStart + e.compressedSize) });
    expectedLocal = dataStart + e.compressedSize;
    at += 46 + nameLength + extraLength;
  }
  expect(expectedLocal).toBe(cdOffset);
  expect(at).toBe(end);
  return entries;
}

const contentOf = (e: RawEntry): Buffer => (e.method === 0 ? e.data : inflateRawSync(e.data));

/** MS-DOS fields of a date read in local time (APPNOTE §4.4.6). */
const dos = (d: Date): { date: number; time: number } => ({
  date: ((d.getFullYear() - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  time: (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1),
});

function yauzlEntries(zip: Uint8Array): Promise<Entry[]> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(Buffer.from(zip), { lazyEntries: true }, (error, zipfile) => {
      if (error || !zipfile) return reject(error ?? new Error('no zipfile'));
      const entries: Entry[] = [];
      zipfile.on('entry', (e: Entry) => {
        entries.push(e);
        zipfile.readEntry();
      });
      zipfile.on('end', () => resolve(entries));
      zipfile.on('error', reject);
      zipfile.readEntry();
    });
  });
}

const available = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const HAS_UNZIP = available('unzip', ['-v']) && available('zipinfo', ['-h']);
const HAS_PYTHON = available('python3', ['--version']);

// Lists and tests an archive read from stdin with Python's zipfile (independent of yauzl).
const PY_READ = `
import base64, io, json, sys, zipfile
z = zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read()))
bad = z.testzip()
out = [{"name": i.filename, "flags": i.flag_bits, "method": i.compress_type, "crc": i.CRC, "size": i.file_size,
        "b64": base64.b64encode(z.read(i)).decode("ascii")} for i in z.infolist()]
print(json.dumps({"bad": bad, "entries": out}))
`;
interface PyEntry {
  name: string;
  flags: number;
  method: number;
  crc: number;
  size: number;
  b64: string;
}
function pythonRead(zip: Uint8Array): { bad: string | null; entries: PyEntry[] } {
  const r = spawnSync('python3', ['-c', PY_READ], { input: Buffer.from(zip), maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`python3 zipfile failed: ${r.stderr.toString()}`);
  return JSON.parse(r.stdout.toString()) as { bad: string | null; entries: PyEntry[] };
}

const workDir = mkdtempSync(join(tmpdir(), 'zip-test-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** Realistic XDM-like set: deflated text, a stored (random, incompressible) "PDF", empty files. */
function sampleSet(): ZipInputFile[] {
  const pdf = Buffer.alloc(50_000);
  for (let i = 0; i < pdf.length; i += 1) pdf[i] = (i * 2654435761) >>> 24;
  pdf.write('%PDF-1.7\n', 0, 'latin1');
  return [
    { path: 'README.TXT', bytes: enc('IHE XDM\r\n'.repeat(50)) },
    { path: 'INDEX.HTM', bytes: enc('<html><body><a href="IHE_XDM/SUBSET01/DOC00001.XML">doc</a></body></html>\n') },
    { path: 'IHE_XDM/SUBSET01/METADATA.XML', bytes: enc(`<?xml version="1.0"?>${'<rim:Slot name="x"/>'.repeat(200)}`) },
    { path: 'IHE_XDM/SUBSET01/DOC00001.XML', bytes: enc(`<ClinicalDocument>${'<component/>'.repeat(500)}</ClinicalDocument>`), stored: true },
    { path: 'IHE_XDM/SUBSET01/DOC00002.PDF', bytes: new Uint8Array(pdf), stored: true },
    { path: 'IHE_XDM/SUBSET01/EMPTY1.TXT', bytes: new Uint8Array(0) },
    { path: 'IHE_XDM/SUBSET01/EMPTY2.TXT', bytes: new Uint8Array(0), stored: true },
  ];
}

describe('writeZip (our in-memory ZIP writer)', () => {
  it('round-trips stored and deflated entries, empty files included, in order, through the reader', async () => {
    const files = sampleSet();
    const zip = written(files);
    const back = await readBack(zip);
    expect(back.map((f) => f.path)).toEqual(files.map((f) => f.path));
    for (const [i, f] of files.entries()) expect(back[i]!.bytes.equals(Buffer.from(f.bytes)), f.path).toBe(true);
    const raw = parseRaw(zip);
    expect(raw.map((e) => e.method)).toEqual([8, 8, 8, 0, 0, 8, 0]);
    for (const [i, e] of raw.entries()) {
      const f = files[i]!;
      expect(contentOf(e).equals(Buffer.from(f.bytes)), f.path).toBe(true);
      expect(e.crc).toBe(crc32(f.bytes));
      expect(e.size).toBe(f.bytes.byteLength);
      if (e.method === 0) expect(e.compressedSize).toBe(e.size);
    }
    // Deflate does its job on text, and stored bytes appear as is.
    expect(raw[2]!.compressedSize).toBeLessThan(raw[2]!.size / 10);
    expect(Buffer.from(zip).includes(Buffer.from(files[4]!.bytes))).toBe(true);
    // Same input, same bytes (every byte of the output buffer is written).
    expect(Buffer.from(written(files)).equals(Buffer.from(zip))).toBe(true);
  });

  it('writes version 2.0, Unix regular files, no data descriptor, DOS time in local time and the UTC time in a UT field', async () => {
    const zip = written([{ path: 'a.txt', bytes: enc('a') }]);
    const [e] = parseRaw(zip);
    expect(e).toMatchObject({ versionNeeded: 20, versionMadeBy: 0x0314, flags: 0, externalAttributes: (0o100664 << 16) >>> 0 });
    expect({ date: e!.date, time: e!.time }).toEqual(dos(TIME));
    expect(e!.extra.readUInt16LE(0)).toBe(0x5455);
    expect(e!.extra.readUInt16LE(2)).toBe(5);
    expect(e!.extra.readUInt8(4)).toBe(1);
    expect(e!.extra.readInt32LE(5)).toBe(TIME.getTime() / 1000);
    const [y] = await yauzlEntries(zip);
    expect(y!.getLastModDate().toISOString()).toBe(TIME.toISOString());
    const local = new Date(TIME.getFullYear(), TIME.getMonth(), TIME.getDate(), TIME.getHours(), TIME.getMinutes(), TIME.getSeconds() & ~1);
    expect(y!.getLastModDate({ forceDosFormat: true }).getTime()).toBe(local.getTime());
    // Out of the DOS range: clamped to 1980-01-01 00:00 and 2107-12-31 23:59:58 (local time).
    const [old] = parseRaw(written([{ path: 'a', bytes: enc('a') }], new Date(0)));
    expect({ date: old!.date, time: old!.time }).toEqual({ date: (1 << 5) | 1, time: 0 });
    expect(old!.extra.readInt32LE(5)).toBe(0);
    const [late] = parseRaw(written([{ path: 'a', bytes: enc('a') }], new Date(Date.UTC(2200, 0, 1))));
    expect({ date: late!.date, time: late!.time }).toEqual({ date: (127 << 9) | (12 << 5) | 31, time: (23 << 11) | (59 << 5) | 29 });
    expect(late!.extra.readInt32LE(5)).toBe(0x7fffffff);
  });

  it('flags UTF-8 names (bit 11) only when they are not ASCII, and reads them back', async () => {
    const files = [
      { path: 'IHE_XDM/SUBSET01/DOC00001.XML', bytes: enc('<x/>') },
      { path: 'Compte-rendu opératoire é.txt', bytes: enc('é') },
      { path: '診断/報告書.xml', bytes: enc('<報告/>'), stored: true },
      { path: 'emoji/🩺.txt', bytes: enc('🩺') },
    ];
    const zip = written(files);
    expect(parseRaw(zip).map((e) => [e.name, e.flags])).toEqual(files.map((f, i) => [f.path, i === 0 ? 0 : 0x800]));
    const back = await readBack(zip);
    expect(back.map((f) => f.path)).toEqual(files.map((f) => f.path));
    for (const [i, f] of files.entries()) expect(back[i]!.bytes.equals(Buffer.from(f.bytes))).toBe(true);
  });

  it('writes an empty archive (end record only)', async () => {
    const zip = written([]);
    expect(zip.byteLength).toBe(22);
    expect(parseRaw(zip)).toEqual([]);
    expect(await readZip(zip)).toEqual({ ok: true, value: { files: [], warnings: [] } });
  });

  it('writes many entries, up to 65 534, and refuses 65 535 (ZIP64 would be needed)', async () => {
    const files = Array.from({ length: 1500 }, (_, i) => ({ path: `d${i % 7}/f${i}.txt`, bytes: enc(`file ${i}`), stored: i % 3 === 0 }));
    const back = await readBack(written(files), 2000);
    expect(back.map((f) => f.path)).toEqual(files.map((f) => f.path));
    expect(back.every((f, i) => f.bytes.toString() === `file ${i}`)).toBe(true);

    const max = Array.from({ length: 0xfffe }, (_, i) => ({ path: `${i}`, bytes: new Uint8Array(0), stored: true }));
    const zip = written(max);
    expect(Buffer.from(zip).readUInt16LE(zip.byteLength - 22 + 10)).toBe(0xfffe);
    expect((await yauzlEntries(zip)).length).toBe(0xfffe);
    expect(writeZip([...max, { path: 'one more', bytes: new Uint8Array(0) }], TIME)).toMatchObject({ ok: false, error: { field: 'zip', rule: '65535 entries: more than 65534 would need ZIP64' } });
  });

  it('refuses sizes and offsets that would need ZIP64 (declared sizes, nothing allocated)', () => {
    /** Claims a size it does not have: the checks come before any read of the bytes. */
    class Claims extends Uint8Array {
      constructor(private readonly claimed: number) {
        super(1);
      }
      override get byteLength(): number {
        return this.claimed;
      }
    }
    expect(writeZip([{ path: 'big.bin', bytes: new Claims(0xffffffff), stored: true }], TIME)).toMatchObject({ ok: false, error: { field: 'zip', rule: 'entry 0 "big.bin": 4294967295 bytes would need ZIP64' } });
    const halves = [0, 1, 2].map((i) => ({ path: `h${i}`, bytes: new Claims(0x7fffffff), stored: true }));
    expect(writeZip(halves, TIME)).toMatchObject({ ok: false, error: { field: 'zip', rule: 'entry 2 "h2": its header would start beyond 4 GiB (ZIP64)' } });
    expect(writeZip([halves[0]!, { path: 'h1', bytes: new Claims(0x7fffff00), stored: true }, { path: 'h2', bytes: new Claims(0x1000), stored: true }], TIME)).toMatchObject({ ok: false, error: { rule: 'the central directory would start beyond 4 GiB (ZIP64)' } });
  });

  it('turns backslashes into forward slashes (APPNOTE 4.4.17.1)', async () => {
    const zip = written([{ path: 'IHE_XDM\\SUBSET01\\DOC00001.XML', bytes: enc('<x/>') }]);
    expect(parseRaw(zip)[0]!.name).toBe('IHE_XDM/SUBSET01/DOC00001.XML');
    expect((await readBack(zip))[0]!.path).toBe('IHE_XDM/SUBSET01/DOC00001.XML');
  });

  it('refuses unsafe or invalid names and input with a Result, never a throw', () => {
    const bad: Array<[string, string]> = [
      ['', 'empty name'],
      ['/etc/passwd', 'absolute path'],
      ['\\\\server\\share\\x', 'absolute path'],
      ['C:/x.txt', 'absolute path'],
      ['c:x.txt', 'absolute path'],
      ['..', 'parent (..) segment'],
      ['../evil.txt', 'parent (..) segment'],
      // What xdm.test.ts relies on when it patches `xx/evil` into `../evil` after writing.
      ['xx/../evil.txt', 'parent (..) segment'],
      ['a\\..\\b', 'parent (..) segment'],
      ['dir/', 'a file name cannot end with "/"'],
      ['bad\uD800.txt', 'not well-formed Unicode (lone surrogate)'],
    ];
    for (const [path, rule] of bad) {
      const r = writeZip([{ path: 'ok.txt', bytes: enc('ok') }, { path, bytes: enc('x') }], TIME);
      expect(r, path).toMatchObject({ ok: false, error: { field: 'zip', rule: `entry 1 ${JSON.stringify(path)}: ${rule}` } });
    }
    expect(writeZip([{ path: 'x'.repeat(0x10000), bytes: enc('x') }], TIME)).toMatchObject({ ok: false, error: { rule: 'entry 0: name longer than 65535 bytes' } });
    expect(writeZip([{ path: 'é'.repeat(0x8000), bytes: enc('x') }], TIME)).toMatchObject({ ok: false, error: { rule: 'entry 0: name longer than 65535 bytes' } });
    expect(writeZip([{ path: 'x'.repeat(0xffff), bytes: enc('x') }], TIME).ok).toBe(true);
    expect(writeZip([{ path: 'a', bytes: 'text' as unknown as Uint8Array }], TIME)).toMatchObject({ ok: false, error: { rule: 'entry 0 "a": bytes must be a Uint8Array' } });
    expect(writeZip([null as unknown as ZipInputFile], TIME)).toMatchObject({ ok: false, error: { rule: 'entry 0: a path is required' } });
    expect(writeZip([{ path: 1 } as unknown as ZipInputFile], TIME)).toMatchObject({ ok: false, error: { rule: 'entry 0: a path is required' } });
    expect(writeZip(null as unknown as ZipInputFile[], TIME)).toMatchObject({ ok: false, error: { rule: 'the files must be an array' } });
    expect(writeZip([], new Date(Number.NaN))).toMatchObject({ ok: false, error: { rule: 'the modification time must be a valid date' } });
    expect(writeZip([], 'today' as unknown as Date)).toMatchObject({ ok: false, error: { rule: 'the modification time must be a valid date' } });
  });

  it('the reader still normalises backslashes written by other tools', async () => {
    const patched = Buffer.from(written([{ path: 'IHE_XDM/SUBSET01/DOC00001.XML', bytes: enc('<x/>') }]));
    for (let at = patched.indexOf('IHE_XDM/'); at >= 0; at = patched.indexOf('IHE_XDM/', at + 1)) {
      patched.write('IHE_XDM\\SUBSET01\\', at, 'latin1');
    }
    expect(patched.includes('IHE_XDM/')).toBe(false);
    expect((await readBack(new Uint8Array(patched)))[0]!.path).toBe('IHE_XDM/SUBSET01/DOC00001.XML');
  });

  it.skipIf(!HAS_UNZIP)('passes Info-ZIP `unzip -t`; zipinfo sees version 2.0 Unix entries, stored and deflated; `unzip -p` gives the same bytes', () => {
    const files = sampleSet();
    const file = join(workDir, 'sample.zip');
    writeFileSync(file, written(files));
    const t = spawnSync('unzip', ['-t', file], { encoding: 'utf8' });
    expect(t.stderr).toBe('');
    expect(t.status).toBe(0);
    expect(t.stdout).toContain('No errors detected in compressed data');
    // `bx`: binary (no text bit in the internal attributes), an extra field (UT) and no data descriptor (`l`/`X`).
    const info = spawnSync('zipinfo', [file], { encoding: 'utf8' });
    expect(info.status).toBe(0);
    const lines = info.stdout.split('\n').filter((l) => l.startsWith('-'));
    expect(lines).toHaveLength(files.length);
    for (const [i, f] of files.entries()) {
      expect(lines[i]).toMatch(new RegExp(`^-rw-rw-r-- +2\\.0 unx +${f.bytes.byteLength} bx ${f.stored ? 'stor' : 'defN'} .* ${f.path}$`));
      const p = spawnSync('unzip', ['-p', file, f.path], { maxBuffer: 16 * 1024 * 1024 });
      expect(p.status).toBe(0);
      expect(p.stdout.equals(Buffer.from(f.bytes)), f.path).toBe(true);
    }
  });

  it.skipIf(!HAS_PYTHON)("is read by Python's zipfile: CRCs test good, names (UTF-8 flagged), methods, sizes and bytes as written", () => {
    const files = [...sampleSet(), { path: 'Compte-rendu é/診断.xml', bytes: enc('<診断/>') }];
    const r = pythonRead(written(files));
    expect(r.bad).toBeNull();
    expect(r.entries.map((e) => e.name)).toEqual(files.map((f) => f.path));
    for (const [i, f] of files.entries()) {
      const e = r.entries[i]!;
      expect(e).toMatchObject({ method: f.stored ? 0 : 8, size: f.bytes.byteLength, crc: crc32(f.bytes), flags: i === files.length - 1 ? 0x800 : 0 });
      expect(Buffer.from(e.b64, 'base64').equals(Buffer.from(f.bytes))).toBe(true);
    }
  });
});

describe('writeZip properties', () => {
  const segment = fc
    .oneof(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 12 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }))
    .filter((s) => !/[\\/]/.test(s) && s !== '.' && s !== '..');
  const path = fc
    .array(segment, { minLength: 1, maxLength: 3 })
    .map((parts) => parts.join('/'))
    .filter((p) => !/^[A-Za-z]:/.test(p));
  const content = fc.oneof(
    fc.uint8Array({ maxLength: 3000 }),
    fc.string({ maxLength: 3000 }).map(enc),
    fc.tuple(fc.nat(255), fc.nat(20_000)).map(([byte, n]) => new Uint8Array(n).fill(byte)),
  );
  // The reader keeps the first of names equal but for case: make them unique that way.
  const fileSet = fc.uniqueArray(fc.record({ path, bytes: content, stored: fc.boolean() }), { maxLength: 12, selector: (f) => f.path.toUpperCase() });

  it('any file set round-trips byte for byte through the reader, and the headers agree', async () => {
    await fc.assert(
      fc.asyncProperty(fileSet, async (files) => {
        const zip = written(files);
        const back = await readBack(zip);
        expect(back.map((f) => f.path)).toEqual(files.map((f) => f.path));
        for (const [i, f] of files.entries()) expect(back[i]!.bytes.equals(Buffer.from(f.bytes))).toBe(true);
        const raw = parseRaw(zip);
        for (const [i, f] of files.entries()) {
          expect(raw[i]).toMatchObject({ name: f.path, method: f.stored ? 0 : 8, crc: crc32(f.bytes), size: f.bytes.byteLength, flags: /^[\x00-\x7f]*$/.test(f.path) ? 0 : 0x800 });
        }
      }),
      { numRuns: 150 },
    );
  });

  it.skipIf(!HAS_PYTHON)("any file set reads back byte for byte with Python's zipfile", () => {
    fc.assert(
      fc.property(fileSet, (files) => {
        const r = pythonRead(written(files));
        expect(r.bad).toBeNull();
        expect(r.entries.map((e) => e.name)).toEqual(files.map((f) => f.path));
        for (const [i, f] of files.entries()) expect(Buffer.from(r.entries[i]!.b64, 'base64').equals(Buffer.from(f.bytes))).toBe(true);
      }),
      { numRuns: 15 },
    );
  });
});
