/**
 * VIHF: the SAML 2.0 assertion that identifies who calls the DMP (dmp.md §4), signed by the
 * structure's organisation signature certificate ("ORG SIGN") with xml-crypto: enveloped
 * signature, exclusive C14N, RSA-SHA256 and SHA-256, KeyInfo/X509Data carrying the
 * certificate. The TRANS example adds InclusiveNamespaces `ds saml #default xsi`; xml-crypto
 * would write that element into the enveloped-signature transform as well, so we leave it out:
 * every namespace the assertion uses is declared on the assertion itself, which makes the list
 * unnecessary for verifiers.
 *
 * - `buildVihf(input, signer)` → the signed `saml2:Assertion` as a string.
 * - `verifyVihf(envelopeXml, assertion, { trustedCa })` → the facts of the assertion, read only
 *   from what the signature covers (no wrapping), after checking the signature, the signing
 *   certificate (issued by the trusted CA, in its validity period) and the Conditions.
 */
import { X509Certificate, randomUUID } from 'node:crypto';
import type { Element } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { fail, ok, type Result } from '../../formats/result.ts';
import { childElements, firstChildElement, parseXml, textOf } from '../../formats/soap/index.ts';
import { escapeAttribute, escapeText } from '../../formats/xml.ts';
import { signingCertificateOf, verificationKey } from './signing-certificate.ts';
import { DS_NS, HL7V3_NS, SAML_NS } from './wire.ts';

export const VIHF_ATTRIBUTE = {
  version: 'VIHF_Version',
  authMode: 'Authentification_Mode',
  structureId: 'Identifiant_Structure',
  sector: 'Secteur_Activite',
  subjectId: 'urn:oasis:names:tc:xspa:1.0:subject:subject-id',
  role: 'urn:oasis:names:tc:xacml:2.0:subject:role',
  purposeOfUse: 'urn:oasis:names:tc:xspa:1.0:subject:purposeofuse',
  resourceId: 'urn:oasis:names:tc:xacml:2.0:resource:resource-id',
  resourceUrn: 'Ressource_URN',
  lpsName: 'LPS_Nom',
  lpsVersion: 'LPS_Version',
  lpsId: 'LPS_ID',
  lpsHomologation: 'LPS_ID_HOMOLOGATION_DMP',
} as const;

const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
const AC_PREFIX = 'urn:oasis:names:tc:SAML:2.0:ac:classes:';
const ROLE_SYSTEM_PROFESSION = '1.2.250.1.71.1.2.7';

export interface VihfRole {
  code: string;
  codeSystem: string;
  displayName?: string;
}

/** Who acts: a health professional (NameID = idNat_PS) or the structure's automaton. */
export interface VihfActor {
  /** Subject/NameID: `8`+RPPS for a professional, the responsible person's id for an automaton. */
  nameId: string;
  /** subject-id: the user's name, or "software, model, service" for an automaton. */
  subjectName: string;
  /** Profession, savoir-faire… (JDV_J65); automaton `AUTOMATE` / `1.2.250.1.213.1.1.4.6`. */
  roles: VihfRole[];
  /** AuthnContextClassRef suffix. Default `TLSClient`. */
  authnContext?: 'TLSClient' | 'SmartcardPKI' | 'Password' | 'unspecified' | 'MobileTwoFactorUnregistered';
  /** Default `INDIRECTE` (the structure authenticates its users). */
  authMode?: 'INDIRECTE' | 'DIRECTE' | 'INDIRECTE_RENFORCEE';
  /** TRE_R248. Default `normal`. */
  purposeOfUse?: 'normal' | 'bris_de_glace' | 'centre_15';
}

export interface VihfStructure {
  /** Struct_IdNat: `1`+FINESS, `3`+SIRET, `4`+RPPS-rang. */
  id: string;
  /** TRE_R02 code, e.g. `SA01` (sent as `SA01^1.2.250.1.71.4.2.4`). */
  sector: string;
}

export interface VihfSoftware {
  name: string;
  version: string;
  /** DMP homologation number of the software. */
  homologation: string;
  id?: string;
}

export interface VihfInput {
  actor: VihfActor;
  structure: VihfStructure;
  software: VihfSoftware;
  /** Patient INS as CX `<matricule>^^^&<OID>&ISO^NH` (resource-id); omitted when absent. */
  patientId?: string;
  /** Default `3.0` (every public sample; dmp.md §4). */
  version?: string;
  /** Default now. */
  issueInstant?: Date;
  /** Validity of the Conditions, default 10 minutes (NotBefore one minute earlier for clock skew). */
  validityMs?: number;
}

