/**
 * Property tests: parseCda and checkCda never throw, whatever the input (random text,
 * truncated or mutated documents); build → parse keeps the patient's name traits.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PAT_TROIS_QUALIFIED, sampleDocument } from '../../../test/support/cda.ts';
import { buildCda, checkCda, parseCda } from './index.ts';

const base = (() => {
  const r = buildCda(sampleDocument('ldl'));
  if (!r.ok) throw new Error(r.error.rule);
  return r.value;
})();

const noisy = fc.constantFrom('<', '>', '/', '"', '=', ' ', 'x', '&', ';', 'id', 'ClinicalDocument', 'xmlns="urn:hl7-org:v3"', '<!--', '-->', '\u0000', '</', '<?', '?>', 'ci-sis:Contenu');

describe('parseCda and checkCda never throw', () => {
  it('on random text', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.array(noisy).map((a) => a.join(''))), (text) => {
      const r = parseCda(text);
      expect(typeof r.ok).toBe('boolean');
      expect(Array.isArray(checkCda(text))).toBe(true);
    }), { numRuns: 300 });
  });

  it('on truncated and mutated documents', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: base.length }),
      fc.integer({ min: 0, max: base.length }),
      fc.array(noisy, { maxLength: 4 }).map((a) => a.join('')),
      (cut, at, insert) => {
        for (const text of [base.slice(0, cut), base.slice(0, at) + insert + base.slice(at), base.slice(0, at) + base.slice(Math.min(base.length, at + 7))]) {
          const r = parseCda(text);
          expect(typeof r.ok).toBe('boolean');
          if (r.ok) expect(Array.isArray(checkCda(r.value))).toBe(true);
          expect(Array.isArray(checkCda(text))).toBe(true);
        }
      },
    ), { numRuns: 300 });
  });

  it('removing any one element keeps parse total', () => {
    const tags = [...base.matchAll(/<([A-Za-z]+)[ >/]/g)].map((m) => m.index!);
    for (const start of tags) {
      const end = base.indexOf('>', start);
      const text = base.slice(0, start) + base.slice(end + 1);
      expect(typeof parseCda(text).ok).toBe('boolean');
    }
  });
});

describe('build → parse keeps the patient traits', () => {
  const name = fc.stringMatching(/^[A-Z]{1,12}(-[A-Z]{1,8})?$/);
  it('for any names, sex and partial birth dates', () => {
    fc.assert(fc.property(name, fc.array(name, { minLength: 1, maxLength: 3 }), fc.constantFrom('F', 'M', 'UN'), fc.constantFrom('1979-03-28', '1979-03', '1979', '2001-00-00'), (family, givens, sex, birthDate) => {
      const doc = sampleDocument('cro', { ...PAT_TROIS_QUALIFIED, birthName: family, usedName: undefined, birthGivenNames: givens.join(' '), usedGivenName: undefined, sex, birthDate });
      const built = buildCda(doc);
      expect(built.ok).toBe(true);
      if (!built.ok) return;
      const parsed = parseCda(built.value);
      expect(parsed.ok).toBe(true);
      if (!parsed.ok) return;
      const p = parsed.value.document.patient;
      expect([p.birthName, p.birthGivenNames, p.firstBirthGivenName, p.sex]).toEqual([family, givens.join(' '), givens[0], sex]);
      expect(p.birthDate).toBe(birthDate === '2001-00-00' ? '2001' : birthDate);
    }), { numRuns: 100 });
  });
});
