/**
 * What the DMP sandbox checks about patients and metadata (dmp.md §5, §9): INS as patientId,
 * coded values from the NOS value sets, and who may see a masked document. Pure functions.
 */
import { parseMatricule } from '../../formats/ins/index.ts';
import { classCodeFor, has } from '../../formats/terminology/index.ts';
import { VISIBILITY_SCHEME, type RegisteredEntry } from '../../formats/xds/index.ts';
import { SIGNATURE_DOCUMENT } from './signature-document.ts';
import { INS_OID } from './wire.ts';

/** A rule broken: the registry error code and its context (English, for the codeContext). */
export class RuleError extends Error {
  constructor(readonly code: string, readonly context: string, readonly location?: string) {
    super(`${code}: ${context}`);
  }
}

export interface PatientIns {
  matricule: string;
  oid: string;
}

/** Reads a patientId CX `<matricule>^^^&<OID>&ISO^NH` and checks the INS (dmp.md §5.2). */
export function checkPatientId(cx: string, options: { allowProductionIns: boolean }): PatientIns {
  const m = /^([0-9AB]{15})\^\^\^&([0-9.]+)&ISO\^NH$/.exec(cx.trim());
  if (!m) throw new RuleError('SANDBOX_INS_INVALID', `patientId "${cx}" is not <matricule INS>^^^&<INS OID>&ISO^NH`);
  const [, matricule, oid] = m as unknown as [string, string, string];
  const parsed = parseMatricule(matricule);
  if (!parsed.ok || !parsed.value.keyValid) throw new RuleError('SANDBOX_INS_INVALID', `patientId: matricule INS ${parsed.ok ? 'key does not match' : parsed.error.rule}`);
  if (oid === INS_OID.nir || oid === INS_OID.nia) {
    if (!options.allowProductionIns) throw new RuleError('SANDBOX_INS_PRODUCTION_OID', `patientId: production INS OID ${oid} refused by the sandbox`);
  } else if (oid !== INS_OID.test && oid !== INS_OID.demo) {
    throw new RuleError('SANDBOX_INS_INVALID', `patientId: ${oid} is not an INS OID`);
  }
  return { matricule, oid };
}

export const isSignatureEntry = (entry: RegisteredEntry): boolean => entry.formatCode.code === SIGNATURE_DOCUMENT.formatCode.code;

const meta = (field: string, rule: string): RuleError => new RuleError('XDSRegistryMetadataError', `${field}: ${rule}`, field);

/** Coded metadata of a clinical document against the value sets (dmp.md §5.2; formats/terminology). */
export function checkCodedMetadata(entry: RegisteredEntry, field: string): void {
  const e = entry;
  if (!has('JDV_J07', e.typeCode.code, e.typeCode.codingScheme)) throw meta(`${field}.typeCode`, `${e.typeCode.code} (${e.typeCode.codingScheme}) is not in JDV_J07`);
  const expected = classCodeFor(e.typeCode.code, e.typeCode.codingScheme);
  if (e.classCode.codingScheme !== '1.2.250.1.213.1.1.4.1') throw meta(`${field}.classCode`, `scheme ${e.classCode.codingScheme} is not TRE_A03 1.2.250.1.213.1.1.4.1`);
  if (expected.ok && expected.value.code !== e.classCode.code) throw meta(`${field}.classCode`, `${e.classCode.code} does not match typeCode ${e.typeCode.code} (expected ${expected.value.code})`);
  if (!has('JDV_J02', e.healthcareFacilityTypeCode.code, e.healthcareFacilityTypeCode.codingScheme)) throw meta(`${field}.healthcareFacilityTypeCode`, `${e.healthcareFacilityTypeCode.code} is not in JDV_J02`);
  if (!has('JDV_J04', e.practiceSettingCode.code, e.practiceSettingCode.codingScheme)) throw meta(`${field}.practiceSettingCode`, `${e.practiceSettingCode.code} is not in JDV_J04`);
  checkConfidentiality(e, field);
  if (e.formatCode.code.trim() === '' || e.formatCode.codingScheme.trim() === '') throw meta(`${field}.formatCode`, 'required');
  for (const [i, a] of e.authors.entries()) {
    if (a.specialty && a.specialty.codingScheme !== '' && !has('JDV_J01', a.specialty.code, a.specialty.codingScheme)) throw meta(`${field}.authors[${i}].authorSpecialty`, `${a.specialty.code} is not in JDV_J01`);
  }
  if (e.authors.length === 0 || e.authors.every((a) => a.institutions.length === 0)) throw meta(`${field}.author`, 'an authorInstitution is required');
  if (!/^\d{4}(\d{2}){0,5}$/.test(e.creationTime)) throw meta(`${field}.creationTime`, 'XDS DTM expected');
  if (e.title.trim() === '') throw meta(`${field}.title`, 'required');
}

/** 1..4 confidentiality codes: exactly one of N/R/V plus visibility flags (JDV_J08). */
export function checkConfidentiality(e: RegisteredEntry, field: string): void {
  const codes = e.confidentialityCodes;
  for (const c of codes) if (!has('JDV_J08', c.code, c.codingScheme)) throw meta(`${field}.confidentialityCode`, `${c.code} (${c.codingScheme}) is not in JDV_J08`);
  const levels = codes.filter((c) => c.codingScheme !== VISIBILITY_SCHEME);
  if (levels.length !== 1 || codes.length > 4) throw meta(`${field}.confidentialityCode`, 'exactly one of N/R/V plus at most the three visibility flags expected');
}

/** Fixed metadata of the signature document (dmp.md §5.4). */
export function checkSignatureMetadata(e: RegisteredEntry, field: string): void {
  if (e.classCode.code !== SIGNATURE_DOCUMENT.classCode.code) throw meta(`${field}.classCode`, `${SIGNATURE_DOCUMENT.classCode.code} expected for the signature document`);
  if (e.typeCode.code !== SIGNATURE_DOCUMENT.typeCode.code) throw meta(`${field}.typeCode`, `${SIGNATURE_DOCUMENT.typeCode.code} expected for the signature document`);
  if (!(e.eventCodes ?? []).some((c) => c.code === SIGNATURE_DOCUMENT.eventCode.code)) throw meta(`${field}.eventCodeList`, `${SIGNATURE_DOCUMENT.eventCode.code} expected for the signature document`);
}

export const flagsOf = (codes: readonly string[]): Set<string> => new Set(codes);

/** Who asks (from the VIHF). */
export interface Requester {
  nameId: string;
  structureId: string;
}

/**
 * A professional sees an entry unless it is deleted, or masked to professionals (MASQUE_PS)
 * and the requester is neither of the author's structure nor the patient's médecin traitant.
 */
export function canProfessionalSee(entry: { status: string; confidentiality: string[]; structureId: string }, requester: Requester, treatingPhysician: string | null): boolean {
  if (entry.status.endsWith(':Deleted')) return false;
  if (!entry.confidentiality.includes('MASQUE_PS')) return true;
  return entry.structureId === requester.structureId || (treatingPhysician !== null && treatingPhysician === requester.nameId);
}
