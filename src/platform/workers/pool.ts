/**
 * CPU work off the main thread. Composing an exit document (PDF/A and CDA) or an MSSanté
 * message (XDM archive, MIME) is pure computation, a few milliseconds each, that would
 * otherwise hold the event loop serving the API, the MLLP listener and the outbox. A pool runs
 * the functions of one task module (exports taking and returning structured-cloneable values)
 * on a few worker threads, started on first use and again after a crash; with size 0 the
 * calling thread runs them.
 *
 * What crosses threads is copied (structured clone): a Buffer arrives as a Uint8Array, a class
 * instance as a plain object. An error thrown by a task arrives as an Error with the same name,
 * message and own properties (`code`, `details`…), for the caller to map back to its class.
 */
import { Worker } from 'node:worker_threads';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- task signatures are the module's own
export type TaskModule = Record<string, (...args: any[]) => unknown>;

export interface WorkerPool<T extends TaskModule> {
  run<K extends keyof T & string>(task: K, ...args: Parameters<T[K]>): Promise<Awaited<ReturnType<T[K]>>>;
  close(): Promise<void>;
}

/** An error as it crosses threads. */
export interface ThrownError {
  name: string;
  message: string;
  properties: Record<string, unknown>;
}

export type Reply = { id: number; value: unknown } | { id: number; error: ThrownError } | { ready: true };

/** The Error a task threw in a worker, rebuilt on this side. */
function rebuilt(thrown: ThrownError): Error {
  const error = Object.assign(new Error(thrown.message), thrown.properties);
  error.name = thrown.name;
  return error;
}

/** The module `name` beside the module at `base` (an `import.meta.url`), as loaded: its .ts source under tsx, else its .js. */
export const moduleBeside = (base: string, name: string): URL => new URL(`./${name}${base.endsWith('.ts') ? '.ts' : '.js'}`, base);

/**
 * The worker's bootstrap, loading worker.ts the way this module was loaded: through tsx when
 * the platform runs from its TypeScript sources, directly once compiled.
 */
function bootstrap(): string {
  const fromSources = import.meta.url.endsWith('.ts');
  const worker = moduleBeside(import.meta.url, 'worker').href;
  return fromSources
    ? `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(worker)}); });`
    : `import(${JSON.stringify(worker)});`;
}

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>;
}

/**
 * `tasks`: the task module's URL, loaded by every worker; `local`: the same module loaded here,
 * what runs when `size` is 0 or the pool is closed.
 */
export function createWorkerPool<T extends TaskModule>(options: { tasks: URL; local: T; size: number; name: string }): WorkerPool<T> {
  const { size, local } = options;
  const runLocally = async <K extends keyof T & string>(task: K, args: Parameters<T[K]>): Promise<Awaited<ReturnType<T[K]>>> =>
    (await local[task]!(...args)) as Awaited<ReturnType<T[K]>>;
  if (size <= 0) return { run: (task, ...args) => runLocally(task, args), close: async () => undefined };

  const slots: Array<Slot | undefined> = Array.from({ length: size }, () => undefined);
  let nextId = 1;
  let closed = false;

  const start = (index: number): Slot => {
    const worker = new Worker(bootstrap(), { eval: true, name: `${options.name}-${index}`, workerData: { tasks: options.tasks.href } });
    const slot: Slot = { worker, pending: new Map() };
    const fail = (error: Error): void => {
      if (slots[index] === slot) slots[index] = undefined; // a new worker on next use
      for (const { reject } of slot.pending.values()) reject(error);
      slot.pending.clear();
    };
    worker.on('message', (reply: Reply) => {
      if ('ready' in reply) return;
      const waiting = slot.pending.get(reply.id);
      if (!waiting) return;
      slot.pending.delete(reply.id);
      if ('error' in reply) waiting.reject(rebuilt(reply.error));
      else waiting.resolve(reply.value);
    });
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`${options.name} worker stopped (exit code ${code})`)));
    worker.unref();
    slots[index] = slot;
    return slot;
  };

  return {
    run(task, ...args) {
      if (closed) return runLocally(task, args);
      // The least busy worker (started if needed).
      let index = 0;
      for (let i = 1; i < size; i++) if ((slots[i]?.pending.size ?? 0) < (slots[index]?.pending.size ?? 0)) index = i;
      const slot = slots[index] ?? start(index);
      const id = nextId++;
      return new Promise((resolve, reject) => {
        slot.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        slot.worker.postMessage({ id, task, args });
      });
    },
    async close() {
      closed = true;
      await Promise.all(slots.map((slot) => slot?.worker.terminate()));
    },
  };
}
