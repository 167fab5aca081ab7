/**
 * Outbox workers: claim runnable jobs of their queues and run each queue's handler. Woken by
 * NOTIFY, with polling as the fallback. `stop()` stops claiming and waits for the jobs in hand.
 */
import { randomUUID } from 'node:crypto';
import type { DatabaseHandle } from '../db/index.ts';
import type { Logger } from '../logging.ts';
import { claim, completeAndClaim, fail, NOTIFY_CHANNEL, type BackoffPolicy, type Job, type JobCompletion } from './outbox.ts';

/** What a handler decides about a job it could not finish. */
export class PermanentJobError extends Error {}

/**
 * Runs one job. It may leave its last write to the job's completion (JobCompletion): written
 * with the job marked done, in one statement.
 */
export type JobHandler = (job: Job) => Promise<void | JobCompletion>;

export interface WorkerOptions {
  handlers: Record<string, JobHandler>;
  /**
   * Queues served first: their runnable jobs are claimed before any other queue's. Downstream
   * work (sending what was already routed) goes here, so that a burst of upstream events
   * cannot starve it: under overload the platform finishes documents instead of starting more.
   */
  first?: string[];
  concurrency?: number;
  pollMs?: number;
  leaseMs?: number;
  backoff?: BackoffPolicy;
  logger: Logger;
}

export interface Worker {
  id: string;
  /** Wakes the worker now (after an enqueue in this process). */
  wake(): void;
  stop(): Promise<void>;
}

export async function startWorker(handle: DatabaseHandle, options: WorkerOptions): Promise<Worker> {
  const id = `worker-${randomUUID()}`;
  const queues = Object.keys(options.handlers);
  const concurrency = options.concurrency ?? 4;
  const leaseMs = options.leaseMs ?? 60_000;
  const first = queues.filter((q) => options.first?.includes(q));
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let looping = false;
  let wakeRequested = false;

  /**
   * Runs a job. Success completes it and, in the same statement, claims the next jobs for the
   * slots free then: those jobs are returned. A failure is recorded; undefined then asks the
   * loop to claim. An empty list means nothing was runnable: new work will notify.
   */
  const runJob = async (job: Job): Promise<Job[] | undefined> => {
    const handler = options.handlers[job.queue]!;
    let completion: JobCompletion | undefined;
    try {
      completion = (await handler(job)) ?? undefined;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const outcome = await fail(handle.db, job, id, message, { permanent: error instanceof PermanentJobError, backoff: options.backoff })
        .catch(() => 'lease' as const);
      options.logger.warn({ jobId: job.id, queue: job.queue, attempts: job.attempts, outcome, error: message }, 'job failed');
      return undefined;
    }
    // This job's slot is free once it is done: inFlight still counts it.
    const free = stopped ? 0 : concurrency - inFlight.size + 1;
    return completeAndClaim(handle.db, job.id, { queues, workerId: id, limit: free, leaseMs, first }, completion).catch((error: unknown) => {
      options.logger.error({ err: error, jobId: job.id }, 'job completion failed; its lease will expire and it will run again');
      return undefined;
    });
  };

  const start = (job: Job): void => {
    const p: Promise<void> = runJob(job).then((next) => {
      inFlight.delete(p);
      if (stopped) return;
      if (next === undefined) void loop();
      else for (const claimed of next) start(claimed);
    });
    inFlight.add(p);
  };

  const loop = async (): Promise<void> => {
    if (looping) { wakeRequested = true; return; }
    looping = true;
    try {
      do {
        wakeRequested = false;
        while (!stopped && inFlight.size < concurrency) {
          const claimed = await claim(handle.db, queues, id, concurrency - inFlight.size, leaseMs, first);
          if (claimed.length === 0) break;
          for (const job of claimed) start(job);
        }
      } while (wakeRequested && !stopped);
    } catch (error) {
      options.logger.error({ err: error }, 'job claim failed; will poll again');
    } finally {
      looping = false;
    }
  };

  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => { void loop().finally(schedule); }, options.pollMs ?? 1_000);
  };

  const unlisten = await handle.listen(NOTIFY_CHANNEL, () => { if (!stopped) void loop(); }).catch(() => undefined);
  void loop();
  schedule();

  return {
    id,
    wake: () => { if (!stopped) void loop(); },
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await unlisten?.();
      while (looping) await new Promise((r) => setTimeout(r, 5));
      await Promise.allSettled([...inFlight]);
    },
  };
}
