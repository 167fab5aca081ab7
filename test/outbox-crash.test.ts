/**
 * A job survives the death of the process that claimed it: a child process claims the job
 * and is killed with SIGKILL before completing; the platform's worker finishes it once the
 * lease expires. Runs on PostgreSQL (TEST_DATABASE_URL) or on a PGlite data directory.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { eq } from 'drizzle-orm';
import { inject } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../src/platform/db/index.ts';
import { enqueue, startWorker } from '../src/platform/jobs/index.ts';
import { jobs } from '../src/platform/jobs/tables.ts';
import { silentLogger } from '../src/platform/logging.ts';
import { ownPostgresDatabase } from './support/postgres-database.ts';

const tsx = createRequire(import.meta.url).resolve('tsx/cli');
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => { for (const c of cleanups.reverse()) await c(); });

async function openTarget(): Promise<{ handle: DatabaseHandle; target: string; reopen: () => Promise<DatabaseHandle> }> {
  const own = await ownPostgresDatabase('crash');
  if (own) {
    cleanups.push(own.drop);
    return { handle: await openDatabase({ url: own.url, migrate: false }), target: own.url, reopen: () => openDatabase({ url: own.url, migrate: false }) };
  }
  const dir = await mkdtemp(join(tmpdir(), 'crash-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const dump = await readFile(inject('pgliteTemplate'));
  const seeded = await openDatabase({ dataDir: dir, loadDataDir: new Blob([dump]), migrate: false });
  return { handle: seeded, target: dir, reopen: () => openDatabase({ dataDir: dir, migrate: false }) };
}

describe('outbox crash survival', () => {
  it('finishes a job whose worker was killed between claim and completion', async () => {
    const opened = await openTarget();
    const { target, reopen } = opened;
    let handle = opened.handle;
    const id = await enqueue(handle.db, { queue: 'crash', payload: { document: 'ldl-1' } });
    if (handle.kind === 'pglite') await handle.close(); // one connection per PGlite data dir

    const stdout = await new Promise<string>((resolve) => {
      execFile(process.execPath, [tsx, 'test/support/crash-worker.ts', target, 'crash'], (_err, out) => resolve(out));
    });
    expect(stdout).toContain(`claimed ${id}`);

    if (handle.kind === 'pglite') handle = await reopen();
    const [afterCrash] = await handle.db.select().from(jobs).where(eq(jobs.id, id));
    expect(afterCrash).toMatchObject({ status: 'running', lockedBy: 'doomed-worker' });

    const done: number[] = [];
    const worker = await startWorker(handle, { handlers: { crash: async (j) => { done.push(j.id); } }, pollMs: 50, logger: silentLogger });
    const deadline = Date.now() + 10_000;
    while (done.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await worker.stop();
    const [row] = await handle.db.select().from(jobs).where(eq(jobs.id, id));
    await handle.close();
    expect(done).toEqual([id]);
    expect(row).toMatchObject({ status: 'done', attempts: 2 });
  });
});
