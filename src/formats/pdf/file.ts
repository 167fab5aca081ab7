/**
 * The PDF file itself (ISO 32000-1 §7.5): numbered indirect objects, streams, the
 * cross-reference table and the trailer. Objects are written as text (PDFDocEncoding-safe
 * ASCII) except stream data, which is binary.
 *
 * The identifier of the file (`/ID`, §14.4) is the MD5 of everything written before the
 * trailer: two files with the same content get the same identifier, as PDF/A reproducibility
 * wants when the creation date is given.
 */
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';

/** Object number of an indirect object. */
export type PdfRef = number;

export const ref = (n: PdfRef): string => `${n} 0 R`;

/** A number as PDF writes it: at most 3 decimals, no exponent, no trailing zeros. */
export function num(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
  const rounded = Math.round(value * 1000) / 1000;
  if (Number.isInteger(rounded)) return String(rounded === 0 ? 0 : rounded);
  return rounded.toFixed(3).replace(/0+$/, '');
}

const LITERAL_SAFE = /^[\x20-\x7e]*$/;

/**
 * A text string (§7.9.2.2): a literal string when the text is printable ASCII, otherwise
 * UTF-16BE with its byte order mark, in hexadecimal.
 */
export function textString(text: string): string {
  if (LITERAL_SAFE.test(text)) return `(${text.replace(/[\\()]/g, (c) => `\\${c}`)})`;
  let hex = 'FEFF';
  for (let i = 0; i < text.length; i += 1) hex += text.charCodeAt(i).toString(16).padStart(4, '0');
  return `<${hex}>`;
}

/** A date (§7.9.4) in UTC: `D:YYYYMMDDHHmmSSZ`. */
export const dateString = (date: Date): string => `(D:${date.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z)`;

const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1');

export class PdfFile {
  /** Serialized objects by number − 1; undefined while reserved. */
  private readonly objects: Array<Buffer | undefined> = [];

  /** A number for an object written later (to refer to it before it exists). */
  reserve(): PdfRef {
    this.objects.push(undefined);
    return this.objects.length;
  }

  /** Writes a dictionary or any other object at a reserved number, or at a new one. */
  object(body: string, at: PdfRef = this.reserve()): PdfRef {
    this.objects[at - 1] = latin1(`${at} 0 obj\n${body}\nendobj\n`);
    return at;
  }

  /**
   * Writes a stream; `dictionary` holds the entries other than /Length and /Filter. With
   * `compress`, the data is deflated (/FlateDecode) unless it is given already deflated.
   */
  stream(dictionary: string, data: Uint8Array, options: { compress?: boolean; deflated?: boolean } = {}, at: PdfRef = this.reserve()): PdfRef {
    const body = options.compress && !options.deflated ? deflateSync(data) : data;
    const filter = options.compress || options.deflated ? ' /Filter /FlateDecode' : '';
    this.objects[at - 1] = Buffer.concat([
      latin1(`${at} 0 obj\n<<${dictionary}${filter} /Length ${body.byteLength}>>\nstream\n`),
      body,
      latin1('\nendstream\nendobj\n'),
    ]);
    return at;
  }

  /** The whole file: header, objects, cross-reference table, trailer. */
  toBytes(trailer: { root: PdfRef; info: PdfRef }): Uint8Array {
    // A comment line of bytes above 127 marks the file as binary (§7.5.2; PDF/A-2 §6.1.2).
    const parts: Buffer[] = [latin1('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n')];
    const offsets: number[] = [];
    let at = parts[0]!.byteLength;
    for (const [i, object] of this.objects.entries()) {
      if (!object) throw new Error(`PDF object ${i + 1} was reserved but never written`);
      offsets.push(at);
      parts.push(object);
      at += object.byteLength;
    }
    const hash = createHash('md5');
    for (const part of parts) hash.update(part);
    const id = hash.digest('hex');
    let xref = `xref\n0 ${offsets.length + 1}\n0000000000 65535 f \n`;
    for (const offset of offsets) xref += `${String(offset).padStart(10, '0')} 00000 n \n`;
    xref += `trailer\n<< /Size ${offsets.length + 1} /Root ${ref(trailer.root)} /Info ${ref(trailer.info)} /ID [<${id}> <${id}>] >>\n`;
    xref += `startxref\n${at}\n%%EOF\n`;
    parts.push(latin1(xref));
    const out = Buffer.concat(parts);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }
}
