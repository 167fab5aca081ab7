/**
 * Reader of inbound PAM FR messages (ITI-30 A28/A31/A47/A40, ITI-31 A01/A03/A04…) into the
 * PamPatient model shared with the builders, plus what only inbound needs: every INS found,
 * the MRG of merges and identifier changes, the stay (PID-18, PV1, ZBE) and warnings.
 *
 * The INS is reported, never dropped here: the identity module applies "INS without
 * PID-32 = VALI is discarded" (`insUsable`, PAM FR §6.6.15).
 */
import { INS_OID } from '../../ins/index.ts';
import type { CX, PL } from '../datatypes.ts';
import { hl7DateTimeToIso, hl7DateToIso } from '../datetime.ts';
import { warning, type Issue } from '../issue.ts';
import type { Hl7Message } from '../message.ts';
import { fail, ok, type Result } from '../../result.ts';
import { readMrg } from '../segments/mrg.ts';
import { readMsh } from '../segments/msh.ts';
import { insIsUsable, readPid, type InsIdentifier, type Pid } from '../segments/pid.ts';
import { readPv1 } from '../segments/pv1.ts';
import { readZbe } from '../segments/zbe.ts';
import { readZfa, type Zfa } from '../segments/zfa.ts';
import { readZfd } from '../segments/zfd.ts';
import { readPd1 } from '../segments/pd1.ts';
import type {
  IdentityAcquisitionMode, InsValue, PamAddress, PamPatient, PatientIdentifier, ProofType, Sex,
} from './patient.ts';

export interface PamStay {
  /** PID-18 NDA. */
  nda?: PatientIdentifier;
  /** PV1-2 */
  patientClass?: string;
  /** PV1-3 */
  assignedLocation?: PL;
  /** PV1-19 */
  visitNumber?: PatientIdentifier;
  /** PV1-44 / PV1-45, ISO local date-times. */
  admitDateTime?: string;
  dischargeDateTime?: string;
  /** ZBE */
  movement?: {
    id: string;
    /** ZBE-1 EI namespace. */
    idNamespace?: string;
    /** ZBE-2, ISO */
    dateTime?: string;
    endDateTime?: string;
    action: string;
    historic?: string;
    originalTrigger?: string;
    medicalUnit?: { name: string; code: string };
    careUnit?: { name: string; code: string };
    nature?: string;
  };
}

export interface PamMerge {
  /** MRG-1 as read. */
  priorIdentifiers: CX[];
  /** MRG-1 with CX-5 = PI (A40: the absorbed IPP). */
  priorIpp?: PatientIdentifier;
  /** MRG-1 with CX-5 = INS (A47: the INS replaced or deleted). */
  priorIns?: InsValue;
}

export interface PamRead {
  messageType: { code: string; trigger: string; structure: string };
  controlId: string;
  patient: PamPatient;
  /** Every well-formed INS of PID-3 (NIR and NIA), key checked. */
  insIdentifiers: InsIdentifier[];
  /** PID-3 carries the HL7 null INS `""` (A47: delete the patient's INS). */
  insNullified: boolean;
  /** PID-32 = VALI and an INS is present: the INS may be kept. */
  insUsable: boolean;
  merge?: PamMerge;
  stay?: PamStay;
  zfa?: Zfa;
  warnings: Issue[];
}

const opt = (v: string): string | undefined => (v === '' ? undefined : v);

export function identifierOf(cx: CX): PatientIdentifier {
  const authority: PatientIdentifier['authority'] = { namespace: cx.authority.namespace ?? '' };
  if (cx.authority.universalId !== undefined) authority.oid = cx.authority.universalId;
  if (cx.authority.universalIdType !== undefined) authority.type = cx.authority.universalIdType;
  return { id: cx.id, authority };
}

function chooseIns(list: InsIdentifier[]): InsValue | undefined {
  const nir = list.find((i) => i.oid !== INS_OID.nia) ?? list[0];
  return nir === undefined ? undefined : { matricule: nir.matricule, oid: nir.oid };
}

