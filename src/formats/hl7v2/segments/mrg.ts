/** MRG — merge information (HL7 v2.5 §3.4.9; PAM FR §6.9: A40 IPP, A47 INS). */
import { readCx, readXpn, type CX, type XPN } from '../datatypes.ts';
import type { Segment } from '../segment.ts';

export interface Mrg {
  /** MRG-1: prior identifiers (A40: absorbed IPP; A47: the INS to replace or delete). */
  priorIdentifiers: CX[];
  /** MRG-3 */
  priorAccountNumber?: CX;
  /** MRG-5 */
  priorVisitNumber?: CX;
  /** MRG-7 */
  priorNames: XPN[];
}

export function readMrg(segment: Segment): Mrg {
  const enc = segment.encoding;
  const mrg: Mrg = {
    priorIdentifiers: segment.repetitions(1).map((r) => readCx(r, enc)),
    priorNames: segment.repetitions(7).map((r) => readXpn(r, enc)),
  };
  const account = segment.repetitions(3)[0];
  if (account !== undefined) mrg.priorAccountNumber = readCx(account, enc);
  const visit = segment.repetitions(5)[0];
  if (visit !== undefined) mrg.priorVisitNumber = readCx(visit, enc);
  return mrg;
}
