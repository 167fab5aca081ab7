/**
 * Local stand-in for an MSSanté operator (mssante.md §2–§6), on loopback, both services
 * demanding a TLS client certificate from the test CA:
 *
 * - SMTP (smtp-server), implicit TLS or STARTTLS (`smtpSecurity`), DSN extension on. MAIL FROM
 *   must be a sandbox mailbox whose certificate CN is the client's (or a logged-in personal
 *   mailbox); RCPT TO outside `*.mssante.fr` is refused (550 5.7.1, outside the espace de
 *   confiance); other recipients are accepted and then delivered, or reported by a DSN
 *   (multipart/report) in the sender's mailbox: unknown mailbox 5.1.1, closed mailbox 5.2.1;
 *   success DSNs when NOTIFY=SUCCESS. `refuseSmtp('temporary' | 'permanent')` answers MAIL FROM
 *   with 451 / 554 (client retry tests).
 * - IMAP (sandbox-imap.ts) on the same mailboxes, stored on disk as Maildirs under `dataDir`.
 * - `reponse.automatique-test@patient.mssante.fr` answers automatically (Mon espace santé test
 *   address); a subject holding `INEXISTANTE` or `SUSPENDUE` gets a failure DSN instead,
 *   simulating a non-existent or suspended mailbox (IFAQ).
 * - Mailboxes with an `mdn` behaviour answer document messages that ask for one with an MDN
 *   (processed, or processed/Error 9xx).
 * - `patientMailbox(matricule)`: the "Mon espace santé" view of what a test patient received,
 *   with the XDM read (title, CDA, PDF).
 *
 * Logs: counts and codes; never addresses of patients or content.
 */
import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { mkdir } from 'node:fs/promises';
import type { Logger } from '../../platform/logging.ts';
import type { TestPki } from '../../platform/pki/index.ts';
import { AUTO_REPLY_TEST_ADDRESS, isMssanteAddress, normaliseAddress, patientAddress } from './addresses.ts';
import { newMessageId, rfc5322Date, encodeHeaderText, parseMime, header } from './mime.ts';
import { readReceivedMessage, type ReceivedMessage } from './received.ts';
import { buildDsn, buildMdn, type DsnAction } from './receipts.ts';
import { createSandboxDirectory, type SandboxDirectory, type SandboxMailbox } from './sandbox-directory.ts';
import { startImapSandbox, type ImapSandbox } from './sandbox-imap.ts';
import { createMailStore, type MailStore } from './sandbox-store.ts';

export const SANDBOX_MTA = 'mssante-sandbox.passerelle.test';

export interface MssanteSandboxOptions {
  pki: TestPki;
  /** Folder of the Maildirs (created). */
  dataDir: string;
  host?: string;
  /** Default 0 (ephemeral). */
  smtpPort?: number;
  imapPort?: number;
  /** Default `tls` (SMTPS); `starttls` for submission with STARTTLS. */
  smtpSecurity?: 'tls' | 'starttls';
  /** Added to the default mailboxes. */
  mailboxes?: SandboxMailbox[];
  /** Patient mailboxes for the INSi sandbox dataset (default true). */
  patients?: boolean;
  /** Reply to DATA this long after the message was delivered (and its DSN sent): the window of a sender's crash. */
  responseDelayMs?: number;
  logger?: Logger;
}

export interface PatientMailboxEntry {
  uid: number;
  messageId?: string;
  from?: string;
  subject: string;
  date?: Date;
  text?: string;
  documents: Array<{ title?: string; uniqueId?: string; typeCode?: string; cda: Uint8Array; integrity: string }>;
  pdfs: Array<{ name: string; bytes: Uint8Array }>;
  /** X-MSS-MES: FIN — the patient may not reply. */
  noReply: boolean;
}

export interface MssanteSandboxCounters {
  smtpConnections: number;
  accepted: number;
  delivered: number;
  dsn: number;
  mdn: number;
  autoReplies: number;
  refused: number;
}

