/**
 * CR-BIO level 3 body model: the structured lab report of the CI-SIS volet BIO-CR-BIO 2024.01
 * (documents.md §5; IHE PaLM XD-LAB; official examples `BIO-CR-BIO_2024.01_*`).
 *
 * A report is a list of chapters (LOINC specialty, e.g. `18719-5` Biochimie), each holding
 * either its own results or sub-chapters; a chapter or sub-chapter becomes one `entry
 * typeCode="DRIV"` whose `act` holds the specimens, the exams (BATTERY organizers), the
 * isolated results and the comments. The PDF rendering of the report (section "Copie du
 * document") is mandatory since 2024.01. The narrative text of every section is generated
 * from these entries (`cr-bio-narrative.ts`).
 */
import type { Author, CodedValue, Identifier, Performer } from './model.ts';

/** Template ids of the volet (documents.md §5 tables). */
export const CR_BIO_OID = {
  /** Header: IHE XD-LAB. */
  xdLab: '1.3.6.1.4.1.19376.1.3.3',
  /** Header: CI-SIS CR-BIO volet. */
  volet: '1.2.250.1.213.1.1.1.55',
  /** Header participant REF (orderer). */
  ordererParticipant: '1.3.6.1.4.1.19376.1.3.3.1.6',
  /** Header / entry performer: executing laboratory (IHE). */
  labPerformer: '1.3.6.1.4.1.19376.1.3.3.1.7',
  /** Entry performer: FR-Laboratoire-executant. */
  labPerformerFr: '1.2.250.1.213.1.1.3.23',
  /** Header authenticator: validating biologist. */
  authenticator: '1.3.6.1.4.1.19376.1.3.3.1.5',
  chapterSection: '1.3.6.1.4.1.19376.1.3.3.2.1',
  chapterSectionFr: '1.2.250.1.213.1.1.2.70',
  subChapterSection: '1.3.6.1.4.1.19376.1.3.3.2.2',
  subChapterSectionFr: '1.2.250.1.213.1.1.2.71',
  /** Other allowed top-level sections. */
  secondIntentionSection: '1.2.250.1.213.1.1.2.60',
  commentSection: '1.3.6.1.4.1.19376.1.4.1.2.16',
  recommendationSection: '1.2.250.1.213.1.1.2.128',
  pdfCopySection: '1.2.250.1.213.1.1.2.243',
  vaccinationSection: '1.2.250.1.213.1.1.2.147',
  dataProcessingEntry: '1.3.6.1.4.1.19376.1.3.1',
  dataProcessingEntryFr: '1.2.250.1.213.1.1.3.21',
  specimenCollection: '1.3.6.1.4.1.19376.1.3.1.2',
  specimenCollectionFr: '1.2.250.1.213.1.1.3.77',
  specimenReceived: '1.3.6.1.4.1.19376.1.3.1.3',
  specimenReceivedFr: '1.2.250.1.213.1.1.3.107',
  battery: '1.3.6.1.4.1.19376.1.3.1.4',
  batteryFr: '1.2.250.1.213.1.1.3.78',
  isolate: '1.3.6.1.4.1.19376.1.3.1.5',
  isolateFr: '1.2.250.1.213.1.1.3.79',
  result: '1.3.6.1.4.1.19376.1.3.1.6',
  resultFr: '1.2.250.1.213.1.1.3.80',
  /** Comment act: CCD, IHE PCC, CI-SIS FR-Commentaire-ER. */
  commentCcd: '2.16.840.1.113883.10.20.1.40',
  commentPcc: '1.3.6.1.4.1.19376.1.5.3.1.4.2',
  commentFr: '1.2.250.1.213.1.1.3.32',
  /** PDF copy: FR-Document-attache organizer and its FR-Type-document-attache observation. */
  attachedDocument: '1.2.250.1.213.1.1.3.18',
  simpleObservation: '1.3.6.1.4.1.19376.1.5.3.1.4.13',
  simpleObservationFr: '1.2.250.1.213.1.1.3.48',
  attachedDocumentType: '1.2.250.1.213.1.1.3.48.18',
  /** HL7 ObservationInterpretation code system. */
  interpretation: '2.16.840.1.113883.5.83',
  /** HL7 SpecimenType code system (JDV_HL7_SpecimenType_CISIS 2.16.840.1.113883.21.327). */
  specimenType: '2.16.840.1.113883.18.311',
  /**
   * IHEActCode as written by every CDAKIT example and the IHE XD-LAB text for `SPRECEIVE`
   * (`1.3.5…`, not the PCC `1.3.6…`): kept as published so that conformance tools agree.
   */
  iheActCode: '1.3.5.1.4.1.19376.1.5.3.2',
  /** National waiting codes for analyses without LOINC. */
  nationalWaitingCode: '1.2.250.1.213.1.1.5.130',
} as const;

