/**
 * Local stand-in for the Annuaire Santé FHIR API (psc-annuaire.md §6, mssante.md §8): a small
 * FHIR R4 server (fastify) on loopback HTTPS, client certificates of the test CA required
 * (the real API uses an `ESANTE-API-KEY` header instead; `apiKey` makes the sandbox demand it
 * too). Base path `/fhir/v2`, like the real gateway.
 *
 * - `GET /fhir/v2/{Practitioner|PractitionerRole|Organization}?…` → searchset Bundle
 *   (`application/fhir+json`), pages of `_count` (default 50) with a `next` link;
 * - `GET /fhir/v2/{type}/{id}` → the resource, or 404 OperationOutcome; `GET /fhir/v2/metadata`;
 * - search parameters: `identifier` (token, `system|value` or `value`, comma = OR), `_id`,
 *   `mailbox-mss` (string: starts-with by default, `:contains`, `:exact`), `_count`;
 *   Practitioner `_revinclude=PractitionerRole:practitioner`; PractitionerRole `practitioner`,
 *   `organization`, `_include=PractitionerRole:practitioner|PractitionerRole:organization`;
 * - anything else — unknown parameter or modifier, empty value, bad `_count` — is a 400
 *   OperationOutcome naming the parameter; other methods 405; unknown paths 404.
 *
 * Test hooks: `simulateOutage(503)` answers every request with that status until
 * `simulateOutage(undefined)`; `responseDelayMs` delays every answer (client timeouts).
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { sandboxServerTls, type TestPki } from '../../platform/pki/index.ts';
import type { Logger } from '../../platform/logging.ts';
import { sandboxDirectory, SANDBOX_PROFESSIONALS, SANDBOX_STRUCTURES, type SandboxDirectory, type SandboxProfessional, type SandboxStructure } from './dataset.ts';
import { FHIR_JSON, isMailboxTelecom, operationOutcome, type Bundle, type BundleEntry, type Identifier, type Resource } from './fhir.ts';

export const ANNUAIRE_BASE_PATH = '/fhir/v2';
const DEFAULT_COUNT = 50;
const MAX_COUNT = 1000;

export interface AnnuaireSandboxOptions {
  pki: TestPki;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (an ephemeral port). */
  port?: number;
  /** Replace the test professionals / structures. */
  professionals?: readonly SandboxProfessional[];
  structures?: readonly SandboxStructure[];
  /** When set, requests must carry `ESANTE-API-KEY: <apiKey>` (401 otherwise). */
  apiKey?: string;
  /** Delay before each answer, for timeout tests. */
  responseDelayMs?: number;
  logger?: Logger;
}

export interface AnnuaireSandboxCounters {
  requests: number;
  /** Answers per HTTP status. */
  statuses: Record<string, number>;
}

export interface AnnuaireSandbox {
  /** Base URL, e.g. https://127.0.0.1:40123/fhir/v2 */
  url: string;
  port: number;
  directory: SandboxDirectory;
  /** Answer every request with this HTTP status (5xx, 429…) until called with undefined. */
  simulateOutage(status: number | undefined): void;
  counters(): AnnuaireSandboxCounters;
  close(): Promise<void>;
}

type ResourceType = keyof SandboxDirectory;
const RESOURCE_TYPES: readonly ResourceType[] = ['Practitioner', 'PractitionerRole', 'Organization'];

class BadQuery extends Error {
  constructor(readonly parameter: string, message: string) {
    super(message);
  }
}

/** Parameters each type accepts (besides `_id`, `_count`, `_getpagesoffset`, `_format`). */
const ALLOWED: Record<ResourceType, ReadonlySet<string>> = {
  Practitioner: new Set(['identifier', 'mailbox-mss', '_revinclude']),
  PractitionerRole: new Set(['identifier', 'mailbox-mss', 'practitioner', 'organization', '_include']),
  Organization: new Set(['identifier', 'mailbox-mss']),
};
const COMMON = new Set(['_id', '_count', '_getpagesoffset', '_format']);
const STRING_MODIFIERS = new Set(['contains', 'exact']);
const INCLUDES: Record<string, { from: ResourceType; to: ResourceType; via: 'practitioner' | 'organization' }> = {
  'PractitionerRole:practitioner': { from: 'PractitionerRole', to: 'Practitioner', via: 'practitioner' },
  'PractitionerRole:organization': { from: 'PractitionerRole', to: 'Organization', via: 'organization' },
};