function patientFrom(pid: Pid, warnings: Issue[]): Result<PamPatient> {
  let ippCx = pid.ipp;
  if (ippCx === undefined) {
    ippCx = pid.identifiers.find((cx) => cx.type !== 'INS' && cx.id !== '' && cx.id !== '""');
    if (ippCx === undefined) return fail('PID-3', 'no patient identifier (IPP, CX-5 = PI)');
    warnings.push(warning('PID-3.5', `no identifier typed PI: "${ippCx.type ?? ''}" identifier used as IPP`));
  }
  const birth = pid.birthName ?? pid.names.find((n) => n.type === '' || n.type === 'U') ?? pid.names[0];
  if (birth === undefined || birth.family === '') return fail('PID-5', 'a patient name (type L, nom de naissance) is required');
  if (pid.birthName === undefined) warnings.push(warning('PID-5.7', `no name of type L: "${birth.type}" name read as nom de naissance`));
  let birthGivenNames = birth.secondGiven;
  if (birthGivenNames === '' && birth.given !== '') {
    birthGivenNames = birth.given;
    warnings.push(warning('PID-5.3', 'list of birth prénoms empty: premier prénom used'));
  }
  const sex: Sex = pid.sex === 'M' || pid.sex === 'F' ? pid.sex : 'U';
  if (pid.birthDate === undefined) warnings.push(warning('PID-7', 'birth date missing or unreadable'));
  const patient: PamPatient = {
    ipp: identifierOf(ippCx),
    birthName: birth.family,
    firstGivenName: birth.given,
    birthGivenNames,
    birthDate: pid.birthDate ?? '',
    sex,
    status: pid.status ?? 'PROV',
    attributes: pid.attributes,
  };
  const ins = chooseIns(pid.ins);
  if (ins !== undefined) patient.ins = ins;
  const used = pid.usedName;
  if (used !== undefined) {
    if (used.family !== '' && used.family !== '""') patient.usedName = used.family;
    if (used.given !== '' && used.given !== '""') patient.usedGivenName = used.given;
  }
  const civility = opt(birth.prefix) ?? opt(used?.prefix ?? '');
  if (civility !== undefined) patient.civility = civility;
  if (pid.birthplaceCog !== undefined) patient.birthplaceCog = pid.birthplaceCog;
  const home = pid.homeAddress;
  if (home !== undefined) {
    const address: PamAddress = {};
    const pairs = [['street', home.street], ['otherDesignation', home.otherDesignation], ['city', home.city], ['postalCode', home.postalCode], ['country', home.country]] as const;
    for (const [k, v] of pairs) if (v !== '') address[k] = v;
    patient.address = address;
  }
  return ok(patient);
}

const isoDateTime = (v: string): string | undefined => (v === '' ? undefined : hl7DateTimeToIso(v) ?? v);

function stayFrom(message: Hl7Message, pid: Pid, warnings: Issue[]): PamStay | undefined {
  const stay: PamStay = {};
  if (pid.accountNumber !== undefined && pid.accountNumber.id !== '') stay.nda = identifierOf(pid.accountNumber);
  const pv1Segment = message.segment('PV1');
  if (pv1Segment !== undefined) {
    const pv1 = readPv1(pv1Segment);
    if (pv1.patientClass !== '' && pv1.patientClass !== 'N') stay.patientClass = pv1.patientClass;
    if (pv1.assignedLocation !== undefined) stay.assignedLocation = pv1.assignedLocation;
    if (pv1.visitNumber !== undefined && pv1.visitNumber.id !== '') stay.visitNumber = identifierOf(pv1.visitNumber);
    const admit = isoDateTime(pv1.admitDateTime);
    if (admit !== undefined) stay.admitDateTime = admit;
    const discharge = isoDateTime(pv1.dischargeDateTime);
    if (discharge !== undefined) stay.dischargeDateTime = discharge;
  }
  const zbeSegment = message.segment('ZBE');
  if (zbeSegment !== undefined) {
    const zbe = readZbe(zbeSegment);
    warnings.push(...zbe.issues);
    const movement: NonNullable<PamStay['movement']> = { id: zbe.movementId.id, action: zbe.action };
    if (zbe.movementId.namespace !== '') movement.idNamespace = zbe.movementId.namespace;
    const start = isoDateTime(zbe.startDateTime);
    if (start !== undefined) movement.dateTime = start;
    const end = isoDateTime(zbe.endDateTime);
    if (end !== undefined) movement.endDateTime = end;
    if (zbe.historic !== '') movement.historic = zbe.historic;
    if (zbe.originalTrigger !== '') movement.originalTrigger = zbe.originalTrigger;
    if (zbe.medicalUnit !== undefined) movement.medicalUnit = { name: zbe.medicalUnit.name, code: zbe.medicalUnit.identifier };
    if (zbe.careUnit !== undefined) movement.careUnit = { name: zbe.careUnit.name, code: zbe.careUnit.identifier };
    if (zbe.nature !== '') movement.nature = zbe.nature;
    stay.movement = movement;
  }
  return Object.keys(stay).length === 0 ? undefined : stay;
}

