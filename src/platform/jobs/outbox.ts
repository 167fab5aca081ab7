/**
 * The outbox: enqueue in the business transaction, claim with FOR UPDATE SKIP LOCKED, finish
 * with done / retry (exponential backoff with jitter) / dead letter.
 *
 * A claim is a lease: a job whose worker died between claim and completion becomes claimable
 * again when `locked_until` passes, so nothing is lost. Jobs sharing an ordering key are
 * claimed one at a time, oldest first: the next waits while an earlier one is pending
 * (backoff included) or running.
 */
import { and, eq, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { Executor } from '../db/index.ts';
import { jobs } from './tables.ts';

export const NOTIFY_CHANNEL = 'passerelle_jobs';

export interface EnqueueOptions {
  queue: string;
  payload: unknown;
  orderingKey?: string;
  dedupKey?: string;
  maxAttempts?: number;
  runAt?: Date;
}

export interface Job {
  id: number;
  queue: string;
  orderingKey: string | null;
  payload: unknown;
  attempts: number;
  maxAttempts: number;
}

/**
 * What a job's handler leaves to write with the job's completion: written by the statement
 * that marks the job done (one round trip; if it cannot be written, the job is not done and
 * runs again). CTE definitions (`name as (insert … | update …), …`), not named `done`.
 */
export type JobCompletion = SQL;

/** Adds a job (or returns the existing one with the same dedup key). Use inside the business transaction. */
export async function enqueue(db: Executor, options: EnqueueOptions): Promise<number> {
  const inserted = await insertAndNotify(db, [options]);
  if (inserted[0] !== undefined) return inserted[0];
  const existing = await db.select({ id: jobs.id }).from(jobs)
    .where(and(eq(jobs.queue, options.queue), eq(jobs.dedupKey, options.dedupKey ?? '')));
  return existing[0]!.id;
}

/** Adds several jobs in one statement, which also notifies the workers (same transaction as the caller). */
export async function enqueueAll(db: Executor, all: EnqueueOptions[]): Promise<void> {
  if (all.length > 0) await insertAndNotify(db, all);
}

/**
 * The outbox in one statement: `write` (an insert or update with `returning`) and, only if it
 * wrote a row, the jobs `all`, their queues notified. Atomic without a transaction. Returns
 * whether `write` wrote. The jobs cannot refer to ids the database generates: give the row its id.
 * `alongside` are more data-modifying statements of the same change (an audit event, a row
 * of another table), run in the same statement; they may refer to the CTE `written`.
 */
export async function writeAndEnqueue(db: Executor, write: SQLWrapper, all: EnqueueOptions[], alongside: SQLWrapper[] = []): Promise<boolean> {
  const others = alongside.map((statement, i) => sql`, ${sql.raw(`alongside_${i}`)} as (${statement.getSQL()})`);
  const result = await db.execute(sql`
    with written as (${write.getSQL()})${sql.join(others)},
    inserted as (${jobsInsert(all, sql`exists (select 1 from written)`)})
    select (select count(*) from written)::int as written, (select count(pg_notify(${NOTIFY_CHANNEL}, queue)) from inserted)::int as notified`);
  return Number((result as unknown as { rows: Array<{ written: number }> }).rows[0]?.written ?? 0) > 0;
}

/**
 * Inserts jobs (a dedup key already taken inserts nothing) and notifies each new job's queue,
 * in one statement; PostgreSQL delivers one notification per queue at commit. Returns the new ids.
 */
async function insertAndNotify(db: Executor, all: EnqueueOptions[]): Promise<number[]> {
  const result = await db.execute(sql`with inserted as (${jobsInsert(all)}) select id, pg_notify(${NOTIFY_CHANNEL}, queue) from inserted`);
  return (result as unknown as { rows: Array<{ id: string | number }> }).rows.map((r) => Number(r.id));
}

/**
 * `insert into jobs … returning id, queue` for `all`, optionally only when `condition` holds
 * — over `v`, the row of each job, whose `v.ref` is its `ref`. Also the body of a CTE in a
 * caller's statement (the jobs that follow rows written by the same statement); the caller
 * then notifies the queues it returns.
 */
export function jobsInsert(all: Array<EnqueueOptions & { ref?: string }>, condition?: SQL): SQL {
  if (all.length === 0) return sql`select null::bigint as id, null::text as queue where false`;
  const rows = sql.join(all.map((o) => sql`(${o.ref ?? null}::text, ${o.queue}::text, ${JSON.stringify(o.payload ?? null)}::jsonb,
    ${o.orderingKey ?? null}::text, ${o.dedupKey ?? null}::text, ${o.maxAttempts ?? 10}::int, ${o.runAt?.toISOString() ?? null}::timestamptz)`), sql`, `);
  return sql`insert into ${jobs} (queue, payload, ordering_key, dedup_key, max_attempts, run_at)
    select v.queue, v.payload, v.ordering_key, v.dedup_key, v.max_attempts, coalesce(v.run_at, now())
    from (values ${rows}) as v (ref, queue, payload, ordering_key, dedup_key, max_attempts, run_at)${condition ? sql` where ${condition}` : sql``}
    on conflict do nothing returning id, queue`;
}

interface ClaimedRow { id: string | number; queue: string; ordering_key: string | null; payload: unknown; attempts: number; max_attempts: number }

/** Which runnable jobs to take, and how many: the queues served, the ones served first. */
export interface ClaimRequest {
  queues: string[];
  workerId: string;
  limit: number;
  leaseMs: number;
  first?: string[];
}

/**
 * The claiming statement. `finished` is a job of this worker that the same statement marks
 * done (a CTE): the claim then runs only if that worked, and no longer waits for it — the job
 * after it under the same ordering key can be claimed at once.
 */
function claimStatement(request: ClaimRequest, finished?: number, completion?: JobCompletion): SQL {
  const { queues, workerId, limit, leaseMs, first = [] } = request;
  const queueList = sql.join(queues.map((q) => sql`${q}`), sql`, `);
  const priority = first.length > 0 ? sql`(j.queue in (${sql.join(first.map((q) => sql`${q}`), sql`, `)})) desc, ` : sql``;
  const done = finished === undefined ? sql`` : sql`
    with ${completion ? sql`${completion}, ` : sql``}done as (
      update jobs set status = 'done', done_at = now(), updated_at = now(), locked_by = null, locked_until = null, last_error = null
      where id = ${finished} and locked_by = ${workerId}
      returning id)`;
  const afterDone = finished === undefined ? sql`` : sql` and e.id <> ${finished}`;
  const onlyIfDone = finished === undefined ? sql`` : sql` and j.id <> ${finished} and exists (select 1 from done)`;
  return sql`${done}
    update jobs set status = 'running', locked_by = ${workerId},
      locked_until = now() + (${leaseMs} * interval '1 millisecond'),
      attempts = attempts + 1, updated_at = now()
    where id in (
      select j.id from jobs j
      where j.queue in (${queueList})
        and ((j.status = 'pending' and j.run_at <= now()) or (j.status = 'running' and j.locked_until < now()))
        and (j.ordering_key is null or not exists (
          select 1 from jobs e
          where e.ordering_key = j.ordering_key and e.id < j.id and e.status in ('pending', 'running')${afterDone}))${onlyIfDone}
      order by ${priority}j.id
      limit ${limit}
      for update skip locked)
    returning id, queue, ordering_key, payload, attempts, max_attempts`;
}

async function runClaim(db: Executor, statement: SQL): Promise<Job[]> {
  const rows = ((await db.execute(statement)) as unknown as { rows: ClaimedRow[] }).rows;
  return rows.sort((a, b) => Number(a.id) - Number(b.id)).map((r) => ({
    id: Number(r.id), queue: r.queue, orderingKey: r.ordering_key, payload: r.payload, attempts: r.attempts, maxAttempts: r.max_attempts,
  }));
}

/**
 * Claims up to `limit` runnable jobs of the given queues for `workerId`, leasing them for
 * `leaseMs`, oldest first — the jobs of the `first` queues before any other's. Expired leases
 * (crashed workers) are claimable again.
 */
export async function claim(db: Executor, queues: string[], workerId: string, limit: number, leaseMs: number, first: string[] = []): Promise<Job[]> {
  if (queues.length === 0 || limit <= 0) return [];
  return runClaim(db, claimStatement({ queues, workerId, limit, leaseMs, first }));
}

/** Marks a job of this worker done, with its handler's `completion` written by the same statement. */
export async function complete(db: Executor, id: number, workerId: string, completion?: JobCompletion): Promise<void> {
  const update = db.update(jobs).set({ status: 'done', doneAt: new Date(), updatedAt: new Date(), lockedBy: null, lockedUntil: null, lastError: null })
    .where(and(eq(jobs.id, id), eq(jobs.lockedBy, workerId)));
  if (completion) await db.execute(sql`with ${completion} ${update.getSQL()}`);
  else await update;
}

/**
 * Marks a job of this worker done, writes its handler's `completion`, and claims the next
 * jobs, in one statement (one round trip per job instead of two or three). Claims nothing when
 * the job was no longer this worker's (its lease expired and another worker took it).
 */
export async function completeAndClaim(db: Executor, id: number, request: ClaimRequest, completion?: JobCompletion): Promise<Job[]> {
  if (request.queues.length === 0 || request.limit <= 0) {
    await complete(db, id, request.workerId, completion);
    return [];
  }
  return runClaim(db, claimStatement(request, id, completion));
}

export interface BackoffPolicy { baseMs: number; maxMs: number }
export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 15 * 60_000 };

