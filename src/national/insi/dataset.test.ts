import { describe, expect, it } from 'vitest';
import { parseMatricule } from '../../formats/ins/index.ts';
import { generateIdentities, matchTraits, matchVitale, PUBLIC_TEST_IDENTITIES, sandboxDataset } from './dataset.ts';

const dataset = sandboxDataset();
const search = (birthName: string, givenNames: string[], sex: string, birthDate: string, birthplace?: string) =>
  matchTraits(dataset, { birthName, givenNames, sex, birthDate, ...(birthplace ? { birthplace } : {}) }).length;

describe('INSi sandbox dataset', () => {
  it('gives the outcomes of identity.md §6.5', () => {
    expect(search('ADRUN', ['ZOE'], 'F', '1975-12-31')).toBe(1);
    expect(search('ADRTROIS', ['DOMINIQUE'], 'F', '1997-02-26')).toBe(1);
    expect(search('ADRTROIS', ['TOUSSAINT'], 'M', '1960-01-01')).toBe(1);
    expect(search('TCHITCHI', ['OLA'], 'F', '1936-06-21')).toBe(0);
    expect(search('TCHITCHI', ['CATARINA'], 'F', '1936-06-21')).toBe(1);
    expect(search('TCHITCHI', ['CATARINA BELLA'], 'F', '1936-06-21')).toBe(1);
    expect(search('TCHITCHI', ['BELLA'], 'F', '1936-06-21')).toBe(0);
    expect(search('ECETINSI', ['PIERRE-ALAIN'], 'M', '2009-07-14')).toBe(1);
    expect(search('CORSE', ['ANTHONY'], 'M', '1980-03-02')).toBe(1);
    expect(search('HERMANN', ['GATIEN'], 'M', '1981-03-24')).toBe(1);
    expect(search('PROVISOIRE', ['MATRICULE'], 'M', '2009-07-01')).toBe(1);
    expect(search('NESSI', ['MICHELANGELO'], 'M', '2010-08-07')).toBe(1);
    for (const p of ['PIERRE', 'PAUL', 'JACQUES', 'PIERRE PAUL JACQUES']) expect(search('HOUILLES', [p], 'M', '1993-01-27')).toBe(0);
    expect(search('DE VINCI', ['LEONARDO'], 'M', '2014-02-01')).toBe(2);
    expect(search('DE VINCI', ['LEONARDO'], 'M', '2014-02-01', '99127')).toBe(1);
    expect(search('DE VINCI', ['LEONARDO PIERO'], 'M', '2014-02-01')).toBe(1);
  });

  it('requires sex, date and birthplace to match', () => {
    expect(search('ADRTROIS', ['DOMINIQUE'], 'M', '1997-02-26')).toBe(0);
    expect(search('ADRTROIS', ['DOMINIQUE'], 'F', '1997-02-27')).toBe(0);
    expect(search('ADRTROIS', ['DOMINIQUE'], 'F', '1997-02-26', '63220')).toBe(0);
    expect(search('ADRTROIS', ['DOMINIQUE'], 'F', '1997-02-26', '2A020')).toBe(1);
  });

  it('finds by carte Vitale matricule and birth date', () => {
    expect(matchVitale(dataset, { matricule: { number: '297022A020778' }, birthDate: '1997-02-26' })).toHaveLength(1);
    expect(matchVitale(dataset, { matricule: { number: '297022A020778', key: '78' }, birthDate: '1997-02-26', birthName: 'ADRTROIS' })).toHaveLength(1);
    expect(matchVitale(dataset, { matricule: { number: '297022A020778' }, birthDate: '1997-02-27' })).toHaveLength(0);
  });

  it('generates a deterministic population with valid keys and unique search keys', () => {
    const a = generateIdentities(300);
    expect(a).toHaveLength(300);
    expect(generateIdentities(300)).toEqual(a);
    expect(generateIdentities(300, 7)).not.toEqual(a);
    for (const i of a) {
      const m = parseMatricule(i.matricule);
      expect(m.ok && m.value.keyValid, i.matricule).toBe(true);
      expect(i.oid).toBe('1.2.250.1.213.1.4.10');
      expect(matchTraits(dataset, { birthName: i.birthName, givenNames: [i.birthGivenNames.split(' ')[0]!], sex: i.sex, birthDate: i.birthDate })).toEqual([i]);
    }
    expect(dataset).toHaveLength(PUBLIC_TEST_IDENTITIES.length + 300);
  });

  it('keeps the public identities exactly as documented (wrong keys included)', () => {
    const byName = (n: string) => PUBLIC_TEST_IDENTITIES.find((i) => i.birthName === n)!;
    expect(byName('HERMANN').matricule).toBe('181036322045660');
    expect(byName('PROVISOIRE').oid).toBe('1.2.250.1.213.1.4.9');
    for (const i of PUBLIC_TEST_IDENTITIES.filter((x) => x.birthName !== 'HERMANN')) {
      const m = parseMatricule(i.matricule);
      expect(m.ok && m.value.keyValid, i.birthName).toBe(true);
    }
  });
});
