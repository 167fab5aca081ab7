/**
 * The composition root: builds the platform from its configuration — database, test PKI,
 * national sandboxes, INSi client, identity referential, HL7 inbox and MLLP listener, PAM
 * feed workers, HTTP API — and stops it gracefully (in-flight work finishes first).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { registerDocumentRoutes, registerIdentityRoutes, registerOperationsRoutes } from './api/index.ts';
import { createIdentityService, createPamFeedSender, createPamIdentityHandler, ITI30_EVENTS, PAM_FEED_QUEUE, type IdentityService } from './identity/index.ts';
import { createDocumentService, createPamMovementHandler, type DocumentService } from './record/index.ts';
import { createAnnuaireClient, startAnnuaireSandbox, type AnnuaireClient, type AnnuaireSandbox } from './national/annuaire/index.ts';
import { createInsiClient, startInsiSandbox, type InsiClient, type InsiSandbox } from './national/insi/index.ts';
import type { Config } from './platform/config.ts';
import { openDatabase, ping, type DatabaseHandle, type Executor } from './platform/db/index.ts';
import { createInbox, encodeHl7, type Inbox } from './platform/hl7-inbox/index.ts';
import { createHttpServer, type HttpServer } from './platform/http/index.ts';
import { startWorker, type Worker } from './platform/jobs/index.ts';
import type { Logger } from './platform/logging.ts';
import { createMllpServer, type MllpServer } from './platform/mllp/index.ts';
import { ensureTestPki, type TestPki } from './platform/pki/index.ts';

export const VERSION = '0.1.0';

export interface App {
  config: Config;
  database: DatabaseHandle;
  pki: TestPki;
  http: HttpServer;
  identities: IdentityService;
  documents: DocumentService;
  inbox: Inbox;
  insiSandbox?: InsiSandbox;
  sandboxes?: Sandboxes;
  /** Ports actually bound (0 in the configuration means any free port). */
  ports: { http: number; mllp: number };
  stop(): Promise<void>;
}

export interface StartOptions {
  config: Config;
  logger: Logger;
  /** An already open database (tests); otherwise opened from the configuration. */
  database?: DatabaseHandle;
}

export interface Sandboxes {
  insi: InsiSandbox;
  annuaire: AnnuaireSandbox;
  stop(): Promise<void>;
}

