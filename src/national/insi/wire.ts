/**
 * INSi wire format, shared by the client and the sandbox (identity.md §6; WSDL
 * `DESIR_ICIR_EXP_1.5.0.wsdl`; XSDs `INSi_RECSANS_INS.xsd`, `INSi_RECVITALE_INS.xsd`,
 * `INSi_RESULTAT_INS.xsd`, `ROOT_ctxbam_CTXBAM_V01_02.xsd`, `ROOT_ctxlps_CTXLPS_V01_00.xsd`,
 * `schema_faultSOAP_V01_01.xsd`).
 *
 * Requests: SOAP 1.2 envelope, headers wsa:Action, wsa:MessageID, ctxbam:ContexteBAM
 * (Version 01_02) and ctxlps:ContexteLPS (Nature CTXLPS, Version 01_00); body RECSANSVITALE or
 * RECVITALE. Responses: body RESULTAT, or a SOAP Fault whose Subcode is `siram:siram_NN` and
 * whose Detail holds `siram:Erreur code=… severite=…`.
 *
 * Everything here is pure and total: builders take typed values, readers return Results and
 * never throw on bad input.
 */
import type { Element } from '@xmldom/xmldom';
import * as xpath from 'xpath';
import {
  appendAddressing,
  appendElement,
  buildFaultEnvelope,
  childElements,
  createEnvelope,
  parseEnvelope,
  qualifiedName,
  readAddressing,
  serializeEnvelope,
  textOf,
  type ParsedEnvelope,
  type QName,
  type SoapFaultCode,
} from '../../formats/soap/index.ts';
import { fail, ok, type Result } from '../../formats/result.ts';

export const INSI_NS = {
  recSans: 'http://www.cnamts.fr/INSiRecSans',
  recVit: 'http://www.cnamts.fr/INSiRecVit',
  resultat: 'http://www.cnamts.fr/INSiResultat',
  ctxbam: 'urn:siram:bam:ctxbam',
  ctxlps: 'urn:siram:lps:ctxlps',
  siram: 'urn:siram',
} as const;

export type InsiOperation = 'traits' | 'vitale';

/** wsa:Action / SOAP action of each operation (WSDL binding). */
export const INSI_ACTION: Record<InsiOperation, string> = {
  traits: 'urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecTraitsIdentite',
  vitale: 'urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecCarteVitale',
};
/** wsa:Action of the answers (WSDL portType output). */
export const INSI_RESPONSE_ACTION: Record<InsiOperation, string> = {
  traits: `${INSI_ACTION.traits}Response`,
  vitale: `${INSI_ACTION.vitale}Response`,
};
export const operationOfAction = (action: string | undefined): InsiOperation | undefined =>
  action === INSI_ACTION.traits ? 'traits' : action === INSI_ACTION.vitale ? 'vitale' : undefined;

/** Versions of the context headers (identity.md §6.2). */
export const CONTEXT_VERSION = { bam: '01_02', lps: '01_00' } as const;

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

export interface InsiSoftware {
  /** Authorisation number (IDAM) issued after CNDA approval. */
  idam: string;
  name: string;
  version: string;
  /** Installation id (a UUID); the client generates one per process when absent. */
  instance?: string;
}

export interface RequestContext {
  software: InsiSoftware & { instance: string };
  /** Emetteur of both context headers (e.g. the establishment's FINESS); omitted when absent. */
  emitter?: string;
  /** `urn:uuid:…`; generated when absent. */
  messageId?: string;
  /** Clock, for tests. */
  now?: Date;
}

/** RECSANSVITALE: one Prenom per call in practice; several prénoms travel space-joined. */
export interface TraitsQuery {
  birthName: string;
  /** The Prenom values (usually one: a single prénom, or all prénoms space-joined). */
  givenNames: string[];
  sex: string;
  birthDate: string;
  birthplace?: string;
}

export interface MatriculeRef {
  /** 13-character NIR/NIA. */
  number: string;
  /** 2-digit key. */
  key?: string;
  type?: string;
}

/** RECVITALE: the beneficiary read from a carte Vitale. */
export interface VitaleQuery {
  matricule: MatriculeRef;
  /** Matricule of the ouvrant droit, when the card holder is not the beneficiary. */
  matriculeOd?: MatriculeRef;
  birthName?: string;
  birthDate: string;
  /** RangNaissance: selects the beneficiary among twins on a shared card. */
  rank?: string;
}

export interface BuiltRequest {
  xml: string;
  action: string;
  messageId: string;
}

