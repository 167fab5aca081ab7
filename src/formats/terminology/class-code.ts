/**
 * XDS `classCode` (TRE_A03-ClasseDocument, `1.2.250.1.213.1.1.4.1`) derived from the document
 * type (`ClinicalDocument/code` = typeCode), as NOS ASS_X04 does (documents.md §6). The NOS
 * table is not public in a repository: `data/class-codes.json` holds the expected entries for
 * the Ségur documents, every one marked "to confirm" until checked against ASS_X04.
 */
import { fail, ok, type Result } from '../result.ts';
import data from './data/class-codes.json' with { type: 'json' };

export type MappingStatus = 'confirmed' | 'to confirm';

export interface ClassCode {
  readonly code: string;
  readonly codingScheme: string;
  readonly displayName: string;
  /** "to confirm" while the entry is not checked against the official table. */
  readonly status: MappingStatus;
}

interface Mapping {
  typeCode: string;
  typeCodeSystem: string;
  classCode: string;
  status?: string;
}

const asStatus = (value: string | undefined): MappingStatus => (value === 'confirmed' ? 'confirmed' : 'to confirm');
const classes: Record<string, string> = data.classes;

const CLASS_CODES: readonly (ClassCode & { typeCode: string; typeCodeSystem: string })[] = (data.mappings as Mapping[]).map((mapping) =>
  Object.freeze({
    typeCode: mapping.typeCode,
    typeCodeSystem: mapping.typeCodeSystem,
    code: mapping.classCode,
    codingScheme: data.codingScheme,
    displayName: classes[mapping.classCode] ?? mapping.classCode,
    status: asStatus(mapping.status ?? data.status),
  }),
);

/** Provenance of the mapping, for documentation and conformance reports. */
export const classCodeSource: { readonly source: string; readonly status: MappingStatus } = Object.freeze({
  source: data.source,
  status: asStatus(data.status),
});

/**
 * The classCode of a document type, e.g. `11490-0` → `10` Compte rendu. Give the type's code
 * system to be exact (LOINC `2.16.840.1.113883.6.1`, TRE_A05 `1.2.250.1.213.1.1.4.12`).
 */
export function classCodeFor(typeCode: string, typeCodeSystem?: string): Result<ClassCode> {
  const found = CLASS_CODES.find((entry) =>
    entry.typeCode === typeCode && (typeCodeSystem === undefined || entry.typeCodeSystem === typeCodeSystem));
  if (found === undefined) {
    const system = typeCodeSystem === undefined ? '' : ` (${typeCodeSystem})`;
    return fail('code', `document type ${typeCode}${system} has no XDS classCode in the curated ASS_X04 subset`);
  }
  const { code, codingScheme, displayName, status } = found;
  return ok({ code, codingScheme, displayName, status });
}
