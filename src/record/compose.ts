/**
 * Composes an exit document — lettre de liaison, CRO, ordonnance, CR d'imagerie, CR-BIO N1,
 * CRH — from the patient's identity, the stay and the validated text: the PDF/A with the
 * patient banner (and the DataMatrix INS for a qualified identity only), wrapped in a CDA R2
 * level 1 that satisfies the CI-SIS header rules. Pure: ids and time are given.
 */
import { randomUUID } from 'node:crypto';
import {
  buildCda, checkCda, DOCUMENT_TYPES, finessIdentifier, headerOf, parseCda, rppsIdentifier, toCdaTimestamp,
  type CdaDocument, type CdaHeader, type DocumentTypeKey, type Organization, type Professional as CdaProfessional,
} from '../formats/cda/index.ts';
import { renderDocumentPdf, type DocumentSection } from '../formats/pdf/index.ts';
import { fail, ok, type Result } from '../formats/result.ts';
import { displayName, valueSetLookup } from '../formats/terminology/index.ts';
import { STATUS_LABEL, type Identity } from '../identity/index.ts';
import type { Config } from '../platform/config.ts';

/** A health professional as documents name them (RPPS, name, specialty in JDV_J01). */
export interface Professional {
  rpps: string;
  family: string;
  given?: string;
  /** JDV_J01 code, e.g. G15_10/SM26 (médecin qualifié en médecine générale). */
  specialty: string;
}

export interface ExitDocumentInput {
  type: DocumentTypeKey;
  title?: string;
  sections: DocumentSection[];
  patient: Identity;
  stay?: { start: string; end?: string };
  author: Professional;
  legalAuthenticator: Professional;
  establishment: Config['establishment'];
  /** OIDs of this document and of its set; version from 1; the replaced document's id. */
  ids: { id: string; setId: string; version: number; replaces?: string };
  time: Date;
}

export interface ExitDocument {
  pdf: Uint8Array;
  cda: string;
  document: CdaDocument;
  /** The header as read back from `cda` (the checks read it): what the PFI routes on. */
  header: CdaHeader;
}

/** What validation keeps of a composed document. */
export type ComposedDocument = Pick<ExitDocument, 'pdf' | 'cda' | 'header'>;

/** Composes exit documents: `composeExitDocument` here, or the same on a worker thread (app.ts). */
export type Composer = (input: ExitDocumentInput) => Promise<Result<ComposedDocument>>;

/** A new OID from a random UUID (ITU-T X.667: 2.25.<UUID as an integer>), as XDS uniqueIds must be OIDs. */
export const newDocumentOid = (): string => `2.25.${BigInt(`0x${randomUUID().replace(/-/g, '')}`).toString()}`;

const SPECIALTY_SYSTEM = '1.2.250.1.213.1.1.4.5';

function cdaProfessional(p: Professional): Result<CdaProfessional> {
  const label = displayName('JDV_J01', p.specialty, SPECIALTY_SYSTEM);
  if (!label) return fail('specialty', `${p.specialty} n'est pas une spécialité de la nomenclature JDV_J01`);
  if (!/^\d{11}$/.test(p.rpps)) return fail('rpps', `le RPPS a 11 chiffres, reçu "${p.rpps}"`);
  return ok({
    id: rppsIdentifier(p.rpps),
    specialty: { code: p.specialty, codeSystem: SPECIALTY_SYSTEM, displayName: label },
    name: { family: p.family, ...(p.given ? { given: [p.given] } : {}) },
  });
}

function patientOf(identity: Identity, establishment: Config['establishment']): CdaDocument['patient'] {
  const t = identity.traits;
  return {
    ...(identity.ins ? { ins: identity.ins } : {}),
    ipp: { root: establishment.ippOid, extension: identity.ipp },
    birthName: t.birthName,
    ...(identity.usedName ? { usedName: identity.usedName } : {}),
    birthGivenNames: t.birthGivenNames,
    firstBirthGivenName: t.birthGivenNames.split(' ')[0] ?? t.birthGivenNames,
    ...(identity.usedGivenName ? { usedGivenName: identity.usedGivenName } : {}),
    sex: t.sex === 'U' ? 'UN' : t.sex,
    birthDate: t.birthDate,
    ...(t.birthplace ? { birthplace: t.birthplace } : {}),
    ...(identity.ins ? { mssanteMailbox: `${identity.ins.matricule}@patient.mssante.fr` } : {}),
  };
}

