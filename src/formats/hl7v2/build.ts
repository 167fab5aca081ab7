/**
 * Building segments from values: every leaf is escaped, trailing empty pieces are dropped,
 * so builders never write delimiters by hand.
 *
 * A field value is a leaf (`string`), a list of components (each a leaf or a list of
 * subcomponents), or `{ repetitions: [...] }`. `undefined`/`null` mean empty. The HL7 null
 * `""` is an ordinary leaf and survives as `""`.
 */
import { DEFAULT_ENCODING, encodingCharactersText, type EncodingCharacters } from './encoding.ts';
import { escape } from './escape.ts';
import { Hl7Message, type SegmentSeparator } from './message.ts';
import { Segment } from './segment.ts';

export type Leaf = string | undefined | null;
export type ComponentValue = Leaf | readonly Leaf[];
export type RepetitionValue = Leaf | readonly ComponentValue[];
export type FieldValue = RepetitionValue | { readonly repetitions: readonly RepetitionValue[] };

function joinTrimmed(pieces: readonly string[], separator: string): string {
  let end = pieces.length;
  while (end > 0 && pieces[end - 1] === '') end--;
  let out = '';
  for (let i = 0; i < end; i++) out += (i > 0 ? separator : '') + pieces[i];
  return out;
}

const leaf = (value: Leaf, enc: EncodingCharacters): string => (value == null ? '' : escape(value, enc));

function encodeComponent(value: ComponentValue, enc: EncodingCharacters): string {
  if (Array.isArray(value)) return joinTrimmed(value.map((v: Leaf) => leaf(v, enc)), enc.subcomponent);
  return leaf(value as Leaf, enc);
}

function encodeRepetition(value: RepetitionValue, enc: EncodingCharacters): string {
  if (Array.isArray(value)) return joinTrimmed(value.map((c: ComponentValue) => encodeComponent(c, enc)), enc.component);
  return leaf(value as Leaf, enc);
}

/** Raw ER7 text of one field value. */
export function encodeField(value: FieldValue, enc: EncodingCharacters = DEFAULT_ENCODING): string {
  if (value !== null && typeof value === 'object' && 'repetitions' in value) {
    return joinTrimmed(value.repetitions.map((r) => encodeRepetition(r, enc)), enc.repetition);
  }
  return encodeRepetition(value as RepetitionValue, enc);
}

/**
 * A segment from field values, `fields[0]` being field 1. For MSH, fields 1 and 2 are
 * always written from `enc` (whatever is passed there).
 */
export function buildSegment(name: string, fields: readonly FieldValue[], enc: EncodingCharacters = DEFAULT_ENCODING): Segment {
  const raw = fields.map((f) => encodeField(f, enc));
  if (name === 'MSH') {
    raw.shift();
    raw[0] = encodingCharactersText(enc);
  }
  return Segment.fromFields(name, raw, enc);
}

/** A message from segments; HL7's CR separator unless told otherwise. */
export function buildMessage(segments: readonly Segment[], options: { segmentSeparator?: SegmentSeparator; encoding?: EncodingCharacters } = {}): Hl7Message {
  return new Hl7Message(segments, options);
}
