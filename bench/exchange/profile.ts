/**
 * Summary of a V8 CPU profile (the `.cpuprofile` of the inspector's Profiler domain, also what
 * `node --cpu-prof` writes): where the main thread's time went, by module (a file of ours
 * grouped by folder, or an npm package) and by function, as self time (the function itself)
 * and inclusive time (the function and everything it called synchronously; counted once per
 * sample). WebAssembly frames (PGlite's PostgreSQL, libxml2) are attributed to the nearest
 * JavaScript module calling them, marked `[wasm]`.
 *
 * Async code resumes on a short stack (the awaiting function, not its callers), so inclusive
 * times of async functions cover only their synchronous stretches.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt } from '../support/stats.ts';

export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const ROOT = path.resolve(fileURLToPath(new URL('../../', import.meta.url)));
const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

/** npm package, or our file's folder (src/formats/pdf), or node:…, or the special V8 entries. */
function moduleOf(url: string, functionName: string): { module: string; file: string } {
  if (SPECIAL.has(functionName) && url === '') return { module: functionName, file: functionName };
  if (url.startsWith('node:')) return { module: url.split('/')[0]!, file: url };
  if (url === '') return { module: '(native)', file: '(native)' };
  let file = url;
  try {
    if (url.startsWith('file:')) file = fileURLToPath(url);
  } catch { /* keep the url */ }
  const nm = file.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = file.slice(nm + '/node_modules/'.length).split('/');
    const pkg = parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
    return { module: pkg, file: `${pkg}/${parts.slice(pkg.includes('/') ? 2 : 1).join('/')}` };
  }
  if (file.startsWith(ROOT + path.sep)) {
    const relative = path.relative(ROOT, file);
    const parts = relative.split(path.sep);
    const folder = parts.length > 3 ? parts.slice(0, 3).join('/') : parts.slice(0, -1).join('/');
    return { module: folder || relative, file: relative };
  }
  return { module: file, file };
}

interface Frame {
  key: string;
  label: string;
  module: string;
  ours: boolean;
  sandbox: boolean;
}

const isSandboxFile = (file: string): boolean => /^src\/national\/[^/]+\/sandbox/.test(file) || file.startsWith('smtp-server/');

export function summarizeProfile(profile: CpuProfile, documents: number): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  // One frame per node; wasm frames take the module of the nearest JavaScript ancestor.
  const frames = new Map<number, Frame>();
  const frameOf = (id: number): Frame => {
    const known = frames.get(id);
    if (known) return known;
    const { callFrame } = byId.get(id)!;
    let frame: Frame;
    if (callFrame.url.startsWith('wasm://')) {
      const up = parent.get(id);
      const caller = up !== undefined ? frameOf(up) : undefined;
      const module = `${(caller?.module ?? 'wasm').replace(/ \[wasm\]$/, '')} [wasm]`;
      frame = { key: `${module}|${callFrame.functionName}`, label: `${callFrame.functionName || '(wasm)'} (${module})`, module, ours: false, sandbox: caller?.sandbox ?? false };
    } else {
      const { module, file } = moduleOf(callFrame.url, callFrame.functionName);
      // tsx compiles our files without keeping lines: their line numbers are meaningless, so only the file is named.
      const where = file.startsWith('src/') || file.startsWith('bench/') ? file : `${file}:${callFrame.lineNumber + 1}`;
      const label = SPECIAL.has(callFrame.functionName) ? callFrame.functionName : `${callFrame.functionName || '(anonymous)'} ${where}`;
      frame = { key: label, label, module, ours: file.startsWith('src/'), sandbox: isSandboxFile(file) };
    }
    frames.set(id, frame);
    return frame;
  };

  const selfByFunction = new Map<string, number>();
  const selfByModule = new Map<string, number>();
  const inclusiveByModule = new Map<string, number>();
  const inclusiveOurs = new Map<string, number>();
  let total = 0;
  let idle = 0;
  let sandbox = 0;
  const add = (map: Map<string, number>, key: string, value: number): void => { map.set(key, (map.get(key) ?? 0) + value); };

  for (let i = 0; i < profile.samples.length; i++) {
    const duration = (profile.timeDeltas[i + 1] ?? 0) / 1000; // µs until the next sample → ms
    const leaf = frameOf(profile.samples[i]!);
    if (leaf.module === '(idle)') { idle += duration; continue; }
    total += duration;
    add(selfByFunction, leaf.label, duration);
    add(selfByModule, leaf.module, duration);
    const modules = new Set<string>();
    const ours = new Set<string>();
    let inSandbox = false;
    for (let id: number | undefined = profile.samples[i]; id !== undefined; id = parent.get(id)) {
      const f = frameOf(id);
      if (f.module === '(root)') continue;
      modules.add(f.module);
      if (f.ours) ours.add(f.label);
      inSandbox ||= f.sandbox;
    }
    for (const m of modules) add(inclusiveByModule, m, duration);
    for (const f of ours) add(inclusiveOurs, f, duration);
    if (inSandbox) sandbox += duration;
  }

  const wall = (profile.endTime - profile.startTime) / 1000;
  console.log(`  main thread: ${fmt(wall / 1000, 1)} s profiled, busy ${fmt(total / 1000, 1)} s (${fmt((100 * total) / wall, 0)} %), idle ${fmt((100 * idle) / wall, 0)} %;`
    + ` ${fmt(documents)} documents → ${fmt(total / documents, 2)} ms of main-thread CPU per document`);
  console.log(`  samples whose stack is in a sandbox (src/national/*/sandbox*, smtp-server): ${fmt((100 * sandbox) / total, 0)} % of busy time`
    + ' (a lower bound: async continuations of the sandboxes run on short stacks)');
  const table = (title: string, map: Map<string, number>, limit: number, column: string): void => {
    console.log(`\n  ${title}`);
    console.table([...map].sort((a, b) => b[1] - a[1]).slice(0, limit).map(([name, value]) => ({
      [column]: name.length > 110 ? `${name.slice(0, 107)}…` : name, ms: fmt(value, 0), '% busy': fmt((100 * value) / total, 1), 'ms/doc': fmt(value / documents, 3),
    })));
  };
  table('self time by module (our folders, npm packages, V8)', selfByModule, 25, 'module');
  table('self time by function', selfByFunction, 30, 'function');
  table('inclusive time by module (time with the module anywhere on the stack)', inclusiveByModule, 25, 'module');
  table('inclusive time of our functions (src/)', inclusiveOurs, 35, 'function');
}
