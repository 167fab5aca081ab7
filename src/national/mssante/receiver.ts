/**
 * MSSanté receiving (TM3.1C, mssante.md §2, §7): IMAP over implicit TLS with the applicative
 * mailbox's client certificate (imapflow), plus the login the server asks for.
 *
 * `fetchNew(onMessage)` opens INBOX, lists the messages without the processed keyword
 * (`$PasserelleTraite`), and for each one in UID order: fetches the raw RFC 822 bytes with
 * BODY.PEEK[] (nothing changes on the server), awaits `onMessage(raw, …)` — the platform stores
 * the bytes there — and only then sets `\Seen` and the keyword. Never lose a message:
 *
 * - a connection dropped before `onMessage` resolved leaves the message unmarked: the next
 *   `fetchNew` fetches it again;
 * - a connection dropped after `onMessage` resolved but before the flags were set: the receiver
 *   remembers the message (mailbox, UIDVALIDITY, UID) and the next `fetchNew` only sets its
 *   flags, without calling `onMessage` again (no duplicate in this process). Across a restart,
 *   `onMessage` may see it again with the same `key`: the store must ignore a key it holds.
 *
 * Errors: MssanteError `authentication` (certificate or login refused) or `imap` (retryable).
 * Logs: UIDs, counts, durations; never addresses, subjects or content.
 */
import { ImapFlow } from 'imapflow';
import type { Logger } from '../../platform/logging.ts';
import { MssanteError } from './errors.ts';

export const PROCESSED_KEYWORD = '$PasserelleTraite';

export interface MssanteImapOptions {
  host: string;
  port: number;
  /** PEM client certificate and key of the applicative mailbox; `ca` to trust a private CA. */
  tls: { cert: string; key: string; ca?: string };
  /** Mailbox address (or server login) and password when the server asks for one. */
  auth: { user: string; pass: string };
  /** Default INBOX. */
  mailbox?: string;
  timeoutMs?: number;
}

export interface IncomingRawMessage {
  raw: Buffer;
  uid: number;
  uidValidity: string;
  mailbox: string;
  /** `<mailbox>/<uidValidity>/<uid>`: stable identity of this message on this server. */
  key: string;
  internalDate?: Date;
}

export interface FetchReport {
  /** Messages given to `onMessage`. */
  delivered: number;
  /** Messages marked processed (including ones delivered by an earlier, interrupted run). */
  marked: number;
}

export interface MssanteReceiver {
  fetchNew(onMessage: (message: IncomingRawMessage) => Promise<void>): Promise<FetchReport>;
  /** Keys delivered but not yet marked on the server (after an interrupted run). */
  pending(): string[];
}

class CallerFailure extends Error {
  constructor(override readonly cause: unknown) {
    super('onMessage failed');
  }
}

function toError(error: unknown): MssanteError {
  const e = error as { authenticationFailed?: boolean; responseText?: string; message?: string; code?: string };
  const reason = e.responseText ?? e.message;
  if (e.authenticationFailed) return new MssanteError('authentication', undefined, { cause: error, ...(reason ? { reason } : {}) });
  return new MssanteError('imap', undefined, { cause: error, ...(reason ? { reason } : {}) });
}

export function createMssanteReceiver(options: MssanteImapOptions, logger?: Logger): MssanteReceiver {
  const mailboxName = options.mailbox ?? 'INBOX';
  const timeout = options.timeoutMs ?? 20_000;
  /** Delivered to the caller, not yet marked on the server: key → uid. */
  const unmarked = new Map<string, number>();

  const connect = async (): Promise<ImapFlow> => {
    const client = new ImapFlow({
      host: options.host,
      port: options.port,
      secure: true,
      tls: { cert: options.tls.cert, key: options.tls.key, ...(options.tls.ca ? { ca: options.tls.ca } : {}), rejectUnauthorized: true, minVersion: 'TLSv1.2' },
      auth: { user: options.auth.user, pass: options.auth.pass },
      logger: false,
      disableAutoIdle: true,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout * 3,
    });
    client.on('error', (error: unknown) => logger?.warn({ event: 'mssante.imap.error', err: error instanceof Error ? error.message : String(error) }, 'IMAP connection error'));
    await client.connect();
    return client;
  };

  return {
    pending: () => [...unmarked.keys()],
    async fetchNew(onMessage) {
      const started = Date.now();
      let client: ImapFlow | undefined;
      const report: FetchReport = { delivered: 0, marked: 0 };
      try {
        client = await connect();
        const box = await client.mailboxOpen(mailboxName);
        const uidValidity = String(box.uidValidity);
        const keyOf = (uid: number): string => `${mailboxName}/${uidValidity}/${uid}`;
        const mark = async (uid: number): Promise<void> => {
          await client!.messageFlagsAdd(String(uid), ['\\Seen', PROCESSED_KEYWORD], { uid: true });
          unmarked.delete(keyOf(uid));
          report.marked += 1;
        };
        // First finish what an interrupted run delivered (same UIDVALIDITY only: else UIDs changed meaning).
        for (const [key, uid] of [...unmarked]) {
          if (key.startsWith(`${mailboxName}/${uidValidity}/`)) await mark(uid);
          else if (key.startsWith(`${mailboxName}/`)) unmarked.delete(key);
        }
        const found = await client.search({ unKeyword: PROCESSED_KEYWORD }, { uid: true });
        const uids = (Array.isArray(found) ? found : []).sort((a, b) => a - b);
        for (const uid of uids) {
          const key = keyOf(uid);
          if (unmarked.has(key)) {
            await mark(uid);
            continue;
          }
          const message = await client.fetchOne(String(uid), { source: true, uid: true, internalDate: true }, { uid: true });
          if (!message || !message.source) continue; // expunged meanwhile
          const incoming: IncomingRawMessage = { raw: message.source, uid, uidValidity, mailbox: mailboxName, key };
          if (message.internalDate instanceof Date) incoming.internalDate = message.internalDate;
          try {
            await onMessage(incoming);
          } catch (error) {
            throw new CallerFailure(error);
          }
          unmarked.set(key, uid);
          report.delivered += 1;
          await mark(uid);
        }
        logger?.info({ event: 'mssante.imap.fetch', delivered: report.delivered, marked: report.marked, ms: Date.now() - started }, 'MSSanté mailbox read');
        return report;
      } catch (error) {
        // The caller's store failed: the message stays unmarked and its error goes back as is.
        if (error instanceof CallerFailure) throw error.cause;
        const failure = error instanceof MssanteError ? error : toError(error);
        logger?.warn({ event: 'mssante.imap.fetch.failed', code: failure.mssanteCode, delivered: report.delivered, pending: unmarked.size }, 'MSSanté mailbox reading interrupted');
        throw failure;
      } finally {
        if (client) {
          try {
            if (client.usable) await client.logout();
            else client.close();
          } catch {
            client.close();
          }
        }
      }
    },
  };
}
