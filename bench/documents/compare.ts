/**
 * Before/after of a change to the document chain, in one process: the working tree's
 * `renderDocumentPdf` and `composeExitDocument` against those of another checkout (e.g. the
 * previous commit, extracted with `git archive`), interleaved in rounds so that both sides see
 * the same load on a shared machine. Reports the median CPU time per document of 8 rounds.
 *
 *   mkdir -p .tmp/before && git archive <commit> src | tar -x -C .tmp/before
 *   BENCH_BASELINE=.tmp/before npx tsx bench/documents/compare.ts
 *
 * The baseline's modules are loaded from its own path, so both versions live side by side;
 * the baseline sits under the repository so that it resolves the same node_modules (pdfkit,
 * fontkit and bwip-js, which older versions need, are dev dependencies).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { renderDocumentPdf as RenderPdf } from '../../src/formats/pdf/index.ts';
import * as current from '../../src/formats/pdf/index.ts';
import type { composeExitDocument as Compose } from '../../src/record/compose.ts';
import * as currentCompose from '../../src/record/compose.ts';
import { fmt } from '../support/stats.ts';
import { exitInput, pdfInput } from './inputs.ts';

const ROUNDS = 8;
const PER_ROUND = 15;
const WARMUP = 30;

interface Side {
  render: typeof RenderPdf;
  compose: typeof Compose;
}

async function baseline(dir: string): Promise<Side> {
  const load = async <T>(file: string): Promise<T> => (await import(pathToFileURL(path.resolve(dir, file)).href)) as T;
  const pdf = await load<{ renderDocumentPdf: typeof RenderPdf }>('src/formats/pdf/index.ts');
  const compose = await load<{ composeExitDocument: typeof Compose }>('src/record/compose.ts');
  return { render: pdf.renderDocumentPdf, compose: compose.composeExitDocument };
}

type Task = (side: Side, i: number) => Promise<{ ok: boolean }>;

const TASKS: Array<[string, Task]> = [
  ['PDF/A, qualified, new patient each doc', (s, i) => s.render(pdfInput(i, 'new-qualified'))],
  ['PDF/A, qualified, same patient', (s, i) => s.render(pdfInput(i, 'same-qualified'))],
  ['PDF/A, not qualified', (s, i) => s.render(pdfInput(i, 'not-qualified'))],
  ['full LDL, new qualified patient each doc', (s, i) => s.compose(exitInput(i, false))],
  ['full LDL, same qualified patient', (s, i) => s.compose(exitInput(i, true))],
];

const median = (values: number[]): number => values.slice().sort((a, b) => a - b)[values.length >> 1]!;

export async function compareDocuments(baselineDir: string): Promise<void> {
  const before = await baseline(baselineDir);
  const after: Side = { render: current.renderDocumentPdf, compose: currentCompose.composeExitDocument };
  console.log(`before: ${baselineDir}; after: this working tree — CPU ms per document (process user + system), median of ${ROUNDS} interleaved rounds of ${PER_ROUND} documents`);
  let seq = 0;
  const rows = [];
  for (const [label, task] of TASKS) {
    const cpu = { before: [] as number[], after: [] as number[] };
    const run = async (side: Side): Promise<void> => {
      const r = await task(side, seq++);
      if (!r.ok) throw new Error(`${label}: ${JSON.stringify(r)}`);
    };
    for (const side of [before, after]) for (let i = 0; i < WARMUP; i++) await run(side);
    for (let round = 0; round < ROUNDS; round++) {
      const order: Array<'before' | 'after'> = round % 2 === 0 ? ['after', 'before'] : ['before', 'after'];
      for (const name of order) {
        const side = name === 'before' ? before : after;
        const c0 = process.cpuUsage();
        for (let i = 0; i < PER_ROUND; i++) await run(side);
        const c = process.cpuUsage(c0);
        cpu[name].push((c.user + c.system) / 1000 / PER_ROUND);
      }
    }
    rows.push({
      task: label,
      'before ms': fmt(median(cpu.before), 2),
      'after ms': fmt(median(cpu.after), 2),
      'before ÷ after': `${fmt(median(cpu.before) / median(cpu.after), 2)}×`,
      'before min–max': `${fmt(Math.min(...cpu.before), 1)}–${fmt(Math.max(...cpu.before), 1)}`,
      'after min–max': `${fmt(Math.min(...cpu.after), 1)}–${fmt(Math.max(...cpu.after), 1)}`,
    });
  }
  console.table(rows);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dir = process.env.BENCH_BASELINE;
  if (!dir) {
    console.error('set BENCH_BASELINE to the folder of the checkout to compare with (it must hold src/)');
    process.exit(2);
  }
  await compareDocuments(dir);
}
