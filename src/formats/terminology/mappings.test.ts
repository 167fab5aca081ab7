import { describe, expect, it } from 'vitest';
import { classCodeFor, classCodeSource, formatCodeFor, has, N3_TEMPLATE_IDS } from './index.ts';
import classCodes from './data/class-codes.json' with { type: 'json' };

const LOINC = '2.16.840.1.113883.6.1';
const TRE_A03 = '1.2.250.1.213.1.1.4.1';
const TRE_A11 = '1.3.6.1.4.1.19376.1.2.3';
const TRE_A06 = '1.2.250.1.213.1.1.4.2.282';
const HEADER = ['2.16.840.1.113883.2.8.2.1', '1.2.250.1.213.1.1.1.1'];

/** The Ségur hospital document types (documents.md §1–§2) and what their metadata must be. */
const SEGUR = [
  { key: 'ldl', typeCode: '11490-0', classCode: '10', n3: { templateIds: ['1.2.250.1.213.1.1.1.29'], formatCode: 'urn:asip:ci-sis:ldl-ses:2017', scheme: TRE_A06 } },
  { key: 'cro', typeCode: '34874-8', classCode: '10', n3: undefined },
  { key: 'ordonnance', typeCode: '57833-6', classCode: '42', n3: { templateIds: ['1.3.6.1.4.1.19376.1.9.1.1.1', '1.3.6.1.4.1.19376.1.5.3.1.1.1', '1.2.250.1.213.1.1.1.39'], formatCode: 'urn:ihe:pharm:pre:2010', scheme: TRE_A11 } },
  { key: 'cr-imagerie', typeCode: '18748-4', classCode: '31', n3: { templateIds: ['1.2.840.10008.9.1', '1.2.840.10008.9.20', '1.2.840.10008.9.21', '1.2.250.1.213.1.1.1.45'], formatCode: 'urn:ihe:rad:CDA:ImagingReportStructuredHeadings:2013', scheme: TRE_A11 } },
  { key: 'cr-bio', typeCode: '11502-2', classCode: '10', n3: { templateIds: ['1.3.6.1.4.1.19376.1.3.3', '1.2.250.1.213.1.1.1.55'], formatCode: 'urn:ihe:lab:xd-lab:2008', scheme: TRE_A11 } },
  { key: 'crh', typeCode: '34112-3', classCode: '10', n3: undefined },
] as const;

describe('classCodeFor (ASS_X04 subset)', () => {
  it.each(SEGUR)('$key ($typeCode) → classCode $classCode', ({ typeCode, classCode }) => {
    const result = classCodeFor(typeCode, LOINC);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.value).toMatchObject({ code: classCode, codingScheme: TRE_A03 });
  });

  it('names the classes with the TRE_A03 labels', () => {
    expect(classCodeFor('11490-0')).toEqual({ ok: true, value: { code: '10', codingScheme: TRE_A03, displayName: 'Compte rendu', status: 'to confirm' } });
    expect(classCodeFor('18748-4')).toMatchObject({ ok: true, value: { displayName: 'Imagerie médicale' } });
    expect(classCodeFor('57833-6')).toMatchObject({ ok: true, value: { displayName: 'Prescription' } });
  });

  it('maps the syntheses to 11 and flags them to confirm', () => {
    expect(classCodeFor('SYNTH', '1.2.250.1.213.1.1.4.12')).toMatchObject({ ok: true, value: { code: '11', displayName: 'Synthèse', status: 'to confirm' } });
    expect(classCodeFor('60591-5', LOINC)).toMatchObject({ ok: true, value: { code: '11', status: 'to confirm' } });
    expect(classCodes.mappings.filter((m) => 'status' in m).map((m) => m.typeCode).sort()).toEqual(['60591-5', 'SYNTH']);
  });

  it('carries its source and the "to confirm" status of documents.md §6', () => {
    expect(classCodeSource.status).toBe('to confirm');
    expect(classCodeSource.source).toContain('documents.md §6');
  });

  it('only maps type codes of J07', () => {
    for (const mapping of classCodes.mappings) expect(has('JDV_J07', mapping.typeCode, mapping.typeCodeSystem)).toBe(true);
  });

  it('rejects unknown types and wrong code systems with a field and a rule', () => {
    expect(classCodeFor('29551-9')).toEqual({ ok: false, error: { field: 'code', rule: 'document type 29551-9 has no XDS classCode in the curated ASS_X04 subset' } });
    expect(classCodeFor('SYNTH', LOINC).ok).toBe(false);
    expect(classCodeFor('').ok).toBe(false);
  });
});

