/**
 * Configuration: zod-validated, from `passerelle.config.json` (optional, in the working
 * directory or at PASSERELLE_CONFIG) overlaid by environment variables. Every national
 * endpoint defaults to its local sandbox; production sets the real endpoints and certificates.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);

const tlsFiles = z.object({
  certFile: z.string(),
  keyFile: z.string(),
  caFile: z.string().optional(),
});

const subscriber = z.object({
  /** DPI, SGL or RIS: also the receiving application in MSH-5. */
  name: z.string().min(1).max(20),
  host: z.string().default('127.0.0.1'),
  port,
  facility: z.string().optional(),
  tls: z.boolean().default(false),
  ackTimeoutMs: z.number().int().positive().default(10_000),
});

export const configSchema = z.object({
  dataDir: z.string().default('./data'),
  /** PostgreSQL URL; when absent the embedded PGlite database in `<dataDir>/pglite` is used. */
  databaseUrl: z.string().optional(),
  http: z.object({ host: z.string().default('127.0.0.1'), port: port.default(8080) }).prefault({}),
  mllp: z.object({
    host: z.string().default('127.0.0.1'),
    port: port.default(2575),
    /**
     * HL7 over TLS: the listener's certificate and key; with `requireClientCertificate` (the
     * default) every client must present a certificate issued by `caFile`.
     */
    tls: tlsFiles.extend({ requireClientCertificate: z.boolean().default(true) })
      .refine((t) => !t.requireClientCertificate || t.caFile !== undefined, { message: 'caFile is needed to check the clients\' certificates (or set requireClientCertificate to false)', path: ['caFile'] })
      .optional(),
  }).prefault({}),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  establishment: z.object({
    name: z.string().default('CH DE DEMONSTRATION'),
    /** FINESS juridique (EJ). */
    finess: z.string().regex(/^\d{9}$/).default('000000000'),
    /** HL7 application name of the RI (MSH-3). */
    application: z.string().default('PASSERELLE'),
    /** Assigning authority of the IPP: namespace and OID. */
    ippNamespace: z.string().default('PASSERELLE'),
    ippOid: z.string().default('1.2.250.1.999.1.1'),
    /** Establishment type for documents (JDV_J02, TRE_R02), e.g. SA01 établissement public de santé. */
    facilityTypeCode: z.string().default('SA01'),
    /** Practice setting for documents (JDV_J04, TRE_A01), e.g. ETABLISSEMENT. */
    practiceSettingCode: z.string().default('ETABLISSEMENT'),
    address: z.string().optional(),
  }).prefault({}),
  documents: z.object({
    /** Worker threads for exit documents (PDF/A + CDA), ITI-41 bodies and MSSanté messages, off the main thread; 0: on it. */
    composeWorkers: z.coerce.number().int().min(0).max(16).default(1),
  }).prefault({}),
  sandbox: z.object({
    /** Start the national sandboxes in this process. */
    enabled: z.boolean().default(true),
    insiPort: port.default(8443),
    annuairePort: port.default(8444),
    dmpPort: port.default(8446),
    /** MSSanté operator: SMTPS and IMAPS. */
    smtpPort: port.default(4465),
    imapPort: port.default(4993),
    /** The DMP sandbox refuses production INS OIDs (…4.8 NIR, …4.9 NIA) unless this is set. */
    dmpAllowsProductionIns: z.boolean().default(false),
    /** A slow DMP: the sandbox answers this long after it has done the work (timeouts, crash tests). */
    dmpResponseDelayMs: z.number().int().min(0).default(0),
    /** A slow MSSanté operator: it replies to DATA this long after it has delivered the message (crash tests). */
    smtpResponseDelayMs: z.number().int().min(0).default(0),
  }).prefault({}),
  insi: z.object({
    /** Real endpoint in production; defaults to the local sandbox. */
    endpoint: z.string().url().optional(),
    /** Software authorisation number (IDAM) issued after CNDA approval. */
    idam: z.string().default('SANDBOX-IDAM-0001'),
    softwareName: z.string().default('PASSERELLE'),
    softwareVersion: z.string().default('0.1.0'),
    /** Certificate files (IGC-Santé, CN INSI-AUTO); default: the test PKI. */
    tls: tlsFiles.optional(),
    timeoutMs: z.number().int().positive().default(15_000),
  }).prefault({}),
  dmp: z.object({
    /** Base URL of the DMP, e.g. https://lps2.dmp.gouv.fr; defaults to the local sandbox. */
    endpoint: z.string().url().optional(),
    /** "ORG AUTH_CLI" certificate of the structure (mutual TLS); default: the test PKI. */
    tls: tlsFiles.optional(),
    /** "ORG SIGN" certificate (RSA) that signs the VIHF and the submission sets; default: the test PKI. */
    signing: z.object({ certFile: z.string(), keyFile: z.string() }).optional(),
    /** Struct_IdNat of the VIHF; default `1` + the establishment's FINESS. */
    structureId: z.string().optional(),
    software: z.object({
      name: z.string().default('PASSERELLE'),
      version: z.string().default('0.1.0'),
      /** DMP homologation number issued to the software. */
      homologation: z.string().default('SANDBOX-HOMOLOGATION'),
    }).prefault({}),
    /** OID of the sending system (SubmissionSet.sourceId). */
    sourceId: z.string().default('1.2.250.1.999.1.9'),
    /**
     * SubmissionSet.contentTypeCode (TRE_R209-TypeActivite, scheme 1.2.250.1.213.2.2): 03 for an
     * inpatient stay (TRANS maps PV1-2 I to 03); the label is to confirm against TRE_R209.
     */
    contentType: z.object({ code: z.string(), displayName: z.string() }).default({ code: '03', displayName: 'Hospitalisation complète' }),
    timeoutMs: z.number().int().positive().default(30_000),
  }).prefault({}),
  mssante: z.object({
    /** The establishment's applicative mailbox (From, IMAP login). */
    mailbox: z.string().default('passerelle@ch-test.mssante.fr'),
    /** Operator SMTP (submission) and IMAP; default: the local sandbox. */
    smtp: z.object({ host: z.string().default('127.0.0.1'), port: port.optional(), security: z.enum(['tls', 'starttls']).default('tls') }).prefault({}),
    imap: z.object({ host: z.string().default('127.0.0.1'), port: port.optional() }).prefault({}),
    /** Password, when the operator asks for one besides the certificate (a secret: environment only). */
    password: z.string().optional(),
    /** Certificate of the applicative mailbox; default: the test PKI. */
    tls: tlsFiles.optional(),
    /** X-MSS-NIL: the product reference assigned on convergence.esante.gouv.fr. */
    nil: z.string().default('SANDBOX-NIL'),
    /** How often the mailbox is read. */
    pollMs: z.number().int().positive().default(5_000),
  }).prefault({}),
  annuaire: z.object({
    /** Annuaire Santé FHIR API, e.g. https://gateway.api.esante.gouv.fr/fhir/v2; defaults to the local sandbox. */
    endpoint: z.string().url().optional(),
    /** ESANTE-API-KEY of the real API (a secret: environment or a file outside the repository). */
    apiKey: z.string().optional(),
    tls: tlsFiles.optional(),
    timeoutMs: z.number().int().positive().default(30_000),
  }).prefault({}),
  outbox: z.object({
    /** Polling interval when no NOTIFY arrives. */
    pollMs: z.number().int().positive().default(1_000),
    /** First retry delay; doubles at each attempt (±50 % jitter) up to backoffMaxMs. */
    backoffBaseMs: z.number().int().positive().default(1_000),
    backoffMaxMs: z.number().int().positive().default(15 * 60_000),
    /** A claimed job whose worker died is claimable again after this lease (> any send timeout). */
    leaseMs: z.number().int().positive().default(60_000),
  }).prefault({}),
  pam: z.object({
    /** Up to three PAM subscribers (DPI, SGL, RIS), fed through the outbox in order. */
    subscribers: z.array(subscriber).max(3).default([]),
  }).prefault({}),
  /**
   * Plateaux techniques (SGL, RIS) that send CDA documents in HL7 v2 (ORU^R01, MDM): where their
   * business acknowledgements (ZAM^Z01/Z02/Z03) go over MLLP. Matched on the sender's MSH-3
   * (and MSH-4 when `facility` is set).
   */
  plateaux: z.array(z.object({
    application: z.string().min(1),
    facility: z.string().optional(),
    host: z.string().default('127.0.0.1'),
    port,
    ackTimeoutMs: z.number().int().positive().default(10_000),
  })).default([]),
});

