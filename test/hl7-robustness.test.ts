/**
 * Robustness of the HL7 v2 inbound path against the RUNNING listener (real sockets on
 * loopback, the whole platform behind it): random bytes, mutated official messages and random
 * TCP chunking. For every frame the server receives, exactly one ACK frame comes back in
 * order (parseable by our codec, MSA-1 AA/AE/AR), the raw bytes are stored byte-identical in
 * hl7_messages before anything else, and the stored ACK is the one that was sent. The server
 * stays up: a fresh well-formed message is still accepted at the end.
 *
 * Oracle for "frames received": the server's decoder is fed exactly what we write, so the
 * frames it sees are the ones an MllpDecoder finds in our byte stream; when no payload holds
 * 0x0B or 0x1C, this is simply the list of payloads we framed (checked independently).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { asc, count, gt } from 'drizzle-orm';
import fc from 'fast-check';
import { messageHeader, parse, readAck } from '../src/formats/hl7v2/index.ts';
import { decodeHl7 } from '../src/platform/hl7-inbox/index.ts';
import { hl7Messages } from '../src/platform/hl7-inbox/tables.ts';
import { MLLP_CARRIAGE_RETURN, MLLP_END_BLOCK, MLLP_START_BLOCK, MllpDecoder, createMllpClient } from '../src/platform/mllp/index.ts';
import { startTestApp, type TestApp } from './support/app.ts';
import { requireFixtures } from './support/fixtures.ts';

const HL7V2 = requireFixtures('hl7v2');

/** Small official messages to mutate (the big Base64 ones would only slow the runs down). */
const OFFICIAL_FILES = [
  'SGL/admission.er7',
  'SGL/sortie.er7',
  'Vague 2/Consentement_DMP_PAMFR/ConsentementConsultation_NonOppositionAlimentation.er7',
  'Vague 2/Consentement_DMP_PAMFR/NonConsentementConsultation_OppositionAlimentation.er7',
  'Volets/TRANS_DOC_CDA_HL7V2/V1.2/MDM/message.hl7',
  'Volets/TRANS_DOC_CDA_HL7V2/V2.0/ORU/Transmission initiale ORU/message_ORU_CR_Bio_INIT_N1_N3.hl7',
  'Volets/TRANS_DOC_CDA_HL7V2/V2.0/ORU/Suppression ORU/ack.er7',
];

/** Used when the fixtures are absent (outside CI): the same code paths, fewer shapes. */
const BUILT_IN = 'MSH|^~\\&|GAM|CHU-X|DPI|CHU-X|20240312101010||ADT^A28^ADT_A05|ROBUST-0|D|2.5^FRA^2.11|||||FRA|UNICODE UTF-8|FR||2.11^IHE_FRANCE-2.11-PAM\r'
  + 'EVN||20240312101010\r'
  + 'PID|1||700001^^^CHU-X&000897406&N^PI||MARTIN^CLAIRE^CLAIRE ANNE^^^^L||19850412|F|||^^^^^^BDL^^63220|||||||||||||||||||||PROV\r'
  + 'PV1|1|N';

/** Text as an ISO 8859-1 or 8859-15 message carries it: what the charset lacks becomes `?` (ISO/IEC 8859-15 §6). */
function asCharsetCarries(text: string, msh18: string): string {
  if (/8859\/15\b/.test(msh18)) {
    const added = '€ŠšŽžŒœŸ';
    const replaced = '¤¦¨´¸¼½¾';
    return Array.from(text, (c) => (added.includes(c) || (c.codePointAt(0)! <= 0xff && !replaced.includes(c)) ? c : '?')).join('');
  }
  if (/8859\/1\b/.test(msh18)) return Array.from(text, (c) => (c.codePointAt(0)! <= 0xff ? c : '?')).join('');
  return text;
}

