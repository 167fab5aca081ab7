import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildA28, buildA31, buildA40, buildA47, parse, readPamMessage, serialize, type Hl7Message, type PamHeader, type PamPatient } from '../index.ts';

const header: PamHeader = {
  sendingApplication: 'PASSERELLE', sendingFacility: 'CHU-X', receivingApplication: 'DPI', receivingFacility: 'CHU-X',
  controlId: 'C1', timestamp: new Date('2024-03-06T10:11:54Z'),
};

const qualified: PamPatient = {
  ipp: { id: '000003', authority: { namespace: 'CHU-X', oid: '000897406', type: 'N' } },
  ins: { matricule: '279035121518989', oid: '1.2.250.1.213.1.4.10' },
  birthName: 'PAT-TROIS', usedName: 'MARTIN', firstGivenName: 'DOMINIQUE', birthGivenNames: 'DOMINIQUE MARIE-LOUISE', usedGivenName: 'DOMI',
  civility: 'Mme', birthDate: '1979-03-28', sex: 'F', birthplaceCog: '63220',
  address: { street: '28 Av de Breteuil', city: 'PARIS', postalCode: '75007', country: 'FRA' },
  status: 'VALI', attributes: [], insiCall: { date: '2021-12-01', mode: 'INSI' }, proof: { type: 'CN', expiry: '2030-01-01' }, confidential: false,
};

/** ADT_A30 / ADT_A39 carry no ZFD. */
const { insiCall: _insiCall, proof: _proof, ...qualifiedWithoutZfd } = qualified;

const provisional: PamPatient = {
  ipp: { id: 'P9', authority: { namespace: 'CHU-X' } },
  birthName: "O'NEIL^|&", firstGivenName: 'JEAN', birthGivenNames: 'JEAN PAUL', birthDate: '2001-02-03', sex: 'M',
  status: 'PROV', attributes: ['DOUT', 'HOMA'],
};

function roundTrip(message: Hl7Message) {
  const text = serialize(message);
  const parsed = parse(text);
  if (!parsed.ok) throw new Error(parsed.error.rule);
  expect(serialize(parsed.value)).toBe(text);
  const read = readPamMessage(parsed.value);
  if (!read.ok) throw new Error(`${read.error.field}: ${read.error.rule}`);
  return { text, read: read.value };
}

function unwrap<T>(r: { ok: true; value: T } | { ok: false; error: { field: string; rule: string } }): T {
  if (!r.ok) throw new Error(`${r.error.field}: ${r.error.rule}`);
  return r.value;
}