const values = (raw: unknown): string[] => (Array.isArray(raw) ? raw.map(String) : raw === undefined ? [] : [String(raw)]);
const refId = (ref: unknown): string | undefined => {
  const text = typeof ref === 'object' && ref !== null ? (ref as { reference?: unknown }).reference : undefined;
  return typeof text === 'string' ? text.split('/').pop() : undefined;
};

function matchesToken(resource: Resource, token: string): boolean {
  const identifiers = Array.isArray(resource.identifier) ? (resource.identifier as Identifier[]) : [];
  const bar = token.indexOf('|');
  if (bar < 0) return identifiers.some((i) => i.value === token);
  const system = token.slice(0, bar);
  const value = token.slice(bar + 1);
  return identifiers.some((i) => (system === '' ? i.system === undefined : i.system === system) && (value === '' || i.value === value));
}

function mailboxAddresses(resource: Resource): string[] {
  const telecoms = Array.isArray(resource.telecom) ? resource.telecom : [];
  return telecoms.filter(isMailboxTelecom).map((t) => String(t.value));
}

function matchesMailbox(resource: Resource, modifier: string | undefined, value: string): boolean {
  const addresses = mailboxAddresses(resource);
  if (modifier === 'exact') return addresses.includes(value);
  const v = value.toLowerCase();
  if (modifier === 'contains') return addresses.some((a) => a.toLowerCase().includes(v));
  return addresses.some((a) => a.toLowerCase().startsWith(v));
}

function nonNegativeInteger(parameter: string, raw: string, max?: number): number {
  if (!/^\d{1,9}$/.test(raw)) throw new BadQuery(parameter, `${parameter}: a non-negative integer is expected, got "${raw}"`);
  const n = Number(raw);
  return max === undefined ? n : Math.min(n, max);
}

interface SearchResult {
  matches: Resource[];
  includes: Resource[];
  count: number;
  offset: number;
}

