/**
 * The composition root: builds the platform from its configuration — database, test PKI,
 * national sandboxes, INSi client, identity referential, HL7 inbox and MLLP listener, PAM
 * feed workers, HTTP API — and stops it gracefully (in-flight work finishes first).
 */
import { readFileSync } from 'node:fs';
import * as workerTasks from './worker-tasks.ts';
import { createWorkerPool, moduleBeside, type WorkerPool } from './platform/workers/index.ts';
import { resolve } from 'node:path';
import { registerDocumentRoutes, registerExchangeRoutes, registerIdentityRoutes, registerOperationsRoutes, registerReceivedRoutes, registerSandboxRoutes } from './api/index.ts';
import { createIdentityService, createPamFeedSender, createPamIdentityHandler, ITI30_EVENTS, PAM_FEED_QUEUE, type IdentityService } from './identity/index.ts';
import {
  createDocumentService, createPamMovementHandler, createReceivedDocumentService, DOCUMENT_VALIDATED_QUEUE, DOCUMENT_VISIBILITY_QUEUE, DOCUMENT_WITHDRAWN_QUEUE, type DocumentService, type ReceivedDocumentService,
} from './record/index.ts';
import {
  createExchangeService, createReceivingService, directoryChannel, dmpChannel, EXCHANGE_QUEUES, mailChannel, RECEIVED_QUEUE,
  type ExchangeService,
} from './exchange/index.ts';
import { createHl7DocumentHandler, createHl7DocumentSource, createZamSender, HL7_DOCUMENT_MESSAGE_TYPES, ZAM_QUEUE } from './exchange/index.ts';
import { createAnnuaireClient, SANDBOX_PROFESSIONALS, startAnnuaireSandbox, type AnnuaireClient, type AnnuaireSandbox } from './national/annuaire/index.ts';
import { createDmpClient, startDmpSandbox, type DmpClient, type DmpSandbox } from './national/dmp/index.ts';
import {
  createMssanteClient, createMssanteReceiver, startMssanteSandbox, type MssanteClient, type MssanteReceiver, type MssanteSandbox,
} from './national/mssante/index.ts';
import { createInsiClient, startInsiSandbox, type InsiClient, type InsiSandbox } from './national/insi/index.ts';
import type { Config } from './platform/config.ts';
import { openDatabase, ping, type DatabaseHandle, type Executor } from './platform/db/index.ts';
import { createInbox, encodeHl7, type Inbox } from './platform/hl7-inbox/index.ts';
import { createHttpServer, type HttpServer } from './platform/http/index.ts';
import { startWorker, type Worker } from './platform/jobs/index.ts';
import type { Logger } from './platform/logging.ts';
import { createMllpServer, type MllpServer, type MllpServerTlsOptions } from './platform/mllp/index.ts';
import { ensureTestPki, type TestPki } from './platform/pki/index.ts';

export const VERSION = '0.1.0';

export interface App {
  config: Config;
  database: DatabaseHandle;
  pki: TestPki;
  http: HttpServer;
  identities: IdentityService;
  documents: DocumentService;
  received: ReceivedDocumentService;
  exchange: ExchangeService;
  /** Reads the MSSanté mailbox now (also done every `mssante.pollMs`). */
  readMailbox(): Promise<void>;
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
  dmp: DmpSandbox;
  mssante: MssanteSandbox;
  stop(): Promise<void>;
}

