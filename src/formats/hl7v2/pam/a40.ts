/**
 * ITI-30 A40 — merge patient (ADT_A39: MSH EVN PID [PD1] MRG), PAM FR §2: PID = the surviving
 * patient, MRG-1 = the absorbed IPP (and MRG-7 its name when known). No ZFD in ADT_A39.
 */
import { buildMessage, buildSegment, type FieldValue } from '../build.ts';
import type { Hl7Message } from '../message.ts';
import { fail, ok, type Result } from '../../result.ts';
import { checkPatient, evnSegment, ippCx, mshSegment, pd1Segment, pidSegment } from './encode.ts';
import type { PamHeader, PamPatient, PatientIdentifier } from './patient.ts';

export interface AbsorbedPatient {
  ipp: PatientIdentifier;
  birthName?: string;
  firstGivenName?: string;
}

export function buildA40(header: PamHeader, survivor: PamPatient, absorbed: AbsorbedPatient): Result<Hl7Message> {
  const checked = checkPatient(survivor);
  if (!checked.ok) return checked;
  if (absorbed.ipp.id === '') return fail('MRG-1', 'the absorbed IPP is required');
  const fields: FieldValue[] = [ippCx(absorbed.ipp)];
  if (absorbed.birthName !== undefined) {
    fields[6] = [absorbed.birthName, absorbed.firstGivenName, undefined, undefined, undefined, undefined, 'L'];
  }
  const pd1 = pd1Segment(survivor);
  return ok(buildMessage([
    mshSegment(header, ['ADT', 'A40', 'ADT_A39']),
    evnSegment(header),
    pidSegment(survivor),
    ...(pd1 === undefined ? [] : [pd1]),
    buildSegment('MRG', Array.from(fields, (f) => f)),
  ]));
}