function search(directory: SandboxDirectory, type: ResourceType, query: Record<string, unknown>): SearchResult {
  let matches = directory[type];
  const includes: Resource[] = [];
  let count = DEFAULT_COUNT;
  let offset = 0;
  const deferred: Array<() => void> = [];
  for (const [key, raw] of Object.entries(query)) {
    const [name = '', modifier, ...rest] = key.split(':');
    if (!ALLOWED[type].has(name) && !COMMON.has(name)) {
      throw new BadQuery(key, `Unknown search parameter "${key}" for resource type ${type}. Valid parameters: ${[...ALLOWED[type], ...COMMON].filter((p) => p !== '_format').join(', ')}`);
    }
    if (rest.length > 0 || (modifier !== undefined && (name !== 'mailbox-mss' || !STRING_MODIFIERS.has(modifier)))) {
      throw new BadQuery(key, `Unsupported modifier in "${key}"${name === 'mailbox-mss' ? ': use mailbox-mss, mailbox-mss:contains or mailbox-mss:exact' : ''}`);
    }
    const list = values(raw);
    if (list.length === 0 || list.some((v) => v.trim() === '')) throw new BadQuery(key, `${key}: empty value`);
    for (const value of list) {
      switch (name) {
        case '_format':
          if (!['json', FHIR_JSON, 'application/json'].includes(value)) throw new BadQuery(key, `_format: only json is supported, got "${value}"`);
          break;
        case '_count':
          count = Math.max(1, nonNegativeInteger(key, value, MAX_COUNT));
          break;
        case '_getpagesoffset':
          offset = nonNegativeInteger(key, value);
          break;
        case '_id': {
          const ids = value.split(',');
          matches = matches.filter((r) => r.id !== undefined && ids.includes(r.id));
          break;
        }
        case 'identifier': {
          const tokens = value.split(',').map((t) => t.trim());
          if (tokens.some((t) => t === '' || t === '|')) throw new BadQuery(key, `identifier: each value must be "system|value" or "value", got "${value}"`);
          matches = matches.filter((r) => tokens.some((t) => matchesToken(r, t)));
          break;
        }
        case 'mailbox-mss':
          matches = matches.filter((r) => matchesMailbox(r, modifier, value));
          break;
        case 'practitioner':
        case 'organization': {
          const target = name === 'practitioner' ? 'Practitioner' : 'Organization';
          const id = value.startsWith(`${target}/`) ? value.slice(target.length + 1) : value;
          if (id.includes('/')) throw new BadQuery(key, `${name}: a reference ${target}/<id> or an id is expected, got "${value}"`);
          matches = matches.filter((r) => refId(r[name]) === id);
          break;
        }
        case '_revinclude':
          if (value !== 'PractitionerRole:practitioner') throw new BadQuery(key, `_revinclude: only PractitionerRole:practitioner is supported, got "${value}"`);
          deferred.push(() => {
            const page = new Set(matches.slice(offset, offset + count).map((m) => m.id));
            includes.push(...directory.PractitionerRole.filter((r) => page.has(refId(r.practitioner))));
          });
          break;
        case '_include': {
          const rule = INCLUDES[value];
          if (!rule || rule.from !== type) throw new BadQuery(key, `_include: PractitionerRole:practitioner or PractitionerRole:organization expected, got "${value}"`);
          deferred.push(() => {
            const wanted = new Set(matches.slice(offset, offset + count).map((m) => refId(m[rule.via])));
            for (const r of directory[rule.to]) if (wanted.has(r.id) && !includes.includes(r)) includes.push(r);
          });
          break;
        }
      }
    }
  }
  for (const run of deferred) run();
  return { matches, includes, count, offset };
}

function bundleOf(type: ResourceType, result: SearchResult, baseUrl: string, selfUrl: URL): Bundle {
  const page = result.matches.slice(result.offset, result.offset + result.count);
  const entry: BundleEntry[] = [
    ...page.map((resource) => ({ fullUrl: `${baseUrl}/${type}/${resource.id}`, resource, search: { mode: 'match' as const } })),
    ...result.includes.map((resource) => ({ fullUrl: `${baseUrl}/${resource.resourceType}/${resource.id}`, resource, search: { mode: 'include' as const } })),
  ];
  const link: Array<{ relation: string; url: string }> = [{ relation: 'self', url: selfUrl.toString() }];
  if (result.offset + result.count < result.matches.length) {
    const next = new URL(selfUrl);
    next.searchParams.set('_getpagesoffset', String(result.offset + result.count));
    next.searchParams.set('_count', String(result.count));
    link.push({ relation: 'next', url: next.toString() });
  }
  return { resourceType: 'Bundle', id: randomUUID(), meta: { lastUpdated: new Date().toISOString() }, type: 'searchset', total: result.matches.length, link, entry };
}

