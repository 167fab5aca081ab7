/** PV1 — patient visit (HL7 v2.5 §3.4.3; PAM FR §6.10). */
import { readCx, readPl, readXcn, type CX, type PL, type XCN } from '../datatypes.ts';
import type { Segment } from '../segment.ts';

export interface Pv1 {
  /** PV1-2: I, O, E, R, N (not applicable, ITI-30)… */
  patientClass: string;
  /** PV1-3 */
  assignedLocation?: PL;
  /** PV1-4 */
  admissionType: string;
  /** PV1-6 */
  priorLocation?: PL;
  /** PV1-7 */
  attendingDoctor: XCN[];
  /** PV1-10 */
  hospitalService: string;
  /** PV1-14 */
  admitSource: string;
  /** PV1-17 */
  admittingDoctor: XCN[];
  /** PV1-18 */
  patientType: string;
  /** PV1-19: visit number (VN). */
  visitNumber?: CX;
  /** PV1-36 */
  dischargeDisposition: string;
  /** PV1-44 */
  admitDateTime: string;
  /** PV1-45 (first repetition) */
  dischargeDateTime: string;
  /** PV1-51 */
  visitIndicator: string;
}

export function readPv1(segment: Segment): Pv1 {
  const enc = segment.encoding;
  const pv1: Pv1 = {
    patientClass: segment.value(2),
    admissionType: segment.value(4),
    attendingDoctor: segment.repetitions(7).map((r) => readXcn(r, enc)),
    hospitalService: segment.value(10),
    admitSource: segment.value(14),
    admittingDoctor: segment.repetitions(17).map((r) => readXcn(r, enc)),
    patientType: segment.value(18),
    dischargeDisposition: segment.value(36),
    admitDateTime: segment.value(44),
    dischargeDateTime: segment.value(45),
    visitIndicator: segment.value(51),
  };
  if (segment.field(3) !== '') pv1.assignedLocation = readPl(segment.field(3), enc);
  if (segment.field(6) !== '') pv1.priorLocation = readPl(segment.field(6), enc);
  const vn = segment.repetitions(19)[0];
  if (vn !== undefined) pv1.visitNumber = readCx(vn, enc);
  return pv1;
}
