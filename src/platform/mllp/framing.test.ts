import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MllpFramingError } from './errors.ts';
import { MllpDecoder, encodeMllpFrame, type MllpDecodeEvent } from './framing.ts';

const messagesOf = (events: MllpDecodeEvent[]): string[] =>
  events.flatMap((event) => (event.kind === 'message' ? [event.message.toString('latin1')] : []));
const errorsOf = (events: MllpDecodeEvent[]): MllpFramingError[] =>
  events.flatMap((event) => (event.kind === 'error' ? [event.error] : []));
const frame = (text: string): Buffer => encodeMllpFrame(Buffer.from(text, 'latin1'));

describe('encodeMllpFrame', () => {
  it('wraps the message in 0x0B … 0x1C 0x0D', () => {
    expect([...encodeMllpFrame('MSH|^~\\&|A\r')]).toEqual([0x0b, ...Buffer.from('MSH|^~\\&|A\r'), 0x1c, 0x0d]);
    expect([...encodeMllpFrame(Buffer.alloc(0))]).toEqual([0x0b, 0x1c, 0x0d]);
  });

  it('encodes strings as UTF-8 and leaves Buffers untouched (ISO 8859-15 bytes stay as they are)', () => {
    expect(encodeMllpFrame('é').subarray(1, -2)).toEqual(Buffer.from([0xc3, 0xa9]));
    const latin9 = Buffer.from([0x50, 0xa4, 0xbd, 0xe9]); // P € œ é in ISO 8859-15
    expect(encodeMllpFrame(latin9).subarray(1, -2)).toEqual(latin9);
  });

  it('refuses content holding a start or end block byte', () => {
    expect(() => encodeMllpFrame(Buffer.from([0x41, 0x1c, 0x0d]))).toThrow(/offset 1 is 0x1c/);
    expect(() => encodeMllpFrame('A\x0bB')).toThrow(RangeError);
  });
});

describe('MllpDecoder', () => {
  it('decodes a frame written byte by byte', () => {
    const decoder = new MllpDecoder();
    const events = [...frame('MSH|1\rPID|1\r')].flatMap((byte) => decoder.push(Buffer.from([byte])));
    expect(messagesOf(events)).toEqual(['MSH|1\rPID|1\r']);
    expect(errorsOf(events)).toEqual([]);
    expect(decoder.inFrame).toBe(false);
  });

  it('decodes several frames joined in one chunk, in order', () => {
    const decoder = new MllpDecoder();
    const events = decoder.push(Buffer.concat([frame('one'), frame('two'), frame(''), frame('three')]));
    expect(messagesOf(events)).toEqual(['one', 'two', '', 'three']);
  });

  it('handles an end block at the end of one chunk and its CR in the next', () => {
    const decoder = new MllpDecoder();
    expect(decoder.push(Buffer.from('\x0babc\x1c', 'latin1'))).toEqual([]);
    expect(messagesOf(decoder.push(Buffer.from('\r', 'latin1')))).toEqual(['abc']);
  });

  it('returns messages as copies that do not alias the input chunk', () => {
    const decoder = new MllpDecoder();
    const chunk = frame('abc');
    const [event] = decoder.push(chunk);
    chunk.fill(0x20);
    expect(event?.kind === 'message' && event.message.toString()).toBe('abc');
  });

  it('reports junk outside frames with its size and keeps decoding', () => {
    const decoder = new MllpDecoder();
    const events = decoder.push(Buffer.concat([Buffer.from('xx'), frame('a'), Buffer.from('\n'), frame('b'), Buffer.from('zzz')]));
    expect(messagesOf(events)).toEqual(['a', 'b']);
    expect(errorsOf(events).map((error) => [error.code, error.byteCount])).toEqual([
      ['junk', 2],
      ['junk', 1],
      ['junk', 3],
    ]);
  });

  it('drops a frame whose end block is not followed by CR, then resynchronises', () => {
    const decoder = new MllpDecoder();
    const events = decoder.push(Buffer.concat([Buffer.from('\x0bbad\x1c', 'latin1'), frame('good')]));
    expect(messagesOf(events)).toEqual(['good']);
    expect(errorsOf(events).map((error) => error.code)).toEqual(['missing-carriage-return']);
  });

  it('drops a frame interrupted by a new start block (sender restarted)', () => {
    const decoder = new MllpDecoder();
    const events = decoder.push(Buffer.concat([Buffer.from('\x0bhalf', 'latin1'), frame('whole')]));
    expect(messagesOf(events)).toEqual(['whole']);
    expect(errorsOf(events).map((error) => [error.code, error.byteCount])).toEqual([['truncated-frame', 4]]);
  });

  it('reports a frame left open when the stream ends', () => {
    const decoder = new MllpDecoder();
    decoder.push(Buffer.from('\x0bpartial', 'latin1'));
    expect(errorsOf(decoder.end()).map((error) => error.code)).toEqual(['truncated-frame']);
    expect(decoder.end()).toEqual([]);
  });

  it('refuses an oversized frame once, without buffering it, and decodes the next frame', () => {
    const decoder = new MllpDecoder({ maxFrameBytes: 10 });
    const events: MllpDecodeEvent[] = [];
    events.push(...decoder.push(Buffer.from('\x0b0123456789', 'latin1')));
    expect(decoder.bufferedBytes).toBe(10);
    for (let index = 0; index < 100; index += 1) {
      events.push(...decoder.push(Buffer.alloc(1000, 0x41)));
      expect(decoder.bufferedBytes).toBe(0);
    }
    events.push(...decoder.push(Buffer.concat([Buffer.from([0x1c, 0x0d]), frame('0123456789')])));
    expect(errorsOf(events).map((error) => [error.code, error.byteCount])).toEqual([['frame-too-large', 1010]]);
    expect(messagesOf(events)).toEqual(['0123456789']);
  });

  it('validates maxFrameBytes', () => {
    expect(() => new MllpDecoder({ maxFrameBytes: 0 })).toThrow(RangeError);
  });
});

