/**
 * Test documents for MSSanté: a lettre de liaison (CDA N1 around a tiny PDF) for PAT-TROIS, its
 * exact bytes, and the submission set an establishment would send with it.
 */
import { buildCda, type CdaDocument, type DocumentTypeKey } from '../../src/formats/cda/index.ts';
import type { SubmissionSetInput } from '../../src/formats/xds/index.ts';
import { sampleDocument, tinyPdf } from './cda.ts';

export interface TestDocument {
  cda: CdaDocument;
  bytes: Uint8Array;
  pdf: Uint8Array;
}

export function testDocument(type: DocumentTypeKey = 'ldl', id = '1.2.250.1.999.1.2.1001', change: (d: CdaDocument) => CdaDocument = (d) => d): TestDocument {
  const pdf = tinyPdf('Lettre de liaison');
  const cda = change({ ...sampleDocument(type), id: { root: id }, body: { kind: 'nonXml', mediaType: 'application/pdf', content: pdf } });
  const xml = buildCda(cda);
  if (!xml.ok) throw new Error(`${xml.error.field}: ${xml.error.rule}`);
  return { cda, bytes: new TextEncoder().encode(xml.value), pdf };
}

export const TEST_SUBMISSION_SET: SubmissionSetInput = {
  uniqueId: '1.2.250.1.999.1.5.77',
  sourceId: '1.2.250.1.999.1',
  submissionTime: '20240115093500',
  contentTypeCode: { code: '04', codingScheme: '1.2.250.1.213.2.2', displayName: 'Hospitalisation de jour' },
  author: {
    person: '10001234567^MEDECIN^Jean^^^M^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS',
    institutions: ['Centre hospitalier de test^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^1750000001'],
  },
};
