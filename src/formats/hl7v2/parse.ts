/**
 * ER7 parser (HL7 v2.5 §2.6–2.7). Accepts CR (standard), LF or CRLF between segments and
 * remembers which, plus what follows the last segment, so that `serialize(parse(x)) === x`
 * for every well-formed input. Blank lines between segments are skipped (not preserved).
 *
 * Only the structure is checked here: MSH first, valid MSH-1/MSH-2, 3-character segment ids.
 * Fields are split lazily on access.
 */
import { readEncoding } from './encoding.ts';
import { Hl7Message, type SegmentSeparator } from './message.ts';
import { fail, ok, type Result } from '../result.ts';
import { Segment } from './segment.ts';

/** The first line terminator decides (scans the first segment only). */
function detectSeparator(text: string): SegmentSeparator {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0d) return text.charCodeAt(i + 1) === 0x0a ? '\r\n' : '\r';
    if (c === 0x0a) return '\n';
  }
  return '\r';
}

function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) return false;
  }
  return true;
}

function isIdChar(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x30 && code <= 0x39);
}

const preview = (line: string): string => JSON.stringify(line.slice(0, 4));

export function parse(text: string): Result<Hl7Message> {
  if (typeof text !== 'string') return fail('message', 'expected ER7 text');
  if (isBlank(text)) return fail('MSH', 'message is empty');
  const separator = detectSeparator(text);
  const lines = text.split(separator);
  let last = lines.length - 1;
  while (last >= 0 && lines[last] === '') last--;
  const trailer = separator.repeat(lines.length - 1 - last);
  const first = lines[0] as string;
  if (!first.startsWith('MSH')) {
    if (first.startsWith('FHS') || first.startsWith('BHS')) return fail('FHS', 'batch files (FHS/BHS) are not supported: send one message at a time');
    return fail('MSH', `a message must start with an MSH segment, got ${preview(first)}`);
  }
  const encoding = readEncoding(first);
  if (!encoding.ok) return encoding;
  const enc = encoding.value;
  const fieldCode = enc.field.charCodeAt(0);
  const segments: Segment[] = [];
  for (let i = 0; i <= last; i++) {
    const line = lines[i] as string;
    if (line.length === 0) continue;
    if (
      line.length < 3 || !isIdChar(line.charCodeAt(0)) || !isIdChar(line.charCodeAt(1)) || !isIdChar(line.charCodeAt(2)) ||
      (line.length > 3 && line.charCodeAt(3) !== fieldCode)
    ) {
      return fail(`segment ${i + 1}`, `a segment starts with a 3-character id (A–Z, 0–9) followed by "${enc.field}", got ${preview(line)}`);
    }
    segments.push(new Segment(line, enc, line.slice(0, 3)));
  }
  return ok(new Hl7Message(segments, { encoding: enc, segmentSeparator: separator, trailer }));
}
