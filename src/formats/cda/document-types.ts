/**
 * Document types of the Ségur hospital perimeter (documents.md §1–§2): `ClinicalDocument/code`
 * = XDS typeCode, LOINC, with the exact NOS display names of JDV_J07 (XdsTypeCode CI-SIS,
 * OID 1.2.250.1.213.1.1.5.471, file `jeuxDeValeurs/JDV_J07_XdsTypeCode_CISIS.xml`).
 *
 * Every type here is produced as level 1 (N1): templateIds HL7 France + CI-SIS + IHE XDS-SD
 * (documents.md §4); the volet templateId of the N3 form is recorded for reference only and
 * must not be added to an N1 document. CR-BIO also has a level 3 builder (`buildCrBio`,
 * `cr-bio-build.ts`), which writes the N3 templateIds itself.
 */
import { N1_TEMPLATE_IDS, OID, type CodedValue } from './model.ts';

export type DocumentTypeKey = 'ldl' | 'cro' | 'ordonnance' | 'cr-imagerie' | 'cr-bio' | 'crh';

export interface DocumentType {
  key: DocumentTypeKey;
  /** `ClinicalDocument/code`, with the JDV_J07 display name. */
  code: CodedValue;
  /** Default `title` (the producer may refine it, e.g. with the exam name). */
  defaultTitle: string;
  /** Header templateIds of the N1 form. */
  n1TemplateIds: readonly string[];
  /** Volet templateId of the N3 form (documents.md §2), never written into an N1. */
  n3VoletTemplateId?: string;
  /** What the type is for, in French (CLI help, UI). */
  label: string;
  /** History backfill only (not produced by the discharge workflow). */
  backfillOnly?: boolean;
}

const loinc = (code: string, displayName: string): CodedValue => ({
  code,
  codeSystem: OID.loinc,
  displayName,
  codeSystemName: 'LOINC',
});

export const DOCUMENT_TYPES: Readonly<Record<DocumentTypeKey, DocumentType>> = {
  ldl: {
    key: 'ldl',
    code: loinc('11490-0', "Lettre de liaison à la sortie d'un établissement de soins"),
    defaultTitle: "Lettre de liaison à la sortie d'un établissement de soins",
    n1TemplateIds: N1_TEMPLATE_IDS,
    n3VoletTemplateId: '1.2.250.1.213.1.1.1.29',
    label: 'Lettre de liaison à la sortie',
  },
  cro: {
    key: 'cro',
    code: loinc('34874-8', 'CR opératoire'),
    defaultTitle: 'Compte rendu opératoire',
    n1TemplateIds: N1_TEMPLATE_IDS,
    label: 'Compte rendu opératoire',
  },
  ordonnance: {
    key: 'ordonnance',
    code: loinc('57833-6', 'Prescription de produits de santé'),
    defaultTitle: 'Prescription de produits de santé',
    n1TemplateIds: N1_TEMPLATE_IDS,
    n3VoletTemplateId: '1.2.250.1.213.1.1.1.39',
    label: 'Ordonnance de sortie',
  },
  'cr-imagerie': {
    key: 'cr-imagerie',
    code: loinc('18748-4', "CR d'imagerie médicale"),
    defaultTitle: "Compte rendu d'imagerie médicale",
    n1TemplateIds: N1_TEMPLATE_IDS,
    n3VoletTemplateId: '1.2.250.1.213.1.1.1.45',
    label: "Compte rendu d'imagerie",
  },
  'cr-bio': {
    key: 'cr-bio',
    code: loinc('11502-2', "CR d'examens biologiques"),
    defaultTitle: "Compte rendu d'examens biologiques",
    n1TemplateIds: N1_TEMPLATE_IDS,
    n3VoletTemplateId: '1.2.250.1.213.1.1.1.55',
    label: "Compte rendu d'examens biologiques (N1 ; le DMP attend le N3 depuis 2024)",
  },
  crh: {
    key: 'crh',
    code: loinc('34112-3', 'CR hospitalier (séjour)'),
    defaultTitle: "Compte rendu d'hospitalisation",
    n1TemplateIds: N1_TEMPLATE_IDS,
    label: "Compte rendu d'hospitalisation (reprise d'historique)",
    backfillOnly: true,
  },
};

/** Keys in display order. */
export const DOCUMENT_TYPE_KEYS: readonly DocumentTypeKey[] = ['ldl', 'cro', 'ordonnance', 'cr-imagerie', 'cr-bio', 'crh'];

/** Keys accepted by `--type` for produced documents (history-backfill types excluded). */
export const PRODUCED_DOCUMENT_TYPE_KEYS: readonly DocumentTypeKey[] = DOCUMENT_TYPE_KEYS.filter((k) => !DOCUMENT_TYPES[k].backfillOnly);

export const isDocumentTypeKey = (value: string): value is DocumentTypeKey =>
  Object.prototype.hasOwnProperty.call(DOCUMENT_TYPES, value);

/** The type whose LOINC code is `code`, if it is in the perimeter. */
export const documentTypeByCode = (code: string): DocumentType | undefined =>
  DOCUMENT_TYPE_KEYS.map((k) => DOCUMENT_TYPES[k]).find((t) => t.code.code === code);
