/**
 * Receipts move MSSanté dispatches forward only: a DSN after an MDN changes nothing, an unknown
 * Message-ID is ignored, and a dispatch of a listening source (an HL7 sender) hears of its change.
 * The Message-ID is recorded before the message is sent: a DSN for a message whose sender died
 * before recording the sending moves its dispatch forward, and the job run again sends nothing.
 * A receipt read from the mailbox is applied and stored in one statement, once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asc, eq } from 'drizzle-orm';
import { openTestDatabase } from '../../test/support/database.ts';
import type { DatabaseHandle } from '../platform/db/index.ts';
import { buildDsn } from '../national/mssante/index.ts';
import { complete, queueStats, type Job } from '../platform/jobs/index.ts';
import { createReceivingService, messageIdOfRaw } from './receiving.ts';
import { createExchangeService, recordDispatches, recordOutgoing, type DispatchStatusChange, type ExchangeService } from './service.ts';
import { dispatchEvents, dispatches, receivedMessages } from './tables.ts';

let handle: DatabaseHandle;
let exchange: ExchangeService;
const heard: Array<Pick<DispatchStatusChange, 'status' | 'receipt'>> = [];
/** What the mail port was asked to send, and how its next sending ends (by default, at once). */
const sent: string[] = [];
let sending: (() => Promise<void>) | undefined;
const messageIdOf = (key: string): string => `<${key}@ch.test>`;

beforeAll(async () => {
  handle = await openTestDatabase();
  const unused = async (): Promise<never> => { throw new Error('not used'); };
  exchange = createExchangeService({
    db: handle.db, documents: {} as never, dmp: { publish: unused, delete: unused, setVisibility: unused }, directory: { mailboxesOf: unused },
    mail: {
      messageIdOf,
      send: async (_document, message) => {
        sent.push(message.key);
        await sending?.();
        return { messageId: messageIdOf(message.key) };
      },
    },
    sources: { hl7: { onStatus: async (_tx, change) => { heard.push({ status: change.status, ...(change.receipt ? { receipt: change.receipt } : {}) }); } } },
  });
});
afterAll(() => handle.close());

/** A pending dispatch of a new outgoing document to one mailbox. */
async function pendingDispatch(source: 'dpi' | 'hl7', sourceId: string): Promise<string> {
  const outgoing = await recordOutgoing(handle.db, {
    source, sourceId, uniqueId: `1.2.3.${sourceId.length}.${Date.now()}.${Math.floor(Math.random() * 1e6)}`, setId: `1.2.3.${Math.floor(Math.random() * 1e9)}`, version: 1,
    code: '11490-0', label: 'Lettre de liaison', title: 'LDL', patient: { birthName: 'TEST', firstGivenName: 'T', birthDate: '2000-01-01' }, cda: '<ClinicalDocument/>',
    confidentiality: { maskedToProfessionals: false, invisibleToPatient: false, invisibleToLegalRepresentatives: false },
  });
  const [dispatch] = await recordDispatches(handle.db, outgoing, [{ channel: 'mssante-pro', recipient: 'dr@test.mssante.fr', status: 'pending' }]);
  return dispatch!.id;
}

/** A dispatch to one mailbox, sent with `messageId`. */
async function sentDispatch(source: 'dpi' | 'hl7', messageId: string): Promise<string> {
  const id = await pendingDispatch(source, messageId);
  await handle.db.update(dispatches).set({ status: 'sent', externalId: messageId, sentAt: new Date() }).where(eq(dispatches.id, id));
  return id;
}

/** Runs the mail job as the worker does: the handler, then the job's completion with what it left to write. */
async function runMailJob(job: Job): Promise<void> {
  const completion = await exchange.sendMail(job);
  await complete(handle.db, job.id, 'test-worker', completion ?? undefined);
}

