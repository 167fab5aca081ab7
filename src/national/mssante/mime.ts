/**
 * The little MIME (RFC 2045/2046, RFC 5322) this module reads and writes by hand: reports
 * (multipart/report, RFC 6522) whose machine-readable parts mailparser turns into text, and
 * the DSN/MDN messages the sandbox and the receiver produce. Reading is total: bad input gives
 * empty parts, never an exception.
 */
import { randomUUID } from 'node:crypto';

export interface MimePart {
  /** Header names lower-cased, values unfolded, in order. */
  headers: Array<[string, string]>;
  /** `type/subtype`, lower case; `text/plain` by default. */
  contentType: string;
  params: Record<string, string>;
  /** Decoded body (base64 / quoted-printable undone). */
  body: Buffer;
  parts: MimePart[];
}

export function header(part: Pick<MimePart, 'headers'>, name: string): string | undefined {
  const n = name.toLowerCase();
  return part.headers.find(([k]) => k === n)?.[1];
}

function splitHead(raw: Buffer): { head: string; body: Buffer } {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf <= lf)) return { head: raw.subarray(0, crlf).toString('latin1'), body: raw.subarray(crlf + 4) };
  if (lf >= 0) return { head: raw.subarray(0, lf).toString('latin1'), body: raw.subarray(lf + 2) };
  return { head: raw.toString('latin1'), body: Buffer.alloc(0) };
}

export function parseHeaderBlock(head: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && out.length > 0) out[out.length - 1]![1] += ` ${line.trim()}`;
    else {
      const at = line.indexOf(':');
      if (at > 0) out.push([line.slice(0, at).trim().toLowerCase(), line.slice(at + 1).trim()]);
    }
  }
  return out;
}

