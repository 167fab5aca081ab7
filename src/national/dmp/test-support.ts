/**
 * Shared set-up of the DMP end-to-end tests (sandbox.test.ts, sandbox-rules.test.ts): a test
 * PKI, a real database, the sandbox on loopback mTLS and a client; CDA documents with their
 * DocumentEntry; and a raw sender that posts hand-edited SOAP / MTOM requests with the test
 * PKI's client certificate, reading the answer into the DmpError the client would throw.
 * Test code only (imported by *.test.ts files).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { openTestDatabase } from '../../../test/support/database.ts';
import { sampleDocument } from '../../../test/support/cda.ts';
import { buildCda, parseCda, type CdaDocument } from '../../formats/cda/index.ts';
import { buildMtom, isMultipartRelated, newMessageId, parseEnvelope, parseMtom, soapContentType, type MtomAttachment } from '../../formats/soap/index.ts';
import { deriveDocumentEntry, type DocumentEntry, type VisibilityFlag, type XdsAuthor } from '../../formats/xds/index.ts';
import type { DatabaseHandle } from '../../platform/db/index.ts';
import { ensureTestPki, type TestPki } from '../../platform/pki/index.ts';
import { automatonActor, createDmpClient, type DmpClient, type DmpClientOptions, type PatientIns } from './client.ts';
import { DmpError } from './errors.ts';
import { startDmpSandbox, type DmpSandbox } from './sandbox.ts';
import { buildVihf } from './vihf.ts';
import { buildSoapRequest, DMP_ACTION, DMP_SERVICE, DMP_SERVICES_PATH, readRegistryStatus, RESPONSE_STATUS, type DmpTransaction } from './wire.ts';

export const PATIENT: PatientIns = { matricule: '279035121518989', oid: '1.2.250.1.213.1.4.10' };
export const PATIENT_CX = `${PATIENT.matricule}^^^&${PATIENT.oid}&ISO^NH`;
export const STRUCTURE = { id: '1750000001', sector: 'SA01' };
export const SOFTWARE = { name: 'PASSERELLE', version: '0.1.0', homologation: 'SANDBOX-HOMOLOGATION' };
export const AUTHOR: XdsAuthor = {
  person: '10001234567^MEDECIN^Jean^^^M^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS',
  institutions: ['Centre hospitalier de test^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^1750000001'],
};
export const CONTENT_TYPE = { code: '04', codingScheme: '1.2.250.1.213.2.2', displayName: 'Hospitalisation de jour' };

let serial = 1000;
/** A CDA document (fresh id) and the DocumentEntry derived from it. */
export function cda(options: { visibility?: VisibilityFlag[]; replaces?: string; type?: 'ldl' | 'cr-imagerie'; patient?: PatientIns } = {}): { bytes: Uint8Array; entry: DocumentEntry } {
  const base = sampleDocument(options.type ?? 'ldl');
  const doc: CdaDocument = { ...base, id: { root: `1.2.250.1.999.1.2.${serial++}` }, ...(options.replaces ? { replaces: { root: options.replaces }, versionNumber: 2 } : {}) };
  const xml = buildCda(doc);
  if (!xml.ok) throw new Error(xml.error.rule);
  const parsed = parseCda(xml.value);
  if (!parsed.ok) throw new Error(parsed.error.rule);
  const bytes = Buffer.from(xml.value, 'utf8');
  const entry = deriveDocumentEntry(parsed.value.document, bytes, { visibility: options.visibility ?? [] });
  if (!entry.ok) throw new Error(entry.error.rule);
  const e = options.patient ? { ...entry.value, patientId: `${options.patient.matricule}^^^&${options.patient.oid}&ISO^NH` } : entry.value;
  return { bytes, entry: e };
}

/** The DmpError a promise rejects with (fails the test when it resolves or throws anything else). */
export async function rejection(promise: Promise<unknown>): Promise<DmpError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(DmpError);
    return error as DmpError;
  }
  throw new Error('expected a DmpError');
}

export interface DmpTestEnv {
  dir: string;
  pki: TestPki;
  database: DatabaseHandle;
  sandbox: DmpSandbox;
  options: DmpClientOptions;
  client: DmpClient;
  close(): Promise<void>;
}