/** The four header templateIds of a CR-BIO N3 (documents.md §5). */
export const CR_BIO_TEMPLATE_IDS: readonly string[] = ['2.16.840.1.113883.2.8.2.1', '1.2.250.1.213.1.1.1.1', CR_BIO_OID.xdLab, CR_BIO_OID.volet];
/** `title`, imposed by the volet (CRBIOSCH). */
export const CR_BIO_TITLE = "Compte rendu d'examens biologiques";
/** `code` of a CR-BIO: LOINC 11502-2 with its JDV_J07 display name. */
export const CR_BIO_CODE = '11502-2';

/**
 * HL7 ObservationInterpretation as restricted by CI-SIS: every concept of
 * `jeuxDeValeurs/JDV_HL7_ObservationInterpretation_CISIS.xml` (value set 2.16.840.1.113883.1.11.78,
 * code system 2.16.840.1.113883.5.83) with its French display name.
 */
export const INTERPRETATIONS = {
  '<': 'Inférieur à la limite de détection',
  '>': 'Supérieur à la limite maximale de mesure',
  A: 'Anormal',
  AA: 'Très anormal, alerte',
  B: 'Amélioration',
  CAR: "Porteur d'une forme altérée d'un gène",
  D: 'Diminution significative par rapport au résultat antérieur',
  DET: 'Détecté',
  E: 'Équivoque',
  EX: 'Hors seuils',
  EXP: 'Attendu',
  H: 'Anormalement haut',
  HH: 'Très anormalement haut, alerte',
  HU: 'Significativement haut',
  HX: 'Hors seuil supérieur',
  I: 'Intermédiaire',
  IE: 'Preuves insuffisantes',
  IND: 'Indéterminé',
  L: 'Anormalement bas',
  LL: 'Très anormalement bas, alerte',
  LU: 'Significativement bas',
  LX: 'Hors seuil inférieur',
  N: 'Normal',
  NCL: 'Pas de standard défini',
  ND: 'Non détecté',
  NEG: 'Négatif',
  NR: 'Non réactif',
  NS: 'Non sensible',
  POS: 'Positif',
  R: 'Résistant',
  RR: 'Réactif',
  S: 'Sensible',
  SDD: 'Sensible à forte dose',
  'SYN-R': 'Synergie - résistant',
  'SYN-S': 'Synergie - sensible',
  U: 'Augmentation significative par rapport au résultat antérieur',
  UNE: 'Inattendu',
  W: 'Dégradation',
  WR: 'Faiblement réactif',
} as const satisfies Record<string, string>;

export type InterpretationCode = keyof typeof INTERPRETATIONS;

/** A decimal as HL7 REAL text (`"1.950"` keeps its precision) or a JS number. */
export type Decimal = string | number;

/** One bound of an interval of physical quantities. */
export interface QuantityBound {
  value: Decimal;
  /** UCUM unit (`mmol/L`, `m[IU]/L`, `10*9/L`); `1` when dimensionless. */
  unit: string;
  /** `false` for a strict bound (`< 0.128`). */
  inclusive?: boolean;
}

/** The typed `value` of a result observation. */
export type LabValue =
  /** Physical quantity: `<value xsi:type="PQ" value unit>`. */
  | { type: 'PQ'; value: Decimal; unit: string }
  /** Interval, e.g. `< 1.0 mg/L` (high only) or `>= 0.512 ug/mL` (low only). */
  | { type: 'IVL_PQ'; low?: QuantityBound; high?: QuantityBound }
  /** Coded result (SNOMED CT germ, `POS`…) and/or free text shown in the narrative. */
  | { type: 'CD'; code?: CodedValue; text?: string }
  /** Free text result. */
  | { type: 'ST'; text: string }
  | { type: 'INT'; value: number }
  | { type: 'BL'; value: boolean };

