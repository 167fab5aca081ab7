/**
 * What arrives in the hospital's MSSanté mailbox (mssante.md §6, §7): receipts for what we
 * sent, and documents for the DPI (lab and imaging reports, volets de synthèse médicale).
 *
 * 1. `store` (called by the IMAP receiver for each new message, before the message is marked
 *    processed on the server): a DSN or MDN updates the dispatch it refers to at once, then is
 *    stored with its outcome (applying it twice changes nothing); any other message is written
 *    raw to `received_messages` with its processing job, in one statement. A message read twice
 *    (an interrupted fetch, a restart) is stored once: the key is the mailbox and its Message-ID.
 * 2. `process` (queue `exchange.received`): a document message has each CDA integrated in the
 *    DPI (matched by INS, then traits, or queued for review) and, when the sender asked for it,
 *    an MDN answers with the outcome: processed, or the MSSanté processing code (900–906).
 *    Anything else waits for review.
 */
import { createHash, randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import {
  buildMdn, readReceipts, readReceivedMessage, type IncomingRawMessage, type MdnProcessingCode, type MssanteClient, type ReceiptEvent,
} from '../national/mssante/index.ts';
import type { ReceivedDocumentService } from '../record/index.ts';
import type { Database } from '../platform/db/index.ts';
import { PermanentJobError, writeAndEnqueue, type Job } from '../platform/jobs/index.ts';
import { PFI_ACTOR, RECEIPT_UNKNOWN, receiptsAttached, type ExchangeService, type Receipt } from './service.ts';
import { receivedMessages } from './tables.ts';

export const RECEIVED_QUEUE = 'exchange.received';

export interface ReceivingDeps {
  db: Database;
  received: ReceivedDocumentService;
  exchange: Pick<ExchangeService, 'recordReceipt'>;
  mail: Pick<MssanteClient, 'sendRaw'>;
  /** The hospital's applicative mailbox. */
  mailbox: string;
  onEnqueued?: () => void;
}

/** Message-ID of a raw message (header section only), or a hash of the bytes when it has none. */
export function messageIdOfRaw(raw: Buffer): string {
  const end = raw.indexOf('\r\n\r\n');
  const header = raw.subarray(0, end < 0 ? Math.min(raw.length, 65_536) : end).toString('latin1').replace(/\r?\n[ \t]+/g, ' ');
  const match = /^message-id:\s*(<[^>\r\n]+>)/im.exec(header);
  return match ? match[1]! : `sha256:${createHash('sha256').update(raw).digest('hex')}`;
}

/** The Message-ID a receipt is about: the original one, or rebuilt from the DSN envelope id. */
function originalOf(event: ReceiptEvent, mailbox: string): string | undefined {
  if (event.originalMessageId) return event.originalMessageId.startsWith('<') ? event.originalMessageId : `<${event.originalMessageId}>`;
  if (event.kind === 'dsn' && event.envelopeId) return `<${event.envelopeId}@${mailbox.slice(mailbox.lastIndexOf('@') + 1)}>`;
  return undefined;
}

export function createReceivingService(deps: ReceivingDeps) {
  const { db } = deps;

  async function finish(id: string, status: 'processed' | 'review', kind: string, detail: string): Promise<void> {
    await db.update(receivedMessages).set({ status, kind, detail, processedAt: new Date() }).where(eq(receivedMessages.id, id));
  }

  /** What a DSN or MDN says about a message we sent; undefined when it says nothing we track. */
  function receiptOf(event: ReceiptEvent): Receipt | undefined {
    const original = originalOf(event, deps.mailbox);
    if (!original) return undefined;
    const outcome = event.kind === 'dsn'
      ? (event.action === 'delivered' || event.action === 'relayed' || event.action === 'expanded' ? 'delivered' : event.action === 'failed' ? 'failed' : undefined)
      : (event.success ? 'read' : 'failed');
    if (!outcome) return undefined;
    const detail = event.kind === 'dsn'
      ? `DSN ${event.action} ${event.status}${event.diagnostic ? ` : ${event.diagnostic}` : ''}`
      : `MDN ${event.disposition}`;
    const code = event.kind === 'dsn' ? event.status : event.error?.code;
    return { messageId: original, kind: event.kind, outcome, detail, ...(code ? { code } : {}) };
  }

  /** Moves the dispatches the receipts refer to; what the message's row then says. */
  async function applyReceipts(receipts: ReceiptEvent[]): Promise<{ status: 'processed' | 'review'; kind: string; detail: string }> {
    let known = 0;
    for (const event of receipts) {
      const receipt = receiptOf(event);
      if (receipt && await deps.exchange.recordReceipt(receipt)) known++;
    }
    return known > 0
      ? { status: 'processed', kind: receipts[0]!.kind, detail: receiptsAttached(known) }
      : { status: 'review', kind: receipts[0]!.kind, detail: RECEIPT_UNKNOWN };
  }

  return {
    /**
     * Stores a message read from the mailbox (idempotent). A receipt is applied and stored with
     * its outcome by one statement (a message with several receipts: applied one by one, then
     * stored); applying it again (the message read twice) changes nothing. Anything else is stored with its processing job.
     */
    async store(message: IncomingRawMessage): Promise<void> {
      const messageId = messageIdOfRaw(message.raw);
      // Receipts are read by the light MIME reader: the full one is for document messages.
      const receipts = readReceipts(message.raw);
      if (receipts.length > 0) {
        // The usual receipt (one DSN or MDN) is applied and stored by one statement.
        const single = receipts.length === 1 ? receiptOf(receipts[0]!) : undefined;
        if (single) {
          await deps.exchange.recordReceipt(single, { mailbox: message.mailbox, messageId, raw: message.raw });
          return;
        }
        const outcome = await applyReceipts(receipts);
        await db.insert(receivedMessages).values({ mailbox: message.mailbox, messageId, raw: message.raw, ...outcome, processedAt: new Date() }).onConflictDoNothing();
        return;
      }
      const id = randomUUID();
      const stored = await writeAndEnqueue(db,
        db.insert(receivedMessages).values({ id, mailbox: message.mailbox, messageId, raw: message.raw }).onConflictDoNothing().returning({ id: receivedMessages.id }),
        [{ queue: RECEIVED_QUEUE, payload: { id }, dedupKey: id }]);
      if (stored) deps.onEnqueued?.();
    },

    /** Handler of `exchange.received`. */
    async process(job: Job): Promise<void> {
      const { id } = job.payload as { id: string };
      const [row] = await db.select().from(receivedMessages).where(eq(receivedMessages.id, id));
      if (!row) throw new PermanentJobError(`message reçu ${id} introuvable`);
      if (row.status !== 'received') return;
      // A receipt stored with a job (replayed, or stored by an earlier version) is applied here.
      const receipts = readReceipts(row.raw);
      if (receipts.length > 0) {
        const outcome = await applyReceipts(receipts);
        await finish(id, outcome.status, outcome.kind, outcome.detail);
        return;
      }

      const message = await readReceivedMessage(row.raw);

      if (!message.isDocumentMessage || message.cdas.length === 0) {
        await finish(id, 'review', 'other', 'message sans document CDA : à examiner');
        return;
      }

      const outcomes: string[] = [];
      let errorCode: MdnProcessingCode | undefined = message.processingError?.code;
      let reviewed = message.processingError !== undefined;
      for (const cda of message.cdas) {
        if (!cda.document) {
          reviewed = true;
          errorCode ??= 906;
          outcomes.push(`document illisible (${cda.problem ?? 'CDA'})`);
          continue;
        }
        const pdf = message.pdfs[0]?.bytes;
        const outcome = await deps.received.integrate({
          cda: Buffer.from(cda.bytes).toString('utf8'), ...(pdf ? { pdf } : {}), source: 'mssante', ...(message.from ? { sender: message.from } : {}),
        }, PFI_ACTOR);
        if (outcome.status === 'review') {
          reviewed = true;
          errorCode ??= outcome.processingCode;
        }
        outcomes.push(outcome.status === 'integrated' ? `intégré (${outcome.matchedBy})${outcome.duplicate ? ', déjà reçu' : ''}` : `à examiner : ${outcome.reason ?? ''}`);
      }

      if (message.mdnRequestedTo && message.messageId) {
        const mdn = buildMdn({
          from: deps.mailbox, to: message.mdnRequestedTo, originalMessageId: message.messageId, originalSubject: message.subject,
          outcome: errorCode ? { code: errorCode } : { processed: true }, original: row.raw, headersOnly: true,
        });
        await deps.mail.sendRaw(mdn.raw, { from: deps.mailbox, to: [message.mdnRequestedTo] }, mdn.messageId);
      }
      await finish(id, reviewed ? 'review' : 'processed', 'document', outcomes.join(' ; '));
    },
  };
}

export type ReceivingService = ReturnType<typeof createReceivingService>;
