/**
 * Receipts move MSSanté dispatches forward only: a DSN after an MDN changes nothing, an unknown
 * Message-ID is ignored, and a dispatch of a listening source (an HL7 sender) hears of its change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asc, eq } from 'drizzle-orm';
import { openTestDatabase } from '../../test/support/database.ts';
import type { DatabaseHandle } from '../platform/db/index.ts';
import { createExchangeService, recordDispatches, recordOutgoing, type DispatchStatusChange, type ExchangeService } from './service.ts';
import { dispatchEvents, dispatches } from './tables.ts';

let handle: DatabaseHandle;
let exchange: ExchangeService;
const heard: Array<Pick<DispatchStatusChange, 'status' | 'receipt'>> = [];

beforeAll(async () => {
  handle = await openTestDatabase();
  const unused = async (): Promise<never> => { throw new Error('not used'); };
  exchange = createExchangeService({
    db: handle.db, documents: {} as never, dmp: { publish: unused, delete: unused }, mail: { send: unused }, directory: { mailboxesOf: unused },
    sources: { hl7: { onStatus: async (_tx, change) => { heard.push({ status: change.status, ...(change.receipt ? { receipt: change.receipt } : {}) }); } } },
  });
});
afterAll(() => handle.close());

/** A dispatch to one mailbox, sent with `messageId`. */
async function sentDispatch(source: 'dpi' | 'hl7', messageId: string): Promise<string> {
  const outgoing = await recordOutgoing(handle.db, {
    source, sourceId: messageId, uniqueId: `1.2.3.${heard.length}.${Date.now()}`, setId: '1.2.3', version: 1, code: '11490-0', label: 'Lettre de liaison', title: 'LDL',
    patient: { birthName: 'TEST', firstGivenName: 'T', birthDate: '2000-01-01' }, cda: '<ClinicalDocument/>',
    confidentiality: { maskedToProfessionals: false, invisibleToPatient: false, invisibleToLegalRepresentatives: false },
  });
  const [dispatch] = await recordDispatches(handle.db, outgoing, [{ channel: 'mssante-pro', recipient: 'dr@test.mssante.fr', status: 'pending' }]);
  await handle.db.update(dispatches).set({ status: 'sent', externalId: messageId, sentAt: new Date() }).where(eq(dispatches.id, dispatch!.id));
  return dispatch!.id;
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
});