/** Builds the PDF and its CDA R2 N1 wrapper; the CDA is checked against the CI-SIS header rules. */
export async function composeExitDocument(input: ExitDocumentInput): Promise<Result<ExitDocument>> {
  const type = DOCUMENT_TYPES[input.type];
  const title = input.title ?? type.defaultTitle;
  const { establishment, patient } = input;
  const author = cdaProfessional(input.author);
  if (!author.ok) return fail(`author.${author.error.field}`, author.error.rule);
  const authenticator = cdaProfessional(input.legalAuthenticator);
  if (!authenticator.ok) return fail(`legalAuthenticator.${authenticator.error.field}`, authenticator.error.rule);
  const facilityLabel = displayName('JDV_J02', establishment.facilityTypeCode);
  const practiceLabel = displayName('JDV_J04', establishment.practiceSettingCode);
  if (!facilityLabel) return fail('establishment.facilityTypeCode', `${establishment.facilityTypeCode} n'est pas dans JDV_J02`);
  if (!practiceLabel) return fail('establishment.practiceSettingCode', `${establishment.practiceSettingCode} n'est pas dans JDV_J04`);

  const pdf = await renderDocumentPdf({
    title,
    documentType: type.label,
    establishment: { name: establishment.name, finess: establishment.finess, ...(establishment.address ? { address: establishment.address } : {}) },
    patient: {
      traits: patient.traits, ipp: patient.ipp, status: STATUS_LABEL[patient.status],
      ...(patient.ins ? { ins: patient.ins } : {}),
      ...(patient.usedName ? { usedName: patient.usedName } : {}),
      ...(patient.usedGivenName ? { usedGivenName: patient.usedGivenName } : {}),
    },
    author: { name: [input.author.given, input.author.family].filter(Boolean).join(' '), specialty: author.value.specialty!.displayName!, rpps: input.author.rpps },
    date: input.time,
    sections: input.sections,
    creationDate: input.time,
  });
  if (!pdf.ok) return pdf;

  const time = toCdaTimestamp(input.time);
  const organization: Organization = { id: finessIdentifier(establishment.finess), name: establishment.name };
  const stay = input.stay ?? { start: input.time.toISOString() };
  const stayTime = { low: toCdaTimestamp(new Date(stay.start)), ...(stay.end ? { high: toCdaTimestamp(new Date(stay.end)) } : {}) };
  const document: CdaDocument = {
    id: { root: input.ids.id },
    code: type.code,
    title,
    effectiveTime: time,
    confidentiality: 'N',
    languageCode: 'fr-FR',
    setId: { root: input.ids.setId },
    versionNumber: input.ids.version,
    patient: patientOf(patient, establishment),
    authors: [{ time, professional: author.value, organization }],
    custodian: organization,
    legalAuthenticator: { time, signatureCode: 'S', professional: authenticator.value, organization },
    serviceEvents: [{
      effectiveTime: stayTime,
      performer: {
        professional: author.value,
        organization: { ...organization, standardIndustryClassCode: { code: establishment.practiceSettingCode, codeSystem: '1.2.250.1.213.1.1.4.9', displayName: practiceLabel } },
      },
    }],
    ...(input.ids.replaces ? { replaces: { root: input.ids.replaces } } : {}),
    encounter: {
      effectiveTime: stayTime,
      facility: { code: { code: establishment.facilityTypeCode, codeSystem: '1.2.250.1.71.4.2.4', displayName: facilityLabel } },
    },
    body: { kind: 'nonXml', mediaType: 'application/pdf', content: pdf.value },
  };
  const cda = buildCda(document);
  if (!cda.ok) return cda;
  const parsed = parseCda(cda.value);
  if (!parsed.ok) return parsed;
  const issues = checkCda(parsed.value, valueSetLookup);
  if (issues.length > 0) return fail(issues[0]!.field, issues.map((i) => i.rule).join(' ; '));
  return ok({ pdf: pdf.value, cda: cda.value, document, header: headerOf(parsed.value.document) });
}
