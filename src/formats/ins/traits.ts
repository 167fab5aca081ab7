/**
 * The five traits INS and the INSi character profile (identity.md §4).
 *
 * Names: upper case A–Z, space, apostrophe, hyphen, and the double hyphen `--` between two
 * names. Prénoms de naissance: one space-separated list whose first token is the premier
 * prénom (`PIERRE-ALAIN MURIEL` → `PIERRE-ALAIN`). Dates `YYYY-MM-DD`, possibly partial
 * (00 for unknown parts). Sex M/F (U allowed outside INS). Birthplace: 5-character COG, or
 * 99 + INSEE country code when born abroad.
 */
import { fail, ok, type Result } from '../result.ts';

export type Sex = 'M' | 'F' | 'U';

export interface InsTraits {
  birthName: string;
  /** Space-separated list of birth prénoms, as INSi returns it (ListePrenom). */
  birthGivenNames: string;
  /** YYYY-MM-DD, possibly with 00 for unknown month/day. */
  birthDate: string;
  sex: Sex;
  /** COG of the birthplace (commune, or 99xxx abroad); absent when unknown. */
  birthplace?: string;
}

const PROFILE = /^[A-Z]+(?:(?: |'|-|--)[A-Z]+)*$/;
const MAX_NAME = 100;

/**
 * Upper-cases and strips diacritics (É → E, Ç → C) so that ordinary spellings fit the INSi
 * profile. Characters with no such reading (Æ, Œ, typographic apostrophes, digits…) are kept
 * so that validation names them.
 */
export function toInsiProfile(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toUpperCase()
    .replace(/\s+/g, ' ')
    .trim();
}

/** Validates one name or prénom list against the INSi character profile. */
export function checkProfile(value: string, field: string, maxLength = MAX_NAME): Result<string> {
  if (value.length === 0) return fail(field, 'must not be empty');
  if (value.length > maxLength) return fail(field, `at most ${maxLength} characters, got ${value.length}`);
  const forbidden = value.match(/[ÆŒæœ’‘`´]/u);
  if (forbidden) return fail(field, `character "${forbidden[0]}" is not allowed by INSi (write AE, OE or ')`);
  if (!PROFILE.test(value)) {
    const bad = value.match(/[^A-Z' -]/u);
    return fail(field, bad
      ? `character "${bad[0]}" is not allowed: upper-case letters, space, apostrophe and hyphen only`
      : 'separators must stand between letters (single space, apostrophe, hyphen or double hyphen)');
  }
  return ok(value);
}

/** Premier prénom = first space-delimited token of the list of birth prénoms. */
export const firstGivenName = (birthGivenNames: string): string => birthGivenNames.trim().split(' ')[0] ?? '';

/** Each prénom of the list, in order. */
export const givenNameList = (birthGivenNames: string): string[] =>
  birthGivenNames.trim().split(' ').filter((p) => p.length > 0);

export interface BirthDate {
  year: number;
  month: number;
  day: number;
  /** Month or day unknown (00). */
  partial: boolean;
}

/** Reads YYYY-MM-DD or YYYYMMDD (HL7 v2), with 00 allowed for unknown parts. */
export function parseBirthDate(value: string, field = 'birthDate'): Result<BirthDate> {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(value);
  if (!m) return fail(field, `expected YYYY-MM-DD, got "${value}"`);
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month > 12) return fail(field, `month ${m[2]} is out of range`);
  if (day > 31) return fail(field, `day ${m[3]} is out of range`);
  const partial = month === 0 || day === 0;
  if (!partial) {
    const probe = new Date(Date.UTC(year, month - 1, day));
    if (probe.getUTCMonth() !== month - 1) return fail(field, `${value} is not a calendar date`);
  }
  return ok({ year, month, day, partial });
}

/** COG of a birthplace: 5 characters, digits with 2A/2B for Corsica, 99xxx for abroad. */
export function checkBirthplace(value: string, field = 'birthplace'): Result<string> {
  if (!/^(\d{5}|2[AB]\d{3})$/.test(value)) return fail(field, `expected a 5-character COG code (e.g. 63220, 2A020, 99255), got "${value}"`);
  return ok(value);
}

export const isBornAbroad = (cog: string): boolean => cog.startsWith('99');

/** Validates a full set of traits as entered by staff (normalising names first). */
export function checkTraits(input: InsTraits): Result<InsTraits> {
  const birthName = toInsiProfile(input.birthName);
  const birthGivenNames = toInsiProfile(input.birthGivenNames);
  const name = checkProfile(birthName, 'birthName');
  if (!name.ok) return name;
  const given = checkProfile(birthGivenNames, 'birthGivenNames');
  if (!given.ok) return given;
  const date = parseBirthDate(input.birthDate);
  if (!date.ok) return date;
  if (!['M', 'F', 'U'].includes(input.sex)) return fail('sex', `expected M, F or U, got "${input.sex}"`);
  if (input.birthplace !== undefined && input.birthplace !== '') {
    const place = checkBirthplace(input.birthplace);
    if (!place.ok) return place;
  }
  const traits: InsTraits = { birthName, birthGivenNames, birthDate: input.birthDate, sex: input.sex };
  if (input.birthplace) traits.birthplace = input.birthplace;
  return ok(traits);
}
