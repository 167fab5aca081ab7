/** ZFA — DMP status and consents (PAM FR §6.16). */
import type { Segment } from '../segment.ts';

export interface Zfa {
  /** ZFA-1: ACTIF / FERME / INEXISTANT. */
  dmpStatus: string;
  dmpStatusDate: string;
  dmpClosingDate: string;
  /** ZFA-9: NA, IO (informed, opposed), INO (informed, not opposed). */
  feedingOpposition: string;
  feedingOppositionDate: string;
  /** ZFA-11: NA, INC (informed, does not consent), IC (informed, consents). */
  consultationConsent: string;
  consultationConsentDate: string;
}

export function readZfa(segment: Segment): Zfa {
  return {
    dmpStatus: segment.value(1),
    dmpStatusDate: segment.value(2),
    dmpClosingDate: segment.value(3),
    feedingOpposition: segment.value(9),
    feedingOppositionDate: segment.value(10),
    consultationConsent: segment.value(11),
    consultationConsentDate: segment.value(12),
  };
}
