import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCda, headerOf, parseCda, PRODUCED_DOCUMENT_TYPE_KEYS, type CdaDocument } from '../cda/index.ts';
import { PAT_TROIS_UNQUALIFIED, sampleDocument } from '../../../test/support/cda.ts';
import { fixturesDir } from '../../../test/support/fixtures.ts';
import { deriveDocumentEntry, toXdsTime } from './document-entry.ts';

function built(doc: CdaDocument): { cda: CdaDocument; bytes: Uint8Array } {
  const xml = buildCda(doc);
  if (!xml.ok) throw new Error(xml.error.rule);
  const parsed = parseCda(xml.value);
  if (!parsed.ok) throw new Error(parsed.error.rule);
  return { cda: parsed.value.document, bytes: Buffer.from(xml.value, 'utf8') };
}

describe('XDS DocumentEntry from a CDA', () => {
  it.each(PRODUCED_DOCUMENT_TYPE_KEYS)('derives the metadata of a %s N1 for PAT-TROIS', (type) => {
    const { cda, bytes } = built(sampleDocument(type));
    const entry = deriveDocumentEntry(cda, bytes, { visibility: ['MASQUE_PS'] });
    expect(entry.ok).toBe(true);
    if (!entry.ok) return;
    const e = entry.value;
    expect(e.patientId).toBe('279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH');
    expect(e.typeCode).toMatchObject({ code: cda.code.code, codingScheme: '2.16.840.1.113883.6.1' });
    expect(e.formatCode).toMatchObject({ code: 'urn:ihe:iti:xds-sd:pdf:2008', codingScheme: '1.3.6.1.4.1.19376.1.2.3' });
    expect(e.classCode.code).toBe(type === 'cr-imagerie' ? '31' : type === 'ordonnance' ? '42' : '10');
    expect(e.confidentialityCodes.map((c) => c.code)).toEqual(['N', 'MASQUE_PS']);
    expect(e.hash).toMatch(/^[0-9a-f]{40}$/);
    expect(e.size).toBe(bytes.byteLength);
    expect(e.mimeType).toBe('text/xml');
    expect(e.creationTime).toMatch(/^\d{14}$/);
    expect(e.sourcePatientInfo[0]).toMatch(/^PID-5\|PAT-TROIS\^DOMINIQUE/);
    expect(e.authors[0]!.person).toMatch(/\^\^\^&1\.2\.250\.1\.71\.4\.2\.1&ISO\^D\^\^\^IDNPS$/);
    expect(e.authors[0]!.institutions[0]).toMatch(/IDNST\^\^\^1\d{9}$/);
  });

  it.each(PRODUCED_DOCUMENT_TYPE_KEYS)('derives the same metadata of a %s from its header alone, kept as JSON (what the PFI stores when routing)', (type) => {
    const { cda, bytes } = built(sampleDocument(type));
    const header = JSON.parse(JSON.stringify(headerOf(cda))) as ReturnType<typeof headerOf>;
    expect(header.body).toEqual(cda.body.kind === 'nonXml' ? { kind: 'nonXml', mediaType: cda.body.mediaType } : { kind: cda.body.kind });
    expect(JSON.stringify(header).length).toBeLessThan(20_000);
    expect(deriveDocumentEntry(header, bytes, { visibility: ['MASQUE_PS'] })).toEqual(deriveDocumentEntry(cda, bytes, { visibility: ['MASQUE_PS'] }));
  });

  it('refuses a document without the qualified INS (the DMP needs it)', () => {
    const { cda, bytes } = built(sampleDocument('ldl', PAT_TROIS_UNQUALIFIED));
    expect(deriveDocumentEntry(cda, bytes)).toMatchObject({ ok: false, error: { field: 'recordTarget.patientRole.id' } });
  });

  it('converts CDA local times to XDS UTC', () => {
    expect(toXdsTime('20210401134745+0100')).toBe('20210401124745');
    expect(toXdsTime('20240101003000+0200')).toBe('20231231223000');
    expect(toXdsTime('20210401')).toBe('20210401');
  });

  const fixtures = fixturesDir();
  it.skipIf(!fixtures)('derives the metadata of the official N1 example (DOC_NON_STRUCTURE_CDA-R2-N1)', () => {
    const bytes = readFileSync(join(fixtures!, 'cda', 'ExemplesCDA', 'DOC_NON_STRUCTURE_CDA-R2-N1.xml'));
    const parsed = parseCda(bytes.toString('utf8'));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const entry = deriveDocumentEntry(parsed.value.document, bytes);
    expect(entry).toMatchObject({
      ok: true,
      value: {
        uniqueId: '1.3.6.1.4.1.19376.1.2.20.12345.1.1',
        typeCode: { code: '11502-2' }, classCode: { code: '10' },
        healthcareFacilityTypeCode: { code: 'SA07' }, practiceSettingCode: { code: 'AMBULATOIRE' },
        creationTime: '20210401124745', patientId: '279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH',
        title: "Compte rendu d'examens biologiques",
      },
    });
  });
});
