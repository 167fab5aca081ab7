/**
 * Mail storage of the MSSanté sandbox, on disk as a real mail server keeps it: one Maildir per
 * mailbox (`<dataDir>/<address>/Maildir/{tmp,new,cur}`), delivery by writing into `tmp/` and
 * renaming into `new/` (atomic), files moved to `cur/` when the IMAP side first sees them and
 * given a UID. IMAP state that Maildir file names cannot hold simply (UIDs, UIDVALIDITY, flags
 * and keywords) lives beside, in `passerelle-uidlist.json` (the role of dovecot-uidlist), written
 * atomically (temporary file + rename, no fsync: a sandbox survives a crash of its process, not
 * of the machine).
 *
 * The store owns its `dataDir` (the sandbox is one process). Each mailbox is opened once: its
 * folders created and its UID list read, then kept in memory. The UID list is rewritten only
 * when it changed, and before the operation that changed it returns, so what an IMAP client was
 * told is on disk. A mailbox that grows by one DSN per message sent thus costs the same per
 * operation at its thousandth message as at its first, apart from rewriting the list.
 * One writer per mailbox at a time (an in-process queue).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface StoredMessage {
  readonly uid: number;
  readonly file: string;
  readonly flags: readonly string[];
  readonly internalDate: string;
  readonly size: number;
}

/** A mailbox's IMAP state. Never modified in place: a change makes a new one. */
export interface MailboxState {
  readonly uidValidity: number;
  readonly uidNext: number;
  readonly messages: readonly StoredMessage[];
}

export interface MailStore {
  deliver(address: string, raw: Buffer): Promise<void>;
  /** Current state of the mailbox (new deliveries indexed first). */
  list(address: string): Promise<MailboxState>;
  read(address: string, message: StoredMessage): Promise<Buffer>;
  /** Changes the flags of the messages `uids` (those that exist), written at once; returns them in the order of `uids`. */
  setFlags(address: string, uids: readonly number[], change: (flags: readonly string[]) => string[]): Promise<StoredMessage[]>;
  /** Removes messages flagged \Deleted (restricted to `uids` when given); returns the removed UIDs. */
  expunge(address: string, uids?: ReadonlySet<number>): Promise<number[]>;
}

const UID_LIST_FILE = 'passerelle-uidlist.json';

const safeName = (address: string): string => address.toLowerCase().replace(/[^a-z0-9@._+-]/g, '_');

interface Mailbox {
  dir: string;
  state: MailboxState;
  /** False while the UID list has never been written (a mailbox not yet read over IMAP). */
  saved: boolean;
}

const sameFlags = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((f, i) => f === b[i]);

