/**
 * Mail storage of the MSSanté sandbox, on disk as a real mail server keeps it: one Maildir per
 * mailbox (`<dataDir>/<address>/Maildir/{tmp,new,cur}`), delivery by writing into `tmp/` and
 * renaming into `new/` (atomic), files moved to `cur/` when the IMAP side first sees them and
 * given a UID. IMAP state that Maildir file names cannot hold simply (UIDs, UIDVALIDITY, flags
 * and keywords) lives beside, in `passerelle-uidlist.json` (the role of dovecot-uidlist), written
 * atomically. One writer per mailbox at a time (an in-process queue): the sandbox is one process.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface StoredMessage {
  uid: number;
  file: string;
  flags: string[];
  internalDate: string;
  size: number;
}

interface UidList {
  uidValidity: number;
  uidNext: number;
  messages: StoredMessage[];
}

export interface MailStore {
  deliver(address: string, raw: Buffer): Promise<void>;
  /** Current state of the mailbox (new deliveries indexed first). */
  list(address: string): Promise<{ uidValidity: number; uidNext: number; messages: StoredMessage[] }>;
  read(address: string, message: StoredMessage): Promise<Buffer>;
  setFlags(address: string, uid: number, change: (flags: string[]) => string[]): Promise<StoredMessage | undefined>;
  /** Removes messages flagged \Deleted (restricted to `uids` when given); returns the removed UIDs. */
  expunge(address: string, uids?: Set<number>): Promise<number[]>;
}

const safeName = (address: string): string => address.toLowerCase().replace(/[^a-z0-9@._+-]/g, '_');

export function createMailStore(dataDir: string): MailStore {
  const queues = new Map<string, Promise<unknown>>();
  const serial = <T>(address: string, work: () => Promise<T>): Promise<T> => {
    const previous = queues.get(address) ?? Promise.resolve();
    const next = previous.then(work, work);
    queues.set(address, next.catch(() => undefined));
    return next;
  };
  const dirOf = (address: string): string => join(dataDir, safeName(address), 'Maildir');
  const uidFile = (address: string): string => join(dirOf(address), 'passerelle-uidlist.json');

  async function ensure(address: string): Promise<string> {
    const dir = dirOf(address);
    for (const sub of ['tmp', 'new', 'cur']) await mkdir(join(dir, sub), { recursive: true });
    return dir;
  }

  async function load(address: string): Promise<UidList> {
    const file = uidFile(address);
    if (existsSync(file)) return JSON.parse(await readFile(file, 'utf8')) as UidList;
    return { uidValidity: Math.floor(Date.now() / 1000), uidNext: 1, messages: [] };
  }

  async function save(address: string, list: UidList): Promise<void> {
    const file = uidFile(address);
    const tmp = `${file}.${randomUUID()}.tmp`;
    await writeFile(tmp, JSON.stringify(list));
    await rename(tmp, file);
  }

  /** Moves new/ files to cur/, giving them UIDs in delivery order. */
  async function sync(address: string): Promise<UidList> {
    const dir = await ensure(address);
    const list = await load(address);
    const fresh = (await readdir(join(dir, 'new'))).sort();
    if (fresh.length === 0 && existsSync(uidFile(address))) return list;
    for (const name of fresh) {
      const info = await stat(join(dir, 'new', name));
      await rename(join(dir, 'new', name), join(dir, 'cur', `${name}:2,`));
      list.messages.push({ uid: list.uidNext, file: `${name}:2,`, flags: [], internalDate: info.mtime.toISOString(), size: info.size });
      list.uidNext += 1;
    }
    await save(address, list);
    return list;
  }

  return {
    async deliver(address, raw) {
      const dir = await ensure(address);
      const name = `${Date.now()}.${process.pid}_${randomUUID().slice(0, 8)}.passerelle-sandbox`;
      await writeFile(join(dir, 'tmp', name), raw);
      await rename(join(dir, 'tmp', name), join(dir, 'new', name));
    },
    list: (address) => serial(address, () => sync(address)),
    async read(address, message) {
      return readFile(join(dirOf(address), 'cur', message.file));
    },
    setFlags: (address, uid, change) =>
      serial(address, async () => {
        const list = await sync(address);
        const m = list.messages.find((x) => x.uid === uid);
        if (!m) return undefined;
        m.flags = [...new Set(change(m.flags))];
        await save(address, list);
        return m;
      }),
    expunge: (address, uids) =>
      serial(address, async () => {
        const list = await sync(address);
        const gone = list.messages.filter((m) => m.flags.includes('\\Deleted') && (!uids || uids.has(m.uid)));
        for (const m of gone) await rm(join(dirOf(address), 'cur', m.file), { force: true });
        list.messages = list.messages.filter((m) => !gone.includes(m));
        await save(address, list);
        return gone.map((m) => m.uid);
      }),
  };
}
