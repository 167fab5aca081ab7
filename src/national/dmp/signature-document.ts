/**
 * The submission-set signature document (IHE DSG with XAdES, dmp.md §5.4): a detached
 * `ds:Signature` whose `ds:Manifest Id="IHEManifest"` lists the submission set (digest `AA==`)
 * and every document of the submission (SHA-1 of the document), with XAdES
 * QualifyingProperties (SigningTime, SigningCertificate, SignaturePolicyImplied) and the
 * purpose-of-signature property `1.2.840.10065.1.12.1.14` ("Source").
 *
 * SignedInfo covers `#IHEManifest` and the SignedProperties, C14N with comments, RSA-SHA256 /
 * SHA-256 (DRIMBOX and the KIT use RSA-SHA1; the current policy, PDT-INF-579, is not public —
 * dmp.md §5.4). Also: its DocumentEntry, and the verification the sandbox runs.
 *
 * Signing and verifying follow XML Signature 1.1 (https://www.w3.org/TR/xmldsig-core1/, §3 core
 * generation and validation) for what these documents use, with our Canonical XML (c14n.ts):
 * - a Reference is same-document, `URI="#…"`, and designates the one element whose `Id`
 *   attribute (no prefix) has that value: `Id` is the ID attribute of the XML-DSig and XAdES
 *   schemas; `ID`, `id` or `wsu:Id` designate nothing here, and two elements with the same `Id`
 *   make the signature invalid (no signature wrapping). Its content is the canonical form of
 *   that element in its document, without comments: dereferencing `#…` drops them (§4.4.3.3),
 *   so a C14N-with-comments Transform gives the same bytes as none;
 * - Transforms: none, or one Canonical XML 1.0 (with or without comments); CanonicalizationMethod:
 *   Canonical XML 1.0 with or without comments; SignatureMethod: RSA PKCS#1 v1.5 with SHA-1,
 *   SHA-256 or SHA-512; DigestMethod: SHA-1, SHA-256 or SHA-512. Anything else is refused by
 *   name (exclusive C14N, XPath, enveloped-signature, RSA-PSS, ECDSA, HMAC…).
 */
import { createHash, sign, verify, type KeyObject, type X509Certificate } from 'node:crypto';
import type { Element } from '@xmldom/xmldom';
import { canonicalizeDocument, canonicalizeElement, type SelectableElement } from '../../formats/c14n.ts';
import { fail, ok, type Result } from '../../formats/result.ts';
import { childElements, firstChildElement, parseXml, textOf } from '../../formats/soap/index.ts';
import type { DocumentEntry, XdsAuthor, XdsCode } from '../../formats/xds/index.ts';
import { escapeAttribute, escapeText } from '../../formats/xml.ts';
import { DS_NS } from './wire.ts';
import { signingCertificateOf, signingIdentityOf, type SigningIdentity } from './signing-certificate.ts';

export const XADES_NS = 'http://uri.etsi.org/01903/v1.1.1#';
const C14N = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315';
const C14N_WITH_COMMENTS = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
const SHA1 = 'http://www.w3.org/2000/09/xmldsig#sha1';
const TYPE_MANIFEST = 'http://www.w3.org/2000/09/xmldsig#Manifest';
const TYPE_SIGNED_PROPERTIES = 'http://uri.etsi.org/01903#SignedProperties';
const MANIFEST_ID = 'IHEManifest';
const PURPOSE_SOURCE = '1.2.840.10065.1.12.1.14';

/** Canonicalization methods and Transforms we implement: whether they keep comments. */
const CANONICALIZATIONS: ReadonlyMap<string, boolean> = new Map([
  [C14N, false],
  [C14N_WITH_COMMENTS, true],
]);
/** DigestMethod → node:crypto hash. */
const DIGESTS: ReadonlyMap<string, string> = new Map([
  [SHA1, 'sha1'],
  [SHA256, 'sha256'],
  ['http://www.w3.org/2001/04/xmlenc#sha512', 'sha512'],
]);
/** SignatureMethod (RSA PKCS#1 v1.5) → node:crypto hash. */
const RSA_SIGNATURES: ReadonlyMap<string, string> = new Map([
  ['http://www.w3.org/2000/09/xmldsig#rsa-sha1', 'sha1'],
  [RSA_SHA256, 'sha256'],
  ['http://www.w3.org/2001/04/xmldsig-more#rsa-sha512', 'sha512'],
]);

