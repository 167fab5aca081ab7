/** `passerelle start`, `passerelle sandbox`: run the platform (and the national sandboxes). */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { startApp, startSandboxes } from '../app.ts';
import { openDatabase } from '../platform/db/index.ts';
import { seedDemoIdentities } from '../identity/index.ts';
import { ensureTestPki } from '../platform/pki/index.ts';
import { loadConfig } from '../platform/config.ts';
import { createLogger } from '../platform/logging.ts';

/** Stops on SIGINT/SIGTERM, finishing in-flight work first; a second signal forces exit. */
function stopOnSignals(stop: () => Promise<void>): void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) process.exit(130);
    signalled = true;
    console.error(`\n${signal} reçu : arrêt en cours (travaux en cours terminés)…`);
    stop().then(() => process.exit(0), (error) => { console.error(error); process.exit(1); });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

export function registerServerCommands(program: Command): void {
  program.command('start')
    .description('Start the platform: HTTP API (/docs), MLLP listener, outbox workers, and the national sandboxes')
    .option('--no-sandbox', 'do not start the national sandboxes in this process')
    .option('--demo-data', 'enter the demo identities (public INSi test identities) into an empty referential')
    .action(async (options: { sandbox: boolean; demoData?: boolean }) => {
      const config = loadConfig(process.env, { 'sandbox.enabled': options.sandbox });
      const logger = createLogger(config.logLevel);
      const app = await startApp({ config, logger });
      stopOnSignals(app.stop);
      if (options.demoData) {
        const seeded = await seedDemoIdentities(app.identities);
        if (seeded > 0) logger.info({ identities: seeded }, 'demo identities entered');
      }
      console.error(`Passerelle prête : API http://${config.http.host}:${app.ports.http} (documentation /docs), MLLP ${config.mllp.host}:${app.ports.mllp}`);
    });
}

export function registerSandboxCommand(program: Command): void {
  program.command('sandbox')
    .description('Run only the national sandboxes (INSi, Annuaire Santé, DMP, MSSanté) on loopback, with client-certificate TLS')
    .action(async () => {
      const config = loadConfig();
      const logger = createLogger(config.logLevel);
      const dataDir = resolve(config.dataDir);
      const pki = await ensureTestPki(dataDir);
      // The DMP sandbox keeps its registry in the platform's database.
      const database = await openDatabase(config.databaseUrl ? { url: config.databaseUrl } : { dataDir });
      const sandboxes = await startSandboxes(config, pki, logger, database);
      console.log(`Client certificates of the test PKI: ${pki.dir}`);
      console.log(`INSi sandbox: ${sandboxes.insi.url}`);
      console.log(`Annuaire Santé sandbox: ${sandboxes.annuaire.url}`);
      console.log(`DMP sandbox: ${sandboxes.dmp.url}`);
      console.log(`MSSanté operator sandbox: SMTPS 127.0.0.1:${sandboxes.mssante.smtpPort}, IMAPS 127.0.0.1:${sandboxes.mssante.imapPort}`);
      stopOnSignals(async () => { await sandboxes.stop(); await database.close(); });
    });
}