const uuid = (): string => globalThis.crypto.randomUUID();

function buildRequest(operation: InsiOperation, ctx: RequestContext, writeBody: (body: Element) => void): BuiltRequest {
  const messageId = ctx.messageId ?? `urn:uuid:${uuid()}`;
  const time = (ctx.now ?? new Date()).toISOString();
  const action = INSI_ACTION[operation];
  const { document, header, body } = createEnvelope();
  const head = header!;
  appendAddressing(head, { action, messageId });

  const bam = appendElement(head, INSI_NS.ctxbam, 'ctxbam:ContexteBAM');
  bam.setAttribute('Version', CONTEXT_VERSION.bam);
  appendElement(bam, INSI_NS.ctxbam, 'ctxbam:Id', uuid());
  appendElement(bam, INSI_NS.ctxbam, 'ctxbam:Temps', time);
  if (ctx.emitter) appendElement(bam, INSI_NS.ctxbam, 'ctxbam:Emetteur', ctx.emitter);
  appendElement(bam, INSI_NS.ctxbam, 'ctxbam:COUVERTURE');

  const lps = appendElement(head, INSI_NS.ctxlps, 'ctxlps:ContexteLPS');
  lps.setAttribute('Nature', 'CTXLPS');
  lps.setAttribute('Version', CONTEXT_VERSION.lps);
  appendElement(lps, INSI_NS.ctxlps, 'ctxlps:Id', uuid());
  appendElement(lps, INSI_NS.ctxlps, 'ctxlps:Temps', time);
  if (ctx.emitter) appendElement(lps, INSI_NS.ctxlps, 'ctxlps:Emetteur', ctx.emitter);
  const software = appendElement(lps, INSI_NS.ctxlps, 'ctxlps:LPS');
  appendElement(software, INSI_NS.ctxlps, 'ctxlps:IDAM', ctx.software.idam).setAttribute('R', '4');
  appendElement(software, INSI_NS.ctxlps, 'ctxlps:Version', ctx.software.version);
  appendElement(software, INSI_NS.ctxlps, 'ctxlps:Instance', ctx.software.instance);
  appendElement(software, INSI_NS.ctxlps, 'ctxlps:Nom', `urn:lps:${ctx.software.name}:${ctx.software.version}`);

  writeBody(body);
  return { xml: serializeEnvelope(document), action, messageId };
}

export function buildTraitsRequest(query: TraitsQuery, ctx: RequestContext): BuiltRequest {
  return buildRequest('traits', ctx, (body) => {
    const root = appendElement(body, INSI_NS.recSans, 'RECSANSVITALE');
    appendElement(root, INSI_NS.recSans, 'NomNaissance', query.birthName);
    for (const given of query.givenNames) appendElement(root, INSI_NS.recSans, 'Prenom', given);
    appendElement(root, INSI_NS.recSans, 'Sexe', query.sex);
    appendElement(root, INSI_NS.recSans, 'DateNaissance', query.birthDate);
    if (query.birthplace) appendElement(root, INSI_NS.recSans, 'LieuNaissance', query.birthplace);
  });
}

export function buildVitaleRequest(query: VitaleQuery, ctx: RequestContext): BuiltRequest {
  return buildRequest('vitale', ctx, (body) => {
    const root = appendElement(body, INSI_NS.recVit, 'RECVITALE');
    const matricule = (name: string, m: MatriculeRef): void => {
      const el = appendElement(root, INSI_NS.recVit, name);
      appendElement(el, INSI_NS.recVit, 'NumIdentifiant', m.number);
      if (m.key) appendElement(el, INSI_NS.recVit, 'Cle', m.key);
      if (m.type) appendElement(el, INSI_NS.recVit, 'TypeMatricule', m.type);
    };
    matricule('MatriculeIndividu', query.matricule);
    if (query.matriculeOd) matricule('MatriculeOD', query.matriculeOd);
    if (query.birthName) appendElement(root, INSI_NS.recVit, 'NomNaissance', query.birthName);
    appendElement(root, INSI_NS.recVit, 'DateNaissance', query.birthDate);
    if (query.rank) appendElement(root, INSI_NS.recVit, 'RangNaissance', query.rank);
  });
}

