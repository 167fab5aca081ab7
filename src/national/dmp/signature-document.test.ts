/**
 * The XAdES signature document (signature-document.ts) against an external truth, xml-crypto's
 * SignedXml, which made and checked it before our own XML-DSig code:
 * - what we sign is, byte for byte, what the previous implementation (reproduced here with
 *   SignedXml) signed, and xml-crypto's `checkSignature` accepts it;
 * - what xml-crypto signs (RSA-SHA1 as DRIMBOX and the KIT do, RSA-SHA256, RSA-SHA512, C14N with
 *   or without comments) we accept;
 * - tampering anywhere that is signed, or with a document, is refused, and so are algorithms we
 *   do not implement, each with its rule;
 * - the same on random submissions (fast-check).
 */
import { sign } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignedXml } from 'xml-crypto';
import { sampleDocument, tinyPdf } from '../../../test/support/cda.ts';
import { canonicalizeElement } from '../../formats/c14n.ts';
import { buildCda } from '../../formats/cda/index.ts';
import { firstChildElement } from '../../formats/soap/index.ts';
import { escapeAttribute, escapeText, parseXml } from '../../formats/xml.ts';
import { ensureTestPki, issueCertificate, type KeyPair, type TestPki } from '../../platform/pki/index.ts';
import { buildSignatureDocument, manifestDigest, verifySignatureDocument, XADES_NS, type SignatureDocumentInput } from './signature-document.ts';
import { signingIdentityOf } from './signing-certificate.ts';
import { DS_NS } from './wire.ts';

const C14N = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315';
const C14N_WITH_COMMENTS = `${C14N}#WithComments`;
const RSA_SHA1 = 'http://www.w3.org/2000/09/xmldsig#rsa-sha1';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const RSA_SHA512 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512';
const SHA1 = 'http://www.w3.org/2000/09/xmldsig#sha1';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
const SHA512 = 'http://www.w3.org/2001/04/xmlenc#sha512';
const TYPE_MANIFEST = 'http://www.w3.org/2000/09/xmldsig#Manifest';
const TYPE_SIGNED_PROPERTIES = 'http://uri.etsi.org/01903#SignedProperties';

let dir: string;
let pki: TestPki;
let otherPki: TestPki;
/** Another RSA signing certificate of the trusted CA. */
let colleague: KeyPair;
/** The trusted CAs, one list for all checks (the sandbox keeps one: signing-certificate.ts reads each certificate once per list). */
let trustedCa: string[];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'dmp-xades-'));
  pki = await ensureTestPki(path.join(dir, 'a'));
  otherPki = await ensureTestPki(path.join(dir, 'b'));
  colleague = await issueCertificate(pki.ca, 'PASSERELLE AUTRE SIGNATAIRE', 'signing');
  trustedCa = [pki.ca.cert];
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// ---- the submissions -------------------------------------------------------------------------

type Documents = SignatureDocumentInput['documents'];

function cdaBytes(id: string): Uint8Array {
  const xml = buildCda({ ...sampleDocument('ldl'), id: { root: id } });
  if (!xml.ok) throw new Error(xml.error.rule);
  return Buffer.from(xml.value, 'utf8');
}

/** A lettre de liaison and a PDF, signed at a fixed time. */
const submission = (): SignatureDocumentInput => ({
  uniqueId: '1.2.250.1.999.5.2',
  submissionSetUniqueId: '1.2.250.1.999.5.1',
  documents: [
    { uniqueId: '1.2.250.1.999.1.2.1', bytes: cdaBytes('1.2.250.1.999.1.2.1'), mimeType: 'text/xml' },
    { uniqueId: '1.2.250.1.999.1.2.2', bytes: tinyPdf(), mimeType: 'application/pdf' },
  ],
  signer: pki.signing.establishment,
  signingTime: new Date('2025-03-04T10:20:30Z'),
});

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');

const check = (xml: string, input: { submissionSetUniqueId: string; documents: Documents }) =>
  verifySignatureDocument({ bytes: Buffer.from(xml, 'utf8'), submissionSetUniqueId: input.submissionSetUniqueId, documents: input.documents, trustedCa });

/** `field: rule` of a refusal (fails the test on success). */
function refusal(xml: string, input: { submissionSetUniqueId: string; documents: Documents }): string {
  const result = check(xml, input);
  if (result.ok) throw new Error('accepted');
  return `${result.error.field}: ${result.error.rule}`;
}

