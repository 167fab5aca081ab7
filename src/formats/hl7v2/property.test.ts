/** Property tests: the codec is total (never throws) and lossless. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixturesDir } from '../../../test/support/fixtures.ts';
import {
  buildAck, buildAckForUnparseable, buildMessage, buildSegment, DEFAULT_ENCODING, parse, readAck, readEvn, readMrg, readMsh,
  readPamMessage, readPd1, readPid, readPv1, readZbe, readZfa, readZfd, serialize, type EncodingCharacters, type Hl7Message,
} from './index.ts';

const SAMPLE = 'MSH|^~\\&|GAM|CHU-X|DPI|CHU-X|20240306111154||ADT^A01^ADT_A01|3975|D|2.5^FRA^2.11|||||FRA|UNICODE UTF-8|FR||2.11^IHE_FRANCE-2.11-PAM\n'
  + 'EVN||20240306111154||||20240306111154\n'
  + 'PID|1||000003^^^CHU-X&000897406&N^PI~279035121518989^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS^^20101207||PAT-TROIS^DOMINIQUE^DOMINIQUE^^^^L||19790328|F|||28 Av de Breteuil^^PARIS^^75007^FRA^H^^^^^^^~^^^^^^BDL^^63220|||||S||24000006^^^CHU-X&000897406&M^AN|||||||1|||||N||VALI|20240306111153||||||\n'
  + 'PD1||U||||||||||N\nPV1|1|I|^^^CHU-X&000897406&M^O^^||||||||||||||||000897406^^^CHU-X&000897406&M^VN^^20210409\n'
  + 'ZBE|001^CHU-X^000897406|20240306110000||INSERT|N||Chir V^^^^^CHU-X&000897406&N^UF^^^6268|Chir V^^^^^CHU-X&000897406&N^UF^^^6268|HMS\n'
  + 'ZFA|ACTIF|20240306111154|||||||INO|20240306111154|IC|20240306111154\nZFD|||Y|N|INSI|20211201||\nMRG|000001^^^CHU-X^PI\nMSA|AA|1\nERR||PID^1^3|102^x^HL70357|E\n';

function samples(): string[] {
  const dir = fixturesDir();
  if (dir === undefined) return [SAMPLE];
  const files = ['hl7v2/SGL/admission.er7', 'hl7v2/SGL/sortie.er7', 'hl7v2/Volets/TRANS_DOC_CDA_HL7V2/V1.2/MDM/message.hl7', 'hl7v2/Volets/TRANS_DOC_CDA_HL7V2/V1.2/ORU/ack.hl7'];
  return [SAMPLE, ...files.map((f) => { try { return readFileSync(path.join(dir, f), 'utf8'); } catch { return SAMPLE; } })];
}

/** Everything a consumer might do with a message. */
function exercise(message: Hl7Message): void {
  serialize(message);
  for (const s of message.segments) {
    for (let f = 1; f <= Math.min(s.fieldCount, 40); f++) s.value(f, 2, 2, 2);
    const readers: Record<string, (seg: typeof s) => unknown> = {
      MSH: readMsh, EVN: readEvn, PID: readPid, PD1: readPd1, PV1: readPv1, ZBE: readZbe, ZFA: readZfa, ZFD: readZfd, MRG: readMrg,
    };
    readers[s.name]?.(s);
  }
  readPamMessage(message);
  readAck(message);
  buildAck(message, { code: 'AE', controlId: '1', timestamp: new Date(0), errors: [{ code: 207, location: 'PID-3[2].1' }] });
}

const noisy = fc.constantFrom('|', '^', '~', '\\', '&', '\r', '\n', 'M', 'S', 'H', 'P', 'I', 'D', '"', '˜', '1', 'A', ' ', '');