/** What the sandbox reads from a request. */
export interface InsiRequest {
  operation: InsiOperation;
  action?: string;
  messageId?: string;
  /** ContexteLPS content; absent when the header is missing. */
  lps?: { idam?: string; version?: string; instance?: string; name?: string };
  hasContexteBam: boolean;
  traits?: TraitsQuery;
  vitale?: VitaleQuery;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const NUMBER13 = /^\d{6}[A-Za-z0-9]\d{6}$/;

/**
 * Reads an INSi request envelope (sandbox side). The operation comes from the body element;
 * checking it against the announced action is the caller's business. Errors name the element
 * and the rule broken, for the fault Reason.
 */
export function parseInsiRequest(envelope: ParsedEnvelope): Result<InsiRequest> {
  const addressing = readAddressing(envelope.headerBlocks);
  const payload = envelope.payload;
  if (!payload) return fail('soap:Body', 'empty body: RECSANSVITALE or RECVITALE expected');
  const extra = childElements(envelope.body)[1];
  if (extra) return fail('soap:Body', `one body element expected, found also ${qualifiedName(extra)}`);

  let lps: InsiRequest['lps'];
  let hasContexteBam = false;
  for (const block of envelope.headerBlocks) {
    if (block.namespaceURI === INSI_NS.ctxlps && block.localName === 'ContexteLPS') {
      const software = childElements(block, INSI_NS.ctxlps, 'LPS')[0];
      const field = (name: string): string | undefined => (software ? textOf(childElements(software, INSI_NS.ctxlps, name)[0]) : undefined);
      lps = {};
      const idam = field('IDAM');
      if (idam) lps.idam = idam;
      const version = field('Version');
      if (version) lps.version = version;
      const instance = field('Instance');
      if (instance) lps.instance = instance;
      const name = field('Nom');
      if (name) lps.name = name;
    }
    if (block.namespaceURI === INSI_NS.ctxbam && block.localName === 'ContexteBAM') hasContexteBam = true;
  }

  const base: InsiRequest = { operation: 'traits', hasContexteBam };
  if (addressing.action) base.action = addressing.action;
  if (addressing.messageId) base.messageId = addressing.messageId;
  if (lps) base.lps = lps;

  if (payload.namespaceURI === INSI_NS.recSans && payload.localName === 'RECSANSVITALE') {
    const fields = readChildren(payload, INSI_NS.recSans, ['NomNaissance', 'Prenom', 'Sexe', 'DateNaissance', 'LieuNaissance'], 'RECSANSVITALE');
    if (!fields.ok) return fields;
    const f = fields.value;
    const birthName = f.get('NomNaissance')?.[0];
    if (!birthName) return fail('RECSANSVITALE/NomNaissance', 'required');
    const givenNames = (f.get('Prenom') ?? []).filter((p) => p !== '');
    if (givenNames.length === 0) return fail('RECSANSVITALE/Prenom', 'at least one prénom is required');
    const sex = f.get('Sexe')?.[0];
    if (!sex) return fail('RECSANSVITALE/Sexe', 'required');
    if (sex !== 'M' && sex !== 'F') return fail('RECSANSVITALE/Sexe', 'expected M or F');
    const birthDate = f.get('DateNaissance')?.[0];
    if (!birthDate) return fail('RECSANSVITALE/DateNaissance', 'required');
    if (!DATE.test(birthDate)) return fail('RECSANSVITALE/DateNaissance', 'expected YYYY-MM-DD');
    const birthplace = f.get('LieuNaissance')?.[0];
    if (birthplace !== undefined && !/^[A-Za-z0-9]{5}$/.test(birthplace)) {
      return fail('RECSANSVITALE/LieuNaissance', 'expected a 5-character COG');
    }
    const traits: TraitsQuery = { birthName, givenNames, sex, birthDate };
    if (birthplace) traits.birthplace = birthplace;
    return ok({ ...base, operation: 'traits', traits });
  }

  if (payload.namespaceURI === INSI_NS.recVit && payload.localName === 'RECVITALE') {
    const fields = readChildren(payload, INSI_NS.recVit, ['MatriculeIndividu', 'MatriculeOD', 'NomNaissance', 'DateNaissance', 'RangNaissance'], 'RECVITALE');
    if (!fields.ok) return fields;
    const individual = childElements(payload, INSI_NS.recVit, 'MatriculeIndividu')[0];
    if (!individual) return fail('RECVITALE/MatriculeIndividu', 'required');
    const matricule = readMatriculeRef(individual, INSI_NS.recVit, 'RECVITALE/MatriculeIndividu');
    if (!matricule.ok) return matricule;
    const birthDate = fields.value.get('DateNaissance')?.[0];
    if (!birthDate) return fail('RECVITALE/DateNaissance', 'required');
    if (!DATE.test(birthDate)) return fail('RECVITALE/DateNaissance', 'expected YYYY-MM-DD');
    const vitale: VitaleQuery = { matricule: matricule.value, birthDate };
    const od = childElements(payload, INSI_NS.recVit, 'MatriculeOD')[0];
    if (od) {
      const m = readMatriculeRef(od, INSI_NS.recVit, 'RECVITALE/MatriculeOD');
      if (!m.ok) return m;
      vitale.matriculeOd = m.value;
    }
    const birthName = fields.value.get('NomNaissance')?.[0];
    if (birthName) vitale.birthName = birthName;
    const rank = fields.value.get('RangNaissance')?.[0];
    if (rank) vitale.rank = rank;
    return ok({ ...base, operation: 'vitale', vitale });
  }

  return fail('soap:Body', `${qualifiedName(payload)} is not an INSi request (RECSANSVITALE in ${INSI_NS.recSans} or RECVITALE in ${INSI_NS.recVit})`);
}

/** Children by local name, in XSD order, refusing unknown elements and wrong namespaces. */
function readChildren(parent: Element, namespace: string, order: string[], path: string): Result<Map<string, string[]>> {
  const values = new Map<string, string[]>();
  let last = -1;
  for (const child of childElements(parent)) {
    const index = child.namespaceURI === namespace ? order.indexOf(child.localName ?? '') : -1;
    if (index < 0) return fail(`${path}/${child.localName}`, `unexpected element ${qualifiedName(child)}; expected ${order.join(', ')} in ${namespace}`);
    if (index < last) return fail(`${path}/${child.localName}`, `out of order: the sequence is ${order.join(', ')}`);
    last = index;
    const list = values.get(child.localName!) ?? [];
    list.push(textOf(child) ?? '');
    values.set(child.localName!, list);
  }
  return ok(values);
}

function readMatriculeRef(element: Element, namespace: string, path: string): Result<MatriculeRef> {
  const f = readChildren(element, namespace, ['NumIdentifiant', 'Cle', 'TypeMatricule'], path);
  if (!f.ok) return f;
  const number = f.value.get('NumIdentifiant')?.[0];
  if (!number) return fail(`${path}/NumIdentifiant`, 'required');
  if (!NUMBER13.test(number)) return fail(`${path}/NumIdentifiant`, `expected 13 characters (NIR/NIA), got ${number.length}`);
  const ref: MatriculeRef = { number };
  const key = f.value.get('Cle')?.[0];
  if (key) {
    if (!/^\d{2}$/.test(key)) return fail(`${path}/Cle`, 'expected 2 digits');
    ref.key = key;
  }
  const type = f.value.get('TypeMatricule')?.[0];
  if (type) ref.type = type;
  return ok(ref);
}

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

/** One INS as carried in INSACTIF / INSHISTO. */
export interface WireIns {
  /** NumIdentifiant: 13 characters. */
  number: string;
  /** Cle: 2 digits (optional in the XSD). */
  key?: string;
  type?: string;
  oid: string;
  start?: string;
  end?: string;
}

/** TIQ: the identity traits as the service returns them. */
export interface WireTraits {
  birthName: string;
  /** Prenom: the premier prénom, when given. */
  firstGivenName?: string;
  /** ListePrenom: all birth prénoms, space-separated. */
  givenNames: string;
  sex: string;
  birthDate: string;
  birthplace?: string;
}

export interface WireIndividual {
  active: WireIns;
  /** INSHISTO, always a list (a single INSHISTO becomes a list of one). */
  history: WireIns[];
  traits: WireTraits;
}

export interface WireResult {
  /** CodeCR: 00, 01, 02 (kept as received when unexpected). */
  code: string;
  label: string;
  individual?: WireIndividual;
}

export interface WireFault {
  soapCode: SoapFaultCode;
  /** Innermost Subcode local name, e.g. `siram_100` or `ActionNotSupported`. */
  subcode?: string;
  /** Detail/Erreur@code, e.g. `desir_550`, `DESIR_560`, `insi_102`. */
  detailCode?: string;
  severity?: string;
  detailText?: string;
  reason: string;
  /** The most specific code: detail code, else subcode, else the SOAP code. */
  code: string;
}

export type InsiResponse = { kind: 'result'; result: WireResult } | { kind: 'fault'; fault: WireFault };

/** Builds a RESULTAT answer envelope (valid against INSi_RESULTAT_INS.xsd by construction). */
export function buildResultResponse(result: WireResult, options: { operation?: InsiOperation; relatesTo?: string } = {}): string {
  const { document, header, body } = createEnvelope();
  appendAddressing(header!, {
    action: INSI_RESPONSE_ACTION[options.operation ?? 'traits'],
    messageId: `urn:uuid:${uuid()}`,
    ...(options.relatesTo ? { relatesTo: options.relatesTo } : {}),
  });
  const ns = INSI_NS.resultat;
  const root = appendElement(body, ns, 'RESULTAT');
  const cr = appendElement(root, ns, 'CR');
  appendElement(cr, ns, 'CodeCR', result.code);
  appendElement(cr, ns, 'LibelleCR', result.label);
  const individual = result.individual;
  if (individual) {
    const ind = appendElement(root, ns, 'INDIVIDU');
    const ins = (name: string, value: WireIns): void => {
      const el = appendElement(ind, ns, name);
      const id = appendElement(el, ns, 'IdIndividu');
      appendElement(id, ns, 'NumIdentifiant', value.number);
      if (value.key) appendElement(id, ns, 'Cle', value.key);
      if (value.type) appendElement(id, ns, 'TypeMatricule', value.type);
      appendElement(el, ns, 'OID', value.oid);
      if (value.start) appendElement(el, ns, 'DateDeb', value.start);
      if (value.end) appendElement(el, ns, 'DateFin', value.end);
    };
    ins('INSACTIF', individual.active);
    for (const h of individual.history) ins('INSHISTO', h);
    const tiq = appendElement(ind, ns, 'TIQ');
    const t = individual.traits;
    appendElement(tiq, ns, 'NomNaissance', t.birthName);
    if (t.firstGivenName) appendElement(tiq, ns, 'Prenom', t.firstGivenName);
    appendElement(tiq, ns, 'ListePrenom', t.givenNames);
    appendElement(tiq, ns, 'Sexe', t.sex);
    appendElement(tiq, ns, 'DateNaissance', t.birthDate);
    if (t.birthplace) appendElement(tiq, ns, 'LieuNaissance', t.birthplace);
  }
  return serializeEnvelope(document);
}

export interface FaultSpec {
  soapCode: SoapFaultCode;
  /** e.g. `siram_100` (namespace urn:siram) or a WS-Addressing subcode. */
  subcode?: QName;
  reason: string;
  /** siram:Erreur in Detail (schema_faultSOAP_V01_01.xsd). */
  erreur?: { code: string; severity: 'information' | 'avertissement' | 'erreur' | 'fatale'; text: string; messageId?: string };
}

export const siramSubcode = (localName: string): QName => ({ namespace: INSI_NS.siram, localName, prefix: 'siram' });

/** Builds a SOAP 1.2 fault answer in the INSi style. */
export function buildFaultResponse(spec: FaultSpec): string {
  const envelope = buildFaultEnvelope({
    code: spec.soapCode,
    ...(spec.subcode ? { subcodes: [spec.subcode] } : {}),
    reason: spec.reason,
    lang: 'fr',
    ...(spec.erreur
      ? {
          detail: (detail: Element) => {
            const e = spec.erreur!;
            const erreur = appendElement(detail, INSI_NS.siram, 'siram:Erreur', e.text);
            erreur.setAttribute('severite', e.severity);
            erreur.setAttribute('code', e.code);
            if (e.messageId) erreur.setAttribute('messageID', e.messageId);
          },
        }
      : {}),
  });
  return serializeEnvelope(envelope);
}

const select = xpath.useNamespaces({ r: INSI_NS.resultat, s: INSI_NS.siram });

/** Text of the first node matching `expr` under `context`, trimmed; undefined when absent or empty. */
function text(expr: string, context: Element): string | undefined {
  const nodes = select(expr, context as unknown as Node);
  const first = Array.isArray(nodes) ? nodes[0] : undefined;
  if (!first) return undefined;
  const value = (first.textContent ?? '').trim();
  return value === '' ? undefined : value;
}

function elements(expr: string, context: Element): Element[] {
  const nodes = select(expr, context as unknown as Node);
  return Array.isArray(nodes) ? (nodes as unknown as Element[]) : [];
}

function readIns(element: Element, path: string): Result<WireIns> {
  const number = text('r:IdIndividu/r:NumIdentifiant', element);
  if (!number) return fail(`${path}/IdIndividu/NumIdentifiant`, 'required');
  const oid = text('r:OID', element);
  if (!oid) return fail(`${path}/OID`, 'required');
  const ins: WireIns = { number, oid };
  const key = text('r:IdIndividu/r:Cle', element);
  if (key) ins.key = key;
  const type = text('r:IdIndividu/r:TypeMatricule', element);
  if (type) ins.type = type;
  const start = text('r:DateDeb', element);
  if (start) ins.start = start;
  const end = text('r:DateFin', element);
  if (end) ins.end = end;
  return ok(ins);
}

/**
 * Reads an INSi answer: RESULTAT, or a SOAP fault. Lenient: no SOAP Header needed, comments
 * and whitespace ignored, child order inside INSACTIF/INSHISTO free, a single INSHISTO becomes
 * a list. Never throws.
 */
export function parseInsiResponse(xml: string): Result<InsiResponse> {
  try {
    return readResponse(xml);
  } catch (error) {
    // Defensive: DOM/XPath libraries may throw on exotic input; the contract is "never throw".
    return fail('soap:Envelope', `unreadable answer: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function readResponse(xml: string): Result<InsiResponse> {
  const parsed = parseEnvelope(xml);
  if (!parsed.ok) return parsed;
  const envelope = parsed.value;
  if (envelope.fault) {
    const f = envelope.fault;
    const fault: WireFault = { soapCode: f.code, reason: f.reason, code: f.code };
    const sub = f.subcodes[f.subcodes.length - 1];
    if (sub) fault.subcode = sub.localName;
    const erreur = f.detail.find((d) => d.namespaceURI === INSI_NS.siram && d.localName === 'Erreur')
      ?? f.detail.find((d) => d.localName === 'Erreur');
    if (erreur) {
      const code = erreur.getAttribute('code')?.trim();
      if (code) fault.detailCode = code;
      const severity = erreur.getAttribute('severite')?.trim();
      if (severity) fault.severity = severity;
      const detailText = textOf(erreur);
      if (detailText) fault.detailText = detailText;
    }
    fault.code = fault.detailCode ?? fault.subcode ?? f.code;
    return ok({ kind: 'fault', fault });
  }
  const payload = envelope.payload;
  if (!payload || payload.namespaceURI !== INSI_NS.resultat || payload.localName !== 'RESULTAT') {
    return fail('soap:Body', payload ? `${qualifiedName(payload)} is not {${INSI_NS.resultat}}RESULTAT` : 'empty body: RESULTAT expected');
  }
  const code = text('r:CR/r:CodeCR', payload);
  if (!code) return fail('RESULTAT/CR/CodeCR', 'required');
  const result: WireResult = { code, label: text('r:CR/r:LibelleCR', payload) ?? '' };
  const individual = elements('r:INDIVIDU', payload)[0];
  if (code === '00' && !individual) return fail('RESULTAT/INDIVIDU', 'required when CodeCR is 00');
  if (individual) {
    const activeElement = elements('r:INSACTIF', individual)[0];
    if (!activeElement) return fail('RESULTAT/INDIVIDU/INSACTIF', 'required');
    const active = readIns(activeElement, 'INDIVIDU/INSACTIF');
    if (!active.ok) return active;
    const history: WireIns[] = [];
    for (const [i, h] of elements('r:INSHISTO', individual).entries()) {
      const ins = readIns(h, `INDIVIDU/INSHISTO[${i + 1}]`);
      if (!ins.ok) return ins;
      history.push(ins.value);
    }
    const tiq = elements('r:TIQ', individual)[0];
    if (!tiq) return fail('RESULTAT/INDIVIDU/TIQ', 'required');
    const birthName = text('r:NomNaissance', tiq);
    if (!birthName) return fail('INDIVIDU/TIQ/NomNaissance', 'required');
    const firstGivenName = text('r:Prenom', tiq);
    const givenNames = text('r:ListePrenom', tiq) ?? firstGivenName;
    if (!givenNames) return fail('INDIVIDU/TIQ/ListePrenom', 'required (or Prenom)');
    const sex = text('r:Sexe', tiq);
    if (!sex) return fail('INDIVIDU/TIQ/Sexe', 'required');
    const birthDate = text('r:DateNaissance', tiq);
    if (!birthDate) return fail('INDIVIDU/TIQ/DateNaissance', 'required');
    const traits: WireTraits = { birthName, givenNames: givenNames.replace(/\s+/g, ' '), sex, birthDate };
    if (firstGivenName) traits.firstGivenName = firstGivenName;
    const birthplace = text('r:LieuNaissance', tiq);
    if (birthplace) traits.birthplace = birthplace;
    result.individual = { active: active.value, history, traits };
  }
  return ok({ kind: 'result', result });
}
