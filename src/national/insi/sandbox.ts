/**
 * Local stand-in for the INSi teleservice: SOAP 1.2 over HTTPS with client certificates from
 * the test PKI, enforcing what the real service enforces (identity.md §6.2–6.4):
 *
 * - client certificate CN must be INSI-AUTO or INSI-MANU, else fault `DESIR_560`;
 * - ContexteLPS must carry a known IDAM, else fault `siram_100` / `desir_550`;
 * - Content-Type `application/soap+xml`, well-formed SOAP 1.2 envelope, known wsa:Action
 *   matching the body, body conforming to the request XSD, else a Sender fault whose Reason
 *   names the element and the rule (WS-Addressing subcodes where they apply);
 * - answers 00/01/02 from the dataset (dataset.ts); RESULTAT valid against
 *   INSi_RESULTAT_INS.xsd, faults with `siram:Erreur` valid against schema_faultSOAP_V01_01.xsd.
 *
 * Every fault is answered with HTTP 500, like the real service. Test hooks: birth name
 * `INSI ERREUR TECHNIQUE` → fault insi_102, `INSI INDISPONIBLE` → fault siram_40;
 * `responseDelayMs` delays every answer (client timeout tests). Logs carry no traits.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { parseEnvelope, parseSoapContentType, SOAP12_NS, soapContentType, WSA_FAULT, WSA_NS, type QName } from '../../formats/soap/index.ts';
import { describeError } from '../../formats/result.ts';
import { sandboxServerTls, type TestPki } from '../../platform/pki/index.ts';
import { readRequestBody } from '../../platform/http/body.ts';
import { listenOn } from '../../platform/http/listen.ts';
import type { Logger } from '../../platform/logging.ts';
import { INSI_RESULT_LABEL, SERVICE_FAULT_REASON, type InsiResultCode } from './codes.ts';
import { matchTraits, matchVitale, sandboxDataset, type SandboxIdentity, type SandboxIns, type DatasetOptions } from './dataset.ts';
import {
  buildFaultResponse,
  buildResultResponse,
  INSI_ACTION,
  operationOfAction,
  parseInsiRequest,
  siramSubcode,
  type FaultSpec,
  type InsiOperation,
  type WireIns,
  type WireResult,
} from './wire.ts';

/** IDAM accepted by default: the platform's default configuration (`insi.idam`). */
export const SANDBOX_IDAM = 'SANDBOX-IDAM-0001';
/** Certificate CNs the INSi mTLS endpoint accepts. */
export const INSI_CERTIFICATE_CNS = ['INSI-AUTO', 'INSI-MANU'] as const;
const MAX_BODY_BYTES = 1024 * 1024;

export interface InsiSandboxOptions {
  pki: TestPki;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (an ephemeral port). */
  port?: number;
  /** IDAM numbers accepted in ContexteLPS. Default `[SANDBOX_IDAM]`. */
  knownSoftware?: string[];
  /** Extra identities, added to the public test identities. */
  identities?: SandboxIdentity[];
  /** Generated population (default 300 identities, seed SANDBOX_SEED); `false` for none. */
  generated?: DatasetOptions['generated'];
  /** Delay before each answer, for timeout tests. */
  responseDelayMs?: number;
  logger?: Logger;
}

export interface InsiSandboxCounters {
  /** TLS connections accepted (client certificate verified); keep-alive reuses them. */
  connections: number;
  /** HTTP requests received (after the TLS handshake). */
  requests: number;
  /** Searches answered with a RESULTAT, per operation. */
  traits: number;
  vitale: number;
  /** RESULTAT answers per CodeCR. */
  results: Record<string, number>;
  /** Faults per code (detail code, else subcode, else SOAP code). */
  faults: Record<string, number>;
}

export interface InsiSandbox {
  /** Endpoint URL, e.g. https://127.0.0.1:40123/lps */
  url: string;
  port: number;
  /** The identities served. */
  dataset: readonly SandboxIdentity[];
  counters(): InsiSandboxCounters;
  resetCounters(): void;
  close(): Promise<void>;
}

const emptyCounters = (): InsiSandboxCounters => ({ connections: 0, requests: 0, traits: 0, vitale: 0, results: {}, faults: {} });

class FaultAnswer {
  constructor(readonly spec: FaultSpec, readonly status = 500) {}
  get code(): string {
    return this.spec.erreur?.code ?? this.spec.subcode?.localName ?? this.spec.soapCode;
  }
}

const sender = (reason: string, subcode?: QName): FaultAnswer => new FaultAnswer({ soapCode: 'Sender', reason, ...(subcode ? { subcode } : {}) });
const wsaSubcode = (localName: string): QName => ({ namespace: WSA_NS, localName, prefix: 'wsa' });

