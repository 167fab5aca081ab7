/**
 * A ValueSetLookup over the official JDV files (IHE SVS XML) in the fixtures, for tests of
 * `checkCda`. Production uses the curated sets of src/formats/terminology.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DOMParser } from '@xmldom/xmldom';
import type { ValueSetId, ValueSetLookup } from '../../src/formats/cda/index.ts';

const FILES: Record<string, string> = {
  J07: 'JDV_J07_XdsTypeCode_CISIS.xml',
  J01: 'JDV_J01_XdsAuthorSpecialty_CISIS.xml',
  J04: 'JDV_J04_XdsPracticeSettingCode_CISIS.xml',
  J02: 'JDV_J02_XdsHealthcareFacilityTypeCode_CISIS.xml',
  J142: 'JDV_J142_TypeRencontre_CISIS.xml',
};

const SVS = 'urn:ihe:iti:svs:2008';

/** Reads `<Concept code codeSystem>` of one JDV file into `code|codeSystem` keys. */
export function readValueSet(file: string): Set<string> {
  const doc = new DOMParser().parseFromString(readFileSync(file, 'utf8'), 'text/xml');
  const concepts = doc.getElementsByTagNameNS(SVS, 'Concept');
  const out = new Set<string>();
  for (let i = 0; i < concepts.length; i++) {
    const c = concepts.item(i)!;
    out.add(`${c.getAttribute('code')}|${c.getAttribute('codeSystem') ?? ''}`);
  }
  return out;
}

/** Lookup over J07, J01, J04, J02 and J142 read from `<cdaFixtures>/jeuxDeValeurs`. */
export function jdvLookup(cdaFixtures: string): ValueSetLookup {
  const sets = new Map<string, Set<string>>();
  for (const [id, file] of Object.entries(FILES)) sets.set(id, readValueSet(path.join(cdaFixtures, 'jeuxDeValeurs', file)));
  return {
    has: (id: ValueSetId, code: string, codeSystem: string) => sets.get(id)?.has(`${code}|${codeSystem}`) ?? false,
    knows: (id: ValueSetId) => sets.has(id),
  };
}
