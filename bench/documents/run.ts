/**
 * Clinical documents: documents per second, latency percentiles, CPU time and memory per
 * document for the exit-document chain of the record module.
 *
 *   A. PDF/A-2b rendering (`renderDocumentPdf`) of a lettre de liaison of 1–2 pages:
 *      A1 qualified identity, a different patient for every document (so the DataMatrix INS is
 *         encoded every time: the realistic case);
 *      A2 qualified identity, the same patient every time;
 *      A3 identity not qualified (no matricule, no DataMatrix);
 *      A4 peer library, doing less: a bare pdfkit document with the same text in Helvetica (not
 *         embedded), no PDF/A, no banner, no DataMatrix: pdfkit's own cost for the text (our
 *         writer replaced pdfkit, which the platform used until 2026-11-30).
 *   B. CDA R2 N1 wrap (`buildCda`) of an existing 50 kB PDF (base64 in nonXMLBody).
 *   C. full LDL (`composeExitDocument`): PDF + DataMatrix + CDA N1 + parse + CI-SIS header checks,
 *      C1 a different qualified patient for every document, C2 the same qualified patient,
 *      C3 as C1 in two worker threads (one per core of the 2-core machine of the goal).
 *   D. XSD validation (libxml2-wasm) of an N1 CDA produced by C, against the CI-SIS
 *      CDA_extended.xsd (../shared/fixtures; skipped with the reason when absent).
 *   E. CR-BIO level 3 generation (`buildCrBio`): E1 the test sample (6 results), E2 50 results
 *      and a 50 kB PDF copy.
 *
 * First, DataMatrix INS symbols per second, ours against bwip-js (datamatrix.ts).
 * No peer library does the same work (CDA, INS DataMatrix, PDF/A banner), so A4 gives pdfkit's
 * floor: the least it costs for the same text. Each run is bounded by a count and a duration, after
 * an unmeasured warm-up; except C3, everything runs on this process's main thread, one
 * document at a time. CPU ms/doc is the process's user + system time (all threads: GC, zlib)
 * divided by the documents: less sensitive than throughput to other processes on the machine.
 * Memory: ΔRSS / Δheap between forced full GCs before and after the run (what the run keeps),
 * peak RSS sampled every 100 ms.
 *
 *   npx tsx bench/documents/run.ts
 *
 * Before/after of a change to this chain: `compare.ts` (interleaved, one process).
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { buildCda, buildCrBio, type CdaDocument, type CrBioInput } from '../../src/formats/cda/index.ts';
import { loadXsd } from '../../src/platform/xsd.ts';
import { pdfOfSize, sampleDocument } from '../../test/support/cda.ts';
import { manyResults, sampleCrBio } from '../../test/support/cr-bio.ts';
import { fixturesDir } from '../../test/support/fixtures.ts';
import { fmt, memoryPeaks, memorySnapshot, mib, summarizeLatencies, type LatencySummary } from '../support/stats.ts';
import { runDataMatrixBench } from './datamatrix.ts';
import { barePdfkit, composeLdl, LDL_SECTIONS, pageCount, pdfBytes, pdfInput } from './inputs.ts';

interface Limits {
  warmup: number;
  count: number;
  seconds: number;
}

const PDF: Limits = { warmup: 100, count: 5_000, seconds: 3 };
const CDA_WRAP: Limits = { warmup: 300, count: 20_000, seconds: 2 };
const FULL: Limits = { warmup: 100, count: 5_000, seconds: 4 };
const XSD: Limits = { warmup: 20, count: 2_000, seconds: 2 };
const CR_BIO: Limits = { warmup: 100, count: 10_000, seconds: 2 };
const GOAL_FULL = 200;
const GOAL_WRAP = 2_000;
/** One per core: the "2-core machine" of the goal, not something the platform does today. */
const WORKERS = 2;

interface DocRun {
  label: string;
  count: number;
  seconds: number;
  cpuMs: number;
  latency: LatencySummary;
  rssDelta: number;
  heapDelta: number;
  peakRss: number;
  /** Mean size of what one document produced (PDF, CDA…). */
  outputBytes: number;
  goal?: number;
}

