/**
 * ED (encapsulated data, HL7 v2.5 §2A.2.25) as the TRANS volet uses it in OBX-5 for a CDA:
 * `^TEXT^XML^Base64^<data>` — ED-2 type of data, ED-3 subtype, ED-4 encoding, ED-5 data
 * (documents.md §7). Decodes Base64 (padding optional, line breaks tolerated) or `A` (plain
 * text); the bytes must be UTF-8, or ISO-8859-1/15 / windows-1252 when the XML declaration
 * says so. Pure and total.
 */
import { fail, ok, type Result } from '../../result.ts';

export interface EncapsulatedData {
  typeOfData: string;
  subtype: string;
  encoding: string;
  data: string;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const LATIN = /^(iso-8859-1|iso-8859-15|latin1|windows-1252|cp1252)$/i;

/** Base64 → bytes; undefined when the text is not Base64. */
export function decodeBase64(text: string): Uint8Array | undefined {
  const compact = text.replace(/[\r\n\t ]+/g, '');
  if (!BASE64.test(compact) || compact.length % 4 === 1) return undefined;
  const unpadded = compact.replace(/=+$/, '');
  if (compact.length - unpadded.length > 0 && compact.length % 4 !== 0) return undefined;
  return Buffer.from(unpadded, 'base64');
}

/** Bytes → text: UTF-8 (BOM dropped), or Latin-1 family when the XML declaration names it. */
export function decodeText(bytes: Uint8Array, field: string): Result<string> {
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
    return ok(text);
  } catch {
    const head = Buffer.from(bytes.subarray(0, 200)).toString('latin1');
    const declared = /^\s*<\?xml[^>]*encoding\s*=\s*["']([^"']+)["']/.exec(head)?.[1];
    if (declared && LATIN.test(declared)) return ok(new TextDecoder('windows-1252').decode(bytes));
    return fail(field, `the decoded document is not UTF-8${declared ? ` (its XML declaration says ${declared})` : ''}`);
  }
}

/** Decodes ED-5 according to ED-4. `field` names ED-5 in errors (e.g. `OBX(1)-5.5`). */
export function decodeEncapsulated(ed: EncapsulatedData, field: string): Result<string> {
  const encoding = ed.encoding.trim().toUpperCase();
  if (ed.data === '') return fail(field, 'the encapsulated document is empty');
  if (encoding === 'A' || encoding === '') return ok(ed.data);
  if (encoding !== 'BASE64') return fail(field.replace(/\.5$/, '.4'), `encoding must be Base64 (or A for plain text), got "${ed.encoding}"`);
  const bytes = decodeBase64(ed.data);
  if (bytes === undefined) return fail(field, 'the document is not valid Base64');
  return decodeText(bytes, field);
}