/** Fixed metadata of the signature document (dmp.md §5.4). */
export const SIGNATURE_DOCUMENT = {
  classCode: { code: 'urn:oid:1.3.6.1.4.1.19376.1.2.1.1.1', codingScheme: 'URN', displayName: 'Digital Signature' },
  typeCode: { code: 'E1762', codingScheme: 'ASTM', displayName: 'Full Document' },
  formatCode: { code: 'http://www.w3.org/2000/09/xmldsig#', codingScheme: 'URN', displayName: 'Default Signature Style' },
  eventCode: { code: PURPOSE_SOURCE, codingScheme: '1.2.840.10065.1.12', displayName: 'Source' },
} as const satisfies Record<string, XdsCode>;

/**
 * Digest of a document in the manifest, base64: for XML, SHA-1 of the canonical form (C14N with
 * comments) of the whole document, comments and PIs around the root included; for other types,
 * or XML that cannot be read, SHA-1 of the bytes.
 */
export function manifestDigest(bytes: Uint8Array, mimeType: string): string {
  let data: Uint8Array | string = bytes;
  if (/xml/i.test(mimeType)) {
    const canonical = canonicalizeDocument(Buffer.from(bytes).toString('utf8'));
    if (canonical.ok) data = canonical.value;
  }
  return createHash('sha1').update(data).digest('base64');
}

export interface SignatureDocumentInput {
  /** uniqueId (OID) of the signature document: also `ds:Signature@Id`. */
  uniqueId: string;
  submissionSetUniqueId: string;
  documents: Array<{ uniqueId: string; bytes: Uint8Array; mimeType: string }>;
  signer: { cert: string; key: string };
  signingTime?: Date;
}

/**
 * The signed XAdES document, as UTF-8 bytes ready to attach. Throws when the signer's key or
 * certificate cannot be read, or the key is not RSA.
 */
export function buildSignatureDocument(input: SignatureDocumentInput): Uint8Array {
  const signer = signingIdentityOf(input.signer);
  if (signer.privateKey.asymmetricKeyType !== 'rsa') throw new Error(`the signing key must be RSA, not ${signer.privateKey.asymmetricKeyType}`);
  const propertiesId = `SignedProperties-${input.uniqueId}`;
  const objects = signatureObjects(input, signer, propertiesId);
  const signatureStart = `<ds:Signature Id="${escapeAttribute(input.uniqueId)}" xmlns:ds="${DS_NS}">`;
  // The canonical form of an element depends only on it and on its ancestors (the namespaces and
  // xml:* attributes in scope, C14N §2.3), so each is taken under the start tag of the final
  // document with what it needs: the objects for the References, then SignedInfo.
  const withObjects = `${signatureStart}${objects}</ds:Signature>`;
  const signedInfo =
    '<ds:SignedInfo>' +
    `<ds:CanonicalizationMethod Algorithm="${C14N_WITH_COMMENTS}"/><ds:SignatureMethod Algorithm="${RSA_SHA256}"/>` +
    signedReference(withObjects, MANIFEST_ID, TYPE_MANIFEST) +
    signedReference(withObjects, propertiesId, TYPE_SIGNED_PROPERTIES) +
    '</ds:SignedInfo>';
  const canonicalSignedInfo = orThrow(canonicalizeElement(`${signatureStart}${signedInfo}</ds:Signature>`, isSignedInfo, { comments: true }));
  const signatureValue = sign('sha256', Buffer.from(canonicalSignedInfo, 'utf8'), signer.privateKey).toString('base64');
  const keyInfo = `<ds:KeyInfo><ds:X509Data><ds:X509Certificate>${signer.certificate}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>`;
  const xml = `<?xml version="1.0" encoding="UTF-8"?>${signatureStart}${signedInfo}<ds:SignatureValue>${signatureValue}</ds:SignatureValue>${keyInfo}${objects}</ds:Signature>`;
  return Buffer.from(xml, 'utf8');
}

