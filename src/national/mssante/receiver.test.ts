/**
 * The IMAP receiver's batches against the MSSanté sandbox: more messages than one FETCH takes,
 * messages too large to share a FETCH, and a store failing in the middle of a batch.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTestPki, type TestPki } from '../../platform/pki/index.ts';
import { createMssanteReceiver, PROCESSED_KEYWORD, type IncomingRawMessage } from './receiver.ts';
import { SANDBOX_HOSPITAL_MAILBOX, SANDBOX_LAB_MAILBOX } from './sandbox-directory.ts';
import { startMssanteSandbox, type MssanteSandbox } from './sandbox.ts';

let dir: string;
let pki: TestPki;
let sandbox: MssanteSandbox;

const receiver = () => createMssanteReceiver({
  host: '127.0.0.1', port: sandbox.imapPort, tls: { ...pki.clients.establishment, ca: pki.ca.cert }, auth: { user: SANDBOX_HOSPITAL_MAILBOX, pass: 'certificat' }, timeoutMs: 10_000,
});
const deliver = (n: number, padding = 0): Promise<void> => sandbox.deliver(SANDBOX_LAB_MAILBOX, [SANDBOX_HOSPITAL_MAILBOX],
  Buffer.from(`From: ${SANDBOX_LAB_MAILBOX}\r\nTo: ${SANDBOX_HOSPITAL_MAILBOX}\r\nSubject: ${n}\r\nMessage-ID: <${n}@labo-test.mssante.fr>\r\n\r\n${'x'.repeat(padding)}\r\n`));
const subjectOf = (m: IncomingRawMessage): number => Number(/^Subject: (\d+)/m.exec(m.raw.toString('latin1'))![1]);

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mssante-receiver-'));
  pki = await ensureTestPki(dir);
  sandbox = await startMssanteSandbox({ pki, dataDir: path.join(dir, 'mail'), patients: false });
});

afterAll(async () => {
  await sandbox?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('MSSanté receiver batches', () => {
  it('delivers every message once, in UID order, across several FETCH batches, and marks them all', async () => {
    for (let n = 1; n <= 510; n++) await deliver(n);
    for (const n of [511, 512]) await deliver(n, 5 * 1024 * 1024); // too large to share one FETCH
    const got: IncomingRawMessage[] = [];
    const r = receiver();
    const report = await r.fetchNew(async (m) => {
      got.push(m);
    });
    expect(report).toEqual({ delivered: 512, marked: 512 });
    expect(got.map(subjectOf)).toEqual(Array.from({ length: 512 }, (_, i) => i + 1));
    expect(got.map((m) => m.uid)).toEqual([...got.map((m) => m.uid)].sort((a, b) => a - b));
    expect(r.pending()).toEqual([]);
    expect((await sandbox.messages(SANDBOX_HOSPITAL_MAILBOX)).every((m) => m.flags.includes(PROCESSED_KEYWORD) && m.flags.includes('\\Seen'))).toBe(true);
    expect(await r.fetchNew(async () => undefined)).toEqual({ delivered: 0, marked: 0 });
  });

  it('when the store fails in the middle of a batch, marks what it accepted before and delivers the rest once next time', async () => {
    for (const n of [201, 202, 203]) await deliver(n);
    const r = receiver();
    const accepted: number[] = [];
    await expect(r.fetchNew(async (m) => {
      if (subjectOf(m) === 202) throw new Error('disk full');
      accepted.push(subjectOf(m));
    })).rejects.toThrow('disk full');
    expect(accepted).toEqual([201]);
    expect(r.pending()).toEqual([]);
    const flags = new Map((await sandbox.messages(SANDBOX_HOSPITAL_MAILBOX)).map((m) => [/^Subject: (\d+)/m.exec(m.raw.toString('latin1'))![1], m.flags]));
    expect(flags.get('201')).toContain(PROCESSED_KEYWORD);
    expect(flags.get('202')).not.toContain(PROCESSED_KEYWORD);
    const next: number[] = [];
    expect(await r.fetchNew(async (m) => {
      next.push(subjectOf(m));
    })).toEqual({ delivered: 2, marked: 2 });
    expect(next).toEqual([202, 203]);
  });
});