/** Runs `produce(i)` (returning the output size) one document at a time. */
async function measure(label: string, limits: Limits, produce: (i: number) => Promise<number> | number, goal?: number): Promise<DocRun> {
  for (let i = 0; i < limits.warmup; i++) await produce(-1 - i);
  const before = memorySnapshot();
  const peaks = memoryPeaks();
  const latencies = new Float64Array(limits.count);
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const deadline = start + limits.seconds * 1000;
  let count = 0;
  let bytes = 0;
  while (count < limits.count && performance.now() < deadline) {
    const t0 = performance.now();
    bytes += await produce(count);
    latencies[count] = performance.now() - t0;
    count++;
  }
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const peak = peaks.stop();
  const after = memorySnapshot();
  return {
    label, count, seconds, cpuMs: (cpu.user + cpu.system) / 1000 / count,
    latency: summarizeLatencies(latencies.subarray(0, count)),
    rssDelta: after.rss - before.rss, heapDelta: after.heapUsed - before.heapUsed, peakRss: peak.rss,
    outputBytes: bytes / count, ...(goal ? { goal } : {}),
  };
}

/**
 * The same chain in worker threads, one per core, each composing one document at a time:
 * what this machine can do when both cores render. Each worker warms up, then all run for
 * the same duration; latencies are per document in its worker, CPU time is the process's.
 */
