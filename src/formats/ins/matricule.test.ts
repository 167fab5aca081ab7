import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkMatriculeOnEntry, checkMatriculeOnReceipt, computeKey, parseMatricule } from './matricule.ts';

// Test vectors of identity.md §2.
const VALID = [
  '279035121518989', '297022A02077878', '160012B02077713', '180032B02040123', '275126322074974',
  '236066322083656', '109076322083489', '110086322083060', '109076322088835', '274075176079430',
  '277076322082910', '146026322000196', '260058815400233', '276037510669326',
];
const INVALID: Array<[string, string]> = [
  ['276037510669380', '26'], ['181036322045660', '76'], ['281036322045610', '26'],
];

describe('matricule INS', () => {
  it.each(VALID)('accepts %s', (m) => {
    const r = checkMatriculeOnEntry(m);
    expect(r.ok).toBe(true);
  });

  it.each(INVALID)('rejects %s on entry, naming the expected key %s', (m, expected) => {
    const r = checkMatriculeOnEntry(m, 'PID-3');
    expect(r).toEqual({ ok: false, error: { field: 'PID-3', rule: `INS key ${m.slice(13)} does not match ${expected}` } });
  });

  it.each(INVALID)('accepts %s on receipt with a warning', (m) => {
    const r = checkMatriculeOnReceipt(m);
    expect(r.ok && r.value.warning).toMatch(/does not match/);
  });

  it('computes Corsica keys with 2A → 19 and 2B → 18', () => {
    expect(computeKey('297022A020778')).toBe('78');
    expect(computeKey('160012B020777')).toBe('13');
  });

  it('names the structural rule broken', () => {
    expect(parseMatricule('12345')).toMatchObject({ ok: false, error: { rule: expect.stringMatching(/15 characters/) } });
    expect(parseMatricule('2790351215189XX')).toMatchObject({ ok: false });
    expect(parseMatricule('27903512151898A')).toMatchObject({ ok: false });
  });

  it('always yields a key in 01..97 that validates its own number', () => {
    fc.assert(fc.property(fc.stringMatching(/^[12]\d{12}$/), (n) => {
      const key = computeKey(n)!;
      expect(Number(key)).toBeGreaterThanOrEqual(1);
      expect(Number(key)).toBeLessThanOrEqual(97);
      expect(checkMatriculeOnEntry(n + key).ok).toBe(true);
    }));
  });

  it('never throws on arbitrary input', () => {
    fc.assert(fc.property(fc.string(), (s) => { parseMatricule(s); }));
  });
});