describe('totality', () => {
  it('parse never throws on random strings', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string().map((s) => `MSH${s}`), fc.array(noisy).map((a) => `MSH|^~\\&|${a.join('')}`)), (text) => {
      const r = parse(text);
      if (r.ok) exercise(r.value);
      else buildAckForUnparseable(text, r.error, { controlId: '1', timestamp: new Date(0) });
    }), { numRuns: 3000 });
  });

  it('mutated official messages never throw and round-trip when they parse', () => {
    const texts = samples();
    fc.assert(fc.property(
      fc.integer({ min: 0, max: texts.length - 1 }),
      fc.array(fc.tuple(fc.nat(), fc.nat({ max: 3 }), noisy), { minLength: 1, maxLength: 8 }),
      (which, edits) => {
        let text = texts[which] as string;
        for (const [pos, op, ch] of edits) {
          const p = text.length === 0 ? 0 : pos % text.length;
          if (op === 0) text = text.slice(0, p) + ch + text.slice(p);
          else if (op === 1) text = text.slice(0, p) + text.slice(p + 1);
          else text = text.slice(0, p) + ch + text.slice(p + 1);
        }
        const r = parse(text);
        if (r.ok) {
          exercise(r.value);
          const again = parse(serialize(r.value));
          expect(again.ok && serialize(again.value)).toBe(serialize(r.value));
        } else {
          expect(typeof r.error.field).toBe('string');
          buildAckForUnparseable(text, r.error, { controlId: '1', timestamp: new Date(0) });
        }
      },
    ), { numRuns: 1500 });
  });
});

const leafArb = fc.string({ maxLength: 8 });
const componentArb = fc.oneof(leafArb, fc.array(leafArb, { minLength: 1, maxLength: 3 }));
const repetitionArb = fc.oneof(leafArb, fc.array(componentArb, { minLength: 1, maxLength: 4 }));
const fieldArb = fc.oneof(repetitionArb, fc.array(repetitionArb, { minLength: 1, maxLength: 3 }).map((repetitions) => ({ repetitions })));
const segmentArb = fc.tuple(fc.stringMatching(/^[A-Z][A-Z0-9]{2}$/).filter((n) => !['MSH', 'BHS', 'FHS'].includes(n)), fc.array(fieldArb, { maxLength: 12 }));
const encodingArb: fc.Arbitrary<EncodingCharacters> = fc.shuffledSubarray(['|', '^', '~', '\\', '&', '#', '!', '@', '$', '*'], { minLength: 5, maxLength: 5 })
  .map(([field, component, repetition, escape, subcomponent]) => ({ field, component, repetition, escape, subcomponent }) as EncodingCharacters);

describe('structured messages', () => {
  it('serialize → parse → serialize is the identity, and leaves read back', () => {
    fc.assert(fc.property(encodingArb, fc.array(segmentArb, { maxLength: 6 }), fc.constantFrom('\r', '\n', '\r\n' as const), (enc, segs, sep) => {
      const segments = [buildSegment('MSH', [undefined, undefined, 'APP', 'FAC'], enc), ...segs.map(([name, fields]) => buildSegment(name, fields, enc))];
      const text = serialize(buildMessage(segments, { segmentSeparator: sep, encoding: enc }));
      const r = parse(text);
      if (!r.ok) throw new Error(`${r.error.field}: ${r.error.rule}`);
      expect(serialize(r.value)).toBe(text);
      segs.forEach(([, fields], i) => {
        const seg = r.value.segments[i + 1]!;
        fields.forEach((field, f) => {
          const firstRep = typeof field === 'object' && field !== null && 'repetitions' in field ? field.repetitions[0] : field;
          const firstComp = Array.isArray(firstRep) ? firstRep[0] : firstRep;
          const leaf = Array.isArray(firstComp) ? firstComp[0] : firstComp;
          expect(seg.value(f + 1, 1, 1, 1)).toBe(leaf ?? '');
        });
      });
    }), { numRuns: 1000 });
  });

  it('keeps the default encoding text in MSH-2', () => {
    expect(buildSegment('MSH', [], DEFAULT_ENCODING).raw).toBe('MSH|^~\\&');
  });
});
