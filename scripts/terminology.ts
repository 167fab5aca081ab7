/**
 * Generator of the curated terminology subset in `src/formats/terminology/data/`.
 *
 * Reads the official NOS value sets (IHE SVS `RetrieveValueSetResponse`, namespace
 * `urn:ihe:iti:svs:2008`) of the ANS CI-SIS CDA test kit (`ansforge/TestContenuCDA-3-0`,
 * folder `jeuxDeValeurs/`) from `$PASSERELLE_FIXTURES/cda/jeuxDeValeurs` or
 * `../shared/fixtures/cda/jeuxDeValeurs`, and writes one JSON file per curated value set in our
 * own compact format (sorted concepts, one per line, so that diffs stay readable).
 *
 *   npx tsx scripts/terminology.ts            regenerate the data files
 *   npx tsx scripts/terminology.ts --check    exit 1 when the committed data differ
 *
 * The hand-curated mappings (`class-codes.json`, `format-codes.json`) are not generated: this
 * script never touches them.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DOMParser, type Element } from '@xmldom/xmldom';

const SVS_NS = 'urn:ihe:iti:svs:2008';
const SOURCE_REPOSITORY = 'ansforge/TestContenuCDA-3-0';
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Where the generated files go. */
export const DATA_DIR = path.join(REPO_ROOT, 'src/formats/terminology/data');

/**
 * The value sets Passerelle needs now (documents.md §3, §6; dmp.md §5.2), by our id and the
 * file name in the kit. Keep in step with `ValueSetId` in `src/formats/terminology/index.ts`.
 */
export const CURATED = [
  { id: 'JDV_J01', file: 'JDV_J01_XdsAuthorSpecialty_CISIS.xml' },
  { id: 'JDV_J02', file: 'JDV_J02_XdsHealthcareFacilityTypeCode_CISIS.xml' },
  { id: 'JDV_J04', file: 'JDV_J04_XdsPracticeSettingCode_CISIS.xml' },
  { id: 'JDV_J07', file: 'JDV_J07_XdsTypeCode_CISIS.xml' },
  { id: 'JDV_J08', file: 'JDV_J08_XdsConfidentialityCode_CISIS.xml' },
  { id: 'JDV_J47', file: 'JDV_J47_FunctionCode_CISIS.xml' },
  { id: 'JDV_J142', file: 'JDV_J142_TypeRencontre_CISIS.xml' },
  { id: 'JDV_J143', file: 'JDV_J143_AdministrativeGender_CISIS.xml' },
  { id: 'JDV_J144', file: 'JDV_J144_ParticipationType_CISIS.xml' },
  { id: 'JDV_J197', file: 'JDV_J197_XdsTypesIdentifiantsReferenceId_CISIS.xml' },
  { id: 'JDV_J231', file: 'JDV_J231_XdsTypesIdentifiantsReferenceId_DMP.xml' },
  { id: 'JDV_J245', file: 'JDV_J245_Civilite_CISIS.xml' },
  { id: 'JDV_J246', file: 'JDV_J246_Titre_CISIS.xml' },
  { id: 'JDV_HL7_Confidentiality', file: 'JDV_HL7_Confidentiality_CISIS.xml' },
  { id: 'JDV_EncompassingEncounterCode', file: 'JDV_EncompassingEncounterCode_CISIS.xml' },
] as const;

/** One generated data file (the shape `src/formats/terminology/index.ts` reads). */
export interface ValueSetFile {
  id: string;
  oid: string;
  /** `ValueSet/@displayName` without the `.tabs` suffix of the NOS export. */
  name: string;
  description: string | null;
  /** `<repository> jeuxDeValeurs/<file>`. */
  source: string;
  /** `ValueSet/@urlFichier` (NOS publication page) when given. */
  url: string | null;
  /** NOS dates `YYYYMMDDhhmmss` when given (absent from the HL7-derived sets). */
  dateValid: string | null;
  dateMaj: string | null;
  /** `ValueSet/@revisionDate` (ISO 8601), present in every file: the version we generated from. */
  revisionDate: string | null;
  /** `[code, codeSystem, displayName]`, sorted by code then codeSystem. */
  concepts: [string, string, string][];
}

export type DataFiles = Map<string, string>;

/** `JDV_J07` → `JDV_J07.json`. */
export const dataFileName = (id: string): string => `${id}.json`;

const attr = (element: Element, name: string): string | null => {
  const value = element.getAttribute(name);
  return value === null || value === '' ? null : value;
};

const byCodeThenSystem = (a: [string, string, string], b: [string, string, string]): number =>
  a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;

/**
 * Parses one SVS file. Throws with the file name on anything unexpected (this is a build tool:
 * a malformed official file must stop the generation, not produce partial data). Concepts with
 * a non-empty `dateFin` (retired) are left out.
 */
