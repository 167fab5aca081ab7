/**
 * XDS `formatCode` of a CDA R2 (documents.md §2, §4, §6; dmp.md §5.2): level 1 from the
 * `nonXMLBody/text/@mediaType` (NOS ASS_A12), level 3 from the volet templateId (NOS ASS_A11).
 * Codes, coding schemes (TRE_A11 for `urn:ihe:*`, TRE_A06 for `urn:asip:*`) and display names
 * (JDV_J60-FormatCode-DMP) are in `data/format-codes.json` with their sources.
 */
import { fail, ok, type Result } from '../result.ts';
import data from './data/format-codes.json' with { type: 'json' };

export interface FormatCode {
  readonly code: string;
  readonly codingScheme: string;
  readonly displayName: string;
}

export type FormatCodeInput =
  | { level: 'N1'; mediaType: string }
  | { level: 'N3'; templateIds: readonly string[] };

const coded = (entry: FormatCode): FormatCode =>
  Object.freeze({ code: entry.code, codingScheme: entry.codingScheme, displayName: entry.displayName });

const N1 = new Map<string, FormatCode>(data.n1.map((entry) => [entry.mediaType, coded(entry)]));
const N3 = new Map<string, FormatCode>(data.n3.map((entry) => [entry.templateId, coded(entry)]));

/** Provenance of the mapping. */
export const formatCodeSource: string = data.source;

/** The volet templateIds that have an N3 formatCode (for checks and documentation). */
export const N3_TEMPLATE_IDS: readonly string[] = Object.freeze([...N3.keys()]);

/**
 * The formatCode of a CDA: N1 by media type (`application/pdf`, `text/plain`); N3 by the
 * document's templateIds, of which exactly one formatCode must follow (the HL7 France and
 * CI-SIS header templateIds are ignored; two different volets are an error).
 */
export function formatCodeFor(input: FormatCodeInput): Result<FormatCode> {
  if (input.level === 'N1') {
    const found = N1.get(input.mediaType);
    return found === undefined
      ? fail('nonXMLBody/text/@mediaType', `media type ${input.mediaType} has no XDS formatCode (application/pdf or text/plain expected)`)
      : ok(found);
  }
  const matches = new Map<string, FormatCode>();
  for (const templateId of input.templateIds) {
    const found = N3.get(templateId);
    if (found !== undefined) matches.set(found.code, found);
  }
  const [first, ...others] = [...matches.values()];
  if (first === undefined) return fail('templateId', 'no volet templateId with a known N3 formatCode (ASS_A11 subset)');
  if (others.length > 0) {
    return fail('templateId', `templateIds of several volets: ${[first, ...others].map((format) => format.code).join(', ')}`);
  }
  return ok(first);
}
