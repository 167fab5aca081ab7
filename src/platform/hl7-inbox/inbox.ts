/**
 * HL7 v2 inbound: every received message is stored raw before anything else, then parsed,
 * deduplicated and routed by message type to a handler; the ACK is stored beside it.
 *
 * Retransmissions (HL7 v2.5.1 §2.10): a byte-identical resend of an accepted message (same
 * sender MSH-3/4 and MSH-10) gets the stored ACK replayed and is not processed again; a
 * different message reusing an accepted control id is rejected (AR). The handler runs in the
 * same transaction that marks the message accepted, so a crash cannot process it twice.
 */
import { createHash, randomUUID } from 'node:crypto';
import { and, asc, eq, inArray } from 'drizzle-orm';
import {
  ackErrorFrom, buildAck, buildAckForUnparseable, messageHeader, parse, serialize, type AckCode, type AckError, type Hl7Message,
} from '../../formats/hl7v2/index.ts';
import type { Database, Executor } from '../db/index.ts';
import type { Logger } from '../logging.ts';
import { hl7Messages } from './tables.ts';

export interface HandlerOutcome {
  code: AckCode;
  errors?: AckError[];
}

/** Processes one parsed message inside `tx`; throwing rolls back and answers AE 207. */
export type Hl7Handler = (message: Hl7Message, tx: Executor, context: { messageId: number; sender: string }) => Promise<HandlerOutcome>;

export interface InboxOptions {
  db: Database;
  logger: Logger;
  /** Handlers by `CODE^TRIGGER` (e.g. `ADT^A28`) or by `CODE` (e.g. `ADT`). */
  handlers: Record<string, Hl7Handler>;
  application: string;
  facility: string;
}

/** The charset MSH-18 declares in the head of a message (its first 512 characters / bytes). */
function declaredCharset(head: string): 'iso-8859-15' | 'latin1' | 'utf8' {
  const firstLine = head.split(/\r|\n/, 1)[0] ?? '';
  const charset = firstLine.split(firstLine[3] ?? '|')[17] ?? '';
  if (!/8859\/(15|1)\b/.test(charset)) return 'utf8';
  return charset.includes('15') ? 'iso-8859-15' : 'latin1';
}

/** Decodes per MSH-18: ISO 8859-15 (PAM FR default) or UTF-8. */
export function decodeHl7(raw: Buffer): string {
  const charset = declaredCharset(raw.subarray(0, Math.min(raw.length, 512)).toString('latin1'));
  return charset === 'utf8' ? raw.toString('utf8') : new TextDecoder(charset).decode(raw);
}

const LATIN9_SPECIALS: Record<number, number> = {
  0x20ac: 0xa4, 0x160: 0xa6, 0x161: 0xa8, 0x17d: 0xb4, 0x17e: 0xb8, 0x152: 0xbc, 0x153: 0xbd, 0x178: 0xbe,
};
const LATIN1_ONLY = new Set([0xa4, 0xa6, 0xa8, 0xb4, 0xb8, 0xbc, 0xbd, 0xbe]);

/**
 * Encodes an outgoing message (our ACKs) per its own MSH-18, the inverse of decodeHl7:
 * ISO 8859-15 or 8859-1 when declared, UTF-8 otherwise. A character the charset lacks becomes `?`.
 */
export function encodeHl7(text: string): Buffer {
  const charset = declaredCharset(text.slice(0, 512));
  if (charset === 'utf8') return Buffer.from(text, 'utf8');
  const latin9 = charset === 'iso-8859-15';
  const bytes: number[] = [];
  for (const character of text) {
    const code = character.codePointAt(0)!;
    const special = latin9 ? LATIN9_SPECIALS[code] : undefined;
    if (special !== undefined) bytes.push(special);
    else if (code <= 0xff && !(latin9 && LATIN1_ONLY.has(code))) bytes.push(code);
    else bytes.push(0x3f);
  }
  return Buffer.from(bytes);
}

/** A handler's AE/AR: aborts the transaction so that nothing it wrote is kept. */
class Refusal extends Error {
  constructor(readonly outcome: HandlerOutcome) {
    super(`refused ${outcome.code}`);
  }
}

/**
 * PostgreSQL text cannot hold U+0000, which received bytes may carry into the ACK (echoed MSH
 * fields), the error text and the dedup key: those get U+FFFD instead. The raw message (bytea)
 * is kept as received.
 */
const storable = (text: string): string => text.replaceAll('\0', '\uFFFD');

const isUniqueViolation = (error: unknown): boolean => {
  const e = error as { code?: string; cause?: { code?: string } };
  return e?.code === '23505' || e?.cause?.code === '23505';
};

