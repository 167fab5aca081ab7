/**
 * End to end over real TLS with client certificates on loopback: our MSSanté client sends to the
 * operator sandbox (SMTP), our receiver reads the hospital's applicative mailbox (IMAP).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDocument } from '../../../test/support/mssante-documents.ts';
import { loadEbrsSchema } from '../../../test/support/mssante-schema.ts';
import { skipReason } from '../../../test/support/fixtures.ts';
import { formatXsdProblems } from '../../platform/xsd.ts';
import { ensureTestPki, issueCertificate, type TestPki } from '../../platform/pki/index.ts';
import { readXdmArchive } from '../../formats/xdm/index.ts';
import { createMssanteClient, type MssanteClient } from './client.ts';
import { MssanteError } from './errors.ts';
import type { SenderIdentity } from './message.ts';
import { readReceivedMessage } from './received.ts';
import { createMssanteReceiver, PROCESSED_KEYWORD, type IncomingRawMessage } from './receiver.ts';
import { readReceipts, type ReceiptEvent } from './receipts.ts';
import { header, parseMime } from './mime.ts';
import {
  SANDBOX_CLOSED_MAILBOX, SANDBOX_HOSPITAL_MAILBOX, SANDBOX_LAB_CERTIFICATE_CN, SANDBOX_LAB_MAILBOX, SANDBOX_PASSWORD, SANDBOX_PROFESSIONAL,
  SANDBOX_PROFESSIONAL_MDN, SANDBOX_PROFESSIONAL_MDN_902,
} from './sandbox-directory.ts';
import { startMssanteSandbox, type MssanteSandbox } from './sandbox.ts';
import { AUTO_REPLY_TEST_ADDRESS } from './addresses.ts';

const MATRICULE = '279035121518989';
let dir: string;
let pki: TestPki;
let sandbox: MssanteSandbox;
let client: MssanteClient;

const sender = (address = SANDBOX_HOSPITAL_MAILBOX): SenderIdentity => ({
  address,
  displayName: 'CH de test - Passerelle',
  nil: 'NIL-PASSERELLE-TEST',
  establishment: 'Centre hospitalier de test',
  sourceId: '1.2.250.1.999.1',
  application: { name: 'PASSERELLE', version: '0.1.0' },
  contentTypeCode: { code: '04', codingScheme: '1.2.250.1.213.2.2', displayName: 'Hospitalisation de jour' },
});

const hospitalReceiver = () => createMssanteReceiver({
  host: '127.0.0.1', port: sandbox.imapPort, tls: { ...pki.clients.establishment, ca: pki.ca.cert }, auth: { user: SANDBOX_HOSPITAL_MAILBOX, pass: 'certificat' }, timeoutMs: 5_000,
});

/** Reads the hospital mailbox with our receiver; returns what onMessage got. */
async function readHospitalMailbox(): Promise<IncomingRawMessage[]> {
  const got: IncomingRawMessage[] = [];
  await hospitalReceiver().fetchNew(async (m) => {
    got.push(m);
  });
  return got;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mssante-'));
  pki = await ensureTestPki(dir);
  sandbox = await startMssanteSandbox({ pki, dataDir: path.join(dir, 'mail') });
  client = createMssanteClient({
    smtp: { host: '127.0.0.1', port: sandbox.smtpPort, security: 'tls', tls: { ...pki.clients.establishment, ca: pki.ca.cert }, timeoutMs: 5_000 },
    sender: sender(),
  });
});

