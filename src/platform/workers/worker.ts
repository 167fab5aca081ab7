/**
 * A worker thread of a pool (pool.ts): loads the task module it was given and runs the tasks it
 * is sent, answering with their value or the error they threw.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Reply, TaskModule, ThrownError } from './pool.ts';

interface Request { id: number; task: string; args: unknown[] }

const thrown = (error: unknown): ThrownError => {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), properties: {} };
  // Own properties that survive a structured clone (code, details…); a `cause` is left behind.
  const properties: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error)) {
    if (key === 'cause') continue;
    try {
      structuredClone(value);
      properties[key] = value;
    } catch { /* not cloneable: dropped */ }
  }
  return { name: error.name, message: error.message, properties };
};

const tasks = (await import((workerData as { tasks: string }).tasks)) as TaskModule;
const post = (reply: Reply): void => parentPort!.postMessage(reply);

parentPort!.on('message', ({ id, task, args }: Request) => {
  const run = tasks[task];
  if (typeof run !== 'function') {
    post({ id, error: { name: 'Error', message: `unknown task ${task}`, properties: {} } });
    return;
  }
  Promise.resolve().then(() => run(...args)).then((value) => post({ id, value }), (error: unknown) => post({ id, error: thrown(error) }));
});
post({ ready: true });
