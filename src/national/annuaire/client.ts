/**
 * Annuaire Santé client: FHIR R4 searches over HTTPS (psc-annuaire.md §6.2), with the
 * establishment's client certificate (sandbox, and any gateway requiring mTLS) and/or the
 * `ESANTE-API-KEY` header (the real public API). Follows `link[next]` pages up to `maxPages`.
 *
 * - `findPractitionerByRpps(rpps)` → names, JDV_J01 specialties and every MSSanté mailbox
 *   (personal ones and those of each situation d'exercice), or undefined when unknown;
 * - `findOrganizationByFiness(finess)` → name, identifiers and mailboxes, or undefined;
 * - `findByMailbox(address)` → who owns an MSSanté address (professional or structure), or undefined.
 *
 * Failures throw AnnuaireError (French message, `code`, `retryable`: timeouts, 429, 5xx and
 * connection failures are retryable). Logs carry the operation, status and duration only.
 */
import { createHttpsClient, HttpTimeoutError } from '../../platform/http/client.ts';
import type { Logger } from '../../platform/logging.ts';
import { AnnuaireError } from './errors.ts';
import {
  FHIR_JSON, isBundle, isOperationOutcome, outcomeText, readOrganization, readPractitioner, SYSTEM,
  type AnnuaireOrganization, type AnnuairePractitioner, type Bundle, type MssanteMailbox, type Resource,
} from './fhir.ts';

export type { Resource } from './fhir.ts';

export interface AnnuaireClientOptions {
  /** Base URL, e.g. `https://gateway.api.esante.gouv.fr/fhir/v2` or the sandbox's `url`. */
  endpoint: string;
  /** PEM client certificate and key; `ca` to trust a private CA (the test PKI). */
  tls?: { cert?: string; key?: string; ca?: string };
  /** ESANTE-API-KEY of the real API. */
  apiKey?: string;
  /** Per HTTP call, default 30 000 ms (the API's own timeout). */
  timeoutMs?: number;
  /** Pages followed per search, default 10 (pages of 50). */
  maxPages?: number;
  logger?: Logger;
}

export interface MailboxOwner {
  mailbox: MssanteMailbox;
  /** Who carries the mailbox: a professional (Practitioner or one of their situations d'exercice) or a structure. */
  kind: 'practitioner' | 'organization';
  practitioner?: AnnuairePractitioner;
  organization?: AnnuaireOrganization;
}

export interface AnnuaireClient {
  findPractitionerByRpps(rpps: string): Promise<AnnuairePractitioner | undefined>;
  findOrganizationByFiness(finess: string): Promise<AnnuaireOrganization | undefined>;
  findByMailbox(address: string): Promise<MailboxOwner | undefined>;
  /**
   * Any search (psc-annuaire.md §6.2), e.g. `search('Practitioner', { 'mailbox-mss:contains': '@medecin.mssante.fr' })`:
   * the matched resources of every page and the included ones.
   */
  search(type: 'Practitioner' | 'PractitionerRole' | 'Organization', params: Record<string, string>): Promise<{ matches: Resource[]; includes: Resource[] }>;
  /** Closes kept-alive connections. */
  close(): void;
}

const RPPS = /^\d{11}$/;
/** 9 digits; Corsican FINESS start with 2A / 2B. */
const FINESS = /^\d{9}$|^2[AB]\d{7}$/;
const MAILBOX = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function invalid(detail: string): AnnuaireError {
  return new AnnuaireError('invalid_request', `Recherche refusée avant tout appel à l’Annuaire Santé : ${detail}.`);
}

