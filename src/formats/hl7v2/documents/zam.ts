/**
 * Business acknowledgements of the PFI to the producer, `ZAM^Z01|Z02|Z03^ZAM_Z01` in HL7 v2.6
 * (TRANS `ack-metier-zam.md`, `error-codes.md`; dmp.md §9, mssante.md §6; official examples
 * `Volets/TRANS_DOC_CDA_HL7V2/V2.x/ORU/Transmission initiale ORU/Message metier …`):
 *
 *     MSH|^~\&|PFI|…|<producer>|…|<time>||ZAM^Z01^ZAM_Z01|<id>|P|2.6|||||FRA|UNICODE UTF-8|||2.1^CISIS_CDA_HL7_V2
 *     EVN||<time of the DMP / MSSanté event>
 *     OBX|1|CWE|ACK_RECEPTION_DMP^Accusé de réception DMP^AckMetierZAM|<producer's MSH-10>|N^^expandedYes-NoIndicator||||||F
 *     ERR|||207^Application internal error^messageErrorCondition|E|DMPClosed^DMP fermé^DMPERRORCODE
 *
 * - Z01 reception by the DMP: OBX `ACK_RECEPTION_DMP` Y/N; ERR-5 from table DMPERRORCODE.
 * - Z02 reception by the recipient's MSSanté server (DSN): OBX `ACK_RECEPTION_MSS` Y/N, then
 *   OBX XTN `DESTINATAIRE_MSS` (OBX-4 the recipient's idNatPs, OBX-5 `^^X.400^<address>`);
 *   ERR-5 from table SMTPERRORCODE.
 * - Z03 reading (MDN): OBX `ACK_LECTURE_MSS` Y/N, then OBX XTN `LECTEUR_MSS`; ERR-5 codes
 *   900–906 (table applicationErrorCode, HL70533).
 *
 * Coding systems follow the profile of the acknowledged message: volet 2.0 wrote HL70136 /
 * HL70357, volet 2.1 `expandedYes-NoIndicator` / `messageErrorCondition`.
 */
import { buildMessage, buildSegment, type FieldValue } from '../build.ts';
import { readCwe, type CWE, type EI, type HD } from '../datatypes.ts';
import { formatHl7DateTime } from '../datetime.ts';
import { HL7_ERROR_CODES, type Hl7ErrorCode } from '../error-codes.ts';
import { readErr, type ErrRead } from '../ack.ts';
import type { Hl7Message } from '../message.ts';
import { fail, ok, type Result } from '../../result.ts';
import { readMsh, type Msh } from '../segments/msh.ts';
import { readObx, xtnAddress } from './segments.ts';

export type ZamType = 'Z01' | 'Z02' | 'Z03';

/** OBX-3 codes of table AckMetierZAM, with their labels. */
export const ACK_METIER_ZAM = {
  ACK_RECEPTION_DMP: 'Accusé de réception DMP',
  ACK_RECEPTION_MSS: 'Accusé de réception MSSanté',
  DESTINATAIRE_MSS: 'Destinataire MSSanté',
  ACK_LECTURE_MSS: 'Accusé de lecture',
  LECTEUR_MSS: 'Lecteur du courriel MSSanté',
} as const;
export type AckMetierZamCode = keyof typeof ACK_METIER_ZAM;

const ACK_CODE: Record<ZamType, AckMetierZamCode> = { Z01: 'ACK_RECEPTION_DMP', Z02: 'ACK_RECEPTION_MSS', Z03: 'ACK_LECTURE_MSS' };
const PERSON_CODE: Partial<Record<ZamType, AckMetierZamCode>> = { Z02: 'DESTINATAIRE_MSS', Z03: 'LECTEUR_MSS' };
/** Default ERR-5 coding system per acknowledgement. */
export const ZAM_ERROR_TABLE: Record<ZamType, string> = { Z01: 'DMPERRORCODE', Z02: 'SMTPERRORCODE', Z03: 'applicationErrorCode' };
export const DEFAULT_ZAM_PROFILE: EI = { id: '2.1', namespace: 'CISIS_CDA_HL7_V2', universalId: '', universalIdType: '' };

