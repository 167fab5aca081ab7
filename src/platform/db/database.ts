/**
 * The database: PostgreSQL when a URL is configured, the embedded PGlite otherwise — one
 * drizzle code path and one set of SQL migrations for both.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { PreparingClient } from './prepared.ts';

export type Database = PgDatabase<PgQueryResultHKT>;
export type Transaction = PgTransaction<PgQueryResultHKT>;
/** Anything that runs queries: the database itself or an open transaction. */
export type Executor = Database | Transaction;

export const MIGRATIONS_DIR = new URL('./migrations', import.meta.url).pathname;

export interface DatabaseHandle {
  db: Database;
  kind: 'pglite' | 'postgres';
  /** Subscribes to NOTIFY on a channel; returns the unsubscribe function. */
  listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** PostgreSQL URL; absent → PGlite. */
  url?: string;
  /** PGlite data directory (`<dataDir>/pglite`); absent with no url → in-memory. */
  dataDir?: string;
  /** A PGlite data dump to start from (tests clone a migrated template this way). */
  loadDataDir?: Blob | File;
  /** Apply pending migrations (default true). */
  migrate?: boolean;
}

export async function openDatabase(options: OpenOptions): Promise<DatabaseHandle> {
  const handle = options.url ? await openPostgres(options.url) : await openPglite(options);
  if (options.migrate !== false) await migrateDatabase(handle);
  return handle;
}

async function openPglite(options: OpenOptions): Promise<DatabaseHandle> {
  let dataDir: string | undefined;
  if (options.dataDir) {
    dataDir = join(options.dataDir, 'pglite');
    await mkdir(dataDir, { recursive: true });
  }
  const client = await PGlite.create(dataDir, options.loadDataDir ? { loadDataDir: options.loadDataDir } : {});
  const db = drizzlePglite(client) as unknown as Database;
  return {
    db,
    kind: 'pglite',
    listen: async (channel, onNotify) => {
      const unsubscribe = await client.listen(channel, () => onNotify());
      return async () => unsubscribe();
    },
    close: () => client.close(),
  };
}

async function openPostgres(url: string): Promise<DatabaseHandle> {
  // Hot statements prepared on the server (prepared.ts).
  const pool = new pg.Pool({ connectionString: url, max: 10, Client: PreparingClient });
  pool.on('error', () => { /* idle client errors are retried by the pool */ });
  const db = drizzlePg(pool) as unknown as Database;
  return {
    db,
    kind: 'postgres',
    listen: async (channel, onNotify) => {
      const client = new pg.Client({ connectionString: url });
      client.on('error', () => { /* polling keeps working without notifications */ });
      await client.connect();
      client.on('notification', (n) => { if (n.channel === channel) onNotify(); });
      await client.query(`LISTEN "${channel.replace(/"/g, '')}"`);
      return async () => { await client.end().catch(() => undefined); };
    },
    close: () => pool.end(),
  };
}

export async function migrateDatabase(handle: DatabaseHandle): Promise<void> {
  const config = { migrationsFolder: MIGRATIONS_DIR };
  if (handle.kind === 'pglite') await migratePglite(handle.db as never, config);
  else await migratePg(handle.db as never, config);
}

/** Readiness probe: one round trip to the database. */
export async function ping(db: Database): Promise<void> {
  await db.execute(sql`select 1`);
}
