import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { skipReason } from '../../../test/support/fixtures.ts';
import { loadEbrsSchema } from '../../../test/support/mssante-schema.ts';
import { TEST_SUBMISSION_SET, testDocument } from '../../../test/support/mssante-documents.ts';
import { formatXsdProblems } from '../../platform/xsd.ts';
import { buildXdmArchive, xdmDocumentFromCda, type XdmArchiveInput } from './build.ts';
import { isIso9660Name } from './layout.ts';
import { readXdmArchive } from './read.ts';
import { readZip, writeZip } from './zip.ts';

const README = { sender: 'Centre hospitalier de test', application: 'PASSERELLE', version: '0.1.0', contact: 'dpi@ch-test.mssante.fr' };
const TIME = new Date('2024-01-15T09:35:00Z');

function input(withPdf = true): XdmArchiveInput {
  const doc = testDocument();
  const x = xdmDocumentFromCda(doc.bytes, { visibility: [] });
  if (!x.ok) throw new Error(x.error.rule);
  return {
    submissionSet: TEST_SUBMISSION_SET,
    documents: [x.value],
    ...(withPdf ? { readablePdfs: [doc.pdf] } : {}),
    intendedRecipients: ['adam.hoda@test-ci-sis.mssante.fr', '279035121518989@patient.mssante.fr'],
    readme: README,
    time: TIME,
  };
}

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('XDM archive (ITI-32 ZIP over e-mail)', () => {
  it('lays out README.TXT, INDEX.HTM and IHE_XDM/SUBSET01 with 8.3 names, and reads back the same bytes', async () => {
    const i = input();
    const built = await buildXdmArchive(i);
    if (!built.ok) throw new Error(built.error.rule);
    expect(built.value.paths).toEqual(['README.TXT', 'INDEX.HTM', 'IHE_XDM/SUBSET01/METADATA.XML', 'IHE_XDM/SUBSET01/DOC00001.XML', 'IHE_XDM/SUBSET01/DOC00002.PDF']);
    for (const p of built.value.paths) for (const part of p.split('/')) expect(isIso9660Name(part), part).toBe(true);
    const zip = await readZip(built.value.zip);
    if (!zip.ok) throw new Error(zip.error.rule);
    expect(zip.value.files.map((f) => f.path)).toEqual(built.value.paths);
    expect(text(zip.value.files[0]!.bytes)).toContain('\r\nEmetteur : Centre hospitalier de test\r\n');
    expect(text(zip.value.files[1]!.bytes)).toContain('<a href="IHE_XDM/SUBSET01/DOC00001.XML">');

    const read = await readXdmArchive(built.value.zip);
    if (!read.ok) throw new Error(read.error.rule);
    expect(read.value.warnings).toEqual([]);
    expect(read.value.otherFiles).toEqual([]);
    const [subset] = read.value.subsets;
    expect(subset!.folder).toBe('IHE_XDM/SUBSET01');
    expect(subset!.metadataError).toBeUndefined();
    expect(subset!.metadata!.entries[0]!.entry.uniqueId).toBe('1.2.250.1.999.1.2.1001');
    expect(subset!.intendedRecipients).toEqual(['adam.hoda@test-ci-sis.mssante.fr', '279035121518989@patient.mssante.fr']);
    const [cda, pdf] = read.value.documents;
    expect(cda).toMatchObject({ path: 'IHE_XDM/SUBSET01/DOC00001.XML', kind: 'cda', integrity: 'ok', uniqueId: '1.2.250.1.999.1.2.1001', mimeType: 'text/xml', entryUuid: 'Document01' });
    expect(Buffer.from(cda!.bytes).equals(Buffer.from(i.documents[0]!.bytes))).toBe(true);
    expect(pdf).toMatchObject({ kind: 'pdf', integrity: 'unknown' });
    // The PDF is stored, not deflated again (its streams are compressed), and so is a level 1 CDA (mostly the PDF in base64): their bytes appear as is in the archive.
    expect(Buffer.from(built.value.zip).includes(Buffer.from(i.documents[0]!.bytes))).toBe(i.documents[0]!.entry.formatCode.code === 'urn:ihe:iti:xds-sd:pdf:2008');
    expect(Buffer.from(pdf!.bytes).equals(Buffer.from(i.readablePdfs![0]!))).toBe(true);
    expect(Buffer.from(built.value.zip).includes(Buffer.from(i.readablePdfs![0]!))).toBe(true);
    expect(built.value.metadataXml).toContain('<rim:Slot name="URI"><rim:ValueList><rim:Value>DOC00001.XML</rim:Value></rim:ValueList></rim:Slot>');
    expect(built.value.metadataXml).toContain('<rim:Value>||^^Internet^adam.hoda@test-ci-sis.mssante.fr</rim:Value>');
  });

  it('refuses inconsistent input with the field and the rule', async () => {
    const i = input();
    expect(await buildXdmArchive({ ...i, documents: [] })).toMatchObject({ ok: false, error: { field: 'documents' } });
    expect(await buildXdmArchive({ ...i, documents: [{ ...i.documents[0]!, bytes: new Uint8Array([1, 2]) }] })).toMatchObject({ ok: false, error: { field: 'documents[0].entry.size' } });
    expect(await buildXdmArchive({ ...i, readablePdfs: [new TextEncoder().encode('not a pdf')] })).toMatchObject({ ok: false, error: { field: 'readablePdfs[0]' } });
    expect(await buildXdmArchive({ ...i, intendedRecipients: ['nobody'] })).toMatchObject({ ok: false, error: { field: 'intendedRecipients[0]' } });
    expect(await buildXdmArchive(null as unknown as XdmArchiveInput)).toMatchObject({ ok: false });
    expect(xdmDocumentFromCda(new TextEncoder().encode('<x/>'))).toMatchObject({ ok: false });
  });

  it('reads real-world variants: DRIMbox subset name, extra top folder, backslashes, lower case, no metadata', async () => {
    const built = await buildXdmArchive(input(false));
    if (!built.ok) throw new Error(built.error.rule);
    const zip = await readZip(built.value.zip);
    if (!zip.ok) throw new Error(zip.error.rule);
    const rename = async (map: (p: string) => string, keep: (p: string) => boolean = () => true): Promise<Uint8Array> => {
      const z = writeZip(zip.value.files.filter((f) => keep(f.path)).map((f) => ({ path: map(f.path), bytes: f.bytes })), TIME);
      if (!z.ok) throw new Error(z.error.rule);
      return z.value;
    };
    const drim = await readXdmArchive(await rename((p) => p.replace('SUBSET01', 'SS000001')));
    expect(drim.ok && drim.value.documents[0]).toMatchObject({ path: 'IHE_XDM/SS000001/DOC00001.XML', integrity: 'ok' });
    const nested = await readXdmArchive(await rename((p) => `envoi/${p}`.toLowerCase()));
    expect(nested.ok && nested.value.documents[0]).toMatchObject({ path: 'envoi/ihe_xdm/subset01/doc00001.xml', kind: 'cda', integrity: 'ok' });
    expect(nested.ok && nested.value.readme).toContain('Emetteur');
    const windows = await readXdmArchive(await rename((p) => p.replace(/\//g, '\\')));
    expect(windows.ok && windows.value.documents[0]).toMatchObject({ path: 'IHE_XDM/SUBSET01/DOC00001.XML', integrity: 'ok' });
    const bare = await readXdmArchive(await rename((p) => p, (p) => !p.endsWith('METADATA.XML')));
    expect(bare.ok && bare.value.documents[0]).toMatchObject({ kind: 'cda', integrity: 'unknown' });
    expect(bare.ok && bare.value.warnings).toContain('no METADATA.XML: documents taken from the IHE_XDM folders');
  });

  it('reports a document whose bytes differ from the metadata hash, and a URI absent from the archive', async () => {
    const built = await buildXdmArchive(input(false));
    if (!built.ok) throw new Error(built.error.rule);
    const zip = await readZip(built.value.zip);
    if (!zip.ok) throw new Error(zip.error.rule);
    const tampered = zip.value.files.map((f) => (f.path.endsWith('DOC00001.XML') ? { ...f, bytes: new TextEncoder().encode(text(f.bytes).replace('</ClinicalDocument>', '<!-- x --></ClinicalDocument>')) } : f));
    const z = writeZip(tampered, TIME);
    const read = await readXdmArchive(z.ok ? z.value : new Uint8Array());
    expect(read.ok && read.value.documents[0]!.integrity).toBe('mismatch');
    const missing = writeZip(zip.value.files.filter((f) => !f.path.endsWith('DOC00001.XML')), TIME);
    const none = await readXdmArchive(missing.ok ? missing.value : new Uint8Array());
    expect(none).toMatchObject({ ok: false, error: { field: 'IHE_XDM' } });
  });

  it('refuses zip bombs and unsafe paths without throwing', async () => {
    const big = writeZip([{ path: 'IHE_XDM/SUBSET01/DOC00001.XML', bytes: new Uint8Array(2_000_000) }], TIME);
    if (!big.ok) throw new Error(big.error.rule);
    expect(big.value.byteLength).toBeLessThan(20_000);
    expect(await readXdmArchive(big.value, { maxTotalBytes: 1_000_000 })).toMatchObject({ ok: false, error: { rule: 'the archive inflates to more than 1000000 bytes' } });
    const many = writeZip(Array.from({ length: 20 }, (_, i) => ({ path: `f${i}.txt`, bytes: new Uint8Array([1]) })), TIME);
    expect(await readXdmArchive(many.ok ? many.value : new Uint8Array(), { maxEntries: 10 })).toMatchObject({ ok: false, error: { rule: 'more than 10 entries' } });
    // writeZip refuses to write `..`: patch the names in the built archive (same length).
    const evil = writeZip([{ path: 'xx/evil.txt', bytes: new Uint8Array([1]) }, { path: 'IHE_XDM/S/DOC.XML', bytes: new TextEncoder().encode('<ClinicalDocument/>') }], TIME);
    const patched = Buffer.from(evil.ok ? evil.value : new Uint8Array());
    for (let at = patched.indexOf('xx/evil'); at >= 0; at = patched.indexOf('xx/evil', at + 1)) patched.write('..', at, 'latin1');
    const read = await readXdmArchive(new Uint8Array(patched));
    expect(read.ok && read.value.warnings).toContain('entry "../evil.txt" skipped: absolute or parent path');
  });

  it('never throws on garbage: random bytes and corrupted archives give a Result (property)', async () => {
    const built = await buildXdmArchive(input());
    if (!built.ok) throw new Error(built.error.rule);
    const valid = built.value.zip;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 2048 }),
          fc.tuple(fc.nat(valid.length - 1), fc.uint8Array({ minLength: 1, maxLength: 64 })).map(([at, patch]) => {
            const copy = new Uint8Array(valid);
            copy.set(patch.subarray(0, copy.length - at), at);
            return copy;
          }),
          fc.nat(valid.length).map((n) => valid.subarray(0, n)),
        ),
        async (bytes) => {
          const r = await readXdmArchive(bytes);
          expect(typeof r.ok).toBe('boolean');
          if (!r.ok) expect(r.error.field).toMatch(/^(zip|IHE_XDM)/);
        },
      ),
      { numRuns: 300 },
    );
    expect(await readXdmArchive(undefined as unknown as Uint8Array)).toMatchObject({ ok: false, error: { field: 'zip' } });
  });

  const ebrs = loadEbrsSchema();
  afterAll(() => ebrs?.dispose());
  describe.skipIf(!ebrs)(`METADATA.XML against the ebRS 3.0 schema ${ebrs ? '' : skipReason('xds')}`, () => {
    it('is valid (URI and intendedRecipient slots included), and the hash is the SHA-1 of the CDA', async () => {
      const i = input();
      const built = await buildXdmArchive(i);
      if (!built.ok) throw new Error(built.error.rule);
      const problems = ebrs!.schema.validate(built.value.metadataXml);
      expect(problems, formatXsdProblems(problems)).toEqual([]);
      expect(built.value.metadataXml).toContain(`<rim:Value>${createHash('sha1').update(i.documents[0]!.bytes).digest('hex')}</rim:Value>`);
    });
  });
});