afterAll(async () => {
  client?.close();
  await sandbox?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('MSSanté: sending an LDL', () => {
  it('sends to a professional and to the patient, with the XDM, the PDF, the subject and the X-MSS headers', async () => {
    const doc = testDocument();
    const sent = await client.sendDocuments({
      documents: [{ cda: doc.bytes, pdf: doc.pdf }],
      label: 'Lettre de liaison',
      professionals: [SANDBOX_PROFESSIONAL],
      patientMatricule: MATRICULE,
      visibility: {},
      patientMayNotReply: true,
    });
    expect(sent.map((s) => [s.audience, s.accepted])).toEqual([['professionals', [SANDBOX_PROFESSIONAL]], ['patient', [`${MATRICULE}@patient.mssante.fr`]]]);

    const [pro] = await sandbox.messages(SANDBOX_PROFESSIONAL);
    const read = await readReceivedMessage(pro!.raw);
    expect(read.subject).toBe('XDM/1.0/DDM+Lettre de liaison PAT-TROIS DOMINIQUE 28/03/1979');
    expect(read.messageId).toBe(sent[0]!.messageId);
    expect(read.xMss).toEqual({ codeCda: ['11490-0'], ins: 'O', nil: 'NIL-PASSERELLE-TEST' });
    expect(read.mdnRequestedTo).toBe(SANDBOX_HOSPITAL_MAILBOX);
    expect(read.cdas).toHaveLength(1);
    expect(read.cdas[0]).toMatchObject({ integrity: 'ok', uniqueId: '1.2.250.1.999.1.2.1001' });
    expect(read.pdfs.map((p) => p.name)).toEqual(['document.pdf', 'DOC00002.PDF']);
    expect(read.patient).toMatchObject({ matricule: MATRICULE, birthName: 'PAT-TROIS' });
    expect(read.processingError).toBeUndefined();
    expect(pro!.raw.toString('latin1')).toMatch(/filename="?IHE_XDM\.zip"?/);

    const mes = await sandbox.patientMailbox(MATRICULE);
    expect(mes).toHaveLength(1);
    expect(mes[0]).toMatchObject({ subject: read.subject, noReply: true, from: SANDBOX_HOSPITAL_MAILBOX });
    expect(mes[0]!.documents[0]).toMatchObject({ title: 'Lettre de liaison à la sortie d\'un établissement de soins', typeCode: '11490-0', integrity: 'ok' });
    expect(read.xMss.mes).toBeUndefined(); // FIN only on the patient copy
  });

  const ebrs = loadEbrsSchema();
  afterAll(() => ebrs?.dispose());
  it.skipIf(!ebrs)(`the received METADATA.XML is valid against the ebRS 3.0 schema ${ebrs ? '' : skipReason('xds')}`, async () => {
    const [pro] = await sandbox.messages(SANDBOX_PROFESSIONAL);
    const zip = parseMime(pro!.raw).parts.find((p) => /filename="?IHE_XDM\.zip"?/i.test(header(p, 'content-disposition') ?? ''));
    expect(zip).toBeDefined();
    const xdm = await readXdmArchive(new Uint8Array(zip!.body));
    if (!xdm.ok) throw new Error(xdm.error.rule);
    const problems = ebrs!.schema.validate(xdm.value.subsets[0]!.metadataXml!);
    expect(problems, formatXsdProblems(problems)).toEqual([]);
    expect(xdm.value.subsets[0]!.intendedRecipients).toEqual([SANDBOX_PROFESSIONAL]);
  });

  it('refuses inconsistent recipients before any connection, in French', async () => {
    const doc = testDocument();
    const before = sandbox.counters().smtpConnections;
    const refused = await client.sendDocuments({ documents: [{ cda: doc.bytes }], label: 'LDL', professionals: [SANDBOX_PROFESSIONAL], patientMatricule: MATRICULE, visibility: { invisibleToPatient: true } }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(MssanteError);
    expect(refused).toMatchObject({ code: 'invalid_sending', retryable: false });
    expect((refused as Error).message).toContain('invisible au patient');
    const outside = await client.sendDocuments({ documents: [{ cda: doc.bytes }], label: 'LDL', professionals: ['someone@gmail.com'], visibility: {} }).catch((e: unknown) => e);
    expect((outside as Error).message).toContain('espace de confiance');
    const otherPatient = await client.sendDocuments({ documents: [{ cda: doc.bytes }], label: 'LDL', professionals: [], patientMatricule: '275126322074974', visibility: {} }).catch((e: unknown) => e);
    expect((otherPatient as Error).message).toContain('diffère');
    const injected = await client.sendDocuments({ documents: [{ cda: doc.bytes }], label: 'LDL', professionals: [SANDBOX_PROFESSIONAL], visibility: {}, replyTo: ['a@b.fr\r\nBcc: c@d.fr'] }).catch((e: unknown) => e);
    expect((injected as Error).message).toContain('Adresse de réponse invalide');
    expect(sandbox.counters().smtpConnections).toBe(before);
  });
});

describe('MSSanté: receipts tracked back to the original message', () => {
  it('DSN for an unknown and for a closed mailbox, MDN processed and MDN 902, read by IMAP', async () => {
    await readHospitalMailbox(); // drain earlier receipts
    const doc = testDocument();
    const sent = await client.sendDocuments({
      documents: [{ cda: doc.bytes, pdf: doc.pdf }],
      label: 'Lettre de liaison',
      professionals: ['inconnu@test-ci-sis.mssante.fr', SANDBOX_CLOSED_MAILBOX, SANDBOX_PROFESSIONAL_MDN, SANDBOX_PROFESSIONAL_MDN_902],
      visibility: {},
    });
    const id = sent[0]!.messageId;
    const got = await readHospitalMailbox();
    const events: ReceiptEvent[] = got.flatMap((m) => readReceipts(m.raw));
    const dsn = events.filter((e) => e.kind === 'dsn');
    expect(dsn.filter((e) => e.action === 'failed').map((e) => [e.recipient, e.status, e.originalMessageId, e.envelopeId])).toEqual([
      ['inconnu@test-ci-sis.mssante.fr', '5.1.1', id, sent[0]!.envelopeId],
      [SANDBOX_CLOSED_MAILBOX, '5.2.1', id, sent[0]!.envelopeId],
    ]);
    expect(dsn.filter((e) => e.action === 'delivered').map((e) => e.recipient).sort()).toEqual([SANDBOX_PROFESSIONAL_MDN_902, SANDBOX_PROFESSIONAL_MDN].sort());
    const mdn = events.filter((e) => e.kind === 'mdn');
    expect(mdn).toEqual(expect.arrayContaining([
      expect.objectContaining({ originalMessageId: id, recipient: SANDBOX_PROFESSIONAL_MDN, success: true }),
      expect.objectContaining({ originalMessageId: id, recipient: SANDBOX_PROFESSIONAL_MDN_902, success: false, error: { code: '902', label: 'Patient inconnu' } }),
    ]));
  });

  it('the Mon espace santé test address answers automatically, and simulates a suspended mailbox', async () => {
    await readHospitalMailbox();
    const sent = await client.sendTestMessage(AUTO_REPLY_TEST_ADDRESS);
    expect(sent.accepted).toEqual([AUTO_REPLY_TEST_ADDRESS]);
    const replies = await readHospitalMailbox();
    const read = await Promise.all(replies.map((r) => readReceivedMessage(r.raw)));
    expect(read.some((r) => r.subject.startsWith('Réponse automatique') && r.from === AUTO_REPLY_TEST_ADDRESS)).toBe(true);

    const simulation = createMssanteClient({
      smtp: { host: '127.0.0.1', port: sandbox.smtpPort, security: 'tls', tls: { ...pki.clients.establishment, ca: pki.ca.cert } },
      sender: sender(),
    });
    const suspended = await simulation.sendTestMessage(AUTO_REPLY_TEST_ADDRESS, 'Simulation', 'Test boîte SUSPENDUE');
    simulation.close();
    const events = (await readHospitalMailbox()).flatMap((m) => readReceipts(m.raw));
    expect(events).toContainEqual(expect.objectContaining({ kind: 'dsn', action: 'failed', recipient: AUTO_REPLY_TEST_ADDRESS, status: '5.2.1', originalMessageId: suspended.messageId }));
  });
});

describe('MSSanté: failures', () => {
  it('an SMTP refusal is a retryable error when temporary, final when permanent', async () => {
    const doc = testDocument();
    sandbox.refuseSmtp('temporary');
    try {
      const e = await client.sendDocuments({ documents: [{ cda: doc.bytes }], label: 'LDL', professionals: [SANDBOX_PROFESSIONAL], visibility: {} }).catch((x: unknown) => x);
      expect(e).toMatchObject({ code: 'smtp_temporary', retryable: true, responseCode: 451 });
      sandbox.refuseSmtp('permanent');
      const p = await client.sendDocuments({ documents: [{ cda: doc.bytes }], label: 'LDL', professionals: [SANDBOX_PROFESSIONAL], visibility: {} }).catch((x: unknown) => x);
      expect(p).toMatchObject({ code: 'smtp_refused', retryable: false, responseCode: 554 });
    } finally {
      sandbox.refuseSmtp(undefined);
    }
  });

  it('a certificate not bound to the sender address is refused; no certificate at all cannot connect', async () => {
    const other = await issueCertificate(pki.ca, 'AUTRE ETABLISSEMENT', 'client');
    const intruder = createMssanteClient({ smtp: { host: '127.0.0.1', port: sandbox.smtpPort, security: 'tls', tls: { ...other, ca: pki.ca.cert } }, sender: sender() });
    const doc = testDocument();
    const e = await intruder.sendDocuments({ documents: [{ cda: doc.bytes }], label: 'LDL', professionals: [SANDBOX_PROFESSIONAL], visibility: {} }).catch((x: unknown) => x);
    intruder.close();
    expect(e).toMatchObject({ code: 'smtp_refused', responseCode: 550 });
    const receiver = createMssanteReceiver({ host: '127.0.0.1', port: sandbox.imapPort, tls: { ...other, ca: pki.ca.cert }, auth: { user: SANDBOX_HOSPITAL_MAILBOX, pass: 'x' }, timeoutMs: 5_000 });
    await expect(receiver.fetchNew(async () => undefined)).rejects.toMatchObject({ code: 'authentication', retryable: false });
  });

  it('IMAP dropping mid-fetch: nothing lost, nothing duplicated', async () => {
    await readHospitalMailbox();
    // A laboratory sends two CR-BIO-like messages to the hospital (its own certificate and mailbox).
    const labCert = await issueCertificate(pki.ca, SANDBOX_LAB_CERTIFICATE_CN, 'client');
    const lab = createMssanteClient({ smtp: { host: '127.0.0.1', port: sandbox.smtpPort, security: 'tls', tls: { ...labCert, ca: pki.ca.cert } }, sender: sender(SANDBOX_LAB_MAILBOX) });
    for (const id of ['1.2.250.1.999.7.1', '1.2.250.1.999.7.2']) {
      const doc = testDocument('ldl', id);
      await lab.sendDocuments({ documents: [{ cda: doc.bytes, pdf: doc.pdf }], label: 'CR de biologie', professionals: [SANDBOX_HOSPITAL_MAILBOX], visibility: {}, readReceipt: false });
    }
    lab.close();

    const receiver = hospitalReceiver();
    const stored = new Map<string, Buffer>();
    const store = async (m: IncomingRawMessage): Promise<void> => {
      expect(stored.has(m.key)).toBe(false);
      stored.set(m.key, m.raw);
    };
    sandbox.imap.dropNextFetch();
    await expect(receiver.fetchNew(store)).rejects.toMatchObject({ code: 'imap', retryable: true });
    expect(stored.size).toBe(0);
    const report = await receiver.fetchNew(store);
    expect(report.delivered).toBe(2);
    const docs = await Promise.all([...stored.values()].map((raw) => readReceivedMessage(raw)));
    expect(docs.map((d) => d.cdas[0]!.uniqueId).sort()).toEqual(['1.2.250.1.999.7.1', '1.2.250.1.999.7.2']);
    expect(docs.every((d) => d.from === SANDBOX_LAB_MAILBOX && d.processingError === undefined)).toBe(true);
    expect((await receiver.fetchNew(store)).delivered).toBe(0);
    const flags = (await sandbox.messages(SANDBOX_HOSPITAL_MAILBOX)).map((m) => m.flags);
    expect(flags.every((f) => f.includes(PROCESSED_KEYWORD) && f.includes('\\Seen'))).toBe(true);
  });

  it('a store that fails leaves the message unmarked; the next run delivers it once', async () => {
    const labCert = await issueCertificate(pki.ca, SANDBOX_LAB_CERTIFICATE_CN, 'client');
    const lab = createMssanteClient({ smtp: { host: '127.0.0.1', port: sandbox.smtpPort, security: 'starttls', tls: { ...labCert, ca: pki.ca.cert }, timeoutMs: 1_500 }, sender: sender(SANDBOX_LAB_MAILBOX) });
    const doc = testDocument('ldl', '1.2.250.1.999.7.3');
    // The sandbox listens with implicit TLS: a STARTTLS client cannot talk to it (transport error, retryable).
    const e = await lab.sendDocuments({ documents: [{ cda: doc.bytes }], label: 'CR', professionals: [SANDBOX_HOSPITAL_MAILBOX], visibility: {} }).catch((x: unknown) => x);
    lab.close();
    expect(e).toMatchObject({ code: 'transport', retryable: true });
    const raw = Buffer.from(`From: ${SANDBOX_LAB_MAILBOX}\r\nTo: ${SANDBOX_HOSPITAL_MAILBOX}\r\nSubject: test\r\nMessage-ID: <x1@labo-test.mssante.fr>\r\n\r\nbonjour\r\n`);
    await sandbox.deliver(SANDBOX_LAB_MAILBOX, [SANDBOX_HOSPITAL_MAILBOX], raw);
    const receiver = hospitalReceiver();
    await expect(receiver.fetchNew(async () => {
      throw new Error('disk full');
    })).rejects.toThrow('disk full');
    const got: string[] = [];
    await receiver.fetchNew(async (m) => {
      got.push(m.key);
    });
    expect(got).toHaveLength(1);
  });
});

describe('MSSanté sandbox: STARTTLS and personal login', () => {
  it('accepts a STARTTLS submission with the client certificate, and a personal mailbox reads by password', async () => {
    const starttls = await startMssanteSandbox({ pki, dataDir: path.join(dir, 'mail-starttls'), smtpSecurity: 'starttls', patients: false });
    try {
      const c = createMssanteClient({ smtp: { host: '127.0.0.1', port: starttls.smtpPort, security: 'starttls', tls: { ...pki.clients.establishment, ca: pki.ca.cert } }, sender: sender() });
      const doc = testDocument();
      const sent = await c.sendDocuments({ documents: [{ cda: doc.bytes, pdf: doc.pdf }], label: 'Lettre de liaison', professionals: [SANDBOX_PROFESSIONAL], visibility: {} });
      c.close();
      expect(sent[0]!.accepted).toEqual([SANDBOX_PROFESSIONAL]);
      const personal = createMssanteReceiver({ host: '127.0.0.1', port: starttls.imapPort, tls: { ...pki.clients.establishment, ca: pki.ca.cert }, auth: { user: SANDBOX_PROFESSIONAL, pass: SANDBOX_PASSWORD }, timeoutMs: 5_000 });
      const got: Buffer[] = [];
      await personal.fetchNew(async (m) => {
        got.push(m.raw);
      });
      expect(got).toHaveLength(1);
      expect((await readReceivedMessage(got[0]!)).subject).toContain('XDM/1.0/DDM+Lettre de liaison');
      const wrong = createMssanteReceiver({ host: '127.0.0.1', port: starttls.imapPort, tls: { ...pki.clients.establishment, ca: pki.ca.cert }, auth: { user: SANDBOX_PROFESSIONAL, pass: 'faux' }, timeoutMs: 5_000 });
      await expect(wrong.fetchNew(async () => undefined)).rejects.toMatchObject({ code: 'authentication' });
    } finally {
      await starttls.close();
    }
  });
});
