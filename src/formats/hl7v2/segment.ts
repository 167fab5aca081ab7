/**
 * One segment, kept as its raw ER7 text and split into fields only when a field is asked
 * for (lazy), so parsing a message costs one pass over segment boundaries.
 *
 * Field numbers follow HL7: `PID-3` is `field(3)`. For MSH, field 1 is the field separator
 * and field 2 the encoding characters, as in the standard.
 */
import type { EncodingCharacters } from './encoding.ts';
import { unescape } from './escape.ts';

export class Segment {
  readonly name: string;
  readonly encoding: EncodingCharacters;
  #raw: string;
  #parts: string[] | undefined;

  constructor(raw: string, encoding: EncodingCharacters, name?: string) {
    this.#raw = raw;
    this.encoding = encoding;
    this.name = name ?? raw.slice(0, 3);
  }

  /** Builds a segment from raw (already escaped) field texts, field 1 first (for MSH: MSH-2 first). */
  static fromFields(name: string, fields: readonly string[], encoding: EncodingCharacters): Segment {
    let end = fields.length;
    while (end > 0 && fields[end - 1] === '') end--;
    let raw = name;
    for (let i = 0; i < end; i++) raw += encoding.field + fields[i];
    if (name === 'MSH' && end === 0) raw += encoding.field;
    return new Segment(raw, encoding, name);
  }

  /** The segment's ER7 text, without terminator. */
  get raw(): string {
    return this.#raw;
  }

  #split(): string[] {
    if (this.#parts === undefined) this.#parts = this.#raw.split(this.encoding.field);
    return this.#parts;
  }

  #isHeader(): boolean {
    return this.name === 'MSH' || this.name === 'BHS' || this.name === 'FHS';
  }

  /** Number of the last field present (trailing empty fields included). */
  get fieldCount(): number {
    const n = this.#split().length - 1;
    return this.#isHeader() ? n + 1 : n;
  }

  /** Raw (escaped) text of field `n`; `''` when absent. */
  field(n: number): string {
    if (this.#isHeader()) {
      if (n === 1) return this.encoding.field;
      return this.#split()[n - 1] ?? '';
    }
    if (n < 1) return '';
    return this.#split()[n] ?? '';
  }

  /** Raw texts of the repetitions of field `n` (`[]` for an empty field). */
  repetitions(n: number): string[] {
    const text = this.field(n);
    if (text === '') return [];
    if (this.#isHeader() && n <= 2) return [text];
    return text.split(this.encoding.repetition);
  }

  /**
   * Unescaped value at `field.component.subcomponent` of repetition `repetition` (all 1-based);
   * `''` when absent. Component 0 / subcomponent 0 mean "the whole text".
   */
  value(field: number, component = 1, subcomponent = 1, repetition = 1): string {
    let text = this.field(field);
    if (text === '') return '';
    if (this.#isHeader() && field <= 2) return text;
    const enc = this.encoding;
    text = nth(text, enc.repetition, repetition);
    if (component > 0) {
      text = nth(text, enc.component, component);
      if (subcomponent > 0) text = nth(text, enc.subcomponent, subcomponent);
    }
    return unescape(text, enc);
  }

  /** A copy with field `n` replaced by raw (escaped) text. */
  withField(n: number, rawText: string): Segment {
    if (this.#isHeader() && n <= 2) return this;
    const parts = this.#split().slice();
    const index = this.#isHeader() ? n - 1 : n;
    while (parts.length <= index) parts.push('');
    parts[index] = rawText;
    return new Segment(parts.join(this.encoding.field), this.encoding, this.name);
  }
}

/** The `n`-th (1-based) piece of `text` split on `separator`, without building an array. */
export function nth(text: string, separator: string, n: number): string {
  let start = 0;
  for (let i = 1; i < n; i++) {
    const next = text.indexOf(separator, start);
    if (next < 0) return '';
    start = next + separator.length;
  }
  const end = text.indexOf(separator, start);
  return end < 0 ? (start === 0 ? text : text.slice(start)) : text.slice(start, end);
}
