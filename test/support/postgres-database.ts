/**
 * A database of its own on the test PostgreSQL server (TEST_DATABASE_URL), cloned from the
 * migrated template of the run, for tests whose processes open it by URL (crash tests). The
 * returned `drop` removes it. Undefined when the tests run on PGlite.
 */
import pg from 'pg';
import { inject } from 'vitest';

export async function ownPostgresDatabase(suffix: string): Promise<{ url: string; drop: () => Promise<void> } | undefined> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) return undefined;
  const name = `passerelle_t_${process.pid}_${suffix}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.query(`create database ${name} template ${inject('postgresTemplate')}`);
      break;
    } catch (error) {
      // Another file cloning the template at the same moment: "source database is being accessed by other users".
      if (attempt > 50) throw error;
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => { await admin.query(`drop database if exists ${name} with (force)`); await admin.end(); },
  };
}
