/**
 * The composition root: builds the platform from its configuration — database, test PKI,
 * sandboxes, HTTP API, MLLP listener, outbox workers — and stops it gracefully.
 */
import { resolve } from 'node:path';
import type { Config } from './platform/config.ts';
import { openDatabase, ping, type DatabaseHandle } from './platform/db/index.ts';
import { createHttpServer, type HttpServer } from './platform/http/index.ts';
import type { Logger } from './platform/logging.ts';
import { ensureTestPki, type TestPki } from './platform/pki/index.ts';

export const VERSION = '0.1.0';

export interface App {
  config: Config;
  database: DatabaseHandle;
  pki: TestPki;
  http: HttpServer;
  /** Addresses actually bound (ports may be 0 in tests). */
  addresses: { http: string };
  stop(): Promise<void>;
}

export interface StartOptions {
  config: Config;
  logger: Logger;
}

export async function startApp({ config, logger }: StartOptions): Promise<App> {
  const dataDir = resolve(config.dataDir);
  const pki = await ensureTestPki(dataDir);
  const database = await openDatabase(config.databaseUrl ? { url: config.databaseUrl } : { dataDir });
  logger.info({ database: database.kind }, 'database ready');

  const stops: Array<() => Promise<void>> = [];
  const http = await createHttpServer({ logger, version: VERSION, ready: () => ping(database.db) });
  await http.listen({ host: config.http.host, port: config.http.port });
  const httpAddress = http.addresses()[0];
  const addresses = { http: `http://${httpAddress?.address}:${httpAddress?.port}` };
  logger.info(addresses, 'platform listening');

  let stopping: Promise<void> | undefined;
  return {
    config, database, pki, http, addresses,
    stop: () => stopping ??= (async () => {
      await http.close();
      for (const stop of stops.reverse()) await stop();
      await database.close();
    })(),
  };
}
