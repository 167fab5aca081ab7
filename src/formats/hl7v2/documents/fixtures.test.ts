/**
 * Every ORU^R01 / MDM of ../shared/fixtures/hl7v2 is read by `readDocumentMessage`, and the
 * official business acknowledgements (`Message metier …`) are read by `readZam` and rebuilt
 * by `buildZam` segment by segment. The five volet 2.0 ORU files whose MSH-2 uses U+02DC are
 * rejected by `parse` (fixtures.test.ts one folder up); here their MSH-2 is repaired first so
 * that their content is read too.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { filesUnder, isHl7MessageFile, requireFixtures, skipReason } from '../../../../test/support/fixtures.ts';
import { parse, readDocumentMessage, readZam, buildZam, serialize, type Hl7Message, type DocumentAction } from '../index.ts';

const dir = requireFixtures('hl7v2');

/** Parses a fixture, repairing the U+02DC tilde of MSH-2 (a known defect of five ANS examples). */
function load(file: string): Hl7Message {
  const text = readFileSync(file, 'utf8').replace(/^MSH\|\^\u02dc\\&/, 'MSH|^~\\&');
  const parsed = parse(text);
  if (!parsed.ok) throw new Error(`${file}: ${parsed.error.field}: ${parsed.error.rule}`);
  return parsed.value;
}

const typeOf = (m: Hl7Message): string => m.segments[0]?.value(9, 1) ?? '';

/** The action the folder name announces (Transmission initiale / Remplacement / Suppression). */
function expectedAction(file: string): DocumentAction {
  if (/Remplacement/.test(file)) return 'replace';
  if (/Suppression/.test(file)) return 'delete';
  return 'new';
}

