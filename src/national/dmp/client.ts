/**
 * DMP client (dmp.md): XDS.b over SOAP 1.2 with WS-Addressing, MTOM for ITI-41, mutual TLS
 * with the organisation authentication certificate, and a VIHF signed with the organisation
 * signature certificate on every call.
 *
 * Transactions: TD0.2 `checkDmp`; ITI-41 `publish` and `replace` (RPLC to the entryUUID found
 * by ITI-18); ITI-18 `findDocuments`, `getDocuments`, `findSubmissionSets`, `getAssociations`;
 * ITI-43 `retrieve`; ITI-57 `setVisibility`, `archive`, `unarchive`, `delete`.
 * Every failure throws a DmpError (IHE or sandbox code, French message, `retryable`).
 * Logs: transaction, message id, code, HTTP status, duration — never patient data.
 */
import { randomUUID } from 'node:crypto';
import { describeError } from '../../formats/result.ts';
import { buildMtom, isMultipartRelated, newMessageId, parseEnvelope, parseMtom, soapContentType, type MtomPart } from '../../formats/soap/index.ts';
import type { DocumentEntry, VisibilityFlag, XdsAuthor, XdsCode } from '../../formats/xds/index.ts';
import { createHttpsClient, HttpTimeoutError } from '../../platform/http/client.ts';
import type { Logger } from '../../platform/logging.ts';
import { DMP_ERROR_MESSAGES, DmpError } from './errors.ts';
import { buildIti41Body, type Iti41Input } from './iti41.ts';
import { buildStoredQuery, readQueryResponse, STORED_QUERY, type FoundAssociation, type FoundDocument, type FoundSubmissionSet } from './iti18.ts';
import { buildRetrieveRequest, readRetrieveResponse } from './iti43.ts';
import { buildStatusUpdate, buildVisibilityUpdate } from './iti57.ts';
import { buildTd02Request, readTd02Response, type Td02Answer } from './td02.ts';
import { buildVihf, type VihfActor, type VihfSoftware, type VihfStructure } from './vihf.ts';
import { AVAILABILITY, buildSoapRequest, DMP_ACTION, DMP_SERVICE, DMP_SERVICES_PATH, readRegistryStatus, RESPONSE_STATUS, RS_NS, type DmpTransaction, type RegistryErrorFacts } from './wire.ts';

/** A VIHF is valid 10 minutes and renewed when less than 3 remain (a slow call must not outlive it). */
const VIHF_VALIDITY_MS = 10 * 60_000;
const VIHF_RENEW_MS = 3 * 60_000;
const VIHF_CACHE_SIZE = 1_000;

export interface DmpClientOptions {
  /** Base URL of the DMP (e.g. https://lps2.dmp.gouv.fr, or the sandbox's `url`). */
  endpoint: string;
  /** "ORG AUTH_CLI" certificate and key (PEM); `ca` to trust a private CA. */
  tls: { cert: string; key: string; ca?: string };
  /** "ORG SIGN" certificate and key (PEM, RSA): signs the VIHF and the XAdES. */
  signing: { cert: string; key: string };
  structure: VihfStructure;
  software: VihfSoftware;
  /** OID of the sending system (SubmissionSet.sourceId, TD0.2 sender). */
  sourceId: string;
  /** Who acts when a call names nobody: by default the structure's automaton. */
  actor?: VihfActor;
  /** Per call, default 30 000 ms. */
  timeoutMs?: number;
  /** New OIDs for submission sets and signature documents. Default `2.25.<UUID as integer>`. */
  newOid?: () => string;
  /**
   * Builds an ITI-41 body (metadata and the signed XAdES document): `buildIti41Body` on this
   * thread by default; the platform runs it on its worker threads (app.ts).
   */
  buildBody?: (input: Iti41Input) => Promise<ReturnType<typeof buildIti41Body>>;
  logger?: Logger;
}

export interface PatientIns {
  matricule: string;
  oid: string;
}

export const patientCx = (ins: PatientIns): string => `${ins.matricule}^^^&${ins.oid}&ISO^NH`;

export interface PublishInput {
  documents: Array<{ bytes: Uint8Array; entry: DocumentEntry }>;
  /** TRE_R209-TypeActivite (scheme 1.2.250.1.213.2.2). */
  contentTypeCode: XdsCode;
  author: XdsAuthor;
  title?: string;
  actor?: VihfActor;
}

export interface PublishResult {
  submissionSetUniqueId: string;
  signatureUniqueId: string;
  messageId: string;
}

