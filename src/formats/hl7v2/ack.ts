/**
 * Original-mode acknowledgements (HL7 v2.5 §2.9, §2.15.8 ERR, §2.15.9 MSH, §2.15.10 MSA;
 * identity.md §9): the ACK swaps sender and receiver, keeps MSH-11/12 (and 17/18), answers
 * `ACK^<trigger>^ACK`, puts the original MSH-10 in MSA-2 and one ERR per problem
 * (ERR-2 location, ERR-3 table 0357 code, ERR-4 severity, ERR-7 diagnostic, ERR-8 user message).
 */
import { buildMessage, buildSegment, encodeField, type FieldValue } from './build.ts';
import { component, readCwe, type CWE } from './datatypes.ts';
import { formatHl7DateTime } from './datetime.ts';
import { DEFAULT_ENCODING, encodingCharactersText } from './encoding.ts';
import { escape } from './escape.ts';
import { HL7_ERROR_CODES, HL7_ERROR_TABLE, type Hl7ErrorCode } from './error-codes.ts';
import type { Hl7Message } from './message.ts';
import { fail, ok, type FormatError, type Result } from '../result.ts';
import { Segment } from './segment.ts';

export type AckCode = 'AA' | 'AE' | 'AR';
export type Severity = 'E' | 'W' | 'I';

/** ERR-2 (ERL): segment id, sequence (1-based occurrence), field, repetition, component, subcomponent. */
export interface ErrorLocation {
  segment: string;
  sequence?: number;
  field?: number;
  repetition?: number;
  component?: number;
  subcomponent?: number;
}

export interface AckError {
  /** `PID-3[2].4.2` (our FormatError field notation), `PID^1^3`, or structured. */
  location?: string | ErrorLocation;
  /** HL7 table 0357 code. */
  code: Hl7ErrorCode;
  severity?: Severity;
  /** ERR-5: application error code (e.g. `DMPClosed^DMP fermé^DMPERRORCODE`). */
  applicationError?: { code: string; text?: string; codingSystem?: string };
  /** ERR-7: technical diagnostic. */
  diagnostic?: string;
  /** ERR-8: message for the sender's users. */
  userMessage?: string;
}

export interface AckParams {
  code: AckCode;
  /** MSH-10 of the ACK. */
  controlId: string;
  /** MSH-7 of the ACK. */
  timestamp: Date;
  errors?: readonly AckError[];
  /** MSA-3 text message (optional). */
  text?: string;
  timeZone?: string;
}

/**
 * Reads a location: `PID-3[2].4.2`, `PID-3`, `MSH-2`, `PID^1^3^2` (ERL); `segment 3` and
 * other free text give undefined.
 */
export function locationOf(text: string): ErrorLocation | undefined {
  const ours = /^([A-Z0-9]{3})(?:\((\d+)\))?(?:-(\d+)(?:\[(\d+)\])?(?:\.(\d+)(?:\.(\d+))?)?)?$/.exec(text);
  if (ours) {
    const loc: ErrorLocation = { segment: ours[1] as string, sequence: ours[2] !== undefined ? Number(ours[2]) : 1 };
    if (ours[3] !== undefined) loc.field = Number(ours[3]);
    if (ours[4] !== undefined) loc.repetition = Number(ours[4]);
    if (ours[5] !== undefined) loc.component = Number(ours[5]);
    if (ours[6] !== undefined) loc.subcomponent = Number(ours[6]);
    return loc;
  }
  const erl = /^([A-Z0-9]{3})((?:\^\d*){0,5})$/.exec(text);
  if (erl) {
    const [seq, field, rep, comp, sub] = (erl[2] as string).split('^').slice(1).map((n) => (n === '' ? undefined : Number(n)));
    const loc: ErrorLocation = { segment: erl[1] as string };
    if (seq !== undefined) loc.sequence = seq;
    if (field !== undefined) loc.field = field;
    if (rep !== undefined) loc.repetition = rep;
    if (comp !== undefined) loc.component = comp;
    if (sub !== undefined) loc.subcomponent = sub;
    return loc;
  }
  return undefined;
}

