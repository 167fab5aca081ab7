/**
 * The curated NOS value sets (JDV) Passerelle uses to build and check CDA headers and XDS
 * metadata (documents.md §3, §6; dmp.md §5.2). The data files are generated from the official
 * SVS files of the CI-SIS CDA test kit by `scripts/terminology.ts`; each records its source
 * file, OID and NOS dates. Lookups are exact: code and codeSystem as written in the document.
 */
import j01 from './data/JDV_J01.json' with { type: 'json' };
import j02 from './data/JDV_J02.json' with { type: 'json' };
import j04 from './data/JDV_J04.json' with { type: 'json' };
import j07 from './data/JDV_J07.json' with { type: 'json' };
import j08 from './data/JDV_J08.json' with { type: 'json' };
import j47 from './data/JDV_J47.json' with { type: 'json' };
import j142 from './data/JDV_J142.json' with { type: 'json' };
import j143 from './data/JDV_J143.json' with { type: 'json' };
import j144 from './data/JDV_J144.json' with { type: 'json' };
import j197 from './data/JDV_J197.json' with { type: 'json' };
import j231 from './data/JDV_J231.json' with { type: 'json' };
import j245 from './data/JDV_J245.json' with { type: 'json' };
import j246 from './data/JDV_J246.json' with { type: 'json' };
import hl7Confidentiality from './data/JDV_HL7_Confidentiality.json' with { type: 'json' };
import encompassingEncounterCode from './data/JDV_EncompassingEncounterCode.json' with { type: 'json' };

/**
 * Curated value sets, by NOS number (CI-SIS unless said otherwise):
 * J01 XdsAuthorSpecialty, J02 XdsHealthcareFacilityTypeCode, J04 XdsPracticeSettingCode,
 * J07 XdsTypeCode, J08 XdsConfidentialityCode, J47 FunctionCode, J142 TypeRencontre,
 * J143 AdministrativeGender, J144 ParticipationType, J197 XdsTypesIdentifiantsReferenceId,
 * J231 XdsTypesIdentifiantsReferenceId (DMP), J245 Civilite (name prefix), J246 Titre (name
 * suffix), HL7 Confidentiality (CDA confidentialityCode), EncompassingEncounterCode.
 */
export type ValueSetId =
  | 'JDV_J01'
  | 'JDV_J02'
  | 'JDV_J04'
  | 'JDV_J07'
  | 'JDV_J08'
  | 'JDV_J47'
  | 'JDV_J142'
  | 'JDV_J143'
  | 'JDV_J144'
  | 'JDV_J197'
  | 'JDV_J231'
  | 'JDV_J245'
  | 'JDV_J246'
  | 'JDV_HL7_Confidentiality'
  | 'JDV_EncompassingEncounterCode';

export interface Concept {
  readonly code: string;
  readonly codeSystem: string;
  readonly displayName: string;
}

export interface ValueSet {
  readonly id: ValueSetId;
  /** `ValueSet/@id` of the NOS file. */
  readonly oid: string;
  /** NOS name, e.g. `JDV_J07_XdsTypeCode_CISIS`. */
  readonly name: string;
  readonly description: string | null;
  /** Repository and file the data were generated from. */
  readonly source: string;
  /** NOS publication page. */
  readonly url: string | null;
  /** NOS version dates `YYYYMMDDhhmmss` (null for the HL7-derived sets, which only have `revisionDate`). */
  readonly dateValid: string | null;
  readonly dateMaj: string | null;
  readonly revisionDate: string | null;
  /** Sorted by code, then codeSystem. */
  readonly concepts: readonly Concept[];
}

/** The generated file shape (scripts/terminology.ts). */
interface ValueSetData {
  id: string;
  oid: string;
  name: string;
  description: string | null;
  source: string;
  url: string | null;
  dateValid: string | null;
  dateMaj: string | null;
  revisionDate: string | null;
  concepts: readonly (readonly string[])[];
}

