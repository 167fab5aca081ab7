import { describe, expect, it } from 'vitest';
import type { ValueSetLookup as CdaValueSetLookup } from '../cda/index.ts';
import { displayName, has, isValueSetId, lookup, resolveValueSetId, VALUE_SET_IDS, valueSet, valueSetByOid, valueSetLookup } from './index.ts';

const LOINC = '2.16.840.1.113883.6.1';

describe('curated value sets', () => {
  it.each(VALUE_SET_IDS)('%s loads with its OID, NOS name, source and version', (id) => {
    const set = valueSet(id);
    expect(set.id).toBe(id);
    expect(set.oid).toMatch(/^[0-2](\.\d+)+$/);
    expect(set.name).toMatch(/^JDV_/);
    expect(set.source).toMatch(/^ansforge\/TestContenuCDA-3-0 jeuxDeValeurs\/JDV_.+\.xml$/);
    expect(set.dateMaj ?? set.revisionDate).toBeTruthy();
    expect(set.concepts.length).toBeGreaterThan(0);
    for (const concept of set.concepts) {
      expect(concept.code).not.toBe('');
      expect(concept.codeSystem).not.toBe('');
      expect(concept.displayName).not.toBe('');
    }
    expect(valueSetByOid(set.oid)).toBe(set);
  });

  it('keeps concepts sorted by code then code system', () => {
    for (const id of VALUE_SET_IDS) {
      const keys = valueSet(id).concepts.map((c) => `${c.code}\u0000${c.codeSystem}`);
      expect(keys).toEqual([...keys].sort());
    }
  });

  it('has the OIDs and sizes of documents.md §2, §3, §6', () => {
    expect(valueSet('JDV_J07')).toMatchObject({ oid: '1.2.250.1.213.1.1.5.471', name: 'JDV_J07_XdsTypeCode_CISIS' });
    expect(valueSet('JDV_J07').concepts).toHaveLength(114);
    expect(valueSet('JDV_J01').concepts).toHaveLength(396);
    expect(valueSet('JDV_J02').concepts).toHaveLength(69);
    expect(valueSet('JDV_HL7_Confidentiality').oid).toBe('2.16.840.1.113883.1.11.10228');
  });
});