describe('formatCodeFor', () => {
  it('N1: PDF and plain text bodies (ASS_A12, scheme of dmp.md §5.2)', () => {
    expect(formatCodeFor({ level: 'N1', mediaType: 'application/pdf' })).toEqual({
      ok: true,
      value: { code: 'urn:ihe:iti:xds-sd:pdf:2008', codingScheme: TRE_A11, displayName: 'Document à corps non structuré en Pdf/A-1' },
    });
    expect(formatCodeFor({ level: 'N1', mediaType: 'text/plain' })).toMatchObject({ ok: true, value: { code: 'urn:ihe:iti:xds-sd:text:2008', codingScheme: TRE_A11 } });
  });

  it('N1: other media types are refused', () => {
    expect(formatCodeFor({ level: 'N1', mediaType: 'image/jpeg' })).toMatchObject({ ok: false, error: { field: 'nonXMLBody/text/@mediaType' } });
    expect(formatCodeFor({ level: 'N1', mediaType: 'APPLICATION/PDF' }).ok).toBe(false);
  });

  it.each(SEGUR.filter((type) => type.n3 !== undefined))('N3 $key → $n3.formatCode', ({ n3 }) => {
    if (n3 === undefined) return;
    expect(formatCodeFor({ level: 'N3', templateIds: [...HEADER, ...n3.templateIds] })).toMatchObject({ ok: true, value: { code: n3.formatCode, codingScheme: n3.scheme } });
  });

  it('N3: the other volets of documents.md §2', () => {
    const n3 = (templateId: string) => formatCodeFor({ level: 'N3', templateIds: [...HEADER, templateId] });
    expect(n3('1.2.250.1.213.1.1.1.21')).toMatchObject({ ok: true, value: { code: 'urn:asip:ci-sis:ldl-ees:2017', codingScheme: TRE_A06 } });
    expect(n3('1.2.250.1.213.1.1.1.13')).toMatchObject({ ok: true, value: { code: 'urn:asip:ci-sis:vsm:2012', codingScheme: TRE_A06 } });
    expect(n3('1.2.250.1.213.1.1.1.51')).toMatchObject({ ok: true, value: { code: 'urn:ihe:pcc:ips:2020', codingScheme: TRE_A11 } });
  });

  it('N3: no volet, or two different volets, is an error', () => {
    expect(formatCodeFor({ level: 'N3', templateIds: HEADER })).toMatchObject({ ok: false, error: { field: 'templateId' } });
    expect(formatCodeFor({ level: 'N3', templateIds: [] }).ok).toBe(false);
    const both = formatCodeFor({ level: 'N3', templateIds: ['1.2.250.1.213.1.1.1.29', '1.2.250.1.213.1.1.1.55'] });
    expect(both).toMatchObject({ ok: false, error: { field: 'templateId' } });
  });

  it('N3: every curated templateId has a scheme matching its URN family', () => {
    for (const templateId of N3_TEMPLATE_IDS) {
      const result = formatCodeFor({ level: 'N3', templateIds: [templateId] });
      expect(result.ok).toBe(true);
      if (result.ok) expect(result.value.codingScheme).toBe(result.value.code.startsWith('urn:ihe:') ? TRE_A11 : TRE_A06);
    }
  });
});
