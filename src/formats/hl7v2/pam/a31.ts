/** ITI-30 A31 — update patient information (ADT_A05), PAM FR §2 / §5.2; also NIA → NIR (§4.4.1). */
import type { Hl7Message } from '../message.ts';
import type { Result } from '../../result.ts';
import { buildAdtA05 } from './adt-a05.ts';
import type { PamHeader, PamPatient } from './patient.ts';

export const buildA31 = (header: PamHeader, patient: PamPatient): Result<Hl7Message> => buildAdtA05('A31', header, patient);