export interface ZamParams {
  type: ZamType;
  /** The producer's message (or its MSH): receiver and sender are swapped, MSH-10 goes to OBX-4, MSH-21 is kept. */
  original: Hl7Message | Msh;
  /** MSH-10 of the ZAM. */
  controlId: string;
  /** MSH-7 of the ZAM. */
  timestamp: Date;
  /** EVN-2: when the DMP answered / the DSN or MDN arrived (default: timestamp). */
  eventTime?: Date;
  /** OBX-5: Y when the DMP / the MSSanté server accepted, or the mail was read and processed. */
  success: boolean;
  /** Z02 / Z03: the MSSanté recipient (its idNatPs in OBX-4 when known) and address. */
  recipient?: { id?: string; address: string };
  /** On failure: ERR-3 (table 0357, default 207) and ERR-5 `code^label^table`. */
  error?: {
    code?: Hl7ErrorCode;
    applicationError?: { code: string; text?: string; codingSystem?: string };
    /** ERR-7 / ERR-8 */
    diagnostic?: string;
    userMessage?: string;
  };
  /** MSH-3 / MSH-4 of the ZAM when the original message's MSH-5 / MSH-6 should not be echoed. */
  sendingApplication?: string;
  sendingFacility?: string;
  timeZone?: string;
}

const hdValue = (hd: HD): FieldValue => [hd.namespace, hd.universalId, hd.universalIdType];

function isMsh(value: Hl7Message | Msh): value is Msh {
  return 'messageType' in value && 'controlId' in value;
}

/** Builds a ZAM; fails only on inconsistent parameters (Z02/Z03 without recipient, success with an error). */
export function buildZam(params: ZamParams): Result<Hl7Message> {
  let msh: Msh | undefined;
  if (isMsh(params.original)) msh = params.original;
  else {
    const first = params.original.segments[0];
    if (first?.name === 'MSH') msh = readMsh(first);
  }
  if (msh === undefined) return fail('MSH', 'the acknowledged message has no MSH segment');
  if (params.type !== 'Z01' && (params.recipient === undefined || params.recipient.address.trim() === '')) {
    return fail('OBX-5', `${params.type} needs the MSSanté recipient's address (${PERSON_CODE[params.type]})`);
  }
  if (params.success && params.error !== undefined) return fail('ERR', 'a positive acknowledgement (OBX-5 = Y) carries no ERR');
  const profile = msh.profiles[0] ?? DEFAULT_ZAM_PROFILE;
  const legacy = profile.id === '2.0' || profile.id.startsWith('1.');
  const yesNoSystem = legacy ? 'HL70136' : 'expandedYes-NoIndicator';
  const errorSystem = legacy ? 'HL70357' : 'messageErrorCondition';
  const ackCode = ACK_CODE[params.type];

  const segments = [
    buildSegment('MSH', [
      undefined, undefined,
      params.sendingApplication ?? hdValue(msh.receivingApplication), params.sendingFacility ?? hdValue(msh.receivingFacility),
      hdValue(msh.sendingApplication), hdValue(msh.sendingFacility),
      formatHl7DateTime(params.timestamp, params.timeZone), undefined,
      ['ZAM', params.type, 'ZAM_Z01'], params.controlId, msh.processingId || 'P', '2.6',
      undefined, undefined, undefined, undefined, msh.country || 'FRA', msh.characterSet || 'UNICODE UTF-8', undefined, undefined,
      [profile.id, profile.namespace, profile.universalId, profile.universalIdType],
    ]),
    buildSegment('EVN', [undefined, formatHl7DateTime(params.eventTime ?? params.timestamp, params.timeZone)]),
    buildSegment('OBX', [
      '1', 'CWE', [ackCode, ACK_METIER_ZAM[ackCode], 'AckMetierZAM'], msh.controlId, [params.success ? 'Y' : 'N', undefined, yesNoSystem],
      undefined, undefined, undefined, undefined, undefined, 'F',
    ]),
  ];
  const personCode = PERSON_CODE[params.type];
  if (personCode !== undefined && params.recipient !== undefined) {
    segments.push(buildSegment('OBX', [
      '2', 'XTN', [personCode, ACK_METIER_ZAM[personCode], 'AckMetierZAM'], params.recipient.id, [undefined, undefined, 'X.400', params.recipient.address.trim()],
      undefined, undefined, undefined, undefined, undefined, 'F',
    ]));
  }
  if (!params.success) {
    const e = params.error ?? {};
    const code = e.code ?? 207;
    const app = e.applicationError;
    segments.push(buildSegment('ERR', [
      undefined, undefined, [String(code), HL7_ERROR_CODES[code], errorSystem], 'E',
      app === undefined ? undefined : [app.code, app.text, app.codingSystem ?? ZAM_ERROR_TABLE[params.type]],
      undefined, e.diagnostic, e.userMessage,
    ]));
  }
  return ok(buildMessage(segments));
}

