/**
 * End to end over real mTLS on loopback: the Annuaire Santé client against its sandbox.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTestPki, type KeyPair, type TestPki } from '../../platform/pki/index.ts';
import { createAnnuaireClient, type AnnuaireClient } from './client.ts';
import { AnnuaireError } from './errors.ts';
import { startAnnuaireSandbox, type AnnuaireSandbox } from './sandbox.ts';
import { isBundle, isOperationOutcome, readMailboxes } from './fhir.ts';

let dir: string;
let pki: TestPki;
let sandbox: AnnuaireSandbox;
let client: AnnuaireClient;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'annuaire-'));
  pki = await ensureTestPki(dir);
  sandbox = await startAnnuaireSandbox({ pki });
  client = createAnnuaireClient({ endpoint: sandbox.url, tls: { ...pki.clients.establishment, ca: pki.ca.cert }, timeoutMs: 5_000 });
});

afterAll(async () => {
  client?.close();
  await sandbox?.close();
  await rm(dir, { recursive: true, force: true });
});

const rejection = async (promise: Promise<unknown>): Promise<AnnuaireError> => {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AnnuaireError);
    return error as AnnuaireError;
  }
  throw new Error('expected an AnnuaireError');
};

/** Raw GET, with the establishment certificate unless told otherwise. */
function get(url: string, cert: KeyPair | null = pki.clients.establishment, method = 'GET'): Promise<{ status: number; type: string; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, ca: pki.ca.cert, agent: false, headers: { accept: 'application/fhir+json' }, ...(cert ? { cert: cert.cert, key: cert.key } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: text === '' ? undefined : JSON.parse(text) });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('Annuaire Santé client ↔ sandbox over mTLS', () => {
  it('finds Jean MEDECIN (RPPS 10001234567) with his specialty and both mailboxes', async () => {
    const p = await client.findPractitionerByRpps('10001234567');
    expect(p).toMatchObject({
      rpps: '10001234567', idNatPs: '810001234567', family: 'MEDECIN', given: ['Jean'], prefix: 'DR',
      specialties: [{ code: 'G15_10/SM26', profession: '10', specialty: 'SM26', display: 'Médecin - Qualifié en Médecine Générale' }],
    });
    expect(p?.mailboxes).toEqual([
      { address: 'jean.medecin@medecin.mssante.fr', type: 'PER', redList: false, carrier: 'Practitioner' },
      { address: 'jean.medecin@ch-demo.mssante.fr', type: 'PER', redList: false, service: 'Médecine polyvalente', carrier: 'PractitionerRole', organizationId: 'org-000000000' },
    ]);
    expect(p?.roles).toEqual([{ id: 'rol-10001234567-000000000', organizationId: 'org-000000000', organizationName: 'CH DE DEMONSTRATION', mailboxes: [expect.objectContaining({ address: 'jean.medecin@ch-demo.mssante.fr' })] }]);
  });

  it('finds a professional without any mailbox', async () => {
    const p = await client.findPractitionerByRpps('10009876543');
    expect(p).toMatchObject({ family: 'SANSBAL', given: ['Paul'], specialties: [{ code: 'G15_21', profession: '21' }], mailboxes: [] });
  });

  it('an unknown RPPS gives undefined (empty searchset)', async () => {
    expect(await client.findPractitionerByRpps('19999999999')).toBeUndefined();
  });

  it('finds a structure by FINESS with its organisation and application mailboxes', async () => {
    const o = await client.findOrganizationByFiness('000000000');
    expect(o).toEqual({
      id: 'org-000000000', finess: '000000000', idNatSt: '1000000000', name: 'CH DE DEMONSTRATION', activitySector: 'SA01',
      mailboxes: [
        { address: 'secretariat@ch-demo.mssante.fr', type: 'ORG', redList: false, description: 'Secrétariat médical' },
        { address: 'dpi@ch-demo.mssante.fr', type: 'APP', redList: false, description: 'Boîte applicative du DPI' },
      ],
    });
    expect(await client.findOrganizationByFiness('999999999')).toBeUndefined();
  });

  it('finds the owner of an MSSanté address: personal, situation d’exercice, structure, unknown', async () => {
    expect(await client.findByMailbox('adam.hoda@test-ci-sis.mssante.fr')).toMatchObject({ kind: 'practitioner', mailbox: { type: 'PER' }, practitioner: { rpps: '01234567897', family: 'HODA' } });
    expect(await client.findByMailbox('Thierry.Diaz@labo-test.mssante.fr')).toMatchObject({ kind: 'practitioner', practitioner: { rpps: '01234567866', family: 'DIAZ' } });
    expect(await client.findByMailbox('dpi@ch-demo.mssante.fr')).toMatchObject({ kind: 'organization', mailbox: { type: 'APP' }, organization: { finess: '000000000' } });
    expect(await client.findByMailbox('personne@inconnu.mssante.fr')).toBeUndefined();
  });

  it('follows next links across pages', async () => {
    const r = await client.search('Practitioner', { _count: '2' });
    expect(r.matches.map((m) => m.id)).toEqual(sandbox.directory.Practitioner.map((m) => m.id));
  });

  it('refuses a malformed RPPS, FINESS or address before any call', async () => {
    const before = sandbox.counters().requests;
    for (const call of [client.findPractitionerByRpps('1000123456'), client.findOrganizationByFiness('12'), client.findByMailbox('pas une adresse')]) {
      const e = await rejection(call);
      expect(e).toMatchObject({ code: 'invalid_request', retryable: false, status: 400 });
      expect(e.message).toMatch(/^Recherche refusée avant tout appel à l’Annuaire Santé/);
    }
    expect(sandbox.counters().requests).toBe(before);
  });

  it('a 400 OperationOutcome is surfaced as a clear, non-retryable error', async () => {
    const e = await rejection(client.search('Practitioner', { 'family-name': 'MEDECIN' }));
    expect(e).toMatchObject({ code: 'bad_request', httpStatus: 400, retryable: false });
    expect(e.reason).toMatch(/Unknown search parameter "family-name"/);
    expect(e.message).toMatch(/L’Annuaire Santé a refusé la recherche comme incorrecte\. Motif : Unknown search parameter/);
    const modifier = await rejection(client.search('Organization', { 'mailbox-mss:sounds': 'x' }));
    expect(modifier.reason).toMatch(/Unsupported modifier/);
  });
});