export interface FindDocumentsQuery {
  patient: PatientIns;
  /** Default Approved only. */
  statuses?: string[];
  classCodes?: XdsCode[];
  typeCodes?: XdsCode[];
  /** XDS DTM lower bound of serviceStartTime. */
  serviceStartFrom?: string;
  actor?: VihfActor;
}

export interface DmpClient {
  checkDmp(patient: PatientIns, actor?: VihfActor): Promise<Td02Answer>;
  publish(input: PublishInput): Promise<PublishResult>;
  /** Replaces the approved entry whose uniqueId is `entry.replaces` (RPLC). */
  replace(input: PublishInput & { documents: [{ bytes: Uint8Array; entry: DocumentEntry }] }): Promise<PublishResult & { replacedEntryUuid: string }>;
  findDocuments(query: FindDocumentsQuery): Promise<FoundDocument[]>;
  getDocuments(ids: { uniqueIds?: string[]; entryUuids?: string[] }, patient?: PatientIns, actor?: VihfActor): Promise<FoundDocument[]>;
  findSubmissionSets(patient: PatientIns, options?: { from?: string; actor?: VihfActor }): Promise<FoundSubmissionSet[]>;
  getAssociations(uuids: string[], actor?: VihfActor): Promise<FoundAssociation[]>;
  retrieve(uniqueId: string, options?: { repositoryUniqueId?: string; patient?: PatientIns; actor?: VihfActor }): Promise<{ bytes: Uint8Array; mimeType: string }>;
  /** New metadata version with exactly these visibility flags (MASQUE_PS, INVISIBLE_PATIENT, INVISIBLE_REPRESENTANTS_LEGAUX). */
  setVisibility(uniqueId: string, patient: PatientIns, flags: VisibilityFlag[], actor?: VihfActor): Promise<void>;
  archive(uniqueId: string, patient: PatientIns, actor?: VihfActor): Promise<void>;
  unarchive(uniqueId: string, patient: PatientIns, actor?: VihfActor): Promise<void>;
  delete(uniqueId: string, patient: PatientIns, actor?: VihfActor): Promise<void>;
  close(): void;
}

/** The structure's automaton (dmp.md §4). */
export const automatonActor = (structure: VihfStructure, software: VihfSoftware): VihfActor => ({
  nameId: structure.id,
  subjectName: `${software.name}, ${software.version}, PFI`,
  roles: [{ code: 'AUTOMATE', codeSystem: '1.2.250.1.213.1.1.4.6', displayName: 'Automate' }],
  authnContext: 'TLSClient',
  authMode: 'INDIRECTE',
});

const uuidOid = (): string => `2.25.${BigInt(`0x${randomUUID().replace(/-/g, '')}`).toString(10)}`;
const dtmNow = (): string => new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);

interface HttpAnswer {
  status: number;
  contentType: string;
  body: Buffer;
}

