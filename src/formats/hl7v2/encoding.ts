/**
 * Delimiters of an ER7 message, read from MSH-1 (field separator) and MSH-2 (component,
 * repetition, escape, subcomponent and, from v2.7, truncation characters) — HL7 v2.5 §2.5.4.
 */
import { fail, ok, type Result } from '../result.ts';

export interface EncodingCharacters {
  field: string;
  component: string;
  repetition: string;
  escape: string;
  subcomponent: string;
  /** v2.7+ truncation character, when MSH-2 has 5 characters. */
  truncation?: string;
}

/** `|^~\&`: the recommended delimiters, used for every message we build. */
export const DEFAULT_ENCODING: EncodingCharacters = Object.freeze({
  field: '|',
  component: '^',
  repetition: '~',
  escape: '\\',
  subcomponent: '&',
});

/** MSH-2 text for an encoding (`^~\&`). */
export const encodingCharactersText = (enc: EncodingCharacters): string =>
  enc.component + enc.repetition + enc.escape + enc.subcomponent + (enc.truncation ?? '');

/** Printable ASCII, neither a letter nor a digit nor a space. */
function isDelimiterChar(code: number): boolean {
  if (code <= 0x20 || code >= 0x7f) return false;
  if (code >= 0x30 && code <= 0x39) return false;
  if (code >= 0x41 && code <= 0x5a) return false;
  if (code >= 0x61 && code <= 0x7a) return false;
  return true;
}

const describeChar = (ch: string): string =>
  `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * Reads MSH-1 and MSH-2 from the first segment (which must start with `MSH`).
 * Rule: MSH-1 and the 4 (or 5) MSH-2 characters are distinct printable ASCII punctuation.
 */
export function readEncoding(firstSegment: string): Result<EncodingCharacters> {
  if (firstSegment.length < 4) return fail('MSH-1', 'the MSH segment must declare a field separator after "MSH"');
  const field = firstSegment[3] as string;
  if (!isDelimiterChar(field.charCodeAt(0))) {
    return fail('MSH-1', `field separator must be a printable ASCII punctuation character, got ${describeChar(field)}`);
  }
  let end = firstSegment.indexOf(field, 4);
  if (end < 0) end = firstSegment.length;
  const declared = firstSegment.slice(4, end);
  const chars = Array.from(declared);
  const shown = JSON.stringify(declared);
  if (chars.length !== 4 && chars.length !== 5) {
    return fail('MSH-2', `encoding characters must be 4 distinct characters (5 with the v2.7 truncation character), got ${shown}`);
  }
  const seen = new Set<string>([field]);
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] as string;
    if (!isDelimiterChar(ch.codePointAt(0) ?? 0)) {
      return fail('MSH-2', `encoding characters must be 4 distinct printable ASCII punctuation characters, got ${shown} (character ${i + 1} is ${describeChar(ch)})`);
    }
    if (seen.has(ch)) {
      return fail('MSH-2', `encoding characters must be 4 distinct characters, different from the field separator, got ${shown} ("${ch}" repeated)`);
    }
    seen.add(ch);
  }
  const [component, repetition, escape, subcomponent, truncation] = chars as [string, string, string, string, string?];
  return ok(truncation === undefined
    ? { field, component, repetition, escape, subcomponent }
    : { field, component, repetition, escape, subcomponent, truncation });
}