export interface VihfSigner {
  /** PEM certificate ("ORG SIGN", RSA). */
  cert: string;
  /** PEM private key. */
  key: string;
}

/** RFC 2253 form of an X.509 subject as printed by Node (one `name=value` per line, most specific last). */
export function rfc2253(subject: string): string {
  return subject
    .split('\n')
    .filter((l) => l.trim() !== '')
    .reverse()
    .map((rdn) => rdn.replace(/^S=/, 'ST=').replace(/^G=/, 'GN=').replace(/([,+"\\<>;])/g, '\\$1'))
    .join(',');
}

const attribute = (name: string, values: string[]): string =>
  `<saml2:Attribute Name="${escapeAttribute(name)}">${values.map((v) => `<saml2:AttributeValue>${v}</saml2:AttributeValue>`).join('')}</saml2:Attribute>`;
const textValue = (s: string): string => escapeText(s);

/** Builds and signs the VIHF assertion. Throws only on an unusable key (a configuration error). */
export function buildVihf(input: VihfInput, signer: VihfSigner): string {
  const id = `_${randomUUID()}`;
  const now = input.issueInstant ?? new Date();
  const validity = input.validityMs ?? 10 * 60_000;
  const iso = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const issuer = rfc2253(new X509Certificate(signer.cert).subject);
  const actor = input.actor;
  const roles = actor.roles.map((r) =>
    `<Role xmlns="${HL7V3_NS}" xsi:type="CE" code="${escapeAttribute(r.code)}" codeSystem="${escapeAttribute(r.codeSystem)}"${r.displayName ? ` displayName="${escapeAttribute(r.displayName)}"` : ''}/>`);
  const attributes = [
    attribute(VIHF_ATTRIBUTE.version, [textValue(input.version ?? '3.0')]),
    attribute(VIHF_ATTRIBUTE.authMode, [textValue(actor.authMode ?? 'INDIRECTE')]),
    attribute(VIHF_ATTRIBUTE.structureId, [textValue(input.structure.id)]),
    attribute(VIHF_ATTRIBUTE.sector, [textValue(`${input.structure.sector}^1.2.250.1.71.4.2.4`)]),
    attribute(VIHF_ATTRIBUTE.subjectId, [textValue(actor.subjectName)]),
    attribute(VIHF_ATTRIBUTE.role, roles),
    attribute(VIHF_ATTRIBUTE.purposeOfUse, [`<PurposeOfUse xmlns="${HL7V3_NS}" xsi:type="CE" code="${escapeAttribute(actor.purposeOfUse ?? 'normal')}" codeSystem="1.2.250.1.213.1.1.4.248"/>`]),
    ...(input.patientId ? [attribute(VIHF_ATTRIBUTE.resourceId, [textValue(input.patientId)])] : []),
    attribute(VIHF_ATTRIBUTE.resourceUrn, ['urn:dmp']),
    attribute(VIHF_ATTRIBUTE.lpsName, [textValue(input.software.name)]),
    attribute(VIHF_ATTRIBUTE.lpsVersion, [textValue(input.software.version)]),
    ...(input.software.id ? [attribute(VIHF_ATTRIBUTE.lpsId, [textValue(input.software.id)])] : []),
    attribute(VIHF_ATTRIBUTE.lpsHomologation, [textValue(input.software.homologation)]),
  ];
  const assertion =
    `<saml2:Assertion xmlns:saml2="${SAML_NS}" xmlns:xsi="${XSI_NS}" ID="${id}" IssueInstant="${iso(now)}" Version="2.0">` +
    `<saml2:Issuer Format="urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName">${escapeText(issuer)}</saml2:Issuer>` +
    `<saml2:Subject><saml2:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">${escapeText(actor.nameId)}</saml2:NameID></saml2:Subject>` +
    `<saml2:Conditions NotBefore="${iso(new Date(now.getTime() - 60_000))}" NotOnOrAfter="${iso(new Date(now.getTime() + validity))}"/>` +
    `<saml2:AuthnStatement AuthnInstant="${iso(now)}"><saml2:AuthnContext><saml2:AuthnContextClassRef>${AC_PREFIX}${actor.authnContext ?? 'TLSClient'}</saml2:AuthnContextClassRef></saml2:AuthnContext></saml2:AuthnStatement>` +
    `<saml2:AttributeStatement>${attributes.join('')}</saml2:AttributeStatement>` +
    '</saml2:Assertion>';
  const sig = new SignedXml({ privateKey: signer.key, publicCert: signer.cert, signatureAlgorithm: RSA_SHA256, canonicalizationAlgorithm: EXC_C14N });
  sig.addReference({
    xpath: `/*[local-name(.)='Assertion']`,
    transforms: [ENVELOPED, EXC_C14N],
    digestAlgorithm: SHA256,
  });
  sig.computeSignature(assertion, { prefix: 'ds', location: { reference: `/*/*[local-name(.)='Issuer']`, action: 'after' } });
  return sig.getSignedXml();
}

/** What the sandbox learns from a verified VIHF. */
export interface VihfFacts {
  id: string;
  issuer: string;
  nameId: string;
  version?: string;
  authMode?: string;
  authnContext?: string;
  structureId?: string;
  sector?: string;
  subjectName?: string;
  roles: VihfRole[];
  purposeOfUse?: string;
  patientId?: string;
  resourceUrn?: string;
  software: { name?: string; version?: string; homologation?: string; id?: string };
  /** Subject DN of the signing certificate (RFC 2253). */
  signerSubject: string;
  /** End of validity (Conditions@NotOnOrAfter), when given. */
  notOnOrAfter?: string;
}

export type VihfProblem = 'missing' | 'invalid' | 'untrusted' | 'expired';

export interface VerifyVihfOptions {
  /** PEM certificate(s) of the CA(s) that may issue signing certificates. */
  trustedCa: string[];
  now?: Date;
}

const problem = (kind: VihfProblem, rule: string): Result<never> => fail(`VIHF:${kind}`, rule);

/** The kind of a failure returned by `verifyVihf` (`missing`, `invalid`, `untrusted`, `expired`). */
export const vihfProblemOf = (field: string): VihfProblem => (field.replace(/^VIHF:/, '') as VihfProblem);

/**
 * Verifies the VIHF found in `assertion` (an element of the parsed `documentXml`). Total: a
 * failure's field is `VIHF:<problem>` and its rule says what is wrong.
 */
export function verifyVihf(documentXml: string, assertion: Element, options: VerifyVihfOptions): Result<VihfFacts> {
  const signature = childElements(assertion, DS_NS, 'Signature')[0];
  if (!signature) return problem('invalid', 'saml2:Assertion: ds:Signature missing');
  const id = assertion.getAttribute('ID');
  if (!id) return problem('invalid', 'saml2:Assertion@ID missing');
  const signer = signingCertificateOf(firstChildElement(signature, DS_NS, 'KeyInfo'), options.trustedCa);
  if (signer === 'missing') return problem('invalid', 'ds:KeyInfo: X509Certificate missing');
  if (signer === 'unreadable') return problem('invalid', 'ds:X509Certificate: unreadable certificate');
  const cert = signer.certificate;
  if (!signer.trusted) return problem('untrusted', `signing certificate ${cert.subject.replace(/\n/g, ', ')} is not issued by a trusted CA`);
  const now = options.now ?? new Date();
  if (now < new Date(cert.validFrom) || now > new Date(cert.validTo)) return problem('expired', 'signing certificate outside its validity period');

  let signed: string;
  try {
    const verifier = new SignedXml({ publicCert: signer.pem });
    verifier.loadSignature(signature as unknown as Node);
    verifier.publicCert = verificationKey(signer, verifier.signatureAlgorithm);
    const references = verifier.getReferences();
    if (references.length !== 1 || references[0]!.uri !== `#${id}`) return problem('invalid', `ds:Reference must be the single URI #${id}`);
    if (!verifier.checkSignature(documentXml)) return problem('invalid', 'ds:Signature: invalid');
    signed = verifier.getSignedReferences()[0] ?? '';
  } catch (error) {
    return problem('invalid', `ds:Signature: ${error instanceof Error ? error.message : String(error)}`);
  }
  // From here on, read only what the signature covers.
  const doc = parseXml(signed, 'saml2:Assertion');
  if (!doc.ok) return problem('invalid', 'signed content unreadable');
  const root = doc.value.documentElement!;
  if (root.namespaceURI !== SAML_NS || root.localName !== 'Assertion' || root.getAttribute('ID') !== id) return problem('invalid', 'the signature does not cover the assertion');
  const conditions = firstChildElement(root, SAML_NS, 'Conditions');
  const notBefore = conditions?.getAttribute('NotBefore');
  const notOnOrAfter = conditions?.getAttribute('NotOnOrAfter');
  if (notBefore && now < new Date(notBefore)) return problem('expired', `Conditions@NotBefore ${notBefore} is in the future`);
  if (notOnOrAfter && now >= new Date(notOnOrAfter)) return problem('expired', `Conditions@NotOnOrAfter ${notOnOrAfter} has passed`);

  const nameId = textOf(firstChildElement(firstChildElement(root, SAML_NS, 'Subject') ?? root, SAML_NS, 'NameID'));
  if (!nameId) return problem('invalid', 'saml2:Subject/saml2:NameID missing');
  const values = new Map<string, Element[]>();
  for (const statement of childElements(root, SAML_NS, 'AttributeStatement')) {
    for (const a of childElements(statement, SAML_NS, 'Attribute')) {
      values.set(a.getAttribute('Name') ?? '', childElements(a, SAML_NS, 'AttributeValue'));
    }
  }
  const text = (name: string): string | undefined => textOf(values.get(name)?.[0]) || undefined;
  const coded = (name: string): VihfRole[] =>
    (values.get(name) ?? []).flatMap((v) => childElements(v)).map((c) => {
      const r: VihfRole = { code: c.getAttribute('code') ?? '', codeSystem: c.getAttribute('codeSystem') ?? '' };
      const display = c.getAttribute('displayName');
      if (display) r.displayName = display;
      return r;
    });
  const authn = textOf(firstChildElement(firstChildElement(firstChildElement(root, SAML_NS, 'AuthnStatement') ?? root, SAML_NS, 'AuthnContext') ?? root, SAML_NS, 'AuthnContextClassRef'));
  const facts: VihfFacts = {
    id,
    issuer: textOf(firstChildElement(root, SAML_NS, 'Issuer')) ?? '',
    nameId,
    roles: coded(VIHF_ATTRIBUTE.role),
    software: {},
    signerSubject: rfc2253(cert.subject),
  };
  const set = <K extends keyof VihfFacts>(key: K, value: VihfFacts[K] | undefined): void => {
    if (value !== undefined) facts[key] = value;
  };
  set('version', text(VIHF_ATTRIBUTE.version));
  set('authMode', text(VIHF_ATTRIBUTE.authMode));
  set('authnContext', authn?.replace(AC_PREFIX, ''));
  set('structureId', text(VIHF_ATTRIBUTE.structureId));
  set('sector', text(VIHF_ATTRIBUTE.sector)?.split('^')[0]);
  set('subjectName', text(VIHF_ATTRIBUTE.subjectId));
  set('purposeOfUse', coded(VIHF_ATTRIBUTE.purposeOfUse)[0]?.code);
  set('patientId', text(VIHF_ATTRIBUTE.resourceId));
  set('resourceUrn', text(VIHF_ATTRIBUTE.resourceUrn));
  set('notOnOrAfter', notOnOrAfter ?? undefined);
  const sw = { name: text(VIHF_ATTRIBUTE.lpsName), version: text(VIHF_ATTRIBUTE.lpsVersion), homologation: text(VIHF_ATTRIBUTE.lpsHomologation), id: text(VIHF_ATTRIBUTE.lpsId) };
  for (const [k, v] of Object.entries(sw)) if (v !== undefined) facts.software[k as keyof typeof sw] = v;
  const missing = [
    ['Identifiant_Structure', facts.structureId],
    ['Secteur_Activite', facts.sector],
    ['Authentification_Mode', facts.authMode],
    ['VIHF_Version', facts.version],
    ['LPS_Nom', facts.software.name],
    ['LPS_Version', facts.software.version],
    ['LPS_ID_HOMOLOGATION_DMP', facts.software.homologation],
    ['Ressource_URN', facts.resourceUrn],
    ['subject:role', facts.roles.length > 0 ? 'x' : undefined],
  ].filter(([, v]) => v === undefined).map(([n]) => n);
  if (missing.length > 0) return problem('invalid', `attributes missing: ${missing.join(', ')}`);
  return ok(facts);
}

/** True when a role list says the caller is a physician (profession 10, TRE_G15). */
export const isPhysician = (roles: VihfRole[]): boolean => roles.some((r) => r.code === '10' && r.codeSystem === ROLE_SYSTEM_PROFESSION);
