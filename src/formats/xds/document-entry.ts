/**
 * XDS DocumentEntry metadata derived from a CDA document (documents.md §6; dmp.md §5.2): what
 * the DMP registry (ITI-41) and the MSSanté XDM METADATA.XML need to know about a document,
 * computed from its header and its bytes. Pure: the caller passes the exact CDA bytes.
 */
import { createHash } from 'node:crypto';
import type { Author, CdaHeader, Identifier, Professional } from '../cda/index.ts';
import { fail, ok, type Result } from '../result.ts';
import { classCodeFor, formatCodeFor, lookup, type ValueSetId } from '../terminology/index.ts';

/** A coded XDS value: code, coding scheme (OID or URN) and display name. */
export interface XdsCode {
  code: string;
  codingScheme: string;
  displayName: string;
}

export interface XdsAuthor {
  /** XCN, e.g. `801234567890^DURANT^Romuald^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS`. */
  person?: string;
  /** XON, e.g. `CH EXEMPLE^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^1123456789`. */
  institutions: string[];
  specialty?: XdsCode;
  role?: XdsCode;
}

/** Confidentiality flags the DMP adds to N/R/V (TRE_A07). */
export type VisibilityFlag = 'MASQUE_PS' | 'INVISIBLE_PATIENT' | 'INVISIBLE_REPRESENTANTS_LEGAUX';
export const VISIBILITY_SCHEME = '1.2.250.1.213.1.1.4.13';
const VISIBILITY_DISPLAY: Record<VisibilityFlag, string> = {
  MASQUE_PS: 'Masqué aux professionnels de santé',
  INVISIBLE_PATIENT: 'Non visible par le patient',
  INVISIBLE_REPRESENTANTS_LEGAUX: 'Non visible par les représentants légaux du patient',
};

export interface DocumentEntry {
  uniqueId: string;
  mimeType: 'text/xml';
  /** SHA-1 of the CDA bytes, lower-case hex. */
  hash: string;
  size: number;
  title: string;
  languageCode: string;
  /** XDS DTM in UTC: YYYYMMDDHHMMSS (or shorter when the CDA time is less precise). */
  creationTime: string;
  serviceStartTime?: string;
  serviceStopTime?: string;
  typeCode: XdsCode;
  classCode: XdsCode & { status?: string };
  formatCode: XdsCode;
  healthcareFacilityTypeCode: XdsCode;
  practiceSettingCode: XdsCode;
  confidentialityCodes: XdsCode[];
  /** The qualified INS as a CX: `<matricule>^^^&<OID>&ISO^NH`. */
  patientId: string;
  /** The IPP as a CX: `<ipp>^^^&<OID>&ISO^PI`, or the INS when there is none. */
  sourcePatientId: string;
  /** `PID-5|…`, `PID-7|…`, `PID-8|…` (display only, never used to identify). */
  sourcePatientInfo: string[];
  authors: XdsAuthor[];
  legalAuthenticator?: string;
  referenceIdList: string[];
  /** eventCodeList (ITI TF-3 §4.2.3.2.8), e.g. the purpose of a signature document (dmp.md §5.4). */
  eventCodes?: XdsCode[];
  /** The replaced document's uniqueId (RPLC), when this one replaces another. */
  replaces?: string;
}

/** XDS uniqueId of a CDA id: the root, with `^extension` when there is one. */
export const uniqueIdOf = (id: Identifier): string => (id.extension ? `${id.root}^${id.extension}` : id.root);

/** CDA TS (local time with offset) → XDS DTM in UTC, keeping the precision given. */
export function toXdsTime(ts: string): string {
  const m = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.\d+)?([+-]\d{4})?$/.exec(ts);
  if (!m) return ts;
  const [, y, mo, d, h, mi, s, zone] = m;
  if (!zone || h === undefined) return [y, mo, d, h, mi, s].filter(Boolean).join('');
  const sign = zone.startsWith('-') ? 1 : -1;
  const offsetMin = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5)));
  const utc = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi ?? 0) + offsetMin, Number(s ?? 0)));
  const iso = utc.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return iso.slice(0, s !== undefined ? 14 : mi !== undefined ? 12 : 10);
}

const esc = (v: string | undefined): string => (v ?? '').replace(/[\\^&~|]/g, ' ');

function coded(setId: ValueSetId | undefined, code: { code: string; codeSystem: string; displayName?: string } | undefined, field: string): Result<XdsCode> {
  if (!code) return fail(field, 'required to derive the XDS metadata');
  const concept = setId ? lookup(setId, code.code, code.codeSystem) : undefined;
  if (setId && !concept) return fail(field, `${code.code} (${code.codeSystem}) is not in ${setId}`);
  return ok({ code: code.code, codingScheme: code.codeSystem, displayName: concept?.displayName ?? code.displayName ?? code.code });
}

function xcn(p: Professional): string {
  const assigning = p.id.root === '1.2.250.1.71.4.2.1' ? `&${p.id.root}&ISO^D^^^IDNPS` : `&${p.id.root}&ISO^D^^^EI`;
  return `${esc(p.id.extension ?? p.id.root)}^${esc(p.name?.family)}^${esc(p.name?.given?.[0])}^^^${esc(p.name?.prefix)}^^^${assigning}`;
}

