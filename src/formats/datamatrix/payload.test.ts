import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeKey } from '../ins/matricule.ts';
import { INS_OID } from '../ins/oid.ts';
import { decodeInsPayload, encodeInsPayload, GS, INS_DATAMATRIX_HEADER, type InsDataMatrixContent } from './payload.ts';

/** identity.md §8, PAT-TROIS example, `<GS>` replaced by 0x1D. */
const PAT_TROIS_TEXT =
  'IS010000000000000000000000S1279035121518989S21.2.250.1.213.1.4.10S3DOMINIQUE<GS>S4PAT-TROIS<GS>S5FS628-03-1979S763220';
const PAT_TROIS: InsDataMatrixContent = {
  matricule: '279035121518989',
  oid: INS_OID.test,
  birthGivenNames: 'DOMINIQUE',
  birthName: 'PAT-TROIS',
  sex: 'F',
  birthDate: '1979-03-28',
  birthplace: '63220',
};
const PAT_TROIS_PAYLOAD = PAT_TROIS_TEXT.replaceAll('<GS>', GS);

const encoded = (input: InsDataMatrixContent): string => {
  const r = encodeInsPayload(input);
  if (!r.ok) throw new Error(`${r.error.field}: ${r.error.rule}`);
  return r.value;
};

describe('DataMatrix INS payload: encoding', () => {
  it('encodes the PAT-TROIS example of identity.md §8 exactly', () => {
    expect(encodeInsPayload(PAT_TROIS)).toEqual({ ok: true, value: PAT_TROIS_PAYLOAD });
    expect(INS_DATAMATRIX_HEADER).toHaveLength(26);
  });

  it('puts no GS after a 20-character OID (.10) and one after a shorter OID (.8)', () => {
    expect(encoded(PAT_TROIS)).toContain(`S2${INS_OID.test}S3`);
    expect(encoded({ ...PAT_TROIS, oid: INS_OID.nir })).toContain(`S2${INS_OID.nir}${GS}S3`);
    expect(encoded({ ...PAT_TROIS, oid: INS_OID.nia })).toContain(`S2${INS_OID.nia}${GS}S3`);
  });

  it('puts no GS after prénoms or a nom at exactly 100 characters, one at 99', () => {
    const hundred = `${'A'.repeat(49)} ${'B'.repeat(50)}`;
    expect(hundred).toHaveLength(100);
    expect(encoded({ ...PAT_TROIS, birthGivenNames: hundred })).toContain(`S3${hundred}S4`);
    expect(encoded({ ...PAT_TROIS, birthGivenNames: hundred.slice(1) })).toContain(`S3${hundred.slice(1)}${GS}S4`);
    expect(encoded({ ...PAT_TROIS, birthName: hundred })).toContain(`S4${hundred}S5F`);
    expect(encodeInsPayload({ ...PAT_TROIS, birthName: `${hundred}C` })).toMatchObject({ ok: false, error: { field: 'S4' } });
  });

  it('never puts GS after fixed-length fields, and omits S7 when the birthplace is unknown', () => {
    const { birthplace: _unknown, ...noPlace } = PAT_TROIS;
    const text = encoded(noPlace);
    expect(text).toBe(PAT_TROIS_PAYLOAD.replace('S763220', ''));
    expect(text.endsWith('S628-03-1979')).toBe(true);
    expect(encoded({ ...PAT_TROIS, birthplace: '' })).not.toContain('S7');
    expect(text.split(GS)).toHaveLength(3);
  });

  it('formats the birth date JJ-MM-AAAA, partial dates included', () => {
    expect(encoded({ ...PAT_TROIS, birthDate: '1975-00-00' })).toContain('S600-00-1975');
  });

  it('refuses what the symbol cannot carry, naming the block', () => {
    const cases: Array<[Partial<InsDataMatrixContent> | { sex: string }, string]> = [
      [{ sex: 'U' }, 'S5'],
      [{ matricule: '279035121518988' }, 'S1'],
      [{ matricule: '27903512151898' }, 'S1'],
      [{ oid: '1.2.250.1.213.1.4.10.1' }, 'S2'],
      [{ oid: 'urn:oid:1.2.3' }, 'S2'],
      [{ birthGivenNames: 'Dominique' }, 'S3'],
      [{ birthName: '' }, 'S4'],
      [{ birthDate: '28/03/1979' }, 'S6'],
      [{ birthplace: '6322' }, 'S7'],
    ];
    for (const [change, field] of cases) {
      expect(encodeInsPayload({ ...PAT_TROIS, ...change }), JSON.stringify(change)).toMatchObject({ ok: false, error: { field } });
    }
  });
});

