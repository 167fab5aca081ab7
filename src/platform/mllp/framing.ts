// MLLP framing — HL7 v2.5.1 Appendix C (Minimal Lower Layer Protocol), spec identity.md §9.
//
//   frame = <SB> message <EB><CR>      SB = 0x0B, EB = 0x1C, CR = 0x0D
//
// There is no length prefix, so a receiver reassembles frames across TCP reads. The transport
// moves opaque bytes: no charset decoding here (MSH-18 may announce 8859/15 or UTF-8).
import { MllpFramingError } from './errors.ts';

/** Start block, <VT>. */
export const MLLP_START_BLOCK = 0x0b;
/** End block, <FS>. */
export const MLLP_END_BLOCK = 0x1c;
/** Carriage return closing the frame after the end block. */
export const MLLP_CARRIAGE_RETURN = 0x0d;
/** Default bound on one frame's message bytes: 16 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

/**
 * Wraps a message in an MLLP frame. A string is encoded as UTF-8; pass a Buffer for any other
 * charset (e.g. ISO 8859-15 bytes produced by the HL7 codec).
 * Throws a RangeError if the message contains a start or end block byte (0x0B, 0x1C), which
 * HL7 v2 forbids in message content and which would break the framing.
 */
export function encodeMllpFrame(message: Uint8Array | string): Buffer {
  const bytes = typeof message === 'string' ? Buffer.from(message, 'utf8') : message;
  const forbidden = findForbiddenByte(bytes);
  if (forbidden !== -1) {
    throw new RangeError(
      `MLLP: message byte at offset ${forbidden} is 0x${bytes[forbidden]!.toString(16).padStart(2, '0')}, which cannot be framed`,
    );
  }
  const frame = Buffer.allocUnsafe(bytes.length + 3);
  frame[0] = MLLP_START_BLOCK;
  frame.set(bytes, 1);
  frame[bytes.length + 1] = MLLP_END_BLOCK;
  frame[bytes.length + 2] = MLLP_CARRIAGE_RETURN;
  return frame;
}

/** Offset of the first 0x0B or 0x1C in `bytes`, or -1. */
export function findForbiddenByte(bytes: Uint8Array): number {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const start = buffer.indexOf(MLLP_START_BLOCK);
  const end = buffer.indexOf(MLLP_END_BLOCK);
  if (start === -1) return end;
  if (end === -1) return start;
  return Math.min(start, end);
}

export type MllpDecodeEvent =
  /** A complete frame's message bytes (without SB / EB CR), in a fresh Buffer. */
  | { kind: 'message'; message: Buffer }
  /** Junk outside frames, an oversized, truncated or badly terminated frame. Decoding goes on. */
  | { kind: 'error'; error: MllpFramingError };

export interface MllpDecoderOptions {
  /** Largest accepted message (bytes between SB and EB). Default 16 MiB. */
  maxFrameBytes?: number;
}

/**
 * Streaming MLLP decoder. Feed it chunks as they arrive; each `push` returns the events the
 * chunk completed, in stream order. It never throws on input and never buffers more than
 * `maxFrameBytes` of message content: an oversized frame is reported once, its remaining bytes
 * are skipped up to its end block, and decoding resumes with the next frame.
 *
 * Recovery rules: bytes outside frames are reported as junk; an SB inside a frame drops the
 * partial frame (truncated) and starts a new one; an EB not followed by CR drops the frame
 * and the byte after EB is read again as outside-frame data.
 */
export class MllpDecoder {
  readonly maxFrameBytes: number;
  #inFrame = false;
  /** Saw EB, waiting for CR (possibly in the next chunk). */
  #awaitingCarriageReturn = false;
  /** Current frame exceeded the bound: count its bytes, keep none. */
  #discarding = false;
  #parts: Buffer[] = [];
  #frameBytes = 0;

  constructor(options: MllpDecoderOptions = {}) {
    const max = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError('MLLP: maxFrameBytes must be a positive integer');
    this.maxFrameBytes = max;
  }

  /** Message bytes held for the frame in progress (never more than `maxFrameBytes`). */
  get bufferedBytes(): number {
    return this.#discarding ? 0 : this.#frameBytes;
  }

  /** True while a frame has started and not ended. */
  get inFrame(): boolean {
    return this.#inFrame;
  }

  push(input: Uint8Array): MllpDecodeEvent[] {
    const chunk = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    const events: MllpDecodeEvent[] = [];
    const length = chunk.length;
    let position = 0;
    while (position < length) {
      if (this.#awaitingCarriageReturn) {
        this.#awaitingCarriageReturn = false;
        if (chunk[position] === MLLP_CARRIAGE_RETURN) {
          position += 1;
          this.#finishFrame(events);
        } else {
          this.#dropFrame('missing-carriage-return', events);
        }
        continue;
      }
      if (!this.#inFrame) {
        const start = chunk.indexOf(MLLP_START_BLOCK, position);
        const junkEnd = start === -1 ? length : start;
        if (junkEnd > position) {
          events.push({ kind: 'error', error: new MllpFramingError('junk', junkEnd - position) });
        }
        if (start === -1) break;
        this.#inFrame = true;
        position = start + 1;
        continue;
      }
      const end = chunk.indexOf(MLLP_END_BLOCK, position);
      const stop = end === -1 ? length : end;
      const restart = chunk.subarray(position, stop).indexOf(MLLP_START_BLOCK);
      if (restart !== -1) {
        this.#append(chunk, position, position + restart, events);
        this.#dropFrame('truncated-frame', events);
        position += restart; // read the SB again, outside a frame: it opens the next frame
        continue;
      }
      this.#append(chunk, position, stop, events);
      if (end === -1) break;
      position = end + 1;
      this.#awaitingCarriageReturn = true;
    }
    return events;
  }

  /** The stream ended: reports a frame left open, and resets the decoder. */
  end(): MllpDecodeEvent[] {
    const events: MllpDecodeEvent[] = [];
    this.#awaitingCarriageReturn = false;
    if (this.#inFrame) this.#dropFrame('truncated-frame', events);
    return events;
  }

  #append(chunk: Buffer, from: number, to: number, events: MllpDecodeEvent[]): void {
    const count = to - from;
    if (count === 0) return;
    const total = this.#frameBytes + count;
    this.#frameBytes = total;
    if (this.#discarding) return;
    if (total > this.maxFrameBytes) {
      this.#discarding = true;
      this.#parts = [];
      events.push({ kind: 'error', error: new MllpFramingError('frame-too-large', total) });
      return;
    }
    this.#parts.push(chunk.subarray(from, to));
  }

  #finishFrame(events: MllpDecodeEvent[]): void {
    if (!this.#discarding) {
      events.push({ kind: 'message', message: Buffer.concat(this.#parts, this.#frameBytes) });
    }
    this.#reset();
  }

  #dropFrame(code: 'missing-carriage-return' | 'truncated-frame', events: MllpDecodeEvent[]): void {
    // An oversized frame was already reported; don't report it a second time.
    if (!this.#discarding) events.push({ kind: 'error', error: new MllpFramingError(code, this.#frameBytes) });
    this.#reset();
  }

  #reset(): void {
    this.#inFrame = false;
    this.#discarding = false;
    this.#parts = [];
    this.#frameBytes = 0;
  }
}