const num = (n: number | undefined): string | undefined => (n === undefined ? undefined : String(n));

function errSegment(e: AckError, enc = DEFAULT_ENCODING): Segment {
  const loc = typeof e.location === 'string' ? locationOf(e.location) : e.location;
  const location: FieldValue = loc === undefined
    ? undefined
    : [loc.segment, num(loc.sequence ?? 1), num(loc.field), num(loc.repetition), num(loc.component), num(loc.subcomponent)];
  const app = e.applicationError;
  return buildSegment('ERR', [
    undefined,
    location,
    [String(e.code), HL7_ERROR_CODES[e.code], HL7_ERROR_TABLE],
    e.severity ?? 'E',
    app === undefined ? undefined : [app.code, app.text, app.codingSystem],
    undefined,
    e.diagnostic,
    e.userMessage,
  ], enc);
}

/** An AckError from a codec error: its field becomes ERR-2, its text ERR-8. */
export function ackErrorFrom(error: FormatError, code: Hl7ErrorCode = 102, severity: Severity = 'E'): AckError {
  const location = locationOf(error.field);
  const e: AckError = { code, severity, userMessage: `${error.field}: ${error.rule}` };
  if (location !== undefined) e.location = location;
  return e;
}

/** Accept ACK for a parsed message (ERR segments only when errors are given). */
export function buildAck(original: Hl7Message, params: AckParams): Hl7Message {
  const enc = original.encoding;
  const msh = original.segments[0];
  const raw = (n: number): string => (msh?.name === 'MSH' ? msh.field(n) : '');
  const ackType = encodeField(['ACK', msh?.value(9, 2) ?? '', 'ACK'], enc);
  const header = Segment.fromFields('MSH', [
    encodingCharactersText(enc), raw(5), raw(6), raw(3), raw(4),
    formatHl7DateTime(params.timestamp, params.timeZone), '', ackType, escape(params.controlId, enc),
    raw(11), raw(12), '', '', '', '', raw(17), raw(18),
  ], enc);
  const msa = buildSegment('MSA', [params.code, msh?.value(10) ?? '', params.text], enc);
  return buildMessage([header, msa, ...(params.errors ?? []).map((e) => errSegment(e, enc))], { encoding: enc });
}

export interface UnparseableAckParams {
  controlId: string;
  timestamp: Date;
  /** Default AE (the same message would fail again). */
  code?: 'AE' | 'AR';
  /** Table 0357 code for the ERR; default 102 (data type error), 100 for segment errors. */
  errorCode?: Hl7ErrorCode;
  /** Our own application/facility, used when the incoming MSH-5/6 cannot be read. */
  localApplication?: string;
  localFacility?: string;
  timeZone?: string;
}

const MAX_ECHO = 199;

/**
 * Best-effort ACK for input whose MSH could not be parsed: reads what it can of the first
 * line (sender, receiver, MSH-10/11/12) and always answers with the standard delimiters.
 */
