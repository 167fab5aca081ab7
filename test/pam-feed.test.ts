/**
 * PAM FR outbound delivery through the outbox: AE is retried with backoff (same MSH-10), AR
 * goes to dead letters (visible, manually retryable), an ACK timeout never floods a slow
 * subscriber: one message in flight per subscriber, in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.ts';
import { startSubscriber, waitUntil, type Answer, type ReceivedMessage } from './support/subscriber.ts';

let app: TestApp;
let script: (m: ReceivedMessage, attempt: number) => Answer = () => 'AA';
const attempts = new Map<string, number>();
let subscriber: Awaited<ReturnType<typeof startSubscriber>>;

beforeAll(async () => {
  subscriber = await startSubscriber((m) => {
    const n = (attempts.get(m.controlId) ?? 0) + 1;
    attempts.set(m.controlId, n);
    return script(m, n);
  });
  app = await startTestApp({
    'pam.subscribers': [{ name: 'RIS', port: subscriber.port, ackTimeoutMs: 300 }],
    'outbox.pollMs': 20, 'outbox.backoffBaseMs': 40, 'outbox.backoffMaxMs': 150, 'outbox.leaseMs': 5_000,
  });
});
afterAll(async () => {
  await app?.stop();
  await subscriber?.close();
});

const traits = (name: string) => ({ birthName: name, birthGivenNames: 'JEAN', birthDate: '1960-05-05', sex: 'M' as const });
const backlog = async () => (await (await fetch(`${app.url}/api/outbox`)).json() as { queues: Array<{ pending: number; running: number; dead: number }> })
  .queues.reduce((n, q) => ({ open: n.open + q.pending + q.running, dead: n.dead + q.dead }), { open: 0, dead: 0 });

/** Control ids in order of arrival must never go back to an earlier one once a later one appeared. */
function assertOrdered(received: ReceivedMessage[]): void {
  const order = received.map((m) => Number(m.controlId.replace('PAM', '')));
  for (let i = 1; i < order.length; i++) expect(order[i]!).toBeGreaterThanOrEqual(order[i - 1]!);
}

describe('PAM feed delivery', () => {
  it('retries AE with backoff, resending the same control id, and keeps later messages waiting', async () => {
    subscriber.received.length = 0;
    script = (m, attempt) => (m.pid.birthName?.family === 'RETRYAE' && attempt <= 2 ? 'AE' : 'AA');
    await app.identities.create({ traits: traits('RETRYAE') }, 'test');
    await app.identities.create({ traits: traits('SUIVANT') }, 'test');
    await waitUntil(async () => (await backlog()).open === 0, 15_000, 'feed drained');
    const names = subscriber.received.map((m) => m.pid.birthName?.family);
    expect(names).toEqual(['RETRYAE', 'RETRYAE', 'RETRYAE', 'SUIVANT']);
    expect(new Set(subscriber.received.slice(0, 3).map((m) => m.controlId)).size).toBe(1);
    assertOrdered(subscriber.received);
  });

  it('sends AR to dead letters with the error, goes on with the next message, and retries on demand', async () => {
    subscriber.received.length = 0;
    script = (m, attempt) => (m.pid.birthName?.family === 'REJETE' && attempt === 1 ? 'AR' : 'AA');
    await app.identities.create({ traits: traits('REJETE') }, 'test');
    await app.identities.create({ traits: traits('APRES') }, 'test');
    await waitUntil(async () => (await backlog()).open === 0, 15_000, 'feed drained');
    expect(subscriber.received.map((m) => m.pid.birthName?.family)).toEqual(['REJETE', 'APRES']);
    const dead = await (await fetch(`${app.url}/api/outbox/dead-letters`)).json() as { items: Array<{ id: number; lastError: string; attempts: number }> };
    expect(dead.items).toHaveLength(1);
    expect(dead.items[0]).toMatchObject({ attempts: 1, lastError: expect.stringMatching(/^AR from RIS: scripted AR/) });

    const retry = await fetch(`${app.url}/api/outbox/jobs/${dead.items[0]!.id}/retry`, { method: 'POST' });
    expect(retry.status).toBe(200);
    await waitUntil(() => subscriber.received.length === 3, 15_000, 'manual retry delivered');
    expect(subscriber.received[2]!.pid.birthName?.family).toBe('REJETE');
    expect((await backlog()).dead).toBe(0);
    const subscribers = await (await fetch(`${app.url}/api/pam/subscribers`)).json() as { items: Array<Record<string, unknown>> };
    expect(subscribers.items).toEqual([expect.objectContaining({ name: 'RIS', port: subscriber.port, pending: 0, running: 0, dead: 0 })]);
  });

  it('survives ACK timeouts without flooding: one in flight, the same message until acknowledged, order kept', async () => {
    subscriber.received.length = 0;
    script = (m, attempt) => (m.pid.birthName?.family === 'LENT' && attempt <= 3 ? 'silence' : 'AA');
    await app.identities.create({ traits: traits('LENT') }, 'test');
    for (const name of ['UN', 'DEUX', 'TROIS']) await app.identities.create({ traits: traits(name) }, 'test');
    await waitUntil(async () => (await backlog()).open === 0, 20_000, 'feed drained');
    const names = subscriber.received.map((m) => m.pid.birthName?.family);
    expect(names).toEqual(['LENT', 'LENT', 'LENT', 'LENT', 'UN', 'DEUX', 'TROIS']);
    assertOrdered(subscriber.received);
  });
});

describe('PAM feed events', () => {
  it('announces a demotion with A47 (INS removed, PID-32 PROV) and a merge with A40', async () => {
    subscriber.received.length = 0;
    script = () => 'AA';
    const received = await app.identities.receive({
      ipp: { id: 'EXT-1', authority: 'GAM' },
      traits: { birthName: 'ADRTROIS', birthGivenNames: 'TOUSSAINT', birthDate: '1960-01-01', sex: 'M', birthplace: '2B020' },
      ins: { matricule: '160012B02077713', oid: '1.2.250.1.213.1.4.8' }, status: 'VALI', attributes: [],
    }, 'test');
    expect(received.status).toBe('QUAL');
    await app.identities.withdrawProofs(received.id, 'justificatif contesté', 'test');
    const duplicate = await app.identities.create({ traits: { birthName: 'ADRTROIS', birthGivenNames: 'TOUSSAINT', birthDate: '1960-01-01', sex: 'M' } }, 'test');
    await app.identities.merge(received.id, duplicate.identity.id, 'test');
    await waitUntil(async () => (await backlog()).open === 0 && subscriber.received.some((m) => m.event === 'A40'), 15_000, 'A40 delivered');

    const events = subscriber.received.map((m) => m.event);
    expect(events).toEqual(['A28', 'A47', 'A28', 'A40']);
    const [created, a47, , a40] = subscriber.received;
    expect(created!.pid.ins[0]).toMatchObject({ matricule: '160012B02077713' });
    expect(created!.pid.status).toBe('VALI');
    expect(a47!.pid.insNullified).toBe(true);
    expect(a47!.pid.status).toBe('PROV');
    expect(a47!.text).toMatch(/\rMRG\|160012B02077713\^\^\^ASIP-SANTE-INS-NIR&1\.2\.250\.1\.213\.1\.4\.8&ISO\^INS/);
    expect(a40!.text).toMatch(new RegExp(`\\rMRG\\|${duplicate.identity.ipp}\\^\\^\\^PASSERELLE`));
  });
});