/** The national sandboxes alone (`passerelle sandbox`, or inside `start`). */
export async function startSandboxes(config: Config, pki: TestPki, logger: Logger): Promise<Sandboxes> {
  const started: Array<{ close(): Promise<void> }> = [];
  const stop = async (): Promise<void> => { for (const s of started.reverse()) await s.close().catch(() => undefined); };
  try {
    const insi = await startInsiSandbox({ pki, host: '127.0.0.1', port: config.sandbox.insiPort, knownSoftware: [config.insi.idam], logger });
    started.push(insi);
    logger.info({ insi: insi.url }, 'INSi sandbox listening');
    const annuaire = await startAnnuaireSandbox({ pki, host: '127.0.0.1', port: config.sandbox.annuairePort, logger });
    started.push(annuaire);
    logger.info({ annuaire: annuaire.url }, 'Annuaire Santé sandbox listening');
    return { insi, annuaire, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** PEM client certificate, key and CA from configured files, or the test PKI's establishment identity. */
function tlsFrom(files: { certFile: string; keyFile: string; caFile?: string } | undefined, fallback: { cert: string; key: string; ca: string }): { cert: string; key: string; ca?: string } {
  if (!files) return fallback;
  return { cert: readFileSync(files.certFile, 'utf8'), key: readFileSync(files.keyFile, 'utf8'), ...(files.caFile ? { ca: readFileSync(files.caFile, 'utf8') } : {}) };
}

function annuaireClientFrom(config: Config, pki: TestPki, logger: Logger, sandboxUrl?: string): AnnuaireClient {
  return createAnnuaireClient({
    endpoint: config.annuaire.endpoint ?? sandboxUrl ?? `https://127.0.0.1:${config.sandbox.annuairePort}/fhir/v2`,
    tls: tlsFrom(config.annuaire.tls, { ...pki.clients.establishment, ca: pki.ca.cert }),
    ...(config.annuaire.apiKey ? { apiKey: config.annuaire.apiKey } : {}),
    timeoutMs: config.annuaire.timeoutMs,
    logger,
  });
}

function insiClientFrom(config: Config, pki: TestPki, logger: Logger, sandboxUrl?: string): InsiClient {
  const tls = tlsFrom(config.insi.tls, { ...pki.clients.insi, ca: pki.ca.cert });
  return createInsiClient({
    endpoint: config.insi.endpoint ?? sandboxUrl ?? `https://127.0.0.1:${config.sandbox.insiPort}/lps`,
    tls,
    software: { idam: config.insi.idam, name: config.insi.softwareName, version: config.insi.softwareVersion },
    emitter: config.establishment.finess,
    timeoutMs: config.insi.timeoutMs,
    logger,
  });
}

export async function startApp({ config, logger, ...options }: StartOptions): Promise<App> {
  const dataDir = resolve(config.dataDir);
  const pki = await ensureTestPki(dataDir);
  const database = options.database ?? await openDatabase(config.databaseUrl ? { url: config.databaseUrl } : { dataDir });
  logger.info({ database: database.kind }, 'database ready');
  const stops: Array<() => Promise<void>> = [async () => database.close()];

  try {
    const sandboxes = config.sandbox.enabled ? await startSandboxes(config, pki, logger) : undefined;
    if (sandboxes) stops.push(sandboxes.stop);
    const insi = insiClientFrom(config, pki, logger, sandboxes?.insi.url);
    stops.push(async () => insi.close());
    const annuaire = annuaireClientFrom(config, pki, logger, sandboxes?.annuaire.url);
    stops.push(async () => annuaire.close());

    // PAM feed: outbox workers deliver to the subscribers, in order, one in flight each.
    const feed = createPamFeedSender({ subscribers: config.pam.subscribers, establishment: config.establishment });
    const worker: Worker = await startWorker(database, {
      handlers: { [PAM_FEED_QUEUE]: feed.handler }, logger, concurrency: 4,
      pollMs: config.outbox.pollMs, leaseMs: config.outbox.leaseMs, backoff: { baseMs: config.outbox.backoffBaseMs, maxMs: config.outbox.backoffMaxMs },
    });
    stops.push(async () => { await worker.stop(); await feed.close(); });
    const identityServiceFor = (db: Executor): IdentityService => createIdentityService({
      db: db as DatabaseHandle['db'],
      ippAuthority: config.establishment.ippNamespace,
      subscribers: () => config.pam.subscribers.map((s) => s.name),
      insi,
      onPublished: () => worker.wake(),
    });
    const identities = identityServiceFor(database.db);
    const documents = createDocumentService({ db: database.db, identities, establishment: config.establishment });

    // HL7 v2 inbound over MLLP: stored raw, deduplicated, routed, acknowledged.
    const pamIdentity = createPamIdentityHandler(identityServiceFor);
    const inbox = createInbox({
      db: database.db, logger,
      handlers: {
        ...Object.fromEntries(ITI30_EVENTS.map((event) => [`ADT^${event}`, pamIdentity])),
        ADT: createPamMovementHandler(identityServiceFor),
      },
      application: config.establishment.application, facility: config.establishment.finess,
    });
    const mllp: MllpServer = createMllpServer({
      handler: async (raw, context) => encodeHl7(await inbox.receive(raw, `${context.remoteAddress}${context.peerCertificate?.subjectCommonName ? ` ${context.peerCertificate.subjectCommonName}` : ''}`)),
      onError: (error, context) => logger.warn({ err: { message: error.message, name: error.name }, connection: context?.connectionId }, 'MLLP connection error'),
    });
    const mllpPort = await mllp.listen(config.mllp.port, config.mllp.host);
    stops.push(() => mllp.close());
    logger.info({ port: mllpPort }, 'MLLP listener ready');

    const http = await createHttpServer({ logger, version: VERSION, ready: () => ping(database.db) });
    registerIdentityRoutes(http, { db: database.db, identities, ndaAuthority: config.establishment.ippNamespace });
    registerDocumentRoutes(http, { documents, identities });
    registerOperationsRoutes(http, { db: database.db, inbox, wake: () => worker.wake(), subscribers: config.pam.subscribers });
    await http.listen({ host: config.http.host, port: config.http.port });
    stops.push(() => http.close());
    const httpPort = (http.server.address() as import('node:net').AddressInfo | null)?.port ?? config.http.port;
    logger.info({ http: `http://${config.http.host}:${httpPort}`, docs: `http://${config.http.host}:${httpPort}/docs` }, 'platform listening');

    let stopping: Promise<void> | undefined;
    return {
      config, database, pki, http, identities, documents, inbox, ports: { http: httpPort, mllp: mllpPort },
      ...(sandboxes ? { insiSandbox: sandboxes.insi, sandboxes } : {}),
      stop: () => stopping ??= stopAll(stops),
    };
  } catch (error) {
    await stopAll(stops);
    throw error;
  }
}

/** Stops in reverse order of start: listeners first, then workers, then the database. */
async function stopAll(stops: Array<() => Promise<void>>): Promise<void> {
  for (const stop of [...stops].reverse()) await stop().catch(() => undefined);
}