export function createMailStore(dataDir: string): MailStore {
  /** Mailboxes by folder name (two spellings of one address share one mailbox). */
  const mailboxes = new Map<string, Promise<Mailbox>>();
  const queues = new Map<string, Promise<unknown>>();
  /** Numbers deliveries within one millisecond, so that file names sort in delivery order. */
  let deliveries = 0;

  const open = (address: string): Promise<Mailbox> => {
    const name = safeName(address);
    let mailbox = mailboxes.get(name);
    if (!mailbox) {
      mailbox = openMailbox(join(dataDir, name, 'Maildir'));
      mailboxes.set(name, mailbox);
      mailbox.catch(() => mailboxes.delete(name));
    }
    return mailbox;
  };

  /**
   * A mailbox whose folders were removed from outside is opened again (created anew) by the
   * next operation; the one that met the missing folder fails (SMTP 451, IMAP BAD).
   */
  const reopenIfGone = (address: string) => (error: unknown): never => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') mailboxes.delete(safeName(address));
    throw error;
  };

  /** Runs `work` on the mailbox after the previous operations on it. */
  const serial = <T>(address: string, work: (mailbox: Mailbox) => Promise<T>): Promise<T> => {
    const name = safeName(address);
    const run = async (): Promise<T> => work(await open(address)).catch(reopenIfGone(address));
    const next = (queues.get(name) ?? Promise.resolve()).then(run, run);
    queues.set(name, next.catch(() => undefined));
    return next;
  };

  async function openMailbox(dir: string): Promise<Mailbox> {
    await Promise.all(['tmp', 'new', 'cur'].map((sub) => mkdir(join(dir, sub), { recursive: true })));
    const stored = await readFile(join(dir, UID_LIST_FILE), 'utf8').then(
      (text) => JSON.parse(text) as MailboxState,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      },
    );
    return { dir, state: stored ?? { uidValidity: Math.floor(Date.now() / 1000), uidNext: 1, messages: [] }, saved: stored !== undefined };
  }

  /** Writes `state` as the mailbox's UID list (atomically), then makes it the current state. */
  async function commit(mailbox: Mailbox, state: MailboxState): Promise<void> {
    const file = join(mailbox.dir, UID_LIST_FILE);
    const tmp = `${file}.${randomUUID()}.tmp`;
    await writeFile(tmp, JSON.stringify(state));
    await rename(tmp, file);
    mailbox.state = state;
    mailbox.saved = true;
  }

  /** Moves new/ files to cur/, giving them UIDs in delivery order. */
  async function sync(mailbox: Mailbox): Promise<MailboxState> {
    const fresh = (await readdir(join(mailbox.dir, 'new'))).sort();
    if (fresh.length === 0 && mailbox.saved) return mailbox.state;
    const messages = [...mailbox.state.messages];
    let uidNext = mailbox.state.uidNext;
    for (const name of fresh) {
      const info = await stat(join(mailbox.dir, 'new', name));
      await rename(join(mailbox.dir, 'new', name), join(mailbox.dir, 'cur', `${name}:2,`));
      messages.push({ uid: uidNext, file: `${name}:2,`, flags: [], internalDate: info.mtime.toISOString(), size: info.size });
      uidNext += 1;
    }
    await commit(mailbox, { uidValidity: mailbox.state.uidValidity, uidNext, messages });
    return mailbox.state;
  }

  return {
    async deliver(address, raw) {
      const { dir } = await open(address);
      deliveries += 1;
      const name = `${Date.now()}.${String(deliveries).padStart(12, '0')}.${process.pid}_${randomUUID().slice(0, 8)}.passerelle-sandbox`;
      await writeFile(join(dir, 'tmp', name), raw)
        .then(() => rename(join(dir, 'tmp', name), join(dir, 'new', name)))
        .catch(reopenIfGone(address));
    },
    list: (address) => serial(address, sync),
    async read(address, message) {
      return readFile(join((await open(address)).dir, 'cur', message.file));
    },
    setFlags: (address, uids, change) =>
      serial(address, async (mailbox) => {
        const state = await sync(mailbox);
        const wanted = new Set(uids);
        const updated = new Map<number, StoredMessage>();
        let changed = false;
        const messages = state.messages.map((m) => {
          if (!wanted.has(m.uid)) return m;
          const flags = [...new Set(change(m.flags))];
          const next = sameFlags(flags, m.flags) ? m : { ...m, flags };
          changed ||= next !== m;
          updated.set(m.uid, next);
          return next;
        });
        if (changed) await commit(mailbox, { ...state, messages });
        return uids.flatMap((uid) => updated.get(uid) ?? []);
      }),
    expunge: (address, uids) =>
      serial(address, async (mailbox) => {
        const state = await sync(mailbox);
        const gone = state.messages.filter((m) => m.flags.includes('\\Deleted') && (!uids || uids.has(m.uid)));
        if (gone.length === 0) return [];
        for (const m of gone) await rm(join(mailbox.dir, 'cur', m.file), { force: true });
        const removed = new Set(gone.map((m) => m.uid));
        await commit(mailbox, { ...state, messages: state.messages.filter((m) => !removed.has(m.uid)) });
        return gone.map((m) => m.uid);
      }),
  };
}