export async function startInsiSandbox(options: InsiSandboxOptions): Promise<InsiSandbox> {
  const dataset = sandboxDataset({ identities: options.identities ?? [], generated: options.generated ?? {} });
  const knownSoftware = new Set(options.knownSoftware ?? [SANDBOX_IDAM]);
  let counters = emptyCounters();
  const log = options.logger;

  const answer = (req: IncomingMessage, body: string): { status: number; xml: string; code: string; operation?: InsiOperation } => {
    const outcome = handle(req, body);
    if (outcome instanceof FaultAnswer) {
      counters.faults[outcome.code] = (counters.faults[outcome.code] ?? 0) + 1;
      return { status: outcome.status, xml: buildFaultResponse(outcome.spec), code: outcome.code };
    }
    counters[outcome.operation] += 1;
    counters.results[outcome.result.code] = (counters.results[outcome.result.code] ?? 0) + 1;
    const xml = buildResultResponse(outcome.result, { operation: outcome.operation, ...(outcome.messageId ? { relatesTo: outcome.messageId } : {}) });
    return { status: 200, xml, code: outcome.result.code, operation: outcome.operation };
  };

  const handle = (req: IncomingMessage, body: string): FaultAnswer | { operation: InsiOperation; result: WireResult; messageId?: string } => {
    // 1. Certificate: the CN decides access (DESIR_560), as on the real mTLS endpoint.
    const peer = (req.socket as TLSSocket).getPeerCertificate?.();
    const cn = peer?.subject?.CN;
    const cnValue = Array.isArray(cn) ? cn[0] : cn;
    if (!cnValue || !(INSI_CERTIFICATE_CNS as readonly string[]).includes(cnValue)) {
      return new FaultAnswer({
        soapCode: 'Sender',
        subcode: siramSubcode('siram_100'),
        reason: SERVICE_FAULT_REASON.DESIR_560,
        erreur: { code: 'DESIR_560', severity: 'erreur', text: SERVICE_FAULT_REASON.DESIR_560 },
      });
    }
    if (req.method !== 'POST') return new FaultAnswer({ soapCode: 'Sender', reason: `HTTP method ${req.method ?? '?'} not allowed: POST expected` }, 405);

    // 2. Media type and envelope.
    const contentType = parseSoapContentType(req.headers['content-type']);
    if (!contentType.ok) return new FaultAnswer({ soapCode: 'Sender', reason: describeError(contentType.error) }, 415);
    const envelope = parseEnvelope(body);
    if (!envelope.ok) {
      const versionMismatch = /SOAP 1\.1/.test(envelope.error.rule);
      return new FaultAnswer({ soapCode: versionMismatch ? 'VersionMismatch' : 'Sender', reason: describeError(envelope.error) });
    }
    if (envelope.value.fault) return sender('soap:Body: a Fault is not a request');
    const mustUnderstand = envelope.value.headerBlocks.find((b) =>
      ['true', '1'].includes(b.getAttributeNS(SOAP12_NS, 'mustUnderstand') ?? '') && ![WSA_NS, 'urn:siram:bam:ctxbam', 'urn:siram:lps:ctxlps'].includes(b.namespaceURI ?? ''));
    if (mustUnderstand) {
      return new FaultAnswer({ soapCode: 'MustUnderstand', reason: `header {${mustUnderstand.namespaceURI ?? ''}}${mustUnderstand.localName} is not understood` });
    }

    // 3. Body and addressing.
    const request = parseInsiRequest(envelope.value);
    if (!request.ok) return sender(describeError(request.error));
    const r = request.value;
    const action = r.action ?? contentType.value.action;
    if (!action) return sender('wsa:Action: required header missing', wsaSubcode(WSA_FAULT.headerRequired));
    if (r.action && contentType.value.action && r.action !== contentType.value.action) {
      return sender(`wsa:Action "${r.action}" differs from the Content-Type action "${contentType.value.action}"`, wsaSubcode(WSA_FAULT.invalidHeader));
    }
    const operation = operationOfAction(action);
    if (!operation) return sender(`wsa:Action "${action}" is not supported: expected ${INSI_ACTION.traits} or ${INSI_ACTION.vitale}`, wsaSubcode(WSA_FAULT.actionNotSupported));
    if (operation !== r.operation) {
      return sender(`wsa:Action ${action} does not match the body element (${r.operation === 'traits' ? 'RECSANSVITALE' : 'RECVITALE'})`, wsaSubcode(WSA_FAULT.invalidHeader));
    }
    if (!r.messageId) return sender('wsa:MessageID: required header missing', wsaSubcode(WSA_FAULT.headerRequired));

    // 4. Software authorisation (IDAM) and context headers.
    const idam = r.lps?.idam;
    if (!idam || !knownSoftware.has(idam)) {
      const text = idam ? SERVICE_FAULT_REASON.desir_550 : 'ContexteLPS/LPS/IDAM absent';
      return new FaultAnswer({ soapCode: 'Sender', subcode: siramSubcode('siram_100'), reason: text, erreur: { code: 'desir_550', severity: 'erreur', text, messageId: r.messageId } });
    }
    if (!r.hasContexteBam) return sender('ctxbam:ContexteBAM: required header missing');

    // 5. Search.
    if (r.traits) {
      const hook = simulatedFault(r.traits.birthName, r.messageId);
      if (hook) return hook;
      return { operation, result: resultOf(matchTraits(dataset, r.traits)), messageId: r.messageId };
    }
    return { operation, result: resultOf(matchVitale(dataset, r.vitale!)), messageId: r.messageId };
  };

  const server: Server = createServer(sandboxServerTls(options.pki), (req: IncomingMessage, res: ServerResponse) => {
    counters.requests += 1;
    readRequestBody(req, MAX_BODY_BYTES).then((read) => {
      const started = Date.now();
      const out = read.tooLarge
        ? (() => {
            const f = new FaultAnswer({ soapCode: 'Sender', reason: `request larger than ${MAX_BODY_BYTES} bytes` }, 413);
            counters.faults[f.code] = (counters.faults[f.code] ?? 0) + 1;
            return { status: f.status, xml: buildFaultResponse(f.spec), code: f.code };
          })()
        : answer(req, read.body.toString('utf8'));
      log?.info({ event: 'insi.sandbox.answer', status: out.status, code: out.code, operation: 'operation' in out ? out.operation : undefined, durationMs: Date.now() - started });
      const send = (): void => {
        const payload = Buffer.from(out.xml, 'utf8');
        const headers: Record<string, string | number> = { 'content-type': soapContentType(), 'content-length': payload.length };
        if (out.status === 405) headers.allow = 'POST';
        res.writeHead(out.status, headers);
        res.end(payload);
      };
      if (options.responseDelayMs) setTimeout(send, options.responseDelayMs).unref();
      else send();
    }, () => res.destroy());
  });
  server.on('secureConnection', () => {
    counters.connections += 1;
  });
  server.on('tlsClientError', (error) => log?.debug({ event: 'insi.sandbox.tls_error', code: (error as NodeJS.ErrnoException).code }));
  server.keepAliveTimeout = 5_000;

  const address = await listenOn(server, options.port ?? 0, options.host ?? '127.0.0.1');
  log?.info({ event: 'insi.sandbox.started', port: address.port, identities: dataset.length });
  return {
    url: `${address.origin}/lps`,
    port: address.port,
    dataset,
    counters: () => structuredClone(counters),
    resetCounters: () => {
      counters = emptyCounters();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function simulatedFault(birthName: string, messageId?: string): FaultAnswer | undefined {
  const name = birthName.trim().toUpperCase();
  if (name === 'INSI ERREUR TECHNIQUE') {
    return new FaultAnswer({ soapCode: 'Receiver', subcode: siramSubcode('siram_100'), reason: SERVICE_FAULT_REASON.insi_102, erreur: { code: 'insi_102', severity: 'fatale', text: SERVICE_FAULT_REASON.insi_102, ...(messageId ? { messageId } : {}) } });
  }
  if (name === 'INSI INDISPONIBLE') {
    return new FaultAnswer({ soapCode: 'Receiver', subcode: siramSubcode('siram_40'), reason: 'Service temporairement indisponible' });
  }
  return undefined;
}

const toWireIns = (ins: SandboxIns): WireIns => {
  const out: WireIns = { number: ins.matricule.slice(0, 13), key: ins.matricule.slice(13), oid: ins.oid };
  if (ins.start) out.start = ins.start;
  if (ins.end) out.end = ins.end;
  return out;
};

function resultOf(matches: SandboxIdentity[]): WireResult {
  const code: InsiResultCode = matches.length === 0 ? '01' : matches.length === 1 ? '00' : '02';
  const result: WireResult = { code, label: INSI_RESULT_LABEL[code] };
  const found = matches[0];
  if (code === '00' && found) {
    const traits: WireResult['individual'] = {
      active: toWireIns(found),
      history: (found.history ?? []).map(toWireIns),
      traits: {
        birthName: found.birthName,
        firstGivenName: found.birthGivenNames.split(' ')[0] ?? found.birthGivenNames,
        givenNames: found.birthGivenNames,
        sex: found.sex,
        birthDate: found.birthDate,
        ...(found.birthplace ? { birthplace: found.birthplace } : {}),
      },
    };
    result.individual = traits;
  }
  return result;
}
