/**
 * ITI-30 A47 — change patient identifier list (ADT_A30: MSH EVN PID [PD1] MRG), PAM FR §4.4.2–4.4.4.
 * ZFD is not part of ADT_A30: insiCall/proof are not carried.
 * One A47 per identifier, INS only (an IPP is corrected with A40):
 * - `change`: new INS in PID-3 (patient.ins), old INS in MRG-1 (e.g. NIR change after a sex change);
 * - `remove`: PID-3 = IPP + `""^^^ASIP-SANTE-INS-NIR&<OID>&ISO^INS`, MRG-1 = the INS to delete;
 *   with PID-32 PROV this is also "qualifiée → récupérée" (CP-ITI-FR-2023-151).
 */
import { checkMatriculeOnReceipt } from '../../ins/index.ts';
import { buildMessage, buildSegment } from '../build.ts';
import type { Hl7Message } from '../message.ts';
import { fail, ok, type Result } from '../../result.ts';
import { checkPatient, evnSegment, insCx, mshSegment, nullInsCx, pd1Segment, pidSegment } from './encode.ts';
import type { InsValue, PamHeader, PamPatient } from './patient.ts';

export type InsChange = { kind: 'change'; previousIns: InsValue } | { kind: 'remove'; removedIns: InsValue };

export function buildA47(header: PamHeader, patient: PamPatient, change: InsChange): Result<Hl7Message> {
  const checked = checkPatient(patient);
  if (!checked.ok) return checked;
  const old = change.kind === 'change' ? change.previousIns : change.removedIns;
  const oldChecked = checkMatriculeOnReceipt(old.matricule, 'MRG-1.1');
  if (!oldChecked.ok) return oldChecked;
  if (change.kind === 'change' && patient.ins === undefined) return fail('PID-3', 'an INS change needs the new INS in the patient');
  if (change.kind === 'remove' && patient.ins !== undefined) return fail('PID-3', 'an INS removal sends no INS for the patient');
  const pid = change.kind === 'remove' ? pidSegment(patient, nullInsCx(old.oid)) : pidSegment(patient);
  const pd1 = pd1Segment(patient);
  return ok(buildMessage([
    mshSegment(header, ['ADT', 'A47', 'ADT_A30']),
    evnSegment(header),
    pid,
    ...(pd1 === undefined ? [] : [pd1]),
    buildSegment('MRG', [insCx(old)]),
  ]));
}