export interface MssanteSandbox {
  host: string;
  smtpPort: number;
  smtpSecurity: 'tls' | 'starttls';
  imapPort: number;
  directory: SandboxDirectory;
  store: MailStore;
  imap: ImapSandbox;
  /** Delivers a raw message to sandbox mailboxes as the SMTP side would (after acceptance). */
  deliver(from: string, to: string[], raw: Buffer, dsn?: { envelopeId?: string; notify?: Record<string, string[]> }): Promise<void>;
  /** Raw messages of a mailbox, in UID order. */
  messages(address: string): Promise<Array<{ uid: number; flags: string[]; raw: Buffer }>>;
  patientMailbox(matricule: string): Promise<PatientMailboxEntry[]>;
  refuseSmtp(mode: 'temporary' | 'permanent' | undefined): void;
  counters(): MssanteSandboxCounters;
  close(): Promise<void>;
}

/**
 * The start of a raw message up to the empty line that ends its header section, that line
 * included (the whole message when there is none): all a DSN returning the headers (RET=HDRS)
 * reads of the original, without decoding a message of several hundred kilobytes for it.
 * That line is the first `\n\n` or `\n\r\n` (an optional `\r` before it belongs to it).
 */
export function headerSection(raw: Buffer): Buffer {
  const crlf = raw.indexOf('\n\r\n');
  const lf = (crlf >= 0 ? raw.subarray(0, crlf + 2) : raw).indexOf('\n\n');
  const at = lf >= 0 ? lf : crlf;
  return at >= 0 ? raw.subarray(0, Math.min(raw.length, at + 3)) : raw;
}

const smtpError = (code: number, text: string): Error & { responseCode: number } => Object.assign(new Error(text), { responseCode: code });