const DATA: Record<ValueSetId, ValueSetData> = {
  JDV_J01: j01,
  JDV_J02: j02,
  JDV_J04: j04,
  JDV_J07: j07,
  JDV_J08: j08,
  JDV_J47: j47,
  JDV_J142: j142,
  JDV_J143: j143,
  JDV_J144: j144,
  JDV_J197: j197,
  JDV_J231: j231,
  JDV_J245: j245,
  JDV_J246: j246,
  JDV_HL7_Confidentiality: hl7Confidentiality,
  JDV_EncompassingEncounterCode: encompassingEncounterCode,
};

export const VALUE_SET_IDS = Object.freeze(Object.keys(DATA) as ValueSetId[]);

interface Indexed {
  valueSet: ValueSet;
  /** code → concepts with that code (one per code system). */
  byCode: ReadonlyMap<string, readonly Concept[]>;
}

function index(id: ValueSetId, data: ValueSetData): Indexed {
  const concepts = data.concepts.map(([code = '', codeSystem = '', displayName = '']): Concept =>
    Object.freeze({ code, codeSystem, displayName }));
  const byCode = new Map<string, Concept[]>();
  for (const concept of concepts) byCode.set(concept.code, [...(byCode.get(concept.code) ?? []), concept]);
  const valueSet: ValueSet = Object.freeze({
    id,
    oid: data.oid,
    name: data.name,
    description: data.description,
    source: data.source,
    url: data.url,
    dateValid: data.dateValid,
    dateMaj: data.dateMaj,
    revisionDate: data.revisionDate,
    concepts: Object.freeze(concepts),
  });
  return { valueSet, byCode };
}

const INDEX = new Map<ValueSetId, Indexed>(VALUE_SET_IDS.map((id) => [id, index(id, DATA[id])]));
const BY_OID = new Map<string, ValueSetId>(VALUE_SET_IDS.map((id) => [DATA[id].oid, id]));

const entry = (id: ValueSetId): Indexed => INDEX.get(id) as Indexed;

export const isValueSetId = (value: string): value is ValueSetId => INDEX.has(value as ValueSetId);

export function valueSet(id: ValueSetId): ValueSet {
  return entry(id).valueSet;
}

/** The curated value set with this OID (`ValueSet/@id`), if any. */
export function valueSetByOid(oid: string): ValueSet | undefined {
  const id = BY_OID.get(oid);
  return id === undefined ? undefined : valueSet(id);
}

/**
 * The concept with this code (and code system, when given) in the value set. Without a code
 * system the first match is returned; none of the curated sets repeats a code across systems.
 */
export function lookup(id: ValueSetId, code: string, codeSystem?: string): Concept | undefined {
  const candidates = entry(id).byCode.get(code);
  if (candidates === undefined) return undefined;
  return codeSystem === undefined ? candidates[0] : candidates.find((concept) => concept.codeSystem === codeSystem);
}

export function has(id: ValueSetId, code: string, codeSystem?: string): boolean {
  return lookup(id, code, codeSystem) !== undefined;
}

/** The NOS display name of the code in the value set (e.g. for `@displayName` in a CDA). */
export function displayName(id: ValueSetId, code: string, codeSystem?: string): string | undefined {
  return lookup(id, code, codeSystem)?.displayName;
}

/**
 * Membership test as the CDA checker consumes it (`src/formats/cda/check.ts`). The value set is
 * named by its curated id (`JDV_J07`), its short NOS number (`J07`) or its OID; `knows` says
 * whether it is curated at all, and an unknown value set answers false to `has`.
 */
export interface ValueSetLookup {
  has(valueSetId: string, code: string, codeSystem?: string): boolean;
  knows(valueSetId: string): boolean;
}

/** `JDV_J07`, `J07` or `1.2.250.1.213.1.1.5.471` → `JDV_J07`. */
export function resolveValueSetId(name: string): ValueSetId | undefined {
  if (isValueSetId(name)) return name;
  const prefixed = `JDV_${name}`;
  if (isValueSetId(prefixed)) return prefixed;
  return BY_OID.get(name);
}

export const valueSetLookup: ValueSetLookup = Object.freeze({
  has(valueSetId: string, code: string, codeSystem?: string): boolean {
    const id = resolveValueSetId(valueSetId);
    return id !== undefined && has(id, code, codeSystem);
  },
  knows(valueSetId: string): boolean {
    return resolveValueSetId(valueSetId) !== undefined;
  },
});