describe('ITI-30 builders', () => {
  it('A28 emits the PAM FR header, PID, PD1, PV1|1|N and ZFD', () => {
    const { text, read } = roundTrip(unwrap(buildA28(header, qualified)));
    const lines = text.split('\r');
    expect(lines[0]).toBe('MSH|^~\\&|PASSERELLE|CHU-X|DPI|CHU-X|20240306111154||ADT^A28^ADT_A05|C1|P|2.5^FRA^2.11|||||FRA|UNICODE UTF-8|||2.11^IHE_FRANCE-2.11-PAM');
    expect(lines[1]).toBe('EVN||20240306111154||||20240306111154');
    expect(lines[2]).toBe('PID|1||000003^^^CHU-X&000897406&N^PI~279035121518989^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS||'
      + 'PAT-TROIS^DOMINIQUE^DOMINIQUE MARIE-LOUISE^^Mme^^L~MARTIN^DOMI^^^Mme^^D||19790328|F|||28 Av de Breteuil^^PARIS^^75007^FRA^H~^^^^^^BDL^^63220'
      + '|||||||||||||||||||||VALI');
    expect(lines.slice(3)).toEqual(['PD1||||||||||||N', 'PV1|1|N', 'ZFD|||||INSI|20211201|CN|20300101', '']);
    expect(read.patient).toEqual(qualified);
    expect(read.insUsable).toBe(true);
    expect(read.messageType).toEqual({ code: 'ADT', trigger: 'A28', structure: 'ADT_A05' });
  });

  it('A31 of a provisional identity: no INS, attributes after the status, escaped names', () => {
    const { text, read } = roundTrip(unwrap(buildA31(header, provisional)));
    expect(text).toContain('|ADT^A31^ADT_A05|');
    expect(text).toContain('PID|1||P9^^^CHU-X^PI||O\'NEIL\\S\\\\F\\\\T\\^JEAN^JEAN PAUL^^^^L||20010203|M||||||||||||||||||||||||PROV~DOUT~HOMA');
    expect(text).not.toContain('PD1');
    expect(text).not.toContain('ZFD');
    expect(read.patient).toEqual(provisional);
    expect(read.insUsable).toBe(false);
  });

  it('A47 removes an INS with the HL7 null INS and MRG-1', () => {
    const { ins, ...withoutIns } = qualified;
    const { insiCall: _i, proof: _p, ...rest } = withoutIns;
    const patient: PamPatient = { ...rest, status: 'PROV' };
    const { text, read } = roundTrip(unwrap(buildA47(header, patient, { kind: 'remove', removedIns: ins! })));
    expect(text).toContain('|ADT^A47^ADT_A30|');
    expect(text).toContain('PID|1||000003^^^CHU-X&000897406&N^PI~""^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS||');
    expect(text).toContain('\rMRG|279035121518989^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS\r');
    expect(read.patient).toEqual(patient);
    expect(read.insNullified).toBe(true);
    expect(read.merge?.priorIns).toEqual(ins);
  });

  it('A47 changes an INS: new in PID-3, old in MRG-1', () => {
    const previous = { matricule: '276037510669326', oid: '1.2.250.1.213.1.4.8' };
    const { read } = roundTrip(unwrap(buildA47(header, qualified, { kind: 'change', previousIns: previous })));
    expect(read.patient).toEqual(qualifiedWithoutZfd);
    expect(read.merge?.priorIns).toEqual(previous);
  });

  it('A40 merges: survivor in PID, absorbed IPP in MRG-1', () => {
    const absorbed = { ipp: { id: '000001', authority: { namespace: 'CHU-X', oid: '000897406', type: 'N' } }, birthName: 'PAT-TROIS', firstGivenName: 'DOMINIQUE' };
    const { text, read } = roundTrip(unwrap(buildA40(header, qualified, absorbed)));
    expect(text).toContain('|ADT^A40^ADT_A39|');
    expect(text).toContain('\rPD1||||||||||||N\rMRG|000001^^^CHU-X&000897406&N^PI||||||PAT-TROIS^DOMINIQUE^^^^^L\r');
    expect(read.patient).toEqual(qualifiedWithoutZfd);
    expect(read.merge?.priorIpp).toEqual(absorbed.ipp);
  });

  it.each([
    [{ ...qualified, status: 'PROV' as const }, 'PID-3'],
    [{ ...qualified, ins: { matricule: '279035121518980', oid: '1.2.250.1.213.1.4.10' } }, 'PID-3.1'],
    [{ ...qualified, birthDate: '28/03/1979' }, 'PID-7'],
    [{ ...qualified, ipp: { id: '', authority: { namespace: 'X' } } }, 'PID-3'],
    [{ ...qualified, birthName: '' }, 'PID-5.1'],
  ])('refuses inconsistent input (%#)', (patient, field) => {
    const r = buildA28(header, patient);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.field).toBe(field);
  });

  it('any well-formed patient survives A28 → parse → read (property)', () => {
    const text = fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim() === s && s !== '""' && !/[\r\n]/.test(s));
    const patientArb: fc.Arbitrary<PamPatient> = fc.record({
      ipp: fc.record({ id: text, authority: fc.record({ namespace: text }) }),
      birthName: text, firstGivenName: text, birthGivenNames: text,
      birthDate: fc.date({ min: new Date('1900-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
      sex: fc.constantFrom('M' as const, 'F' as const, 'U' as const),
      status: fc.constant('PROV' as const),
      attributes: fc.subarray(['DOUT', 'FICT', 'HOMA', 'HOMD'] as const),
      usedName: fc.option(text, { nil: undefined }),
      birthplaceCog: fc.option(fc.stringMatching(/^\d{5}$/), { nil: undefined }),
    }).map((p) => {
      const out = { ...p } as PamPatient;
      for (const k of ['usedName', 'birthplaceCog'] as const) if (out[k] === undefined) delete out[k];
      return out;
    });
    fc.assert(fc.property(patientArb, (patient) => {
      expect(roundTrip(unwrap(buildA28(header, patient))).read.patient).toEqual(patient);
    }), { numRuns: 300 });
  });
});