function xdsAuthor(author: Author): Result<XdsAuthor> {
  const out: XdsAuthor = { institutions: [] };
  if (author.professional) out.person = xcn(author.professional);
  else if (author.device) out.person = `${esc(author.device.id.extension ?? author.device.id.root)}^${esc(author.device.softwareName)}^^^^^^^&${author.device.id.root}&ISO^U^^^RI`;
  const org = author.organization;
  if (org?.id) out.institutions.push(`${esc(org.name)}^^^^^&${org.id.root}&ISO^IDNST^^^${esc(org.id.extension)}`);
  if (author.professional?.specialty) {
    const specialty = coded('JDV_J01', author.professional.specialty, 'author.assignedAuthor.code');
    if (!specialty.ok) return specialty;
    out.specialty = specialty.value;
  }
  if (author.functionCode) {
    out.role = { code: author.functionCode.code, codingScheme: author.functionCode.codeSystem, displayName: author.functionCode.displayName ?? author.functionCode.code };
  }
  return ok(out);
}

export interface DeriveOptions {
  /** Visibility flags chosen for this submission (DMP masking rules, dmp.md §6). */
  visibility?: VisibilityFlag[];
}

/** Derives the DocumentEntry of `cda` whose exact serialised bytes are `bytes`. */
export function deriveDocumentEntry(cda: CdaHeader, bytes: Uint8Array, options: DeriveOptions = {}): Result<DocumentEntry> {
  const ins = cda.patient.ins;
  if (!ins) return fail('recordTarget.patientRole.id', 'a document for the DMP needs the qualified INS of the patient');
  const typeCode = coded('JDV_J07', cda.code, 'code');
  if (!typeCode.ok) return typeCode;
  const classCode = classCodeFor(cda.code.code, cda.code.codeSystem);
  if (!classCode.ok) return classCode;
  const formatCode = cda.body.kind === 'nonXml'
    ? formatCodeFor({ level: 'N1', mediaType: cda.body.mediaType })
    : formatCodeFor({ level: 'N3', templateIds: (cda.templateIds ?? []).map((t) => t.root) });
  if (!formatCode.ok) return formatCode;
  const facility = coded('JDV_J02', cda.encounter?.facility.code, 'componentOf.encompassingEncounter.location.healthCareFacility.code');
  if (!facility.ok) return facility;
  const firstEvent = cda.serviceEvents?.[0];
  const practice = coded('JDV_J04', firstEvent?.performer?.organization.standardIndustryClassCode, 'documentationOf.serviceEvent.performer.representedOrganization.standardIndustryClassCode');
  if (!practice.ok) return practice;
  const confidentiality = coded('JDV_HL7_Confidentiality', { code: cda.confidentiality, codeSystem: '2.16.840.1.113883.5.25' }, 'confidentialityCode');
  if (!confidentiality.ok) return confidentiality;
  const authors: XdsAuthor[] = [];
  for (const author of cda.authors) {
    const a = xdsAuthor(author);
    if (!a.ok) return a;
    authors.push(a.value);
  }
  const patient = cda.patient;
  const name = `${esc(patient.birthName)}^${esc(patient.firstBirthGivenName)}^^^^^L`;
  const sourcePatientInfo = [`PID-5|${name}`];
  if (patient.birthDate) sourcePatientInfo.push(`PID-7|${patient.birthDate.replace(/-/g, '')}`);
  if (patient.sex) sourcePatientInfo.push(`PID-8|${patient.sex === 'UN' ? 'U' : patient.sex}`);
  const patientId = `${ins.matricule}^^^&${ins.oid}&ISO^NH`;

  const entry: DocumentEntry = {
    uniqueId: uniqueIdOf(cda.id),
    mimeType: 'text/xml',
    hash: createHash('sha1').update(bytes).digest('hex'),
    size: bytes.byteLength,
    title: cda.title ?? typeCode.value.displayName,
    languageCode: cda.languageCode ?? 'fr-FR',
    creationTime: toXdsTime(cda.effectiveTime),
    typeCode: typeCode.value,
    classCode: { code: classCode.value.code, codingScheme: classCode.value.codingScheme, displayName: classCode.value.displayName, ...(classCode.value.status ? { status: classCode.value.status } : {}) },
    formatCode: { code: formatCode.value.code, codingScheme: formatCode.value.codingScheme, displayName: formatCode.value.displayName },
    healthcareFacilityTypeCode: facility.value,
    practiceSettingCode: practice.value,
    confidentialityCodes: [confidentiality.value, ...(options.visibility ?? []).map((flag) => ({ code: flag, codingScheme: VISIBILITY_SCHEME, displayName: VISIBILITY_DISPLAY[flag] }))],
    patientId,
    sourcePatientId: patient.ipp ? `${esc(patient.ipp.extension)}^^^&${patient.ipp.root}&ISO^PI` : patientId,
    sourcePatientInfo,
    authors,
    referenceIdList: (cda.orders ?? []).map((o) => `${esc(o.extension ?? o.root)}^^^&${o.root}&ISO^urn:ihe:iti:xds:2013:order`),
  };
  if (firstEvent?.effectiveTime?.low) entry.serviceStartTime = toXdsTime(firstEvent.effectiveTime.low);
  if (firstEvent?.effectiveTime?.high) entry.serviceStopTime = toXdsTime(firstEvent.effectiveTime.high);
  if (cda.legalAuthenticator) entry.legalAuthenticator = xcn(cda.legalAuthenticator.professional);
  if (cda.replaces) entry.replaces = uniqueIdOf(cda.replaces);
  return ok(entry);
}