export function buildAckForUnparseable(text: string, error: FormatError, params: UnparseableAckParams): Hl7Message {
  const firstLine = (typeof text === 'string' ? text : '').split(/\r\n|\r|\n/, 1)[0] ?? '';
  let fields: string[] = [];
  let componentChar = '^';
  if (firstLine.startsWith('MSH') && firstLine.length > 3) {
    fields = firstLine.split(firstLine[3] as string);
    const c = firstLine[4];
    if (c !== undefined && /[!-/:-@[-`{-~]/.test(c) && c !== firstLine[3]) componentChar = c;
  }
  // fields[i] is MSH-(i+1) for i ≥ 1
  const echo = (n: number): string => (fields[n - 1] ?? '').slice(0, MAX_ECHO);
  const hd = (n: number, fallback?: string): FieldValue => {
    const value = echo(n);
    if (value === '') return fallback;
    return value.split(componentChar).slice(0, 3).map((c) => c.replace(/[^\x20-\x7e\u00a0-\uffff]/g, ''));
  };
  const trigger = echo(9).split(componentChar)[1] ?? '';
  const code: Hl7ErrorCode = params.errorCode ?? (error.field.startsWith('segment') ? 100 : 102);
  const segments = [
    buildSegment('MSH', [
      undefined, undefined, hd(5, params.localApplication), hd(6, params.localFacility), hd(3), hd(4),
      formatHl7DateTime(params.timestamp, params.timeZone), undefined, ['ACK', trigger, 'ACK'], params.controlId,
      echo(11).split(componentChar)[0] || 'P', echo(12).split(componentChar).slice(0, 3),
    ]),
    buildSegment('MSA', [params.code ?? 'AE', echo(10)]),
    errSegment(ackErrorFrom(error, code, 'E')),
  ];
  return buildMessage(segments);
}

export interface ErrRead {
  location?: ErrorLocation;
  /** ERR-3 (or ERR-1.4 in v2.3/2.4 style). */
  code: CWE;
  severity: string;
  applicationError?: CWE;
  diagnostic: string;
  userMessage: string;
}

/** ERR segment reader (v2.5 fields, falling back on the v2.4 ERR-1). */
export function readErr(segment: Segment): ErrRead {
  const enc = segment.encoding;
  let location: ErrorLocation | undefined;
  let code = readCwe(segment.field(3), enc);
  const erl = segment.repetitions(2)[0];
  if (erl !== undefined) {
    location = { segment: component(erl, 1, enc) };
    const names = ['sequence', 'field', 'repetition', 'component', 'subcomponent'] as const;
    names.forEach((name, i) => {
      const v = component(erl, i + 2, enc);
      if (v !== '' && /^\d+$/.test(v)) (location as ErrorLocation)[name] = Number(v);
    });
  } else if (segment.field(1) !== '') {
    const eld = segment.repetitions(1)[0] as string;
    location = { segment: component(eld, 1, enc) };
    const seq = component(eld, 2, enc);
    const field = component(eld, 3, enc);
    if (/^\d+$/.test(seq)) location.sequence = Number(seq);
    if (/^\d+$/.test(field)) location.field = Number(field);
    if (code.code === '') code = { code: segment.value(1, 4, 1), text: segment.value(1, 4, 2), codingSystem: segment.value(1, 4, 3) };
  }
  const read: ErrRead = {
    code,
    severity: segment.value(4),
    diagnostic: segment.value(7),
    userMessage: segment.value(8),
  };
  if (location !== undefined && location.segment !== '') read.location = location;
  if (segment.field(5) !== '') read.applicationError = readCwe(segment.field(5), enc);
  return read;
}

export interface AckRead {
  /** MSA-1: AA/AE/AR (or CA/CE/CR in enhanced mode). */
  code: 'AA' | 'AE' | 'AR' | 'CA' | 'CE' | 'CR';
  /** MSA-2: control id of the message acknowledged. */
  acknowledgedControlId: string;
  /** MSA-3 */
  text: string;
  errors: ErrRead[];
  /** MSH-10 of the ACK itself. */
  controlId: string;
}

const ACK_CODES = new Set(['AA', 'AE', 'AR', 'CA', 'CE', 'CR']);

/** Reads an incoming ACK. */
export function readAck(message: Hl7Message): Result<AckRead> {
  const msa = message.segment('MSA');
  if (msa === undefined) return fail('MSA', 'an acknowledgement needs an MSA segment');
  const code = msa.value(1);
  if (!ACK_CODES.has(code)) return fail('MSA-1', `acknowledgement code must be AA, AE, AR, CA, CE or CR, got "${code}"`);
  return ok({
    code: code as AckRead['code'],
    acknowledgedControlId: msa.value(2),
    text: msa.value(3),
    errors: message.segmentsNamed('ERR').map(readErr),
    controlId: message.segments[0]?.value(10) ?? '',
  });
}