function replaced(xml: string, search: string | RegExp, replacement: string): string {
  const out = xml.replace(search, replacement);
  expect(out, `${String(search)} not found`).not.toBe(xml);
  return out;
}

// ---- the truth: xml-crypto --------------------------------------------------------------------

/** The three ds:Object contents (manifest, XAdES QualifyingProperties, purpose) as the previous implementation wrote them. */
function previousObjects(input: SignatureDocumentInput): string[] {
  const signer = signingIdentityOf(input.signer);
  const sigId = input.uniqueId;
  const time = (input.signingTime ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const reference = (uri: string, digest: string): string =>
    `<ds:Reference URI="${escapeAttribute(uri)}"><ds:DigestMethod Algorithm="${SHA1}"/><ds:DigestValue>${digest}</ds:DigestValue></ds:Reference>`;
  const manifest =
    '<ds:Manifest Id="IHEManifest">' +
    reference(`urn:oid:${input.submissionSetUniqueId}`, 'AA==') +
    input.documents.map((d) => reference(`urn:oid:${d.uniqueId}`, manifestDigest(d.bytes, d.mimeType))).join('') +
    '</ds:Manifest>';
  const qualifying =
    `<xades:QualifyingProperties xmlns:xades="${XADES_NS}" Target="#${escapeAttribute(sigId)}">` +
    `<xades:SignedProperties Id="SignedProperties-${escapeAttribute(sigId)}"><xades:SignedSignatureProperties>` +
    `<xades:SigningTime>${time}</xades:SigningTime>` +
    '<xades:SigningCertificate><xades:Cert>' +
    `<xades:CertDigest><ds:DigestMethod Algorithm="${SHA1}"/><ds:DigestValue>${signer.certificateSha1}</ds:DigestValue></xades:CertDigest>` +
    `<xades:IssuerSerial><ds:X509IssuerName>${escapeText(signer.issuerName)}</ds:X509IssuerName><ds:X509SerialNumber>${signer.serialNumber}</ds:X509SerialNumber></xades:IssuerSerial>` +
    '</xades:Cert></xades:SigningCertificate>' +
    '<xades:SignaturePolicyIdentifier><xades:SignaturePolicyImplied/></xades:SignaturePolicyIdentifier>' +
    '</xades:SignedSignatureProperties></xades:SignedProperties></xades:QualifyingProperties>';
  const purpose = `<ds:SignatureProperties><ds:SignatureProperty Id="purposeOfSignature" Target="#${escapeAttribute(sigId)}">1.2.840.10065.1.12.1.14</ds:SignatureProperty></ds:SignatureProperties>`;
  return [manifest, qualifying, purpose];
}

interface XmlCryptoSigning {
  id: string;
  signer: KeyPair;
  objects: string[];
  /** Id of each referenced element, and its Type. */
  references: Array<{ id: string; type: string }>;
  signatureAlgorithm: string;
  digestAlgorithm: string;
  /** CanonicalizationMethod, and the Transform of each Reference. */
  canonicalization: string;
}

/** A detached signature made by xml-crypto the way the previous implementation made it. */
function signWithXmlCrypto(options: XmlCryptoSigning): string {
  const sig = new SignedXml({
    privateKey: options.signer.key,
    publicCert: options.signer.cert,
    signatureAlgorithm: options.signatureAlgorithm,
    canonicalizationAlgorithm: options.canonicalization,
    objects: options.objects.map((content) => ({ content })),
  });
  for (const { id, type } of options.references) {
    sig.addReference({ xpath: `//*[@Id='${id}']`, transforms: [options.canonicalization], digestAlgorithm: options.digestAlgorithm, type });
  }
  sig.computeSignature('<SignatureDocument/>', { prefix: 'ds', attrs: { Id: options.id } });
  return `<?xml version="1.0" encoding="UTF-8"?>${sig.getSignatureXml()}`;
}

/** The previous implementation, with a choice of algorithms (RSA-SHA256, SHA-256, C14N with comments by default). */
function previousImplementation(input: SignatureDocumentInput, algorithms: Partial<XmlCryptoSigning> = {}): string {
  return signWithXmlCrypto({
    id: input.uniqueId,
    signer: input.signer as KeyPair,
    objects: previousObjects(input),
    references: [
      { id: 'IHEManifest', type: TYPE_MANIFEST },
      { id: `SignedProperties-${input.uniqueId}`, type: TYPE_SIGNED_PROPERTIES },
    ],
    signatureAlgorithm: RSA_SHA256,
    digestAlgorithm: SHA256,
    canonicalization: C14N_WITH_COMMENTS,
    ...algorithms,
  });
}

/** xml-crypto's verdict, with the certificate of ds:KeyInfo, read as the previous verification read it. */
function xmlCryptoAccepts(xml: string): boolean {
  const doc = parseXml(xml);
  if (!doc.ok) return false;
  const signature = doc.value.documentElement!;
  const keyInfo = firstChildElement(signature, DS_NS, 'KeyInfo');
  try {
    const verifier = new SignedXml({ publicCert: SignedXml.getCertFromKeyInfo(keyInfo as unknown as Node) ?? '' });
    verifier.loadSignature(signature as unknown as Node);
    return verifier.checkSignature(xml);
  } catch {
    return false;
  }
}

// ---- signing ---------------------------------------------------------------------------------

describe('buildSignatureDocument', () => {
  it('is, byte for byte, what the previous implementation (xml-crypto) produced', () => {
    const input = submission();
    expect(text(buildSignatureDocument(input))).toBe(previousImplementation(input));
  });

  it('has the structure of dmp.md §5.4: Signature@Id, SignedInfo (C14N with comments, RSA-SHA256, two References), SignatureValue, KeyInfo, three ds:Object', () => {
    const xml = text(buildSignatureDocument(submission()));
    const skeleton = xml.replace(/(<(?:ds:DigestValue|ds:SignatureValue|ds:X509Certificate|ds:X509IssuerName|ds:X509SerialNumber|xades:SigningTime)>)[^<]+/g, '$1…');
    const signedReference = (id: string, type: string): string =>
      `<ds:Reference URI="#${id}" Type="${type}"><ds:Transforms><ds:Transform Algorithm="${C14N_WITH_COMMENTS}"/></ds:Transforms>` +
      `<ds:DigestMethod Algorithm="${SHA256}"/><ds:DigestValue>…</ds:DigestValue></ds:Reference>`;
    const manifestReference = (oid: string): string =>
      `<ds:Reference URI="urn:oid:${oid}"><ds:DigestMethod Algorithm="${SHA1}"/><ds:DigestValue>…</ds:DigestValue></ds:Reference>`;
    expect(skeleton).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>' +
        '<ds:Signature Id="1.2.250.1.999.5.2" xmlns:ds="http://www.w3.org/2000/09/xmldsig#">' +
        `<ds:SignedInfo><ds:CanonicalizationMethod Algorithm="${C14N_WITH_COMMENTS}"/><ds:SignatureMethod Algorithm="${RSA_SHA256}"/>` +
        signedReference('IHEManifest', TYPE_MANIFEST) +
        signedReference('SignedProperties-1.2.250.1.999.5.2', TYPE_SIGNED_PROPERTIES) +
        '</ds:SignedInfo>' +
        '<ds:SignatureValue>…</ds:SignatureValue>' +
        '<ds:KeyInfo><ds:X509Data><ds:X509Certificate>…</ds:X509Certificate></ds:X509Data></ds:KeyInfo>' +
        '<ds:Object><ds:Manifest Id="IHEManifest">' +
        manifestReference('1.2.250.1.999.5.1') +
        manifestReference('1.2.250.1.999.1.2.1') +
        manifestReference('1.2.250.1.999.1.2.2') +
        '</ds:Manifest></ds:Object>' +
        `<ds:Object><xades:QualifyingProperties xmlns:xades="${XADES_NS}" Target="#1.2.250.1.999.5.2">` +
        '<xades:SignedProperties Id="SignedProperties-1.2.250.1.999.5.2"><xades:SignedSignatureProperties>' +
        '<xades:SigningTime>…</xades:SigningTime>' +
        `<xades:SigningCertificate><xades:Cert><xades:CertDigest><ds:DigestMethod Algorithm="${SHA1}"/><ds:DigestValue>…</ds:DigestValue></xades:CertDigest>` +
        '<xades:IssuerSerial><ds:X509IssuerName>…</ds:X509IssuerName><ds:X509SerialNumber>…</ds:X509SerialNumber></xades:IssuerSerial></xades:Cert></xades:SigningCertificate>' +
        '<xades:SignaturePolicyIdentifier><xades:SignaturePolicyImplied/></xades:SignaturePolicyIdentifier>' +
        '</xades:SignedSignatureProperties></xades:SignedProperties></xades:QualifyingProperties></ds:Object>' +
        '<ds:Object><ds:SignatureProperties><ds:SignatureProperty Id="purposeOfSignature" Target="#1.2.250.1.999.5.2">1.2.840.10065.1.12.1.14</ds:SignatureProperty></ds:SignatureProperties></ds:Object>' +
        '</ds:Signature>',
    );
  });

  it('is accepted by xml-crypto', () => {
    const input = submission();
    expect(xmlCryptoAccepts(text(buildSignatureDocument(input)))).toBe(true);
  });

  it('refuses a signing key that is not RSA', () => {
    expect(() => buildSignatureDocument({ ...submission(), signer: pki.clients.establishment })).toThrow('the signing key must be RSA, not ec');
  });
});