describe('DataMatrix INS payload: decoding', () => {
  it('decodes the PAT-TROIS example, real GS or literal <GS>', () => {
    for (const text of [PAT_TROIS_PAYLOAD, PAT_TROIS_TEXT]) {
      expect(decodeInsPayload(text)).toEqual({ ok: true, value: { content: PAT_TROIS, version: '01', warnings: [] } });
    }
  });

  it('accepts blocks in any order', () => {
    const text = `${INS_DATAMATRIX_HEADER}S763220S5FS4PAT-TROIS${GS}S628-03-1979S3DOMINIQUE${GS}S21.2.250.1.213.1.4.10S1279035121518989`;
    expect(decodeInsPayload(text)).toMatchObject({ ok: true, value: { content: PAT_TROIS } });
  });

  it('accepts a missing GS before a fixed-length field and says so', () => {
    const text = PAT_TROIS_PAYLOAD.replace(`PAT-TROIS${GS}S5`, 'PAT-TROISS5');
    const r = decodeInsPayload(text);
    expect(r).toMatchObject({ ok: true, value: { content: PAT_TROIS } });
    expect(r.ok && r.value.warnings).toEqual(['S4: GS missing before the next block']);
  });

  it('reads a short OID followed by its GS, a scanner prefix and a trailing CR', () => {
    const text = `]d1${encoded({ ...PAT_TROIS, oid: INS_OID.nir })}\r\n`;
    expect(decodeInsPayload(text)).toMatchObject({ ok: true, value: { content: { ...PAT_TROIS, oid: INS_OID.nir }, warnings: [] } });
  });

  it('reports a wrong matricule key as a warning (official test data has some)', () => {
    const text = PAT_TROIS_PAYLOAD.replace('279035121518989', '181036322045660');
    const r = decodeInsPayload(text);
    expect(r).toMatchObject({ ok: true, value: { content: { matricule: '181036322045660' } } });
    expect(r.ok && r.value.warnings).toEqual(['S1: INS key 60 does not match 76']);
  });

  it('decodes without S7', () => {
    const r = decodeInsPayload(PAT_TROIS_PAYLOAD.replace('S763220', ''));
    expect(r.ok && r.value.content).not.toHaveProperty('birthplace');
  });

  it('fails with the block named on structural errors', () => {
    const cases: Array<[string, string]> = [
      ['', 'header'],
      ['IS020000000000000000000000S1279035121518989', 'header'],
      [PAT_TROIS_PAYLOAD.replace('S5F', 'S5U'), 'S5'],
      [PAT_TROIS_PAYLOAD.replace('S5F', ''), 'S5'],
      [PAT_TROIS_PAYLOAD.replace('S628-03-1979', 'S61979-03-28'), 'S6'],
      [PAT_TROIS_PAYLOAD.replace('S628-03-1979', 'S630-02-1979'), 'S6'],
      [`${PAT_TROIS_PAYLOAD}S5F`, 'S5'],
      [PAT_TROIS_PAYLOAD.replace('S763220', 'S76322'), 'S7'],
      [PAT_TROIS_PAYLOAD.replace('S763220', 'S863220'), 'DataMatrix INS'],
      [PAT_TROIS_PAYLOAD.replace('S3DOMINIQUE', `S3${'A'.repeat(101)}`), 'S3'],
      [PAT_TROIS_PAYLOAD.replace('S1279035121518989', 'S12790351215189X9'), 'S1'],
    ];
    for (const [text, field] of cases) {
      expect(decodeInsPayload(text), JSON.stringify(text)).toMatchObject({ ok: false, error: { field } });
    }
  });
});

const letters = fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'), minLength: 1, maxLength: 12 });
/** Names of the INSi profile: letter runs joined by space, apostrophe, hyphen or double hyphen. */
const profileName = (separators: string[]) =>
  fc.tuple(letters, fc.array(fc.tuple(fc.constantFrom(...separators), letters), { maxLength: 8 }))
    .map(([first, rest]) => first + rest.map(([sep, word]) => sep + word).join(''))
    .filter((name) => name.length <= 100);
const matricule = fc.tuple(
  fc.constantFrom('1', '2'),
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 4, maxLength: 4 }),
  fc.constantFrom('63', '75', '2A', '2B', '99'),
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 6, maxLength: 6 }),
).map(([sex, yearMonth, department, rest]) => {
  const number = sex + yearMonth + department + rest;
  return number + (computeKey(number) ?? '');
});
const birthplace = fc.oneof(
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 5, maxLength: 5 }),
  fc.tuple(fc.constantFrom('2A', '2B'), fc.integer({ min: 0, max: 999 })).map(([d, n]) => d + String(n).padStart(3, '0')),
);
const oid = fc.oneof(
  fc.constantFrom(...Object.values(INS_OID)),
  fc.array(fc.nat({ max: 999 }), { minLength: 1, maxLength: 6 }).map((arcs) => `1.${arcs.join('.')}`).filter((o) => o.length <= 20),
);
const content: fc.Arbitrary<InsDataMatrixContent> = fc.record(
  {
    matricule,
    oid,
    birthGivenNames: profileName([' ', '-', "'"]),
    birthName: profileName([' ', '-', '--', "'"]),
    sex: fc.constantFrom('M' as const, 'F' as const),
    birthDate: fc.date({ min: new Date('1900-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
    birthplace,
  },
  { requiredKeys: ['matricule', 'oid', 'birthGivenNames', 'birthName', 'sex', 'birthDate'] },
);

describe('DataMatrix INS payload: properties', () => {
  it('decode(encode(traits)) gives the traits back, without warnings', () => {
    fc.assert(fc.property(content, (traits) => {
      const text = encodeInsPayload(traits);
      expect(text.ok).toBe(true);
      if (!text.ok) return;
      expect(decodeInsPayload(text.value)).toEqual({ ok: true, value: { content: traits, version: '01', warnings: [] } });
      // GS only ever follows S2/S3/S4, never the last field.
      expect(text.value.endsWith(GS)).toBe(false);
    }), { numRuns: 500 });
  });

  it('the decoder never throws, on noise or on damaged payloads', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (text) => {
      decodeInsPayload(text);
      decodeInsPayload(INS_DATAMATRIX_HEADER + text);
    }), { numRuns: 1000 });
    fc.assert(fc.property(content, fc.nat(), fc.nat({ max: 10 }), fc.string({ maxLength: 4 }), (traits, at, cut, insert) => {
      const text = encodeInsPayload(traits);
      if (!text.ok) return;
      const i = at % (text.value.length + 1);
      decodeInsPayload(text.value.slice(0, i) + insert + text.value.slice(i + cut));
    }), { numRuns: 1000 });
  });
});
