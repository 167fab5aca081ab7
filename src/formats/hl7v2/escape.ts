/**
 * ER7 escape sequences (HL7 v2.5 §2.7): `\F\ \S\ \T\ \R\ \E\` (and `\P\` with a truncation
 * character) stand for the delimiters. Other sequences (`\X0D\`, `\.br\`, `\H\`, `\Zxx\`…) are
 * formatting or hexadecimal data: `unescape` keeps them verbatim unless `hex` is asked.
 */
import type { EncodingCharacters } from './encoding.ts';

export interface UnescapeOptions {
  /** Decode `\Xhh…\` into characters (one per byte pair, Latin-1 range). Default: keep verbatim. */
  hex?: boolean;
}

function delimiterFor(code: string, enc: EncodingCharacters): string | undefined {
  switch (code) {
    case 'F': return enc.field;
    case 'S': return enc.component;
    case 'T': return enc.subcomponent;
    case 'R': return enc.repetition;
    case 'E': return enc.escape;
    case 'P': return enc.truncation;
    default: return undefined;
  }
}

function decodeHex(body: string): string | undefined {
  if (body.length < 3 || (body.length - 1) % 2 !== 0 || !/^X[0-9A-Fa-f]+$/.test(body)) return undefined;
  let out = '';
  for (let i = 1; i < body.length; i += 2) out += String.fromCharCode(parseInt(body.slice(i, i + 2), 16));
  return out;
}

/** Turns the text of one leaf (component or subcomponent) into its value. */
export function unescape(text: string, enc: EncodingCharacters, options?: UnescapeOptions): string {
  const e = enc.escape;
  let start = text.indexOf(e);
  if (start < 0) return text;
  let out = '';
  let copied = 0;
  while (start >= 0) {
    const end = text.indexOf(e, start + 1);
    if (end < 0) break;
    const body = text.slice(start + 1, end);
    let value = body.length === 1 ? delimiterFor(body, enc) : undefined;
    if (value === undefined && options?.hex === true && body.charCodeAt(0) === 0x58) value = decodeHex(body);
    if (value !== undefined) {
      out += text.slice(copied, start) + value;
      copied = end + 1;
    }
    start = text.indexOf(e, end + 1);
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/**
 * Turns a value into leaf text: delimiters become `\F\ \S\ \T\ \R\ \E\`; CR and LF become
 * `\X0D\` / `\X0A\` so that data can never split a segment.
 */
export function escape(value: string, enc: EncodingCharacters): string {
  let out = '';
  let copied = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    let seq: string | undefined;
    if (ch === enc.escape) seq = 'E';
    else if (ch === enc.field) seq = 'F';
    else if (ch === enc.component) seq = 'S';
    else if (ch === enc.subcomponent) seq = 'T';
    else if (ch === enc.repetition) seq = 'R';
    else if (ch === enc.truncation) seq = 'P';
    else if (ch === '\r') seq = 'X0D';
    else if (ch === '\n') seq = 'X0A';
    if (seq !== undefined) {
      out += value.slice(copied, i) + enc.escape + seq + enc.escape;
      copied = i + 1;
    }
  }
  return copied === 0 ? value : out + value.slice(copied);
}