// ---- verification ----------------------------------------------------------------------------

describe('verifySignatureDocument', () => {
  it('accepts ours, and names the signer', () => {
    const input = submission();
    const result = check(text(buildSignatureDocument(input)), input);
    expect(result.ok && result.value.signerSubject).toContain('CN=PASSERELLE ETABLISSEMENT DE TEST');
  });

  it.each<[string, Partial<XmlCryptoSigning>]>([
    ['RSA-SHA1 and SHA-1 (DRIMBOX, the KIT)', { signatureAlgorithm: RSA_SHA1, digestAlgorithm: SHA1 }],
    ['RSA-SHA256 and SHA-256 (the previous implementation)', {}],
    ['RSA-SHA512 and SHA-512', { signatureAlgorithm: RSA_SHA512, digestAlgorithm: SHA512 }],
    ['C14N without comments', { signatureAlgorithm: RSA_SHA1, digestAlgorithm: SHA1, canonicalization: C14N }],
  ])('accepts what xml-crypto signs: %s', (_name, algorithms) => {
    const input = submission();
    const xml = previousImplementation(input, algorithms);
    expect(xmlCryptoAccepts(xml)).toBe(true);
    expect(check(xml, input).ok).toBe(true);
  });

  it('accepts References without Transforms (xml-crypto cannot make them, but accepts them: signed here by hand)', () => {
    const input = submission();
    const withoutTransforms = text(buildSignatureDocument(input)).replace(/<ds:Transforms>.*?<\/ds:Transforms>/g, '');
    const signedInfo = canonicalizeElement(withoutTransforms, (e) => e.localName === 'SignedInfo');
    if (!signedInfo.ok) throw new Error(signedInfo.error.rule);
    const signatureValue = sign('sha256', Buffer.from(signedInfo.value, 'utf8'), input.signer.key).toString('base64');
    const xml = replaced(withoutTransforms, /<ds:SignatureValue>[^<]+/, `<ds:SignatureValue>${signatureValue}`);
    expect(xmlCryptoAccepts(xml)).toBe(true);
    expect(check(xml, input).ok).toBe(true);
  });

  it('accepts a manifest written with whitespace and comments (a #Id reference drops comments, XML-DSig §4.4.3.3), as xml-crypto does', () => {
    const input = submission();
    const [manifest, ...rest] = previousObjects(input);
    const spaced = manifest!.replace(/<ds:Reference /g, '\n  <!-- document -->\n  <ds:Reference ').replace('</ds:Manifest>', '\n</ds:Manifest>');
    const xml = signWithXmlCrypto({
      id: input.uniqueId,
      signer: pki.signing.establishment,
      objects: [spaced, ...rest],
      references: [{ id: 'IHEManifest', type: TYPE_MANIFEST }, { id: `SignedProperties-${input.uniqueId}`, type: TYPE_SIGNED_PROPERTIES }],
      signatureAlgorithm: RSA_SHA1,
      digestAlgorithm: SHA1,
      canonicalization: C14N_WITH_COMMENTS,
    });
    expect(xmlCryptoAccepts(xml)).toBe(true);
    expect(check(xml, input).ok).toBe(true);
    // A comment added after signing changes nothing that is signed.
    const commented = replaced(xml, '<ds:Manifest Id="IHEManifest">', '<ds:Manifest Id="IHEManifest"><!-- added -->');
    expect(xmlCryptoAccepts(commented)).toBe(true);
    expect(check(commented, input).ok).toBe(true);
  });

  it('resolves #Id by the Id attribute only: ID or id elsewhere designate nothing (xml-crypto, which reads all three, refuses the document)', () => {
    const input = submission();
    const xml = replaced(text(buildSignatureDocument(input)), '<ds:SignatureProperties>', '<ds:SignatureProperties ID="IHEManifest" id="IHEManifest">');
    expect(check(xml, input).ok).toBe(true);
    expect(xmlCryptoAccepts(xml)).toBe(false);
  });

  describe('refuses tampering with what is signed, the certificate or a document', () => {
    const cdaDigest = (input: SignatureDocumentInput): string => manifestDigest(input.documents[0]!.bytes, 'text/xml');
    const cases: Array<[string, (xml: string, input: SignatureDocumentInput) => string, string]> = [
      ['a document digest in the manifest', (xml, input) => replaced(xml, cdaDigest(input), manifestDigest(Buffer.from('<other/>'), 'text/xml')), 'ds:Signature: invalid signature: the digest of #IHEManifest does not match'],
      ['a Reference removed from the manifest', (xml) => replaced(xml, /<ds:Reference URI="urn:oid:1\.2\.250\.1\.999\.1\.2\.2">.*?<\/ds:Reference>/, ''), 'ds:Signature: invalid signature: the digest of #IHEManifest does not match'],
      ['whitespace in the manifest', (xml) => replaced(xml, '</ds:Manifest>', ' </ds:Manifest>'), 'ds:Signature: invalid signature: the digest of #IHEManifest does not match'],
      ['the signing time in SignedProperties', (xml) => replaced(xml, '2025-03-04T10:20:30Z', '2025-03-04T10:20:31Z'), 'ds:Signature: invalid signature: the digest of #SignedProperties-1.2.250.1.999.5.2 does not match'],
      ['the certificate digest in SignedProperties', (xml) => replaced(xml, /(<xades:CertDigest>.*?<ds:DigestValue>)./, '$1A'), 'ds:Signature: invalid signature: the digest of #SignedProperties-1.2.250.1.999.5.2 does not match'],
      ['a digest in SignedInfo', (xml, input) => replaced(xml, /(<ds:SignedInfo>.*?<ds:DigestValue>)[^<]+/, `$1${manifestDigest(input.documents[0]!.bytes, 'text/xml')}`), 'ds:Signature: invalid signature: SignatureValue does not match SignedInfo'],
      ['the SignatureMethod', (xml) => replaced(xml, `<ds:SignatureMethod Algorithm="${RSA_SHA256}"/>`, `<ds:SignatureMethod Algorithm="${RSA_SHA1}"/>`), 'ds:Signature: invalid signature: SignatureValue does not match SignedInfo'],
      ['the SignatureValue', (xml) => replaced(xml, /<ds:SignatureValue>[^<]+/, `<ds:SignatureValue>${Buffer.alloc(256, 1).toString('base64')}`), 'ds:Signature: invalid signature: SignatureValue does not match SignedInfo'],
      ['the certificate: another one of the trusted CA', (xml) => withCertificate(xml, colleague.cert), 'ds:Signature: invalid signature: SignatureValue does not match SignedInfo'],
      ['the certificate: the same subject from another CA', (xml) => withCertificate(xml, otherPki.signing.establishment.cert), 'ds:X509Certificate: not issued by a trusted CA'],
      ['the certificate: an EC one of the trusted CA (RSA SignatureMethod)', (xml) => withCertificate(xml, pki.clients.establishment.cert), "ds:SignatureMethod: RSA signature, but the certificate's key is ec"],
      ['the certificate: not one', (xml) => replaced(xml, /<ds:X509Certificate>[^<]+/, '<ds:X509Certificate>bm90IGEgY2VydGlmaWNhdGU='), 'ds:X509Certificate: unreadable certificate'],
      ['the certificate: removed', (xml) => replaced(xml, /<ds:KeyInfo>.*<\/ds:KeyInfo>/, ''), 'ds:KeyInfo: X509Certificate missing'],
      [
        'a second element Id="IHEManifest" (signature wrapping)',
        (xml) => replaced(xml, '<ds:SignatureProperties>', '<ds:SignatureProperties><ds:Manifest Id="IHEManifest"/>'),
        'ds:Reference: #IHEManifest: line 1: <ds:Manifest> is selected, and so is <ds:Manifest> of line 1: the selection must designate a single element',
      ],
      ['the Id of the manifest', (xml) => replaced(xml, '<ds:Manifest Id="IHEManifest">', '<ds:Manifest Id="IHEManifest2">'), 'ds:Reference: #IHEManifest: no element is selected'],
      ['the root element', (xml) => replaced(replaced(xml, '<ds:Signature ', '<ds:Signed '), '</ds:Signature>', '</ds:Signed>'), 'ds:Signature: root element must be ds:Signature'],
      ['a second SignedInfo', (xml) => replaced(xml, '</ds:SignedInfo>', '</ds:SignedInfo><ds:SignedInfo/>'), 'ds:SignedInfo: line 1: <ds:SignedInfo> is selected, and so is <ds:SignedInfo> of line 1: the selection must designate a single element'],
    ];
    it.each(cases)('%s', (_name, tamper, rule) => {
      const input = submission();
      const xml = text(buildSignatureDocument(input));
      const tampered = tamper(xml, input);
      expect(refusal(tampered, input)).toBe(rule);
      if (rule.startsWith('ds:Signature: invalid signature')) expect(xmlCryptoAccepts(tampered)).toBe(false);
    });

    it('a byte of a document, a document or the submission set left out of the manifest', () => {
      const input = submission();
      const xml = text(buildSignatureDocument(input));
      const [cda, pdf] = input.documents as [Documents[number], Documents[number]];
      const flipped = (bytes: Uint8Array, at: number): Uint8Array => {
        const copy = Uint8Array.from(bytes);
        copy[at] = copy[at]! ^ 1;
        return copy;
      };
      const cdaText = text(cda.bytes);
      const changedCda = Buffer.from(cdaText.replace('<title>', '<title>X'), 'utf8');
      expect(refusal(xml, { ...input, documents: [{ ...cda, bytes: changedCda }, pdf] })).toBe(`ds:Manifest: digest of urn:oid:${cda.uniqueId} does not match the document`);
      expect(refusal(xml, { ...input, documents: [cda, { ...pdf, bytes: flipped(pdf.bytes, 20) }] })).toBe(`ds:Manifest: digest of urn:oid:${pdf.uniqueId} does not match the document`);
      expect(refusal(xml, { ...input, documents: [cda, pdf, { ...pdf, uniqueId: '1.2.3' }] })).toBe('ds:Manifest: no Reference to document urn:oid:1.2.3');
      expect(refusal(xml, { ...input, submissionSetUniqueId: '1.2.4' })).toBe('ds:Manifest: no Reference to the submission set urn:oid:1.2.4');
    });
  });

  describe('refuses, by name, what it does not implement', () => {
    const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
    const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
    const cases: Array<[string, (xml: string) => string, string]> = [
      ['exclusive C14N for SignedInfo', (xml) => replaced(xml, `<ds:CanonicalizationMethod Algorithm="${C14N_WITH_COMMENTS}"/>`, `<ds:CanonicalizationMethod Algorithm="${EXC_C14N}"/>`), `ds:CanonicalizationMethod: ${EXC_C14N} is not supported (Canonical XML 1.0, with or without comments)`],
      ['no CanonicalizationMethod', (xml) => replaced(xml, /<ds:CanonicalizationMethod [^>]*\/>/, ''), 'ds:CanonicalizationMethod: no algorithm is not supported (Canonical XML 1.0, with or without comments)'],
      ...['http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256', 'http://www.w3.org/2000/09/xmldsig#hmac-sha1', 'http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1', 'http://www.w3.org/2000/09/xmldsig#dsa-sha1'].map(
        (method): [string, (xml: string) => string, string] => [
          `SignatureMethod ${method}`,
          (xml) => replaced(xml, RSA_SHA256, method),
          `ds:SignatureMethod: ${method} is not supported (RSA-SHA1, RSA-SHA256, RSA-SHA512)`,
        ],
      ),
      ['a Transform other than C14N', (xml) => replaced(xml, `<ds:Transform Algorithm="${C14N_WITH_COMMENTS}"/>`, `<ds:Transform Algorithm="${EXC_C14N}"/>`), `ds:Reference: #IHEManifest: Transform ${EXC_C14N} is not supported (Canonical XML 1.0, with or without comments)`],
      ['two Transforms', (xml) => replaced(xml, `<ds:Transform Algorithm="${C14N_WITH_COMMENTS}"/>`, `<ds:Transform Algorithm="${ENVELOPED}"/><ds:Transform Algorithm="${C14N}"/>`), 'ds:Reference: #IHEManifest: 2 Transforms (at most one, Canonical XML 1.0)'],
      ['DigestMethod MD5', (xml) => replaced(xml, SHA256, 'http://www.w3.org/2001/04/xmldsig-more#md5'), 'ds:DigestMethod: #IHEManifest: http://www.w3.org/2001/04/xmldsig-more#md5 is not supported (SHA-1, SHA-256, SHA-512)'],
      ['a whole-document Reference', (xml) => replaced(xml, 'URI="#IHEManifest"', 'URI=""'), 'ds:Reference: URI "" is not supported (a same-document reference #Id)'],
      ['an external Reference', (xml) => replaced(xml, 'URI="#IHEManifest"', 'URI="https://example.org/manifest.xml"'), 'ds:Reference: URI "https://example.org/manifest.xml" is not supported (a same-document reference #Id)'],
    ];
    it.each(cases)('%s', (_name, edit, rule) => {
      const input = submission();
      expect(refusal(edit(text(buildSignatureDocument(input))), input)).toBe(rule);
    });

    it('no Reference to the manifest, or one to something else than a ds:Manifest (signed by xml-crypto)', () => {
      const input = submission();
      const [manifest, qualifying, purpose] = previousObjects(input) as [string, string, string];
      const sign = (objects: string[], references: Array<{ id: string; type: string }>): string =>
        signWithXmlCrypto({ id: input.uniqueId, signer: pki.signing.establishment, objects, references, signatureAlgorithm: RSA_SHA256, digestAlgorithm: SHA256, canonicalization: C14N_WITH_COMMENTS });
      const properties = { id: `SignedProperties-${input.uniqueId}`, type: TYPE_SIGNED_PROPERTIES };
      const onlyProperties = sign([manifest, qualifying, purpose], [properties]);
      expect(refusal(onlyProperties, input)).toBe('ds:SignedInfo: no Reference to #IHEManifest');
      const notAManifest = sign([purpose.replace('<ds:SignatureProperties>', '<ds:SignatureProperties Id="IHEManifest">'), qualifying], [{ id: 'IHEManifest', type: TYPE_MANIFEST }, properties]);
      expect(xmlCryptoAccepts(notAManifest)).toBe(true);
      expect(refusal(notAManifest, input)).toBe('ds:Manifest: #IHEManifest is not a ds:Manifest');
    });
  });

  describe('refuses a signature whose XAdES properties are not signed, or name another certificate (xml-crypto, which checks no XAdES, accepts both)', () => {
    const sign = (objects: string[], references: Array<{ id: string; type: string }>, signer = pki.signing.establishment): string =>
      signWithXmlCrypto({ id: submission().uniqueId, signer, objects, references, signatureAlgorithm: RSA_SHA256, digestAlgorithm: SHA256, canonicalization: C14N_WITH_COMMENTS });
    const manifest = { id: 'IHEManifest', type: TYPE_MANIFEST };

    it('SignedProperties not covered by SignedInfo', () => {
      const input = submission();
      const xml = sign(previousObjects(input), [manifest]);
      expect(xmlCryptoAccepts(xml)).toBe(true);
      expect(refusal(xml, input)).toBe('ds:SignedInfo: no Reference to the xades:SignedProperties (XAdES signs its qualifying properties)');
    });

    it('SigningCertificate naming a colleague of the same CA while the signer is another', () => {
      const input = submission();
      const properties = { id: `SignedProperties-${input.uniqueId}`, type: TYPE_SIGNED_PROPERTIES };
      const xml = sign(previousObjects({ ...input, signer: colleague }), [manifest, properties]);
      expect(xmlCryptoAccepts(xml)).toBe(true);
      expect(refusal(xml, input)).toBe('xades:SigningCertificate: does not name the certificate of ds:KeyInfo (CertDigest and IssuerSerial)');
      // The colleague's own signature of the same objects is accepted: the rule is the match, not the person.
      expect(check(sign(previousObjects({ ...input, signer: colleague }), [manifest, properties], colleague), input).ok).toBe(true);
    });
  });
});