function statusError(status: number, body: string): AnnuaireError {
  let reason: string | undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    if (isOperationOutcome(parsed)) reason = outcomeText(parsed);
  } catch {
    reason = undefined;
  }
  const options = { httpStatus: status, ...(reason ? { reason } : {}) };
  if (status === 400 || status === 422) return new AnnuaireError('bad_request', undefined, options);
  if (status === 401 || status === 403) return new AnnuaireError('unauthorized', undefined, options);
  if (status === 404) return new AnnuaireError('not_found', undefined, options);
  if (status === 429) return new AnnuaireError('rate_limited', undefined, options);
  if (status >= 500) return new AnnuaireError('unavailable', undefined, options);
  return new AnnuaireError('protocol', `Réponse inattendue de l’Annuaire Santé (HTTP ${status}). Contactez le support.`, options);
}

export function createAnnuaireClient(options: AnnuaireClientOptions): AnnuaireClient {
  const base = new URL(options.endpoint.replace(/\/+$/, ''));
  if (base.protocol !== 'https:') throw new Error(`Annuaire Santé endpoint must be https, got ${base.protocol}`);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxPages = options.maxPages ?? 10;
  const http = createHttpsClient({ tls: options.tls ?? {}, timeoutMs });

  const log = options.logger;

  /** One GET (platform/http: keep-alive, deadline, one retry on a stale socket). */
  const get = async (url: URL): Promise<{ status: number; body: string }> => {
    const headers: Record<string, string> = { accept: FHIR_JSON };
    if (options.apiKey) headers['esante-api-key'] = options.apiKey;
    try {
      const answer = await http.exchange(url, { method: 'GET', headers });
      return { status: answer.status, body: answer.body.toString('utf8') };
    } catch (error) {
      if (error instanceof HttpTimeoutError) {
        throw new AnnuaireError('timeout', `L’Annuaire Santé n’a pas répondu dans le délai imparti (${Math.round(timeoutMs / 100) / 10} s). Réessayez plus tard.`);
      }
      throw transportError(error as NodeJS.ErrnoException);
    }
  };

  /** A search, every page followed: matches and included resources. */
  const searchAll = async (operation: string, type: string, params: Record<string, string>): Promise<{ matches: Resource[]; includes: Resource[] }> => {
    const started = Date.now();
    let url: URL | undefined = new URL(`${base.pathname}/${type}`, base);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    const matches: Resource[] = [];
    const includes: Resource[] = [];
    let pages = 0;
    let status = 0;
    try {
      while (url && pages < maxPages) {
        const response = await get(url);
        status = response.status;
        if (status !== 200) throw statusError(status, response.body);
        let bundle: Bundle;
        try {
          const parsed: unknown = JSON.parse(response.body);
          if (!isBundle(parsed)) throw new Error('not a Bundle');
          bundle = parsed;
        } catch (error) {
          throw new AnnuaireError('protocol', undefined, { httpStatus: status, reason: `expected a FHIR Bundle: ${error instanceof Error ? error.message : String(error)}` });
        }
        for (const entry of Array.isArray(bundle.entry) ? bundle.entry : []) {
          const resource = entry?.resource;
          if (!resource || typeof resource !== 'object') continue;
          if (entry.search?.mode === 'include' || resource.resourceType !== type) includes.push(resource);
          else matches.push(resource);
        }
        pages += 1;
        const next = (Array.isArray(bundle.link) ? bundle.link : []).find((l) => l?.relation === 'next')?.url;
        url = next ? new URL(next, base) : undefined;
        // Never follow a next link to another host: the certificate and API key are for this one.
        if (url && url.host !== base.host) url = undefined;
      }
      log?.info({ event: 'annuaire.call', operation, httpStatus: status, pages, matches: matches.length, durationMs: Date.now() - started });
      return { matches, includes };
    } catch (error) {
      if (error instanceof AnnuaireError) log?.warn({ event: 'annuaire.call', operation, error: error.code, httpStatus: status || undefined, durationMs: Date.now() - started });
      throw error;
    }
  };

  const findPractitionerByRpps = async (rpps: string): Promise<AnnuairePractitioner | undefined> => {
    const value = String(rpps ?? '').trim();
    if (!RPPS.test(value)) throw invalid(`numéro RPPS à 11 chiffres attendu`);
    const { matches, includes } = await searchAll('practitioner.rpps', 'Practitioner', {
      identifier: `${SYSTEM.rpps}|${value},${SYSTEM.idNatPs}|8${value}`,
      _revinclude: 'PractitionerRole:practitioner',
    });
    const roles = includes.filter((r) => r.resourceType === 'PractitionerRole');
    for (const m of matches) {
      const p = readPractitioner(m, roles);
      if (p && p.rpps === value) return p;
    }
    return undefined;
  };

  const findOrganizationByFiness = async (finess: string): Promise<AnnuaireOrganization | undefined> => {
    const value = String(finess ?? '').trim().toUpperCase();
    if (!FINESS.test(value)) throw invalid('numéro FINESS à 9 caractères attendu');
    const { matches } = await searchAll('organization.finess', 'Organization', { identifier: `${SYSTEM.finess}|${value}` });
    for (const m of matches) {
      const o = readOrganization(m);
      if (o && o.finess === value) return o;
    }
    return undefined;
  };

  const findByMailbox = async (address: string): Promise<MailboxOwner | undefined> => {
    const value = String(address ?? '').trim();
    if (!MAILBOX.test(value)) throw invalid('adresse de messagerie MSSanté invalide');
    const same = (m: MssanteMailbox): boolean => m.address.toLowerCase() === value.toLowerCase();
    // `mailbox-mss` without modifier is a case-insensitive starts-with (FHIR string); addresses are
    // compared case-insensitively here, as mail systems do.
    const byAddress = { 'mailbox-mss': value };
    const [practitioners, roles, organizations] = await Promise.all([
      searchAll('mailbox.practitioner', 'Practitioner', { ...byAddress, _revinclude: 'PractitionerRole:practitioner' }),
      searchAll('mailbox.role', 'PractitionerRole', { ...byAddress, _include: 'PractitionerRole:practitioner' }),
      searchAll('mailbox.organization', 'Organization', byAddress),
    ]);
    for (const m of practitioners.matches) {
      const p = readPractitioner(m, practitioners.includes.filter((r) => r.resourceType === 'PractitionerRole'));
      const mailbox = p?.mailboxes.find(same);
      if (p && mailbox) return { kind: 'practitioner', mailbox: stripCarrier(mailbox), practitioner: p };
    }
    for (const role of roles.matches) {
      const owner = roles.includes.find((r) => r.resourceType === 'Practitioner' && typeof role.practitioner === 'object'
        && (role.practitioner as { reference?: string }).reference?.endsWith(`Practitioner/${r.id}`));
      const p = owner ? readPractitioner(owner, [role]) : undefined;
      const mailbox = p?.mailboxes.find(same);
      if (p && mailbox) return { kind: 'practitioner', mailbox: stripCarrier(mailbox), practitioner: p };
    }
    for (const m of organizations.matches) {
      const o = readOrganization(m);
      const mailbox = o?.mailboxes.find(same);
      if (o && mailbox) return { kind: 'organization', mailbox, organization: o };
    }
    return undefined;
  };

  return {
    findPractitionerByRpps,
    findOrganizationByFiness,
    findByMailbox,
    search: (type, params) => searchAll(`search.${type}`, type, params),
    close() {
      http.close();
    },
  };
}

function stripCarrier(m: MssanteMailbox & { carrier?: unknown; organizationId?: unknown }): MssanteMailbox {
  const { carrier: _carrier, organizationId: _organizationId, ...mailbox } = m;
  return mailbox;
}

function transportError(error: NodeJS.ErrnoException): AnnuaireError {
  const code = error.code ?? error.name;
  return new AnnuaireError('transport', `L’Annuaire Santé est injoignable (${code}) : vérifiez le réseau et le certificat de l’établissement.`, { reason: error.message, cause: error });
}
