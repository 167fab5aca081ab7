/**
 * Text content of the DataMatrix INS (ANS *Datamatrix INS* v2.2; identity.md §8).
 *
 * Header (26 characters): `IS` + version `01` + 22 × `0`. Then blocks, each a 2-character id
 * and its value:
 *
 * | id | content                          | length          |
 * |----|----------------------------------|-----------------|
 * | S1 | matricule INS with its key       | fixed 15        |
 * | S2 | OID of the assigning authority   | variable ≤ 20   |
 * | S3 | liste des prénoms de naissance   | variable ≤ 100  |
 * | S4 | nom de naissance                 | variable ≤ 100  |
 * | S5 | sexe M/F                         | fixed 1         |
 * | S6 | date de naissance JJ-MM-AAAA     | fixed 10        |
 * | S7 | COG du lieu de naissance         | fixed 5, omitted when unknown |
 *
 * GS (0x1D) ends a variable-length field shorter than its maximum that is not the last
 * field; never after a fixed-length field or a field at its maximum.
 *
 * The reader is lenient like deployed readers (MB parser): blocks in any order, the real 0x1D
 * or the literal text `<GS>`, a missing GS before the next block, a wrong matricule key
 * (official test data has some) reported as a warning.
 */
import { checkBirthplace, checkProfile, parseBirthDate } from '../ins/traits.ts';
import { parseMatricule } from '../ins/matricule.ts';
import { fail, ok, type Result } from '../result.ts';

/** Group separator, ASCII 29. */
export const GS = '\x1d';
export const INS_DATAMATRIX_VERSION = '01';
/** `IS` + version `01` + 22 reserved zeros: 26 characters, to be C40-encoded in the symbol. */
export const INS_DATAMATRIX_HEADER = `IS${INS_DATAMATRIX_VERSION}${'0'.repeat(22)}`;

/** What the DataMatrix INS carries: the INS and its five traits. */
export interface InsDataMatrixContent {
  /** 15 characters: NIR or NIA + key. */
  matricule: string;
  /** OID of the assigning authority (e.g. 1.2.250.1.213.1.4.8). */
  oid: string;
  /** Space-separated list of birth prénoms. */
  birthGivenNames: string;
  birthName: string;
  sex: 'M' | 'F';
  /** YYYY-MM-DD (00 allowed for unknown parts). */
  birthDate: string;
  /** 5-character COG; absent when unknown. */
  birthplace?: string;
}

/** Input of the encoder: sex is widened so that `U` is reported as an error, not a type clash. */
export type InsPayloadInput = Omit<InsDataMatrixContent, 'sex'> & { sex: string };

export interface DecodedInsPayload {
  content: InsDataMatrixContent;
  /** Header version (`01`). */
  version: string;
  /** Tolerated deviations (wrong key, GS missing, names outside the INSi profile…). */
  warnings: string[];
}

type BlockId = 'S1' | 'S2' | 'S3' | 'S4' | 'S5' | 'S6' | 'S7';

interface BlockRule {
  /** Exact length of a fixed field, or maximum of a variable one. */
  length: number;
  fixed: boolean;
}

const BLOCKS: Record<BlockId, BlockRule> = {
  S1: { length: 15, fixed: true },
  S2: { length: 20, fixed: false },
  S3: { length: 100, fixed: false },
  S4: { length: 100, fixed: false },
  S5: { length: 1, fixed: true },
  S6: { length: 10, fixed: true },
  S7: { length: 5, fixed: true },
};

const OID_SHAPE = /^[0-2](\.(0|[1-9]\d*))+$/;

/**
 * Builds the payload text (with real 0x1D separators). Validates every field: matricule
 * structure and key, OID syntax and length, names against the INSi profile (≤ 100), sex M/F,
 * date, COG.
 */
export function encodeInsPayload(input: InsPayloadInput): Result<string> {
  const matricule = parseMatricule(input.matricule, 'S1');
  if (!matricule.ok) return matricule;
  if (!matricule.value.keyValid) {
    return fail('S1', `INS key ${matricule.value.key} does not match ${matricule.value.expectedKey}`);
  }
  if (!OID_SHAPE.test(input.oid)) return fail('S2', `expected an OID, got "${input.oid}"`);
  if (input.oid.length > BLOCKS.S2.length) return fail('S2', `at most ${BLOCKS.S2.length} characters, got ${input.oid.length}`);
  const givenNames = checkProfile(input.birthGivenNames, 'S3', BLOCKS.S3.length);
  if (!givenNames.ok) return givenNames;
  const birthName = checkProfile(input.birthName, 'S4', BLOCKS.S4.length);
  if (!birthName.ok) return birthName;
  if (input.sex !== 'M' && input.sex !== 'F') return fail('S5', `expected M or F, got "${input.sex}"`);
  const date = parseBirthDate(input.birthDate, 'S6');
  if (!date.ok) return date;
  const { year, month, day } = date.value;
  const birthDate = `${pad(day, 2)}-${pad(month, 2)}-${pad(year, 4)}`;

  const blocks: Array<[BlockId, string]> = [
    ['S1', matricule.value.value],
    ['S2', input.oid],
    ['S3', input.birthGivenNames],
    ['S4', input.birthName],
    ['S5', input.sex],
    ['S6', birthDate],
  ];
  if (input.birthplace !== undefined && input.birthplace !== '') {
    const place = checkBirthplace(input.birthplace, 'S7');
    if (!place.ok) return place;
    blocks.push(['S7', input.birthplace]);
  }

  let text = INS_DATAMATRIX_HEADER;
  blocks.forEach(([id, value], index) => {
    text += id + value;
    const rule = BLOCKS[id];
    const last = index === blocks.length - 1;
    if (!rule.fixed && !last && value.length < rule.length) text += GS;
  });
  return ok(text);
}