/** Delay before attempt n+1: base·2^(n−1), capped, with ±50 % jitter so retries do not stampede. */
export function backoffDelay(attempts: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random = Math.random): number {
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(exponential * (0.5 + random()));
}

/**
 * Records a failure: a transient one is retried after the backoff delay until max attempts;
 * a permanent one (or the last attempt) becomes a dead letter with its error.
 */
export async function fail(db: Executor, job: Job, workerId: string, error: string, options: { permanent?: boolean; backoff?: BackoffPolicy } = {}): Promise<'retry' | 'dead'> {
  const dead = options.permanent === true || job.attempts >= job.maxAttempts;
  const runAt = new Date(Date.now() + backoffDelay(job.attempts, options.backoff));
  await db.update(jobs).set({
    status: dead ? 'dead' : 'pending', lastError: error.slice(0, 2000), runAt, lockedBy: null, lockedUntil: null, updatedAt: new Date(),
  }).where(and(eq(jobs.id, job.id), eq(jobs.lockedBy, workerId)));
  return dead ? 'dead' : 'retry';
}

/** Manual retry of a dead letter: back to pending with a fresh attempt budget. */
export async function retryDead(db: Executor, id: number): Promise<boolean> {
  const updated = await db.update(jobs).set({ status: 'pending', attempts: 0, runAt: new Date(), updatedAt: new Date() })
    .where(and(eq(jobs.id, id), eq(jobs.status, 'dead'))).returning({ id: jobs.id });
  await db.execute(sql`select pg_notify(${NOTIFY_CHANNEL}, 'retry')`);
  return updated.length === 1;
}

