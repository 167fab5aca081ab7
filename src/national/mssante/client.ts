/**
 * MSSanté sending client (TM3.2C, mssante.md §2, §4, §6): SMTP with STARTTLS (`starttls`, port
 * 587 style) or implicit TLS (`tls`, SMTPS 465 style), always presenting the TLS client
 * certificate of the establishment's applicative mailbox; optional login when the operator
 * asks for one. Every message requests DSNs (RET=HDRS, NOTIFY=SUCCESS,FAILURE,DELAY, ENVID =
 * the id returned here) so that delivery can be tracked (receipts.ts).
 *
 * Errors are MssanteError: `invalid_sending` before any connection, `smtp_temporary` /
 * `transport` (retryable), `smtp_refused` / `authentication` (not). A message some recipients
 * refused is sent to the others: the refusals are in the report, per recipient.
 *
 * Logs: message ids, audience, counts, reply codes. Never addresses of patients, subjects or content.
 */
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { Logger } from '../../platform/logging.ts';
import { AUTO_REPLY_TEST_ADDRESS } from './addresses.ts';
import { MssanteError, type MssanteErrorCode } from './errors.ts';
import { xMssHeaders } from './headers.ts';
import { messageIdFor, writeDocumentMessages, type ComposedMessage, type DocumentSending, type SenderIdentity, type WrittenMessage } from './message.ts';

export interface MssanteSmtpOptions {
  host: string;
  port: number;
  /** `tls`: implicit TLS from the first byte; `starttls`: plain then STARTTLS, which is required. */
  security: 'tls' | 'starttls';
  /** PEM client certificate and key of the applicative mailbox; `ca` to trust a private CA. */
  tls: { cert: string; key: string; ca?: string };
  /** Login when the operator asks for one besides the certificate. */
  auth?: { user: string; pass: string };
  /** Per connection step, default 20 000 ms. */
  timeoutMs?: number;
}

export interface MssanteClientOptions {
  smtp: MssanteSmtpOptions;
  sender: SenderIdentity;
  logger?: Logger;
  /**
   * Writes the messages of a sending: `writeDocumentMessages` on this thread by default; the
   * platform runs it on its worker threads (app.ts), the bytes then arriving as a Uint8Array.
   */
  write?: (sending: DocumentSending, sender: SenderIdentity) => Promise<WrittenMessage[]>;
}

export interface RecipientRefusal {
  address: string;
  /** The server's reply, e.g. `550 5.1.1 …`. */
  reason: string;
}

export interface SentMessage {
  audience: ComposedMessage['audience'] | 'test' | 'mdn';
  messageId: string;
  envelopeId: string;
  accepted: string[];
  refused: RecipientRefusal[];
  documentIds: string[];
}

export interface MssanteClient {
  /** Sends CDA documents to professionals and/or the patient (one message per audience). */
  sendDocuments(sending: DocumentSending): Promise<SentMessage[]>;
  /** The Message-ID `sendDocuments` gives the message of one audience sent with `messageKey`. */
  messageIdOf(messageKey: string): string;
  /** A plain message without attachment (PFI VA test to `reponse.automatique-test@patient.mssante.fr`). */
  sendTestMessage(to?: string, text?: string, subject?: string): Promise<SentMessage>;
  /** Sends a ready-made RFC 5322 message (an MDN built with `buildMdn`). */
  sendRaw(raw: Buffer, envelope: { from: string; to: string[] }, messageId: string): Promise<SentMessage>;
  close(): void;
}

const addressOf = (a: string | { address: string }): string => (typeof a === 'string' ? a : a.address).toLowerCase();

function toError(error: unknown): MssanteError {
  const e = error as { code?: string; responseCode?: number; response?: string; message?: string };
  const reason = e.response ?? e.message;
  const options = { cause: error, ...(reason ? { reason } : {}), ...(e.responseCode ? { responseCode: e.responseCode } : {}) };
  if (e.code === 'EAUTH' || e.responseCode === 535 || e.responseCode === 530) return new MssanteError('authentication', undefined, options);
  if (e.responseCode && e.responseCode >= 400 && e.responseCode < 500) return new MssanteError('smtp_temporary', undefined, options);
  if (e.responseCode && e.responseCode >= 500) return new MssanteError('smtp_refused', `Le serveur MSSanté de l’opérateur refuse le message (${e.responseCode}).`, options);
  if (e.code === 'EENVELOPE') return new MssanteError('smtp_refused', 'Tous les destinataires ont été refusés par l’opérateur MSSanté.', options);
  return new MssanteError('transport', undefined, options);
}