const stateOf = async (id: string) => {
  const [row] = await handle.db.select().from(dispatches).where(eq(dispatches.id, id));
  const history = await handle.db.select().from(dispatchEvents).where(eq(dispatchEvents.dispatchId, id)).orderBy(asc(dispatchEvents.id));
  return { status: row!.status, deliveredAt: row!.deliveredAt, readAt: row!.readAt, reason: row!.reason, errorCode: row!.errorCode, history: history.map((e) => e.status) };
};

describe('receipts', () => {
  it('an MDN before the DSN reads and delivers; the DSN after it changes nothing', async () => {
    const id = await sentDispatch('dpi', '<a@ch.test>');
    expect(await exchange.recordReceipt({ messageId: '<a@ch.test>', kind: 'mdn', outcome: 'read', detail: 'MDN displayed' })).toBe(true);
    const read = await stateOf(id);
    expect(read).toMatchObject({ status: 'read', history: ['pending', 'read'] });
    expect(read.readAt).toBeInstanceOf(Date);
    expect(read.deliveredAt).toEqual(read.readAt);
    expect(await exchange.recordReceipt({ messageId: '<a@ch.test>', kind: 'dsn', outcome: 'delivered', detail: 'DSN delivered 2.0.0' })).toBe(true);
    expect(await stateOf(id)).toEqual(read);
  });

  it('a DSN delivers, a later MDN reads and keeps the delivery time; a failure carries its reason and code', async () => {
    const id = await sentDispatch('dpi', '<b@ch.test>');
    await exchange.recordReceipt({ messageId: '<b@ch.test>', kind: 'dsn', outcome: 'delivered' });
    const delivered = await stateOf(id);
    expect(delivered).toMatchObject({ status: 'delivered', readAt: null });
    await exchange.recordReceipt({ messageId: '<b@ch.test>', kind: 'mdn', outcome: 'read' });
    const read = await stateOf(id);
    expect(read).toMatchObject({ status: 'read', deliveredAt: delivered.deliveredAt, history: ['pending', 'delivered', 'read'] });

    const failing = await sentDispatch('dpi', '<c@ch.test>');
    await exchange.recordReceipt({ messageId: '<c@ch.test>', kind: 'dsn', outcome: 'failed', detail: 'DSN failed 5.1.1', code: '5.1.1' });
    expect(await stateOf(failing)).toMatchObject({ status: 'failed', reason: 'DSN failed 5.1.1', errorCode: '5.1.1', history: ['pending', 'failed'] });
  });

  it('an unknown Message-ID is ignored', async () => {
    expect(await exchange.recordReceipt({ messageId: '<nobody@ch.test>', kind: 'dsn', outcome: 'delivered' })).toBe(false);
  });

  it('a listening source hears of the change, once, and not of a receipt that changes nothing', async () => {
    heard.length = 0;
    const id = await sentDispatch('hl7', '<d@ch.test>');
    await exchange.recordReceipt({ messageId: '<d@ch.test>', kind: 'dsn', outcome: 'delivered' });
    await exchange.recordReceipt({ messageId: '<d@ch.test>', kind: 'dsn', outcome: 'delivered' });
    expect(heard).toEqual([{ status: 'delivered', receipt: 'dsn' }]);
    expect(await stateOf(id)).toMatchObject({ status: 'delivered', history: ['pending', 'delivered'] });
  });

  it('a DSN for a message whose sender died before recording it delivers the dispatch; the job run again sends nothing', async () => {
    const dispatchId = await pendingDispatch('dpi', 'crash-1');
    const job = { id: 1, queue: 'exchange.mssante', orderingKey: null, payload: { dispatchId }, attempts: 1, maxAttempts: 12 };
    sent.length = 0;
    // The operator took the message, but the platform dies before hearing so: its attempt never ends.
    sending = () => new Promise<never>(() => undefined);
    void runMailJob(job);
    while (sent.length === 0) await new Promise((r) => setTimeout(r, 5));
    expect(await stateOf(dispatchId)).toMatchObject({ status: 'pending' });
    // The operator's DSN names the Message-ID recorded before the sending.
    expect(await exchange.recordReceipt({ messageId: messageIdOf(dispatchId), kind: 'dsn', outcome: 'delivered' })).toBe(true);
    expect(await stateOf(dispatchId)).toMatchObject({ status: 'delivered', history: ['pending', 'delivered'] });
    // The job, claimable again once its lease expired, finds nothing to send.
    sending = undefined;
    await runMailJob({ ...job, attempts: 2 });
    expect(sent).toEqual([dispatchId]);
    const [row] = await handle.db.select().from(dispatches).where(eq(dispatches.id, dispatchId));
    expect(row).toMatchObject({ status: 'delivered', attempts: 1, externalId: messageIdOf(dispatchId) });
  });

  it('a DSN read before the sending is recorded leaves the dispatch delivered, with its sending time', async () => {
    const dispatchId = await pendingDispatch('dpi', 'race-1');
    sending = () => exchange.recordReceipt({ messageId: messageIdOf(dispatchId), kind: 'dsn', outcome: 'delivered' }).then(() => undefined);
    await runMailJob({ id: 2, queue: 'exchange.mssante', orderingKey: null, payload: { dispatchId }, attempts: 1, maxAttempts: 12 });
    sending = undefined;
    const [row] = await handle.db.select().from(dispatches).where(eq(dispatches.id, dispatchId));
    expect(row).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(row!.sentAt).toBeInstanceOf(Date);
    expect((await stateOf(dispatchId)).history).toEqual(['pending', 'delivered']);
  });
});

