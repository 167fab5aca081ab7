/**
 * The CDA R2 document model shared by the builder (`build.ts`) and the parser (`parse.ts`):
 * the CI-SIS common header (documents.md §3; IGDC `ressourcesCDA-entete.md`) and the body,
 * level 1 (`nonXMLBody`, documents.md §4) or structured (level 3, sections).
 *
 * Field optionality follows the CDA XSD: what the XSD requires is required here (the parser
 * fails without it); what only the CI-SIS header schematron (STRUCMIN) requires is optional
 * in the type and enforced at run time by `buildCda` (precise error) and `checkCda` (issue).
 *
 * Times are HL7 TS strings (`YYYYMMDDHHMMSS+ZZZZ`, or a shorter precision such as
 * `YYYYMMDD`); see `toCdaTimestamp` in `time.ts`. The patient's birth date is ISO
 * (`YYYY-MM-DD`, partial `YYYY-MM` / `YYYY`, or INSi's `YYYY-00-00`).
 */
import type { Element } from '@xmldom/xmldom';
import type { CrBioBody } from './cr-bio-model.ts';

/** II: `@root` (OID or UUID) and optional `@extension`. */
export interface Identifier {
  root: string;
  extension?: string;
}

/** CE/CD: a code from a code system (the code system is an OID). */
export interface CodedValue {
  code: string;
  codeSystem: string;
  displayName?: string;
  codeSystemName?: string;
}

/** AD: either free lines (`streetAddressLine`) or parts. */
export interface Address {
  use?: string;
  streetAddressLines?: string[];
  houseNumber?: string;
  streetName?: string;
  additionalLocator?: string;
  unitID?: string;
  postalCode?: string;
  city?: string;
  /** COG code (INSEE) when the address is a birthplace. */
  county?: string;
  country?: string;
}

/** TEL: `tel:`, `fax:`, `mailto:`, `http:`… URL and optional use (H, HP, WP, MC…). */
export interface Telecom {
  value: string;
  use?: string;
}

/** PN of a professional: one family name, given names in order, civility and title. */
export interface PersonName {
  family?: string;
  given?: string[];
  /** J245 civility (`M`, `MME`). */
  prefix?: string;
  /** J246 title (`DR`, `PR`). */
  suffix?: string;
}

/** HL7 AdministrativeGender as used by CI-SIS (J143). */
export type AdministrativeGender = 'F' | 'M' | 'UN';
/** HL7 Confidentiality codes used by CI-SIS documents. */
export type Confidentiality = 'N' | 'R' | 'V';
/** Time interval (IVL_TS). */
export interface Interval {
  low?: string;
  high?: string;
}

/** The matricule INS and its OID — present only for a qualified identity (RNIV). */
export interface InsIdentifier {
  /** 15 characters (13 + key). */
  matricule: string;
  /** INS OID: `.8` NIR, `.9` NIA, `.10` test, `.11` demo. */
  oid: string;
}

export interface Patient {
  /** Only for a qualified identity: a non-qualified identity must not carry it (IFAQ). */
  ins?: InsIdentifier;
  /** IPP: root = the establishment's OID, extension = the IPP. Required by the builder. */
  ipp?: Identifier;
  /** Other patientRole ids found by the parser (neither INS nor the first other id). */
  otherIds?: Identifier[];
  addresses?: Address[];
  /** Telecoms other than the patient's MSSanté mailbox. */
  telecoms?: Telecom[];
  /** Patient MSSanté mailbox address (`<INS>@patient.mssante.fr`), without `mailto:`. */
  mssanteMailbox?: string;
  /** Nom de naissance (`family qualifier="BR"`). */
  birthName?: string;
  /** Nom utilisé (`family qualifier="CL"`). */
  usedName?: string;
  /** Space-separated list of birth prénoms (unqualified `given`). */
  birthGivenNames?: string;
  /** Premier prénom de naissance (`given qualifier="BR"`); derived from the list when absent. */
  firstBirthGivenName?: string;
  /** Prénom utilisé (`given qualifier="CL"`). */
  usedGivenName?: string;
  sex?: AdministrativeGender | (string & {});
  /** ISO date, possibly partial (`1979-03-28`, `1979-03`, `1979`, `1979-00-00`). */
  birthDate?: string;
  /** COG of the birthplace (`birthplace/place/addr/county`). */
  birthplace?: string;
  /** Name of the birthplace commune (`birthplace/place/addr/city`), informative. */
  birthplaceCity?: string;
}

