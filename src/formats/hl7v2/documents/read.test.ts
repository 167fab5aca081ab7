/** readDocumentMessage and buildZam on synthetic messages: every rule, with the field it names. */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixturesDir } from '../../../../test/support/fixtures.ts';
import { blockingIssues, buildZam, parse, readDocumentMessage, readZam, serialize, type Hl7Message } from '../index.ts';

/** A minimal CI-SIS-like CDA (what parseCda requires), PAT-TROIS's INS in recordTarget. */
function miniCda(id: { root: string; extension?: string }, replaces?: string, ins = '279035121518989'): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3">
  <id root="${id.root}"${id.extension ? ` extension="${id.extension}"` : ''}/>
  <code code="11490-0" codeSystem="2.16.840.1.113883.6.1"/>
  <effectiveTime value="20260101120000+0100"/>
  <confidentialityCode code="N" codeSystem="2.16.840.1.113883.5.25"/>
  ${replaces ? `<relatedDocument typeCode="RPLC"><parentDocument><id root="${replaces}"/></parentDocument></relatedDocument>` : ''}
  <recordTarget><patientRole><id root="1.2.250.1.213.1.4.10" extension="${ins}"/><patient><name><family qualifier="BR">PAT-TROIS</family></name></patient></patientRole></recordTarget>
  <author><time value="20260101"/><assignedAuthor><id root="1.2.250.1.71.4.2.1" extension="810001234567"/></assignedAuthor></author>
  <custodian><assignedCustodian><representedCustodianOrganization><id root="1.2.250.1.71.4.2.2" extension="1000000000"/></representedCustodianOrganization></assignedCustodian></custodian>
  <component><nonXMLBody><text mediaType="application/pdf" representation="B64">JVBERi0=</text></nonXMLBody></component>
