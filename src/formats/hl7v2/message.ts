/**
 * A parsed or built HL7 v2 message: its delimiters, its segments (raw, lazily split) and
 * enough of the original framing (segment separator, trailing separators) to serialize a
 * well-formed input byte for byte.
 */
import { DEFAULT_ENCODING, type EncodingCharacters } from './encoding.ts';
import { Segment } from './segment.ts';

export type SegmentSeparator = '\r' | '\n' | '\r\n';

export class Hl7Message {
  readonly encoding: EncodingCharacters;
  readonly segments: readonly Segment[];
  /** Separator between segments: `\r` per HL7; LF or CRLF when the input used them. */
  readonly segmentSeparator: SegmentSeparator;
  /** Text after the last segment (e.g. `"\n"`, or `""` when the input had no final terminator). */
  readonly trailer: string;

  constructor(
    segments: readonly Segment[],
    options: { encoding?: EncodingCharacters; segmentSeparator?: SegmentSeparator; trailer?: string } = {},
  ) {
    this.segments = segments;
    this.encoding = options.encoding ?? segments[0]?.encoding ?? DEFAULT_ENCODING;
    this.segmentSeparator = options.segmentSeparator ?? '\r';
    this.trailer = options.trailer ?? this.segmentSeparator;
  }

  /** The `occurrence`-th (0-based) segment named `name`. */
  segment(name: string, occurrence = 0): Segment | undefined {
    let seen = 0;
    for (const s of this.segments) {
      if (s.name === name) {
        if (seen === occurrence) return s;
        seen++;
      }
    }
    return undefined;
  }

  /** All segments named `name`, in order. */
  segmentsNamed(name: string): Segment[] {
    return this.segments.filter((s) => s.name === name);
  }

  /** A copy with other segments (same delimiters and framing). */
  withSegments(segments: readonly Segment[]): Hl7Message {
    return new Hl7Message(segments, { encoding: this.encoding, segmentSeparator: this.segmentSeparator, trailer: this.trailer });
  }
}