export function createMssanteClient(options: MssanteClientOptions): MssanteClient {
  const { smtp, sender } = options;
  const log = options.logger;
  const timeout = smtp.timeoutMs ?? 20_000;
  // Pooled connections: one TLS handshake with the client certificate serves many messages.
  const transportOptions: SMTPTransport.Options & { pool: true; maxConnections: number; maxMessages: number } = {
    pool: true,
    maxConnections: 4,
    maxMessages: 100,
    host: smtp.host,
    port: smtp.port,
    secure: smtp.security === 'tls',
    requireTLS: smtp.security === 'starttls',
    ignoreTLS: false,
    tls: { cert: smtp.tls.cert, key: smtp.tls.key, ...(smtp.tls.ca ? { ca: smtp.tls.ca } : {}), rejectUnauthorized: true, minVersion: 'TLSv1.2' },
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout * 3,
    ...(smtp.auth ? { auth: { user: smtp.auth.user, pass: smtp.auth.pass } } : {}),
    name: sender.address.slice(sender.address.lastIndexOf('@') + 1),
  };
  const transport = nodemailer.createTransport(transportOptions);
  /** A refusal thrown on a worker thread arrives as a plain Error with the same code: an MssanteError again. */
  const write = async (sending: DocumentSending, identity: SenderIdentity): Promise<WrittenMessage[]> => {
    try {
      return await (options.write ?? writeDocumentMessages)(sending, identity);
    } catch (error) {
      if (error instanceof MssanteError) throw error;
      const e = error as { mssanteCode?: MssanteErrorCode; message?: string; details?: Record<string, unknown> };
      if (e.mssanteCode) throw new MssanteError(e.mssanteCode, e.message, { details: e.details ?? {} });
      throw error;
    }
  };

  async function deliver(mail: Parameters<typeof transport.sendMail>[0], audience: SentMessage['audience'], messageId: string, envelopeId: string, documentIds: string[]): Promise<SentMessage> {
    const started = Date.now();
    let info: SMTPTransport.SentMessageInfo;
    try {
      info = await transport.sendMail(mail);
    } catch (error) {
      const failure = toError(error);
      log?.warn({ event: 'mssante.send.failed', audience, messageId, code: failure.mssanteCode, responseCode: failure.responseCode, ms: Date.now() - started }, 'MSSanté sending failed');
      throw failure;
    }
    const rejectedErrors = (info as unknown as { rejectedErrors?: Array<{ recipient?: string; response?: string; message?: string }> }).rejectedErrors ?? [];
    const refused = info.rejected.map((r) => {
      const address = addressOf(r);
      const err = rejectedErrors.find((e) => e.recipient?.toLowerCase() === address);
      return { address, reason: err?.response ?? err?.message ?? 'refusé' };
    });
    const sent: SentMessage = { audience, messageId, envelopeId, accepted: info.accepted.map(addressOf), refused, documentIds };
    log?.info({ event: 'mssante.send', audience, messageId, accepted: sent.accepted.length, refused: refused.length, ms: Date.now() - started }, 'MSSanté message sent');
    return sent;
  }

  const from = (): { name: string; address: string } | string => (sender.displayName ? { name: sender.displayName, address: sender.address } : sender.address);
  const dsn = (envid: string): { ret: 'HDRS'; envid: string; notify: string[] } => ({ ret: 'HDRS', envid, notify: ['SUCCESS', 'FAILURE', 'DELAY'] });

  return {
    messageIdOf: (messageKey) => messageIdFor(messageKey, sender.address),
    async sendDocuments(sending) {
      const messages = await write(sending, sender);
      const out: SentMessage[] = [];
      for (const m of messages) {
        out.push(await deliver({
          envelope: { from: sender.address, to: m.to },
          raw: Buffer.from(m.raw.buffer, m.raw.byteOffset, m.raw.byteLength),
          dsn: dsn(m.envelopeId),
        } as Parameters<typeof transport.sendMail>[0], m.audience, m.messageId, m.envelopeId, m.documentIds));
      }
      return out;
    },
    async sendTestMessage(to = AUTO_REPLY_TEST_ADDRESS, text = 'Message de test MSSanté envoyé par Passerelle.', subject = 'Test MSSanté') {
      const id = crypto.randomUUID();
      const messageId = `<${id}@${sender.address.slice(sender.address.lastIndexOf('@') + 1)}>`;
      return deliver({ from: from(), to, subject, messageId, text, headers: xMssHeaders([], sender.nil), dsn: dsn(id) } as Parameters<typeof transport.sendMail>[0], 'test', messageId, id, []);
    },
    async sendRaw(raw, envelope, messageId) {
      return deliver({ envelope: { from: envelope.from, to: envelope.to }, raw } as Parameters<typeof transport.sendMail>[0], 'mdn', messageId, '', []);
    },
    close() {
      transport.close();
    },
  };
}
