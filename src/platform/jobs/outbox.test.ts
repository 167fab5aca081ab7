import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { openTestDatabase } from '../../../test/support/database.ts';
import { auditTrailOf } from '../audit/index.ts';
import { auditEvents } from '../audit/tables.ts';
import type { DatabaseHandle } from '../db/index.ts';
import { silentLogger } from '../logging.ts';
import { backoffDelay, claim, complete, completeAndClaim, enqueue, fail, queueStats, retryDead, writeAndEnqueue, type JobCompletion } from './outbox.ts';
import { jobs } from './tables.ts';
import { PermanentJobError, startWorker } from './worker.ts';

let handle: DatabaseHandle;
beforeAll(async () => { handle = await openTestDatabase(); });
afterAll(async () => { await handle.close(); });

const waitFor = async (check: () => Promise<boolean>, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('outbox', () => {
  it('claims a job once, even for two competing workers', async () => {
    const id = await enqueue(handle.db, { queue: 'q1', payload: { n: 1 } });
    const [a, b] = await Promise.all([claim(handle.db, ['q1'], 'A', 5, 60_000), claim(handle.db, ['q1'], 'B', 5, 60_000)]);
    expect([...a, ...b].map((j) => j.id)).toEqual([id]);
  });

  it('writes and enqueues in one statement: the jobs only when the write wrote a row', async () => {
    const target = await enqueue(handle.db, { queue: 'q-target', payload: {} });
    const write = (id: number) => handle.db.update(jobs).set({ lastError: 'touched' }).where(eq(jobs.id, id)).returning({ id: jobs.id });
    expect(await writeAndEnqueue(handle.db, write(target), [{ queue: 'q-after', payload: { n: 1 }, dedupKey: 'after-1' }])).toBe(true);
    expect(await writeAndEnqueue(handle.db, write(-1), [{ queue: 'q-after', payload: { n: 2 }, dedupKey: 'after-2' }])).toBe(false);
    const queued = await handle.db.select({ payload: jobs.payload, maxAttempts: jobs.maxAttempts }).from(jobs).where(eq(jobs.queue, 'q-after'));
    expect(queued).toEqual([{ payload: { n: 1 }, maxAttempts: 10 }]);
  });

  it('deduplicates by key', async () => {
    const a = await enqueue(handle.db, { queue: 'q2', payload: {}, dedupKey: 'doc-1' });
    const b = await enqueue(handle.db, { queue: 'q2', payload: {}, dedupKey: 'doc-1' });
    expect(b).toBe(a);
  });

  it('keeps one job in flight per ordering key, in order', async () => {
    const first = await enqueue(handle.db, { queue: 'q3', payload: 1, orderingKey: 'k' });
    const second = await enqueue(handle.db, { queue: 'q3', payload: 2, orderingKey: 'k' });
    const other = await enqueue(handle.db, { queue: 'q3', payload: 3, orderingKey: 'other' });
    const claimed = await claim(handle.db, ['q3'], 'W', 10, 60_000);
    expect(claimed.map((j) => j.id)).toEqual([first, other]);
    await complete(handle.db, first, 'W');
    expect((await claim(handle.db, ['q3'], 'W', 10, 60_000)).map((j) => j.id)).toEqual([second]);
  });

  it('completes a job and claims the next in one statement, the one after it under the same key included', async () => {
    const first = await enqueue(handle.db, { queue: 'q3b', payload: 1, orderingKey: 'kb' });
    const second = await enqueue(handle.db, { queue: 'q3b', payload: 2, orderingKey: 'kb' });
    const third = await enqueue(handle.db, { queue: 'q3b', payload: 3, orderingKey: 'kb' });
    expect((await claim(handle.db, ['q3b'], 'W', 10, 60_000)).map((j) => j.id)).toEqual([first]);
    const next = await completeAndClaim(handle.db, first, { queues: ['q3b'], workerId: 'W', limit: 10, leaseMs: 60_000 });
    expect(next.map((j) => j.id)).toEqual([second]); // not `third`: `second` is still running
    const [row] = await handle.db.select().from(jobs).where(eq(jobs.id, first));
    expect(row).toMatchObject({ status: 'done', lockedBy: null });
    expect((await completeAndClaim(handle.db, second, { queues: ['q3b'], workerId: 'W', limit: 10, leaseMs: 60_000 })).map((j) => j.id)).toEqual([third]);
    expect(await completeAndClaim(handle.db, third, { queues: ['q3b'], workerId: 'W', limit: 10, leaseMs: 60_000 })).toEqual([]);
  });

  it('writes a handler\'s completion with the job\'s completion, atomically: a failing one leaves the job running', async () => {
    const noted = (actor: string | null): JobCompletion => sql`noted as (insert into ${auditEvents} (actor, action, subject_type, subject_id) values (${actor}, 'job.noted', 'job', 'completion-test') returning id)`;
    const trail = async () => (await auditTrailOf(handle.db, 'job', 'completion-test')).map((e) => e.actor);
    const first = await enqueue(handle.db, { queue: 'q3d', payload: 1 });
    const second = await enqueue(handle.db, { queue: 'q3d', payload: 2 });
    expect((await claim(handle.db, ['q3d'], 'W', 1, 60_000)).map((j) => j.id)).toEqual([first]);
    // A completion that cannot be written (actor is required): nothing written, the job still running, nothing claimed.
    await expect(completeAndClaim(handle.db, first, { queues: ['q3d'], workerId: 'W', limit: 1, leaseMs: 60_000 }, noted(null))).rejects.toThrow();
    expect(await trail()).toEqual([]);
    expect((await handle.db.select().from(jobs).where(eq(jobs.id, first)))[0]).toMatchObject({ status: 'running', lockedBy: 'W' });
    // Then written, with the job done and the next one claimed, by one statement.
    expect((await completeAndClaim(handle.db, first, { queues: ['q3d'], workerId: 'W', limit: 1, leaseMs: 60_000 }, noted('W'))).map((j) => j.id)).toEqual([second]);
    expect(await trail()).toEqual(['W']);
    // Without a claim (a stopping worker): the same.
    await complete(handle.db, second, 'W', noted('W2'));
    expect(await trail()).toEqual(['W', 'W2']);
    expect((await handle.db.select().from(jobs).where(eq(jobs.id, second)))[0]).toMatchObject({ status: 'done' });
  });

  it('claims nothing, and completes nothing, for a job whose lease another worker took over', async () => {
    const first = await enqueue(handle.db, { queue: 'q3c', payload: 1, orderingKey: 'kc' });
    await enqueue(handle.db, { queue: 'q3c', payload: 2, orderingKey: 'kc' });
    await claim(handle.db, ['q3c'], 'slow', 10, 60_000);
    await handle.db.update(jobs).set({ lockedBy: 'other' }).where(eq(jobs.id, first)); // the lease went to another worker
    expect(await completeAndClaim(handle.db, first, { queues: ['q3c'], workerId: 'slow', limit: 10, leaseMs: 60_000 })).toEqual([]);
    const [row] = await handle.db.select().from(jobs).where(eq(jobs.id, first));
    expect(row).toMatchObject({ status: 'running', lockedBy: 'other' });
  });

  it('does not let a later job overtake an earlier one waiting in backoff', async () => {
    const first = await enqueue(handle.db, { queue: 'q4', payload: 1, orderingKey: 'k4' });
    await enqueue(handle.db, { queue: 'q4', payload: 2, orderingKey: 'k4' });
    const [job] = await claim(handle.db, ['q4'], 'W', 10, 60_000);
    expect(job!.id).toBe(first);
    expect(await fail(handle.db, job!, 'W', 'AE from subscriber')).toBe('retry');
    expect(await claim(handle.db, ['q4'], 'W', 10, 60_000)).toEqual([]);
  });

  it('survives a crash between claim and completion: the lease expires and another worker finishes it', async () => {
    const id = await enqueue(handle.db, { queue: 'q5', payload: { doc: 'x' } });
    const [job] = await claim(handle.db, ['q5'], 'crashed-worker', 1, 50);
    expect(job!.id).toBe(id);
    // The crashed worker never completes. Another worker takes over after the lease.
    const seen: number[] = [];
    const worker = await startWorker(handle, { handlers: { q5: async (j) => { seen.push(j.id); } }, pollMs: 20, logger: silentLogger });
    await waitFor(async () => (await handle.db.select().from(jobs).where(eq(jobs.id, id)))[0]!.status === 'done');
    await worker.stop();
    expect(seen).toEqual([id]);
    const [row] = await handle.db.select().from(jobs).where(eq(jobs.id, id));
    expect(row!.attempts).toBe(2);
  });

  it('retries with backoff, then dead-letters; a permanent error dead-letters at once; manual retry revives', async () => {
    const transient = await enqueue(handle.db, { queue: 'q6', payload: {}, maxAttempts: 3 });
    const permanent = await enqueue(handle.db, { queue: 'q7', payload: {} });
    let calls = 0;
    const worker = await startWorker(handle, {
      handlers: {
        q6: async () => { calls++; throw new Error('timeout'); },
        q7: async () => { throw new PermanentJobError('AR: rejected'); },
      },
      pollMs: 10, backoff: { baseMs: 5, maxMs: 20 }, logger: silentLogger,
    });
    await waitFor(async () => {
      const rows = await handle.db.select().from(jobs).where(eq(jobs.status, 'dead'));
      return rows.some((r) => r.id === transient) && rows.some((r) => r.id === permanent);
    });
    await worker.stop();
    expect(calls).toBe(3);
    const [dead] = await handle.db.select().from(jobs).where(eq(jobs.id, permanent));
    expect(dead).toMatchObject({ attempts: 1, lastError: 'AR: rejected' });
    expect(await retryDead(handle.db, permanent)).toBe(true);
    const stats = await queueStats(handle.db, 'q7');
    expect(stats[0]).toMatchObject({ queue: 'q7', pending: 1, dead: 0 });
  });

  it('serves its `first` queues before the others: older upstream jobs wait while downstream work is runnable', async () => {
    for (let n = 0; n < 4; n++) await enqueue(handle.db, { queue: 'upstream', payload: { n } });
    for (let n = 0; n < 2; n++) await enqueue(handle.db, { queue: 'downstream', payload: { n } });
    const order: string[] = [];
    const record = async (job: { queue: string }): Promise<void> => { order.push(job.queue); };
    const worker = await startWorker(handle, { handlers: { upstream: record, downstream: record }, first: ['downstream'], concurrency: 1, pollMs: 20, logger: silentLogger });
    try {
      await waitFor(async () => order.length === 6);
    } finally {
      await worker.stop();
    }
    expect(order).toEqual(['downstream', 'downstream', 'upstream', 'upstream', 'upstream', 'upstream']);
  });

  it('computes exponential backoff with jitter and a cap', () => {
    const policy = { baseMs: 1000, maxMs: 8000 };
    expect(backoffDelay(1, policy, () => 0.5)).toBe(1000);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(4000);
    expect(backoffDelay(10, policy, () => 0.5)).toBe(8000);
    expect(backoffDelay(3, policy, () => 0)).toBe(2000);
    expect(backoffDelay(3, policy, () => 0.999)).toBeLessThan(6000);
  });
});
