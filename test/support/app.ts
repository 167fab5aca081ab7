/**
 * The whole platform for an integration test: a cloned test database, a temporary data
 * directory (test PKI), every listener on an ephemeral loopback port, the INSi sandbox.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { silentLogger } from '../../src/platform/logging.ts';
import { openTestDatabase } from './database.ts';

export interface TestApp extends App {
  /** Base URL of the HTTP API. */
  url: string;
}

/** `overrides`: dotted config paths, e.g. `{ 'pam.subscribers': [{ name: 'DPI', port: 1234 }] }`. */
export async function startTestApp(overrides: Record<string, unknown> = {}): Promise<TestApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'passerelle-app-'));
  const config = loadConfig({}, {
    dataDir, 'http.port': 0, 'mllp.port': 0, 'sandbox.insiPort': 0, 'sandbox.annuairePort': 0, 'sandbox.dmpPort': 0, 'sandbox.smtpPort': 0, 'sandbox.imapPort': 0, logLevel: 'silent', ...overrides,
  });
  const database = await openTestDatabase();
  const app = await startApp({ config, logger: silentLogger, database });
  return {
    ...app,
    url: `http://127.0.0.1:${app.ports.http}`,
    stop: async () => {
      await app.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