/** The official messages in UTF-8 as given, plus the consent example re-encoded in ISO 8859-15 (MSH-18 8859/15). */
function officialMessages(): Buffer[] {
  if (!HL7V2) return [Buffer.from(BUILT_IN, 'utf8'), Buffer.from(BUILT_IN.replace('UNICODE UTF-8', '8859/15'), 'latin1')];
  const texts = OFFICIAL_FILES.map((f) => readFileSync(join(HL7V2, f), 'utf8').replace(/\r\n|\n/g, '\r'));
  const latin9 = texts[2]!.replace('UNICODE UTF-8', '8859/15').replace('|3975|', '|3975-L9|');
  return [...texts.map((t) => Buffer.from(t, 'utf8')), Buffer.from(latin9, 'latin1')];
}

const FRAMING_BYTES = new Set([MLLP_START_BLOCK, MLLP_END_BLOCK]);
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const frame = (payload: Buffer): Buffer => Buffer.concat([Buffer.from([MLLP_START_BLOCK]), payload, Buffer.from([MLLP_END_BLOCK, MLLP_CARRIAGE_RETURN])]);
const sizes = { numRuns: Number(process.env.ROBUSTNESS_RUNS ?? 120) };

/** The frames a decoder finds in `stream` (what the server will hand to its handler). */
function framesIn(stream: Buffer): Buffer[] {
  const decoder = new MllpDecoder();
  const events = [...decoder.push(stream), ...decoder.end()];
  return events.flatMap((e) => (e.kind === 'message' ? [e.message] : []));
}

/** Splits `stream` at the given cut points (sorted, deduplicated, inside the stream). */
function chunked(stream: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => (stream.length === 0 ? 0 : c % stream.length)).filter((c) => c > 0))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const point of points) {
    chunks.push(stream.subarray(from, point));
    from = point;
  }
  chunks.push(stream.subarray(from));
  return chunks.filter((c) => c.length > 0);
}

interface Exchange {
  /** ACK frames received, in order. */
  acks: Buffer[];
  /** Framing problems in what the server sent back (must stay empty). */
  framingErrors: string[];
}

/**
 * One connection: writes the chunks one by one (each in its own TCP write, yielding to the
 * event loop in between), half-closes, and reads until the server closes.
 */
