/**
 * The submission-set signature document (IHE DSG with XAdES, dmp.md §5.4): a detached
 * `ds:Signature` whose `ds:Manifest Id="IHEManifest"` lists the submission set (digest `AA==`)
 * and every document of the submission (SHA-1 of the document), with XAdES
 * QualifyingProperties (SigningTime, SigningCertificate, SignaturePolicyImplied) and the
 * purpose-of-signature property `1.2.840.10065.1.12.1.14` ("Source").
 *
 * Signed with xml-crypto over `#IHEManifest` and the SignedProperties, C14N with comments,
 * RSA-SHA256 / SHA-256 (DRIMBOX and the KIT use RSA-SHA1; the current policy, PDT-INF-579, is
 * not public — dmp.md §5.4). Also: its DocumentEntry, and the verification the sandbox runs.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import { canonicalizeDocument } from '../../formats/c14n.ts';
import { fail, ok, type Result } from '../../formats/result.ts';
import { childElements, firstChildElement, parseXml, textOf } from '../../formats/soap/index.ts';
import type { DocumentEntry, XdsAuthor, XdsCode } from '../../formats/xds/index.ts';
import { escapeAttribute, escapeText } from '../../formats/xml.ts';
import { DS_NS } from './wire.ts';
import { signingCertificateOf, verificationKey } from './signing-certificate.ts';

export const XADES_NS = 'http://uri.etsi.org/01903/v1.1.1#';
const C14N_WITH_COMMENTS = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
const SHA1 = 'http://www.w3.org/2000/09/xmldsig#sha1';
const MANIFEST_ID = 'IHEManifest';
const PURPOSE_SOURCE = '1.2.840.10065.1.12.1.14';

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

const pemBody = (pem: string): string => pem.replace(/-----[^-]+-----|\s/g, '');

/** The signed XAdES document, as UTF-8 bytes ready to attach. */
export function buildSignatureDocument(input: SignatureDocumentInput): Uint8Array {
  const cert = new X509Certificate(input.signer.cert);
  const certDigest = createHash('sha1').update(Buffer.from(pemBody(input.signer.cert), 'base64')).digest('base64');
  const serial = BigInt(`0x${cert.serialNumber}`).toString(10);
  const issuer = cert.issuer.split('\n').reverse().join(',');
  const sigId = input.uniqueId;
  const propsId = `SignedProperties-${sigId}`;
  const time = (input.signingTime ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const reference = (uri: string, digest: string): string =>
    `<ds:Reference URI="${escapeAttribute(uri)}"><ds:DigestMethod Algorithm="${SHA1}"/><ds:DigestValue>${digest}</ds:DigestValue></ds:Reference>`;
  const manifest =
    `<ds:Manifest Id="${MANIFEST_ID}">` +
    reference(`urn:oid:${input.submissionSetUniqueId}`, 'AA==') +
    input.documents.map((d) => reference(`urn:oid:${d.uniqueId}`, manifestDigest(d.bytes, d.mimeType))).join('') +
    '</ds:Manifest>';
  const qualifying =
    `<xades:QualifyingProperties xmlns:xades="${XADES_NS}" Target="#${escapeAttribute(sigId)}">` +
    `<xades:SignedProperties Id="${escapeAttribute(propsId)}"><xades:SignedSignatureProperties>` +
    `<xades:SigningTime>${time}</xades:SigningTime>` +
    '<xades:SigningCertificate><xades:Cert>' +
    `<xades:CertDigest><ds:DigestMethod Algorithm="${SHA1}"/><ds:DigestValue>${certDigest}</ds:DigestValue></xades:CertDigest>` +
    `<xades:IssuerSerial><ds:X509IssuerName>${escapeText(issuer)}</ds:X509IssuerName><ds:X509SerialNumber>${serial}</ds:X509SerialNumber></xades:IssuerSerial>` +
    '</xades:Cert></xades:SigningCertificate>' +
    '<xades:SignaturePolicyIdentifier><xades:SignaturePolicyImplied/></xades:SignaturePolicyIdentifier>' +
    '</xades:SignedSignatureProperties></xades:SignedProperties></xades:QualifyingProperties>';
  const purpose = `<ds:SignatureProperties><ds:SignatureProperty Id="purposeOfSignature" Target="#${escapeAttribute(sigId)}">${PURPOSE_SOURCE}</ds:SignatureProperty></ds:SignatureProperties>`;
  const sig = new SignedXml({
    privateKey: input.signer.key,
    publicCert: input.signer.cert,
    signatureAlgorithm: RSA_SHA256,
    canonicalizationAlgorithm: C14N_WITH_COMMENTS,
    objects: [{ content: manifest }, { content: qualifying }, { content: purpose }],
  });
  sig.addReference({ xpath: `//*[@Id='${MANIFEST_ID}']`, transforms: [C14N_WITH_COMMENTS], digestAlgorithm: SHA256, type: 'http://www.w3.org/2000/09/xmldsig#Manifest' });
  sig.addReference({ xpath: `//*[@Id='${propsId}']`, transforms: [C14N_WITH_COMMENTS], digestAlgorithm: SHA256, type: 'http://uri.etsi.org/01903#SignedProperties' });
  sig.computeSignature('<SignatureDocument/>', { prefix: 'ds', attrs: { Id: sigId } });
  return Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>${sig.getSignatureXml()}`, 'utf8');
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

/** Verifies a signature document: XML signature, certificate from a trusted CA, manifest covering the submission. */
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
  let signed: string[];
  try {
    const verifier = new SignedXml({ publicCert: signer.pem });
    verifier.loadSignature(root as unknown as Node);
    verifier.publicCert = verificationKey(signer, verifier.signatureAlgorithm);
    const uris = verifier.getReferences().map((r) => r.uri);
    if (!uris.includes(`#${MANIFEST_ID}`)) return fail('ds:SignedInfo', `no Reference to #${MANIFEST_ID}`);
    if (!verifier.checkSignature(xml)) return fail('ds:Signature', 'invalid signature');
    signed = verifier.getSignedReferences();
  } catch (error) {
    return fail('ds:Signature', error instanceof Error ? error.message : String(error));
  }
  const manifestXml = signed.find((s) => s.includes(`Id="${MANIFEST_ID}"`));
  const manifest = manifestXml ? parseXml(manifestXml) : undefined;
  if (!manifest?.ok) return fail('ds:Manifest', 'not covered by the signature');
  const digests = new Map<string, string>();
  for (const ref of childElements(manifest.value.documentElement!, DS_NS, 'Reference')) {
    digests.set(ref.getAttribute('URI') ?? '', textOf(firstChildElement(ref, DS_NS, 'DigestValue')) ?? '');
  }
  if (!digests.has(`urn:oid:${input.submissionSetUniqueId}`)) return fail('ds:Manifest', `no Reference to the submission set urn:oid:${input.submissionSetUniqueId}`);
  for (const d of input.documents) {
    const found = digests.get(`urn:oid:${d.uniqueId}`);
    if (found === undefined) return fail('ds:Manifest', `no Reference to document urn:oid:${d.uniqueId}`);
    if (found !== manifestDigest(d.bytes, d.mimeType)) return fail('ds:Manifest', `digest of urn:oid:${d.uniqueId} does not match the document`);
  }
  return ok({ signerSubject: signer.certificate.subject });
}
