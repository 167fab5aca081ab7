/**
 * The identity referential's promise, end to end on loopback: an agent qualifies ADRTROIS
 * DOMINIQUE through the HTTP API (INSi sandbox over mTLS), and a PAM subscriber receives an
 * A31 carrying PID-32 VALI and the INS in PID-3; DE VINCI LEONARDO stays unqualified.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.ts';
import { startSubscriber, waitUntil } from './support/subscriber.ts';

let app: TestApp;
let subscriber: Awaited<ReturnType<typeof startSubscriber>>;

beforeAll(async () => {
  subscriber = await startSubscriber();
  app = await startTestApp({ 'pam.subscribers': [{ name: 'DPI', port: subscriber.port }], 'outbox.pollMs': 50 });
});
afterAll(async () => {
  await app?.stop();
  await subscriber?.close();
});

async function call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const response = await fetch(`${app.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-passerelle-user': 'cellule-iv' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: await response.json() as T };
}

describe('qualification through the API', () => {
  it('qualifies ADRTROIS DOMINIQUE and feeds the subscriber an A31 with VALI and the INS', async () => {
    const created = await call<{ identity: { id: string; status: string } }>('POST', '/api/identities', {
      traits: { birthName: 'Adrtrois', birthGivenNames: 'Dominique', birthDate: '1997-02-26', sex: 'F' },
    });
    expect(created.status).toBe(201);
    const id = created.json.identity.id;
    expect(created.json.identity.status).toBe('PROV');

    const proof = await call<{ status: string }>('POST', `/api/identities/${id}/proofs`, { type: 'CN', expiresOn: '2031-01-01' });
    expect(proof.json.status).toBe('VALI');

    const insi = await call<{ outcome: string; adopted: boolean; identity: { status: string; ins: { matricule: string; oid: string } } }>(
      'POST', `/api/identities/${id}/insi`, {});
    expect(insi.status).toBe(200);
    expect(insi.json).toMatchObject({ outcome: '00', adopted: true, identity: { status: 'QUAL', ins: { matricule: '297022A02077878', oid: '1.2.250.1.213.1.4.8' } } });

    await waitUntil(() => subscriber.received.some((m) => m.event === 'A31' && m.pid.ins.length > 0), 15_000, 'A31 with INS');
    const a31 = subscriber.received.find((m) => m.event === 'A31' && m.pid.ins.length > 0)!;
    expect(a31.pid.status).toBe('VALI');
    expect(a31.pid.ins[0]).toMatchObject({ matricule: '297022A02077878', oid: '1.2.250.1.213.1.4.8', keyValid: true });
    expect(a31.pid.birthplaceCog).toBe('2A020');
    expect(a31.text).toContain('|INSI|');
    // Before qualification the subscriber saw the identity without its INS: A28 (PROV), A31 (VALI).
    const events = subscriber.received.map((m) => `${m.event}:${m.pid.status}:${m.pid.ins.length}`);
    expect(events).toEqual(['A28:PROV:0', 'A31:VALI:0', 'A31:VALI:1']);

    const trail = await call<{ items: Array<{ action: string; actor: string }> }>('GET', `/api/identities/${id}/audit`);
    expect(trail.json.items.map((e) => e.action)).toEqual(expect.arrayContaining(['identity.create', 'identity.proof', 'identity.insi']));
    expect(trail.json.items.every((e) => e.actor === 'user:cellule-iv')).toBe(true);
  });

  it('keeps DE VINCI LEONARDO unqualified with a clear "several identities" message', async () => {
    const created = await call<{ identity: { id: string } }>('POST', '/api/identities', {
      traits: { birthName: 'DE VINCI', birthGivenNames: 'LEONARDO', birthDate: '2014-02-01', sex: 'M' },
    });
    const id = created.json.identity.id;
    await call('POST', `/api/identities/${id}/proofs`, { type: 'LE' });
    const insi = await call<{ outcome: string; message: string; adopted: boolean; identity: { status: string; ins?: unknown } }>('POST', `/api/identities/${id}/insi`, {});
    expect(insi.json).toMatchObject({ outcome: '02', adopted: false, identity: { status: 'VALI' } });
    expect(insi.json.identity.ins).toBeUndefined();
    expect(insi.json.message).toMatch(/plusieurs identités/i);
  });

  it('qualifies with the carte Vitale search (rechercherInsAvecCarteVitale)', async () => {
    const created = await call<{ identity: { id: string } }>('POST', '/api/identities', {
      traits: { birthName: 'ADRTROIS', birthGivenNames: 'TOUSSAINT', birthDate: '1960-01-01', sex: 'M' },
    });
    const id = created.json.identity.id;
    await call('POST', `/api/identities/${id}/proofs`, { type: 'CN' });
    const insi = await call<{ outcome: string; identity: { status: string; ins: { matricule: string } } }>(
      'POST', `/api/identities/${id}/insi`, { carteVitale: { matricule: '160012B020777' } });
    expect(insi.json).toMatchObject({ outcome: '00', identity: { status: 'QUAL', ins: { matricule: '160012B02077713' } } });
  });

  it('answers bad input with problem+json naming the field and the rule', async () => {
    const bad = await call<{ title: string; errors?: unknown; detail: string }>('POST', '/api/identities', {
      traits: { birthName: 'LÆTITIA', birthGivenNames: 'X', birthDate: '2000-01-01', sex: 'F' },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.detail).toMatch(/birthName.*Æ/);
    const invalid = await call<{ detail: string }>('POST', '/api/identities', { traits: { birthName: 'X', birthGivenNames: 'Y', birthDate: '1er janvier', sex: 'F' } });
    expect(invalid.status).toBe(400);
    expect(invalid.json.detail).toMatch(/birthDate/);
    const missing = await call('GET', '/api/identities/00000000-0000-4000-8000-000000000000');
    expect(missing.status).toBe(404);
  });

  it('serves OpenAPI at /docs and health probes', async () => {
    expect((await fetch(`${app.url}/docs/json`)).status).toBe(200);
    expect((await call('GET', '/health')).json).toEqual({ status: 'ok' });
    expect((await call('GET', '/ready')).json).toEqual({ status: 'ready' });
  });
});
