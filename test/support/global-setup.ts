/**
 * Builds one migrated template database for the whole run; each test file clones it
 * (PGlite: from a data dump; PostgreSQL: CREATE DATABASE … TEMPLATE), because creating and
 * migrating a PGlite database costs seconds.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { openDatabase } from '../../src/platform/db/index.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
    postgresTemplate: string;
  }
}

const TEMPLATE_DB = `passerelle_template_${process.pid}`;

export function databaseUrlFor(base: string, name: string): string {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = resolve('.tmp');
  await mkdir(dir, { recursive: true });
  const dumpFile = join(dir, `pglite-template-${process.pid}.tar.gz`);
  const handle = await openDatabase({});
  const client = (handle.db as unknown as { $client: PGlite }).$client;
  const dump = await client.dumpDataDir('gzip');
  await writeFile(dumpFile, Buffer.from(await dump.arrayBuffer()));
  await handle.close();
  project.provide('pgliteTemplate', dumpFile);

  const removeDump = (): Promise<void> => rm(dumpFile, { force: true });

  const base = process.env.TEST_DATABASE_URL;
  if (!base) { project.provide('postgresTemplate', ''); return removeDump; }
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`drop database if exists ${TEMPLATE_DB}`);
  await admin.query(`create database ${TEMPLATE_DB}`);
  const template = await openDatabase({ url: databaseUrlFor(base, TEMPLATE_DB) });
  await template.close();
  project.provide('postgresTemplate', TEMPLATE_DB);
  return async () => {
    const leftovers = await admin.query(`select datname from pg_database where datname like 'passerelle_t_${process.pid}_%'`);
    for (const row of leftovers.rows) await admin.query(`drop database if exists "${row.datname}" with (force)`);
    await admin.query(`drop database if exists ${TEMPLATE_DB} with (force)`);
    await admin.end();
    await removeDump();
  };
}