export function parseValueSet(xml: string, id: string, file: string): ValueSetFile {
  const fail = (rule: string): never => {
    throw new Error(`${file}: ${rule}`);
  };
  const doc = new DOMParser({ onError: (level, message) => { if (level !== 'warning') fail(`XML ${level}: ${message}`); } })
    .parseFromString(xml, 'text/xml');
  const root = doc.documentElement;
  if (root === null || root.namespaceURI !== SVS_NS || root.localName !== 'RetrieveValueSetResponse') {
    return fail(`root must be {${SVS_NS}}RetrieveValueSetResponse`);
  }
  const valueSets = root.getElementsByTagNameNS(SVS_NS, 'ValueSet');
  if (valueSets.length !== 1) return fail(`expected exactly one ValueSet, found ${valueSets.length}`);
  const valueSet = valueSets.item(0) as Element;
  const oid = attr(valueSet, 'id') ?? fail('ValueSet/@id (OID) missing');
  const displayName = attr(valueSet, 'displayName') ?? fail('ValueSet/@displayName missing');
  if (attr(valueSet, 'dateFin') !== null) fail(`value set retired (dateFin ${attr(valueSet, 'dateFin')})`);

  const concepts: [string, string, string][] = [];
  const seen = new Set<string>();
  const elements = valueSet.getElementsByTagNameNS(SVS_NS, 'Concept');
  for (let i = 0; i < elements.length; i++) {
    const concept = elements.item(i) as Element;
    const code = attr(concept, 'code') ?? fail(`Concept #${i + 1}: @code missing`);
    const codeSystem = attr(concept, 'codeSystem') ?? fail(`Concept ${code}: @codeSystem missing`);
    const label = attr(concept, 'displayName') ?? fail(`Concept ${code}: @displayName missing`);
    if (attr(concept, 'dateFin') !== null) continue;
    const key = `${codeSystem}|${code}`;
    if (seen.has(key)) fail(`Concept ${code} (${codeSystem}) listed twice`);
    seen.add(key);
    concepts.push([code, codeSystem, label]);
  }
  if (concepts.length === 0) fail('no active concept');
  concepts.sort(byCodeThenSystem);

  return {
    id,
    oid,
    name: displayName.replace(/\.tabs$/, ''),
    description: attr(valueSet, 'description'),
    source: `${SOURCE_REPOSITORY} jeuxDeValeurs/${file}`,
    url: attr(valueSet, 'urlFichier'),
    dateValid: attr(valueSet, 'dateValid'),
    dateMaj: attr(valueSet, 'dateMaj'),
    revisionDate: attr(valueSet, 'revisionDate'),
    concepts,
  };
}

/** Deterministic JSON: header fields one per line, then one concept per line. */
export function serializeValueSet(data: ValueSetFile): string {
  const { concepts, ...header } = data;
  const lines = Object.entries(header).map(([key, value]) => `  ${JSON.stringify(key)}: ${JSON.stringify(value)},`);
  const conceptLines = concepts.map((concept, i) => `    ${JSON.stringify(concept)}${i < concepts.length - 1 ? ',' : ''}`);
  return ['{', ...lines, '  "concepts": [', ...conceptLines, '  ]', '}', ''].join('\n');
}

/** The value-set folder: `$PASSERELLE_FIXTURES/cda/jeuxDeValeurs` or `../shared/fixtures/…`. */
export function valueSetDir(): string {
  const base = process.env.PASSERELLE_FIXTURES ?? path.resolve(REPO_ROOT, '../shared/fixtures');
  return path.join(base, 'cda', 'jeuxDeValeurs');
}

/** File name → content of every generated data file, computed in memory. */
export function generate(sourceDir: string = valueSetDir()): DataFiles {
  const files: DataFiles = new Map();
  for (const { id, file } of CURATED) {
    const xml = readFileSync(path.join(sourceDir, file), 'utf8');
    files.set(dataFileName(id), serializeValueSet(parseValueSet(xml, id, file)));
  }
  return files;
}

/**
 * Compares the committed data with a fresh generation: one line per difference (missing,
 * outdated, or a generated-looking `JDV_*.json` that is no longer curated). Empty = in sync.
 */
export function checkTerminology(sourceDir: string = valueSetDir(), dataDir: string = DATA_DIR): string[] {
  const expected = generate(sourceDir);
  const differences: string[] = [];
  for (const [name, content] of expected) {
    const file = path.join(dataDir, name);
    if (!existsSync(file)) differences.push(`${name}: missing`);
    else if (readFileSync(file, 'utf8') !== content) differences.push(`${name}: differs from ${sourceDir}`);
  }
  if (existsSync(dataDir)) {
    for (const name of readdirSync(dataDir)) {
      if (/^JDV_.*\.json$/.test(name) && !expected.has(name)) differences.push(`${name}: not a curated value set any more`);
    }
  }
  return differences;
}

function main(argv: string[]): number {
  const sourceDir = valueSetDir();
  if (!existsSync(sourceDir)) {
    console.error(`value sets not found in ${sourceDir} (set PASSERELLE_FIXTURES or provide ../shared/fixtures)`);
    return 2;
  }
  if (argv.includes('--check')) {
    const differences = checkTerminology(sourceDir);
    for (const line of differences) console.error(line);
    if (differences.length > 0) {
      console.error('terminology data out of date: run `npx tsx scripts/terminology.ts`');
      return 1;
    }
    console.log(`terminology data in sync with ${sourceDir} (${CURATED.length} value sets)`);
    return 0;
  }
  for (const [name, content] of generate(sourceDir)) {
    writeFileSync(path.join(DATA_DIR, name), content);
    console.log(`wrote ${path.relative(REPO_ROOT, path.join(DATA_DIR, name))}`);
  }
  return 0;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
