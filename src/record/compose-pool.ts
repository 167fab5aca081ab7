/**
 * Exit documents composed off the main thread. Rendering the PDF/A and writing and checking the
 * CDA are pure CPU work, about 4–5 ms per document, which would otherwise hold the event loop
 * that serves the API, the MLLP listener and the outbox. A few worker threads do it, started on
 * first use and again after a crash; with no workers the calling thread composes.
 */
import { Worker } from 'node:worker_threads';
import type { Result } from '../formats/result.ts';
import { composeExitDocument, type ExitDocument, type ExitDocumentInput } from './compose.ts';

/** What validation keeps of a composed document. */
export type ComposedDocument = Pick<ExitDocument, 'pdf' | 'cda' | 'header'>;

export interface ComposePool {
  compose(input: ExitDocumentInput): Promise<Result<ComposedDocument>>;
  close(): Promise<void>;
}

type Reply = { id: number; result?: Result<ComposedDocument>; crash?: string; ready?: true };

/**
 * The worker's module, loaded the way this one was: through tsx when the platform runs from
 * its TypeScript sources, directly once compiled.
 */
function workerScript(): string {
  const fromSources = import.meta.url.endsWith('.ts');
  const worker = new URL(fromSources ? './compose-worker.ts' : './compose-worker.js', import.meta.url).href;
  return fromSources
    ? `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(worker)}); });`
    : `import(${JSON.stringify(worker)});`;
}

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve: (r: Result<ComposedDocument>) => void; reject: (e: Error) => void }>;
}

export function createComposePool(size: number): ComposePool {
  if (size <= 0) {
    return { compose: composeExitDocument, close: async () => undefined };
  }
  const slots: Array<Slot | undefined> = Array.from({ length: size }, () => undefined);
  let nextId = 1;
  let closed = false;

  const start = (index: number): Slot => {
    const worker = new Worker(workerScript(), { eval: true });
    const slot: Slot = { worker, pending: new Map() };
    const fail = (error: Error): void => {
      if (slots[index] === slot) slots[index] = undefined; // a new worker on next use
      for (const { reject } of slot.pending.values()) reject(error);
      slot.pending.clear();
    };
    worker.on('message', (reply: Reply) => {
      if (reply.ready) return;
      const waiting = slot.pending.get(reply.id);
      if (!waiting) return;
      slot.pending.delete(reply.id);
      if (reply.crash !== undefined) waiting.reject(new Error(`composition failed: ${reply.crash}`));
      else waiting.resolve(reply.result!);
    });
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`compose worker stopped (exit code ${code})`)));
    worker.unref();
    slots[index] = slot;
    return slot;
  };

  return {
    compose(input) {
      if (closed) return composeExitDocument(input);
      // The least busy worker (started if needed).
      let index = 0;
      for (let i = 1; i < size; i++) if ((slots[i]?.pending.size ?? 0) < (slots[index]?.pending.size ?? 0)) index = i;
      const slot = slots[index] ?? start(index);
      const id = nextId++;
      return new Promise((resolve, reject) => {
        slot.pending.set(id, { resolve, reject });
        slot.worker.postMessage({ id, input });
      });
    },
    async close() {
      closed = true;
      await Promise.all(slots.map((slot) => slot?.worker.terminate()));
    },
  };
}