describe('lookup / has / displayName', () => {
  it('finds the Ségur document types in J07 with their exact NOS display names', () => {
    expect(lookup('JDV_J07', '11490-0', LOINC)).toEqual({
      code: '11490-0',
      codeSystem: LOINC,
      displayName: "Lettre de liaison à la sortie d'un établissement de soins",
    });
    expect(displayName('JDV_J07', '34874-8')).toBe('CR opératoire');
    expect(displayName('JDV_J07', '57833-6')).toBe('Prescription de produits de santé');
    expect(displayName('JDV_J07', '18748-4')).toBe("CR d'imagerie médicale");
    expect(displayName('JDV_J07', '11502-2')).toBe("CR d'examens biologiques");
    expect(displayName('JDV_J07', '34112-3')).toBe('CR hospitalier (séjour)');
    expect(has('JDV_J07', 'SYNTH', '1.2.250.1.213.1.1.4.12')).toBe(true);
  });

  it('finds header codes of documents.md §3', () => {
    expect(lookup('JDV_J02', 'SA01', '1.2.250.1.71.4.2.4')?.displayName).toBe('Etablissement public de santé');
    expect(lookup('JDV_J04', 'ETABLISSEMENT', '1.2.250.1.213.1.1.4.9')?.displayName).toBe('Etablissement de santé');
    expect(lookup('JDV_J01', 'G15_10/SM26', '1.2.250.1.213.1.1.4.5')?.displayName).toBe('Médecin - Qualifié en Médecine Générale (SM)');
    expect(['F', 'M', 'UN'].every((code) => has('JDV_J143', code, '2.16.840.1.113883.5.1'))).toBe(true);
    expect(['REF', 'REFB', 'INF', 'RESP', 'PRF', 'CON', 'VRF'].every((code) => has('JDV_J144', code))).toBe(true);
    expect(['IMP', 'EMER', 'AMB', 'FLD', 'HH', 'VR', 'EXTERNE', 'SEANCE'].every((code) => has('JDV_J142', code))).toBe(true);
    expect(has('JDV_J47', 'PCP', '2.16.840.1.113883.5.88')).toBe(true);
    expect(has('JDV_J245', 'MME')).toBe(true);
    expect(has('JDV_J246', 'DR')).toBe(true);
    expect(['N', 'R', 'V'].every((code) => has('JDV_HL7_Confidentiality', code, '2.16.840.1.113883.5.25'))).toBe(true);
    expect(has('JDV_J08', 'INVISIBLE_REPRESENTANTS_LEGAUX', '1.2.250.1.213.1.1.4.13')).toBe(true);
    expect(has('JDV_J197', 'urn:ihe:iti:xds:2013:accession')).toBe(true);
    expect(has('JDV_EncompassingEncounterCode', 'SS')).toBe(true);
  });

  it('rejects unknown codes, wrong code systems and near misses', () => {
    expect(lookup('JDV_J07', '29551-9')).toBeUndefined(); // not in J07 (documents.md §2)
    expect(has('JDV_J07', '11490-0', '1.2.250.1.213.1.1.4.12')).toBe(false);
    expect(has('JDV_J07', '11490-0 ')).toBe(false);
    expect(has('JDV_J02', 'sa01')).toBe(false);
    expect(has('JDV_J01', 'G15_10/SM26', '1.2.250.1.71.1.2.7')).toBe(false);
    expect(has('JDV_J08', 'INVISIBLE_REP_LEGAUX')).toBe(false); // HL7 v2 spelling, not XDS
    expect(has('JDV_J143', 'U')).toBe(false);
    expect(displayName('JDV_J04', 'HOPITAL')).toBeUndefined();
  });

  it('returns immutable data', () => {
    const set = valueSet('JDV_J143');
    expect(Object.isFrozen(set)).toBe(true);
    expect(Object.isFrozen(set.concepts)).toBe(true);
    expect(Object.isFrozen(set.concepts[0])).toBe(true);
  });
});

describe('valueSetLookup (consumed by the CDA checker)', () => {
  it('answers by curated id or by OID', () => {
    expect(valueSetLookup.has('JDV_J07', '11490-0', LOINC)).toBe(true);
    expect(valueSetLookup.has('1.2.250.1.213.1.1.5.471', '11490-0', LOINC)).toBe(true);
    expect(valueSetLookup.has('JDV_J02', 'SA01', '1.2.250.1.71.4.2.4')).toBe(true);
    expect(valueSetLookup.has('JDV_J02', 'XX99', '1.2.250.1.71.4.2.4')).toBe(false);
  });

  it('accepts the short NOS numbers used by src/formats/cda/check.ts', () => {
    expect(valueSetLookup.has('J07', '11490-0', LOINC)).toBe(true);
    expect(valueSetLookup.has('J142', 'IMP', '2.16.840.1.113883.5.4')).toBe(true);
    expect(['J07', 'J01', 'J04', 'J02', 'J142', 'J143', 'J144', 'J47'].every((id) => valueSetLookup.knows(id))).toBe(true);
    expect(resolveValueSetId('1.2.250.1.213.1.1.5.590')).toBe('JDV_J143');
    expect(valueSetLookup.knows('J66')).toBe(false);
  });

  it('answers false for a value set that is not curated', () => {
    expect(isValueSetId('JDV_J66')).toBe(false);
    expect(valueSetLookup.has('JDV_J66', '11490-0', LOINC)).toBe(false);
    expect(valueSetLookup.has('1.2.250.1.213.1.1.5.999', '11490-0', LOINC)).toBe(false);
    expect(valueSetLookup.has('toString', 'x', 'y')).toBe(false);
    expect(valueSetLookup.knows('JDV_')).toBe(false);
  });
});

describe('compatibility with the CDA checker', () => {
  it('is assignable to the ValueSetLookup of src/formats/cda (type-checked by tsc)', () => {
    const lookup: CdaValueSetLookup = valueSetLookup;
    expect(lookup.has('J07', '11490-0', LOINC)).toBe(true);
    expect(lookup.knows?.('J143')).toBe(true);
  });
});
