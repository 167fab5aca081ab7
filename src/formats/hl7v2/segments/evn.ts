/** EVN — event type (HL7 v2.5 §3.4.1; PAM FR §6.4). */
import { readXcn, type XCN } from '../datatypes.ts';
import type { Segment } from '../segment.ts';

export interface Evn {
  /** EVN-2: when the event was recorded. */
  recordedDateTime: string;
  /** EVN-3 */
  plannedDateTime: string;
  /** EVN-4 */
  reasonCode: string;
  /** EVN-5 */
  operator: XCN[];
  /** EVN-6: when the event actually happened. */
  occurredDateTime: string;
}

export function readEvn(segment: Segment): Evn {
  return {
    recordedDateTime: segment.value(2),
    plannedDateTime: segment.value(3),
    reasonCode: segment.value(4),
    operator: segment.repetitions(5).map((r) => readXcn(r, segment.encoding)),
    occurredDateTime: segment.value(6),
  };
}
