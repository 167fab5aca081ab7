/**
 * The platform's MLLP listener over TLS, configured with files (`mllp.tls`): a client with a
 * certificate of the configured CA is answered; one without a certificate, one from another
 * CA, or one speaking plain TCP gets no acknowledgement and nothing is stored.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, readAck } from '../src/formats/hl7v2/index.ts';
import { loadConfig } from '../src/platform/config.ts';
import { decodeHl7 } from '../src/platform/hl7-inbox/index.ts';
import { hl7Messages } from '../src/platform/hl7-inbox/tables.ts';
import { createMllpClient, type MllpClientTlsOptions } from '../src/platform/mllp/index.ts';
import { ensureTestPki, type TestPki } from '../src/platform/pki/index.ts';
import { startTestApp, type TestApp } from './support/app.ts';

const A28 = [
  'MSH|^~\\&|DPI|CH|PASSERELLE|CH|20260101120000||ADT^A28^ADT_A05|TLS-1|P|2.5|||||FRA|8859/15|||2.11^IHE_FR',
  'EVN||20260101120000',
  'PID|||IPP-TLS-1^^^DPI&1.2.250.1.999.2&ISO^PI||TLSTEST^CLAIRE^^^^^L||19800101|F',
].join('\r');

let dir: string;
let pki: TestPki;
let other: TestPki;
let app: TestApp;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'passerelle-mllp-tls-'));
  pki = await ensureTestPki(join(dir, 'hospital'));
  other = await ensureTestPki(join(dir, 'other'));
  const files = (name: string): string => join(pki.dir, name);
  app = await startTestApp({ 'mllp.tls': { certFile: files('sandbox-server.crt.pem'), keyFile: files('sandbox-server.key.pem'), caFile: files('ca.crt.pem') } });
});
afterAll(async () => {
  await app?.stop();
  await rm(dir, { recursive: true, force: true });
});

const stored = async (): Promise<number> => Number((await app.database.db.select({ n: count() }).from(hl7Messages))[0]!.n);

async function send(tls: MllpClientTlsOptions | undefined): Promise<string> {
  const client = createMllpClient({ host: '127.0.0.1', port: app.ports.mllp, ackTimeoutMs: 2_000, ...(tls ? { tls } : {}) });
  try {
    const parsed = parse(decodeHl7(await client.send(A28)));
    if (!parsed.ok) throw new Error(parsed.error.rule);
    const ack = readAck(parsed.value);
    if (!ack.ok) throw new Error(ack.error.rule);
    return `${ack.value.code} ${ack.value.acknowledgedControlId}`;
  } finally {
    await client.close().catch(() => undefined);
  }
}

describe('MLLP over TLS from the configuration', () => {
  it('answers a client whose certificate the configured CA issued', async () => {
    const client = pki.clients.establishment;
    expect(await send({ cert: client.cert, key: client.key, ca: pki.ca.cert, servername: 'localhost' })).toBe('AA TLS-1');
    expect(await stored()).toBe(1);
  });

  it('refuses, storing nothing, a client without a certificate, one from another CA, and plain TCP', async () => {
    await expect(send({ ca: pki.ca.cert, servername: 'localhost' })).rejects.toThrow();
    const stranger = other.clients.establishment;
    await expect(send({ cert: stranger.cert, key: stranger.key, ca: pki.ca.cert, servername: 'localhost' })).rejects.toThrow();
    await expect(send(undefined)).rejects.toThrow();
    expect(await stored()).toBe(1);
  });

  it('refuses a configuration that requires client certificates without the CA to check them', () => {
    expect(() => loadConfig({}, { 'mllp.tls': { certFile: 'server.crt.pem', keyFile: 'server.key.pem' } })).toThrow(/caFile/);
    expect(loadConfig({}, { 'mllp.tls': { certFile: 'server.crt.pem', keyFile: 'server.key.pem', requireClientCertificate: false } }).mllp.tls)
      .toMatchObject({ requireClientCertificate: false });
  });
});
