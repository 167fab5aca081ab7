/**
 * The signing certificate of an XML signature the DMP sandbox checks (VIHF, signature
 * document): read from `ds:KeyInfo` as xml-crypto reads it, and checked against the trusted
 * CAs (issued and signed by one of them).
 *
 * A client signs request after request with the same certificate, and reading it is costly
 * (xml-crypto's KeyInfo reading parses the X.509 twice, Node's X509Certificate once more, each
 * trusted CA once more, and a check from PEM text parses it yet again: about 1.2 ms). So what a
 * certificate's text gives is kept, for each list of trusted CAs: the same text always gives
 * the same certificate and the same answer, and no rule depends on the time here (callers
 * check validity periods themselves).
 *
 * The signer's side is kept the same way: `signingIdentityOf` reads the private key and the
 * certificate a signature is made with once per PEM text (about 0.5 ms), not once per signature.
 */
import { createHash, createPrivateKey, X509Certificate, type KeyLike, type KeyObject } from 'node:crypto';
import type { Element } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';

export interface SigningCertificate {
  /** PEM, as xml-crypto gives it. */
  pem: string;
  certificate: X509Certificate;
  publicKey: KeyObject;
  /** Issued and signed by one of the trusted CAs. */
  trusted: boolean;
}

export type SigningCertificateRead = SigningCertificate | 'missing' | 'unreadable';

/** Certificates kept per list of trusted CAs (the oldest goes first). */
const KEPT_CERTIFICATES = 100;
const kept = new WeakMap<readonly string[], Map<string, SigningCertificateRead>>();

/**
 * The certificate of `ds:KeyInfo` (its first X509Certificate, in document order), `missing`
 * when there is none, `unreadable` when it is not one certificate.
 */
export function signingCertificateOf(keyInfo: Element | undefined, trustedCa: readonly string[]): SigningCertificateRead {
  const element = keyInfo?.getElementsByTagNameNS('*', 'X509Certificate').item(0);
  if (!keyInfo || !element) return 'missing';
  const text = element.textContent ?? '';
  let byText = kept.get(trustedCa);
  if (!byText) kept.set(trustedCa, (byText = new Map()));
  const known = byText.get(text);
  if (known) return known;
  const read = readCertificate(keyInfo, trustedCa);
  if (byText.size >= KEPT_CERTIFICATES) byText.delete(byText.keys().next().value ?? '');
  byText.set(text, read);
  return read;
}

function readCertificate(keyInfo: Element, trustedCa: readonly string[]): SigningCertificateRead {
  let pem: string | null;
  let certificate: X509Certificate;
  try {
    pem = SignedXml.getCertFromKeyInfo(keyInfo as unknown as Node);
    if (!pem) return 'missing';
    certificate = new X509Certificate(pem);
  } catch {
    return 'unreadable';
  }
  const trusted = trustedCa.some((caPem) => {
    try {
      const ca = new X509Certificate(caPem);
      return certificate.checkIssued(ca) && certificate.verify(ca.publicKey);
    } catch {
      return false;
    }
  });
  return { pem, certificate, publicKey: certificate.publicKey, trusted };
}

/** RSA PKCS#1 v1.5 signature methods: xml-crypto checks them with a parsed key (its RSA-PSS check wants PEM text). */
const PARSED_KEY_ALGORITHMS: ReadonlySet<string> = new Set([
  'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
]);

/** The key to check a signature made with `algorithm` (its SignatureMethod): the parsed key when xml-crypto can take it. */
export const verificationKey = (signer: SigningCertificate, algorithm: string | undefined): KeyLike =>
  algorithm !== undefined && PARSED_KEY_ALGORITHMS.has(algorithm) ? signer.publicKey : signer.pem;

// ---- the signer's side -----------------------------------------------------------------------

/** What signing with a certificate and its key needs (ds:KeyInfo, XAdES SigningCertificate). */
export interface SigningIdentity {
  privateKey: KeyObject;
  /** The certificate (the first of the PEM text), DER in base64, as ds:X509Certificate holds it. */
  certificate: string;
  /** SHA-1 of that DER, base64 (xades:CertDigest). */
  certificateSha1: string;
  /** Issuer distinguished name, most significant RDN last (`C=FR,O=…,CN=…`), for ds:X509IssuerName. */
  issuerName: string;
  /** Serial number in decimal, for ds:X509SerialNumber. */
  serialNumber: string;
}

const KEPT_SIGNERS = 100;
const privateKeys = new Map<string, KeyObject>();
const signerCertificates = new Map<string, Omit<SigningIdentity, 'privateKey'>>();

/** The key and certificate of `signer`, read once per PEM text; throws when either cannot be read. */
export function signingIdentityOf(signer: { cert: string; key: string }): SigningIdentity {
  const privateKey = keep(privateKeys, signer.key, () => createPrivateKey(signer.key));
  const certificate = keep(signerCertificates, signer.cert, () => {
    const read = new X509Certificate(signer.cert);
    return {
      certificate: read.raw.toString('base64'),
      certificateSha1: createHash('sha1').update(read.raw).digest('base64'),
      issuerName: read.issuer.split('\n').reverse().join(','),
      serialNumber: BigInt(`0x${read.serialNumber}`).toString(10),
    };
  });
  return { privateKey, ...certificate };
}

/** The value kept for `key`, computed and kept (the oldest one going when full) the first time. */
function keep<T>(kept: Map<string, T>, key: string, compute: () => T): T {
  const known = kept.get(key);
  if (known !== undefined) return known;
  const value = compute();
  if (kept.size >= KEPT_SIGNERS) kept.delete(kept.keys().next().value ?? '');
  kept.set(key, value);
  return value;
}