/** An organisation (structure): idNat_Struct id (`1.2.250.1.71.4.2.2`, `1`+FINESS…). */
export interface Organization {
  id?: Identifier;
  name?: string;
  telecoms?: Telecom[];
  addresses?: Address[];
  /** Practice setting (J04), only where CDA allows it (performer, legal authenticator…). */
  standardIndustryClassCode?: CodedValue;
}

/** A health professional: idNat_PS id (`1.2.250.1.71.4.2.1`, `8`+RPPS). */
export interface Professional {
  id: Identifier;
  /** Profession/specialty (J01, e.g. `G15_10/SM26`). */
  specialty?: CodedValue;
  name?: PersonName;
  addresses?: Address[];
  telecoms?: Telecom[];
}

/** Software authoring the document (`assignedAuthoringDevice`). */
export interface AuthoringDevice {
  id: Identifier;
  manufacturerModelName: string;
  softwareName: string;
}

/** `author`: a professional **xor** a device, and the organisation it acts for. */
export interface Author {
  time: string;
  /** J47 function (e.g. `ATTPHYS`). */
  functionCode?: CodedValue;
  professional?: Professional;
  device?: AuthoringDevice;
  organization?: Organization;
}

export interface LegalAuthenticator {
  time: string;
  /** Always `S` in CI-SIS documents. */
  signatureCode?: string;
  professional: Professional;
  organization?: Organization;
}

/**
 * `authenticator`: a professional who validated the document without being its legal
 * authenticator — in CR-BIO, the validating biologist (template `1.3.6.1.4.1.19376.1.3.3.1.5`).
 */
export interface Authenticator {
  /** `templateId`s written first (CR-BIO: `1.3.6.1.4.1.19376.1.3.3.1.5`). */
  templateIds?: Identifier[];
  time: string;
  /** Always `S` in CI-SIS documents. */
  signatureCode?: string;
  professional: Professional;
  organization?: Organization;
}

/** `participant` (J144 type, J47 function), e.g. REF (prescriber), INF with PCP (médecin traitant). */
export interface Participant {
  /** `templateId`s written first (CR-BIO orderer REF: `1.3.6.1.4.1.19376.1.3.3.1.6`). */
  templateIds?: Identifier[];
  typeCode: string;
  functionCode?: CodedValue;
  /** `time` is required by CI-SIS; absent here = `nullFlavor="NA"`. */
  time?: Interval;
  /** `associatedEntity/@classCode`, `PROV` by default. */
  classCode?: string;
  professional: Professional;
  organization?: Organization;
}

/** `documentationOf/serviceEvent`; the first carries the performer PRF. */
export interface ServiceEvent {
  ids?: Identifier[];
  code?: CodedValue;
  effectiveTime?: Interval;
  performer?: Performer;
}

/** `performer typeCode="PRF"`: organisation's `standardIndustryClassCode` (J04) is mandatory. */
export interface Performer {
  /** `templateId`s written first (CR-BIO executing lab: `1.3.6.1.4.1.19376.1.3.3.1.7`). */
  templateIds?: Identifier[];
  time?: Interval;
  professional: Professional;
  organization: Organization;
}

/** `componentOf/encompassingEncounter`. */
export interface Encounter {
  ids?: Identifier[];
  /** J142 (IMP, EMER, AMB, EXTERNE…). */
  code?: CodedValue;
  effectiveTime: Interval;
  facility: HealthCareFacility;
}

export interface HealthCareFacility {
  id?: Identifier;
  /** J02 (TRE_R02, e.g. `SA01`). */
  code?: CodedValue;
  name?: string;
  address?: Address;
}

/** Level 1: `component/nonXMLBody/text representation="B64"`. */
export interface NonXmlBody {
  kind: 'nonXml';
  mediaType: 'application/pdf' | 'text/plain' | (string & {});
  content: Uint8Array;
  /** `nonXMLBody/languageCode` when the content's language differs from the header's. */
  languageCode?: string;
}

/** A section of a structured body. */
export interface Section {
  templateIds: Identifier[];
  id?: Identifier;
  code?: CodedValue;
  title?: string;
  /** The narrative block as plain text (builder: one paragraph; parser: text content). */
  text?: string;
  /**
   * The narrative block as parsed (`text` element, kept by the parser so that a rebuilt
   * document keeps the IDs its entries reference); the builder writes it as is, instead of
   * `text`, when present.
   */
  narrative?: Element;
  /** Number of `entry` elements. */
  entryCount: number;
  /**
   * Raw entry elements: the parser keeps them as DOM nodes (read them with xml.ts helpers);
   * the builder imports given nodes as they are (the CR-BIO N3 builder will provide them).
   */
  entries?: Element[];
  sections: Section[];
}

