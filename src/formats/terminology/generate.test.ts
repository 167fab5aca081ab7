/**
 * The committed data files are exactly what `scripts/terminology.ts` generates from the official
 * value sets (the same check as `npx tsx scripts/terminology.ts --check`), and the generator's
 * parsing rules hold on small synthetic SVS documents.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { requireFixtures, skipReason } from '../../../test/support/fixtures.ts';
import { CURATED, checkTerminology, parseValueSet, serializeValueSet } from '../../../scripts/terminology.ts';
import { VALUE_SET_IDS, valueSet } from './index.ts';

const SUB = 'cda/jeuxDeValeurs';
const dir = requireFixtures(SUB);

describe.skipIf(dir === undefined)(`terminology data in sync with the official value sets${dir === undefined ? ` (${skipReason(SUB)})` : ''}`, () => {
  it('regenerates byte for byte', () => {
    expect(checkTerminology(dir)).toEqual([]);
  });
});

describe('generator', () => {
  it('covers exactly the ids of the public API', () => {
    expect(CURATED.map((entry) => entry.id).sort()).toEqual([...VALUE_SET_IDS].sort());
    for (const { id, file } of CURATED) expect(valueSet(id).source.endsWith(`/${file}`)).toBe(true);
  });

  const svs = (concepts: string, valueSetAttributes = 'id="1.2.3.4" displayName="JDV_X_Test.tabs" dateValid="20200101000000" dateMaj="20210101000000" dateFin=""') =>
    `<?xml version="1.0" encoding="UTF-8"?><RetrieveValueSetResponse xmlns="urn:ihe:iti:svs:2008"><ValueSet ${valueSetAttributes}><ConceptList>${concepts}</ConceptList></ValueSet></RetrieveValueSetResponse>`;

  it('sorts concepts, drops retired ones and strips the .tabs suffix', () => {
    const data = parseValueSet(
      svs('<Concept code="B" codeSystem="1.1" displayName="Bé"/><Concept code="A" codeSystem="1.2" displayName="A2"/><Concept code="A" codeSystem="1.1" displayName="A1"/><Concept code="Z" codeSystem="1.1" displayName="old" dateFin="20220101000000"/>'),
      'JDV_X',
      'JDV_X_Test.xml',
    );
    expect(data).toMatchObject({ id: 'JDV_X', oid: '1.2.3.4', name: 'JDV_X_Test', dateValid: '20200101000000', dateMaj: '20210101000000', source: 'ansforge/TestContenuCDA-3-0 jeuxDeValeurs/JDV_X_Test.xml' });
    expect(data.concepts).toEqual([['A', '1.1', 'A1'], ['A', '1.2', 'A2'], ['B', '1.1', 'Bé']]);
    const text = serializeValueSet(data);
    expect(JSON.parse(text)).toEqual(data);
    expect(text).toContain('\n    ["A","1.1","A1"],\n');
  });

  it('refuses malformed files', () => {
    expect(() => parseValueSet('<ValueSet id="1"/>', 'X', 'x.xml')).toThrow(/x\.xml: root/);
    expect(() => parseValueSet(svs('<Concept code="A" codeSystem="1.1"/>'), 'X', 'x.xml')).toThrow(/displayName missing/);
    expect(() => parseValueSet(svs('<Concept code="A" codeSystem="1.1" displayName="a"/><Concept code="A" codeSystem="1.1" displayName="b"/>'), 'X', 'x.xml')).toThrow(/twice/);
    expect(() => parseValueSet(svs('', 'id="1.2" displayName="X"'), 'X', 'x.xml')).toThrow(/no active concept/);
    expect(() => parseValueSet(svs('<Concept code="A" codeSystem="1" displayName="a"/>', 'displayName="X"'), 'X', 'x.xml')).toThrow(/OID/);
    expect(() => parseValueSet('<RetrieveValueSetResponse xmlns="urn:ihe:iti:svs:2008"><ValueSet', 'X', 'x.xml')).toThrow(/x\.xml/);
  });
});

describe('README', () => {
  it('lists every curated value set with its OID and version', () => {
    const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
    for (const id of VALUE_SET_IDS) {
      const set = valueSet(id);
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${id}\` |`));
      expect(row, id).toBeDefined();
      expect(row).toContain(`\`${set.oid}\``);
      expect(row).toContain(`| ${set.concepts.length} |`);
      expect(row).toContain(set.dateMaj ?? (set.revisionDate ?? '').slice(0, 10));
    }
  });
});
