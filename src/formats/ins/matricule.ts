/**
 * Matricule INS: 13 characters (NIR or NIA) + 2-digit check key (identity.md §2).
 *
 * Layout: sex (1) year (2) month (2) birthplace (5: department + commune, or 99 + country)
 * order (3) key (2). Key = 97 − (N mod 97), N = the 13 characters as an integer after
 * replacing Corsica's 2A by 19 and 2B by 18.
 *
 * On entry a wrong key is an error; on receipt it is only a warning, because official test
 * data carries wrong keys (HERMANN GATIEN, DE VINCI DONATELLO).
 */
import { fail, ok, type Result } from '../result.ts';

export interface Matricule {
  /** The 15 characters as carried in messages. */
  value: string;
  /** The 13-character NIR/NIA. */
  number: string;
  /** The 2-digit key as given. */
  key: string;
  /** The key computed from `number`. */
  expectedKey: string;
  keyValid: boolean;
}

const SHAPE = /^\d{6}[0-9AB]\d{6}$/;

/** Check key of a 13-character NIR/NIA, or undefined when the number is malformed. */
export function computeKey(number: string): string | undefined {
  const upper = number.toUpperCase();
  if (!/^\d{5}(\d{2}|2A|2B)\d{6}$/.test(upper)) return undefined;
  const numeric = upper.slice(0, 5) + upper.slice(5, 7).replace('2A', '19').replace('2B', '18') + upper.slice(7);
  const key = 97 - (Number(numeric) % 97);
  return String(key).padStart(2, '0');
}

/**
 * Reads a 15-character matricule. Structure errors fail; a key mismatch is reported in
 * `keyValid` so that the caller decides (entry: error, receipt: warning).
 */
export function parseMatricule(input: string, field = 'matricule'): Result<Matricule> {
  const value = input.trim().toUpperCase();
  if (value.length !== 15) return fail(field, `a matricule INS has 15 characters, got ${value.length}`);
  const number = value.slice(0, 13);
  const key = value.slice(13);
  if (!SHAPE.test(number) || !/^\d{2}$/.test(key)) {
    return fail(field, 'expected 13 digits (2A/2B allowed at positions 6–7) followed by a 2-digit key');
  }
  const expectedKey = computeKey(number);
  if (expectedKey === undefined) return fail(field, '2A/2B may only stand at positions 6–7');
  return ok({ value, number, key, expectedKey, keyValid: key === expectedKey });
}

/** Entry rule: the matricule must be well formed and its key must match. */
export function checkMatriculeOnEntry(input: string, field = 'matricule'): Result<Matricule> {
  const parsed = parseMatricule(input, field);
  if (!parsed.ok) return parsed;
  if (!parsed.value.keyValid) return fail(field, `INS key ${parsed.value.key} does not match ${parsed.value.expectedKey}`);
  return parsed;
}

/** Receipt rule: structure errors fail; a wrong key yields a warning text beside the value. */
export function checkMatriculeOnReceipt(
  input: string,
  field = 'matricule',
): Result<{ matricule: Matricule; warning?: string }> {
  const parsed = parseMatricule(input, field);
  if (!parsed.ok) return parsed;
  const m = parsed.value;
  return ok(m.keyValid ? { matricule: m } : { matricule: m, warning: `${field}: INS key ${m.key} does not match ${m.expectedKey}` });
}
