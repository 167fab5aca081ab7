/**
 * Shared pieces of the PAM FR builders: MSH (§6.3), EVN, PID (§6.6) and ZFD (§6.18) from a
 * PamPatient. Values are validated so that a builder returns an error rather than a
 * message the receiver would reject.
 */
import { checkMatriculeOnEntry, hl7NamespaceOf, isInsOid, type InsOid } from '../../ins/index.ts';
import { buildSegment, type ComponentValue, type FieldValue, type RepetitionValue } from '../build.ts';
import { formatHl7DateTime, isoDateToHl7 } from '../datetime.ts';
import { DEFAULT_ENCODING } from '../encoding.ts';
import type { Segment } from '../segment.ts';
import { fail, ok, type Result } from '../../result.ts';
import type { InsValue, PamHeader, PamPatient, PatientIdentifier } from './patient.ts';

export const PAM_VERSION: FieldValue = ['2.5', 'FRA', '2.11'];
export const PAM_PROFILE: FieldValue = ['2.11', 'IHE_FRANCE-2.11-PAM'];

export function mshSegment(header: PamHeader, type: readonly [string, string, string]): Segment {
  return buildSegment('MSH', [
    undefined, undefined,
    header.sendingApplication, header.sendingFacility, header.receivingApplication, header.receivingFacility,
    formatHl7DateTime(header.timestamp, header.timeZone), undefined, type, header.controlId, header.processingId ?? 'P',
    PAM_VERSION, undefined, undefined, undefined, undefined, 'FRA', 'UNICODE UTF-8', undefined, undefined, PAM_PROFILE,
  ]);
}

export function evnSegment(header: PamHeader): Segment {
  const recorded = formatHl7DateTime(header.timestamp, header.timeZone);
  const occurred = header.eventOccurred === undefined ? recorded : formatHl7DateTime(header.eventOccurred, header.timeZone);
  return buildSegment('EVN', [undefined, recorded, undefined, undefined, undefined, occurred]);
}

/** CX-4 subcomponents of an identifier's authority. */
function authority(id: PatientIdentifier): ComponentValue {
  const a = id.authority;
  if (a.oid === undefined && a.type === undefined) return a.namespace;
  return [a.namespace, a.oid, a.type ?? (a.oid === undefined ? undefined : 'ISO')];
}

export const ippCx = (ipp: PatientIdentifier, type = 'PI'): RepetitionValue => [ipp.id, undefined, undefined, authority(ipp), type];

export function insCx(ins: InsValue): RepetitionValue {
  const namespace = isInsOid(ins.oid) ? hl7NamespaceOf(ins.oid as InsOid) : 'ASIP-SANTE-INS-NIR';
  return [ins.matricule, undefined, undefined, [namespace, ins.oid, 'ISO'], 'INS'];
}

/** The HL7 null INS of an A47 removal: `""^^^ASIP-SANTE-INS-NIR&<OID>&ISO^INS`. */
export const nullInsCx = (oid: string): RepetitionValue => insCx({ matricule: '""', oid });

export function checkPatient(patient: PamPatient): Result<PamPatient> {
  if (patient.ipp.id === '') return fail('PID-3', 'the IPP (CX-5 = PI) is required');
  if (patient.ipp.authority.namespace === '' && patient.ipp.authority.oid === undefined) {
    return fail('PID-3.4', 'the IPP needs its assigning authority');
  }
  if (patient.birthName === '') return fail('PID-5.1', 'the nom de naissance (type L) is required');
  if (patient.birthDate !== '' && isoDateToHl7(patient.birthDate) === undefined) {
    return fail('PID-7', `birth date must be YYYY-MM-DD, got "${patient.birthDate}"`);
  }
  if (!['M', 'F', 'U'].includes(patient.sex)) return fail('PID-8', `sex must be F, M or U, got "${String(patient.sex)}"`);
  if (patient.status !== 'PROV' && patient.status !== 'VALI') return fail('PID-32', `status must be PROV or VALI, got "${String(patient.status)}"`);
  if (patient.ins !== undefined) {
    if (patient.status !== 'VALI') return fail('PID-3', 'an INS is sent only for a qualified identity (PID-32 = VALI)');
    const checked = checkMatriculeOnEntry(patient.ins.matricule, 'PID-3.1');
    if (!checked.ok) return checked;
    if (!isInsOid(patient.ins.oid)) return fail('PID-3.4.2', `${patient.ins.oid} is not an INS OID`);
  }
  for (const [field, date] of [['ZFD-6', patient.insiCall?.date], ['ZFD-8', patient.proof?.expiry]] as const) {
    if (date !== undefined && isoDateToHl7(date) === undefined) return fail(field, `date must be YYYY-MM-DD, got "${date}"`);
  }
  return ok(patient);
}

const hl7Date = (iso: string | undefined): string | undefined => (iso === undefined ? undefined : isoDateToHl7(iso));

/**
 * PID of an ITI-30 message. `insOverride` replaces the patient's INS repetition (A47 removal
 * writes the HL7 null INS).
 */
export function pidSegment(patient: PamPatient, insOverride?: RepetitionValue): Segment {
  const identifiers: RepetitionValue[] = [ippCx(patient.ipp)];
  if (insOverride !== undefined) identifiers.push(insOverride);
  else if (patient.ins !== undefined) identifiers.push(insCx(patient.ins));
  const names: RepetitionValue[] = [
    [patient.birthName, patient.firstGivenName, patient.birthGivenNames, undefined, patient.civility, undefined, 'L'],
  ];
  if (patient.usedName !== undefined || patient.usedGivenName !== undefined) {
    names.push([patient.usedName, patient.usedGivenName, undefined, undefined, patient.civility, undefined, 'D']);
  }
  const addresses: RepetitionValue[] = [];
  const a = patient.address;
  if (a !== undefined) addresses.push([a.street, a.otherDesignation, a.city, undefined, a.postalCode, a.country, 'H']);
  if (patient.birthplaceCog !== undefined) {
    addresses.push([undefined, undefined, undefined, undefined, undefined, undefined, 'BDL', undefined, patient.birthplaceCog]);
  }
  const fields: FieldValue[] = [];
  fields[0] = '1';
  fields[2] = { repetitions: identifiers };
  fields[4] = { repetitions: names };
  fields[6] = hl7Date(patient.birthDate === '' ? undefined : patient.birthDate);
  fields[7] = patient.sex;
  fields[10] = { repetitions: addresses };
  fields[31] = { repetitions: [patient.status, ...patient.attributes] };
  return buildSegment('PID', Array.from(fields, (f) => f), DEFAULT_ENCODING);
}

/** PD1 only when something is known (PD1-12 protection indicator). */
export function pd1Segment(patient: PamPatient): Segment | undefined {
  if (patient.confidential === undefined) return undefined;
  const fields: FieldValue[] = [];
  fields[11] = patient.confidential ? 'Y' : 'N';
  return buildSegment('PD1', Array.from(fields, (f) => f));
}

/** ZFD only when it carries something (an all-empty Z segment is not sent, PAM FR §5.2). */
export function zfdSegment(patient: PamPatient): Segment | undefined {
  if (patient.insiCall === undefined && patient.proof === undefined) return undefined;
  return buildSegment('ZFD', [
    undefined, undefined, undefined, undefined,
    patient.insiCall?.mode, hl7Date(patient.insiCall?.date), patient.proof?.type, hl7Date(patient.proof?.expiry),
  ]);
}
