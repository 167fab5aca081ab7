/**
 * Our IMAP receiver against Debian's Dovecot, an independent real IMAP server: TLS with a
 * client certificate verified against the test CA, login from a passwd-file, Maildir delivery.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOVECOT_SKIP_REASON, requireDovecot, startDovecot, type DovecotInstance } from '../../../test/support/dovecot.ts';
import { testDocument } from '../../../test/support/mssante-documents.ts';
import { ensureTestPki, type TestPki } from '../../platform/pki/index.ts';
import { composeDocumentMessages } from './message.ts';
import { readReceivedMessage } from './received.ts';
import { createMssanteReceiver, PROCESSED_KEYWORD, type IncomingRawMessage } from './receiver.ts';
import { SANDBOX_HOSPITAL_MAILBOX, SANDBOX_LAB_MAILBOX } from './sandbox-directory.ts';
import { writeMultipart, rfc5322Date } from './mime.ts';

const available = requireDovecot();
const USER = SANDBOX_HOSPITAL_MAILBOX;

describe.skipIf(!available)(`our IMAP receiver against Dovecot ${available ? '' : DOVECOT_SKIP_REASON}`, () => {
  let dir: string;
  let pki: TestPki;
  let dovecot: DovecotInstance;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mssante-dovecot-'));
    pki = await ensureTestPki(dir);
    dovecot = await startDovecot(pki, USER);
  }, 30_000);

  afterAll(async () => {
    await dovecot?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const receiver = (cert = pki.clients.establishment, pass = dovecot.password) =>
    createMssanteReceiver({ host: '127.0.0.1', port: dovecot.port, tls: { ...cert, ca: pki.ca.cert }, auth: { user: USER, pass }, timeoutMs: 5_000 });

  it('fetches an XDM message delivered into the Maildir, marks it processed, and does not fetch it twice', async () => {
    const doc = testDocument('ldl', '1.2.250.1.999.8.1');
    const [message] = await composeDocumentMessages(
      { documents: [{ cda: doc.bytes, pdf: doc.pdf }], label: 'CR de biologie', professionals: [USER], visibility: {} },
      { address: SANDBOX_LAB_MAILBOX, nil: 'NIL-LABO', establishment: 'Laboratoire de test', sourceId: '1.2.250.1.999.2', contentTypeCode: { code: '04', codingScheme: '1.2.250.1.213.2.2', displayName: 'Hospitalisation de jour' } },
    );
    const raw = writeMultipart({
      From: SANDBOX_LAB_MAILBOX, To: USER, Subject: message!.subject, Date: rfc5322Date(new Date()), 'Message-ID': message!.messageId,
      ...message!.headers,
    }, 'mixed', {}, [
      { contentType: 'text/plain; charset=utf-8', body: message!.text },
      ...message!.attachments.map((a) => ({ contentType: `${a.contentType}; name="${a.filename}"`, headers: { 'Content-Disposition': `attachment; filename="${a.filename}"` }, body: a.content })),
    ]);
    await dovecot.deliver(raw);

    const got: IncomingRawMessage[] = [];
    const r = receiver();
    const report = await r.fetchNew(async (m) => {
      got.push(m);
    });
    expect(report, await dovecot.log()).toEqual({ delivered: 1, marked: 1 });
    expect(got[0]!.raw.equals(raw)).toBe(true);
    const read = await readReceivedMessage(got[0]!.raw);
    expect(read.cdas[0]).toMatchObject({ uniqueId: '1.2.250.1.999.8.1', integrity: 'ok' });
    expect(read.xMss).toMatchObject({ codeCda: ['11490-0'], ins: 'O', nil: 'NIL-LABO' });
    expect(read.patient?.matricule).toBe('279035121518989');
    expect((await r.fetchNew(async () => undefined)).delivered).toBe(0);
    expect(PROCESSED_KEYWORD.startsWith('$')).toBe(true);
  });

  it('is refused by Dovecot with a certificate from another CA, or a wrong password', async () => {
    await expect(receiver(pki.clients.establishment, 'wrong').fetchNew(async () => undefined)).rejects.toMatchObject({ code: 'authentication' });
    const otherPki = await ensureTestPki(path.join(dir, 'other'));
    // Dovecot accepts the TLS handshake but refuses the login of a client whose certificate it cannot verify.
    await expect(receiver(otherPki.clients.establishment).fetchNew(async () => undefined)).rejects.toMatchObject({ code: 'authentication', retryable: false });
  });
});
