/** ITI-30 A28 — create patient (ADT_A05), PAM FR §2 / §5.2. */
import type { Hl7Message } from '../message.ts';
import type { Result } from '../../result.ts';
import { buildAdtA05 } from './adt-a05.ts';
import type { PamHeader, PamPatient } from './patient.ts';

export const buildA28 = (header: PamHeader, patient: PamPatient): Result<Hl7Message> => buildAdtA05('A28', header, patient);
