/**
 * Small helpers shared by the end-to-end benchmarks: latency percentiles, memory snapshots
 * taken after a forced garbage collection, number formatting and machine description.
 */
import os from 'node:os';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Nearest-rank percentile of an ascending-sorted sample (`p` in 0..100). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Percentiles of latencies in milliseconds (the array is sorted in place). */
export function summarizeLatencies(latenciesMs: Float64Array | number[]): LatencySummary {
  const sorted = latenciesMs instanceof Float64Array ? latenciesMs.sort() : Float64Array.from(latenciesMs).sort();
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length > 0 ? sorted[sorted.length - 1]! : NaN,
  };
}

let collect: (() => void) | undefined;

/** Full garbage collection, enabling `gc` at run time when node was not started with --expose-gc. */
export function forceGc(): void {
  if (collect === undefined) {
    const existing = (globalThis as { gc?: () => void }).gc;
    if (existing) collect = existing;
    else {
      v8.setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as () => void;
    }
  }
  collect();
}

export interface MemorySnapshot {
  rss: number;
  heapUsed: number;
}

/** Memory after a full collection: what the process keeps, not garbage waiting to be freed. */
export function memorySnapshot(): MemorySnapshot {
  forceGc();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed };
}

/** Samples RSS and heap while a run is in progress, to report the peaks. */
export function memoryPeaks(intervalMs = 100): { stop(): MemorySnapshot } {
  const peak: MemorySnapshot = { rss: 0, heapUsed: 0 };
  const sample = (): void => {
    const m = process.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss);
    peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

export const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a';

export const mib = (bytes: number): string => `${bytes >= 0 ? '+' : ''}${fmt(bytes / 1_048_576, 1)}`;

export function machineDescription(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim() ?? 'unknown CPU';
  return [
    `CPU: ${model}, ${cpus.length} logical cores (os.availableParallelism() = ${os.availableParallelism()})`,
    `memory: ${fmt(os.totalmem() / 1_073_741_824, 1)} GiB, ${os.type()} ${os.release()} ${os.arch()}`,
    `node ${process.version}, V8 ${process.versions.v8}`,
  ].join('\n');
}