</ClinicalDocument>`;
}

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const PID = 'PID|||279035121518989^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS||PAT-TROIS^DOMINIQUE^DOMINIQUE^^^^L||19790328|F|||||||||||||||||||||||||VALI';
const flagsObx = (start: number, flags: Record<string, string>): string[] =>
  Object.entries(flags).map(([code, v], i) => `OBX|${start + i}|CE|${code}^^MetaDMPMSS||${v}^^expandedYes-NoIndicator||||||F`);

interface OruOptions {
  orc?: string;
  status?: string;
  cda?: string;
  flags?: Record<string, string>;
  prt?: string[];
  extraDocument?: string;
}

function oru(o: OruOptions = {}): string {
  const status = o.status ?? 'F';
  return [
    'MSH|^~\\&|SIL|LABO|PFI|CH|20260101120000||ORU^R01^ORU_R01|42|P|2.5|||||FRA|UNICODE UTF-8|||2.1^CISIS_CDA_HL7_V2',
    PID,
    `ORC|${o.orc ?? 'NW'}`,
    'OBR|1|||11490-0^CR^LN',
    `OBX|1|ED|11490-0^CR^LN||^TEXT^XML^Base64^${b64(o.cda ?? miniCda({ root: '1.2.3.4', extension: 'D1' }))}||||||${status}`,
    ...(o.extraDocument ? [o.extraDocument] : []),
    ...(o.prt ?? ['PRT||UC||SB^^participation|810001234567^MEDECIN^Jean^^^^^^ASIP-SANTE-PS&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS', 'PRT||UC||RCT^^participation|||||||||||^^X.400^adam.hoda@test-ci-sis.mssante.fr']),
    ...flagsObx(2, o.flags ?? { MASQUE_PS: 'N', INVISIBLE_PATIENT: 'N', INVISIBLE_REP_LEGAUX: 'N', DESTDMP: 'Y', DESTMSSANTEPS: 'Y', DESTMSSANTEPAT: 'N' }),
    `OBX|9|ED|CORPSMAIL_PS^Corps du mail pour un PS^MetaDMPMSS||^TEXT^^Base64^${b64('Bonjour, ci-joint le CR.')}||||||F`,
  ].join('\r');
}

function mdm(trigger: string, txa12: string, txa13 = '', status = 'F', cda = miniCda({ root: '1.2.3.4.5' })): string {
  return [
    `MSH|^~\\&|RIS|CH|PFI|CH|20260101120000||MDM^${trigger}^MDM_T02|43|P|2.6|||||FRA|UNICODE UTF-8|||2.1^CISIS_CDA_HL7_V2`,
    'EVN||20260101120000',
    PID,
    'PV1|1|I',
    `TXA|1|18748-4|TEXT|20260101||||||||${txa12}|${txa13}||||AU`,
    `OBX|1|ED|18748-4^CR imagerie^LN||^text^XML^Base64^${b64(cda)}||||||${status}`,
  ].join('\r');
}

function read(text: string): ReturnType<typeof readDocumentMessage> {
  const parsed = parse(text);
  if (!parsed.ok) throw new Error(`${parsed.error.field}: ${parsed.error.rule}`);
  return readDocumentMessage(parsed.value);
}

const error = (text: string): { field: string; rule: string } => {
  const r = read(text);
  if (r.ok) throw new Error('expected an error');
  return r.error;
};

describe('readDocumentMessage', () => {
  it('reads a new ORU: document, uniqueId from the CDA, routing, mail body', () => {
    const r = read(oru());
    if (!r.ok) throw new Error(r.error.rule);
    expect(r.value).toMatchObject({
      action: 'new', controlId: '42', documents: [{ location: 'OBX(1)', uniqueId: '1.2.3.4^D1', level: 1, resultStatus: 'F' }],
      routing: { dmp: true, mssanteProfessionals: true, mssantePatient: false, recipients: [{ address: 'adam.hoda@test-ci-sis.mssante.fr', isPatient: false }] },
      visibility: { maskedFromProfessionals: false, invisibleToPatient: false }, mail: { bodyForProfessionals: 'Bonjour, ci-joint le CR.' },
      sender: { author: { person: { id: '810001234567' } } }, issues: [],
    });
    expect(r.value.documents[0]?.cda).toContain('<ClinicalDocument');
  });

  it('a mail body in Base64 cut one character short (as in the official Ségur ORU examples) is read without it, with a warning; garbage is dropped with a warning', () => {
    const body = (data: string): string => oru().replace(/(CORPSMAIL_PS[^|]*\|\|\^TEXT\^\^Base64\^)[^|]+/, `$1${data}`);
    const full = b64('Bonjour, ci-joint le CR de M. Dupont');
    expect(full.length % 4).toBe(0);
    const cut = read(body(`${full.replace(/=+$/, '')}Q`));
    if (!cut.ok) throw new Error(cut.error.rule);
    expect(cut.value.mail.bodyForProfessionals).toBe('Bonjour, ci-joint le CR de M. Dupont');
    expect(cut.value.issues).toEqual([{ field: 'OBX(8)-5.5', rule: 'mail body: truncated Base64 (length 1 modulo 4), its last character is ignored', severity: 'warning' }]);
    const garbage = read(body('@@@@'));
    if (!garbage.ok) throw new Error(garbage.error.rule);
    expect(garbage.value.mail).toEqual({});
    expect(garbage.value.issues).toEqual([{ field: 'OBX(8)-5.5', rule: 'mail body: the document is not valid Base64', severity: 'warning' }]);
  });

  it('replacement ORU: ORC RO, OBX-11 C, parent from relatedDocument RPLC', () => {
    const r = read(oru({ orc: 'RO', status: 'C', cda: miniCda({ root: '1.2.3.5' }, '1.2.3.4') }));
    if (!r.ok) throw new Error(r.error.rule);
    expect(r.value.documents[0]).toMatchObject({ uniqueId: '1.2.3.5', parentUniqueId: '1.2.3.4' });
    const noParent = read(oru({ orc: 'RO', status: 'C' }));
    if (!noParent.ok) throw new Error(noParent.error.rule);
    expect(blockingIssues(noParent.value)).toEqual([{ field: 'OBX(1)-5.5', rule: 'a replacement needs the replaced document: relatedDocument typeCode="RPLC"/parentDocument/id in the CDA', severity: 'error' }]);
  });

  it('deletion ORU: ORC CA, OBX-11 D', () => {
    const r = read(oru({ orc: 'CA', status: 'D' }));
    expect(r.ok && r.value.action).toBe('delete');
  });

  it('MDM: T02/T10/T04 with TXA-12/13', () => {
    const t10 = read(mdm('T10', '1.2.3.4.6^CH', '1.2.3.4.5^CH', 'C', miniCda({ root: '1.2.3.4.6' }, '1.2.3.4.5')));
    if (!t10.ok) throw new Error(t10.error.rule);
    expect(t10.value).toMatchObject({ action: 'replace', trigger: 'T10', documents: [{ uniqueId: '1.2.3.4.6', parentUniqueId: '1.2.3.4.5' }], issues: [] });
    const t04 = read(mdm('T04', '1.2.3.4.5', '', 'D'));
    expect(t04.ok && t04.value.action).toBe('delete');
    const mismatch = read(mdm('T02', '9.9.9'));
    expect(mismatch.ok && mismatch.value.issues).toEqual([{ field: 'OBX(1)-5.5', rule: 'the CDA id 1.2.3.4.5 differs from TXA-12 9.9.9', severity: 'warning' }]);
  });

  it('precise errors naming segment-field and rule', () => {
    expect(error(oru().replace('ORU^R01^ORU_R01', 'ADT^A01^ADT_A01'))).toEqual({ field: 'MSH-9', rule: 'a document message is ORU^R01 or MDM^T02/T04/T10, got "ADT^A01"' });
    expect(error(oru().replace(PID + '\r', ''))).toMatchObject({ field: 'PID' });
    expect(error(oru({ orc: 'CA' }))).toEqual({ field: 'ORC-1', rule: 'CA contradicts OBX-11 F: expected NW' });
    expect(error(oru({ orc: 'XO' }))).toMatchObject({ field: 'ORC-1' });
    expect(error(oru({ status: 'P' }))).toEqual({ field: 'OBX(1)-11', rule: 'observation result status must be F (new), C (replacement) or D (deletion), got "P"' });
    expect(error(oru({ extraDocument: `OBX|2|ED|11490-0^CR^LN||^TEXT^XML^Base64^${b64(miniCda({ root: '7.7' }))}||||||D` }))).toMatchObject({ field: 'OBX(2)-11' });
    expect(error(oru().replace(/\^TEXT\^XML\^Base64\^[^|]+/, '^TEXT^XML^Base64^@@@@'))).toEqual({ field: 'OBX(1)-5.5', rule: 'the document is not valid Base64' });
    expect(error(oru().replace('^TEXT^XML^Base64^', '^TEXT^XML^Hex^'))).toMatchObject({ field: 'OBX(1)-5.4' });
    expect(error(oru({ flags: { DESTDMP: 'Peut-être' } }))).toEqual({ field: 'OBX(2)-5', rule: 'DESTDMP must be Y or N, got "Peut-être"' });
    expect(error(oru().replace(/OBX\|1\|ED\|[^\r]+/, 'OBX|1|RP|11490-0^CR^LN||http://x/doc^PFI^TEXT^XML||||||F'))).toMatchObject({ field: 'OBX(1)-2' });
    expect(error(oru().replace(/OBX\|1\|ED\|[^\r]+\r/, ''))).toMatchObject({ field: 'OBX' });
    expect(error(mdm('T02', ''))).toEqual({ field: 'TXA-12', rule: 'the unique document number (the CDA id, XDS uniqueId) is required' });
    expect(error(mdm('T10', '1.2', '', 'C'))).toMatchObject({ field: 'TXA-13' });
    expect(error(mdm('T04', '1.2', '', 'F'))).toEqual({ field: 'OBX(1)-11', rule: 'OBX-11 "F" contradicts MSH-9 T04: expected D' });
    expect(error(mdm('T01', '1.2'))).toMatchObject({ field: 'MSH-9' });
    expect(error(mdm('T02', '1.2').replace(/TXA\|[^\r]+\r/, ''))).toMatchObject({ field: 'TXA' });
  });

  it('recipient / visibility rules of mssante.md §5.1 are blocking issues', () => {
    const patientRecipient = 'PRT||UC||RCT^^participation|||||||||||^^X.400^279035121518989@patient.mssante.fr';
    const hidden = read(oru({ prt: [patientRecipient], flags: { INVISIBLE_PATIENT: 'Y', DESTMSSANTEPAT: 'Y', DESTDMP: 'N' } }));
    if (!hidden.ok) throw new Error(hidden.error.rule);
    expect(blockingIssues(hidden.value).map((i) => i.rule)).toEqual(['INVISIBLE_PATIENT=Y is not allowed when the patient is a recipient (DESTMSSANTEPAT or a patient PRT RCT)']);
    const patientOnlyDmp = read(oru({ prt: [patientRecipient], flags: { INVISIBLE_PATIENT: 'N', DESTMSSANTEPAT: 'Y', DESTDMP: 'Y' } }));
    expect(patientOnlyDmp.ok && blockingIssues(patientOnlyDmp.value).map((i) => i.rule)).toEqual(['sending to the patient only requires CONNEXION_SECRETE=N and DESTDMP=N']);
    const both = read(oru({ prt: [patientRecipient, 'PRT||UC||RCT|||||||||||^^X.400^a.b@x.mssante.fr'], flags: { MASQUE_PS: 'Y', DESTMSSANTEPAT: 'Y', DESTMSSANTEPS: 'Y' } }));
    expect(both.ok && blockingIssues(both.value).map((i) => i.field)).toEqual(['OBX']);
  });

  it('a CDA whose INS differs from PID-3 is a blocking issue (no INS value in the message)', () => {
    const r = read(oru({ cda: miniCda({ root: '1.2' }, undefined, '279035121518990') }));
    if (!r.ok) throw new Error(r.error.rule);
    expect(blockingIssues(r.value)).toEqual([{ field: 'OBX(1)-5.5', rule: 'the CDA patient INS differs from PID-3 (one INS sent in PID)', severity: 'error' }]);
  });
});

describe('buildZam / readZam', () => {
  const original = (): Hl7Message => {
    const p = parse(oru());
    if (!p.ok) throw new Error(p.error.rule);
    return p.value;
  };

  it('Z01 success: swapped applications, OBX-4 = original MSH-10, no ERR; read back', () => {
    const built = buildZam({ type: 'Z01', original: original(), controlId: 'Z1', timestamp: new Date('2026-01-01T11:00:00Z'), success: true });
    if (!built.ok) throw new Error(built.error.rule);
    const text = serialize(built.value);
    expect(text.split('\r')[0]).toMatch(/^MSH\|\^~\\&\|PFI\|CH\|SIL\|LABO\|\d{14}[^|]*\|\|ZAM\^Z01\^ZAM_Z01\|Z1\|P\|2\.6\|\|\|\|\|FRA\|UNICODE UTF-8\|\|\|2\.1\^CISIS_CDA_HL7_V2$/);
    expect(text).toContain('\rOBX|1|CWE|ACK_RECEPTION_DMP^Accusé de réception DMP^AckMetierZAM|42|Y^^expandedYes-NoIndicator||||||F');
    expect(text).not.toContain('ERR|');
    const back = parse(text);
    expect(back.ok && readZam(back.value)).toEqual({ ok: true, value: expect.objectContaining({ type: 'Z01', controlId: 'Z1', acknowledgedControlId: '42', success: true, errors: [] }) });
  });

  it('Z02 failure with an SMTP code; Z03 with the reader', () => {
    const z02 = buildZam({
      type: 'Z02', original: original(), controlId: 'Z2', timestamp: new Date(0), success: false,
      recipient: { id: '801234567897', address: 'adam.hoda@test-ci-sis.mssante.fr' },
      error: { applicationError: { code: '550', text: 'Boîte aux lettres non disponible' } },
    });
    if (!z02.ok) throw new Error(z02.error.rule);
    const text = serialize(z02.value);
    expect(text).toContain('\rOBX|2|XTN|DESTINATAIRE_MSS^Destinataire MSSanté^AckMetierZAM|801234567897|^^X.400^adam.hoda@test-ci-sis.mssante.fr||||||F');
    expect(text).toContain('\rERR|||207^Application internal error^messageErrorCondition|E|550^Boîte aux lettres non disponible^SMTPERRORCODE');
    const back = parse(text);
    expect(back.ok && readZam(back.value)).toMatchObject({ ok: true, value: { type: 'Z02', success: false, recipient: { id: '801234567897' }, errors: [{ applicationError: { code: '550', codingSystem: 'SMTPERRORCODE' } }] } });
    const z03 = buildZam({ type: 'Z03', original: original(), controlId: 'Z3', timestamp: new Date(0), success: true, recipient: { address: 'a.b@x.mssante.fr' } });
    expect(z03.ok && serialize(z03.value)).toContain('LECTEUR_MSS^Lecteur du courriel MSSanté^AckMetierZAM||^^X.400^a.b@x.mssante.fr');
  });

  it('refuses inconsistent parameters', () => {
    expect(buildZam({ type: 'Z02', original: original(), controlId: '1', timestamp: new Date(0), success: true })).toMatchObject({ ok: false, error: { field: 'OBX-5' } });
    expect(buildZam({ type: 'Z01', original: original(), controlId: '1', timestamp: new Date(0), success: true, error: { code: 207 } })).toMatchObject({ ok: false, error: { field: 'ERR' } });
  });
});

/** Small fixtures (and our synthetic ones) for mutation: big base64 files would only slow the runs. */
function samples(): string[] {
  const out = [oru(), oru({ orc: 'RO', status: 'C', cda: miniCda({ root: '1.2.3.5' }, '1.2.3.4') }), mdm('T10', '1.2.3.4.6', '1.2.3.4.5', 'C')];
  const base = fixturesDir();
  if (base === undefined) return out;
  const files = [
    'hl7v2/Volets/TRANS_DOC_CDA_HL7V2/V2.1/ORU/Transmission initiale ORU/message_ORU_CR_Bio_INIT_N1_N3.hl7',
    'hl7v2/Vague 2/Trans_Doc-CDA-HL7V2/TRANSMISSION_DOCS_CDA_EN_HL7V2_V2.1/MDM/Remplacement MDM/message_MDM_CR_Radio_RPLC_N1.er7',
    'hl7v2/Vague 2/Trans_LPS_CDA_MSSanté/TRANSMISSION_LPS_DOC_CDA_COURRIEL_FROM_MSSANTE_V1.1/Transmission initiale MDM/message_MDM__LPS_MSS_CR_Radio_INIT_N1.er7',
    'hl7v2/Volets/TRANS_DOC_CDA_HL7V2/V1.2/ORU/message.hl7',
    'hl7v2/Volets/TRANS_DOC_CDA_HL7V2/V2.1/ORU/Transmission initiale ORU/Message metier reception DMP',
    'hl7v2/Volets/TRANS_DOC_CDA_HL7V2/V2.1/ORU/Transmission initiale ORU/Message metier reception MSS',
  ];
  for (const f of files) {
    try {
      out.push(readFileSync(path.join(base, f), 'utf8'));
    } catch {
      // absent fixture: the synthetic samples remain
    }
  }
  return out;
}

const noisy = fc.constantFrom('|', '^', '~', '\\', '&', '\r', '\n', 'O', 'B', 'X', 'C', 'D', 'F', 'Y', 'N', 'R', 'T', '1', '0', '=', '<', '"', ' ', '');

describe('totality', () => {
  it('readDocumentMessage, readZam and buildZam never throw on mutated messages', () => {
    const texts = samples();
    fc.assert(fc.property(
      fc.integer({ min: 0, max: texts.length - 1 }),
      fc.array(fc.tuple(fc.nat(), fc.nat({ max: 2 }), noisy), { minLength: 1, maxLength: 8 }),
      (which, edits) => {
        let text = texts[which] as string;
        for (const [pos, op, ch] of edits) {
          const p = pos % Math.max(text.length, 1);
          if (op === 0) text = text.slice(0, p) + ch + text.slice(p);
          else if (op === 1) text = text.slice(0, p) + text.slice(p + 1);
          else text = text.slice(0, p) + ch + text.slice(p + 1);
        }
        const parsed = parse(text);
        if (!parsed.ok) return;
        const r = readDocumentMessage(parsed.value);
        if (!r.ok) expect(r.error.field).toMatch(/^(MSH|PID|TXA|ORC|OBX)/);
        readZam(parsed.value);
        buildZam({ type: 'Z02', original: parsed.value, controlId: '1', timestamp: new Date(0), success: false, recipient: { address: 'a@b.mssante.fr' } });
      },
    ), { numRuns: 1500 });
  });
});
