/**
 * HL7 v2 parse throughput: our codec vs @medplum/core, simple-hl7 and node-hl7-client, on
 * every well-formed official example (../shared/fixtures/hl7v2, segments normalised to CR).
 * Each iteration parses the whole corpus and reads PID-5.1 and PID-3.1 of every message in
 * every library (so lazy parsers pay for field access). Messages a peer cannot parse, or
 * reads differently, are counted and left out of the common corpus used for the ratios.
 *
 *   npx tsx bench/hl7v2/parse.ts
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Hl7Message as MedplumMessage } from '@medplum/core';
import { Message as NodeHl7Message } from 'node-hl7-client';
import { Bench } from 'tinybench';
import { filesUnder, fixturesDir, isHl7MessageFile } from '../../test/support/fixtures.ts';
import { parse } from '../../src/formats/hl7v2/index.ts';

interface SimpleHl7 {
  Parser: new () => { parse(text: string): { getSegment(name: string): { getComponent(field: number, component: number): string } | undefined } };
}
const simpleHl7 = createRequire(import.meta.url)('simple-hl7') as SimpleHl7;

/** Returns [PID-5.1, PID-3.1] or throws. */
type Reader = (text: string) => [string, string];

const readers: Record<string, Reader> = {
  passerelle: (text) => {
    const r = parse(text);
    if (!r.ok) throw new Error(r.error.rule);
    const pid = r.value.segment('PID');
    return [pid?.value(5, 1) ?? '', pid?.value(3, 1) ?? ''];
  },
  '@medplum/core': (text) => {
    const pid = MedplumMessage.parse(text).getSegment('PID');
    return [pid?.getField(5)?.getComponent(1) ?? '', pid?.getField(3)?.getComponent(1) ?? ''];
  },
  'simple-hl7': (text) => {
    const pid = new simpleHl7.Parser().parse(text).getSegment('PID');
    return [pid?.getComponent(5, 1) ?? '', pid?.getComponent(3, 1) ?? ''];
  },
  'node-hl7-client': (text) => {
    const m = new NodeHl7Message({ text });
    return [m.get('PID.5.1').toString(), m.get('PID.3.1').toString()];
  },
};


function loadCorpus(): string[] {
  const dir = fixturesDir();
  if (dir === undefined) throw new Error('fixtures not found: set PASSERELLE_FIXTURES or provide ../shared/fixtures');
  return filesUnder(path.join(dir, 'hl7v2'), isHl7MessageFile)
    .map((f) => readFileSync(f, 'utf8').replace(/\r\n|\n/g, '\r').replace(/\r+$/, '') + '\r')
    .filter((text) => parse(text).ok); // the five U+02DC files are negative fixtures
}

const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export async function runHl7ParseBench(): Promise<void> {
  const corpus = loadCorpus();
  const expected = corpus.map((t) => readers.passerelle!(t));
  const failures: Record<string, { thrown: number; wrong: number }> = {};
  const accepted = new Set(corpus.map((_, i) => i));
  for (const [name, read] of Object.entries(readers)) {
    failures[name] = { thrown: 0, wrong: 0 };
    corpus.forEach((text, i) => {
      try {
        const got = read(text);
        const want = expected[i]!;
        if (got[0] !== want[0] || got[1] !== want[1]) { failures[name]!.wrong++; accepted.delete(i); }
      } catch {
        failures[name]!.thrown++;
        accepted.delete(i);
      }
    });
  }
  const common = corpus.filter((_, i) => accepted.has(i));
  for (const f of Object.entries(failures)) {
    if (f[1].thrown + f[1].wrong > 0) console.log(`  ${f[0]}: ${f[1].thrown} thrown, ${f[1].wrong} read differently (left out)`);
  }
  await benchCorpus(`all ${corpus.length} well-formed official messages, ${common.length} read identically by every library`, common);
  await benchCorpus('small messages only (< 10 kB: ADT, ACK, ZAM, MDM/ORU without embedded CDA)', common.filter((t) => t.length < 10_000));
}

async function benchCorpus(label: string, common: string[]): Promise<void> {
  const bytes = common.reduce((n, t) => n + Buffer.byteLength(t), 0);
  console.log(`\nHL7 v2 parse + PID-5.1/PID-3.1 — ${label}: ${common.length} messages, ${fmt(bytes / 1e3, 1)} kB per pass`);
  const bench = new Bench({ time: 1500, warmupTime: 300 });
  for (const [name, read] of Object.entries(readers)) {
    bench.add(name, () => {
      for (const text of common) read(text);
    });
  }
  await bench.run();

  const rows = bench.tasks.map((task) => {
    const r = task.result;
    if (r.state !== 'completed') return { name: task.name, passes: 0, p50: NaN, p99: NaN };
    return { name: task.name, passes: r.throughput.mean, p50: r.latency.p50, p99: r.latency.p99 };
  });
  const ours = rows.find((r) => r.name === 'passerelle')!;
  console.table(rows.map((r) => ({
    library: r.name,
    'messages/s': fmt(r.passes * common.length),
    'MB/s': fmt((r.passes * bytes) / 1e6, 1),
    'pass p50 (ms)': fmt(r.p50, 3),
    'pass p99 (ms)': fmt(r.p99, 3),
    'ours / peer': r.name === 'passerelle' ? '1.0×' : `${fmt(ours.passes / r.passes, 1)}×`,
  })));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runHl7ParseBench();
}
