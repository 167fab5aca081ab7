/**
 * The platform killed in the middle of a sending, after the national service took the
 * document but before its answer reached the platform. After a restart nothing is lost and
 * nothing is sent twice:
 * - DMP: the job is claimed again (its lease expired), the DMP answers "uniqueId already
 *   registered", the PFI finds the entry with the same hash and marks the dispatch delivered;
 * - MSSanté: the operator's DSN, read from the mailbox after the restart, names the Message-ID
 *   recorded before the sending and marks the dispatch delivered; the job, claimable again
 *   once its lease expired, finds nothing to send. The correspondent's mailbox holds the
 *   message once.
 * Runs on PostgreSQL (TEST_DATABASE_URL) or on a PGlite data directory, like the outbox crash test.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { startApp, type App } from '../src/app.ts';
import { dmpSandboxEntries } from '../src/national/dmp/tables.ts';
import { loadConfig } from '../src/platform/config.ts';
import { queueStats } from '../src/platform/jobs/index.ts';
import { silentLogger } from '../src/platform/logging.ts';
import { ownPostgresDatabase } from './support/postgres-database.ts';

const tsx = createRequire(import.meta.url).resolve('tsx/cli');
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => { for (const c of cleanups.reverse()) await c(); });

/** The mailbox crash-platform.ts sends to in `mssante` mode. */
const CORRESPONDENT = 'adam.hoda@test-ci-sis.mssante.fr';

interface Dispatch { channel: string; status: string; attempts: number; history: Array<{ status: string; detail?: string }> }

/**
 * Runs crash-platform.ts for `channel` with the sandbox answering `delay` ms late, then starts
 * the platform again on the same data and waits until that channel's dispatch is delivered.
 */
async function crashAndRestart(channel: 'dmp' | 'mssante', delay: Record<string, number>): Promise<{ app: App; documentId: string; cdaId: string; dispatch?: Dispatch }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'xcrash-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const own = await ownPostgresDatabase(`xcrash_${channel}`);
  if (own) cleanups.push(own.drop);
  const common = {
    dataDir, ...(own ? { databaseUrl: own.url } : {}), 'http.port': 0, 'mllp.port': 0, 'sandbox.insiPort': 0, 'sandbox.annuairePort': 0,
    'sandbox.dmpPort': 0, 'sandbox.smtpPort': 0, 'sandbox.imapPort': 0, logLevel: 'silent', 'outbox.pollMs': 50, 'outbox.leaseMs': 6_000,
    'outbox.backoffBaseMs': 50, 'outbox.backoffMaxMs': 200, 'mssante.pollMs': 200,
  };

  const stdout = await new Promise<string>((resolve) => {
    execFile(process.execPath, [tsx, 'test/support/crash-platform.ts', channel, JSON.stringify({ ...common, ...delay })], { timeout: 90_000 }, (_err, out) => resolve(out));
  });
  const [, documentId, cdaId] = /published (\S+) (\S+)/.exec(stdout) ?? [];
  expect(documentId, `child output: ${stdout}`).toBeDefined();

  const app = await startApp({ config: loadConfig({}, common), logger: silentLogger });
  cleanups.push(() => app.stop());
  const wanted = channel === 'dmp' ? 'dmp' : 'mssante-pro';
  const deadline = Date.now() + 30_000;
  let dispatch: Dispatch | undefined;
  while (Date.now() < deadline) {
    const response = await fetch(`http://127.0.0.1:${app.ports.http}/api/documents/${documentId}/dispatches`, { headers: { 'x-passerelle-user': 'test' } });
    dispatch = ((await response.json()) as { items: Dispatch[] }).items.find((d) => d.channel === wanted);
    if (dispatch?.status === 'delivered') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { app, documentId: documentId!, cdaId: cdaId!, ...(dispatch ? { dispatch } : {}) };
}

describe('PFI crash survival', () => {
  it('a publication interrupted by SIGKILL after the DMP stored it ends delivered once', async () => {
    const { app, cdaId, dispatch } = await crashAndRestart('dmp', { 'sandbox.dmpResponseDelayMs': 5_000 });
    expect(dispatch).toMatchObject({ status: 'delivered', attempts: 2 });
    const entries = await app.database.db.select().from(dmpSandboxEntries).where(eq(dmpSandboxEntries.uniqueId, cdaId));
    expect(entries).toHaveLength(1);
  }, 150_000);

  it('a message interrupted by SIGKILL after the MSSanté operator delivered it ends delivered, by its DSN, and is not sent again', async () => {
    const { app, dispatch } = await crashAndRestart('mssante', { 'sandbox.smtpResponseDelayMs': 5_000 });
    expect(dispatch).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(dispatch!.history.map((h) => h.status)).toEqual(['pending', 'delivered']);
    // Past the lease of the killed attempt: the job ran again and sent nothing.
    await new Promise((r) => setTimeout(r, 7_000));
    expect(await queueStats(app.database.db, 'exchange.mssante')).toMatchObject([{ queue: 'exchange.mssante', done: 1, pending: 0, running: 0, dead: 0 }]);
    expect(await app.sandboxes!.mssante.messages(CORRESPONDENT)).toHaveLength(1);
  }, 150_000);
});
