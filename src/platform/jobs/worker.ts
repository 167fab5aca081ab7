/**
 * Outbox workers: claim runnable jobs of their queues and run each queue's handler. Woken by
 * NOTIFY, with polling as the fallback. `stop()` stops claiming and waits for the jobs in hand.
 */
import { randomUUID } from 'node:crypto';
import type { DatabaseHandle } from '../db/index.ts';
import type { Logger } from '../logging.ts';
import { claim, complete, fail, NOTIFY_CHANNEL, type BackoffPolicy, type Job } from './outbox.ts';

/** What a handler decides about a job it could not finish. */
export class PermanentJobError extends Error {}

export type JobHandler = (job: Job) => Promise<void>;

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

  const runJob = async (job: Job): Promise<void> => {
    const handler = options.handlers[job.queue]!;
    try {
      await handler(job);
      await complete(handle.db, job.id, id);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const outcome = await fail(handle.db, job, id, message, { permanent: error instanceof PermanentJobError, backoff: options.backoff })
        .catch(() => 'lease' as const);
      options.logger.warn({ jobId: job.id, queue: job.queue, attempts: job.attempts, outcome, error: message }, 'job failed');
    }
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
          for (const job of claimed) {
            const p = runJob(job).finally(() => { inFlight.delete(p); if (!stopped) void loop(); });
            inFlight.add(p);
          }
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