/** The three ds:Object: the manifest, the XAdES QualifyingProperties, the purpose of the signature (dmp.md §5.4). */
function signatureObjects(input: SignatureDocumentInput, signer: SigningIdentity, propertiesId: string): string {
  const target = `#${escapeAttribute(input.uniqueId)}`;
  const time = (input.signingTime ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const manifestReference = (uri: string, digest: string): string =>
    `<ds:Reference URI="${escapeAttribute(uri)}"><ds:DigestMethod Algorithm="${SHA1}"/><ds:DigestValue>${digest}</ds:DigestValue></ds:Reference>`;
  const manifest =
    `<ds:Manifest Id="${MANIFEST_ID}">` +
    manifestReference(`urn:oid:${input.submissionSetUniqueId}`, 'AA==') +
    input.documents.map((d) => manifestReference(`urn:oid:${d.uniqueId}`, manifestDigest(d.bytes, d.mimeType))).join('') +
    '</ds:Manifest>';
  const qualifying =
    `<xades:QualifyingProperties xmlns:xades="${XADES_NS}" Target="${target}">` +
    `<xades:SignedProperties Id="${escapeAttribute(propertiesId)}"><xades:SignedSignatureProperties>` +
    `<xades:SigningTime>${time}</xades:SigningTime>` +
    '<xades:SigningCertificate><xades:Cert>' +
    `<xades:CertDigest><ds:DigestMethod Algorithm="${SHA1}"/><ds:DigestValue>${signer.certificateSha1}</ds:DigestValue></xades:CertDigest>` +
    `<xades:IssuerSerial><ds:X509IssuerName>${escapeText(signer.issuerName)}</ds:X509IssuerName><ds:X509SerialNumber>${signer.serialNumber}</ds:X509SerialNumber></xades:IssuerSerial>` +
    '</xades:Cert></xades:SigningCertificate>' +
    '<xades:SignaturePolicyIdentifier><xades:SignaturePolicyImplied/></xades:SignaturePolicyIdentifier>' +
    '</xades:SignedSignatureProperties></xades:SignedProperties></xades:QualifyingProperties>';
  const purpose = `<ds:SignatureProperties><ds:SignatureProperty Id="purposeOfSignature" Target="${target}">${PURPOSE_SOURCE}</ds:SignatureProperty></ds:SignatureProperties>`;
  return `<ds:Object>${manifest}</ds:Object><ds:Object>${qualifying}</ds:Object><ds:Object>${purpose}</ds:Object>`;
}

/** A Reference of SignedInfo to the element `Id="id"` of `xml`: C14N-with-comments Transform, SHA-256 digest. */
function signedReference(xml: string, id: string, type: string): string {
  const digest = createHash('sha256').update(orThrow(referencedContent(xml, id))).digest('base64');
  return (
    `<ds:Reference URI="#${escapeAttribute(id)}" Type="${type}"><ds:Transforms><ds:Transform Algorithm="${C14N_WITH_COMMENTS}"/></ds:Transforms>` +
    `<ds:DigestMethod Algorithm="${SHA256}"/><ds:DigestValue>${digest}</ds:DigestValue></ds:Reference>`
  );
}

/** SignedInfo, child of the root ds:Signature. */
const isSignedInfo = (element: SelectableElement): boolean => element.depth === 1 && element.namespaceURI === DS_NS && element.localName === 'SignedInfo';

/** What a same-document Reference `#id` designates in `xml`: the canonical form of its element, without comments (see the top of this file). */
const referencedContent = (xml: string, id: string): Result<string> => canonicalizeElement(xml, (element) => element.attribute('Id') === id, { comments: false });

function orThrow<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`${result.error.field}: ${result.error.rule}`);
  return result.value;
}

