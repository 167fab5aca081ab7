/** ER7 writer: segments joined by the message's separator, then its trailer. */
import type { Hl7Message, SegmentSeparator } from './message.ts';

export interface SerializeOptions {
  /** Override the separator (e.g. `\r` before MLLP framing); the trailer then becomes one separator. */
  segmentSeparator?: SegmentSeparator;
}

export function serialize(message: Hl7Message, options?: SerializeOptions): string {
  const override = options?.segmentSeparator;
  const separator = override ?? message.segmentSeparator;
  let out = '';
  const segments = message.segments;
  for (let i = 0; i < segments.length; i++) {
    if (i > 0) out += separator;
    out += (segments[i] as { raw: string }).raw;
  }
  return out + (override === undefined ? message.trailer : separator);
}
