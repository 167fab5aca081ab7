/**
 * MTOM/XOP packaging of SOAP 1.2 messages (W3C SOAP MTOM §3–4, XOP 1.0 §3–5; RFC 2387
 * multipart/related; dmp.md §3): the SOAP envelope travels as the root part
 * (`application/xop+xml; type="application/soap+xml"`), each binary as an
 * `application/octet-stream` part named by its `Content-ID`, and the envelope points at it with
 * `<xop:Include href="cid:…"/>`.
 *
 * - `buildMtom` writes the multipart body by hand (exact bytes, CRLF, no re-encoding of the
 *   attachments) and returns the HTTP Content-Type to send with it.
 * - `parseMtom` reads it with @remix-run/multipart-parser. Pure and total: a Result naming
 *   the header or part at fault, never a throw.
 * - `inlineXop` rebuilds the XOP infoset (each xop:Include replaced by the base64 of its part),
 *   which is what an XSD describes.
 */
import { MultipartParseError, getMultipartBoundary, parseMultipart } from '@remix-run/multipart-parser';
import { fail, ok, type Result } from '../result.ts';
import { SOAP12_MEDIA_TYPE } from './namespaces.ts';
import { isElement, parseXml, serializeXml } from './xml.ts';

export const XOP_NS = 'http://www.w3.org/2004/08/xop/include';
export const XOP_MEDIA_TYPE = 'application/xop+xml';

export interface MtomAttachment {
  /** Content-ID without angle brackets, e.g. `0.2` (referenced as `cid:0.2`). */
  contentId: string;
  /** Default `application/octet-stream`. */
  contentType?: string;
  bytes: Uint8Array;
}

export interface MtomBuildInput {
  /** The complete SOAP 1.2 envelope, xop:Include elements in place. */
  envelope: string;
  /** SOAP action, repeated in the `action` parameters (SOAP 1.2 HTTP binding). */
  action?: string;
  attachments: MtomAttachment[];
  /** Default `0.1` (as the DMP examples). */
  rootContentId?: string;
  /** Default: random. */
  boundary?: string;
}

export interface MtomMessage {
  /** HTTP Content-Type: multipart/related with type, start, start-info (and action). */
  contentType: string;
  body: Buffer;
}

/** `cid:` URL of a Content-ID (RFC 2392), for `xop:Include/@href`. */
export const cidUrl = (contentId: string): string => `cid:${encodeURIComponent(contentId).replace(/%40/g, '@')}`;

const TOKEN_SAFE = /^[\x21-\x7e]+$/;