export type Config = z.infer<typeof configSchema>;
export type PamSubscriberConfig = z.infer<typeof subscriber>;

/** Environment variables that override the file, by dotted config path. */
const ENV: Record<string, string> = {
  PASSERELLE_DATA_DIR: 'dataDir',
  DATABASE_URL: 'databaseUrl',
  PASSERELLE_HTTP_HOST: 'http.host',
  PASSERELLE_HTTP_PORT: 'http.port',
  PASSERELLE_COMPOSE_WORKERS: 'documents.composeWorkers',
  PASSERELLE_MLLP_HOST: 'mllp.host',
  PASSERELLE_MLLP_PORT: 'mllp.port',
  PASSERELLE_LOG_LEVEL: 'logLevel',
  PASSERELLE_INSI_ENDPOINT: 'insi.endpoint',
  PASSERELLE_INSI_IDAM: 'insi.idam',
  PASSERELLE_SANDBOX_INSI_PORT: 'sandbox.insiPort',
  PASSERELLE_SANDBOX_ANNUAIRE_PORT: 'sandbox.annuairePort',
  PASSERELLE_ANNUAIRE_ENDPOINT: 'annuaire.endpoint',
  PASSERELLE_ANNUAIRE_API_KEY: 'annuaire.apiKey',
  PASSERELLE_SANDBOX_DMP_PORT: 'sandbox.dmpPort',
  PASSERELLE_SANDBOX_SMTP_PORT: 'sandbox.smtpPort',
  PASSERELLE_SANDBOX_IMAP_PORT: 'sandbox.imapPort',
  PASSERELLE_DMP_ENDPOINT: 'dmp.endpoint',
  PASSERELLE_MSSANTE_MAILBOX: 'mssante.mailbox',
  PASSERELLE_MSSANTE_PASSWORD: 'mssante.password',
  PASSERELLE_MSSANTE_SMTP_HOST: 'mssante.smtp.host',
  PASSERELLE_MSSANTE_SMTP_PORT: 'mssante.smtp.port',
  PASSERELLE_MSSANTE_IMAP_HOST: 'mssante.imap.host',
  PASSERELLE_MSSANTE_IMAP_PORT: 'mssante.imap.port',
};

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    node[key] = typeof node[key] === 'object' && node[key] !== null ? node[key] : {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}

export class ConfigError extends Error {}

/** Loads and validates the configuration; `overrides` win over file and environment. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Record<string, unknown> = {}): Config {
  const file = resolve(env.PASSERELLE_CONFIG ?? 'passerelle.config.json');
  const raw: Record<string, unknown> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  for (const [name, path] of Object.entries(ENV)) {
    const value = env[name];
    if (value !== undefined && value !== '') setPath(raw, path, value);
  }
  for (const [path, value] of Object.entries(overrides)) setPath(raw, path, value);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