describe('Annuaire sandbox wire', () => {
  it('answers a searchset Bundle as application/fhir+json', async () => {
    const r = await get(`${sandbox.url}/Practitioner?identifier=${encodeURIComponent('urn:oid:1.2.250.1.71.4.2.1|810001234567')}&_revinclude=PractitionerRole:practitioner`);
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^application\/fhir\+json/);
    expect(isBundle(r.body)).toBe(true);
    const bundle = r.body as { type: string; total: number; entry: Array<{ search: { mode: string }; resource: { resourceType: string; telecom?: unknown } }> };
    expect(bundle).toMatchObject({ type: 'searchset', total: 1 });
    expect(bundle.entry.map((e) => [e.resource.resourceType, e.search.mode])).toEqual([['Practitioner', 'match'], ['PractitionerRole', 'include']]);
    expect(readMailboxes(bundle.entry[0]?.resource.telecom)).toEqual([{ address: 'jean.medecin@medecin.mssante.fr', type: 'PER', redList: false }]);
  });

  it('searches mailboxes with :contains as in the ANS documentation', async () => {
    const r = await get(`${sandbox.url}/Practitioner?mailbox-mss:contains=${encodeURIComponent('@medecin.mssante.fr')}`);
    expect((r.body as { total: number }).total).toBe(2);
  });

  it('bad queries get a 400 OperationOutcome naming the parameter', async () => {
    for (const query of ['identifier=', '_count=abc', 'telecom=x', '_revinclude=Organization:endpoint']) {
      const r = await get(`${sandbox.url}/Practitioner?${query}`);
      expect(r.status, query).toBe(400);
      expect(isOperationOutcome(r.body)).toBe(true);
      expect((r.body as { issue: Array<{ severity: string; code: string; expression: string[] }> }).issue[0]).toMatchObject({ severity: 'error', code: 'invalid', expression: [query.split('=')[0]] });
    }
  });

  it('unknown types and ids are 404, writes are 405, all as OperationOutcome', async () => {
    expect((await get(`${sandbox.url}/Patient?identifier=1`)).status).toBe(404);
    expect((await get(`${sandbox.url}/Practitioner/pra-00000000000`)).status).toBe(404);
    expect((await get(`${sandbox.url}/Practitioner/pra-10001234567`)).body).toMatchObject({ resourceType: 'Practitioner', id: 'pra-10001234567' });
    const post = await get(`${sandbox.url}/Practitioner`, pki.clients.establishment, 'DELETE');
    expect(post.status).toBe(405);
    expect(isOperationOutcome(post.body)).toBe(true);
  });

  it('refuses a connection without a client certificate', async () => {
    await expect(get(`${sandbox.url}/Practitioner`, null)).rejects.toThrow();
    const anonymous = createAnnuaireClient({ endpoint: sandbox.url, tls: { ca: pki.ca.cert }, timeoutMs: 5_000 });
    try {
      const e = await rejection(anonymous.findPractitionerByRpps('10001234567'));
      expect(e).toMatchObject({ code: 'transport', retryable: true });
      expect(e.message).toMatch(/injoignable/);
    } finally {
      anonymous.close();
    }
  });
});

