/**
 * The signing certificate read from ds:KeyInfo: missing, unreadable, trusted or not by the test
 * CA, and read once per certificate text; the signer's key and certificate, read once per PEM.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Element } from '@xmldom/xmldom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseXml } from '../../formats/soap/index.ts';
import { ensureTestPki, type TestPki } from '../../platform/pki/index.ts';
import { signingCertificateOf, signingIdentityOf, verificationKey, type SigningCertificate } from './signing-certificate.ts';
import { DS_NS } from './wire.ts';

let dir: string;
let pki: TestPki;
let otherPki: TestPki;

const keyInfo = (inner: string): Element => {
  const doc = parseXml(`<ds:KeyInfo xmlns:ds="${DS_NS}">${inner}</ds:KeyInfo>`);
  if (!doc.ok) throw new Error(doc.error.rule);
  return doc.value.documentElement!;
};
const x509Data = (pem: string): string => `<ds:X509Data><ds:X509Certificate>${pem.replace(/-----[^-]+-----|\s/g, '')}</ds:X509Certificate></ds:X509Data>`;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'dmp-signing-'));
  pki = await ensureTestPki(path.join(dir, 'a'));
  otherPki = await ensureTestPki(path.join(dir, 'b'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('signing certificate of an XML signature', () => {
  it('is missing without ds:KeyInfo or X509Certificate, unreadable when not a certificate', () => {
    const trusted = [pki.ca.cert];
    expect(signingCertificateOf(undefined, trusted)).toBe('missing');
    expect(signingCertificateOf(keyInfo('<ds:KeyName>x</ds:KeyName>'), trusted)).toBe('missing');
    expect(signingCertificateOf(keyInfo('<ds:X509Data><ds:X509Certificate>bm90IGEgY2VydGlmaWNhdGU=</ds:X509Certificate></ds:X509Data>'), trusted)).toBe('unreadable');
  });

  it('is trusted when issued by a trusted CA, not when issued by another; each text is read once', () => {
    const trusted = [pki.ca.cert];
    const ours = signingCertificateOf(keyInfo(x509Data(pki.signing.establishment.cert)), trusted) as SigningCertificate;
    expect(ours.trusted).toBe(true);
    expect(ours.certificate.subject).toContain('CN=');
    expect(signingCertificateOf(keyInfo(x509Data(pki.signing.establishment.cert)), trusted)).toBe(ours);
    const theirs = signingCertificateOf(keyInfo(x509Data(otherPki.signing.establishment.cert)), trusted) as SigningCertificate;
    expect(theirs.trusted).toBe(false);
    // Another list of trusted CAs judges anew.
    expect((signingCertificateOf(keyInfo(x509Data(otherPki.signing.establishment.cert)), [otherPki.ca.cert]) as SigningCertificate).trusted).toBe(true);
  });

  it('gives xml-crypto the parsed key for RSA PKCS#1 v1.5, the PEM text for RSA-PSS', () => {
    const signer = signingCertificateOf(keyInfo(x509Data(pki.signing.establishment.cert)), [pki.ca.cert]) as SigningCertificate;
    expect(verificationKey(signer, 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256')).toBe(signer.publicKey);
    expect(verificationKey(signer, 'http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1')).toBe(signer.pem);
    expect(verificationKey(signer, undefined)).toBe(signer.pem);
  });
});

describe("the signer's identity", () => {
  it('gives what ds:KeyInfo and XAdES SigningCertificate need, read once per PEM text', () => {
    const signer = pki.signing.establishment;
    const identity = signingIdentityOf(signer);
    const der = Buffer.from(signer.cert.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    expect(identity).toMatchObject({
      certificate: der.toString('base64'),
      certificateSha1: createHash('sha1').update(der).digest('base64'),
      issuerName: 'C=FR,O=PASSERELLE SANDBOX,OU=IGC-SANTE TEST,CN=TEST AC IGC-SANTE ELEMENTAIRE ORGANISATIONS',
      serialNumber: BigInt(`0x${new X509Certificate(signer.cert).serialNumber}`).toString(10),
    });
    expect(identity.privateKey.asymmetricKeyType).toBe('rsa');
    expect(signingIdentityOf({ ...signer }).privateKey).toBe(identity.privateKey);
  });

  it('throws when the key or the certificate cannot be read', () => {
    expect(() => signingIdentityOf({ cert: pki.signing.establishment.cert, key: 'not a key' })).toThrow();
    expect(() => signingIdentityOf({ cert: 'not a certificate', key: pki.signing.establishment.key })).toThrow();
  });
});