/** Level 3: `component/structuredBody/component/section`. */
export interface StructuredBody {
  kind: 'structured';
  sections: Section[];
}

/**
 * Extensible union: a later body kind adds a member here and a case in `body.ts`.
 * `CrBioBody` (kind `cr-bio`): CR-BIO level 3 (documents.md §5), see `cr-bio-model.ts`.
 */
export type CdaBody = NonXmlBody | StructuredBody | CrBioBody;

export interface CdaDocument {
  /**
   * All header templateIds. For a level 1 body the builder writes exactly HL7 France,
   * CI-SIS and XDS-SD when this is absent; when given it must be exactly those three.
   */
  templateIds?: Identifier[];
  id: Identifier;
  /** Document type (XDS typeCode, JDV_J07): see `document-types.ts`. */
  code: CodedValue;
  title?: string;
  /** Creation time, `YYYYMMDDHHMMSS+ZZZZ`. */
  effectiveTime: string;
  confidentiality: Confidentiality | (string & {});
  languageCode?: string;
  setId?: Identifier;
  versionNumber?: number;
  patient: Patient;
  authors: Author[];
  custodian: Organization;
  legalAuthenticator?: LegalAuthenticator;
  /** `authenticator`s (CR-BIO: the validating biologists). */
  authenticators?: Authenticator[];
  participants?: Participant[];
  /** `inFulfillmentOf/order/id`. */
  orders?: Identifier[];
  serviceEvents?: ServiceEvent[];
  /** Id of the document this version replaces (`relatedDocument typeCode="RPLC"`). */
  replaces?: Identifier;
  encounter?: Encounter;
  body: CdaBody;
}

/**
 * A document without its body's content: the header, and the body's kind and media type. What
 * the PFI keeps of a CDA once parsed (exchange/): enough to derive its XDS metadata and its
 * MSSanté headers and subject without reading the document again. Plain JSON.
 */
export type CdaHeader = Omit<CdaDocument, 'body'> & {
  body: { kind: 'nonXml'; mediaType: NonXmlBody['mediaType'] } | { kind: Exclude<CdaBody['kind'], 'nonXml'> };
};

/** The header of a document (its body reduced to kind and media type). */
export function headerOf(document: CdaDocument): CdaHeader {
  const { body, ...header } = document;
  return { ...header, body: body.kind === 'nonXml' ? { kind: 'nonXml', mediaType: body.mediaType } : { kind: body.kind } };
}

/** Well-known OIDs of the CI-SIS header. */
export const OID = {
  hl7France: '2.16.840.1.113883.2.8.2.1',
  ciSis: '1.2.250.1.213.1.1.1.1',
  xdsSd: '1.3.6.1.4.1.19376.1.2.20',
  typeId: '2.16.840.1.113883.1.3',
  loinc: '2.16.840.1.113883.6.1',
  confidentiality: '2.16.840.1.113883.5.25',
  administrativeGender: '2.16.840.1.113883.5.1',
  /** idNat_PS: `8`+RPPS, `0`+ADELI. */
  idNatPs: '1.2.250.1.71.4.2.1',
  /** idNat_Struct: `1`+FINESS, `3`+SIRET, `4`+RPPS-rang. */
  idNatStruct: '1.2.250.1.71.4.2.2',
  /** DMP host as custodian (patient-produced documents). */
  dmpHost: '1.2.250.1.213.4.1',
  /** TRE_R02 healthcare facility types (J02). */
  facilityType: '1.2.250.1.71.4.2.4',
  /** TRE_A01 practice settings (J04). */
  practiceSetting: '1.2.250.1.213.1.1.4.9',
  /** Professions/specialties code system of most J01 concepts. */
  authorSpecialty: '1.2.250.1.213.1.1.4.5',
} as const;

export const N1_TEMPLATE_IDS: readonly string[] = [OID.hl7France, OID.ciSis, OID.xdsSd];

export const CONFIDENTIALITY_DISPLAY: Record<Confidentiality, string> = { N: 'Normal', R: 'Restreint', V: 'Très restreint' };
export const GENDER_DISPLAY: Record<AdministrativeGender, string> = { F: 'Féminin', M: 'Masculin', UN: 'Inconnu' };

/** idNat_PS identifier of a professional from the RPPS number (11 digits). */
export const rppsIdentifier = (rpps: string): Identifier => ({ root: OID.idNatPs, extension: `8${rpps}` });
/** idNat_Struct identifier of a structure from its FINESS number (9 characters). */
export const finessIdentifier = (finess: string): Identifier => ({ root: OID.idNatStruct, extension: `1${finess}` });