describe('MllpDecoder properties', () => {
  /** Bytes HL7 content may hold: anything but 0x0B and 0x1C. */
  const messageBytes = fc
    .uint8Array({ maxLength: 300 })
    .map((bytes) => Buffer.from(bytes.map((byte) => (byte === 0x0b || byte === 0x1c ? 0x41 : byte))));

  /** Splits `stream` at the given cut points. */
  const chunked = (stream: Buffer, cuts: number[]): Buffer[] => {
    const points = [...new Set(cuts.map((cut) => cut % (stream.length + 1)))].sort((a, b) => a - b);
    const chunks: Buffer[] = [];
    let previous = 0;
    for (const point of [...points, stream.length]) {
      chunks.push(stream.subarray(previous, point));
      previous = point;
    }
    return chunks;
  };

  it('decodes any message sequence chunked at any boundaries into exactly the same messages', () => {
    fc.assert(
      fc.property(
        fc.array(messageBytes, { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (messages, cuts) => {
          const stream = Buffer.concat(messages.map((message) => encodeMllpFrame(message)));
          const decoder = new MllpDecoder();
          const events = chunked(stream, cuts).flatMap((chunk) => decoder.push(chunk));
          expect(errorsOf(events)).toEqual([]);
          expect(events.map((event) => (event.kind === 'message' ? event.message : undefined))).toEqual(messages);
          expect(decoder.end()).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('recovers every frame when junk without start blocks sits between frames', () => {
    const junk = fc
      .uint8Array({ maxLength: 20 })
      .map((bytes) => Buffer.from(bytes.map((byte) => (byte === 0x0b ? 0x20 : byte))));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(junk, messageBytes), { maxLength: 15 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (pairs, cuts) => {
          const stream = Buffer.concat(pairs.flatMap(([garbage, message]) => [garbage, encodeMllpFrame(message)]));
          const decoder = new MllpDecoder();
          const events = chunked(stream, cuts).flatMap((chunk) => decoder.push(chunk));
          expect(events.flatMap((event) => (event.kind === 'message' ? [event.message] : []))).toEqual(
            pairs.map(([, message]) => message),
          );
          const junkBytes = errorsOf(events).reduce((sum, error) => sum + (error.code === 'junk' ? error.byteCount : 0), 0);
          expect(junkBytes).toBe(pairs.reduce((sum, [garbage]) => sum + garbage.length, 0));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never throws on random bytes and never buffers more than maxFrameBytes', () => {
    // Bias towards the framing bytes so every state transition is exercised.
    const noisyByte = fc.oneof(fc.constantFrom(0x0b, 0x1c, 0x0d), fc.integer({ min: 0, max: 255 }));
    fc.assert(
      fc.property(fc.array(fc.array(noisyByte, { maxLength: 64 }), { maxLength: 30 }), fc.integer({ min: 1, max: 40 }), (chunks, max) => {
        const decoder = new MllpDecoder({ maxFrameBytes: max });
        for (const chunk of chunks) {
          for (const event of decoder.push(Uint8Array.from(chunk))) {
            if (event.kind === 'message') expect(event.message.length).toBeLessThanOrEqual(max);
            else expect(event.error).toBeInstanceOf(MllpFramingError);
          }
          expect(decoder.bufferedBytes).toBeLessThanOrEqual(max);
        }
        decoder.end();
      }),
      { numRuns: 500 },
    );
  });
});
