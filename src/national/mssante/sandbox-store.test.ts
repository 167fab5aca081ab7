/**
 * The sandbox's Maildir store on a real folder: UIDs and flags kept across a restart (a new
 * store on the same folder), the UID list rewritten only when something changed, and a mailbox
 * removed from outside created anew.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMailStore } from './sandbox-store.ts';

const BOX = 'passerelle@ch-test.mssante.fr';
const message = (n: number): Buffer => Buffer.from(`Subject: ${n}\r\n\r\nmessage ${n}\r\n`);
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mssante-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('MSSanté sandbox mail store', () => {
  it('numbers deliveries in order and keeps UIDs, flags and expunges across a restart', async () => {
    const store = createMailStore(dir);
    for (const n of [1, 2, 3]) await store.deliver(BOX, message(n));
    const first = await store.list(BOX);
    expect(first.messages.map((m) => m.uid)).toEqual([1, 2, 3]);
    expect((await store.read(BOX, first.messages[1]!)).toString()).toBe(message(2).toString());

    const changed = await store.setFlags(BOX, [3, 1, 99], (flags) => [...flags, '\\Seen', '$PasserelleTraite']);
    expect(changed.map((m) => [m.uid, m.flags])).toEqual([[3, ['\\Seen', '$PasserelleTraite']], [1, ['\\Seen', '$PasserelleTraite']]]);
    await store.setFlags(BOX, [2], () => ['\\Deleted']);
    expect(await store.expunge(BOX)).toEqual([2]);
    await store.deliver(BOX, message(4));

    const restarted = await createMailStore(dir).list(BOX);
    expect(restarted.uidValidity).toBe(first.uidValidity);
    expect(restarted.uidNext).toBe(5);
    expect(restarted.messages.map((m) => [m.uid, m.flags])).toEqual([[1, ['\\Seen', '$PasserelleTraite']], [3, ['\\Seen', '$PasserelleTraite']], [4, []]]);
  });

  it('rewrites the UID list only when the mailbox changed', async () => {
    const store = createMailStore(dir);
    await store.deliver(BOX, message(1));
    await store.list(BOX);
    const uidList = path.join(dir, BOX, 'Maildir', 'passerelle-uidlist.json');
    const written = (await stat(uidList)).ino; // each write is a new file renamed over the old one
    await store.list(BOX);
    await store.setFlags(BOX, [1], (flags) => [...flags]);
    expect(await store.expunge(BOX)).toEqual([]);
    expect((await stat(uidList)).ino).toBe(written);
    await store.setFlags(BOX, [1], (flags) => [...flags, '\\Seen']);
    expect((await stat(uidList)).ino).not.toBe(written);
  });

  it('creates anew a mailbox whose folder was removed from outside', async () => {
    const store = createMailStore(dir);
    await store.deliver(BOX, message(1));
    expect((await store.list(BOX)).messages).toHaveLength(1);
    await rm(path.join(dir, BOX), { recursive: true });
    await expect(store.deliver(BOX, message(2))).rejects.toMatchObject({ code: 'ENOENT' });
    await store.deliver(BOX, message(3));
    const state = await store.list(BOX);
    expect(state.messages.map((m) => m.uid)).toEqual([1]);
    expect((await store.read(BOX, state.messages[0]!)).toString()).toBe(message(3).toString());
  });
});