/** Test PKI in a temporary directory, a fresh database, the sandbox and a client of the establishment. */
export async function startDmpTestEnv(): Promise<DmpTestEnv> {
  const dir = await mkdtemp(path.join(tmpdir(), 'dmp-'));
  const pki = await ensureTestPki(dir);
  const database = await openTestDatabase();
  const sandbox = await startDmpSandbox({ pki, database: database.db });
  const options: DmpClientOptions = {
    endpoint: sandbox.url,
    tls: { ...pki.clients.establishment, ca: pki.ca.cert },
    signing: pki.signing.establishment,
    structure: STRUCTURE,
    software: SOFTWARE,
    sourceId: '1.2.250.1.999.1',
    timeoutMs: 10_000,
  };
  const client = createDmpClient(options);
  return {
    dir, pki, database, sandbox, options, client,
    async close() {
      client.close();
      await sandbox.close();
      await database.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A VIHF of the establishment's automaton, as the client signs it (options for the tests that alter it). */
export const automatonVihf = (pki: TestPki, extra: { patientId?: string; issueInstant?: Date; validityMs?: number } = {}): string =>
  buildVihf({ actor: automatonActor(STRUCTURE, SOFTWARE), structure: STRUCTURE, software: SOFTWARE, ...extra }, pki.signing.establishment);

export interface RawRequest {
  transaction: DmpTransaction;
  /** Payload of soap:Body. */
  body: string;
  /** MTOM attachments (ITI-41): the request is sent as multipart/related. */
  attachments?: MtomAttachment[];
  /** The saml2:Assertion to carry; `null` for none. Default: a fresh VIHF of the automaton. */
  vihf?: string | null;
}

export interface RawAnswer {
  status: number;
  /** The DmpError the client throws for this answer; undefined when it succeeds. */
  error?: DmpError;
}

/**
 * POSTs one request built with the module's wire builders over mTLS (test PKI client
 * certificate), and reads the answer as client.ts does: a SOAP fault becomes its last subcode
 * (else its code), a RegistryResponse in Failure its first RegistryError's errorCode, each
 * with the French message of errors.ts.
 */
export async function postRaw(env: Pick<DmpTestEnv, 'pki' | 'sandbox'>, input: RawRequest): Promise<RawAnswer> {
  const url = `${env.sandbox.url}${DMP_SERVICES_PATH}/${DMP_SERVICE[input.transaction]}`;
  const action = DMP_ACTION[input.transaction];
  const vihf = input.vihf === undefined ? automatonVihf(env.pki, { patientId: PATIENT_CX }) : input.vihf;
  const envelope = buildSoapRequest({ action, to: url, messageId: newMessageId(), ...(vihf === null ? {} : { vihf }), body: input.body });
  let contentType = soapContentType(action);
  let payload: Buffer = Buffer.from(envelope, 'utf8');
  if (input.attachments) {
    const mtom = buildMtom({ envelope, action, attachments: input.attachments });
    if (!mtom.ok) throw new Error(`MTOM: ${mtom.error.field}: ${mtom.error.rule}`);
    contentType = mtom.value.contentType;
    payload = mtom.value.body;
  }
  const answer = await new Promise<{ status: number; contentType: string; body: Buffer }>((resolve, reject) => {
    const req = request(url, { method: 'POST', ...env.pki.clients.establishment, ca: env.pki.ca.cert, agent: false, headers: { 'content-type': contentType, 'content-length': payload.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(payload);
  });
  let xml = answer.body.toString('utf8');
  if (isMultipartRelated(answer.contentType)) {
    const mtom = parseMtom(answer.contentType, answer.body);
    if (!mtom.ok) throw new Error(`answer MTOM: ${mtom.error.rule}`);
    xml = mtom.value.envelope;
  }
  const parsed = parseEnvelope(xml);
  if (!parsed.ok) throw new Error(`answer (HTTP ${answer.status}) is not a SOAP envelope: ${parsed.error.rule}`);
  const fault = parsed.value.fault;
  if (fault) {
    const code = fault.subcodes[fault.subcodes.length - 1]?.localName ?? fault.code;
    return { status: answer.status, error: new DmpError(code, undefined, { reason: fault.reason, httpStatus: answer.status }) };
  }
  const body = parsed.value.payload;
  if (!body) throw new Error('answer soap:Body empty');
  const registry = readRegistryStatus(body);
  if (!registry.ok) throw new Error(`answer: ${registry.error.field}: ${registry.error.rule}`);
  const [first] = registry.value.errors;
  if (!first) {
    if (registry.value.status !== RESPONSE_STATUS.success) throw new Error(`answer status ${registry.value.status} without RegistryError`);
    return { status: answer.status };
  }
  return { status: answer.status, error: new DmpError(first.errorCode, undefined, { reason: first.codeContext, ...(first.location ? { location: first.location } : {}), httpStatus: answer.status }) };
}
