/**
 * CPU accounting for the end-to-end benchmarks, per process and for the whole machine (Linux).
 *
 * `snapshot(watch)` reads the counters at one instant; `diff(before, after)` turns two snapshots
 * into milliseconds of CPU (user + system) spent in between by:
 * - this process (`process.cpuUsage()`: the platform, and the bench's own load generator);
 * - the sandbox child process and its live descendants (`/proc/<pid>/stat` utime + stime, plus
 *   cutime + cstime: descendants that already exited);
 * - the PostgreSQL server: every process whose comm is `postgres` or `postmaster` (utime +
 *   stime, plus cutime + cstime, where a backend's time goes once the postmaster reaps it).
 *   That is the whole server, its other databases' work included;
 * - the machine, from the first line of `/proc/stat`: busy = total − idle − iowait, summed over
 *   every core, and the share of idle (+ iowait) time.
 * Process and machine counters are in clock ticks (CLK_TCK, `getconf CLK_TCK`: 100 on Linux
 * x86-64 and arm64). Off Linux, or when a process is gone, the figure is undefined.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of the /proc counters. */
export const CLK_TCK = 100;
const MS_PER_TICK = 1000 / CLK_TCK;

/** What to account besides this process and the machine. */
export interface CpuWatch {
  /** The sandbox child process (its descendants included). */
  sandboxPid?: number;
  /** The local PostgreSQL server's processes. */
  postgres?: boolean;
}

export interface CpuSnapshot {
  /** performance.now() when taken. */
  at: number;
  platform: NodeJS.CpuUsage;
  /** Ticks of the sandbox process tree; undefined when not watched or gone. */
  sandboxTicks?: number;
  /** Ticks of the PostgreSQL processes; undefined when not watched or none is visible. */
  postgresTicks?: number;
  /** Ticks of the whole machine (all cores); undefined off Linux. */
  machine?: { busy: number; idle: number };
}

export interface CpuUsage {
  wallMs: number;
  platformMs: number;
  sandboxMs?: number;
  postgresMs?: number;
  /** Busy CPU time of the whole machine, all cores together. */
  machineMs?: number;
  /** Machine busy time that none of the watched processes account for (other programs, the kernel). */
  otherMs?: number;
  /** Share of the machine's CPU time (all cores) that was idle, 0..100. */
  machineIdlePct?: number;
}

export function snapshot(watch: CpuWatch = {}): CpuSnapshot {
  const at = performance.now();
  const platform = process.cpuUsage();
  const processes = watch.sandboxPid !== undefined || watch.postgres ? readProcesses() : new Map<number, ProcStat>();
  const sandboxTicks = watch.sandboxPid !== undefined ? treeTicks(processes, watch.sandboxPid) : undefined;
  const postgres = watch.postgres ? [...processes.values()].filter((p) => p.comm === 'postgres' || p.comm === 'postmaster') : [];
  const postgresTicks = postgres.length > 0 ? postgres.reduce((sum, p) => sum + p.own + p.reaped, 0) : undefined;
  const machine = readMachine();
  return {
    at, platform,
    ...(sandboxTicks !== undefined ? { sandboxTicks } : {}),
    ...(postgresTicks !== undefined ? { postgresTicks } : {}),
    ...(machine ? { machine } : {}),
  };
}

export function diff(before: CpuSnapshot, after: CpuSnapshot): CpuUsage {
  const ticks = (a: number | undefined, b: number | undefined): number | undefined =>
    (a !== undefined && b !== undefined ? (b - a) * MS_PER_TICK : undefined);
  const platformMs = (after.platform.user - before.platform.user + after.platform.system - before.platform.system) / 1000;
  const sandboxMs = ticks(before.sandboxTicks, after.sandboxTicks);
  const postgresMs = ticks(before.postgresTicks, after.postgresTicks);
  const usage: CpuUsage = {
    wallMs: after.at - before.at, platformMs,
    ...(sandboxMs !== undefined ? { sandboxMs } : {}),
    ...(postgresMs !== undefined ? { postgresMs } : {}),
  };
  if (before.machine && after.machine) {
    const busy = after.machine.busy - before.machine.busy;
    const idle = after.machine.idle - before.machine.idle;
    usage.machineMs = busy * MS_PER_TICK;
    usage.otherMs = usage.machineMs - platformMs - (sandboxMs ?? 0) - (postgresMs ?? 0);
    usage.machineIdlePct = busy + idle > 0 ? (idle / (busy + idle)) * 100 : 0;
  }
  return usage;
}

// ---------------------------------------------------------------------------------------------
// /proc

interface ProcStat {
  comm: string;
  ppid: number;
  /** utime + stime. */
  own: number;
  /** cutime + cstime: children that exited and were waited for. */
  reaped: number;
}

/** Fields of /proc/<pid>/stat; the comm is in parentheses and may itself contain spaces or ')'. */
function parseStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  // After the comm: state (field 3), ppid (4), …, utime (14), stime (15), cutime (16), cstime (17).
  const fields = text.slice(close + 2).split(' ');
  const field = (n: number): number => Number(fields[n - 3]);
  return { comm: text.slice(open + 1, close), ppid: field(4), own: field(14) + field(15), reaped: field(16) + field(17) };
}

function readProcesses(): Map<number, ProcStat> {
  const processes = new Map<number, ProcStat>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return processes;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = parseStat(readFileSync(`/proc/${entry}/stat`, 'utf8'));
      if (stat) processes.set(Number(entry), stat);
    } catch {
      // The process exited while the table was read.
    }
  }
  return processes;
}

/** Ticks of `root` and its live descendants, with the children each of them reaped; undefined when it is gone. */
function treeTicks(processes: Map<number, ProcStat>, root: number): number | undefined {
  if (!processes.has(root)) return undefined;
  const children = new Map<number, number[]>();
  for (const [pid, p] of processes) children.set(p.ppid, [...(children.get(p.ppid) ?? []), pid]);
  let ticks = 0;
  const pending = [root];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    const p = processes.get(pid)!;
    ticks += p.own + p.reaped;
    pending.push(...(children.get(pid) ?? []));
  }
  return ticks;
}

/** busy = user + nice + system + irq + softirq + steal; idle = idle + iowait (guest time is already in user). */
function readMachine(): { busy: number; idle: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1, 9).map(Number) as number[];
    return { busy: user! + nice! + system! + irq! + softirq! + (steal ?? 0), idle: idle! + iowait! };
  } catch {
    return undefined;
  }
}
