/**
 * A worker process that claims one job and then dies by SIGKILL before completing it,
 * for the crash-survival test. Usage: tsx crash-worker.ts <postgres-url | pglite-data-dir> <queue>
 */
import { openDatabase } from '../../src/platform/db/index.ts';
import { claim } from '../../src/platform/jobs/index.ts';

const [target, queue] = process.argv.slice(2) as [string, string];
const handle = target.startsWith('postgres')
  ? await openDatabase({ url: target, migrate: false })
  : await openDatabase({ dataDir: target, migrate: false });
const claimed = await claim(handle.db, [queue], 'doomed-worker', 1, 300);
process.stdout.write(`claimed ${claimed.map((j) => j.id).join(',')}\n`, () => process.kill(process.pid, 'SIGKILL'));
