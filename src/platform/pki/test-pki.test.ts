import { afterAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import https from 'node:https';
import { X509Certificate } from 'node:crypto';
import { ensureTestPki, issueCertificate, sandboxServerTls } from './test-pki.ts';

const dir = await mkdtemp(join(tmpdir(), 'pki-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

function get(port: number, opts: https.RequestOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    https.get({ host: '127.0.0.1', port, path: '/', ...opts }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject);
  });
}

describe('test PKI', () => {
  it('creates a CA, a server and client certificates once, and reuses them', async () => {
    const first = await ensureTestPki(dir);
    const again = await ensureTestPki(dir);
    expect(again.ca.cert).toBe(first.ca.cert);
    const ca = new X509Certificate(first.ca.cert);
    expect(ca.subject).toContain('TEST AC IGC-SANTE ELEMENTAIRE ORGANISATIONS');
    const insi = new X509Certificate(first.clients.insi.cert);
    expect(insi.subject).toContain('CN=INSI-AUTO');
    expect(insi.verify(ca.publicKey)).toBe(true);
  });

  it('issues an RSA "ORG SIGN" signing certificate for the establishment, same DN as its authentication certificate', async () => {
    const pki = await ensureTestPki(dir);
    const signing = new X509Certificate(pki.signing.establishment.cert);
    const auth = new X509Certificate(pki.clients.establishment.cert);
    expect(signing.publicKey.asymmetricKeyType).toBe('rsa');
    expect(signing.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(signing.subject).toBe(auth.subject);
    expect(signing.verify(new X509Certificate(pki.ca.cert).publicKey)).toBe(true);
    expect(signing.keyUsage ?? []).not.toContain('1.3.6.1.5.5.7.3.2');
    const again = await ensureTestPki(dir);
    expect(again.signing.establishment.cert).toBe(pki.signing.establishment.cert);
  });

  it('lets a server demand a client certificate from the CA', async () => {
    const pki = await ensureTestPki(dir);
    const server = https.createServer(sandboxServerTls(pki), (req, res) => {
      const cn = (req.socket as import('node:tls').TLSSocket).getPeerCertificate().subject?.CN;
      res.end(String(cn));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as import('node:net').AddressInfo).port;
    try {
      expect(await get(port, { ca: pki.ca.cert, ...pki.clients.insi })).toBe(200);
      await expect(get(port, { ca: pki.ca.cert })).rejects.toThrow();
      const foreignCa = await issueCertificate(await (async () => { const other = await ensureTestPki(join(dir, 'other')); return other.ca; })(), 'INTRUS', 'client');
      await expect(get(port, { ca: pki.ca.cert, ...foreignCa })).rejects.toThrow();
    } finally {
      server.close();
    }
  });
});