/**
 * Reads a scanned DataMatrix INS text. Never throws; structure errors fail with the block id
 * as field, tolerated deviations come back as warnings.
 */
export function decodeInsPayload(input: string): Result<DecodedInsPayload> {
  if (typeof input !== 'string') return fail('DataMatrix INS', 'expected text');
  const warnings: string[] = [];
  // A scanner may prefix the AIM symbology identifier (]d1) and append CR/LF.
  let text = input.replace(/^\]d\d/, '').replace(/[\r\n]+$/, '');
  if (text.includes('<GS>')) text = text.replaceAll('<GS>', GS);

  if (text.length < INS_DATAMATRIX_HEADER.length) return fail('header', `expected 26 characters starting with IS, got ${text.length} characters`);
  if (!text.startsWith('IS')) return fail('header', 'expected the header to start with IS');
  const version = text.slice(2, 4);
  if (version !== INS_DATAMATRIX_VERSION) return fail('header', `unsupported version "${version}" (expected 01)`);
  if (text.slice(4, 26) !== '0'.repeat(22)) warnings.push('header: the 22 reserved characters are not all 0');

  const values = new Map<BlockId, string>();
  let at = INS_DATAMATRIX_HEADER.length;
  while (at < text.length) {
    if (text[at] === GS) {
      warnings.push(`GS at position ${at} does not end a variable-length field`);
      at += 1;
      continue;
    }
    const id = text.slice(at, at + 2);
    if (!isBlockId(id)) return fail('DataMatrix INS', `unknown block "${printable(id)}" at position ${at}`);
    if (values.has(id)) return fail(id, 'block appears twice');
    const rule = BLOCKS[id];
    at += 2;
    let value: string;
    if (rule.fixed) {
      value = text.slice(at, at + rule.length);
      if (value.length < rule.length || value.includes(GS)) return fail(id, `expected ${rule.length} characters`);
      at += rule.length;
    } else {
      const end = endOfVariableField(text, at);
      value = text.slice(at, end);
      if (value.length > rule.length) return fail(id, `at most ${rule.length} characters, got ${value.length}`);
      at = end;
      if (text[at] === GS) {
        if (value.length === rule.length) warnings.push(`${id}: GS after a field at its maximum length`);
        at += 1;
      } else if (at < text.length && value.length < rule.length) {
        warnings.push(`${id}: GS missing before the next block`);
      }
    }
    values.set(id, value);
  }

  for (const id of ['S1', 'S2', 'S3', 'S4', 'S5', 'S6'] as const) {
    if (!values.has(id)) return fail(id, 'block is missing');
  }
  const get = (id: BlockId): string => values.get(id) ?? '';

  const matricule = parseMatricule(get('S1'), 'S1');
  if (!matricule.ok) return matricule;
  if (!matricule.value.keyValid) warnings.push(`S1: INS key ${matricule.value.key} does not match ${matricule.value.expectedKey}`);

  const oid = get('S2');
  if (!OID_SHAPE.test(oid)) return fail('S2', `expected an OID, got "${printable(oid)}"`);

  const birthGivenNames = get('S3');
  const birthName = get('S4');
  for (const [id, value] of [['S3', birthGivenNames], ['S4', birthName]] as const) {
    if (value.length === 0) return fail(id, 'must not be empty');
    const profile = checkProfile(value, id, BLOCKS[id].length);
    if (!profile.ok) warnings.push(`${profile.error.field}: ${profile.error.rule}`);
  }

  const sex = get('S5');
  if (sex !== 'M' && sex !== 'F') return fail('S5', `expected M or F, got "${printable(sex)}"`);

  const dateMatch = /^(\d{2})-(\d{2})-(\d{4})$/.exec(get('S6'));
  if (!dateMatch) return fail('S6', `expected JJ-MM-AAAA, got "${printable(get('S6'))}"`);
  const birthDate = `${dateMatch[3]}-${dateMatch[2]}-${dateMatch[1]}`;
  const date = parseBirthDate(birthDate, 'S6');
  if (!date.ok) return date;

  const content: InsDataMatrixContent = { matricule: matricule.value.value, oid, birthGivenNames, birthName, sex, birthDate };
  if (values.has('S7')) {
    const place = checkBirthplace(get('S7'), 'S7');
    if (!place.ok) return place;
    content.birthplace = place.value;
  }
  return ok({ content, version, warnings });
}

const isBlockId = (id: string): id is BlockId => Object.hasOwn(BLOCKS, id);

/**
 * A variable field ends at GS, at the end of the text, or — when GS was forgotten — where the
 * next block id starts. No valid value contains `S` followed by 1–7: names have no digits and
 * OIDs have no letters.
 */
function endOfVariableField(text: string, from: number): number {
  for (let i = from; i < text.length; i += 1) {
    const c = text[i];
    if (c === GS) return i;
    if (c === 'S') {
      const next = text.charCodeAt(i + 1);
      if (next >= 0x31 && next <= 0x37) return i;
    }
  }
  return text.length;
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** Shows control characters in error texts (GS as <GS>). */
const printable = (value: string): string => value.replace(/[\x00-\x1f]/g, (c) => (c === GS ? '<GS>' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