/** Builds an MTOM message. The boundary and ids are checked, never silently altered. */
export function buildMtom(input: MtomBuildInput): Result<MtomMessage> {
  const boundary = input.boundary ?? `MIMEBoundary_${globalThis.crypto.randomUUID().replace(/-/g, '')}`;
  if (!/^[0-9A-Za-z'()+_,./:=?-]{1,70}$/.test(boundary)) return fail('boundary', 'RFC 2046 boundary of 1–70 safe characters expected');
  const rootId = input.rootContentId ?? '0.1';
  const ids = new Set<string>([rootId]);
  for (const [i, a] of input.attachments.entries()) {
    if (!a.contentId || !TOKEN_SAFE.test(a.contentId) || /[<>]/.test(a.contentId)) return fail(`attachments[${i}].contentId`, 'printable ASCII without angle brackets expected');
    if (ids.has(a.contentId)) return fail(`attachments[${i}].contentId`, `${a.contentId} used twice`);
    ids.add(a.contentId);
    if (a.contentType !== undefined && /[\r\n]/.test(a.contentType)) return fail(`attachments[${i}].contentType`, 'must be one line');
  }
  const action = input.action?.replace(/["\r\n]/g, '');
  const actionParam = action ? `; action="${action}"` : '';
  const chunks: Buffer[] = [];
  const head = (lines: string[]): void => {
    chunks.push(Buffer.from(`--${boundary}\r\n${lines.join('\r\n')}\r\n\r\n`, 'utf8'));
  };
  head([
    `Content-Type: ${XOP_MEDIA_TYPE}; charset=UTF-8; type="${SOAP12_MEDIA_TYPE}"${actionParam}`,
    'Content-Transfer-Encoding: binary',
    `Content-ID: <${rootId}>`,
  ]);
  chunks.push(Buffer.from(input.envelope, 'utf8'));
  for (const a of input.attachments) {
    chunks.push(Buffer.from('\r\n', 'utf8'));
    head([`Content-Type: ${a.contentType ?? 'application/octet-stream'}`, 'Content-Transfer-Encoding: binary', `Content-ID: <${a.contentId}>`]);
    chunks.push(Buffer.from(a.bytes.buffer, a.bytes.byteOffset, a.bytes.byteLength));
  }
  chunks.push(Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8'));
  const contentType =
    `multipart/related; boundary="${boundary}"; type="${XOP_MEDIA_TYPE}"; start="<${rootId}>"; start-info="${SOAP12_MEDIA_TYPE}"${actionParam}`;
  return ok({ contentType, body: Buffer.concat(chunks) });
}

export interface MtomPart {
  contentType: string;
  bytes: Uint8Array;
}

export interface ParsedMtom {
  /** The root part (the SOAP envelope) as UTF-8 text. */
  envelope: string;
  /** `action` parameter of the Content-Type, when present. */
  action?: string;
  /** Attachments by Content-ID (without angle brackets). */
  attachments: Map<string, MtomPart>;
}

/** Parameters of a Content-Type header, names lower-cased, quotes removed. */
export function contentTypeParameters(header: string): { mediaType: string; params: Map<string, string> } {
  const params = new Map<string, string>();
  const [type = '', ...rest] = splitParameters(header);
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    params.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim().replace(/^"(.*)"$/s, '$1'));
  }
  return { mediaType: type.trim().toLowerCase(), params };
}

/** Splits on `;` outside double quotes. */
function splitParameters(header: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of header) {
    if (ch === '"') quoted = !quoted;
    if (ch === ';' && !quoted) {
      out.push(current);
      current = '';
    } else current += ch;
  }
  out.push(current);
  return out;
}

const stripId = (id: string | undefined): string | undefined => id?.trim().replace(/^<(.*)>$/, '$1');

/** True when the header announces a multipart/related (MTOM) message. */
export const isMultipartRelated = (contentType: string | undefined): boolean =>
  typeof contentType === 'string' && contentTypeParameters(contentType).mediaType === 'multipart/related';

export interface ParseMtomOptions {
  /** Largest attachment accepted, default 64 MiB. */
  maxPartBytes?: number;
  /** Most parts accepted, default 1000. */
  maxParts?: number;
}

/** Reads an MTOM message: root part (by `start`, else the first) and attachments. */
export function parseMtom(contentType: string | undefined, body: Uint8Array, options: ParseMtomOptions = {}): Result<ParsedMtom> {
  if (typeof contentType !== 'string' || contentType.trim() === '') return fail('Content-Type', 'missing; multipart/related expected');
  const { mediaType, params } = contentTypeParameters(contentType);
  if (mediaType !== 'multipart/related') return fail('Content-Type', `"${mediaType}" is not multipart/related`);
  const boundary = getMultipartBoundary(contentType);
  if (!boundary) return fail('Content-Type', 'boundary parameter missing');
  const type = params.get('type')?.toLowerCase();
  if (type !== undefined && type !== XOP_MEDIA_TYPE) return fail('Content-Type', `type "${type}" is not ${XOP_MEDIA_TYPE}`);
  const start = stripId(params.get('start'));
  const parts: Array<{ id?: string; contentType: string; bytes: Uint8Array }> = [];
  try {
    for (const part of parseMultipart(body, {
      boundary,
      maxFileSize: options.maxPartBytes ?? 64 * 1024 * 1024,
      maxParts: options.maxParts ?? 1000,
      maxTotalSize: Number.MAX_SAFE_INTEGER,
    })) {
      const id = stripId(part.headers['content-id']);
      const encoding = part.headers['content-transfer-encoding']?.trim().toLowerCase();
      if (encoding && !['binary', '8bit', '7bit'].includes(encoding)) {
        return fail(`part ${id ?? parts.length + 1}`, `Content-Transfer-Encoding ${encoding} not supported (binary expected)`);
      }
      parts.push({ ...(id ? { id } : {}), contentType: part.headers['content-type'] ?? 'application/octet-stream', bytes: part.bytes });
    }
  } catch (error) {
    const message = error instanceof MultipartParseError || error instanceof Error ? error.message : String(error);
    return fail('multipart/related', `unreadable: ${message}`);
  }
  if (parts.length === 0) return fail('multipart/related', 'no part found');
  const rootIndex = start ? parts.findIndex((p) => p.id === start) : 0;
  if (rootIndex < 0) return fail('Content-Type', `start <${start}> names no part`);
  const root = parts[rootIndex]!;
  const rootType = contentTypeParameters(root.contentType);
  if (rootType.mediaType !== XOP_MEDIA_TYPE && rootType.mediaType !== SOAP12_MEDIA_TYPE) {
    return fail('root part', `Content-Type "${rootType.mediaType}" is not ${XOP_MEDIA_TYPE}`);
  }
  const attachments = new Map<string, MtomPart>();
  for (const [i, p] of parts.entries()) {
    if (i === rootIndex) continue;
    if (!p.id) return fail(`part ${i + 1}`, 'Content-ID missing');
    if (attachments.has(p.id)) return fail(`part ${i + 1}`, `Content-ID <${p.id}> used twice`);
    attachments.set(p.id, { contentType: p.contentType, bytes: p.bytes });
  }
  const result: ParsedMtom = { envelope: Buffer.from(root.bytes).toString('utf8'), attachments };
  const action = params.get('action') ?? rootType.params.get('action');
  if (action) result.action = action;
  return ok(result);
}

/** Content-ID named by an `xop:Include/@href` (`cid:` URL, RFC 2392). */
export function contentIdOfHref(href: string): Result<string> {
  if (!/^cid:/i.test(href)) return fail('xop:Include/@href', `"${href}" is not a cid: URL`);
  try {
    return ok(decodeURIComponent(href.slice(4)));
  } catch {
    return fail('xop:Include/@href', `"${href}" is not a valid cid: URL`);
  }
}

/**
 * The XOP infoset of `xml`: every `xop:Include` replaced by the base64 text of its attachment.
 * Fails when an Include names a missing part.
 */
export function inlineXop(xml: string, attachments: ReadonlyMap<string, MtomPart>): Result<string> {
  const parsed = parseXml(typeof xml === 'string' ? xml.replace(/^\uFEFF?\s*<\?xml[^?]*\?>/, '') : xml, 'soap:Envelope');
  if (!parsed.ok) return parsed;
  const includes = Array.from(parsed.value.getElementsByTagNameNS(XOP_NS, 'Include'));
  for (const include of includes) {
    const id = contentIdOfHref(include.getAttribute('href') ?? '');
    if (!id.ok) return id;
    const part = attachments.get(id.value);
    if (!part) return fail('xop:Include/@href', `no part with Content-ID <${id.value}>`);
    const parent = include.parentNode;
    if (!parent || !isElement(parent)) return fail('xop:Include', 'must be inside an element');
    parent.replaceChild(parsed.value.createTextNode(Buffer.from(part.bytes).toString('base64')), include);
  }
  return ok(serializeXml(parsed.value));
}
