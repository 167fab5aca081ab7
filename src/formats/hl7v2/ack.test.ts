import { describe, expect, it } from 'vitest';
import { buildAck, buildAckForUnparseable, locationOf, parse, readAck, serialize } from './index.ts';

const ORIGINAL = 'MSH|^~\\&|SIL-Y|labo|PFI-X|Organisation-X|202106060931||ORU^R01^ORU_R01|015|P|2.5|||||FRA|UNICODE UTF-8|||1.2^CISIS_CDA_HL7_V1\rPID|1\r';
const at = new Date('2021-06-06T07:32:00Z'); // 09:32 in Paris

function parsed(text: string) {
  const r = parse(text);
  if (!r.ok) throw new Error(r.error.rule);
  return r.value;
}

describe('buildAck', () => {
  it('builds the accept ACK of the ANS examples', () => {
    const ack = buildAck(parsed(ORIGINAL), { code: 'AA', controlId: '016', timestamp: at });
    expect(serialize(ack)).toBe('MSH|^~\\&|PFI-X|Organisation-X|SIL-Y|labo|20210606093200||ACK^R01^ACK|016|P|2.5|||||FRA|UNICODE UTF-8\rMSA|AA|015\r');
  });

  it('adds ERR segments (location, table 0357, severity, user message) and keeps MSH-12 as is', () => {
    const original = ORIGINAL.replace('|2.5|', '|2.5^FRA^2.11|');
    const ack = buildAck(parsed(original), {
      code: 'AE', controlId: 'A1', timestamp: at,
      errors: [
        { location: 'PID-3[2].1', code: 102, severity: 'E', userMessage: 'INS mal formé' },
        { location: 'MSH^1^12', code: 203, severity: 'E' },
        { code: 207, severity: 'W', diagnostic: 'db|down', applicationError: { code: 'DMPClosed', text: 'DMP fermé', codingSystem: 'DMPERRORCODE' } },
      ],
    });
    const text = serialize(ack);
    expect(text).toContain('|ACK^R01^ACK|A1|P|2.5^FRA^2.11|');
    expect(text).toContain('\rMSA|AE|015\r');
    expect(text).toContain('\rERR||PID^1^3^2^1|102^Data type error^HL70357|E||||INS mal formé\r');
    expect(text).toContain('\rERR||MSH^1^12|203^Unsupported version id^HL70357|E\r');
    expect(text).toContain('\rERR|||207^Application internal error^HL70357|W|DMPClosed^DMP fermé^DMPERRORCODE||db\\F\\down\r');
    const read = readAck(parsed(text));
    if (!read.ok) throw new Error(read.error.rule);
    expect(read.value.code).toBe('AE');
    expect(read.value.acknowledgedControlId).toBe('015');
    expect(read.value.errors[0]).toMatchObject({ location: { segment: 'PID', sequence: 1, field: 3, repetition: 2, component: 1 }, code: { code: '102' }, severity: 'E', userMessage: 'INS mal formé' });
    expect(read.value.errors[2]).toMatchObject({ diagnostic: 'db|down', applicationError: { code: 'DMPClosed' } });
  });

  it('answers a message whose MSH cannot be parsed (best effort header)', () => {
    const text = 'MSH|^˜\\&|SIL-Y|labo|PFI-X|Organisation-X|202106060931||ORU^R01^ORU_R01|015|P|2.5\nPID|1\n';
    const r = parse(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const ack = serialize(buildAckForUnparseable(text, r.error, { controlId: '99', timestamp: at }));
    expect(ack.startsWith('MSH|^~\\&|PFI-X|Organisation-X|SIL-Y|labo|20210606093200||ACK^R01^ACK|99|P|2.5\rMSA|AE|015\rERR||MSH^1^2|102^Data type error^HL70357|E||||MSH-2: encoding characters')).toBe(true);
    const garbage = serialize(buildAckForUnparseable('hello', { field: 'MSH', rule: 'x' }, { controlId: '1', timestamp: at, localApplication: 'PASSERELLE', code: 'AR' }));
    expect(garbage).toBe('MSH|^~\\&|PASSERELLE||||20210606093200||ACK^^ACK|1|P\rMSA|AR\rERR||MSH^1|102^Data type error^HL70357|E||||MSH: x\r');
  });
});

describe('locationOf', () => {
  it.each([
    ['PID-3', { segment: 'PID', sequence: 1, field: 3 }],
    ['PID-3[2].4.2', { segment: 'PID', sequence: 1, field: 3, repetition: 2, component: 4, subcomponent: 2 }],
    ['OBX(3)-5', { segment: 'OBX', sequence: 3, field: 5 }],
    ['PID^1^3', { segment: 'PID', sequence: 1, field: 3 }],
    ['segment 3', undefined],
  ])('%s', (text, expected) => expect(locationOf(text)).toEqual(expected));
});

describe('readAck', () => {
  it('rejects a message without MSA or with a bad code', () => {
    expect(readAck(parsed('MSH|^~\\&|A\rPID|1'))).toEqual({ ok: false, error: { field: 'MSA', rule: 'an acknowledgement needs an MSA segment' } });
    expect(readAck(parsed('MSH|^~\\&|A\rMSA|XX|1')).ok).toBe(false);
  });

  it('reads v2.4 style ERR-1', () => {
    const r = readAck(parsed('MSH|^~\\&|A\rMSA|AE|1\rERR|PID^1^3^103&Table value not found&HL70357'));
    expect(r.ok && r.value.errors[0]).toMatchObject({ location: { segment: 'PID', sequence: 1, field: 3 }, code: { code: '103', text: 'Table value not found' } });
  });
});
