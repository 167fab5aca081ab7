/**
 * The platform killed in the middle of a DMP publication: the DMP stored the document but its
 * answer never reached the platform. After a restart the job is claimed again (its lease
 * expired), the DMP answers "uniqueId already registered", the PFI finds the entry with the
 * same hash and marks the dispatch delivered: nothing lost, nothing published twice. Runs on
 * PostgreSQL (TEST_DATABASE_URL) or on a PGlite data directory, like the outbox crash test.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { startApp } from '../src/app.ts';
import { dmpSandboxEntries } from '../src/national/dmp/tables.ts';
import { loadConfig } from '../src/platform/config.ts';
import { silentLogger } from '../src/platform/logging.ts';
import { ownPostgresDatabase } from './support/postgres-database.ts';

const tsx = createRequire(import.meta.url).resolve('tsx/cli');
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => { for (const c of cleanups.reverse()) await c(); });

interface Dispatch { channel: string; status: string; attempts: number; history: Array<{ status: string; detail?: string }> }

describe('PFI crash survival', () => {
  it('a publication interrupted by SIGKILL after the DMP stored it ends delivered once', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'xcrash-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const own = await ownPostgresDatabase('xcrash');
    if (own) cleanups.push(own.drop);
    const url = own?.url;
    const common = {
      dataDir, ...(url ? { databaseUrl: url } : {}), 'http.port': 0, 'mllp.port': 0, 'sandbox.insiPort': 0, 'sandbox.annuairePort': 0,
      'sandbox.dmpPort': 0, 'sandbox.smtpPort': 0, 'sandbox.imapPort': 0, logLevel: 'silent', 'outbox.pollMs': 50, 'outbox.leaseMs': 6_000,
      'outbox.backoffBaseMs': 50, 'outbox.backoffMaxMs': 200,
    };

    const stdout = await new Promise<string>((resolve) => {
      execFile(process.execPath, [tsx, 'test/support/crash-platform.ts', JSON.stringify({ ...common, 'sandbox.dmpResponseDelayMs': 5_000 })], { timeout: 90_000 }, (_err, out) => resolve(out));
    });
    const [, documentId, cdaId] = /published (\S+) (\S+)/.exec(stdout) ?? [];
    expect(documentId, `child output: ${stdout}`).toBeDefined();

    const app = await startApp({ config: loadConfig({}, common), logger: silentLogger });
    cleanups.push(() => app.stop());
    const deadline = Date.now() + 30_000;
    let dmp: Dispatch | undefined;
    while (Date.now() < deadline) {
      const response = await fetch(`http://127.0.0.1:${app.ports.http}/api/documents/${documentId}/dispatches`, { headers: { 'x-passerelle-user': 'test' } });
      dmp = ((await response.json()) as { items: Dispatch[] }).items.find((d) => d.channel === 'dmp');
      if (dmp?.status === 'delivered') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(dmp).toMatchObject({ status: 'delivered', attempts: 2 });
    const entries = await app.database.db.select().from(dmpSandboxEntries).where(eq(dmpSandboxEntries.uniqueId, cdaId!));
    expect(entries).toHaveLength(1);
  }, 150_000);
});
