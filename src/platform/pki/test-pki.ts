/**
 * The test PKI: a local "IGC-Santé de test" certificate authority, created on first start,
 * that issues the sandboxes' server certificate and the platform's client certificates, so
 * that every sandbox endpoint can demand a TLS client certificate exactly as production does.
 *
 * Files live in `<dataDir>/pki/` as PEM; later starts reuse them. Never use them in production:
 * production points `tls` settings at certificates issued by the real IGC-Santé.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export interface KeyPair {
  /** PEM certificate. */
  cert: string;
  /** PEM PKCS#8 private key. */
  key: string;
}

/** Client certificates the platform presents to national services (and their sandboxes). */
export const CLIENT_IDENTITIES = {
  /** INSi in mTLS mode demands an organisation certificate whose CN is INSI-AUTO or INSI-MANU. */
  insi: 'INSI-AUTO',
  /** The establishment's organisation certificate (DMP, MSSanté, Annuaire). */
  establishment: 'PASSERELLE ETABLISSEMENT DE TEST',
} as const;
export type ClientIdentity = keyof typeof CLIENT_IDENTITIES;

/**
 * Signing certificates ("ORG SIGN", IGC-Santé organisation signature), RSA 2048 because XML
 * signatures of the DMP (VIHF, XAdES) are RSA-SHA256 (dmp.md §3–§5). Same subject DN as the
 * matching authentication certificate, as the DMP expects (dmp.md §3).
 */
export const SIGNING_IDENTITIES = {
  /** The establishment's organisation signature certificate (VIHF, XAdES of the DMP). */
  establishment: CLIENT_IDENTITIES.establishment,
} as const;
export type SigningIdentity = keyof typeof SIGNING_IDENTITIES;

export interface TestPki {
  dir: string;
  ca: KeyPair;
  /** Server certificate for localhost / 127.0.0.1 / ::1, used by every sandbox. */
  server: KeyPair;
  clients: Record<ClientIdentity, KeyPair>;
  /** RSA signature certificates (KeyUsage digitalSignature + nonRepudiation), by identity. */
  signing: Record<SigningIdentity, KeyPair>;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const RSA_ALGORITHM = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' } as const;
const CA_NAME = 'CN=TEST AC IGC-SANTE ELEMENTAIRE ORGANISATIONS, OU=IGC-SANTE TEST, O=PASSERELLE SANDBOX, C=FR';
const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000;

const toPem = (der: ArrayBuffer, label: string): string =>
  `-----BEGIN ${label}-----\n${Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;

const serial = (): string => Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1');

async function newKeys(algorithm: 'ecdsa' | 'rsa' = 'ecdsa'): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(algorithm === 'rsa' ? RSA_ALGORITHM : ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function exportKey(key: CryptoKey): Promise<string> {
  return toPem(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

async function importSigningKey(pem: string): Promise<CryptoKey> {
  const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  return webcrypto.subtle.importKey('pkcs8', der, ALGORITHM, false, ['sign']);
}

async function createCa(): Promise<KeyPair> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: CA_NAME,
    notBefore: new Date(Date.now() - 3600_000),
    notAfter: new Date(Date.now() + TEN_YEARS_MS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem') + '\n', key: await exportKey(keys.privateKey) };
}

/**
 * Issues a certificate signed by the test CA. `kind` decides the key and its usages: server and
 * client certificates are ECDSA P-256 with the serverAuth / clientAuth extended key usage
 * (server certificates name localhost and the loopback addresses); signing certificates
 * ("ORG SIGN") are RSA 2048 with digitalSignature + nonRepudiation.
 */
export async function issueCertificate(ca: KeyPair, commonName: string, kind: 'server' | 'client' | 'signing'): Promise<KeyPair> {
  const keys = await newKeys(kind === 'signing' ? 'rsa' : 'ecdsa');
  const caCert = new x509.X509Certificate(ca.cert);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    kind === 'signing'
      ? new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation, true)
      : new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
    await x509.AuthorityKeyIdentifierExtension.create(caCert),
  ];
  if (kind !== 'signing') {
    extensions.push(new x509.ExtendedKeyUsageExtension([kind === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]));
  }
  if (kind === 'server') {
    extensions.push(new x509.SubjectAlternativeNameExtension([
      { type: 'dns', value: 'localhost' },
      { type: 'ip', value: '127.0.0.1' },
      { type: 'ip', value: '::1' },
    ]));
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${commonName}, O=PASSERELLE SANDBOX, C=FR`,
    issuer: caCert.subject,
    notBefore: new Date(Date.now() - 3600_000),
    notAfter: new Date(Date.now() + TEN_YEARS_MS),
    publicKey: keys.publicKey,
    signingKey: await importSigningKey(ca.key),
    signingAlgorithm: ALGORITHM,
    extensions,
  });
  return { cert: cert.toString('pem') + '\n', key: await exportKey(keys.privateKey) };
}

async function loadOrCreate(dir: string, name: string, create: () => Promise<KeyPair>): Promise<KeyPair> {
  const certFile = join(dir, `${name}.crt.pem`);
  const keyFile = join(dir, `${name}.key.pem`);
  if (existsSync(certFile) && existsSync(keyFile)) {
    return { cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8') };
  }
  const pair = await create();
  await writeFile(keyFile, pair.key, { mode: 0o600 });
  await writeFile(certFile, pair.cert);
  return pair;
}

/** Loads the test PKI from `<dataDir>/pki`, creating whatever is missing. */
export async function ensureTestPki(dataDir: string): Promise<TestPki> {
  const dir = join(dataDir, 'pki');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const ca = await loadOrCreate(dir, 'ca', createCa);
  const server = await loadOrCreate(dir, 'sandbox-server', () => issueCertificate(ca, 'localhost', 'server'));
  const clients = {} as Record<ClientIdentity, KeyPair>;
  for (const [id, cn] of Object.entries(CLIENT_IDENTITIES) as Array<[ClientIdentity, string]>) {
    clients[id] = await loadOrCreate(dir, `client-${id}`, () => issueCertificate(ca, cn, 'client'));
  }
  const signing = {} as Record<SigningIdentity, KeyPair>;
  for (const [id, cn] of Object.entries(SIGNING_IDENTITIES) as Array<[SigningIdentity, string]>) {
    signing[id] = await loadOrCreate(dir, `signing-${id}`, () => issueCertificate(ca, cn, 'signing'));
  }
  return { dir, ca, server, clients, signing };
}

/** TLS options of a sandbox server: our server certificate, client certificate required. */
export function sandboxServerTls(pki: TestPki): { cert: string; key: string; ca: string; requestCert: true; rejectUnauthorized: true } {
  return { cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: true };
}
