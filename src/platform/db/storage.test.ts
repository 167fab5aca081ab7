import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { openTestDatabase } from '../../../test/support/database.ts';
import type { DatabaseHandle } from './index.ts';

let handle: DatabaseHandle;
beforeAll(async () => { handle = await openTestDatabase(); });
afterAll(async () => { await handle.close(); });

describe('storage of document bytes', () => {
  it('keeps PDF, CDA and raw mail out of line without compression (pglz cannot shrink them and costs CPU)', async () => {
    const result = await handle.db.execute(sql`
      select c.relname as "table", a.attname as "column", a.attstorage as storage
      from pg_attribute a join pg_class c on c.oid = a.attrelid
      where c.relname in ('documents', 'outgoing_documents', 'received_documents', 'dmp_sandbox_documents', 'received_messages')
        and a.attname in ('pdf', 'cda', 'content', 'raw') and a.attnum > 0 and not a.attisdropped
      order by 1, 2`);
    const rows = (result as unknown as { rows: Array<{ table: string; column: string; storage: string }> }).rows;
    expect(rows.map((r) => `${r.table}.${r.column}`)).toEqual([
      'dmp_sandbox_documents.content', 'documents.cda', 'documents.pdf', 'outgoing_documents.cda', 'outgoing_documents.pdf',
      'received_documents.cda', 'received_documents.pdf', 'received_messages.raw',
    ]);
    expect(rows.every((r) => r.storage === 'e')).toBe(true);
  });
});
