/**
 * The national sandboxes in a child Node process (`passerelle sandbox`), as the national
 * services are remote in production: the platform under test no longer shares its thread
 * with them.
 *
 * The child listens on ephemeral loopback ports and prints its endpoints once every sandbox is
 * listening; they are parsed from its standard output. It uses the test PKI of the platform's
 * data directory (created beforehand by the caller), so each side trusts the other's
 * certificates. Its own data directory holds the MSSanté maildirs and, without a PostgreSQL
 * URL, its own PGlite database (migrated when opened: the DMP registry tables come with the
 * platform's migrations), since PGlite cannot be shared between processes. With a URL the DMP
 * registry lives in that database, as when the sandboxes run inside the platform.
 *
 * Stopping sends SIGTERM (the command finishes in-flight work and exits), then SIGKILL after a
 * timeout; the child is also killed if this process exits first.
 *
 * BENCH_SANDBOX_CPU_PROF=<dir> runs the child under `node --cpu-prof`: a V8 CPU profile of its
 * main thread is written to <dir> when it exits on SIGTERM (not when killed), for
 * bench/exchange/profile.ts `summarizeProfile`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url));

export interface SandboxEndpoints {
  insi: string;
  annuaire: string;
  dmp: string;
  smtpPort: number;
  imapPort: number;
}

export interface SandboxProcess {
  pid: number;
  endpoints: SandboxEndpoints;
  /** Seconds from the spawn until every sandbox listened. */
  startup: number;
  /** Configuration overrides (dotted paths) that point the platform at this process. */
  platformSettings(): Record<string, unknown>;
  /** Set once the child exited (unexpectedly, unless `stop` was called). */
  exited(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  stop(): Promise<void>;
}

export interface SandboxProcessOptions {
  /** The platform's data directory: its `pki` directory is shared with the child. */
  platformDataDir: string;
  /** The child's own data directory (created; `pki` links to the platform's). */
  dataDir: string;
  /** PostgreSQL URL of the DMP registry; absent → PGlite in `dataDir`. */
  databaseUrl?: string;
  startTimeoutMs?: number;
  stopTimeoutMs?: number;
}

/** The last `limit` characters written on a stream, for diagnostics. */
function tail(limit = 8_000): { add(chunk: string): void; text(): string } {
  let kept = '';
  return {
    add(chunk) { kept = (kept + chunk).slice(-limit); },
    text: () => kept.trim(),
  };
}

const PATTERNS = {
  insi: /^INSi sandbox: (\S+)/m,
  annuaire: /^Annuaire Santé sandbox: (\S+)/m,
  dmp: /^DMP sandbox: (\S+)/m,
  mssante: /^MSSanté operator sandbox: SMTPS [\d.]+:(\d+), IMAPS [\d.]+:(\d+)/m,
};

function parseEndpoints(stdout: string): SandboxEndpoints | undefined {
  const insi = PATTERNS.insi.exec(stdout)?.[1];
  const annuaire = PATTERNS.annuaire.exec(stdout)?.[1];
  const dmp = PATTERNS.dmp.exec(stdout)?.[1];
  const mssante = PATTERNS.mssante.exec(stdout);
  if (!insi || !annuaire || !dmp || !mssante) return undefined;
  return { insi, annuaire, dmp, smtpPort: Number(mssante[1]), imapPort: Number(mssante[2]) };
}

/** Environment of the child: this one without Passerelle settings, then the child's own. */
function childEnv(options: SandboxProcessOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('PASSERELLE_') && name !== 'DATABASE_URL') env[name] = value;
  }
  return {
    ...env,
    ...(process.env.PASSERELLE_CONFIG ? { PASSERELLE_CONFIG: process.env.PASSERELLE_CONFIG } : {}),
    PASSERELLE_DATA_DIR: options.dataDir,
    PASSERELLE_LOG_LEVEL: 'warn',
    PASSERELLE_SANDBOX_INSI_PORT: '0',
    PASSERELLE_SANDBOX_ANNUAIRE_PORT: '0',
    PASSERELLE_SANDBOX_DMP_PORT: '0',
    PASSERELLE_SANDBOX_SMTP_PORT: '0',
    PASSERELLE_SANDBOX_IMAP_PORT: '0',
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
  };
}

