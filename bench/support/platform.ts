/**
 * The whole platform for an end-to-end bench: in this process, on PGlite in a temporary data
 * directory or on PostgreSQL (BENCH_DATABASE_URL: a database of the bench's own is created on
 * that server and dropped afterwards; the database in the URL is only used to connect), every
 * listener and sandbox on an ephemeral loopback port.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startApp, type App } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/platform/config.ts';
import { silentLogger } from '../../src/platform/logging.ts';

export type DatabaseKind = 'pglite' | 'postgres';

export interface BenchPlatform {
  app: App;
  config: Config;
  /** "PGlite (embedded, …)" or "PostgreSQL (host, database …)". */
  where: string;
  /** Seconds to open (and migrate) the database and start everything. */
  startup: number;
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
 * `database` names the bench's own PostgreSQL database; `overrides` are dotted config paths.
 */
export async function withBenchPlatform(kind: DatabaseKind, database: string, overrides: Record<string, unknown>, bench: (platform: BenchPlatform) => Promise<void>): Promise<void> {
  const base = process.env.BENCH_DATABASE_URL;
  if (kind === 'postgres' && !base) throw new Error('BENCH_DATABASE_URL is needed for the PostgreSQL run');
  const dataDir = await mkdtemp(path.join(tmpdir(), 'passerelle-bench-'));
  let app: App | undefined;
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
    const config = loadConfig({}, settings);
    const t0 = performance.now();
    app = await startApp({ config, logger: silentLogger });
    const startup = (performance.now() - t0) / 1000;
    const where = kind === 'postgres' ? `PostgreSQL (${new URL(base!).host}, database ${database})` : `PGlite (embedded, ${dataDir})`;
    await bench({ app, config, where, startup });
  } finally {
    await app?.stop();
    await rm(dataDir, { recursive: true, force: true });
    if (kind === 'postgres') {
      await adminQuery(base!, `drop database if exists ${database} with (force)`).catch((error: Error) => console.log(`  could not drop ${database}: ${error.message}`));
    }
  }
}
