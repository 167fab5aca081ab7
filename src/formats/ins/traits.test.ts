import { describe, expect, it } from 'vitest';
import { checkProfile, checkTraits, firstGivenName, parseBirthDate, toInsiProfile } from './traits.ts';

describe('traits INS', () => {
  it('accepts the INSi profile: apostrophe, hyphen, double hyphen', () => {
    for (const v of ["D'ARTAGNAN", 'PAT-TROIS', 'DE VINCI', 'MARTIN--DURAND']) expect(checkProfile(v, 'nom').ok).toBe(true);
  });

  it('rejects Æ, Œ and typographic apostrophes with the character named', () => {
    expect(checkProfile('LÆTITIA', 'prenom')).toMatchObject({ ok: false, error: { field: 'prenom', rule: expect.stringContaining('"Æ"') } });
    expect(checkProfile('D’ARC', 'nom')).toMatchObject({ ok: false, error: { rule: expect.stringContaining('’') } });
    expect(checkProfile('A---B', 'nom').ok).toBe(false);
  });

  it('normalises accents and case to the profile', () => {
    expect(toInsiProfile('  Hélène  Françoise ')).toBe('HELENE FRANCOISE');
  });

  it('keeps a hyphenated first prénom whole', () => {
    expect(firstGivenName('PIERRE-ALAIN MURIEL FLORIANT')).toBe('PIERRE-ALAIN');
  });

  it('accepts partial dates and refuses impossible ones', () => {
    expect(parseBirthDate('1975-00-00')).toMatchObject({ ok: true, value: { partial: true } });
    expect(parseBirthDate('19790328')).toMatchObject({ ok: true, value: { year: 1979, month: 3, day: 28 } });
    expect(parseBirthDate('2023-02-30').ok).toBe(false);
  });

  it('checks a full set of traits, birthplace abroad included', () => {
    const r = checkTraits({ birthName: 'Adrtrois', birthGivenNames: 'Dominique', birthDate: '1997-02-26', sex: 'F', birthplace: '99255' });
    expect(r).toMatchObject({ ok: true, value: { birthName: 'ADRTROIS', birthGivenNames: 'DOMINIQUE' } });
    expect(checkTraits({ birthName: 'X', birthGivenNames: 'Y', birthDate: '2000-01-01', sex: 'F', birthplace: '2C001' }).ok).toBe(false);
  });
});
