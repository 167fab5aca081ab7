/**
 * The MSSanté side of "nothing processed twice": a message sent again (after a crash between
 * the operator's acceptance and the dispatch being marked sent) carries the same Message-ID,
 * derived from the sending's key, and the receiving side stores a message once per mailbox and
 * Message-ID.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count } from 'drizzle-orm';
import { openTestDatabase } from '../../test/support/database.ts';
import { testDocument } from '../../test/support/mssante-documents.ts';
import { composeDocumentMessages } from '../national/mssante/index.ts';
import type { DatabaseHandle } from '../platform/db/index.ts';
import { queueStats } from '../platform/jobs/index.ts';
import { createReceivingService, messageIdOfRaw } from './receiving.ts';
import { receivedMessages } from './tables.ts';

let handle: DatabaseHandle;
beforeAll(async () => { handle = await openTestDatabase(); });
afterAll(() => handle.close());

const sender = {
  address: 'passerelle@ch-test.mssante.fr', nil: 'NIL-TEST', establishment: 'CH de test', sourceId: '1.2.250.1.999.1',
  contentTypeCode: { code: '03', codingScheme: '1.2.250.1.213.2.2', displayName: 'Hospitalisation complète' },
};

describe('a message sent again is recognised', () => {
  it('the same sending key gives the same Message-ID and DSN envelope id; another key another one', async () => {
    const document = testDocument('ldl');
    const sending = { documents: [{ cda: document.bytes, pdf: document.pdf }], label: 'Lettre de liaison', professionals: ['adam.hoda@test-ci-sis.mssante.fr'], visibility: {} };
    const [first] = await composeDocumentMessages({ ...sending, messageKey: 'dispatch-42' }, sender);
    const [again] = await composeDocumentMessages({ ...sending, messageKey: 'dispatch-42' }, sender);
    const [other] = await composeDocumentMessages({ ...sending, messageKey: 'dispatch-43' }, sender);
    expect(first!.messageId).toBe('<dispatch-42@ch-test.mssante.fr>');
    expect(again!.messageId).toBe(first!.messageId);
    expect(again!.envelopeId).toBe(first!.envelopeId);
    expect(other!.messageId).not.toBe(first!.messageId);
  });

  it('the receiving side stores a message read twice, or received twice with the same Message-ID, once', async () => {
    const receiving = createReceivingService({
      db: handle.db, mailbox: 'passerelle@ch-test.mssante.fr',
      // Processing is not exercised here (test/exchange.test.ts does it end to end).
      received: {} as never, exchange: { recordReceipt: async () => false }, mail: { sendRaw: async () => { throw new Error('not used'); } },
    });
    const raw = Buffer.from('Message-ID: <dispatch-42@ch-test.mssante.fr>\r\nSubject: test\r\n\r\nbody\r\n');
    const resent = Buffer.from('Message-ID: <dispatch-42@ch-test.mssante.fr>\r\nSubject: test\r\nReceived: again\r\n\r\nbody\r\n');
    const message = (bytes: Buffer, uid: number) => ({ raw: bytes, uid, uidValidity: '1', mailbox: 'INBOX', key: `INBOX/1/${uid}` });
    await receiving.store(message(raw, 1));
    await receiving.store(message(raw, 1));
    await receiving.store(message(resent, 2));
    const [stored] = await handle.db.select({ n: count() }).from(receivedMessages);
    expect(stored!.n).toBe(1);
    expect((await queueStats(handle.db, 'exchange.received'))[0]!.pending).toBe(1);
    expect(messageIdOfRaw(Buffer.from('Subject: no id\r\n\r\nx'))).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});
