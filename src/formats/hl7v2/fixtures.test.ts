/**
 * Every HL7 v2 example of ../shared/fixtures/hl7v2 (ANS ansforge/hl7V2-exemples): parses,
 * round-trips byte for byte, and the five ORU files whose MSH-2 uses U+02DC are rejected
 * with an MSH-2 error.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { filesUnder, isHl7MessageFile, requireFixtures, skipReason } from '../../../test/support/fixtures.ts';
import { parse, readAck, readEvn, readMsh, readPamMessage, readPid, serialize } from './index.ts';

const dir = requireFixtures('hl7v2');


const isBadTilde = (file: string): boolean => file.includes(path.join('TRANS_DOC_CDA_HL7V2', 'V2.0', 'ORU')) && !/ack\.|Message metier/.test(file);

describe.skipIf(dir === undefined)(`HL7 v2 official fixtures${dir === undefined ? ` (${skipReason('hl7v2')})` : ''}`, () => {
  const root = dir as string;
  const files = dir === undefined ? [] : filesUnder(root, isHl7MessageFile);
  const rel = (f: string): string => path.relative(root, f);

  it('finds the examples, including files without extension', () => {
    expect(files.length).toBeGreaterThanOrEqual(60);
    expect(files.some((f) => path.basename(f).startsWith('Message metier'))).toBe(true);
    expect(files.filter(isBadTilde)).toHaveLength(5);
  });

  it.each(files.filter((f) => !isBadTilde(f)).map((f) => [rel(f), f]))('%s parses and round-trips byte for byte', (_name, file) => {
    const text = readFileSync(file as string, 'utf8');
    const parsed = parse(text);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(serialize(parsed.value)).toBe(text);
    const pid = parsed.value.segment('PID');
    if (pid !== undefined) expect(readPid(pid).issues.filter((i) => i.severity === 'error')).toEqual([]);
    if (parsed.value.segment('MSA') !== undefined) expect(readAck(parsed.value).ok).toBe(true);
  });

  it.each(files.filter(isBadTilde).map((f) => [rel(f), f]))('%s: MSH-2 with U+02DC is a precise error', (_name, file) => {
    const parsed = parse(readFileSync(file as string, 'utf8'));
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error.field).toBe('MSH-2');
    expect(parsed.error.rule).toContain('U+02DC');
  });

  it('reads PAT-TROIS from SGL/admission.er7', () => {
    const parsed = parse(readFileSync(path.join(root, 'SGL/admission.er7'), 'utf8'));
    if (!parsed.ok) throw new Error(parsed.error.rule);
    expect(readMsh(parsed.value.segments[0]!)).toMatchObject({
      sendingApplication: { namespace: 'GAM' }, receivingApplication: { namespace: 'DPI' }, controlId: '3975', processingId: 'D',
      messageType: { code: 'ADT', trigger: 'A01', structure: 'ADT_A01' }, version: { id: '2.5', country: 'FRA', internationalVersion: '2.11' },
      country: 'FRA', characterSet: 'UNICODE UTF-8', profiles: [{ id: '2.11', namespace: 'IHE_FRANCE-2.11-PAM' }],
    });
    expect(readEvn(parsed.value.segment('EVN')!)).toMatchObject({ recordedDateTime: '20240306111154', occurredDateTime: '20240306111154' });
    const pid = readPid(parsed.value.segment('PID')!);
    expect(pid.birthName?.family).toBe('PAT-TROIS');
    expect(pid.ins).toEqual([{ matricule: '279035121518989', oid: '1.2.250.1.213.1.4.10', namespace: 'ASIP-SANTE-INS-NIR', keyValid: true, repetition: 2 }]);
    expect(pid.status).toBe('VALI');
    expect(pid.birthplaceCog).toBe('63220');
    expect(pid.ipp?.id).toBe('000003');
    expect(pid.accountNumber?.id).toBe('24000006');
    const read = readPamMessage(parsed.value);
    if (!read.ok) throw new Error(read.error.rule);
    expect(read.value.patient).toMatchObject({
      ipp: { id: '000003', authority: { namespace: 'CHU-X', oid: '000897406', type: 'N' } },
      ins: { matricule: '279035121518989', oid: '1.2.250.1.213.1.4.10' },
      birthName: 'PAT-TROIS', firstGivenName: 'DOMINIQUE', birthGivenNames: 'DOMINIQUE',
      birthDate: '1979-03-28', sex: 'F', birthplaceCog: '63220', status: 'VALI', attributes: [],
      address: { street: '28 Av de Breteuil', city: 'PARIS', postalCode: '75007', country: 'FRA' },
    });
    expect(read.value.insUsable).toBe(true);
    expect(read.value.stay).toMatchObject({
      nda: { id: '24000006' }, patientClass: 'I', visitNumber: { id: '000897406' },
      movement: { id: '001', action: 'INSERT', historic: 'N', medicalUnit: { name: 'Chir V', code: '6268' }, nature: 'HMS' },
    });
    expect(read.value.zfa).toMatchObject({ dmpStatus: 'ACTIF', feedingOpposition: 'INO', consultationConsent: 'IC' });
    expect(read.value.warnings.map((w) => w.field)).toContain('PID-3[2].7');
  });

  it('reads the shifted ZBE of SGL/sortie.er7 leniently', () => {
    const parsed = parse(readFileSync(path.join(root, 'SGL/sortie.er7'), 'utf8'));
    if (!parsed.ok) throw new Error(parsed.error.rule);
    const read = readPamMessage(parsed.value);
    if (!read.ok) throw new Error(read.error.rule);
    expect(read.value.stay?.movement).toMatchObject({ id: '002', action: 'INSERT', historic: 'N', medicalUnit: { name: 'Urgences', code: '8782' }, nature: 'HMS' });
    expect(read.value.warnings.some((w) => w.field === 'ZBE-4')).toBe(true);
  });

  it('reads ZFD of the consent examples', () => {
    const file = path.join(root, 'Vague 2/Consentement_DMP_PAMFR/ConsentementConsultation_NonOppositionAlimentation.er7');
    const parsed = parse(readFileSync(file, 'utf8'));
    if (!parsed.ok) throw new Error(parsed.error.rule);
    const read = readPamMessage(parsed.value);
    if (!read.ok) throw new Error(read.error.rule);
    expect(read.value.patient.insiCall).toEqual({ mode: 'INSI', date: '2021-12-01' });
    expect(read.value.patient.confidential).toBe(false);
    expect(read.value.stay?.admitDateTime).toBe('2024-03-06T11:00:00');
  });

  it('warns on the wrong INS key of DE VINCI DONATELLO (276037510669380)', () => {
    const parsed = parse(readFileSync(path.join(root, 'Volets/TRANS_DOC_CDA_HL7V2/V1.2/MDM/message.hl7'), 'utf8'));
    if (!parsed.ok) throw new Error(parsed.error.rule);
    const pid = readPid(parsed.value.segment('PID')!);
    expect(pid.ins[0]).toMatchObject({ matricule: '276037510669380', keyValid: false, oid: '1.2.250.1.213.1.4.8' });
    expect(pid.issues).toContainEqual({ field: 'PID-3[1].1', rule: 'INS key 80 does not match 26', severity: 'warning' });
    // no IPP in this document flow: the PAM reader says so precisely
    expect(readPamMessage(parsed.value)).toEqual({ ok: false, error: { field: 'PID-3', rule: 'no patient identifier (IPP, CX-5 = PI)' } });
  });

  it('reads the official ACKs', () => {
    const parsed = parse(readFileSync(path.join(root, 'Volets/TRANS_DOC_CDA_HL7V2/V1.2/ORU/ack.hl7'), 'utf8'));
    if (!parsed.ok) throw new Error(parsed.error.rule);
    const ack = readAck(parsed.value);
    expect(ack).toEqual({ ok: true, value: { code: 'AA', acknowledgedControlId: '015', text: '', errors: [], controlId: '016' } });
  });
});
