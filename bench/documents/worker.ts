/**
 * Worker thread of the documents bench (run.ts, C3): composes full LDLs, one at a time, from
 * the moment the main thread says go until the deadline, and reports the latencies.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { composeLdl } from './inputs.ts';

interface Go {
  seconds: number;
}

const { warmup, offset } = workerData as { warmup: number; offset: number };
for (let i = 0; i < warmup; i++) await composeLdl(-offset - i - 1, false);
parentPort!.postMessage({ ready: true });
parentPort!.once('message', async ({ seconds }: Go) => {
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  let i = offset;
  while (performance.now() < deadline) {
    const t0 = performance.now();
    await composeLdl(i++, false);
    latencies.push(performance.now() - t0);
  }
  parentPort!.postMessage({ latencies });
});
