/**
 * Test data for CDA documents: the ANS test patient PAT-TROIS (fixtures README: INS
 * 279035121518989, test OID .10, birthplace COG 51215 as in the CDA examples — the HL7 v2
 * examples carry 63220 instead), a hospital, its professionals, and a tiny valid PDF.
 */
import type { CdaDocument, DocumentTypeKey, Patient } from '../../src/formats/cda/index.ts';
import { DOCUMENT_TYPES, finessIdentifier, rppsIdentifier } from '../../src/formats/cda/index.ts';

/** A one-page PDF 1.4 with a correct xref table (bytes offsets computed). */
export function tinyPdf(text = 'Passerelle test'): Uint8Array {
  const stream = `BT /F1 12 Tf 72 720 Td (${text.replace(/[()\\]/g, '')}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) out += `${String(o).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new TextEncoder().encode(out);
}

/** A PDF of about `size` bytes (padded with a comment stream), for speed measurements. */
export function pdfOfSize(size: number): Uint8Array {
  const base = tinyPdf();
  const out = new Uint8Array(size);
  out.set(base);
  for (let i = base.length; i < size; i++) out[i] = 32 + (i % 90);
  return out;
}

export const PAT_TROIS_QUALIFIED: Patient = {
  ins: { matricule: '279035121518989', oid: '1.2.250.1.213.1.4.10' },
  ipp: { root: '1.2.250.1.999.1.1', extension: '1234567890121' },
  addresses: [{ houseNumber: '28', streetName: 'Avenue de Breteuil', postalCode: '75007', city: 'PARIS', country: 'FRANCE' }],
  telecoms: [{ value: 'tel:0144534551', use: 'H' }],
  mssanteMailbox: '279035121518989@patient.mssante.fr',
  birthName: 'PAT-TROIS',
  usedName: 'PAT-TROIS',
  birthGivenNames: 'DOMINIQUE MARIE-LOUISE',
  usedGivenName: 'DOMINIQUE',
  sex: 'F',
  birthDate: '1979-03-28',
  birthplace: '51215',
  birthplaceCity: 'DOMPREMY',
};

/** The same person as a non-qualified identity: no INS, no patient mailbox. */
export const PAT_TROIS_UNQUALIFIED: Patient = (() => {
  const { ins: _ins, mssanteMailbox: _mailbox, ...rest } = PAT_TROIS_QUALIFIED;
  return rest;
})();

const HOSPITAL = {
  id: finessIdentifier('750000001'),
  name: 'Centre hospitalier de test',
  telecoms: [{ value: 'tel:0140000000', use: 'WP' }],
  addresses: [{ houseNumber: '1', streetName: 'Place du Parvis', postalCode: '75004', city: 'PARIS' }],
};

const DOCTOR = {
  id: rppsIdentifier('10001234567'),
  specialty: { code: 'G15_10/SM26', displayName: 'Médecin - Qualifié en Médecine Générale (SM)', codeSystem: '1.2.250.1.213.1.1.4.5' },
  name: { prefix: 'M', given: ['Jean'], family: 'MEDECIN', suffix: 'DR' },
};

export function sampleDocument(type: DocumentTypeKey = 'ldl', patient: Patient = PAT_TROIS_QUALIFIED): CdaDocument {
  const t = DOCUMENT_TYPES[type];
  return {
    id: { root: '1.2.250.1.999.1.2.1001' },
    code: t.code,
    title: t.defaultTitle,
    effectiveTime: '20240115103000+0100',
    confidentiality: 'N',
    languageCode: 'fr-FR',
    setId: { root: '1.2.250.1.999.1.2.1000' },
    versionNumber: 1,
    patient,
    authors: [{ time: '20240115103000+0100', professional: DOCTOR, organization: HOSPITAL }],
    custodian: HOSPITAL,
    legalAuthenticator: { time: '20240115103000+0100', signatureCode: 'S', professional: DOCTOR, organization: HOSPITAL },
    participants: [
      {
        typeCode: 'INF',
        functionCode: { code: 'PCP', displayName: 'Médecin traitant', codeSystem: '2.16.840.1.113883.5.88' },
        professional: { id: rppsIdentifier('10009876543'), name: { given: ['Paul'], family: 'TRAITANT', suffix: 'DR' } },
      },
    ],
    orders: [{ root: '1.2.250.1.999.1.3', extension: 'ORD-42' }],
    serviceEvents: [
      {
        effectiveTime: { low: '20240110080000+0100', high: '20240115100000+0100' },
        performer: {
          professional: DOCTOR,
          organization: {
            ...HOSPITAL,
            standardIndustryClassCode: { code: 'ETABLISSEMENT', displayName: 'Etablissement de santé', codeSystem: '1.2.250.1.213.1.1.4.9' },
          },
        },
      },
    ],
    encounter: {
      code: { code: 'IMP', displayName: 'Hospitalisation (établissement, y compris HAD)', codeSystem: '2.16.840.1.113883.5.4' },
      effectiveTime: { low: '20240110080000+0100', high: '20240115100000+0100' },
      facility: { code: { code: 'SA01', displayName: 'Etablissement public de santé', codeSystem: '1.2.250.1.71.4.2.4' } },
    },
    body: { kind: 'nonXml', mediaType: 'application/pdf', content: tinyPdf() },
  };
}