async function exchange(port: number, chunks: Buffer[]): Promise<Exchange> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.setNoDelay(true);
  const decoder = new MllpDecoder();
  const result: Exchange = { acks: [], framingErrors: [] };
  const closed = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no close after 15 s (${result.acks.length} ACKs)`)); }, 15_000);
    socket.on('data', (chunk: Buffer) => {
      for (const event of decoder.push(chunk)) {
        if (event.kind === 'message') result.acks.push(event.message);
        else result.framingErrors.push(event.error.code);
      }
    });
    socket.once('close', () => { clearTimeout(timer); resolve(); });
    socket.on('error', () => undefined); // a reset shows as a close with fewer ACKs, which the property reports
  });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  for (const chunk of chunks) {
    if (socket.destroyed) break;
    await new Promise<void>((resolve) => socket.write(chunk, () => resolve()));
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (!socket.destroyed) socket.end();
  await closed;
  for (const event of decoder.end()) if (event.kind === 'error') result.framingErrors.push(event.error.code);
  return result;
}

describe('HL7 v2 listener robustness (fast-check, real sockets)', () => {
  let app: TestApp;
  let lastId = 0;
  let framesSent = 0;
  let initialRows = 0;

  const rowsAfter = async (id: number) => app.database.db.select().from(hl7Messages).where(gt(hl7Messages.id, id)).orderBy(asc(hl7Messages.id));
  const totalRows = async (): Promise<number> => Number((await app.database.db.select({ n: count() }).from(hl7Messages))[0]!.n);

  /**
   * Sends `stream` in `chunks`, then checks the property against `expected` (the frames the
   * server must have received): one ACK each, in order, stored raw byte-identical with the
   * ACK that was actually sent.
   */
  async function check(stream: Buffer, cuts: number[], expected: Buffer[]): Promise<void> {
    const { acks, framingErrors } = await exchange(app.ports.mllp, chunked(stream, cuts));
    framesSent += expected.length;
    // Read what was stored before asserting anything, so that a failing run (and fast-check's
    // shrinking runs after it) is judged on its own rows only.
    const rows = await rowsAfter(lastId);
    if (rows.length > 0) lastId = rows[rows.length - 1]!.id;
    expect(framingErrors).toEqual([]);
    expect(rows.length, 'frames stored').toBe(expected.length);
    expect(acks.length, 'ACKs received').toBe(expected.length);
    rows.forEach((row, i) => {
      const payload = expected[i]!;
      expect(row.raw.equals(payload), `frame ${i} stored byte-identical`).toBe(true);
      expect(row.sha256).toBe(sha256(payload));
      expect(row.status).not.toBe('received'); // processed to the end
      expect(row.ack, `frame ${i}: the stored ACK is the one sent (in its MSH-18 charset)`).toBe(decodeHl7(acks[i]!));
    });

    acks.forEach((bytes, i) => {
      const parsed = parse(decodeHl7(bytes));
      expect(parsed.ok, `ACK ${i} parses`).toBe(true);
      if (!parsed.ok) return;
      const ack = readAck(parsed.value);
      expect(ack.ok, `ACK ${i} has an MSA`).toBe(true);
      if (!ack.ok) return;
      expect(['AA', 'AE', 'AR']).toContain(ack.value.code);
      // A message we can read is acknowledged under its own control id (ACKs stay in order).
      const original = parse(decodeHl7(expected[i]!));
      const header = original.ok ? messageHeader(original.value) : undefined;
      if (header && header.controlId !== '' && !header.controlId.includes('\\')) {
        // A NUL, which PostgreSQL text cannot hold, comes back as U+FFFD, and an ACK in an ISO 8859
        // charset (its MSH-18, copied from the message) carries what that charset lacks as `?`.
        const echoed = header.controlId.replaceAll('\0', '\uFFFD');
        expect(ack.value.acknowledgedControlId, `ACK ${i} answers its own message`).toBe(asCharsetCarries(echoed, messageHeader(parsed.value)?.characterSet ?? ''));
      }
    });
  }
  beforeAll(async () => {
    app = await startTestApp();
    initialRows = await totalRows();
    lastId = (await rowsAfter(0)).at(-1)?.id ?? 0;
  });
  afterAll(async () => { await app?.stop(); });

  const cuts = fc.array(fc.nat({ max: 4096 }), { maxLength: 12 });

  it('(a) random bytes, framed: one ACK per frame, every frame stored as received', async () => {
    const cleanPayload = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 120 }).map((s) => Buffer.from(`MSH|^~\\&|${s}`, 'utf8')),
      fc.array(fc.constantFrom('|', '^', '~', '\\', '&', '\r', '\n', 'MSH', 'PID', 'ADT', 'A28', 'A01', '\0', 'é', '"', '1'), { maxLength: 40 })
        .map((parts) => Buffer.from(`MSH|^~\\&|${parts.join('')}`, 'utf8')),
    ).map((bytes) => Buffer.from(bytes).filter((b) => !FRAMING_BYTES.has(b)));
    await fc.assert(fc.asyncProperty(fc.array(cleanPayload, { minLength: 1, maxLength: 4 }), cuts, async (payloads, splits) => {
      const stream = Buffer.concat(payloads.map((p) => frame(Buffer.from(p))));
      await check(stream, splits, payloads.map((p) => Buffer.from(p)));
    }), sizes);
  });

  it('(a) random byte streams with junk, stray and broken framing: every frame the decoder finds is answered and stored', async () => {
    const part = fc.oneof(
      fc.uint8Array({ maxLength: 120 }).map((b) => frame(Buffer.from(b))),
      fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
      fc.constantFrom(Buffer.from([MLLP_START_BLOCK]), Buffer.from([MLLP_END_BLOCK]), Buffer.from([MLLP_END_BLOCK, MLLP_CARRIAGE_RETURN]), Buffer.from([MLLP_START_BLOCK, MLLP_END_BLOCK, MLLP_CARRIAGE_RETURN])),
    );
    await fc.assert(fc.asyncProperty(fc.array(part, { minLength: 1, maxLength: 6 }), cuts, async (parts, splits) => {
      const stream = Buffer.concat(parts);
      await check(stream, splits, framesIn(stream));
    }), sizes);
  });

  it('(b) mutated official messages: replacements, deletions, insertions, field swaps, truncation', async () => {
    const originals = officialMessages();
    const byteValue = fc.integer({ min: 0, max: 255 }).filter((b) => !FRAMING_BYTES.has(b));
    const insertion = fc.oneof(
      fc.constantFrom('|', '^', '~', '\\', '&', '\r', '\n', '""', 'MSH|^~\\&|', '\\X00\\', '\\E\\', 'é', '˜', '\u0000', 'VALI', 'A47', 'MRG|'),
      fc.string({ maxLength: 12 }),
    ).map((s) => Buffer.from(s, 'utf8').filter((b) => !FRAMING_BYTES.has(b)));
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), byte: byteValue }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: insertion }),
      fc.record({ kind: fc.constant('swap' as const), a: fc.nat(), b: fc.nat() }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    );
    type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;
    const apply = (message: Buffer, m: Mutation): Buffer => {
      const at = (n: number) => (message.length === 0 ? 0 : n % message.length);
      switch (m.kind) {
        case 'replace': { const copy = Buffer.from(message); if (copy.length > 0) copy[at(m.at)] = m.byte; return copy; }
        case 'delete': return Buffer.concat([message.subarray(0, at(m.at)), message.subarray(at(m.at) + m.length)]);
        case 'insert': return Buffer.concat([message.subarray(0, at(m.at)), Buffer.from(m.bytes), message.subarray(at(m.at))]);
        case 'truncate': return message.subarray(0, at(m.at));
        case 'swap': {
          // Swap two fields of one segment (segment chosen by `a`, fields by `b`).
          const segments = message.toString('latin1').split('\r');
          const s = m.a % segments.length;
          const fields = segments[s]!.split('|');
          if (fields.length < 3) return message;
          const i = 1 + (m.b % (fields.length - 1));
          const j = 1 + ((m.b >> 3) % (fields.length - 1));
          [fields[i], fields[j]] = [fields[j]!, fields[i]!];
          segments[s] = fields.join('|');
          return Buffer.from(segments.join('\r'), 'latin1');
        }
      }
    };
    await fc.assert(fc.asyncProperty(
      fc.array(fc.tuple(fc.nat({ max: originals.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 5 })), { minLength: 1, maxLength: 3 }),
      cuts,
      async (picks, splits) => {
        const payloads = picks.map(([which, mutations]) => mutations.reduce(apply, originals[which]!));
        for (const p of payloads) expect(p.some((b) => FRAMING_BYTES.has(b))).toBe(false);
        await check(Buffer.concat(payloads.map(frame)), splits, payloads);
      },
    ), sizes);
  });

  it('(c) well-formed messages in random TCP chunks, down to single bytes and split end blocks', async () => {
    const originals = officialMessages();
    await fc.assert(fc.asyncProperty(
      fc.array(fc.nat({ max: originals.length - 1 }), { minLength: 1, maxLength: 4 }),
      fc.oneof(cuts, fc.constant(Array.from({ length: 64 }, (_, i) => i + 1))),
      fc.boolean(),
      async (which, splits, cutInEndBlocks) => {
        const payloads = which.map((w) => originals[w]!);
        const stream = Buffer.concat(payloads.map(frame));
        // Cut between every 0x1C and its 0x0D, the classic reassembly trap.
        const extra = cutInEndBlocks ? [...stream.entries()].filter(([, b]) => b === MLLP_END_BLOCK).map(([i]) => i + 1) : [];
        await check(stream, [...splits, ...extra], payloads);
      },
    ), { numRuns: Math.max(20, Math.floor(sizes.numRuns / 2)) });
  });

  it('nothing was lost, and the server is still up and accepting', async () => {
    expect(await totalRows()).toBe(initialRows + framesSent);
    const client = createMllpClient({ host: '127.0.0.1', port: app.ports.mllp });
    try {
      const fresh = BUILT_IN.replace('ROBUST-0', `ROBUST-${Date.now()}`).replace('700001', '700002');
      const parsed = parse((await client.send(fresh)).toString('utf8'));
      expect(parsed.ok).toBe(true);
      const ack = parsed.ok ? readAck(parsed.value) : undefined;
      expect(ack?.ok && ack.value.code).toBe('AA');
    } finally {
      await client.close();
    }
  });
});