async function measureInWorkers(label: string, limits: Limits, goal: number): Promise<DocRun> {
  // Workers do not inherit tsx's hooks: the bootstrap registers them, then loads worker.ts.
  const bootstrap = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); `
    + `return import(${JSON.stringify(new URL('./worker.ts', import.meta.url).href)}); });`;
  const workers = Array.from({ length: WORKERS }, (_, k) =>
    new Worker(bootstrap, { eval: true, workerData: { warmup: limits.warmup, offset: (k + 1) * 10_000_000 } }));
  const failed = new Promise<never>((_, reject) => workers.forEach((w) => w.once('error', reject)));
  const next = (w: Worker): Promise<{ ready?: boolean; latencies?: number[] }> => new Promise((resolve) => w.once('message', resolve));
  try {
    await Promise.race([Promise.all(workers.map(next)), failed]);
    const before = memorySnapshot();
    const peaks = memoryPeaks();
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    const results = workers.map(next);
    for (const w of workers) w.postMessage({ seconds: limits.seconds });
    const reports = await Promise.race([Promise.all(results), failed]);
    const seconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const peak = peaks.stop();
    const after = memorySnapshot();
    const latencies = reports.flatMap((r) => r.latencies ?? []);
    return {
      label, count: latencies.length, seconds, cpuMs: (cpu.user + cpu.system) / 1000 / latencies.length,
      // Workers have their own heaps: only the process's RSS covers them.
      latency: summarizeLatencies(latencies), rssDelta: after.rss - before.rss, heapDelta: NaN,
      peakRss: peak.rss, outputBytes: NaN, goal,
    };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

function printRuns(title: string, runs: DocRun[]): void {
  console.log(`\n${title}`);
  const reference = runs[0];
  console.table(runs.map((r) => {
    const rate = r.count / r.seconds;
    return {
      configuration: r.label,
      'docs/s': fmt(rate),
      docs: fmt(r.count),
      'CPU ms/doc': fmt(r.cpuMs, 2),
      'p50 ms': fmt(r.latency.p50, 3),
      'p99 ms': fmt(r.latency.p99, 3),
      'kB out': fmt(r.outputBytes / 1000, 1),
      'ΔRSS MiB': mib(r.rssDelta),
      'Δheap kB/doc': fmt(r.heapDelta / 1000 / r.count, 2),
      'peak RSS MiB': fmt(r.peakRss / 1_048_576, 0),
      ...(reference && runs.length > 1 ? { 'vs first row': `${fmt(rate / (reference.count / reference.seconds), 2)}×` } : {}),
      ...(r.goal ? { goal: `≥ ${fmt(r.goal)}/s: ${rate >= r.goal ? 'yes' : 'NO'}` } : {}),
    };
  }));
}

// ---------------------------------------------------------------------------------------------

export async function runDocumentsBench(): Promise<void> {
  const sample = await pdfBytes(pdfInput(0, 'new-qualified'));
  console.log(`\nDocuments — lettre de liaison: ${LDL_SECTIONS.length} sections, ${fmt(LDL_SECTIONS.flatMap((s) => s.paragraphs).join('').length)} characters of text; `
    + `qualified PDF: ${pageCount(sample)} pages, ${fmt(sample.byteLength / 1000, 1)} kB`);

  runDataMatrixBench();

  // A. PDF
  const pdfRuns = [
    await measure('A1 PDF/A, qualified, new patient each doc (DataMatrix encoded)', PDF, async (i) => (await pdfBytes(pdfInput(i, 'new-qualified'))).byteLength),
    await measure('A2 PDF/A, qualified, same patient', PDF, async (i) => (await pdfBytes(pdfInput(i, 'same-qualified'))).byteLength),
    await measure('A3 PDF/A, not qualified (no DataMatrix)', PDF, async (i) => (await pdfBytes(pdfInput(i, 'not-qualified'))).byteLength),
    await measure('A4 peer: bare pdfkit, Helvetica, same text', PDF, (i) => barePdfkit(pdfInput(i, 'not-qualified'))),
  ];
  printRuns('A. PDF rendering, one document at a time (A4 is pdfkit doing less: no PDF/A, no embedded font, no banner)', pdfRuns);

  // B. CDA N1 wrap of a 50 kB PDF
  const pdf50k = pdfOfSize(50_000);
  const base: CdaDocument = { ...sampleDocument('ldl'), body: { kind: 'nonXml', mediaType: 'application/pdf', content: pdf50k } };
  const wrap = await measure('B  buildCda N1, 50 kB PDF', CDA_WRAP, (i) => {
    const r = buildCda({ ...base, id: { root: `1.2.250.1.999.1.2.${1_000_000 + i}` } });
    if (!r.ok) throw new Error(`CDA: ${r.error.field}: ${r.error.rule}`);
    return r.value.length;
  }, GOAL_WRAP);
  printRuns('B. CDA R2 N1 wrap of an existing 50,000-byte PDF (buildCda; output length in UTF-16 code units = bytes, ASCII)', [wrap]);

  // C. full LDL
  let lastCda = '';
  const compose = async (i: number, same: boolean): Promise<number> => {
    const document = await composeLdl(i, same);
    lastCda = document.cda;
    return document.cda.length;
  };
  const full = [
    await measure('C1 full LDL, new qualified patient each doc', FULL, (i) => compose(i, false), GOAL_FULL),
    await measure('C2 full LDL, same qualified patient', FULL, (i) => compose(i, true), GOAL_FULL),
    await measureInWorkers(`C3 full LDL, new patient each doc, ${WORKERS} worker threads`, FULL, GOAL_FULL),
  ];
  printRuns('C. Full LDL (composeExitDocument: PDF/A + DataMatrix + CDA N1 + parse + CI-SIS checks; output = CDA)', full);

  // D. XSD validation
  const fixtures = fixturesDir();
  if (!fixtures) console.log('\nD. XSD validation: skipped — fixtures not found (set PASSERELLE_FIXTURES or provide ../shared/fixtures)');
  else {
    const t0 = performance.now();
    const schema = loadXsd(join(fixtures, 'cda', 'infrastructure', 'cda', 'CDA_extended.xsd'));
    const compileMs = performance.now() - t0;
    const problems = schema.validate(lastCda).filter((p) => p.level !== 'warning');
    if (problems.length > 0) throw new Error(`XSD: the bench CDA is not valid: ${problems[0]!.message}`);
    const xsd = await measure('D  XSD validation of an N1 LDL CDA', XSD, () => {
      if (schema.validate(lastCda).some((p) => p.level !== 'warning')) throw new Error('XSD: invalid');
      return lastCda.length;
    });
    printRuns(`D. XSD validation (libxml2-wasm, CDA_extended.xsd compiled once in ${fmt(compileMs, 0)} ms; the CDA of C, ${fmt(lastCda.length / 1000, 1)} kB)`, [xsd]);
  }

  // E. CR-BIO N3
  const smallCrBio = sampleCrBio();
  const largeCrBio = sampleCrBio({ biochemistry: manyResults(50), pdf: pdf50k });
  const crBioRuns = [
    await measure('E1 buildCrBio, test sample (6 results, 2 chapters, tiny PDF copy)', CR_BIO, (i) => crBio(i, smallCrBio)),
    await measure('E2 buildCrBio, 50 results + 50 kB PDF copy', CR_BIO, (i) => crBio(i, largeCrBio)),
  ];
  printRuns('E. CR-BIO level 3 generation (buildCrBio: entries, narrative, PDF copy; output = CDA)', crBioRuns);
}

function crBio(i: number, input: CrBioInput): number {
  const r = buildCrBio({ ...input, id: { root: `1.2.250.1.999.1.2.${2_000_000 + i}` } });
  if (!r.ok) throw new Error(`CR-BIO: ${r.error.field}: ${r.error.rule}`);
  return r.value.length;
}

if (import.meta.url === `file://${process.argv[1]}`) await runDocumentsBench();
