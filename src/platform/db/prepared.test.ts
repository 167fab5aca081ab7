import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { PreparingClient, statementName } from './prepared.ts';

describe('prepared statements', () => {
  it('names a statement from its second use on, always with the same name, one name per text', () => {
    const text = `select ${Math.random()} where $1::int = 1`;
    expect(statementName(text)).toBeUndefined();
    const name = statementName(text);
    expect(name).toMatch(/^p_[0-9a-f]{20}$/);
    expect(statementName(text)).toBe(name);
    const other = `select ${Math.random()} where $1::int = 1`;
    statementName(other);
    expect(statementName(other)).not.toBe(name);
  });

  // Against PostgreSQL itself (the run on TEST_DATABASE_URL; PGlite has no pool of clients).
  it.runIf(process.env.TEST_DATABASE_URL)('prepares a repeated parameterised statement once per connection, and leaves others alone', async () => {
    const client: pg.Client = new PreparingClient({ connectionString: process.env.TEST_DATABASE_URL });
    await client.connect();
    try {
      const text = `select $1::int + ${Math.floor(Math.random() * 1e9)} as n`;
      for (let i = 0; i < 5; i++) expect((await client.query(text, [i])).rows[0].n).toBeGreaterThanOrEqual(i);
      for (let i = 0; i < 3; i++) await client.query({ text, values: [i], rowMode: 'array' });
      await client.query('select 1');
      const prepared = (await client.query('select name, statement from pg_prepared_statements')).rows as Array<{ name: string; statement: string }>;
      expect(prepared).toEqual([{ name: statementName(text), statement: text }]);
    } finally {
      await client.end();
    }
  });

  it.runIf(process.env.TEST_DATABASE_URL)('prepares again a statement whose first preparation failed (in an aborted transaction)', async () => {
    const client: pg.Client = new PreparingClient({ connectionString: process.env.TEST_DATABASE_URL });
    await client.connect();
    try {
      const text = `select $1::int - ${Math.floor(Math.random() * 1e9)} as n`;
      await client.query(text, [1]); // first use: not named yet
      await client.query('begin');
      await expect(client.query('select 1/0')).rejects.toThrow();
      await expect(client.query(text, [2])).rejects.toThrow(/aborted/); // named now, but its Parse fails
      await client.query('rollback');
      expect((await client.query(text, [3])).rows).toHaveLength(1);
      expect((await client.query('select name from pg_prepared_statements')).rows).toEqual([{ name: statementName(text) }]);
    } finally {
      await client.end();
    }
  });

  it('is a pg.Client', () => {
    expect(new PreparingClient({})).toBeInstanceOf(pg.Client);
  });

  // Last: it uses up the names of this process.
  it('names at most a bounded number of texts, so that ever-changing texts cannot fill the server', () => {
    let named = 0;
    for (let i = 0; i < 3_000; i++) {
      const text = `select ${i} where $1::int = 1 /* ${Math.random()} */`;
      statementName(text);
      if (statementName(text) !== undefined) named++;
    }
    expect(named).toBeLessThanOrEqual(1_000);
  });
});
