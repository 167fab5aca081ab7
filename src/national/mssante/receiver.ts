/**
 * MSSanté receiving (TM3.1C, mssante.md §2, §7): IMAP over implicit TLS with the applicative
 * mailbox's client certificate (imapflow), plus the login the server asks for.
 *
 * `fetchNew(onMessage)` opens INBOX, lists the messages without the processed keyword
 * (`$PasserelleTraite`), and reads them in batches, in UID order: one FETCH of the raw RFC 822
 * bytes with BODY.PEEK[] for the batch (nothing changes on the server; at most
 * `MAX_BATCH_MESSAGES` messages and `MAX_BATCH_BYTES` by their RFC822.SIZE, a larger message
 * alone), then for each message `onMessage(raw, …)` awaited — the platform stores the bytes
 * there —, and only then one STORE setting `\Seen` and the keyword on the batch's messages. A
 * few round trips per batch instead of two per message. Never lose a message:
 *
 * - a connection dropped before `onMessage` resolved leaves the message unmarked: the next
 *   `fetchNew` fetches it again; when `onMessage` fails, the messages it accepted before are
 *   marked, and the failure goes back to the caller;
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
/** Messages fetched by one FETCH command, and their total size (a larger message is fetched alone). */
const MAX_BATCH_MESSAGES = 500;
const MAX_BATCH_BYTES = 8 * 1024 * 1024;

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

/** An IMAP UID set for UIDs in ascending order: `1:3,7` for [1, 2, 3, 7]. */
function uidSet(uids: readonly number[]): string {
  const ranges: string[] = [];
  for (let i = 0; i < uids.length; i++) {
    const first = uids[i]!;
    while (i + 1 < uids.length && uids[i + 1] === uids[i]! + 1) i++;
    ranges.push(first === uids[i] ? String(first) : `${first}:${uids[i]}`);
  }
  return ranges.join(',');
}

/** Consecutive groups of at most MAX_BATCH_MESSAGES messages and MAX_BATCH_BYTES (each group holds at least one). */
function batchesOf(messages: ReadonlyArray<{ uid: number; size: number }>): number[][] {
  const batches: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  for (const m of messages) {
    if (current.length > 0 && (current.length >= MAX_BATCH_MESSAGES || bytes + m.size > MAX_BATCH_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m.uid);
    bytes += m.size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
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
        /** One STORE for all `uids` (ascending): \Seen and the processed keyword. */
        const mark = async (uids: number[]): Promise<void> => {
          if (uids.length === 0) return;
          await client!.messageFlagsAdd(uidSet(uids), ['\\Seen', PROCESSED_KEYWORD], { uid: true });
          for (const uid of uids) unmarked.delete(keyOf(uid));
          report.marked += uids.length;
        };
        // First finish what an interrupted run delivered (same UIDVALIDITY only: else UIDs changed meaning).
        const delivered: number[] = [];
        for (const [key, uid] of [...unmarked]) {
          if (key.startsWith(`${mailboxName}/${uidValidity}/`)) delivered.push(uid);
          else if (key.startsWith(`${mailboxName}/`)) unmarked.delete(key);
        }
        await mark(delivered.sort((a, b) => a - b));
        const found = await client.search({ unKeyword: PROCESSED_KEYWORD }, { uid: true });
        const uids = (Array.isArray(found) ? found : []).sort((a, b) => a - b);
        await mark(uids.filter((uid) => unmarked.has(keyOf(uid))));
        const fresh = uids.filter((uid) => !unmarked.has(keyOf(uid)));
        // Sizes first (no bodies), to cut the batches; the server may add rows for other messages.
        const sizeOf = new Map<number, number>();
        if (fresh.length > 0) {
          for (const m of await client.fetchAll(uidSet(fresh), { uid: true, size: true }, { uid: true })) if (m.size !== undefined) sizeOf.set(m.uid, m.size);
        }
        const present = fresh.filter((uid) => sizeOf.has(uid)); // the others were expunged meanwhile
        for (const batch of batchesOf(present.map((uid) => ({ uid, size: sizeOf.get(uid)! })))) {
          const fetched = await client.fetchAll(uidSet(batch), { source: true, uid: true, internalDate: true }, { uid: true });
          const byUid = new Map(fetched.filter((m) => m.source).map((m) => [m.uid, m]));
          const accepted: number[] = [];
          for (const uid of batch) {
            const message = byUid.get(uid);
            if (!message?.source) continue; // expunged meanwhile
            const key = keyOf(uid);
            const incoming: IncomingRawMessage = { raw: message.source, uid, uidValidity, mailbox: mailboxName, key };
            if (message.internalDate instanceof Date) incoming.internalDate = message.internalDate;
            try {
              await onMessage(incoming);
            } catch (error) {
              // What the caller accepted before is marked now if possible, else by the next run.
              await mark(accepted).catch(() => undefined);
              throw new CallerFailure(error);
            }
            unmarked.set(key, uid);
            report.delivered += 1;
            accepted.push(uid);
          }
          await mark(accepted);
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
