/**
 * The whole platform for an end-to-end bench: in this process, on PGlite in a temporary data
 * directory or on PostgreSQL (BENCH_DATABASE_URL: a database of the bench's own is created on
 * that server and dropped afterwards; the database in the URL is only used to connect), every
 * listener and sandbox on an ephemeral loopback port.
 *
 * The national sandboxes run inside the platform's process (`inline`, the default), or in a
 * child process (`process`, sandbox-process.ts) that shares the platform's test PKI and, on
 * PostgreSQL, its database; on PGlite the child has a database of its own.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startApp, type App } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/platform/config.ts';
import { silentLogger } from '../../src/platform/logging.ts';
import { ensureTestPki } from '../../src/platform/pki/index.ts';
import { startSandboxProcess, type SandboxProcess } from './sandbox-process.ts';

export type DatabaseKind = 'pglite' | 'postgres';
/** Where the national sandboxes run: in the platform's process or in a child process. */
export type SandboxPlacement = 'inline' | 'process';

export interface BenchPlatformOptions {
  sandboxes?: SandboxPlacement;
}

export interface BenchPlatform {
  app: App;
  config: Config;
  /** "PGlite (embedded, …)" or "PostgreSQL (host, database …)". */
  where: string;
  /** Seconds to open (and migrate) the database and start the platform (and inline sandboxes). */
  startup: number;
  /** The sandboxes' child process, when they run in one. */
  sandboxProcess?: SandboxProcess;
}

async function adminQuery(base: string, statement: string): Promise<void> {
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(statement);
  } finally {
    await admin.end();
  }
}

/**
 * Runs `bench` on a platform started on `kind`, then stops it and removes what it created.
 * `database` names the bench's own PostgreSQL database; `overrides` are dotted config paths
 * (with the sandboxes in a child process none may be under `sandbox.`: they would not reach it).
 */
export async function withBenchPlatform(kind: DatabaseKind, database: string, overrides: Record<string, unknown>, bench: (platform: BenchPlatform) => Promise<void>,
  options: BenchPlatformOptions = {}): Promise<void> {
  const base = process.env.BENCH_DATABASE_URL;
  if (kind === 'postgres' && !base) throw new Error('BENCH_DATABASE_URL is needed for the PostgreSQL run');
  const placement = options.sandboxes ?? 'inline';
  if (placement === 'process' && Object.keys(overrides).some((key) => key.startsWith('sandbox.'))) {
    throw new Error('sandbox.* overrides are not passed to a sandbox process');
  }
  const dataDir = await mkdtemp(path.join(tmpdir(), 'passerelle-bench-'));
  let app: App | undefined;
  let sandboxProcess: SandboxProcess | undefined;
  try {
    const settings: Record<string, unknown> = {
      dataDir, logLevel: 'silent', 'http.port': 0, 'mllp.port': 0,
      'sandbox.insiPort': 0, 'sandbox.annuairePort': 0, 'sandbox.dmpPort': 0, 'sandbox.smtpPort': 0, 'sandbox.imapPort': 0,
      ...overrides,
    };
    if (kind === 'postgres') {
      await adminQuery(base!, `drop database if exists ${database} with (force)`);
      await adminQuery(base!, `create database ${database}`);
      const url = new URL(base!);
      url.pathname = `/${database}`;
      settings.databaseUrl = url.toString();
    }
    if (placement === 'process') {
      // The PKI first, so that both processes load the same one; the child migrates the
      // PostgreSQL database before the platform opens it.
      await ensureTestPki(dataDir);
      sandboxProcess = await startSandboxProcess({
        platformDataDir: dataDir, dataDir: path.join(dataDir, 'sandbox-process'),
        ...(typeof settings.databaseUrl === 'string' ? { databaseUrl: settings.databaseUrl } : {}),
      });
      Object.assign(settings, sandboxProcess.platformSettings());
    }
    const config = loadConfig({}, settings);
    const t0 = performance.now();
    app = await startApp({ config, logger: silentLogger });
    const startup = (performance.now() - t0) / 1000;
    const where = kind === 'postgres' ? `PostgreSQL (${new URL(base!).host}, database ${database})` : `PGlite (embedded, ${dataDir})`;
    await bench({ app, config, where, startup, ...(sandboxProcess ? { sandboxProcess } : {}) });
  } finally {
    await app?.stop();
    await sandboxProcess?.stop();
    await rm(dataDir, { recursive: true, force: true });
    if (kind === 'postgres') {
      await adminQuery(base!, `drop database if exists ${database} with (force)`).catch((error: Error) => console.log(`  could not drop ${database}: ${error.message}`));
    }
  }
}