export interface BacklogStats { pending: number; running: number; dead: number; done: number; oldestPendingAt: string | null }
export interface QueueStats extends BacklogStats { queue: string }

type BacklogRow = { key: string; pending: number; running: number; dead: number; done: number; oldest: string | Date | null };

/** Backlog counts grouped by `groupBy` (queue or ordering key), for rows matching `where`. */
async function backlog(db: Executor, groupBy: 'queue' | 'ordering_key', where: ReturnType<typeof sql>): Promise<Map<string, BacklogStats>> {
  const result = await db.execute(sql`
    select ${sql.raw(groupBy)} as key,
      count(*) filter (where status = 'pending')::int as pending,
      count(*) filter (where status = 'running')::int as running,
      count(*) filter (where status = 'dead')::int as dead,
      count(*) filter (where status = 'done')::int as done,
      min(created_at) filter (where status in ('pending', 'running')) as oldest
    from jobs where ${where} group by 1 order by 1`);
  const rows = (result as unknown as { rows: BacklogRow[] }).rows;
  return new Map(rows.map((r) => [r.key, {
    pending: r.pending, running: r.running, dead: r.dead, done: r.done, oldestPendingAt: r.oldest ? new Date(r.oldest).toISOString() : null,
  }]));
}

/** Backlog per queue (optionally only queues starting with a prefix). */
export async function queueStats(db: Executor, prefix = ''): Promise<QueueStats[]> {
  const stats = await backlog(db, 'queue', sql`queue like ${prefix + '%'}`);
  return [...stats].map(([queue, s]) => ({ queue, ...s }));
}

/** Backlog of one queue per ordering key (e.g. one PAM subscriber each). */
export async function orderingKeyStats(db: Executor, queue: string): Promise<Map<string, BacklogStats>> {
  return backlog(db, 'ordering_key', sql`queue = ${queue}`);
}

export interface DeadLetter { id: number; queue: string; orderingKey: string | null; attempts: number; lastError: string | null; updatedAt: string }

/** Dead letters, newest first: what needs a person's attention (and a manual retry). */
export async function deadLetters(db: Executor, limit = 100): Promise<DeadLetter[]> {
  const rows = await db.select({
    id: jobs.id, queue: jobs.queue, orderingKey: jobs.orderingKey, attempts: jobs.attempts, lastError: jobs.lastError, updatedAt: jobs.updatedAt,
  }).from(jobs).where(eq(jobs.status, 'dead')).orderBy(sql`${jobs.id} desc`).limit(limit);
  return rows.map((r) => ({ ...r, updatedAt: r.updatedAt.toISOString() }));
}
