/**
 * INSi client: SOAP 1.2 over HTTPS with mutual TLS (organisation certificate CN INSI-AUTO or
 * INSI-MANU) and keep-alive (identity.md §6).
 *
 * `searchByTraits` implements the calling strategy of §6.4: one call per prénom of the
 * identity document, then one call with all prénoms space-joined; it stops at the first `00`
 * or at the first technical error (thrown as InsiError). Without a `00`, the answer is `02`
 * when any call found several identities, else `01`.
 *
 * Logs: operation, message id, result code, HTTP status, duration. Never traits or matricules.
 */
import { randomUUID } from 'node:crypto';
import { checkBirthplace, checkProfile, parseBirthDate, parseMatricule, toInsiProfile } from '../../formats/ins/index.ts';
import { describeError } from '../../formats/result.ts';
import { soapContentType } from '../../formats/soap/index.ts';
import { createHttpsClient, HttpTimeoutError } from '../../platform/http/client.ts';
import type { Logger } from '../../platform/logging.ts';
import { readInsiAnswer, type InsiIdentity } from './answer.ts';
import { INSI_RESULT_MESSAGE, insiFaultMessage } from './codes.ts';
import { InsiError } from './errors.ts';
import {
  buildTraitsRequest,
  buildVitaleRequest,
  type BuiltRequest,
  type InsiSoftware,
  type MatriculeRef,
  type RequestContext,
} from './wire.ts';

export interface InsiClientOptions {
  /** https URL of the service (the sandbox's `url` by default configuration). */
  endpoint: string;
  /** PEM client certificate and key (CN INSI-AUTO or INSI-MANU); `ca` to trust a private CA. */
  tls: { cert: string; key: string; ca?: string };
  software: InsiSoftware;
  /** Emetteur of the context headers (e.g. the establishment's FINESS). Omitted when absent. */
  emitter?: string;
  /** Per call, default 15 000 ms. */
  timeoutMs?: number;
  logger?: Logger;
}

export interface TraitsSearch {
  birthName: string;
  /** Birth prénoms as read on the identity document, in order. */
  givenNames: string[];
  sex: 'M' | 'F';
  /** YYYY-MM-DD */
  birthDate: string;
  /** COG of the birthplace; sent on every call when given. */
  birthplace?: string;
}

export interface CarteVitaleSearch {
  /** The beneficiary's matricule read from the card: 13 characters, or 15 with the key. */
  matricule: string;
  /** The ouvrant droit's matricule when different (13 or 15 characters). */
  matriculeOd?: string;
  birthName?: string;
  /** YYYY-MM-DD */
  birthDate: string;
  /** Rang de naissance (twins on one card). */
  rank?: string | number;
}

export type InsiSearchResult =
  | { code: '00'; identity: InsiIdentity; calls: number; messageIds: string[] }
  | { code: '01' | '02'; message: string; calls: number; messageIds: string[] };

export interface InsiClient {
  searchByTraits(search: TraitsSearch): Promise<InsiSearchResult>;
  searchByCarteVitale(search: CarteVitaleSearch): Promise<InsiSearchResult>;
  /** Closes kept-alive connections. */
  close(): void;
}

type CallOutcome = { code: '00'; identity: InsiIdentity } | { code: '01' | '02' };

const FIELD_FR: Record<string, string> = {
  birthName: 'nom de naissance',
  givenNames: 'prénom',
  sex: 'sexe',
  birthDate: 'date de naissance',
  birthplace: 'lieu de naissance',
  matricule: 'matricule de la carte Vitale',
  matriculeOd: "matricule de l'ouvrant droit",
  rank: 'rang de naissance',
};

const invalid = (field: string, detail?: string): InsiError =>
  new InsiError('invalid_request', `Traits invalides pour une recherche INSi : ${FIELD_FR[field] ?? field}${detail ? ` (${detail})` : ''}.`);

function profile(value: string, field: string): string {
  const normalised = toInsiProfile(value ?? '');
  const check = checkProfile(normalised, field);
  if (!check.ok) throw invalid(field, check.error.rule);
  return normalised;
}

function checkDate(value: string): string {
  if (!parseBirthDate(value ?? '').ok || !/^\d{4}-\d{2}-\d{2}$/.test(value)) throw invalid('birthDate', 'format AAAA-MM-JJ attendu');
  return value;
}

function matriculeRef(value: string, field: string): MatriculeRef {
  const v = (value ?? '').trim().toUpperCase();
  if (v.length === 13) {
    if (!/^\d{6}[0-9AB]\d{6}$/.test(v)) throw invalid(field, '13 caractères attendus');
    return { number: v };
  }
  const parsed = parseMatricule(v, field);
  if (!parsed.ok) throw invalid(field, '13 ou 15 caractères attendus');
  return { number: parsed.value.number, key: parsed.value.key };
}