export function createInbox(options: InboxOptions) {
  const { db, logger } = options;
  const ackParams = () => ({ controlId: `ACK${randomUUID().replace(/-/g, '').slice(0, 16)}`, timestamp: new Date() });

  const handlerFor = (code: string, trigger: string): Hl7Handler | undefined =>
    options.handlers[`${code}^${trigger}`] ?? options.handlers[code];

  async function finish(id: number, status: 'accepted' | 'error' | 'rejected' | 'duplicate', ackText: string, error: string | null, tx: Executor = db): Promise<string> {
    // What is stored is exactly what the sender reads: no NUL, only characters its charset has.
    const ack = decodeHl7(encodeHl7(storable(ackText)));
    await tx.update(hl7Messages).set({ status, ack, error: error === null ? null : storable(error), processedAt: new Date() }).where(eq(hl7Messages.id, id));
    return ack;
  }

  /** What can be read of a message before it is stored (pure, in memory). */
  function inspect(raw: Buffer) {
    const text = decodeHl7(raw);
    const parsed = parse(text);
    const msh = parsed.ok ? messageHeader(parsed.value) : undefined;
    const header = msh && msh.controlId !== '' ? {
      sender: storable([msh.sendingApplication.namespace ?? '', msh.sendingFacility.namespace ?? ''].join('^')),
      controlId: storable(msh.controlId),
      messageType: storable(`${msh.messageType.code}^${msh.messageType.trigger}`),
    } : undefined;
    return { raw, text, parsed, msh, header, sha256: createHash('sha256').update(raw).digest('hex') };
  }
  type Inspected = ReturnType<typeof inspect>;

  async function process(id: number, message: Inspected): Promise<string> {
    const { parsed, msh, header, text } = message;
    if (!parsed.ok) {
      const ack = buildAckForUnparseable(text, parsed.error, { ...ackParams(), code: 'AR', localApplication: options.application, localFacility: options.facility });
      return finish(id, 'rejected', serialize(ack, { segmentSeparator: '\r' }), `${parsed.error.field}: ${parsed.error.rule}`);
    }
    const answer = (code: AckCode, errors: AckError[] = []) => serialize(buildAck(parsed.value, { ...ackParams(), code, errors }), { segmentSeparator: '\r' });
    if (!msh || !header) {
      return finish(id, 'rejected', answer('AR', [{ location: 'MSH-10', code: 101, userMessage: 'MSH-10: identifiant de message obligatoire' }]), 'MSH-10: required');
    }
    const { sender, controlId, messageType } = header;

    const [previous] = await db.select({ sha256: hl7Messages.sha256, ack: hl7Messages.ack }).from(hl7Messages)
      .where(and(eq(hl7Messages.sender, sender), eq(hl7Messages.controlId, controlId), eq(hl7Messages.status, 'accepted')));
    if (previous) {
      if (previous.sha256 === message.sha256) return finish(id, 'duplicate', previous.ack!, null);
      return finish(id, 'rejected', answer('AR', [{
        location: 'MSH-10', code: 205, userMessage: `MSH-10: l'identifiant ${msh.controlId} a déjà été accepté pour un autre message de ${sender}`,
      }]), 'MSH-10: control id reused by a different message');
    }

    const handler = handlerFor(msh.messageType.code, msh.messageType.trigger);
    if (!handler) {
      return finish(id, 'rejected', answer('AR', [{ location: 'MSH-9', code: 200, userMessage: `MSH-9: type de message ${messageType} non pris en charge` }]), `MSH-9: unsupported ${messageType}`);
    }
    try {
      return await db.transaction(async (tx) => {
        const outcome = await handler(parsed.value, tx, { messageId: id, sender });
        if (outcome.code !== 'AA') throw new Refusal(outcome);
        return finish(id, 'accepted', answer('AA', outcome.errors), null, tx);
      });
    } catch (error) {
      if (error instanceof Refusal) {
        const { code, errors = [] } = error.outcome;
        return finish(id, code === 'AR' ? 'rejected' : 'error', answer(code, errors), errors.map((e) => e.userMessage ?? String(e.code)).join('; '));
      }
      if (isUniqueViolation(error)) return process(id, message); // the same message accepted meanwhile on another connection
      logger.error({ messageId: id, type: messageType, err: error }, 'HL7 handler failed');
      return finish(id, 'error', answer('AE', [{ code: 207, userMessage: 'Erreur interne lors du traitement : message conservé pour rejeu' }]),
        error instanceof Error ? error.message : String(error));
    }
  }

  return {
    /** Stores the raw message, processes it, returns the ACK text to send back. Never throws. */
    async receive(raw: Buffer, peer: string): Promise<string> {
      const message = inspect(raw);
      let id: number;
      try {
        const [row] = await db.insert(hl7Messages).values({ peer, raw, sha256: message.sha256, ...message.header }).returning({ id: hl7Messages.id });
        id = row!.id;
      } catch (error) {
        // Storage failed: refuse so that the sender keeps the message and retries.
        logger.error({ err: error, bytes: raw.length }, 'HL7 message could not be stored');
        const { text, parsed } = message;
        const err = { field: 'MSH', rule: 'stockage impossible, renvoyez le message plus tard' };
        const ack = parsed.ok
          ? buildAck(parsed.value, { ...ackParams(), code: 'AR', errors: [{ ...ackErrorFrom(err, 207), userMessage: err.rule }] })
          : buildAckForUnparseable(text, err, { ...ackParams(), code: 'AR', errorCode: 207 });
        return serialize(ack, { segmentSeparator: '\r' });
      }
      return process(id, message);
    },

    /** Processes a stored message again (after a fix): e.g. from the error queue. */
    async replay(id: number): Promise<string> {
      const [row] = await db.select().from(hl7Messages).where(eq(hl7Messages.id, id));
      if (!row) throw new Error(`HL7 message ${id} not found`);
      return process(id, inspect(row.raw));
    },

    /** Messages waiting for attention (errors and rejections), oldest first. */
    async pending(limit = 100) {
      return db.select({
        id: hl7Messages.id, receivedAt: hl7Messages.receivedAt, sender: hl7Messages.sender, controlId: hl7Messages.controlId,
        messageType: hl7Messages.messageType, status: hl7Messages.status, error: hl7Messages.error,
      }).from(hl7Messages).where(inArray(hl7Messages.status, ['error', 'rejected', 'received'])).orderBy(asc(hl7Messages.id)).limit(limit);
    },
  };
}

export type Inbox = ReturnType<typeof createInbox>;