export async function startMssanteSandbox(options: MssanteSandboxOptions): Promise<MssanteSandbox> {
  const host = options.host ?? '127.0.0.1';
  const log = options.logger;
  await mkdir(options.dataDir, { recursive: true });
  const directory = createSandboxDirectory(options.mailboxes ?? [], { patients: options.patients !== false });
  const store = createMailStore(options.dataDir);
  const counters: MssanteSandboxCounters = { smtpConnections: 0, accepted: 0, delivered: 0, dsn: 0, mdn: 0, autoReplies: 0, refused: 0 };
  let refusal: 'temporary' | 'permanent' | undefined;
  const certificateOf = new Map<string, string>();
  const security = options.smtpSecurity ?? 'tls';

  const stamp = (raw: Buffer, from: string, to: string): Buffer =>
    Buffer.concat([Buffer.from(`Return-Path: <${from}>\r\nDelivered-To: ${to}\r\nReceived: from client by ${SANDBOX_MTA} with ESMTPS; ${rfc5322Date(new Date())}\r\n`), raw]);

  async function dsnTo(sender: string, raw: Buffer, envelopeId: string | undefined, recipients: Array<{ address: string; action: DsnAction; status: string; diagnostic?: string }>): Promise<void> {
    const box = directory.find(sender);
    if (!box || box.type === 'PAT' || recipients.length === 0) return;
    const dsn = buildDsn({ reportingMta: SANDBOX_MTA, from: `mailer-daemon@${SANDBOX_MTA}`, to: sender, original: headerSection(raw), recipients, ...(envelopeId ? { envelopeId } : {}) });
    await store.deliver(box.address, stamp(dsn.raw, '', box.address));
    counters.dsn += 1;
  }

  async function autoReply(sender: string, raw: Buffer): Promise<'replied' | DsnAction> {
    const original = parseMime(raw, 0);
    const subject = header(original, 'subject') ?? '';
    if (/INEXISTANTE|SUSPENDUE/i.test(subject)) return 'failed';
    const box = directory.find(sender);
    if (!box) return 'replied';
    const messageId = newMessageId('patient.mssante.fr');
    const reply = [
      `From: Mon espace santé <${AUTO_REPLY_TEST_ADDRESS}>`, `To: ${sender}`, `Subject: ${encodeHeaderText(`Réponse automatique : ${subject}`)}`,
      `Date: ${rfc5322Date(new Date())}`, `Message-ID: ${messageId}`, ...(header(original, 'message-id') ? [`In-Reply-To: ${header(original, 'message-id')}`] : []),
      'Auto-Submitted: auto-replied', 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '',
      'Votre message a bien été reçu par l’adresse de test de la messagerie Mon espace santé.', '',
    ].join('\r\n');
    await store.deliver(box.address, stamp(Buffer.from(reply, 'utf8'), AUTO_REPLY_TEST_ADDRESS, box.address));
    counters.autoReplies += 1;
    return 'replied';
  }

  async function answerWithMdn(box: SandboxMailbox, raw: Buffer): Promise<void> {
    if (!box.mdn) return;
    const original = parseMime(raw, 0);
    const dnt = header(original, 'disposition-notification-to')?.replace(/^.*<|>.*$/g, '').trim();
    const messageId = header(original, 'message-id');
    if (!dnt || !messageId) return;
    const target = directory.find(dnt);
    if (!target || target.type === 'PAT') return;
    const mdn = buildMdn({
      from: box.address,
      to: dnt,
      originalMessageId: messageId,
      originalSubject: header(original, 'subject') ?? '',
      originalRecipient: box.address,
      outcome: box.mdn === 'processed' ? { processed: true } : { code: box.mdn },
      original: raw,
      headersOnly: true,
    });
    await store.deliver(target.address, stamp(mdn.raw, box.address, target.address));
    counters.mdn += 1;
  }

  async function deliver(from: string, to: string[], raw: Buffer, dsn: { envelopeId?: string; notify?: Record<string, string[]> } = {}): Promise<void> {
    const report: Array<{ address: string; action: DsnAction; status: string; diagnostic?: string }> = [];
    const notifyOf = (a: string): string[] => dsn.notify?.[a] ?? ['FAILURE'];
    for (const rcpt of to.map(normaliseAddress)) {
      const notify = notifyOf(rcpt);
      const box = directory.find(rcpt);
      if (rcpt === AUTO_REPLY_TEST_ADDRESS) {
        const outcome = await autoReply(from, raw);
        if (outcome === 'failed') report.push({ address: rcpt, action: 'failed', status: '5.2.1', diagnostic: '550 5.2.1 Boîte aux lettres suspendue ou inexistante (simulation Mon espace santé)' });
        else if (notify.includes('SUCCESS')) report.push({ address: rcpt, action: 'delivered', status: '2.0.0' });
        continue;
      }
      if (!box) {
        if (notify.includes('FAILURE')) report.push({ address: rcpt, action: 'failed', status: '5.1.1', diagnostic: '550 5.1.1 Adresse inconnue dans l’annuaire MSSanté' });
        continue;
      }
      if (box.status === 'closed') {
        if (notify.includes('FAILURE')) report.push({ address: rcpt, action: 'failed', status: '5.2.1', diagnostic: '550 5.2.1 Boîte aux lettres fermée' });
        continue;
      }
      await store.deliver(box.address, stamp(raw, from, box.address));
      counters.delivered += 1;
      if (notify.includes('SUCCESS')) report.push({ address: rcpt, action: 'delivered', status: '2.0.0' });
      await answerWithMdn(box, raw);
    }
    await dsnTo(from, raw, dsn.envelopeId, report);
  }

  const senderAllowed = (session: SMTPServerSession, address: string): boolean => {
    const box = directory.find(address);
    if (!box || box.type === 'PAT' || box.status !== 'open') return false;
    const cn = certificateOf.get(session.id);
    return (cn !== undefined && box.certificateCn === cn) || (session.user !== undefined && session.user === box.address);
  };

  const smtp = new SMTPServer({
    secure: security === 'tls',
    key: options.pki.server.key,
    cert: options.pki.server.cert,
    ca: options.pki.ca.cert,
    requestCert: true,
    rejectUnauthorized: true,
    hideSTARTTLS: security === 'tls',
    hideDSN: false,
    authOptional: true,
    authMethods: ['PLAIN', 'LOGIN'],
    allowInsecureAuth: false,
    banner: 'Passerelle MSSanté sandbox',
    name: SANDBOX_MTA,
    size: 20 * 1024 * 1024,
    logger: false,
    onConnect(_session, callback) {
      counters.smtpConnections += 1;
      callback();
    },
    onSecure(socket, session, callback) {
      const peer = (socket as TLSSocket).getPeerCertificate?.();
      const cn = peer?.subject?.CN;
      const value = Array.isArray(cn) ? cn[0] : cn;
      if (!value) return callback(smtpError(530, '5.7.0 A client certificate of the IGC-Santé is required'));
      certificateOf.set(session.id, value);
      callback();
    },
    onAuth(auth, _session, callback) {
      const box = directory.find(auth.username ?? '');
      if (!box || box.password === undefined || box.password !== auth.password) return callback(smtpError(535, '5.7.8 Authentication failed'));
      callback(null, { user: box.address });
    },
    onMailFrom(address: SMTPServerAddress, session: SMTPServerSession, callback) {
      if (refusal === 'temporary') {
        counters.refused += 1;
        return callback(smtpError(451, '4.3.2 Service temporairement indisponible, réessayez plus tard'));
      }
      if (refusal === 'permanent') {
        counters.refused += 1;
        return callback(smtpError(554, '5.3.0 Service refusé'));
      }
      if (!session.secure) return callback(smtpError(530, '5.7.0 Must issue a STARTTLS command first'));
      if (!senderAllowed(session, address.address)) return callback(smtpError(550, '5.7.1 Expéditeur non autorisé pour ce certificat'));
      callback();
    },
    onRcptTo(address: SMTPServerAddress, _session, callback) {
      if (!isMssanteAddress(address.address)) return callback(smtpError(550, '5.7.1 Destinataire hors de l’espace de confiance MSSanté'));
      callback();
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', (e: Error) => callback(e));
      stream.on('end', () => {
        if (stream.sizeExceeded) return callback(smtpError(552, '5.3.4 Message trop volumineux'));
        const mailFrom = session.envelope.mailFrom;
        const from = mailFrom ? normaliseAddress(mailFrom.address) : '';
        const notify: Record<string, string[]> = {};
        for (const r of session.envelope.rcptTo) notify[normaliseAddress(r.address)] = r.dsn?.notify ?? ['FAILURE'];
        counters.accepted += 1;
        const envelopeId = session.envelope.dsn?.envid ?? undefined;
        deliver(from, session.envelope.rcptTo.map((r) => r.address), Buffer.concat(chunks), { notify, ...(envelopeId ? { envelopeId } : {}) })
          .then(() => (options.responseDelayMs ? new Promise((r) => setTimeout(r, options.responseDelayMs)) : undefined))
          .then(() => callback(null, 'Message accepté'))
          .catch((e: unknown) => {
            log?.warn({ event: 'mssante.sandbox.deliver.failed', err: e instanceof Error ? e.message : String(e) }, 'sandbox delivery failed');
            callback(smtpError(451, '4.3.0 Erreur de stockage temporaire'));
          });
      });
    },
    onClose(session) {
      certificateOf.delete(session.id);
    },
  });
  // Without an 'error' listener a failed TLS handshake kills the process (ARCHITECTURE.md).
  smtp.on('error', (error: Error) => log?.debug({ event: 'mssante.sandbox.smtp.error', err: error.message }, 'SMTP sandbox connection error'));
  await new Promise<void>((resolve, reject) => {
    smtp.server.once('error', reject);
    smtp.listen(options.smtpPort ?? 0, host, () => resolve());
  });
  const imap = await startImapSandbox({ pki: options.pki, host, port: options.imapPort ?? 0, directory, store, ...(log ? { logger: log } : {}) });

  return {
    host,
    smtpPort: (smtp.server.address() as AddressInfo).port,
    smtpSecurity: security,
    imapPort: imap.port,
    directory,
    store,
    imap,
    deliver,
    async messages(address) {
      const box = directory.find(address);
      if (!box) return [];
      const list = await store.list(box.address);
      return Promise.all(list.messages.map(async (m) => ({ uid: m.uid, flags: [...m.flags], raw: await store.read(box.address, m) })));
    },
    async patientMailbox(matricule) {
      const address = patientAddress(matricule);
      if (!address || !directory.find(address)) return [];
      const list = await store.list(address.toLowerCase());
      const out: PatientMailboxEntry[] = [];
      for (const m of list.messages) {
        const read: ReceivedMessage = await readReceivedMessage(await store.read(address.toLowerCase(), m));
        const entry: PatientMailboxEntry = {
          uid: m.uid,
          subject: read.subject,
          documents: read.cdas.map((c) => ({
            cda: c.bytes,
            integrity: c.integrity,
            ...(c.document?.title ? { title: c.document.title } : {}),
            ...(c.uniqueId ? { uniqueId: c.uniqueId } : {}),
            ...(c.document ? { typeCode: c.document.code.code } : {}),
          })),
          pdfs: read.pdfs,
          noReply: read.xMss.mes === 'FIN',
        };
        if (read.messageId) entry.messageId = read.messageId;
        if (read.from) entry.from = read.from;
        if (read.date) entry.date = read.date;
        if (read.text) entry.text = read.text;
        out.push(entry);
      }
      return out;
    },
    refuseSmtp(mode) {
      refusal = mode;
    },
    counters: () => ({ ...counters }),
    async close() {
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
      await imap.close();
    },
  };
}