/** DocumentEntry of the signature document (dmp.md §5.4), sharing the submission's patient and context. */
export function signatureDocumentEntry(options: {
  uniqueId: string;
  bytes: Uint8Array;
  like: DocumentEntry;
  author: XdsAuthor;
  creationTime: string;
}): DocumentEntry {
  const { like } = options;
  return {
    uniqueId: options.uniqueId,
    mimeType: 'text/xml',
    hash: createHash('sha1').update(options.bytes).digest('hex'),
    size: options.bytes.byteLength,
    title: 'Source',
    languageCode: 'art',
    creationTime: options.creationTime,
    typeCode: { ...SIGNATURE_DOCUMENT.typeCode },
    classCode: { ...SIGNATURE_DOCUMENT.classCode },
    formatCode: { ...SIGNATURE_DOCUMENT.formatCode },
    healthcareFacilityTypeCode: like.healthcareFacilityTypeCode,
    practiceSettingCode: like.practiceSettingCode,
    confidentialityCodes: [
      { code: 'N', codingScheme: '2.16.840.1.113883.5.25', displayName: 'Normal' },
      { code: 'MASQUE_PS', codingScheme: '1.2.250.1.213.1.1.4.13', displayName: 'Masqué aux professionnels de santé' },
      { code: 'INVISIBLE_PATIENT', codingScheme: '1.2.250.1.213.1.1.4.13', displayName: 'Non visible par le patient' },
    ],
    patientId: like.patientId,
    sourcePatientId: like.sourcePatientId,
    sourcePatientInfo: like.sourcePatientInfo,
    authors: [options.author],
    referenceIdList: [],
    eventCodes: [{ ...SIGNATURE_DOCUMENT.eventCode }],
  };
}

export interface SignatureCheckInput {
  bytes: Uint8Array;
  submissionSetUniqueId: string;
  documents: Array<{ uniqueId: string; bytes: Uint8Array; mimeType: string }>;
  trustedCa: string[];
}

/**
 * Verifies a signature document: root ds:Signature, certificate of ds:KeyInfo issued by a
 * trusted CA, XML signature (SignedInfo signed by that certificate, each Reference's digest),
 * a Reference to the manifest, the manifest covering the submission set and each document
 * with its digest, and a Reference to the XAdES SignedProperties whose SigningCertificate
 * names the certificate of ds:KeyInfo (CertDigest and serial number: a signature cannot claim
 * another signer's certificate).
 */
export function verifySignatureDocument(input: SignatureCheckInput): Result<{ signerSubject: string }> {
  const xml = Buffer.from(input.bytes).toString('utf8');
  const doc = parseXml(xml, 'ds:Signature');
  if (!doc.ok) return doc;
  const root = doc.value.documentElement!;
  if (root.namespaceURI !== DS_NS || root.localName !== 'Signature') return fail('ds:Signature', 'root element must be ds:Signature');
  const signer = signingCertificateOf(firstChildElement(root, DS_NS, 'KeyInfo'), input.trustedCa);
  if (signer === 'missing') return fail('ds:KeyInfo', 'X509Certificate missing');
  if (signer === 'unreadable') return fail('ds:X509Certificate', 'unreadable certificate');
  if (!signer.trusted) return fail('ds:X509Certificate', 'not issued by a trusted CA');
  const signed = checkXmlSignature(xml, root, signer.publicKey);
  if (!signed.ok) return signed;

  const manifestXml = signed.value.get(`#${MANIFEST_ID}`);
  if (manifestXml === undefined) return fail('ds:SignedInfo', `no Reference to #${MANIFEST_ID}`);
  const manifest = parseXml(manifestXml);
  const manifestElement = manifest.ok ? manifest.value.documentElement : undefined;
  if (manifestElement?.namespaceURI !== DS_NS || manifestElement.localName !== 'Manifest') return fail('ds:Manifest', `#${MANIFEST_ID} is not a ds:Manifest`);
  const digests = new Map<string, string>();
  for (const ref of childElements(manifestElement, DS_NS, 'Reference')) {
    digests.set(ref.getAttribute('URI') ?? '', textOf(firstChildElement(ref, DS_NS, 'DigestValue')) ?? '');
  }
  if (!digests.has(`urn:oid:${input.submissionSetUniqueId}`)) return fail('ds:Manifest', `no Reference to the submission set urn:oid:${input.submissionSetUniqueId}`);
  for (const d of input.documents) {
    const found = digests.get(`urn:oid:${d.uniqueId}`);
    if (found === undefined) return fail('ds:Manifest', `no Reference to document urn:oid:${d.uniqueId}`);
    if (found !== manifestDigest(d.bytes, d.mimeType)) return fail('ds:Manifest', `digest of urn:oid:${d.uniqueId} does not match the document`);
  }
  const properties = [...signed.value.values()].map((content) => parseXml(content)).find((p) => p.ok && p.value.documentElement?.namespaceURI === XADES_NS && p.value.documentElement.localName === 'SignedProperties');
  if (!properties?.ok) return fail('ds:SignedInfo', 'no Reference to the xades:SignedProperties (XAdES signs its qualifying properties)');
  if (!namesCertificate(properties.value.documentElement!, signer.certificate)) {
    return fail('xades:SigningCertificate', 'does not name the certificate of ds:KeyInfo (CertDigest and IssuerSerial)');
  }
  return ok({ signerSubject: signer.certificate.subject });
}

