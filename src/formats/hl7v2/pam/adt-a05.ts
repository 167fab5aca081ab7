/** ADT_A05 structure of ITI-30 A28/A31 (PAM FR §5.2): MSH EVN PID [PD1] PV1 [ZFD]. */
import { buildMessage, buildSegment } from '../build.ts';
import type { Hl7Message } from '../message.ts';
import type { Result } from '../../result.ts';
import { ok } from '../../result.ts';
import type { Segment } from '../segment.ts';
import { checkPatient, evnSegment, mshSegment, pd1Segment, pidSegment, zfdSegment } from './encode.ts';
import type { PamHeader, PamPatient } from './patient.ts';

export function buildAdtA05(trigger: 'A28' | 'A31', header: PamHeader, patient: PamPatient): Result<Hl7Message> {
  const checked = checkPatient(patient);
  if (!checked.ok) return checked;
  const segments: Segment[] = [mshSegment(header, ['ADT', trigger, 'ADT_A05']), evnSegment(header), pidSegment(patient)];
  const pd1 = pd1Segment(patient);
  if (pd1 !== undefined) segments.push(pd1);
  segments.push(buildSegment('PV1', ['1', 'N']));
  const zfd = zfdSegment(patient);
  if (zfd !== undefined) segments.push(zfd);
  return ok(buildMessage(segments));
}
