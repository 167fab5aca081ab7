/** MSH — message header (HL7 v2.5 §2.15.9; PAM FR §6.3). */
import { readEi, readHd, type EI, type HD } from '../datatypes.ts';
import type { EncodingCharacters } from '../encoding.ts';
import type { Hl7Message } from '../message.ts';
import type { Segment } from '../segment.ts';

export interface Msh {
  encoding: EncodingCharacters;
  sendingApplication: HD;
  sendingFacility: HD;
  receivingApplication: HD;
  receivingFacility: HD;
  /** MSH-7 raw (YYYYMMDDHHMMSS…). */
  dateTime: string;
  /** MSH-9: `ADT^A01^ADT_A01` → code ADT, trigger A01, structure ADT_A01. */
  messageType: { code: string; trigger: string; structure: string };
  /** MSH-10 */
  controlId: string;
  /** MSH-11 (P, D, T). */
  processingId: string;
  /** MSH-12: `2.5^FRA^2.11` → id 2.5, country FRA, internationalVersion 2.11. */
  version: { id: string; country: string; internationalVersion: string };
  /** MSH-12 raw text, copied as is into acknowledgements. */
  versionRaw: string;
  acceptAckType: string;
  applicationAckType: string;
  /** MSH-17 */
  country: string;
  /** MSH-18 (first repetition): `UNICODE UTF-8`, `8859/15`… */
  characterSet: string;
  /** MSH-19 */
  language: string;
  /** MSH-21: message profiles (`2.11^IHE_FRANCE-2.11-PAM`). */
  profiles: EI[];
}

export function readMsh(segment: Segment): Msh {
  const enc = segment.encoding;
  const hd = (n: number): HD => readHd(segment.field(n), enc, false);
  return {
    encoding: enc,
    sendingApplication: hd(3),
    sendingFacility: hd(4),
    receivingApplication: hd(5),
    receivingFacility: hd(6),
    dateTime: segment.value(7),
    messageType: { code: segment.value(9, 1), trigger: segment.value(9, 2), structure: segment.value(9, 3) },
    controlId: segment.value(10),
    processingId: segment.value(11),
    version: { id: segment.value(12, 1), country: segment.value(12, 2), internationalVersion: segment.value(12, 3) },
    versionRaw: segment.field(12),
    acceptAckType: segment.value(15),
    applicationAckType: segment.value(16),
    country: segment.value(17),
    characterSet: segment.value(18),
    language: segment.value(19),
    profiles: segment.repetitions(21).map((r) => readEi(r, enc)),
  };
}

/** The MSH of a parsed message (a parsed message always starts with one). */
export function messageHeader(message: Hl7Message): Msh | undefined {
  const msh = message.segments[0];
  return msh?.name === 'MSH' ? readMsh(msh) : undefined;
}