/** Whether SignedProperties' SigningCertificate names `certificate`: one Cert with its digest (by its DigestMethod) and its serial number. */
function namesCertificate(signedProperties: Element, certificate: X509Certificate): boolean {
  const child = (parent: Element | undefined, namespace: string, name: string): Element | undefined => (parent ? firstChildElement(parent, namespace, name) : undefined);
  const signing = child(child(signedProperties, XADES_NS, 'SignedSignatureProperties'), XADES_NS, 'SigningCertificate');
  const serial = BigInt(`0x${certificate.serialNumber}`).toString(10);
  return (signing ? childElements(signing, XADES_NS, 'Cert') : []).some((cert) => {
    const digest = child(cert, XADES_NS, 'CertDigest');
    const hash = DIGESTS.get(child(digest, DS_NS, 'DigestMethod')?.getAttribute('Algorithm') ?? '');
    const value = textOf(child(digest, DS_NS, 'DigestValue'))?.trim();
    const serialNumber = textOf(child(child(cert, XADES_NS, 'IssuerSerial'), DS_NS, 'X509SerialNumber'))?.trim();
    return hash !== undefined && value === createHash(hash).update(certificate.raw).digest('base64') && serialNumber === serial;
  });
}

/** A Reference of SignedInfo, read and checked against what we implement. */
interface SignedReference {
  uri: string;
  /** The `Id` it designates. */
  id: string;
  hash: string;
  digest: Buffer;
}

/**
 * Core validation (XML Signature §3.2) of the signature `root` of `xml` with `publicKey`:
 * SignedInfo is canonicalized, read from its canonical form (what is signed is what is read),
 * its signature checked, then each Reference's digest. Gives the content of each Reference by
 * URI, once all is valid.
 */
