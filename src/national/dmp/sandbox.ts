/**
 * Local stand-in for the DMP (dmp.md): an XDS.b registry + repository over HTTPS on loopback
 * that demands a client certificate of the test PKI, stores in the platform database
 * (tables.ts) and enforces the DMP rules (registry.ts, rules.ts):
 *
 * - mutual TLS (any client certificate of the test CA);
 * - SOAP 1.2 with a known `wsa:Action` on the right service path, else a Sender fault;
 * - a VIHF in wsse:Security, validly signed by a certificate of the test CA, within its
 *   Conditions, with the attributes of dmp.md §4 — else a Sender fault whose Subcode is
 *   `SANDBOX_VIHF_MISSING` / `_INVALID` / `_UNTRUSTED` / `_EXPIRED` (HTTP 500, like the DMP);
 * - every registry rule answered in the transaction's own response (RegistryResponse,
 *   AdhocQueryResponse, RetrieveDocumentSetResponse) with status Failure and a RegistryError
 *   carrying the IHE code, or a `SANDBOX_` code where the DMP's is not public.
 *
 * Endpoints: `<url>/si-dmp-server/v2/services/{patients|registry|repository}` (dmp.md §2).
 * Test patients: `setPatient(matricule, { status, treatingPhysician })`; a patient not set is
 * `unknownPatients` (default `active`). `patientView` shows what the patient sees.
 * Logs carry no patient data (operation, codes, durations).
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { XMLSerializer, type Element } from '@xmldom/xmldom';
import { describeError } from '../../formats/result.ts';
import { buildFaultEnvelope, buildMtom, isMultipartRelated, parseEnvelope, parseMtom, parseSoapContentType, readAddressing, serializeEnvelope, soapContentType, WSA_FAULT, WSA_NS, type MtomAttachment, type MtomPart, type QName } from '../../formats/soap/index.ts';
import { LCM_NS } from '../../formats/xds/index.ts';
import type { Database } from '../../platform/db/index.ts';
import { readRequestBody } from '../../platform/http/body.ts';
import { listenOn } from '../../platform/http/listen.ts';
import type { Logger } from '../../platform/logging.ts';
import { sandboxServerTls, type TestPki } from '../../platform/pki/index.ts';
import { dmpErrorMessage } from './errors.ts';
import { readIti41Request } from './iti41.ts';
import { buildQueryResponse, readStoredQuery } from './iti18.ts';
import { buildRetrieveResponse, readRetrieveRequest } from './iti43.ts';
import { Registry, type PatientRow } from './registry.ts';
import { RuleError, type Requester } from './rules.ts';
import { buildTd02Response, readTd02Request } from './td02.ts';
import { verifyVihf, vihfProblemOf, type VihfFacts } from './vihf.ts';
import { buildRegistryResponse, buildSoapResponse, DMP_ACTION, DMP_RESPONSE_ACTION, DMP_SERVICE, DMP_SERVICES_PATH, SAML_NS, WSSE_NS, type DmpTransaction } from './wire.ts';

const assertionSerializer = new XMLSerializer();
/** Verified VIHF kept, by their text. */
const VERIFIED_ASSERTIONS = 1_000;

/** Namespace of the sandbox's fault subcodes. */
export const SANDBOX_FAULT_NS = 'urn:passerelle:sandbox:dmp';
/** Default repositoryUniqueId of the sandbox (private test arc). */
export const SANDBOX_REPOSITORY_ID = '1.2.250.1.999.1.9.1';
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export interface DmpSandboxOptions {
  pki: TestPki;
  database: Database;
  host?: string;
  port?: number;
  /** Accept production INS OIDs (…4.8 NIR, …4.9 NIA). Default false: only test …4.10 and demo …4.11. */
  allowProductionIns?: boolean;
  /** State of a patient never set with `setPatient`. Default `active`. */
  unknownPatients?: 'active' | 'absent';
  repositoryUniqueId?: string;
  /** CAs whose certificates may sign VIHF and XAdES. Default: the test PKI's CA. */
  trustedCa?: string[];
  /** Delay before each answer (client timeout tests). */
  responseDelayMs?: number;
  logger?: Logger;
}