describe('Annuaire client failures', () => {
  it('sandbox down → retryable transport error', async () => {
    const down = await startAnnuaireSandbox({ pki });
    const url = down.url;
    await down.close();
    const c = createAnnuaireClient({ endpoint: url, tls: { ...pki.clients.establishment, ca: pki.ca.cert }, timeoutMs: 2_000 });
    try {
      const e = await rejection(c.findPractitionerByRpps('10001234567'));
      expect(e).toMatchObject({ code: 'transport', retryable: true, status: 502 });
      expect(e.message).toMatch(/ECONNREFUSED/);
    } finally {
      c.close();
    }
  });

  it('5xx and 429 are retryable, with French messages', async () => {
    try {
      sandbox.simulateOutage(503);
      const e = await rejection(client.findOrganizationByFiness('000000000'));
      expect(e).toMatchObject({ code: 'unavailable', httpStatus: 503, retryable: true });
      expect(e.message).toMatch(/temporairement indisponible/);
      sandbox.simulateOutage(429);
      expect(await rejection(client.findOrganizationByFiness('000000000'))).toMatchObject({ code: 'rate_limited', retryable: true });
    } finally {
      sandbox.simulateOutage(undefined);
    }
    expect(await client.findOrganizationByFiness('000000000')).toBeDefined();
  });

  it('a slow directory → retryable timeout', async () => {
    const slow = await startAnnuaireSandbox({ pki, responseDelayMs: 1_000 });
    const c = createAnnuaireClient({ endpoint: slow.url, tls: { ...pki.clients.establishment, ca: pki.ca.cert }, timeoutMs: 150 });
    try {
      const e = await rejection(c.findPractitionerByRpps('10001234567'));
      expect(e).toMatchObject({ code: 'timeout', retryable: true });
      expect(e.message).toMatch(/délai imparti \(0\.2 s\)/);
    } finally {
      c.close();
      await slow.close();
    }
  });

  it('the API key, when required, is sent as ESANTE-API-KEY; without it → unauthorized', async () => {
    const guarded = await startAnnuaireSandbox({ pki, apiKey: 'cle-de-test' });
    const tls = { ...pki.clients.establishment, ca: pki.ca.cert };
    const withKey = createAnnuaireClient({ endpoint: guarded.url, tls, apiKey: 'cle-de-test' });
    const withoutKey = createAnnuaireClient({ endpoint: guarded.url, tls });
    try {
      expect(await withKey.findPractitionerByRpps('10001234567')).toMatchObject({ family: 'MEDECIN' });
      expect(await rejection(withoutKey.findPractitionerByRpps('10001234567'))).toMatchObject({ code: 'unauthorized', httpStatus: 401, retryable: false });
    } finally {
      withKey.close();
      withoutKey.close();
      await guarded.close();
    }
  });
});