/** `xml` with `pem` as the certificate of ds:KeyInfo. */
const withCertificate = (xml: string, pem: string): string => replaced(xml, /<ds:X509Certificate>[^<]+/, `<ds:X509Certificate>${pem.replace(/-----[^-]+-----|\s/g, '')}`);

// ---- random submissions ----------------------------------------------------------------------

describe('random submissions (fast-check)', () => {
  const oid = fc.array(fc.nat(99_999), { minLength: 1, maxLength: 6 }).map((arcs) => `1.2.250.${arcs.join('.')}`);
  const xmlDocument = fc.string({ maxLength: 40 }).map((title) => {
    const safe = title.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD]/g, '');
    return Buffer.from(`<?xml version="1.0"?>\n<ClinicalDocument xmlns="urn:hl7-org:v3"><!-- ${safe.replace(/-/g, '')} -->\n<title>${escapeText(safe)}</title></ClinicalDocument>\n`, 'utf8');
  });
  const document = fc.oneof(
    fc.record({ uniqueId: oid, mimeType: fc.constant('text/xml'), bytes: xmlDocument }),
    fc.record({ uniqueId: oid, mimeType: fc.constant('application/pdf'), bytes: fc.uint8Array({ minLength: 1, maxLength: 300 }) }),
  );
  const submissions = fc.record({
    uniqueId: oid,
    submissionSetUniqueId: oid,
    documents: fc.uniqueArray(document, { minLength: 1, maxLength: 4, selector: (d) => d.uniqueId }),
    signingTime: fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }),
  });
  /** Where a character is signed: SignedInfo, the manifest, SignedProperties (start and end indices). */
  const signedSpans = (xml: string): Array<[number, number]> =>
    [
      ['<ds:SignedInfo>', '</ds:SignedInfo>'],
      ['<ds:Manifest ', '</ds:Manifest>'],
      ['<xades:SignedProperties ', '</xades:SignedProperties>'],
    ].map(([open, close]) => [xml.indexOf(open!), xml.indexOf(close!) + close!.length]);

  /** The index of a signed character: the `n`-th one, counted round the spans. */
  const signedPosition = (spans: Array<[number, number]>, n: number): number => {
    let rest = n % spans.reduce((sum, [start, end]) => sum + end - start, 0);
    for (const [start, end] of spans) {
      if (rest < end - start) return start + rest;
      rest -= end - start;
    }
    throw new Error('unreachable');
  };

  it('we sign what xml-crypto signed; both accept it; a signed character or a document changed is refused', () => {
    fc.assert(
      fc.property(submissions, fc.nat(), fc.constantFrom('0', 'A', 'x', ' ', '"', '<', '/', '='), (random, at, replacement) => {
        const input: SignatureDocumentInput = { ...random, signer: pki.signing.establishment };
        const xml = text(buildSignatureDocument(input));
        expect(xml).toBe(previousImplementation(input));
        expect(check(xml, input).ok).toBe(true);
        expect(xmlCryptoAccepts(xml)).toBe(true);

        const position = signedPosition(signedSpans(xml), at);
        if (xml[position] !== replacement) {
          const tampered = xml.slice(0, position) + replacement + xml.slice(position + 1);
          expect(check(tampered, input).ok, `${xml[position]} → ${replacement} at ${position}: ${tampered}`).toBe(false);
        }

        const changed = at % input.documents.length;
        const documents = input.documents.map((d, i) =>
          i !== changed ? d : { ...d, bytes: d.mimeType === 'text/xml' ? Buffer.from(`${text(d.bytes)}<!--x-->`, 'utf8') : Uint8Array.from(d.bytes, (b, j) => (j === 0 ? b ^ 1 : b)) },
        );
        expect(check(xml, { ...input, documents }).ok).toBe(false);
      }),
      { numRuns: 60 },
    );
  });
});