export function createInsiClient(options: InsiClientOptions): InsiClient {
  const url = new URL(options.endpoint);
  if (url.protocol !== 'https:') throw new Error(`INSi endpoint must be https, got ${url.protocol}`);
  const timeoutMs = options.timeoutMs ?? 15_000;
  const software = { ...options.software, instance: options.software.instance ?? randomUUID() };
  const http = createHttpsClient({ tls: options.tls, timeoutMs });
  const log = options.logger;

  const context = (): RequestContext => ({ software, ...(options.emitter ? { emitter: options.emitter } : {}) });

  /** One HTTP exchange (platform/http: keep-alive, deadline, one retry on a stale socket). */
  const post = async (built: BuiltRequest): Promise<{ status: number; body: string }> => {
    try {
      const answer = await http.exchange(url, {
        method: 'POST', body: Buffer.from(built.xml, 'utf8'),
        headers: { 'content-type': soapContentType(built.action), accept: 'application/soap+xml' },
      });
      return { status: answer.status, body: answer.body.toString('utf8') };
    } catch (error) {
      if (error instanceof HttpTimeoutError) {
        throw new InsiError('transport', `${insiFaultMessage('timeout')} (délai ${Math.round(timeoutMs / 100) / 10} s)`, { messageId: built.messageId });
      }
      throw transportError(error as NodeJS.ErrnoException, built.messageId);
    }
  };

  const call = async (built: BuiltRequest, operation: 'traits' | 'vitale'): Promise<CallOutcome> => {
    const started = Date.now();
    let status = 0;
    try {
      const response = await post(built);
      status = response.status;
      const answer = readInsiAnswer(response.body);
      if (!answer.ok) {
        throw new InsiError('protocol', undefined, { reason: `HTTP ${status}: ${describeError(answer.error)}`, httpStatus: status, messageId: built.messageId });
      }
      const a = answer.value;
      switch (a.kind) {
        case 'fault':
          throw new InsiError(a.fault.code, undefined, {
            reason: a.fault.reason,
            ...(a.fault.subcode ? { subcode: a.fault.subcode } : {}),
            httpStatus: status,
            messageId: built.messageId,
          });
        case 'unexpected':
          throw new InsiError('protocol', `Code retour INSi inattendu (${a.code}). Contactez le support.`, { reason: a.label, httpStatus: status, messageId: built.messageId });
        case 'found':
          log?.info({ event: 'insi.call', operation, messageId: built.messageId, code: '00', httpStatus: status, warnings: a.identity.warnings.length, durationMs: Date.now() - started });
          return { code: '00', identity: a.identity };
        case 'none':
          log?.info({ event: 'insi.call', operation, messageId: built.messageId, code: a.code, httpStatus: status, durationMs: Date.now() - started });
          return { code: a.code };
      }
    } catch (error) {
      if (error instanceof InsiError) {
        log?.warn({ event: 'insi.call', operation, messageId: built.messageId, error: error.code, httpStatus: status || undefined, durationMs: Date.now() - started });
      }
      throw error;
    }
  };

  return {
    async searchByTraits(search) {
      const birthName = profile(search.birthName, 'birthName');
      const givenNames: string[] = [];
      for (const g of search.givenNames ?? []) {
        if (!g || g.trim() === '') continue;
        const p = profile(g, 'givenNames');
        if (!givenNames.includes(p)) givenNames.push(p);
      }
      if (givenNames.length === 0) throw invalid('givenNames', 'au moins un prénom est requis');
      if (search.sex !== 'M' && search.sex !== 'F') throw invalid('sex', 'M ou F attendu');
      const birthDate = checkDate(search.birthDate);
      let birthplace: string | undefined;
      if (search.birthplace) {
        const check = checkBirthplace(search.birthplace.toUpperCase());
        if (!check.ok) throw invalid('birthplace', 'code COG à 5 caractères attendu');
        birthplace = check.value;
      }
      const attempts = givenNames.length > 1 ? [...givenNames.map((g) => [g]), [givenNames.join(' ')]] : [givenNames];
      const messageIds: string[] = [];
      let several = false;
      for (const prenoms of attempts) {
        const built = buildTraitsRequest({ birthName, givenNames: prenoms, sex: search.sex, birthDate, ...(birthplace ? { birthplace } : {}) }, context());
        messageIds.push(built.messageId);
        const outcome = await call(built, 'traits');
        if (outcome.code === '00') return { code: '00', identity: outcome.identity, calls: messageIds.length, messageIds };
        if (outcome.code === '02') several = true;
      }
      const code = several ? '02' : '01';
      return { code, message: INSI_RESULT_MESSAGE[code], calls: messageIds.length, messageIds };
    },

    async searchByCarteVitale(search) {
      const matricule = matriculeRef(search.matricule, 'matricule');
      const birthDate = checkDate(search.birthDate);
      const query: Parameters<typeof buildVitaleRequest>[0] = { matricule, birthDate };
      if (search.matriculeOd) query.matriculeOd = matriculeRef(search.matriculeOd, 'matriculeOd');
      if (search.birthName) query.birthName = profile(search.birthName, 'birthName');
      if (search.rank !== undefined && search.rank !== '') {
        const rank = String(search.rank);
        if (!/^\d{1,2}$/.test(rank)) throw invalid('rank', 'nombre attendu');
        query.rank = rank;
      }
      const built = buildVitaleRequest(query, context());
      const outcome = await call(built, 'vitale');
      const messageIds = [built.messageId];
      if (outcome.code === '00') return { code: '00', identity: outcome.identity, calls: 1, messageIds };
      return { code: outcome.code, message: INSI_RESULT_MESSAGE[outcome.code], calls: 1, messageIds };
    },

    close() {
      http.close();
    },
  };
}

function transportError(error: NodeJS.ErrnoException, messageId: string): InsiError {
  const code = error.code ?? error.name;
  return new InsiError('transport', `${insiFaultMessage('transport')} (${code})`, { reason: error.message, messageId, cause: error });
}
