/** ZFD — complementary demographics (PAM FR §6.18). */
import type { Segment } from '../segment.ts';

export interface Zfd {
  /** ZFD-1: lunar birth date (day 31–35 = week of the month). */
  lunarDate: string;
  /** ZFD-2 */
  gestationWeeks: string;
  /** ZFD-3: SMS consent Y/N. */
  smsConsent: string;
  /** ZFD-4: birth date corrected Y/N. */
  birthDateCorrected: string;
  /** ZFD-5: SM, CV, INSI, CB, RFID. */
  identityAcquisitionMode: string;
  /** ZFD-6: date of the INSi call. */
  insiCallDate: string;
  /** ZFD-7: identity proof type (AN, CC, CE, CM, CN, CS, LE, PA, PC, TC, AV, DC, AC, IE). */
  proofType: string;
  /** ZFD-8 */
  proofExpiry: string;
}

export function readZfd(segment: Segment): Zfd {
  return {
    lunarDate: segment.value(1),
    gestationWeeks: segment.value(2),
    smsConsent: segment.value(3),
    birthDateCorrected: segment.value(4),
    identityAcquisitionMode: segment.value(5),
    insiCallDate: segment.value(6),
    proofType: segment.value(7),
    proofExpiry: segment.value(8),
  };
}