export async function startAnnuaireSandbox(options: AnnuaireSandboxOptions): Promise<AnnuaireSandbox> {
  const directory = sandboxDirectory(options.professionals ?? SANDBOX_PROFESSIONALS, options.structures ?? SANDBOX_STRUCTURES);
  const log = options.logger;
  let outage: number | undefined;
  let counters: AnnuaireSandboxCounters = { requests: 0, statuses: {} };
  const app = Fastify({ https: sandboxServerTls(options.pki), logger: false, routerOptions: { maxParamLength: 200 } });
  let baseUrl = '';

  const send = async (reply: FastifyReply, status: number, body: unknown): Promise<FastifyReply> => {
    counters.statuses[String(status)] = (counters.statuses[String(status)] ?? 0) + 1;
    if (options.responseDelayMs) await new Promise((resolve) => setTimeout(resolve, options.responseDelayMs).unref());
    return reply.code(status).header('content-type', `${FHIR_JSON}; charset=utf-8`).send(JSON.stringify(body));
  };

  app.addHook('onRequest', async (request, reply) => {
    counters.requests += 1;
    if (outage !== undefined) {
      return send(reply, outage, operationOutcome(outage === 429 ? 'throttled' : 'transient', `Service temporarily unavailable (HTTP ${outage}, simulated)`));
    }
    if (options.apiKey !== undefined && request.headers['esante-api-key'] !== options.apiKey) {
      return send(reply, 401, operationOutcome('security', 'Missing or invalid ESANTE-API-KEY header'));
    }
    return undefined;
  });

  app.get(`${ANNUAIRE_BASE_PATH}/metadata`, (_request, reply) => send(reply, 200, {
    resourceType: 'CapabilityStatement', status: 'active', kind: 'instance', fhirVersion: '4.0.1', format: ['json'],
    rest: [{
      mode: 'server',
      resource: RESOURCE_TYPES.map((type) => ({
        type, interaction: [{ code: 'read' }, { code: 'search-type' }],
        searchParam: [...ALLOWED[type]].filter((p) => !p.startsWith('_')).map((name) => ({ name, type: name === 'mailbox-mss' ? 'string' : name === 'identifier' ? 'token' : 'reference' })),
      })),
    }],
  }));

  app.get<{ Params: { type: string } }>(`${ANNUAIRE_BASE_PATH}/:type`, (request: FastifyRequest<{ Params: { type: string } }>, reply) => {
    const type = request.params.type as ResourceType;
    if (!RESOURCE_TYPES.includes(type)) return send(reply, 404, operationOutcome('not-found', `Unknown resource type "${request.params.type}"`));
    try {
      const result = search(directory, type, (request.query ?? {}) as Record<string, unknown>);
      const self = new URL(`${baseUrl.replace(ANNUAIRE_BASE_PATH, '')}${request.url}`);
      const bundle = bundleOf(type, result, baseUrl, self);
      log?.info({ event: 'annuaire.sandbox.search', type, total: bundle.total });
      return send(reply, 200, bundle);
    } catch (error) {
      if (error instanceof BadQuery) return send(reply, 400, operationOutcome('invalid', error.message, error.parameter));
      throw error;
    }
  });

  app.get<{ Params: { type: string; id: string } }>(`${ANNUAIRE_BASE_PATH}/:type/:id`, (request, reply) => {
    const type = request.params.type as ResourceType;
    if (!RESOURCE_TYPES.includes(type)) return send(reply, 404, operationOutcome('not-found', `Unknown resource type "${request.params.type}"`));
    const found = directory[type].find((r) => r.id === request.params.id);
    if (!found) return send(reply, 404, operationOutcome('not-found', `${type}/${request.params.id} is not known`));
    return send(reply, 200, found);
  });

  app.route({
    method: ['POST', 'PUT', 'PATCH', 'DELETE'],
    url: `${ANNUAIRE_BASE_PATH}/*`,
    handler: (request, reply) => {
      reply.header('allow', 'GET');
      return send(reply, 405, operationOutcome('not-supported', `HTTP method ${request.method} is not allowed: the directory is read-only here (GET)`));
    },
  });
  app.setNotFoundHandler((request, reply) => send(reply, 404, operationOutcome('not-found', `No such path: ${request.url.split('?')[0]}`)));
  app.setErrorHandler((error, _request, reply) => {
    log?.warn({ event: 'annuaire.sandbox.error', error: error instanceof Error ? error.message : String(error) });
    return send(reply, 500, operationOutcome('exception', 'Internal error of the sandbox'));
  });

  await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  baseUrl = `https://${host}:${address.port}${ANNUAIRE_BASE_PATH}`;
  log?.info({ event: 'annuaire.sandbox.started', port: address.port, practitioners: directory.Practitioner.length, organizations: directory.Organization.length });
  return {
    url: baseUrl,
    port: address.port,
    directory,
    simulateOutage: (status) => {
      outage = status;
    },
    counters: () => structuredClone(counters),
    close: async () => {
      counters = { requests: 0, statuses: {} };
      await app.close();
    },
  };
}
