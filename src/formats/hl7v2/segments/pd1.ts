/** PD1 — additional demographics (PAM FR §6.7). */
import { readXcn, readXon, type XCN, type XON } from '../datatypes.ts';
import type { Segment } from '../segment.ts';

export interface Pd1 {
  /** PD1-2 */
  livingArrangement: string;
  /** PD1-3 */
  primaryFacility: XON[];
  /** PD1-4: médecin traitant. */
  primaryCareProvider: XCN[];
  /** PD1-11 */
  publicityCode: string;
  /** PD1-12: Y = the patient asked that their presence not be disclosed. */
  protectionIndicator: string;
  /** PD1-13 */
  protectionIndicatorDate: string;
}

export function readPd1(segment: Segment): Pd1 {
  const enc = segment.encoding;
  return {
    livingArrangement: segment.value(2),
    primaryFacility: segment.repetitions(3).map((r) => readXon(r, enc)),
    primaryCareProvider: segment.repetitions(4).map((r) => readXcn(r, enc)),
    publicityCode: segment.value(11),
    protectionIndicator: segment.value(12),
    protectionIndicatorDate: segment.value(13),
  };
}
