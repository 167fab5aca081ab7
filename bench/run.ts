/**
 * `npm run bench`: every benchmark, ours against peer libraries in the same run, with the
 * machine it ran on. Figures recorded in docs/performance.md come from this command.
 *
 *   npm run bench                      HL7 v2 parse, MLLP (transport + full platform), documents
 *   npm run bench -- hl7               HL7 v2 parse only
 *   npm run bench -- mllp              MLLP only (transport + full platform)
 *   npm run bench -- mllp-transport    MLLP transport + codec only (no database)
 *   npm run bench -- mllp-platform     MLLP into the full platform only
 *   npm run bench -- documents         clinical documents: PDF/A, CDA N1 wrap, full LDL, XSD
 *   npm run bench -- exchange          PFI end to end: validated LDLs → DMP + MSSanté sandboxes, on
 *                                      PGlite (and PostgreSQL with BENCH_DATABASE_URL: database
 *                                      passerelle_bench_exchange, dropped afterwards)
 *   BENCH_DATABASE_URL=postgres://root@127.0.0.1:5432/test npm run bench -- mllp-platform
 *                                      adds the full platform on PostgreSQL (database
 *                                      passerelle_bench created there, dropped afterwards)
 */
import os from 'node:os';
import { runDocumentsBench } from './documents/run.ts';
import { runExchangeBench } from './exchange/run.ts';
import { runHl7ParseBench } from './hl7v2/parse.ts';
import { runMllpBench } from './hl7v2/mllp.ts';
import { fmt, machineDescription } from './support/stats.ts';

const PARTS = ['hl7', 'mllp', 'mllp-transport', 'mllp-platform', 'documents', 'exchange'] as const;
type Part = (typeof PARTS)[number];

const requested = process.argv.slice(2).filter((a) => a !== '--');
const unknown = requested.filter((a) => !(PARTS as readonly string[]).includes(a));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}: choose among ${PARTS.join(', ')} (none = all)`);
  process.exit(2);
}
const wanted = (part: Part): boolean => requested.length === 0 || requested.includes(part);

const started = performance.now();
console.log(`Passerelle benchmarks — ${new Date().toISOString()}`);
console.log(machineDescription());
console.log(`load average at start: ${os.loadavg().map((l) => fmt(l, 2)).join(' ')} (other processes compete for the ${os.cpus().length} cores)`);
console.log(`command: npm run bench${requested.length > 0 ? ` -- ${requested.join(' ')}` : ''}${process.env.BENCH_DATABASE_URL ? ' (BENCH_DATABASE_URL set)' : ''}`);

if (wanted('hl7')) await runHl7ParseBench();
const transport = wanted('mllp') || wanted('mllp-transport');
const platform = wanted('mllp') || wanted('mllp-platform');
if (transport || platform) await runMllpBench({ transport, platform });
if (wanted('documents')) await runDocumentsBench();
if (wanted('exchange')) await runExchangeBench();

console.log(`\nbenchmarks done in ${fmt((performance.now() - started) / 1000, 1)} s; load average at end: ${os.loadavg().map((l) => fmt(l, 2)).join(' ')}`);
// Listeners and database pools are closed by each bench; exit even if a peer library left a handle open.
process.exit(0);