describe.skipIf(dir === undefined)(`CDA in HL7 v2: official fixtures${dir === undefined ? ` (${skipReason('hl7v2')})` : ''}`, () => {
  const root = dir as string;
  const all = dir === undefined ? [] : filesUnder(root, isHl7MessageFile);
  const documentFiles = all.filter((f) => ['ORU', 'MDM'].includes(typeOf(load(f))));
  const zamFiles = all.filter((f) => typeOf(load(f)) === 'ZAM');
  const rel = (f: string): string => path.relative(root, f);

  it('finds the ORU/MDM and ZAM examples', () => {
    expect(documentFiles.length).toBeGreaterThanOrEqual(33);
    expect(zamFiles).toHaveLength(6);
  });

  it.each(documentFiles.map((f) => [rel(f), f]))('%s is read', (_name, file) => {
    const message = load(file as string);
    const read = readDocumentMessage(message);
    if (!read.ok) throw new Error(`${read.error.field}: ${read.error.rule}`);
    const r = read.value;
    expect(r.action).toBe(expectedAction(file as string));
    expect(r.controlId).toBe('015');
    expect(r.documents.length).toBeGreaterThanOrEqual(1);
    expect(r.patient.ins.length).toBe(1);
    for (const d of r.documents) {
      expect(d.cda.length).toBeGreaterThan(0);
      expect(d.resultStatus).toBe({ new: 'F', replace: 'C', delete: 'D' }[r.action]);
      // a real CDA (not the readability placeholder) always yields its uniqueId
      if (d.level !== undefined) expect(d.uniqueId).toMatch(/^\d[\w.^]*$/);
    }
    if (r.messageType === 'MDM') {
      expect(r.documents[0]?.uniqueId).toBe(r.txa?.uniqueDocumentNumber.id);
      if (r.action === 'replace') expect(r.documents[0]?.parentUniqueId).toBe(r.txa?.parentDocumentNumber.id);
    }
    // issues always name a segment (and field) and state a rule
    for (const i of r.issues) expect(i.field).toMatch(/^(OBX|ORC|PRT|PID)/);
  });

  it('reads the volet 2.1 initial ORU: two documents, recipients, flags, author, receipts asked', () => {
    const r = readDocumentMessage(load(path.join(root, 'Volets/TRANS_DOC_CDA_HL7V2/V2.1/ORU/Transmission initiale ORU/message_ORU_CR_Bio_INIT_N1_N3.hl7')));
    if (!r.ok) throw new Error(r.error.rule);
    expect(r.value).toMatchObject({
      messageType: 'ORU', trigger: 'R01', action: 'new', orderControl: 'NW',
      profile: { id: '2.1', namespace: 'CISIS_CDA_HL7_V2' },
      documentType: { code: '11502-2', codingSystem: 'LN' },
      sender: { application: { namespace: 'SIL-Y' }, facility: { namespace: 'labo' }, author: { participation: 'SB', person: { id: '801234567866', family: 'DIAZ', identifierType: 'IDNPS' }, organization: { identifier: '1120459876' } } },
      routing: { dmp: true, mssanteProfessionals: true, mssantePatient: true, receptionAck: true, readingAck: true, replyTo: ['adam.hoda@test-ci-sis.mssante.fr'] },
      visibility: { maskedFromProfessionals: false, invisibleToPatient: false, invisibleToLegalRepresentatives: false, secretConnection: false, confidentialityChange: false },
    });
    expect(r.value.routing.recipients.map((p) => [p.address, p.isPatient])).toEqual([['adam.hoda@test-ci-sis.mssante.fr', false], ['279035121518989@patient.mssante.fr', true]]);
    expect(r.value.documents.map((d) => d.cda)).toEqual(['Document medcial au format CDA niveau 1', 'Document medcial au format CDA niveau 1']);
    expect(r.value.patient.ins[0]?.matricule).toBe('279035121518989');
  });

  it('reads the Ségur replacement ORU: uniqueId and parent from the CDA (RPLC)', () => {
    const r = readDocumentMessage(load(path.join(root, 'Vague 2/Trans_Doc-CDA-HL7V2/TRANSMISSION_DOCS_CDA_EN_HL7V2_V2.1/ORU/Remplacement ORU/message_ORU_CR_Bio_RPLC_N3_SEGUR.hl7')));
    if (!r.ok) throw new Error(r.error.rule);
    expect(r.value.documents).toMatchObject([{ location: 'OBX(1)', uniqueId: '1.2.250.1.213.1.1.13', parentUniqueId: '1.2.250.1.213.1.1.12', level: 3, resultStatus: 'C' }]);
    expect(r.value.documents[0]?.cda).toMatch(/<ClinicalDocument/);
  });

  it('reads the Ségur MDM: TXA-12/13, visibility hidden from the patient', () => {
    const replace = readDocumentMessage(load(path.join(root, 'Vague 2/Trans_Doc-CDA-HL7V2/TRANSMISSION_DOCS_CDA_EN_HL7V2_V2.1/MDM/Remplacement MDM/message_MDM_CR_Radio_RPLC_N1.er7')));
    if (!replace.ok) throw new Error(replace.error.rule);
    expect(replace.value).toMatchObject({ messageType: 'MDM', trigger: 'T10', action: 'replace', issues: [] });
    expect(replace.value.documents).toMatchObject([{ uniqueId: '1.2.250.1.71.4.2.2.120456789.71024000082', parentUniqueId: '1.2.250.1.71.4.2.2.120456789.71024000081', level: 1 }]);
    const initial = readDocumentMessage(load(path.join(root, 'Vague 2/Trans_Doc-CDA-HL7V2/TRANSMISSION_DOCS_CDA_EN_HL7V2_V2.1/MDM/Transmission initiale MDM/message_MDM_CR_Radio_INIT_N1_Base64.er7')));
    if (!initial.ok) throw new Error(initial.error.rule);
    expect(initial.value).toMatchObject({
      action: 'new', issues: [],
      visibility: { invisibleToPatient: true, invisibleToLegalRepresentatives: true, secretConnection: true },
      routing: { dmp: true, mssanteProfessionals: true, mssantePatient: false },
    });
  });

  it('reads the LPS volet MDM (PFI → DPI): mail subject and body, older flag spellings', () => {
    const r = readDocumentMessage(load(path.join(root, 'Volets/Trans_LPS_CDA_MSSanté/V1.0/MDM/messageDocB64.hl7')));
    if (!r.ok) throw new Error(r.error.rule);
    expect(r.value.mail).toEqual({ subject: 'XDM/1.0/DDM+CR d’examens biologiques DE VINCI Donatello 07/08/2010', body: 'Corps du courriel' });
    expect(r.value.flags).toMatchObject({ ACK_LECTURE_MSS: 'N', INVISIBLE_PATIENT: 'Y' });
    const v12 = readDocumentMessage(load(path.join(root, 'Volets/TRANS_DOC_CDA_HL7V2/V1.2/MDM/message.hl7')));
    if (!v12.ok) throw new Error(v12.error.rule);
    expect(v12.value.flags).toMatchObject({ INVISIBLE_REP_LEGAUX: 'Y', MODIF_CONF_CODE: 'N' });
    expect(v12.value.issues).toContainEqual({ field: 'ORC-1', rule: 'SC (volets 1.2/2.0) read as NW: volet 2.1 expects NW, RO or CA', severity: 'warning' });
  });

  it.each(zamFiles.map((f) => [rel(f), f]))('%s is read', (_name, file) => {
    const r = readZam(load(file as string));
    if (!r.ok) throw new Error(r.error.rule);
    expect(r.value.acknowledgedControlId).toBe('015');
    if (r.value.type === 'Z01') {
      expect(r.value).toMatchObject({ success: false, errors: [{ code: { code: '207' }, severity: 'E', applicationError: { code: 'DMPClosed', text: 'DMP fermé', codingSystem: 'DMPERRORCODE' } }] });
    } else {
      expect(r.value).toMatchObject({ success: true, errors: [], recipient: { id: '801234567897', address: 'adam.hoda@test-ci-sis.mssante.fr' } });
    }
  });

  it.each(zamFiles.map((f) => [rel(f), f]))('buildZam reproduces %s segment by segment', (_name, file) => {
    const official = load(file as string);
    const expected = readZam(official);
    if (!expected.ok) throw new Error(expected.error.rule);
    const original = load(path.join(path.dirname(file as string), readdirMessage(path.dirname(file as string))));
    const z = expected.value;
    const built = buildZam({
      type: z.type, original, controlId: z.controlId, timestamp: new Date('2021-06-06T09:33:00+02:00'), success: z.success,
      ...(z.recipient ? { recipient: z.recipient } : {}),
      ...(z.success ? {} : { error: { code: 207, applicationError: { code: 'DMPClosed', text: 'DMP fermé' } } }),
    });
    if (!built.ok) throw new Error(built.error.rule);
    const ours = parse(serialize(built.value));
    if (!ours.ok) throw new Error(ours.error.rule);
    expect(ours.value.segments.map((s) => s.name)).toEqual(official.segments.map((s) => s.name));
    const pairs = ours.value.segments.map((s, i) => [s, official.segments[i]!] as const);
    for (const [mine, theirs] of pairs) {
      const fields = { MSH: [3, 4, 5, 6, 9, 10, 11, 12, 17, 18, 21], EVN: [], OBX: [1, 2, 3, 4, 5, 11], ERR: [3, 4, 5] }[mine.name] ?? [];
      for (const n of fields) expect(mine.field(n), `${mine.name}-${n}`).toBe(theirs.field(n));
    }
    expect(ours.value.segment('EVN')?.value(2)).toMatch(/^\d{14}/);
  });
});

/** The ORU of the ZAM's folder (the acknowledged message). */
function readdirMessage(folder: string): string {
  const names = filesUnder(folder, (n) => /^message_ORU.*\.(hl7|er7)$/.test(n));
  return path.basename(names[0] as string);
}