export interface DmpSandbox {
  /** Base URL, e.g. https://127.0.0.1:40123 (services under /si-dmp-server/v2/services/). */
  url: string;
  port: number;
  repositoryUniqueId: string;
  setPatient(matricule: string, state: Partial<PatientRow>): Promise<void>;
  patientView: Registry['patientView'];
  counters(): { requests: number; faults: Record<string, number>; failures: Record<string, number> };
  close(): Promise<void>;
}

class Fault {
  constructor(readonly code: 'Sender' | 'Receiver' | 'VersionMismatch', readonly reason: string, readonly subcode?: QName, readonly status = 500) {}
}
const sandboxFault = (code: string, detail: string): Fault =>
  new Fault('Sender', `${dmpErrorMessage(code)} (${detail})`, { namespace: SANDBOX_FAULT_NS, localName: code, prefix: 'dmp' });

interface Answer {
  status: number;
  contentType: string;
  body: Buffer;
  code: string;
  transaction?: DmpTransaction;
}

export async function startDmpSandbox(options: DmpSandboxOptions): Promise<DmpSandbox> {
  const repositoryUniqueId = options.repositoryUniqueId ?? SANDBOX_REPOSITORY_ID;
  const trustedCa = options.trustedCa ?? [options.pki.ca.cert];
  const registry = new Registry(options.database, {
    allowProductionIns: options.allowProductionIns ?? false,
    unknownPatients: options.unknownPatients ?? 'active',
    repositoryUniqueId,
    trustedCa,
  });
  const counters = { requests: 0, faults: {} as Record<string, number>, failures: {} as Record<string, number> };

  /**
   * A VIHF is checked on its own (the signature covers the assertion alone, so there is no
   * need to canonicalise the whole envelope), and an assertion already verified is not
   * verified again while it is valid: a client reuses its VIHF across requests, as the DMP
   * allows within the assertion's validity.
   */
  const verifiedAssertions = new Map<string, VihfFacts>();
  const verifiedVihf = (assertion: Element): ReturnType<typeof verifyVihf> => {
    const xml = assertionSerializer.serializeToString(assertion);
    const known = verifiedAssertions.get(xml);
    if (known && (!known.notOnOrAfter || new Date() < new Date(known.notOnOrAfter))) return { ok: true, value: known };
    const verified = verifyVihf(xml, assertion, { trustedCa });
    if (verified.ok) {
      if (verifiedAssertions.size >= VERIFIED_ASSERTIONS) verifiedAssertions.delete(verifiedAssertions.keys().next().value ?? '');
      verifiedAssertions.set(xml, verified.value);
    }
    return verified;
  };
  const log = options.logger;

  const faultAnswer = (fault: Fault): Answer => {
    const xml = serializeEnvelope(buildFaultEnvelope({ code: fault.code, reason: fault.reason, ...(fault.subcode ? { subcodes: [fault.subcode] } : {}) }));
    const code = fault.subcode?.localName ?? fault.code;
    counters.faults[code] = (counters.faults[code] ?? 0) + 1;
    return { status: fault.status, contentType: soapContentType(), body: Buffer.from(xml, 'utf8'), code };
  };

  const soapAnswer = (transaction: DmpTransaction, body: string, relatesTo: string | undefined, code = 'Success'): Answer => ({
    status: 200,
    contentType: soapContentType(DMP_RESPONSE_ACTION[transaction]),
    body: Buffer.from(buildSoapResponse(DMP_RESPONSE_ACTION[transaction], body, relatesTo), 'utf8'),
    code,
    transaction,
  });

  const handle = async (req: IncomingMessage, raw: Buffer): Promise<Answer> => {
    if (req.method !== 'POST') return faultAnswer(new Fault('Sender', `HTTP method ${req.method ?? '?'} not allowed: POST expected`, undefined, 405));
    const service = (req.url ?? '').split('?')[0]!.replace(`${DMP_SERVICES_PATH}/`, '');
    // 1. Transport: MTOM or plain SOAP 1.2.
    let envelopeXml: string;
    let attachments: ReadonlyMap<string, MtomPart> = new Map();
    let headerAction: string | undefined;
    if (isMultipartRelated(req.headers['content-type'])) {
      const mtom = parseMtom(req.headers['content-type'], raw);
      if (!mtom.ok) return faultAnswer(new Fault('Sender', describeError(mtom.error)));
      envelopeXml = mtom.value.envelope;
      attachments = mtom.value.attachments;
      headerAction = mtom.value.action;
    } else {
      const type = parseSoapContentType(req.headers['content-type']);
      if (!type.ok) return faultAnswer(new Fault('Sender', describeError(type.error), undefined, 415));
      envelopeXml = raw.toString('utf8');
      headerAction = type.value.action;
    }
    const envelope = parseEnvelope(envelopeXml);
    if (!envelope.ok) return faultAnswer(new Fault(/SOAP 1\.1/.test(envelope.error.rule) ? 'VersionMismatch' : 'Sender', describeError(envelope.error)));
    // 2. Addressing.
    const addressing = readAddressing(envelope.value.headerBlocks);
    const action = addressing.action ?? headerAction;
    const wsa = (name: string): QName => ({ namespace: WSA_NS, localName: name, prefix: 'wsa' });
    if (!action) return faultAnswer(new Fault('Sender', 'wsa:Action: required header missing', wsa(WSA_FAULT.headerRequired)));
    const transaction = (Object.keys(DMP_ACTION) as DmpTransaction[]).find((t) => DMP_ACTION[t] === action);
    if (!transaction) return faultAnswer(new Fault('Sender', `wsa:Action "${action}" is not supported`, wsa(WSA_FAULT.actionNotSupported)));
    if (DMP_SERVICE[transaction] !== service) return faultAnswer(new Fault('Sender', `wsa:Action ${action} is not served at /${service} (expected /${DMP_SERVICE[transaction]})`, wsa(WSA_FAULT.actionNotSupported)));
    if (!addressing.messageId) return faultAnswer(new Fault('Sender', 'wsa:MessageID: required header missing', wsa(WSA_FAULT.headerRequired)));
    // 3. VIHF.
    const security = envelope.value.headerBlocks.find((b) => b.namespaceURI === WSSE_NS && b.localName === 'Security');
    const assertion = security ? Array.from(security.getElementsByTagNameNS(SAML_NS, 'Assertion'))[0] : undefined;
    if (!assertion) return faultAnswer(sandboxFault('SANDBOX_VIHF_MISSING', 'wsse:Security/saml2:Assertion absent'));
    const vihf = verifiedVihf(assertion);
    if (!vihf.ok) return faultAnswer(sandboxFault(`SANDBOX_VIHF_${vihfProblemOf(vihf.error.field).toUpperCase()}`, vihf.error.rule));
    const payload = envelope.value.payload;
    if (!payload) return faultAnswer(new Fault('Sender', 'soap:Body: empty'));
    const requester: Requester & { patientId?: string } = { nameId: vihf.value.nameId, structureId: vihf.value.structureId ?? '', ...(vihf.value.patientId ? { patientId: vihf.value.patientId } : {}) };
    return transactionAnswer(transaction, payload, attachments, requester, vihf.value, addressing.messageId);
  };

  /** Runs one transaction; a broken rule becomes the transaction's Failure answer. */
  const transactionAnswer = async (transaction: DmpTransaction, payload: Element, attachments: ReadonlyMap<string, MtomPart>, requester: Requester & { patientId?: string }, _vihf: VihfFacts, messageId: string): Promise<Answer> => {
    const failure = (error: RuleError): Answer => {
      counters.failures[error.code] = (counters.failures[error.code] ?? 0) + 1;
      const errors = [{ errorCode: error.code, codeContext: error.context, ...(error.location ? { location: error.location } : {}) }];
      switch (transaction) {
        case 'iti18': return soapAnswer(transaction, buildQueryResponse({}, errors), messageId, error.code);
        case 'iti43': return mtomAnswer(buildRetrieveResponse([], errors), messageId, error.code);
        case 'td02': return faultAnswer(sandboxFault(error.code, error.context));
        default: return soapAnswer(transaction, buildRegistryResponse(errors), messageId, error.code);
      }
    };
    const metadataError = (field: string, rule: string): RuleError => new RuleError('XDSRegistryMetadataError', `${field}: ${rule}`, field);
    try {
      switch (transaction) {
        case 'td02': {
          const request = readTd02Request(payload);
          if (!request.ok) return faultAnswer(new Fault('Sender', describeError(request.error)));
          return soapAnswer(transaction, buildTd02Response(await registry.td02(request.value, requester)), messageId);
        }
        case 'iti41': {
          const request = readIti41Request(payload, attachments);
          if (!request.ok) return failure(metadataError(request.error.field, request.error.rule));
          await registry.provideAndRegister(request.value, requester);
          return soapAnswer(transaction, buildRegistryResponse(), messageId);
        }
        case 'iti18': {
          const query = readStoredQuery(payload);
          if (!query.ok) return failure(new RuleError('XDSRegistryError', describeError(query.error)));
          return soapAnswer(transaction, await registry.storedQuery(query.value, requester), messageId);
        }
        case 'iti43': {
          const request = readRetrieveRequest(payload);
          if (!request.ok) return failure(new RuleError('XDSRepositoryError', describeError(request.error)));
          return mtomAnswer(await registry.retrieve(request.value, requester), messageId, 'Success');
        }
        case 'iti57': {
          if (payload.namespaceURI !== LCM_NS || payload.localName !== 'SubmitObjectsRequest') return failure(metadataError('soap:Body', 'lcm:SubmitObjectsRequest expected'));
          await registry.updateDocumentSet(payload, requester);
          return soapAnswer(transaction, buildRegistryResponse(), messageId);
        }
      }
    } catch (error) {
      if (error instanceof RuleError) return failure(error);
      log?.error({ event: 'dmp.sandbox.error', transaction, error: error instanceof Error ? error.message : String(error) });
      return failure(new RuleError(transaction === 'iti43' ? 'XDSRepositoryError' : 'XDSRegistryError', 'internal error of the sandbox'));
    }
  };

  const mtomAnswer = (response: { body: string; attachments: MtomAttachment[] }, messageId: string, code: string): Answer => {
    const action = DMP_RESPONSE_ACTION.iti43;
    const built = buildMtom({ envelope: buildSoapResponse(action, response.body, messageId), action, attachments: response.attachments });
    if (!built.ok) return faultAnswer(new Fault('Receiver', describeError(built.error)));
    return { status: 200, contentType: built.value.contentType, body: built.value.body, code, transaction: 'iti43' };
  };

  const server: Server = createServer(sandboxServerTls(options.pki), (req: IncomingMessage, res: ServerResponse) => {
    counters.requests += 1;
    readRequestBody(req, MAX_BODY_BYTES).then((read) => {
      const started = Date.now();
      const work = read.tooLarge ? Promise.resolve(faultAnswer(new Fault('Sender', `request larger than ${MAX_BODY_BYTES} bytes`, undefined, 413))) : handle(req, read.body);
      work.catch((error: unknown) => {
        log?.error({ event: 'dmp.sandbox.error', error: error instanceof Error ? error.message : String(error) });
        return faultAnswer(new Fault('Receiver', 'internal error of the DMP sandbox'));
      }).then((out) => {
        log?.info({ event: 'dmp.sandbox.answer', transaction: out.transaction, status: out.status, code: out.code, durationMs: Date.now() - started });
        const send = (): void => {
          if (res.destroyed) return;
          res.writeHead(out.status, { 'content-type': out.contentType, 'content-length': out.body.length });
          res.end(out.body);
        };
        if (options.responseDelayMs) setTimeout(send, options.responseDelayMs).unref();
        else send();
      }, () => res.destroy());
    }, () => res.destroy());
  });
  server.on('tlsClientError', (error) => log?.debug({ event: 'dmp.sandbox.tls_error', code: (error as NodeJS.ErrnoException).code }));
  server.keepAliveTimeout = 5_000;

  const address = await listenOn(server, options.port ?? 0, options.host ?? '127.0.0.1');
  log?.info({ event: 'dmp.sandbox.started', port: address.port, instance: randomUUID() });
  return {
    url: address.origin,
    port: address.port,
    repositoryUniqueId,
    setPatient: (matricule, state) => registry.setPatient(matricule, state),
    patientView: (matricule, as) => registry.patientView(matricule, as),
    counters: () => structuredClone(counters),
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
