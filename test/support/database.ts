/**
 * A fresh, migrated database for one test file: PostgreSQL when TEST_DATABASE_URL is set,
 * PGlite otherwise — the same code path the platform uses.
 */
import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import pg from 'pg';
import { openDatabase, type DatabaseHandle } from '../../src/platform/db/index.ts';

function withDatabase(base: string, name: string): string {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function openTestDatabase(): Promise<DatabaseHandle> {
  const base = process.env.TEST_DATABASE_URL;
  const template = inject('postgresTemplate');
  if (base && template) {
    const name = `passerelle_t_${template.replace('passerelle_template_', '')}_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.query(`create database ${name} template ${template}`);
        break;
      } catch (error) {
        // Two files cloning the template at once: "source database is being accessed by other users".
        if (attempt > 50) throw error;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    }
    await admin.end();
    const handle = await openDatabase({ url: withDatabase(base, name), migrate: false });
    return {
      ...handle,
      close: async () => {
        await handle.close();
        const dropper = new pg.Client({ connectionString: base });
        await dropper.connect();
        await dropper.query(`drop database if exists ${name} with (force)`);
        await dropper.end();
      },
    };
  }
  const dump = await readFile(inject('pgliteTemplate'));
  return openDatabase({ loadDataDir: new Blob([dump]), migrate: false });
}
