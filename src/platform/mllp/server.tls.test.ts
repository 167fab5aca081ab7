// MLLP over mutual TLS, with a throwaway PKI generated for this test run.
import 'reflect-metadata';
import { X509Certificate, webcrypto } from 'node:crypto';
import net from 'node:net';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMllpClient, type MllpClientTlsOptions } from './client.ts';
import { MllpConnectionError } from './errors.ts';
import { createMllpServer, type MllpConnectionContext, type MllpServer } from './server.ts';

x509.cryptoProvider.set(webcrypto as Crypto);

const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

interface Issued {
  certificatePem: string;
  keyPem: string;
  keys: CryptoKeyPair;
  certificate: x509.X509Certificate;
}

async function keyPem(keys: CryptoKeyPair): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
}

const validity = () => ({ notBefore: new Date(Date.now() - 3_600_000), notAfter: new Date(Date.now() + 86_400_000) });

async function selfSignedCa(name: string): Promise<Issued> {
  const keys = await generateKeys();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    name,
    keys,
    signingAlgorithm: algorithm,
    ...validity(),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificate, certificatePem: certificate.toString('pem'), keyPem: await keyPem(keys), keys };
}

async function issue(ca: Issued, subject: string, usage: 'server' | 'client'): Promise<Issued> {
  const keys = await generateKeys();
  const certificate = await x509.X509CertificateGenerator.create({
    subject,
    issuer: ca.certificate.subject,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: algorithm,
    ...validity(),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
      ...(usage === 'server'
        ? [
            new x509.SubjectAlternativeNameExtension([
              { type: 'dns', value: 'localhost' },
              { type: 'ip', value: '127.0.0.1' },
            ]),
          ]
        : []),
      await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
    ],
  });
  return { certificate, certificatePem: certificate.toString('pem'), keyPem: await keyPem(keys), keys };
}

describe('MLLP over mutual TLS', () => {
  let ca: Issued;
  let serverIdentity: Issued;
  let clientIdentity: Issued;
  let rogueClientIdentity: Issued;
  let server: MllpServer;
  let port: number;
  const contexts: MllpConnectionContext[] = [];
  const serverErrors: Error[] = [];

  beforeAll(async () => {
    ca = await selfSignedCa('CN=Passerelle test CA, O=Passerelle');
    serverIdentity = await issue(ca, 'CN=localhost', 'server');
    clientIdentity = await issue(ca, 'CN=LAB-SENDER, O=Laboratoire', 'client');
    const rogueCa = await selfSignedCa('CN=Rogue CA');
    rogueClientIdentity = await issue(rogueCa, 'CN=ROGUE', 'client');

    server = createMllpServer({
      tls: {
        key: serverIdentity.keyPem,
        cert: serverIdentity.certificatePem,
        ca: ca.certificatePem,
        requestCert: true,
        rejectUnauthorized: true,
      },
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
  });

  const clientTls = (identity?: Issued): MllpClientTlsOptions => ({
    ca: ca.certificatePem,
    servername: 'localhost',
    ...(identity ? { cert: identity.certificatePem, key: identity.keyPem } : {}),
  });

  it('acknowledges a client holding a CA-signed certificate and shows its CN and fingerprint to the handler', async () => {
    const client = createMllpClient({ host: '127.0.0.1', port, tls: clientTls(clientIdentity) });
    try {
      expect((await client.send('MSH|tls\r')).toString()).toBe('ACK:MSH|tls\r');
    } finally {
      await client.close();
    }
    const context = contexts.at(-1)!;
    expect(context.peerCertificate).toEqual({
      subjectCommonName: 'LAB-SENDER',
      issuerCommonName: 'Passerelle test CA',
      fingerprint256: new X509Certificate(clientIdentity.certificatePem).fingerprint256,
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
      tls: { ca: rogueClientIdentity.certificatePem, cert: clientIdentity.certificatePem, key: clientIdentity.keyPem },
    });
    try {
      await expect(client.send('MSH|x\r')).rejects.toMatchObject({ name: 'MllpConnectionError', code: 'connect-failed' });
    } finally {
      client.destroy();
    }
  });

  it('shuts down promptly while a TCP peer sits before or half-way through its handshake', async () => {
    const other = createMllpServer({
      tls: { key: serverIdentity.keyPem, cert: serverIdentity.certificatePem, ca: ca.certificatePem, requestCert: true },
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