/** The national sandboxes (`passerelle sandbox`, or inside `start`); the DMP's registry lives in `database`. */
export async function startSandboxes(config: Config, pki: TestPki, logger: Logger, database: DatabaseHandle): Promise<Sandboxes> {
  const started: Array<{ close(): Promise<void> }> = [];
  const stop = async (): Promise<void> => { for (const s of started.reverse()) await s.close().catch(() => undefined); };
  try {
    const insi = await startInsiSandbox({ pki, host: '127.0.0.1', port: config.sandbox.insiPort, knownSoftware: [config.insi.idam], logger });
    started.push(insi);
    logger.info({ insi: insi.url }, 'INSi sandbox listening');
    const annuaire = await startAnnuaireSandbox({ pki, host: '127.0.0.1', port: config.sandbox.annuairePort, logger });
    started.push(annuaire);
    logger.info({ annuaire: annuaire.url }, 'Annuaire Santé sandbox listening');
    const dmp = await startDmpSandbox({ pki, database: database.db, host: '127.0.0.1', port: config.sandbox.dmpPort, allowProductionIns: config.sandbox.dmpAllowsProductionIns,
      ...(config.sandbox.dmpResponseDelayMs > 0 ? { responseDelayMs: config.sandbox.dmpResponseDelayMs } : {}), logger });
    started.push(dmp);
    logger.info({ dmp: dmp.url }, 'DMP sandbox listening');
    // The operator knows the mailboxes the Annuaire Santé sandbox publishes.
    const published = SANDBOX_PROFESSIONALS.flatMap((p) => [...p.mailboxes, ...p.roles.flatMap((r) => r.mailboxes)])
      .map((m) => ({ address: m.address, type: 'PER' as const, status: 'open' as const }));
    const mssante = await startMssanteSandbox({
      pki, dataDir: resolve(config.dataDir, 'mssante'), host: '127.0.0.1', smtpPort: config.sandbox.smtpPort, imapPort: config.sandbox.imapPort,
      mailboxes: published, ...(config.sandbox.smtpResponseDelayMs > 0 ? { responseDelayMs: config.sandbox.smtpResponseDelayMs } : {}), logger,
    });
    started.push(mssante);
    logger.info({ smtp: mssante.smtpPort, imap: mssante.imapPort }, 'MSSanté operator sandbox listening');
    return { insi, annuaire, dmp, mssante, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

type TlsFiles = { certFile: string; keyFile: string; caFile?: string };

/** PEM certificate, key and CA read from configured files. */
function readTlsFiles(files: TlsFiles): { cert: string; key: string; ca?: string } {
  return { cert: readFileSync(files.certFile, 'utf8'), key: readFileSync(files.keyFile, 'utf8'), ...(files.caFile ? { ca: readFileSync(files.caFile, 'utf8') } : {}) };
}

/** PEM client certificate, key and CA from configured files, or the test PKI's establishment identity. */
function tlsFrom(files: TlsFiles | undefined, fallback: { cert: string; key: string; ca: string }): { cert: string; key: string; ca?: string } {
  return files ? readTlsFiles(files) : fallback;
}

/** TLS of the MLLP listener from its configured files: client certificates checked against the CA unless not required. */
function mllpTls(files: NonNullable<Config['mllp']['tls']>): MllpServerTlsOptions {
  const required = files.requireClientCertificate;
  return { ...readTlsFiles(files), requestCert: required, rejectUnauthorized: required };
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

function dmpClientFrom(config: Config, pki: TestPki, logger: Logger, workers: WorkerPool<typeof workerTasks>, sandboxUrl?: string): DmpClient {
  return createDmpClient({
    endpoint: config.dmp.endpoint ?? sandboxUrl ?? `https://127.0.0.1:${config.sandbox.dmpPort}`,
    tls: tlsFrom(config.dmp.tls, { ...pki.clients.establishment, ca: pki.ca.cert }),
    signing: config.dmp.signing
      ? { cert: readFileSync(config.dmp.signing.certFile, 'utf8'), key: readFileSync(config.dmp.signing.keyFile, 'utf8') }
      : pki.signing.establishment,
    structure: { id: config.dmp.structureId ?? `1${config.establishment.finess}`, sector: config.establishment.facilityTypeCode },
    software: config.dmp.software,
    sourceId: config.dmp.sourceId,
    timeoutMs: config.dmp.timeoutMs,
    buildBody: (input) => workers.run('buildIti41Body', input),
    logger,
  });
}

function mssanteFrom(config: Config, pki: TestPki, logger: Logger, workers: WorkerPool<typeof workerTasks>, sandbox?: MssanteSandbox): { client: MssanteClient; receiver: MssanteReceiver } {
  const tls = tlsFrom(config.mssante.tls, { ...pki.clients.establishment, ca: pki.ca.cert });
  const { mssante, establishment } = config;
  const client = createMssanteClient({
    smtp: {
      host: mssante.smtp.host, port: mssante.smtp.port ?? sandbox?.smtpPort ?? config.sandbox.smtpPort, security: mssante.smtp.security, tls,
      ...(mssante.password ? { auth: { user: mssante.mailbox, pass: mssante.password } } : {}),
    },
    sender: {
      address: mssante.mailbox, displayName: `${establishment.name} - Passerelle`, nil: mssante.nil, establishment: establishment.name,
      sourceId: config.dmp.sourceId, application: { name: config.dmp.software.name, version: config.dmp.software.version },
      contentTypeCode: { ...config.dmp.contentType, codingScheme: '1.2.250.1.213.2.2' },
    },
    write: (sending, sender) => workers.run('writeDocumentMessages', sending, sender),
    logger,
  });
  const receiver = createMssanteReceiver({
    host: mssante.imap.host, port: mssante.imap.port ?? sandbox?.imapPort ?? config.sandbox.imapPort, tls,
    // Applicative mailboxes authenticate by their certificate; LOGIN still needs a non-empty word.
    auth: { user: mssante.mailbox, pass: mssante.password ?? 'certificat' },
  });
  return { client, receiver };
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
    const sandboxes = config.sandbox.enabled ? await startSandboxes(config, pki, logger, database) : undefined;
    if (sandboxes) stops.push(sandboxes.stop);
    const insi = insiClientFrom(config, pki, logger, sandboxes?.insi.url);
    stops.push(async () => insi.close());
    const annuaire = annuaireClientFrom(config, pki, logger, sandboxes?.annuaire.url);
    stops.push(async () => annuaire.close());
    // Worker threads for the CPU work of the document flow (worker-tasks.ts).
    const threads = createWorkerPool({ tasks: moduleBeside(import.meta.url, 'worker-tasks'), local: workerTasks, size: config.documents.composeWorkers, name: 'passerelle-compose' });
    stops.push(threads.close);
    const dmp = dmpClientFrom(config, pki, logger, threads, sandboxes?.dmp.url);
    stops.push(async () => dmp.close());
    const mssante = mssanteFrom(config, pki, logger, threads, sandboxes?.mssante);
    stops.push(async () => mssante.client.close());

    // Outbox workers (started below, once every handler exists): PAM feed, document routing, channels.
    const workers: { outbox?: Worker } = {};
    const wake = (): void => workers.outbox?.wake();
    const identityServiceFor = (db: Executor): IdentityService => createIdentityService({
      db: db as DatabaseHandle['db'],
      ippAuthority: config.establishment.ippNamespace,
      subscribers: () => config.pam.subscribers.map((s) => s.name),
      insi,
      onPublished: wake,
    });
    const identities = identityServiceFor(database.db);
    const documents = createDocumentService({ db: database.db, identities, establishment: config.establishment, compose: (input) => threads.run('composeExitDocument', input) });
    const received = createReceivedDocumentService({ db: database.db, identities });
    const exchange = createExchangeService({
      db: database.db, documents,
      dmp: dmpChannel(dmp, {
        contentTypeCode: { ...config.dmp.contentType, codingScheme: '1.2.250.1.213.2.2' },
        institution: `${config.establishment.name}^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^1${config.establishment.finess}`,
      }),
      mail: mailChannel(mssante.client),
      directory: directoryChannel(annuaire),
      onEnqueued: wake,
      sources: { hl7: createHl7DocumentSource() }, // plateaux techniques: their ZAMs
    });
    const receiving = createReceivingService({ db: database.db, received, exchange, mail: mssante.client, mailbox: config.mssante.mailbox, onEnqueued: wake });

    const feed = createPamFeedSender({ subscribers: config.pam.subscribers, establishment: config.establishment });
    const zam = createZamSender({ plateaux: config.plateaux }); // ZAM^Z01/Z02/Z03 to the plateaux techniques
    const worker = await startWorker(database, {
      handlers: {
        [PAM_FEED_QUEUE]: feed.handler,
        [DOCUMENT_VALIDATED_QUEUE]: exchange.route,
        [DOCUMENT_WITHDRAWN_QUEUE]: exchange.withdraw,
        [DOCUMENT_VISIBILITY_QUEUE]: exchange.changeVisibility,
        [EXCHANGE_QUEUES.dmp]: exchange.sendDmp,
        [EXCHANGE_QUEUES.mssante]: exchange.sendMail,
        [RECEIVED_QUEUE]: receiving.process,
        [ZAM_QUEUE]: zam.handler,
      },
      // Sending and receiving before routing: a burst of validations never starves the channels.
      first: [EXCHANGE_QUEUES.dmp, EXCHANGE_QUEUES.mssante, RECEIVED_QUEUE, ZAM_QUEUE, PAM_FEED_QUEUE],
      logger, concurrency: 8,
      pollMs: config.outbox.pollMs, leaseMs: config.outbox.leaseMs, backoff: { baseMs: config.outbox.backoffBaseMs, maxMs: config.outbox.backoffMaxMs },
    });
    workers.outbox = worker;
    stops.push(async () => { await worker.stop(); await feed.close(); await zam.close(); });

    // The MSSanté mailbox is read every pollMs, one read at a time; a failed read is logged and tried again.
    let reading: Promise<void> | undefined;
    const readMailbox = (): Promise<void> => reading ??= mssante.receiver.fetchNew(receiving.store)
      .then(() => undefined, (error: unknown) => { logger.warn({ err: { message: error instanceof Error ? error.message : String(error) } }, 'MSSanté mailbox read failed'); })
      .finally(() => { reading = undefined; });
    const poll = setInterval(() => { void readMailbox(); }, config.mssante.pollMs);
    stops.push(async () => { clearInterval(poll); await reading; });

    // HL7 v2 inbound over MLLP: stored raw, deduplicated, routed, acknowledged.
    const pamIdentity = createPamIdentityHandler(identityServiceFor);
    // A plateau technique's document is linked to the patient's identity in the referential.
    const hl7Documents = createHl7DocumentHandler({ identityOf: (tx, patient) => identityServiceFor(tx).identityOf(patient) });
    const inbox = createInbox({
      db: database.db, logger,
      handlers: {
        ...Object.fromEntries(ITI30_EVENTS.map((event) => [`ADT^${event}`, pamIdentity])),
        ADT: createPamMovementHandler(identityServiceFor),
        // CDA documents from the plateaux techniques (TRANS volet), routed by the PFI.
        ...Object.fromEntries(HL7_DOCUMENT_MESSAGE_TYPES.map((type) => [type, hl7Documents])),
      },
      application: config.establishment.application, facility: config.establishment.finess,
    });
    const mllp: MllpServer = createMllpServer({
      ...(config.mllp.tls ? { tls: mllpTls(config.mllp.tls) } : {}),
      handler: async (raw, context) => encodeHl7(await inbox.receive(raw, `${context.remoteAddress}${context.peerCertificate?.subjectCommonName ? ` ${context.peerCertificate.subjectCommonName}` : ''}`)),
      onError: (error, context) => logger.warn({ err: { message: error.message, name: error.name }, connection: context?.connectionId }, 'MLLP connection error'),
    });
    const mllpPort = await mllp.listen(config.mllp.port, config.mllp.host);
    stops.push(() => mllp.close());
    logger.info({ port: mllpPort }, 'MLLP listener ready');

    const http = await createHttpServer({ logger, version: VERSION, ready: () => ping(database.db) });
    registerIdentityRoutes(http, { db: database.db, identities, ndaAuthority: config.establishment.ippNamespace });
    registerDocumentRoutes(http, { documents, identities });
    registerExchangeRoutes(http, { exchange });
    registerReceivedRoutes(http, { received });
    registerOperationsRoutes(http, { db: database.db, inbox, wake, subscribers: config.pam.subscribers });
    if (sandboxes) registerSandboxRoutes(http, { mssante: sandboxes.mssante });
    await http.listen({ host: config.http.host, port: config.http.port });
    stops.push(() => http.close());
    const httpPort = (http.server.address() as import('node:net').AddressInfo | null)?.port ?? config.http.port;
    logger.info({ http: `http://${config.http.host}:${httpPort}`, docs: `http://${config.http.host}:${httpPort}/docs` }, 'platform listening');

    let stopping: Promise<void> | undefined;
    return {
      config, database, pki, http, identities, documents, received, exchange, readMailbox, inbox, ports: { http: httpPort, mllp: mllpPort },
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