/** `referenceRange/observationRange` (at most one per result). */
export interface ReferenceRange {
  low?: Decimal;
  high?: Decimal;
  /** UCUM unit of the bounds; defaults to the unit of the result's PQ / IVL_PQ value. */
  unit?: string;
  /** Free text range (`< 5.0`, `négatif`), written as `observationRange/text`. */
  text?: string;
}

/** A result observation (FR-Resultat-examens-de-biologie-element-clinique-pertinent). */
export interface LabResult {
  /**
   * LOINC code of the analysis (code, displayName and codeSystem required). Absent for an
   * analysis without LOINC: then `translation` carries the national waiting code
   * (`1.2.250.1.213.1.1.5.130`) or the laboratory's local code.
   */
  code?: CodedValue;
  /** Local or national waiting code (`code/translation`). */
  translation?: CodedValue;
  /** Label shown in the narrative (`originalText`); defaults to the code's display name. */
  label?: string;
  /** `aborted` when the analysis could not be done; default `completed`. */
  status?: 'completed' | 'aborted';
  /** Absent for an aborted analysis. */
  value?: LabValue;
  interpretation?: InterpretationCode;
  referenceRange?: ReferenceRange;
  /** Time of the result (biological validation / measure), HL7 TS. */
  effectiveTime?: string;
  /** Executing laboratory when it differs from the header's (FR-Laboratoire-executant). */
  performer?: Performer;
  author?: Author;
  /** Comment on this result (comment act `48767-8`). */
  comment?: string;
}

/** A prescribable exam: `organizer classCode="BATTERY"` (FR-Batterie-examens-de-biologie-medicale). */
export interface LabExam {
  /** LOINC code of the exam (e.g. `18769-0` Antibiogramme). */
  code?: CodedValue;
  /** Local code (`code/translation`), required when `code` is absent. */
  translation?: CodedValue;
  /** Label shown in the narrative; defaults to the code's display name. */
  label?: string;
  status?: 'completed' | 'aborted' | 'active';
  effectiveTime?: string;
  results: LabResult[];
}

/** Specimen collection (`procedure`, FR-Prelevement) and reception (SPRECEIVE act). */
export interface Specimen {
  /** HL7 SpecimenType (`2.16.840.1.113883.18.311`): `BLD` Sang, `UR` Urine, `SER` Sérum… */
  type: CodedValue;
  /** Specimen identifier (barcode). */
  id?: Identifier;
  /** Collection act code, e.g. NABM `9050` Ponction veineuse (`1.2.250.1.213.2.7`). */
  procedureCode?: CodedValue;
  /** Collection time (`effectiveTime/high`), HL7 TS. */
  collectionTime?: string;
  /** Reception time at the laboratory (SPRECEIVE act), HL7 TS. */
  receptionTime?: string;
}

/** What one chapter or sub-chapter reports: one `entry DRIV`. */
export interface LabReportContent {
  specimens?: Specimen[];
  exams?: LabExam[];
  /** Isolated results (observations directly under the act). */
  results?: LabResult[];
  /** Comments on the chapter (comment acts `48767-8`). */
  comments?: string[];
}

/** Sub-chapter section (FR-CR-BIO-Sous-Chapitre). */
export interface LabSubChapter extends LabReportContent {
  /** LOINC code of the sub-chapter (a panel, or the chapter's specialty code). */
  code: CodedValue;
  title?: string;
}

/**
 * Chapter section (FR-CR-BIO-Chapitre): a LOINC specialty (`18719-5` Biochimie, `18723-7`
 * Hématologie, `18725-2` Microbiologie…); it holds either sub-chapters or its own content.
 */
export interface LabChapter extends LabReportContent {
  code: CodedValue;
  /** Section title; defaults to the display name. */
  title?: string;
  subChapters?: LabSubChapter[];
}

/** The PDF rendering of the whole report (section FR-Document-PDF-copie). */
export interface PdfCopy {
  content: Uint8Array;
}

/** CR-BIO level 3 body. */
export interface CrBioBody {
  kind: 'cr-bio';
  chapters: LabChapter[];
  /** Mandatory since BIO-CR-BIO 2024.01. */
  pdfCopy: PdfCopy;
}
