/**
 * Statement counts and bytes moved through PGlite during a run: wraps the PGlite client's
 * `query` and `transaction` (what drizzle calls) and groups statements by their text. Bytes
 * are the parameters sent plus the string and binary values of the rows returned — what
 * PGlite's wire protocol serializes and parses in JavaScript on the main thread.
 * Wall time is from the call to the answer, so it includes waiting for PGlite's one connection.
 */
import type { Database } from '../../src/platform/db/index.ts';
import { fmt } from '../support/stats.ts';

interface Stat { count: number; paramBytes: number; resultBytes: number; wallMs: number }

type QueryFn = (query: string, params?: unknown[], options?: unknown) => Promise<{ rows: unknown[] }>;
interface PgliteLike {
  query: QueryFn;
  transaction<T>(callback: (tx: { query: QueryFn }) => Promise<T>): Promise<T>;
}

const sizeOf = (value: unknown): number => {
  if (typeof value === 'string') return value.length;
  if (value instanceof Uint8Array) return value.byteLength;
  return 0;
};

const normalise = (query: string): string => query.replace(/\s+/g, ' ').replace(/\$\d+/g, '?').trim().slice(0, 150);

/** Starts recording; `stop()` restores the client and returns the statements by text. Undefined unless the database is PGlite. */
export function recordPgliteStatements(db: Database): { stop(): Map<string, Stat> } | undefined {
  const client = (db as unknown as { $client?: PgliteLike & { constructor: { name: string } } }).$client;
  if (!client || typeof client.transaction !== 'function' || !('execProtocol' in client)) return undefined;
  const stats = new Map<string, Stat>();
  const wrap = (query: QueryFn): QueryFn => async (text, params, options) => {
    const t0 = performance.now();
    const result = await query(text, params, options);
    const key = normalise(text);
    const stat = stats.get(key) ?? { count: 0, paramBytes: 0, resultBytes: 0, wallMs: 0 };
    stat.count++;
    stat.wallMs += performance.now() - t0;
    for (const p of params ?? []) stat.paramBytes += sizeOf(p);
    for (const row of result.rows) for (const v of Array.isArray(row) ? row : Object.values(row as object)) stat.resultBytes += sizeOf(v);
    stats.set(key, stat);
    return result;
  };
  const originalQuery = client.query;
  const originalTransaction = client.transaction;
  client.query = wrap(originalQuery.bind(client));
  client.transaction = function <T>(callback: (tx: { query: QueryFn }) => Promise<T>): Promise<T> {
    return originalTransaction.call(client, (tx: { query: QueryFn }) => {
      const query = wrap(tx.query.bind(tx));
      return callback(new Proxy(tx, { get: (target, prop, receiver) => (prop === 'query' ? query : Reflect.get(target, prop, receiver)) }));
    }) as Promise<T>;
  };
  return {
    stop() {
      client.query = originalQuery;
      client.transaction = originalTransaction;
      return stats;
    },
  };
}

export function printStatements(stats: Map<string, Stat>, documents: number, limit = 20): void {
  const all = [...stats.values()];
  const total = { count: all.reduce((n, s) => n + s.count, 0), bytes: all.reduce((n, s) => n + s.paramBytes + s.resultBytes, 0) };
  console.log(`\n  PGlite statements: ${fmt(total.count / documents, 1)} per document, ${fmt(total.bytes / documents / 1024, 0)} kB moved per document (parameters + values returned)`);
  console.table([...stats].sort((a, b) => (b[1].paramBytes + b[1].resultBytes) - (a[1].paramBytes + a[1].resultBytes)).slice(0, limit).map(([text, s]) => ({
    statement: text.length > 100 ? `${text.slice(0, 97)}…` : text,
    'per doc': fmt(s.count / documents, 2),
    'kB in/doc': fmt(s.paramBytes / documents / 1024, 1),
    'kB out/doc': fmt(s.resultBytes / documents / 1024, 1),
    'wall ms/call': fmt(s.wallMs / s.count, 2),
  })));
}
