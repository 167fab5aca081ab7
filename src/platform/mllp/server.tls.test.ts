// MLLP over mutual TLS, with the platform's test PKI (a fresh one per run, in a temporary
// directory); a second, unrelated test PKI plays the foreign CA.
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTestPki, issueCertificate, sandboxServerTls, type KeyPair, type TestPki } from '../pki/index.ts';
import { createMllpClient, type MllpClientTlsOptions } from './client.ts';
import { MllpConnectionError } from './errors.ts';
import { createMllpServer, type MllpConnectionContext, type MllpServer } from './server.ts';

const commonNameOf = (pem: string): string | undefined => /(?:^|\n)CN=([^\n]+)/.exec(new X509Certificate(pem).subject)?.[1];

describe('MLLP over mutual TLS', () => {
  const dirs: string[] = [];
  let pki: TestPki;
  let foreignPki: TestPki;
  let clientIdentity: KeyPair;
  let rogueClientIdentity: KeyPair;
  let server: MllpServer;
  let port: number;
  const contexts: MllpConnectionContext[] = [];
  const serverErrors: Error[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) dirs.push(await mkdtemp(join(tmpdir(), 'passerelle-mllp-tls-')));
    pki = await ensureTestPki(dirs[0]!);
    clientIdentity = await issueCertificate(pki.ca, 'LAB-SENDER', 'client');
    foreignPki = await ensureTestPki(dirs[1]!);
    rogueClientIdentity = await issueCertificate(foreignPki.ca, 'ROGUE', 'client');

    server = createMllpServer({
      tls: sandboxServerTls(pki),
      handler: async (message, context) => {
        contexts.push(context);
        return Buffer.concat([Buffer.from('ACK:'), message]);
      },
      onError: (error) => serverErrors.push(error),
    });
    port = await server.listen(0);
  });

  afterAll(async () => {
    await server?.close({ timeoutMs: 500 });
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  const clientTls = (identity?: KeyPair): MllpClientTlsOptions => ({
    ca: pki.ca.cert,
    servername: 'localhost',
    ...(identity ? { cert: identity.cert, key: identity.key } : {}),
  });

  it('acknowledges a client holding a CA-signed certificate and shows its CN and fingerprint to the handler', async () => {
    const client = createMllpClient({ host: '127.0.0.1', port, tls: clientTls(clientIdentity) });
    try {
      expect((await client.send('MSH|tls\r')).toString()).toBe('ACK:MSH|tls\r');
    } finally {
      await client.close();
    }
    const context = contexts.at(-1)!;
    expect(commonNameOf(pki.ca.cert)).toMatch(/\S/);
    expect(context.peerCertificate).toEqual({
      subjectCommonName: 'LAB-SENDER',
      issuerCommonName: commonNameOf(pki.ca.cert),
      fingerprint256: new X509Certificate(clientIdentity.cert).fingerprint256,
      serialNumber: expect.any(String),
      authorized: true,
    });
    expect(context.remoteAddress).toBe('127.0.0.1');
  });

  it('refuses a client without a certificate, and one whose certificate another CA signed', async () => {
    const handled = contexts.length;
    for (const identity of [undefined, rogueClientIdentity]) {
      const client = createMllpClient({ host: '127.0.0.1', port, tls: clientTls(identity), ackTimeoutMs: 2_000 });
      try {
        await expect(client.send('MSH|refused\r')).rejects.toBeInstanceOf(MllpConnectionError);
      } finally {
        client.destroy();
      }
    }
    expect(contexts.length).toBe(handled);
    expect(serverErrors.filter((error) => error.name === 'MllpConnectionError').length).toBeGreaterThanOrEqual(2);
  });

  it('refuses to send to a server the client does not trust', async () => {
    const client = createMllpClient({
      host: '127.0.0.1',
      port,
      tls: { ca: foreignPki.ca.cert, cert: clientIdentity.cert, key: clientIdentity.key },
    });
    try {
      await expect(client.send('MSH|x\r')).rejects.toMatchObject({ name: 'MllpConnectionError', code: 'connect-failed' });
    } finally {
      client.destroy();
    }
  });

  it('shuts down promptly while a TCP peer sits before or half-way through its handshake', async () => {
    const other = createMllpServer({
      tls: { key: pki.server.key, cert: pki.server.cert, ca: pki.ca.cert, requestCert: true },
      handler: async (message) => message,
    });
    const otherPort = await other.listen(0);
    const silent = net.connect({ host: '127.0.0.1', port: otherPort });
    const halfClosed = net.connect({ host: '127.0.0.1', port: otherPort });
    silent.on('error', () => undefined);
    halfClosed.on('error', () => undefined);
    await Promise.all([silent, halfClosed].map((socket) => new Promise((resolve) => socket.once('connect', resolve))));
    halfClosed.end();
    const started = Date.now();
    await other.close({ timeoutMs: 2_000 });
    expect(Date.now() - started).toBeLessThan(1_000);
    silent.destroy();
  });

  it('still serves trusted clients after refusing others', async () => {
    const client = createMllpClient({ host: '127.0.0.1', port, tls: clientTls(clientIdentity) });
    try {
      expect((await client.send('again')).toString()).toBe('ACK:again');
    } finally {
      await client.close();
    }
  });
});