const MODES = new Set(['SM', 'CV', 'INSI', 'CB', 'RFID']);
const PROOFS = new Set(['AN', 'CC', 'CE', 'CM', 'CN', 'CS', 'LE', 'PA', 'PC', 'TC', 'AV', 'DC', 'AC', 'IE']);

/** Reads the patient (and stay, merge, consents) of a parsed PAM FR message. */
export function readPamMessage(message: Hl7Message): Result<PamRead> {
  const mshSegment = message.segments[0];
  if (mshSegment?.name !== 'MSH') return fail('MSH', 'a message must start with an MSH segment');
  const msh = readMsh(mshSegment);
  const pidSegment = message.segment('PID');
  if (pidSegment === undefined) return fail('PID', 'a PAM message needs a PID segment');
  const pid = readPid(pidSegment);
  const failure = pid.issues.find((i) => i.severity === 'error');
  if (failure !== undefined) return fail(failure.field, failure.rule);
  const warnings: Issue[] = pid.issues.slice();
  const patient = patientFrom(pid, warnings);
  if (!patient.ok) return patient;
  const p = patient.value;

  const pd1 = message.segment('PD1');
  if (pd1 !== undefined) {
    const indicator = readPd1(pd1).protectionIndicator;
    if (indicator === 'Y' || indicator === 'N') p.confidential = indicator === 'Y';
  }
  const zfdSegment = message.segment('ZFD');
  if (zfdSegment !== undefined) {
    const zfd = readZfd(zfdSegment);
    if (zfd.identityAcquisitionMode !== '') {
      if (MODES.has(zfd.identityAcquisitionMode)) {
        p.insiCall = { mode: zfd.identityAcquisitionMode as IdentityAcquisitionMode };
        const date = hl7DateToIso(zfd.insiCallDate);
        if (date !== undefined) p.insiCall.date = date;
      } else warnings.push(warning('ZFD-5', `unknown identity acquisition mode "${zfd.identityAcquisitionMode}"`));
    }
    if (zfd.proofType !== '') {
      if (PROOFS.has(zfd.proofType)) {
        p.proof = { type: zfd.proofType as ProofType };
        const expiry = hl7DateToIso(zfd.proofExpiry);
        if (expiry !== undefined) p.proof.expiry = expiry;
      } else warnings.push(warning('ZFD-7', `unknown identity proof type "${zfd.proofType}"`));
    } else if (p.status === 'VALI') {
      warnings.push(warning('ZFD-7', 'identity proof type empty although PID-32 is VALI'));
    }
  }

  const read: PamRead = {
    messageType: msh.messageType,
    controlId: msh.controlId,
    patient: p,
    insIdentifiers: pid.ins,
    insNullified: pid.insNullified,
    insUsable: insIsUsable(pid),
    warnings,
  };
  const mrgSegment = message.segment('MRG');
  if (mrgSegment !== undefined) {
    const mrg = readMrg(mrgSegment);
    const merge: PamMerge = { priorIdentifiers: mrg.priorIdentifiers };
    const ipp = mrg.priorIdentifiers.find((cx) => cx.type === 'PI');
    if (ipp !== undefined) merge.priorIpp = identifierOf(ipp);
    const ins = mrg.priorIdentifiers.find((cx) => cx.type === 'INS');
    if (ins !== undefined) merge.priorIns = { matricule: ins.id, oid: ins.authority.universalId ?? '' };
    read.merge = merge;
  }
  const stay = stayFrom(message, pid, warnings);
  if (stay !== undefined) read.stay = stay;
  const zfa = message.segment('ZFA');
  if (zfa !== undefined) read.zfa = readZfa(zfa);
  return ok(read);
}