function checkXmlSignature(xml: string, root: Element, publicKey: KeyObject): Result<Map<string, string>> {
  const signedInfoElement = firstChildElement(root, DS_NS, 'SignedInfo');
  if (!signedInfoElement) return fail('ds:SignedInfo', 'missing');
  const method = firstChildElement(signedInfoElement, DS_NS, 'CanonicalizationMethod')?.getAttribute('Algorithm') ?? '';
  const withComments = CANONICALIZATIONS.get(method);
  if (withComments === undefined) return fail('ds:CanonicalizationMethod', `${describeAlgorithm(method)} is not supported (Canonical XML 1.0, with or without comments)`);
  const canonicalSignedInfo = canonicalizeElement(xml, isSignedInfo, { comments: withComments });
  if (!canonicalSignedInfo.ok) return fail('ds:SignedInfo', canonicalSignedInfo.error.rule);
  const signedInfo = readSignedInfo(canonicalSignedInfo.value);
  if (!signedInfo.ok) return signedInfo;

  // Signature validation first: nothing SignedInfo says is trusted before.
  if (publicKey.asymmetricKeyType !== 'rsa') return fail('ds:SignatureMethod', `RSA signature, but the certificate's key is ${publicKey.asymmetricKeyType}`);
  const signatureValue = Buffer.from(textOf(firstChildElement(root, DS_NS, 'SignatureValue')) ?? '', 'base64');
  if (!verify(signedInfo.value.hash, Buffer.from(canonicalSignedInfo.value, 'utf8'), publicKey, signatureValue)) {
    return fail('ds:Signature', 'invalid signature: SignatureValue does not match SignedInfo');
  }
  const contents = new Map<string, string>();
  for (const reference of signedInfo.value.references) {
    const content = referencedContent(xml, reference.id);
    if (!content.ok) return fail('ds:Reference', `${reference.uri}: ${content.error.rule}`);
    if (!createHash(reference.hash).update(content.value).digest().equals(reference.digest)) {
      return fail('ds:Signature', `invalid signature: the digest of ${reference.uri} does not match`);
    }
    contents.set(reference.uri, content.value);
  }
  return ok(contents);
}

/** SignatureMethod and References of a canonical SignedInfo, each algorithm one we implement. */
function readSignedInfo(canonical: string): Result<{ hash: string; references: SignedReference[] }> {
  const doc = parseXml(canonical, 'ds:SignedInfo');
  if (!doc.ok) return doc;
  const signedInfo = doc.value.documentElement!;
  const signatureMethods = childElements(signedInfo, DS_NS, 'SignatureMethod');
  if (signatureMethods.length !== 1) return fail('ds:SignedInfo', 'exactly one SignatureMethod expected');
  const method = signatureMethods[0]!.getAttribute('Algorithm') ?? '';
  const hash = RSA_SIGNATURES.get(method);
  if (hash === undefined) return fail('ds:SignatureMethod', `${describeAlgorithm(method)} is not supported (RSA-SHA1, RSA-SHA256, RSA-SHA512)`);
  const references: SignedReference[] = [];
  for (const element of childElements(signedInfo, DS_NS, 'Reference')) {
    const reference = readReference(element);
    if (!reference.ok) return reference;
    references.push(reference.value);
  }
  if (references.length === 0) return fail('ds:SignedInfo', 'no Reference');
  return ok({ hash, references });
}

function readReference(element: Element): Result<SignedReference> {
  const uri = element.getAttribute('URI') ?? '';
  if (!uri.startsWith('#') || uri.length === 1) return fail('ds:Reference', `URI "${uri}" is not supported (a same-document reference #Id)`);
  const transformsElement = firstChildElement(element, DS_NS, 'Transforms');
  const transforms = transformsElement ? childElements(transformsElement, DS_NS, 'Transform') : [];
  if (transforms.length > 1) return fail('ds:Reference', `${uri}: ${transforms.length} Transforms (at most one, Canonical XML 1.0)`);
  const transform = transforms[0]?.getAttribute('Algorithm') ?? C14N;
  if (!CANONICALIZATIONS.has(transform)) return fail('ds:Reference', `${uri}: Transform ${describeAlgorithm(transform)} is not supported (Canonical XML 1.0, with or without comments)`);
  const digestMethods = childElements(element, DS_NS, 'DigestMethod');
  const digestMethod = digestMethods.length === 1 ? (digestMethods[0]!.getAttribute('Algorithm') ?? '') : '';
  const hash = DIGESTS.get(digestMethod);
  if (hash === undefined) return fail('ds:DigestMethod', `${uri}: ${describeAlgorithm(digestMethod)} is not supported (SHA-1, SHA-256, SHA-512)`);
  const digestValue = textOf(firstChildElement(element, DS_NS, 'DigestValue'));
  if (!digestValue) return fail('ds:Reference', `${uri}: DigestValue missing`);
  return ok({ uri, id: uri.slice(1), hash, digest: Buffer.from(digestValue, 'base64') });
}

const describeAlgorithm = (algorithm: string): string => (algorithm === '' ? 'no algorithm' : algorithm);