export function createDmpClient(options: DmpClientOptions): DmpClient {
  const base = new URL(options.endpoint);
  if (base.protocol !== 'https:') throw new Error(`DMP endpoint must be https, got ${base.protocol}`);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const newOid = options.newOid ?? uuidOid;
  const buildBody = options.buildBody ?? (async (input: Iti41Input) => buildIti41Body(input));
  const defaultActor = options.actor ?? automatonActor(options.structure, options.software);
  const http = createHttpsClient({ tls: options.tls, timeoutMs });
  const log = options.logger;
  const serviceUrl = (t: DmpTransaction): URL => new URL(`${base.pathname.replace(/\/$/, '')}${DMP_SERVICES_PATH}/${DMP_SERVICE[t]}`, base);

  /** One HTTP exchange (platform/http: keep-alive, deadline, one retry on a stale socket). */
  const post = async (url: URL, headers: Record<string, string | number>, payload: Buffer, messageId: string): Promise<HttpAnswer> => {
    try {
      const answer = await http.exchange(url, { method: 'POST', headers, body: payload });
      return { status: answer.status, contentType: String(answer.headers['content-type'] ?? ''), body: answer.body };
    } catch (error) {
      if (error instanceof HttpTimeoutError) throw new DmpError('timeout', `${DMP_ERROR_MESSAGES.timeout} (délai ${Math.round(timeoutMs / 100) / 10} s)`, { messageId });
      throw transportError(error as NodeJS.ErrnoException, messageId);
    }
  };

  /**
   * The signed VIHF for an actor and a patient, reused while it has more than VIHF_RENEW_MS of
   * validity left: one RSA signature per actor and patient every few minutes, not per call.
   */
  const vihfs = new Map<string, { xml: string; renewAt: number }>();
  const vihfFor = (actor: VihfActor, patient: PatientIns | undefined): string => {
    const key = JSON.stringify([actor, patient ? patientCx(patient) : '']);
    const known = vihfs.get(key);
    if (known && Date.now() < known.renewAt) return known.xml;
    const xml = buildVihf({ actor, structure: options.structure, software: options.software, validityMs: VIHF_VALIDITY_MS, ...(patient ? { patientId: patientCx(patient) } : {}) }, options.signing);
    if (vihfs.size >= VIHF_CACHE_SIZE) vihfs.delete(vihfs.keys().next().value ?? '');
    vihfs.set(key, { xml, renewAt: Date.now() + VIHF_VALIDITY_MS - VIHF_RENEW_MS });
    return xml;
  };

  /** One SOAP exchange: returns the response payload element and attachments, or throws DmpError. */
  const call = async (transaction: DmpTransaction, body: string, actor: VihfActor | undefined, patient: PatientIns | undefined, attachments?: Parameters<typeof buildMtom>[0]['attachments']) => {
    const started = Date.now();
    const messageId = newMessageId();
    const url = serviceUrl(transaction);
    const action = DMP_ACTION[transaction];
    let status = 0;
    try {
      const vihf = vihfFor(actor ?? defaultActor, patient);
      const envelope = buildSoapRequest({ action, to: url.toString(), messageId, vihf, body });
      let answer: HttpAnswer;
      if (attachments) {
        const mtom = buildMtom({ envelope, action, attachments });
        if (!mtom.ok) throw new DmpError('invalid_request', undefined, { reason: describeError(mtom.error), messageId });
        answer = await post(url, { 'content-type': mtom.value.contentType, accept: 'multipart/related, application/soap+xml' }, mtom.value.body, messageId);
      } else {
        answer = await post(url, { 'content-type': soapContentType(action), accept: 'multipart/related, application/soap+xml' }, Buffer.from(envelope, 'utf8'), messageId);
      }
      status = answer.status;
      let xml: string;
      let parts: ReadonlyMap<string, MtomPart> = new Map();
      if (isMultipartRelated(answer.contentType)) {
        const mtom = parseMtom(answer.contentType, answer.body);
        if (!mtom.ok) throw new DmpError('protocol', undefined, { reason: describeError(mtom.error), httpStatus: status, messageId });
        xml = mtom.value.envelope;
        parts = mtom.value.attachments;
      } else {
        xml = answer.body.toString('utf8');
      }
      const parsed = parseEnvelope(xml);
      if (!parsed.ok) {
        if (status === 502 || status === 503 || status === 504) throw new DmpError('unavailable', undefined, { reason: `HTTP ${status}`, httpStatus: status, messageId });
        throw new DmpError(status >= 400 ? 'http' : 'protocol', status >= 400 ? `${DMP_ERROR_MESSAGES.http} (HTTP ${status})` : undefined, { reason: describeError(parsed.error), httpStatus: status, messageId });
      }
      if (parsed.value.fault) {
        const f = parsed.value.fault;
        const sub = f.subcodes[f.subcodes.length - 1]?.localName;
        const code = sub && (sub in DMP_ERROR_MESSAGES || /^(SANDBOX_|XDS|DMP)/.test(sub)) ? sub : f.code;
        throw new DmpError(code, undefined, { reason: f.reason, httpStatus: status, messageId });
      }
      const payload = parsed.value.payload;
      if (!payload) throw new DmpError('protocol', undefined, { reason: 'soap:Body empty', httpStatus: status, messageId });
      log?.info({ event: 'dmp.call', transaction, messageId, httpStatus: status, durationMs: Date.now() - started });
      return { payload, parts, messageId };
    } catch (error) {
      if (error instanceof DmpError) log?.warn({ event: 'dmp.call', transaction, messageId, error: error.code, httpStatus: status || undefined, durationMs: Date.now() - started });
      throw error;
    }
  };

  const failOn = (errors: RegistryErrorFacts[], statusValue: string, messageId: string): void => {
    if (statusValue === RESPONSE_STATUS.success && errors.length === 0) return;
    const [first, ...others] = errors;
    if (!first) throw new DmpError('protocol', undefined, { reason: `status ${statusValue} without RegistryError`, messageId });
    throw new DmpError(first.errorCode, undefined, { reason: first.codeContext, ...(first.location ? { location: first.location } : {}), messageId, others: others.map((o) => ({ code: o.errorCode, reason: o.codeContext })) });
  };

  const registryCall = async (transaction: 'iti41' | 'iti57', body: string, actor: VihfActor | undefined, patient: PatientIns | undefined, attachments?: Parameters<typeof buildMtom>[0]['attachments']): Promise<string> => {
    const { payload, messageId } = await call(transaction, body, actor, patient, attachments);
    if (payload.namespaceURI !== RS_NS || payload.localName !== 'RegistryResponse') throw new DmpError('protocol', undefined, { reason: 'rs:RegistryResponse expected', messageId });
    const status = readRegistryStatus(payload);
    if (!status.ok) throw new DmpError('protocol', undefined, { reason: describeError(status.error), messageId });
    failOn(status.value.errors, status.value.status, messageId);
    return messageId;
  };

  const query = async (queryId: string, parameters: Record<string, string[] | undefined>, actor: VihfActor | undefined, patient: PatientIns | undefined) => {
    const { payload, messageId } = await call('iti18', buildStoredQuery(queryId, parameters), actor, patient);
    const result = readQueryResponse(payload);
    if (!result.ok) throw new DmpError('protocol', undefined, { reason: describeError(result.error), messageId });
    failOn(result.value.errors, result.value.status, messageId);
    return result.value;
  };

  const submissionSet = (patient: PatientIns, author: XdsAuthor | undefined) => ({
    uniqueId: newOid(),
    sourceId: options.sourceId,
    submissionTime: dtmNow(),
    contentTypeCode: { code: '04', codingScheme: '1.2.250.1.213.2.2', displayName: 'Hospitalisation de jour' },
    author: author ?? { institutions: [`^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^${options.structure.id}`] },
    patientId: patientCx(patient),
  });

  const publish = async (input: PublishInput, replaces?: string): Promise<PublishResult> => {
    const first = input.documents[0];
    if (!first) throw new DmpError('invalid_request', 'Aucun document à publier.');
    const signatureUniqueId = newOid();
    const ss = { uniqueId: newOid(), sourceId: options.sourceId, submissionTime: dtmNow(), contentTypeCode: input.contentTypeCode, author: input.author, ...(input.title ? { title: input.title } : {}) };
    const built = await buildBody({
      submissionSet: ss,
      documents: input.documents.map((d, i) => ({ entry: d.entry, bytes: d.bytes, ...(i === 0 && replaces ? { replacesEntryUuid: replaces } : {}) })),
      signature: { uniqueId: signatureUniqueId, signer: options.signing },
    });
    if (!built.ok) throw new DmpError('invalid_request', `Métadonnées du document incomplètes : ${describeError(built.error)}`, { reason: describeError(built.error) });
    const patient = insOf(first.entry.patientId);
    const messageId = await registryCall('iti41', built.value.body, input.actor, patient, built.value.attachments);
    return { submissionSetUniqueId: ss.uniqueId, signatureUniqueId, messageId };
  };

  const current = async (uniqueId: string, patient: PatientIns | undefined, actor: VihfActor | undefined): Promise<FoundDocument> => {
    const found = await query(STORED_QUERY.getDocuments, { $XDSDocumentEntryUniqueId: [uniqueId] }, actor, patient);
    const live = found.documents.filter((d) => d.status === AVAILABILITY.approved || d.status === AVAILABILITY.archived);
    const latest = live.sort((a, b) => Number(b.version ?? 1) - Number(a.version ?? 1))[0];
    if (!latest) throw new DmpError('not_found', `${DMP_ERROR_MESSAGES.not_found} (${uniqueId})`);
    return latest;
  };

  const changeStatus = async (uniqueId: string, patient: PatientIns, from: string[], to: string, actor?: VihfActor): Promise<void> => {
    const entry = await current(uniqueId, patient, actor);
    if (!from.includes(entry.status)) throw new DmpError('SANDBOX_STATUS_TRANSITION', undefined, { reason: `current status ${entry.status}` });
    const built = buildStatusUpdate({ submissionSet: submissionSet(patient, undefined), entryUuid: entry.entryUuid, originalStatus: entry.status, newStatus: to });
    if (!built.ok) throw new DmpError('invalid_request', undefined, { reason: describeError(built.error) });
    await registryCall('iti57', built.value, actor, patient);
  };

  return {
    async checkDmp(patient, actor) {
      const body = buildTd02Request(patient, { messageId: randomUUID(), senderOid: options.sourceId });
      const { payload, messageId } = await call('td02', body, actor, patient);
      const answer = readTd02Response(payload);
      if (!answer.ok) throw new DmpError('protocol', undefined, { reason: describeError(answer.error), messageId });
      return answer.value;
    },
    publish: (input) => publish(input),
    async replace(input) {
      const entry = input.documents[0].entry;
      if (!entry.replaces) throw new DmpError('invalid_request', 'Le document de remplacement doit désigner le document remplacé (relatedDocument RPLC).');
      const old = await current(entry.replaces, insOf(entry.patientId), input.actor);
      const result = await publish(input, old.entryUuid);
      return { ...result, replacedEntryUuid: old.entryUuid };
    },
    async findDocuments(q) {
      const result = await query(STORED_QUERY.findDocuments, {
        $XDSDocumentEntryPatientId: [patientCx(q.patient)],
        $XDSDocumentEntryStatus: q.statuses ?? [AVAILABILITY.approved],
        $XDSDocumentEntryClassCode: q.classCodes?.map((c) => `${c.code}^^${c.codingScheme}`),
        $XDSDocumentEntryTypeCode: q.typeCodes?.map((c) => `${c.code}^^${c.codingScheme}`),
        $XDSDocumentEntryServiceStartTimeFrom: q.serviceStartFrom ? [q.serviceStartFrom] : undefined,
      }, q.actor, q.patient);
      return result.documents;
    },
    async getDocuments(ids, patient, actor) {
      const params = ids.entryUuids?.length ? { $XDSDocumentEntryEntryUUID: ids.entryUuids } : { $XDSDocumentEntryUniqueId: ids.uniqueIds ?? [] };
      return (await query(STORED_QUERY.getDocuments, params, actor, patient)).documents;
    },
    async findSubmissionSets(patient, opts = {}) {
      const result = await query(STORED_QUERY.findSubmissionSets, {
        $XDSSubmissionSetPatientId: [patientCx(patient)],
        $XDSSubmissionSetStatus: [AVAILABILITY.approved],
        $XDSSubmissionSetSubmissionTimeFrom: opts.from ? [opts.from] : undefined,
      }, opts.actor, patient);
      return result.submissionSets;
    },
    async getAssociations(uuids, actor) {
      return (await query(STORED_QUERY.getAssociations, { $uuid: uuids }, actor, undefined)).associations;
    },
    async retrieve(uniqueId, opts = {}) {
      const repositoryUniqueId = opts.repositoryUniqueId ?? (await current(uniqueId, opts.patient, opts.actor)).repositoryUniqueId;
      if (!repositoryUniqueId) throw new DmpError('protocol', undefined, { reason: 'repositoryUniqueId unknown' });
      const { payload, parts, messageId } = await call('iti43', buildRetrieveRequest([{ repositoryUniqueId, documentUniqueId: uniqueId }]), opts.actor, opts.patient);
      const result = readRetrieveResponse(payload, parts);
      if (!result.ok) throw new DmpError('protocol', undefined, { reason: describeError(result.error), messageId });
      failOn(result.value.errors, result.value.status, messageId);
      const doc = result.value.documents.find((d) => d.documentUniqueId === uniqueId);
      if (!doc) throw new DmpError('not_found', undefined, { messageId });
      return { bytes: doc.bytes, mimeType: doc.mimeType };
    },
    async setVisibility(uniqueId, patient, flags, actor) {
      const entry = await current(uniqueId, patient, actor);
      const built = buildVisibilityUpdate({ submissionSet: submissionSet(patient, entry.entry.authors[0]), current: { entry: entry.entry, logicalId: entry.logicalId ?? entry.entryUuid, version: entry.version ?? '1' }, flags });
      if (!built.ok) throw new DmpError('invalid_request', undefined, { reason: describeError(built.error) });
      await registryCall('iti57', built.value, actor, patient);
    },
    archive: (uniqueId, patient, actor) => changeStatus(uniqueId, patient, [AVAILABILITY.approved], AVAILABILITY.archived, actor),
    unarchive: (uniqueId, patient, actor) => changeStatus(uniqueId, patient, [AVAILABILITY.archived], AVAILABILITY.approved, actor),
    delete: (uniqueId, patient, actor) => changeStatus(uniqueId, patient, [AVAILABILITY.approved, AVAILABILITY.archived], AVAILABILITY.deleted, actor),
    close() {
      http.close();
    },
  };
}

/** The INS of a patientId CX, for the VIHF resource-id. */
function insOf(cx: string): PatientIns | undefined {
  const m = /^([^^]+)\^\^\^&([0-9.]+)&ISO\^NH$/.exec(cx);
  return m ? { matricule: m[1]!, oid: m[2]! } : undefined;
}

function transportError(error: NodeJS.ErrnoException, messageId: string): DmpError {
  return new DmpError('transport', `${DMP_ERROR_MESSAGES.transport} (${error.code ?? error.name})`, { reason: error.message, messageId, cause: error });
}