export interface ZamRead {
  type: ZamType;
  /** MSH-10 of the ZAM. */
  controlId: string;
  /** EVN-2 */
  eventTime: string;
  /** OBX-4 of the first OBX: the acknowledged message's MSH-10. */
  acknowledgedControlId: string;
  /** OBX-3 of the first OBX. */
  code: CWE;
  /** OBX-5 = Y */
  success: boolean;
  /** Z02/Z03: OBX-4 and XTN-4 of the DESTINATAIRE_MSS / LECTEUR_MSS OBX. */
  recipient?: { id?: string; address: string };
  errors: ErrRead[];
}

/** Reads a ZAM (ours or a peer's). */
export function readZam(message: Hl7Message): Result<ZamRead> {
  const first = message.segments[0];
  if (first?.name !== 'MSH') return fail('MSH', 'a message must start with an MSH segment');
  const msh = readMsh(first);
  const type = msh.messageType.trigger.trim().toUpperCase();
  if (msh.messageType.code.trim().toUpperCase() !== 'ZAM' || (type !== 'Z01' && type !== 'Z02' && type !== 'Z03')) {
    return fail('MSH-9', `a business acknowledgement is ZAM^Z01, ZAM^Z02 or ZAM^Z03, got "${msh.messageType.code}^${msh.messageType.trigger}"`);
  }
  const obxSegments = message.segmentsNamed('OBX');
  const ackSegment = obxSegments.find((s) => readCwe(s.field(3), s.encoding).code.trim().toUpperCase() === ACK_CODE[type]);
  if (ackSegment === undefined) return fail('OBX', `${type} needs an OBX ${ACK_CODE[type]}`);
  const ack = readObx(ackSegment);
  const answer = ackSegment.value(5, 1).trim().toUpperCase();
  if (answer !== 'Y' && answer !== 'N') return fail('OBX-5', `${ACK_CODE[type]} must be Y or N, got "${ackSegment.value(5, 1)}"`);
  const read: ZamRead = {
    type,
    controlId: msh.controlId,
    eventTime: message.segment('EVN')?.value(2) ?? '',
    acknowledgedControlId: ack.subId,
    code: ack.identifier,
    success: answer === 'Y',
    errors: message.segmentsNamed('ERR').map(readErr),
  };
  const personCode = PERSON_CODE[type];
  const person = personCode === undefined ? undefined : obxSegments.find((s) => readCwe(s.field(3), s.encoding).code.trim().toUpperCase() === personCode);
  if (person !== undefined) {
    const obx = readObx(person);
    const address = xtnAddress(obx.valueRaw, person);
    if (address !== '') read.recipient = { ...(obx.subId !== '' ? { id: obx.subId } : {}), address };
  }
  return ok(read);
}