/** Starts `passerelle sandbox` in a child process and waits until every sandbox listens. */
export async function startSandboxProcess(options: SandboxProcessOptions): Promise<SandboxProcess> {
  await mkdir(options.dataDir, { recursive: true });
  await symlink(path.join(options.platformDataDir, 'pki'), path.join(options.dataDir, 'pki'), 'dir');

  const t0 = performance.now();
  // Opt-in CPU profile of the child (BENCH_SANDBOX_CPU_PROF=<dir>): node writes a .cpuprofile there when it exits.
  const profileDir = process.env.BENCH_SANDBOX_CPU_PROF;
  const profileFlags = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profileDir)}`] : [];
  const child: ChildProcess = spawn(process.execPath, [...profileFlags, '--import', 'tsx', 'src/main.ts', 'sandbox'], {
    cwd: REPOSITORY, env: childEnv(options), stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout = tail();
  const stderr = tail();
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => stdout.add(chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => stderr.add(chunk));
  let exit: { code: number | null; signal: NodeJS.Signals | null; error?: string } | undefined;
  let started = false;
  let stopping = false;
  const exited = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      if (started && !stopping) {
        console.log(`\n  the sandbox process ${child.pid} exited (${signal ?? `code ${code}`}) while the bench ran${stderr.text() ? `; its stderr:\n${stderr.text()}` : ''}`);
      }
      resolve();
    });
    // Not started at all (no exit event follows).
    child.on('error', (error) => { exit ??= { code: null, signal: null, error: error.message }; resolve(); });
  });
  // Never leave the child behind, whatever way this process ends.
  const killOnExit = (): void => { child.kill('SIGKILL'); };
  process.on('exit', killOnExit);

  const stop = async (): Promise<void> => {
    stopping = true;
    process.off('exit', killOnExit);
    if (exit) return;
    child.kill('SIGTERM');
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), options.stopTimeoutMs ?? 10_000).unref());
    if (await Promise.race([exited.then(() => 'exited' as const), timeout]) === 'timeout') {
      console.log(`  the sandbox process ${child.pid} did not stop on SIGTERM: killed`);
      child.kill('SIGKILL');
      await exited;
    }
  };

  const startTimeoutMs = options.startTimeoutMs ?? 120_000;
  const endpoints = await new Promise<SandboxEndpoints>((resolve, reject) => {
    const done = (): void => { clearTimeout(timer); child.stdout!.off('data', check); };
    const fail = (reason: string): void => {
      done();
      reject(new Error(`sandbox process ${reason}${stderr.text() ? `; its stderr:\n${stderr.text()}` : ''}${stdout.text() ? `\nits stdout:\n${stdout.text()}` : ''}`));
    };
    const timer = setTimeout(() => fail(`not listening after ${startTimeoutMs / 1000} s`), startTimeoutMs);
    const check = (): void => {
      const parsed = parseEndpoints(stdout.text());
      if (!parsed) return;
      done();
      started = true;
      resolve(parsed);
    };
    child.stdout!.on('data', check);
    void exited.then(() => {
      if (!started) fail(exit?.error ? `could not be started: ${exit.error}` : `exited during startup (${exit?.signal ?? `code ${exit?.code}`})`);
    });
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });

  return {
    pid: child.pid!,
    endpoints,
    startup: (performance.now() - t0) / 1000,
    platformSettings: () => ({
      'sandbox.enabled': false,
      'insi.endpoint': endpoints.insi,
      'annuaire.endpoint': endpoints.annuaire,
      'dmp.endpoint': endpoints.dmp,
      'mssante.smtp.port': endpoints.smtpPort,
      'mssante.imap.port': endpoints.imapPort,
    }),
    exited: () => exit,
    stop,
  };
}