describe('a receipt read from the mailbox', () => {
  const dsnFor = (messageId: string) => buildDsn({
    reportingMta: 'mta.operateur.mssante.fr', from: 'mailer-daemon@operateur.mssante.fr', to: 'passerelle@ch.test',
    original: Buffer.from(`Message-ID: ${messageId}\r\nSubject: XDM/1.0/DDM+LDL\r\n\r\ncorps\r\n`),
    recipients: [{ address: 'dr@test.mssante.fr', action: 'delivered', status: '2.0.0' }],
  });
  const receiving = () => createReceivingService({
    db: handle.db, mailbox: 'passerelle@ch.test', exchange,
    received: {} as never, mail: { sendRaw: async () => { throw new Error('not used'); } },
  });
  const storedAs = (raw: Buffer) => handle.db.select({ status: receivedMessages.status, kind: receivedMessages.kind, detail: receivedMessages.detail })
    .from(receivedMessages).where(eq(receivedMessages.messageId, messageIdOfRaw(raw)));

  it('moves its dispatch and is stored as processed, without a job; read again, it is stored once and changes nothing', async () => {
    const id = await sentDispatch('dpi', '<r1@ch.test>');
    const dsn = dsnFor('<r1@ch.test>');
    const message = { raw: dsn.raw, uid: 9, uidValidity: '1', mailbox: 'INBOX', key: 'INBOX/1/9' };
    const jobsBefore = (await queueStats(handle.db, 'exchange.received'))[0]?.pending ?? 0;
    await receiving().store(message);
    await receiving().store(message);
    expect(await stateOf(id)).toMatchObject({ status: 'delivered', history: ['pending', 'delivered'] });
    expect(await storedAs(dsn.raw)).toEqual([{ status: 'processed', kind: 'dsn', detail: '1 accusé(s) rattaché(s)' }]);
    expect((await queueStats(handle.db, 'exchange.received'))[0]?.pending ?? 0).toBe(jobsBefore); // no job for a receipt
  });

  it('for a message we never sent, is stored for review', async () => {
    const dsn = dsnFor('<never-sent@ch.test>');
    await receiving().store({ raw: dsn.raw, uid: 10, uidValidity: '1', mailbox: 'INBOX', key: 'INBOX/1/10' });
    expect(await storedAs(dsn.raw)).toEqual([{ status: 'review', kind: 'dsn', detail: 'accusé pour un message inconnu' }]);
  });
});