function contentTypeOf(value: string | undefined): { type: string; params: Record<string, string> } {
  const [type = 'text/plain', ...rest] = (value ?? 'text/plain').split(';');
  const params: Record<string, string> = {};
  for (const p of rest) {
    const at = p.indexOf('=');
    if (at > 0) params[p.slice(0, at).trim().toLowerCase()] = p.slice(at + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return { type: type.trim().toLowerCase() || 'text/plain', params };
}

function decodeBody(body: Buffer, encoding: string | undefined): Buffer {
  const e = (encoding ?? '').trim().toLowerCase();
  if (e === 'base64') return Buffer.from(body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  if (e === 'quoted-printable') {
    const text = body.toString('latin1').replace(/=\r?\n/g, '');
    return Buffer.from(text.replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
  }
  return body;
}

/** Parses a message or a part; multiparts are split (nested up to `depth`). */
export function parseMime(raw: Buffer, depth = 4): MimePart {
  const { head, body } = splitHead(raw);
  const headers = parseHeaderBlock(head);
  const { type, params } = contentTypeOf(header({ headers }, 'content-type'));
  const part: MimePart = { headers, contentType: type, params, body: decodeBody(body, header({ headers }, 'content-transfer-encoding')), parts: [] };
  if (type.startsWith('multipart/') && params.boundary && depth > 0) {
    const text = body.toString('latin1');
    const delimiter = `--${params.boundary}`;
    const chunks = text.split(new RegExp(`(?:^|\\r?\\n)${delimiter.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    for (const chunk of chunks.slice(1)) {
      if (chunk.startsWith('--')) break;
      part.parts.push(parseMime(Buffer.from(chunk.replace(/^[ \t]*\r?\n/, ''), 'latin1'), depth - 1));
    }
  }
  return part;
}

/** Field blocks of a delivery-status / disposition-notification body (RFC 3464 §2.1). */
export function parseFieldBlocks(body: Buffer | string): Array<Array<[string, string]>> {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  return text.split(/\r?\n[ \t]*\r?\n/).map((b) => parseHeaderBlock(b)).filter((b) => b.length > 0);
}

// ---- writing ----------------------------------------------------------------------------------

const CRLF = '\r\n';
/** Base64 in lines of 76 characters, each ended by CRLF (RFC 2045 §6.8), copied straight into one buffer. */
function base64Lines(data: Buffer): Buffer {
  const encoded = Buffer.from(data.toString('base64'), 'latin1');
  const lines = Math.ceil(encoded.length / 76);
  const out = Buffer.allocUnsafe(encoded.length + lines * 2);
  let at = 0;
  for (let from = 0; from < encoded.length; from += 76) {
    at += encoded.copy(out, at, from, Math.min(from + 76, encoded.length));
    out[at++] = 13;
    out[at++] = 10;
  }
  return out;
}

/**
 * Unstructured header text: as is when ASCII, folded at spaces (RFC 5322 §2.2.3); otherwise
 * (or when a word is too long to fold) RFC 2047 encoded-words, one per folded line, never
 * splitting a character. Lines leave room for a header name of up to 9 characters
 * (`Subject: `) within 78.
 */
export function encodeHeaderText(text: string): string {
  if (/^[\x20-\x7e]*$/.test(text) && text.split(' ').every((word) => word.length <= 68)) {
    const lines: string[] = [];
    let line: string | undefined;
    for (const word of text.split(' ')) {
      if (line !== undefined && line.length + 1 + word.length > 68) {
        lines.push(line);
        line = word;
      } else {
        line = line === undefined ? word : `${line} ${word}`;
      }
    }
    return [...lines, line ?? ''].join(`${CRLF} `);
  }
  return encodeWords(text);
}

/** RFC 2047 B encoded-words of at most 64 characters, one per folded line. */
function encodeWords(text: string): string {
  const words: string[] = [];
  let chunk = '';
  for (const character of text) {
    // 39 bytes of UTF-8 → 52 base64 characters + 12 of `=?UTF-8?B?…?=` = 64.
    if (Buffer.byteLength(chunk + character, 'utf8') > 39) {
      words.push(chunk);
      chunk = '';
    }
    chunk += character;
  }
  words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`).join(`${CRLF} `);
}

/** An address with its display name: quoted when short and ASCII, else encoded-words with the address on a line of its own. */
export function mailbox(address: string, name?: string): string {
  if (!name) return address;
  const quoted = `"${name.replace(/["\\]/g, '\\$&')}" <${address}>`;
  if (/^[\x20-\x7e]*$/.test(name) && quoted.length <= 68) return quoted;
  return `${encodeWords(name)}${CRLF} <${address}>`;
}

export interface WrittenPart {
  contentType: string;
  /** Extra headers (Content-Disposition…). */
  headers?: Record<string, string>;
  /** Text parts are written 8bit UTF-8; binary ones base64. */
  body: string | Buffer;
  encoding?: '8bit' | '7bit' | 'base64';
}

export function writeMultipart(topHeaders: Record<string, string>, subtype: string, params: Record<string, string>, parts: WrittenPart[]): Buffer {
  const boundary = `=_passerelle_${randomUUID()}`;
  const head = Object.entries(topHeaders).map(([k, v]) => `${k}: ${v}`);
  const paramText = Object.entries(params).map(([k, v]) => `; ${k}=${v}`).join('');
  head.push('MIME-Version: 1.0', `Content-Type: multipart/${subtype}${paramText};${CRLF} boundary="${boundary}"`);
  // Text is gathered as strings, base64 bodies as buffers: joined once at the end.
  const out: Array<string | Buffer> = [head.join(CRLF) + CRLF + CRLF + `This is a MIME-encapsulated message.${CRLF}`];
  for (const p of parts) {
    const encoding = p.encoding ?? (typeof p.body === 'string' ? '8bit' : 'base64');
    let partHead = `${CRLF}--${boundary}${CRLF}Content-Type: ${p.contentType}${CRLF}`;
    for (const [k, v] of Object.entries(p.headers ?? {})) partHead += `${k}: ${v}${CRLF}`;
    if (encoding === 'base64') {
      out.push(`${partHead}Content-Transfer-Encoding: base64${CRLF}${CRLF}`, base64Lines(Buffer.isBuffer(p.body) ? p.body : Buffer.from(p.body, 'utf8')));
    } else {
      if (encoding === '8bit') partHead += `Content-Transfer-Encoding: 8bit${CRLF}`;
      const body = (Buffer.isBuffer(p.body) ? p.body.toString('utf8') : p.body).replace(/\r?\n/g, CRLF);
      out.push(partHead + CRLF + body + (body.endsWith(CRLF) ? '' : CRLF));
    }
  }
  out.push(`${CRLF}--${boundary}--${CRLF}`);
  return Buffer.concat(out.map((piece) => (typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece)));
}

export const rfc5322Date = (d: Date): string => d.toUTCString().replace('GMT', '+0000');
export const newMessageId = (domain: string): string => `<${randomUUID()}@${domain}>`;
