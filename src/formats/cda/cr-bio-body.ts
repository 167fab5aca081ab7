/**
 * Writes a CR-BIO level 3 `structuredBody` (documents.md §5; volet BIO-CR-BIO 2024.01; element
 * by element as CDAKIT `BIO-CR-BIO_2024.01_TSH_1.xml`, `…_Glycémie mole.xml`,
 * `…_Microbiologie_V1.xml`, `…_CRP_non_LOINC.xml`):
 *
 * chapter section (IHE 1.3.6.1.4.1.19376.1.3.3.2.1 + FR-CR-BIO-Chapitre 1.2.250.1.213.1.1.2.70)
 * → optional sub-chapter sections (…3.3.2.2 + …2.71) → one `entry typeCode="DRIV"` (…3.1 +
 * FR-Resultats-examens-de-biologie-medicale …3.21) whose `act` holds, as `entryRelationship
 * typeCode="COMP"`: specimen collections (`procedure` …3.1.2 + …3.77, with the SPRECEIVE act
 * …3.1.3 + …3.107), exams (`organizer classCode="BATTERY"` …3.1.4 + …3.78) and isolated results
 * (`observation` …3.1.6 + …3.80); comments (…10.20.1.40 + …5.3.1.4.2 + …3.32, code 48767-8)
 * follow as `entryRelationship typeCode="SUBJ"`. Then the PDF-copy section (…2.243).
 *
 * The narrative block of each section is generated from the same data in the same pass: every
 * `originalText/reference/@value` and comment `text/reference/@value` points to the `ID` of
 * the cell or paragraph that displays it, so the text and the entries cannot drift apart.
 */
import type { CodedValue, Identifier } from './model.ts';
import { OID } from './model.ts';
import {
  CR_BIO_OID as T,
  INTERPRETATIONS,
  type CrBioBody,
  type LabExam,
  type LabReportContent,
  type LabResult,
  type LabValue,
  type QuantityBound,
  type ReferenceRange,
  type Specimen,
} from './cr-bio-model.ts';
import { decimalText, interpretationText, rangeText, tsText, unitText, valueText } from './cr-bio-narrative.ts';
import { author, cv, ii, interval, role } from './header.ts';
import { add, addSerializedText, type XmlElement as Element } from './xml-writer.ts';

const LOINC = { codeSystem: OID.loinc, codeSystemName: 'LOINC' } as const;
const RESULT_HEADERS = ['Analyse', 'Résultat', 'Unité', 'Valeurs de référence', 'Interprétation'];

/** Allocates the narrative `ID`s (unique in the document, NCName). */
type IdKind = 'res' | 'exam' | 'spec' | 'com';
class Ids {
  private readonly n: Record<IdKind, number> = { res: 0, exam: 0, spec: 0, com: 0 };
  next(kind: IdKind): string {
    this.n[kind] += 1;
    return `${kind}-${this.n[kind]}`;
  }
}

const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

const templates = (parent: Element, ...roots: string[]): void => {
  for (const root of roots) add(parent, 'templateId', { root });
};

const reference = (parent: Element, id: string): void => {
  add(add(parent, 'originalText'), 'reference', { value: `#${id}` });
};

/** `code` of an analysis or exam: LOINC attributes (if any), originalText → narrative, translation. */
function analysisCode(parent: Element, item: { code?: CodedValue; translation?: CodedValue }, narrativeId: string): void {
  const code = item.code ? cv(parent, 'code', item.code) : add(parent, 'code');
  reference(code, narrativeId);
  if (item.translation) cv(code, 'translation', item.translation);
}

const label = (item: { code?: CodedValue; translation?: CodedValue; label?: string }): string =>
  item.label ?? item.code?.displayName ?? item.translation?.displayName ?? item.code?.code ?? item.translation?.code ?? '';

export function writeCrBioBody(component: Element, body: CrBioBody, documentId: Identifier): void {
  const structured = add(component, 'structuredBody');
  const ids = new Ids();
  for (const chapter of body.chapters) {
    const section = add(add(structured, 'component'), 'section');
    templates(section, T.chapterSection, T.chapterSectionFr);
    cv(section, 'code', chapter.code);
    add(section, 'title', undefined, chapter.title ?? chapter.code.displayName ?? chapter.code.code);
    const subs = chapter.subChapters ?? [];
    if (subs.length === 0) {
      report(section, chapter.code, chapter, ids);
      continue;
    }
    for (const sub of subs) {
      const subSection = add(add(section, 'component'), 'section');
      templates(subSection, T.subChapterSection, T.subChapterSectionFr);
      cv(subSection, 'code', sub.code);
      add(subSection, 'title', undefined, sub.title ?? sub.code.displayName ?? sub.code.code);
      report(subSection, sub.code, sub, ids);
    }
  }
  pdfCopy(add(add(structured, 'component'), 'section'), body.pdfCopy.content, documentId);
}

/** Narrative `text` and the `entry DRIV` of one chapter or sub-chapter. */
function report(section: Element, code: CodedValue, content: LabReportContent, ids: Ids): void {
  const text = add(section, 'text');
  const entry = add(section, 'entry', { typeCode: 'DRIV' });
  templates(entry, T.dataProcessingEntry, T.dataProcessingEntryFr);
  const act = add(entry, 'act', { classCode: 'ACT', moodCode: 'EVN' });
  cv(act, 'code', code);
  add(act, 'statusCode', { code: 'completed' });

  const specimens = content.specimens ?? [];
  if (specimens.length > 0) {
    const tbody = table(text, ['Échantillon', 'Prélevé le', 'Reçu le']);
    for (const s of specimens) specimen(act, tbody, s, ids);
  }
  const exams = content.exams ?? [];
  const results = content.results ?? [];
  const tbody = table(text, RESULT_HEADERS);
  for (const e of exams) exam(add(act, 'entryRelationship', { typeCode: 'COMP' }), tbody, e, ids);
  for (const r of results) result(add(act, 'entryRelationship', { typeCode: 'COMP' }), tbody, r, ids);
  for (const c of content.comments ?? []) {
    const id = ids.next('com');
    add(text, 'paragraph', { ID: id }, c);
    comment(add(act, 'entryRelationship', { typeCode: 'SUBJ' }), id);
  }
}

function table(text: Element, headers: string[]): Element {
  const t = add(text, 'table', { border: '0' });
  const tr = add(add(t, 'thead'), 'tr');
  for (const h of headers) add(tr, 'th', undefined, h);
  return add(t, 'tbody');
}

function specimen(act: Element, tbody: Element, s: Specimen, ids: Ids): void {
  const id = ids.next('spec');
  const tr = add(tbody, 'tr');
  add(add(tr, 'td'), 'content', { ID: id }, s.type.displayName ?? s.type.code);
  add(tr, 'td', undefined, tsText(s.collectionTime));
  add(tr, 'td', undefined, tsText(s.receptionTime));

  const procedure = add(add(act, 'entryRelationship', { typeCode: 'COMP' }), 'procedure', { classCode: 'PROC', moodCode: 'EVN' });
  templates(procedure, T.specimenCollection, T.specimenCollectionFr);
  if (s.procedureCode) cv(procedure, 'code', s.procedureCode);
  if (s.collectionTime) add(add(procedure, 'effectiveTime'), 'high', { value: s.collectionTime });
  const roleElement = add(add(procedure, 'participant', { typeCode: 'PRD' }), 'participantRole', { classCode: 'SPEC' });
  if (s.id) ii(roleElement, 'id', s.id);
  reference(cv(add(roleElement, 'playingEntity'), 'code', s.type), id);
  if (s.receptionTime) {
    const received = add(add(procedure, 'entryRelationship', { typeCode: 'COMP' }), 'act', { classCode: 'ACT', moodCode: 'EVN' });
    templates(received, T.specimenReceived, T.specimenReceivedFr);
    add(received, 'code', { code: 'SPRECEIVE', displayName: 'Échantillon reçu', codeSystem: T.iheActCode, codeSystemName: 'IHEActCode' });
    add(received, 'effectiveTime', { value: s.receptionTime });
  }
}

function exam(relationship: Element, tbody: Element, e: LabExam, ids: Ids): void {
  const id = ids.next('exam');
  add(add(add(tbody, 'tr'), 'td', { colspan: String(RESULT_HEADERS.length), styleCode: 'Bold' }), 'content', { ID: id }, label(e));
  const organizer = add(relationship, 'organizer', { classCode: 'BATTERY', moodCode: 'EVN' });
  templates(organizer, T.battery, T.batteryFr);
  analysisCode(organizer, e, id);
  add(organizer, 'statusCode', { code: e.status ?? 'completed' });
  if (e.effectiveTime) add(organizer, 'effectiveTime', { value: e.effectiveTime });
  for (const r of e.results) result(add(organizer, 'component'), tbody, r, ids);
}

function result(parent: Element, tbody: Element, r: LabResult, ids: Ids): void {
  const id = ids.next('res');
  const valueId = `${id}-valeur`;
  const tr = add(tbody, 'tr');
  add(add(tr, 'td'), 'content', { ID: id }, label(r));
  const interpretation = r.interpretation;
  const abnormal = interpretation !== undefined && interpretation !== 'N';
  add(add(tr, 'td', abnormal ? { styleCode: 'Bold' } : undefined), 'content', { ID: valueId }, valueText(r.value));
  add(tr, 'td', undefined, unitText(r.value));
  add(tr, 'td', undefined, rangeText(r.referenceRange));
  add(tr, 'td', abnormal ? { styleCode: 'Bold' } : undefined, interpretationText(interpretation));
  let commentId: string | undefined;
  if (r.comment) {
    commentId = ids.next('com');
    add(add(add(tbody, 'tr'), 'td', { colspan: String(RESULT_HEADERS.length), styleCode: 'Italics' }), 'content', { ID: commentId }, r.comment);
  }

  const obs = add(parent, 'observation', { classCode: 'OBS', moodCode: 'EVN' });
  templates(obs, T.result, T.resultFr);
  analysisCode(obs, r, id);
  add(obs, 'statusCode', { code: r.status ?? 'completed' });
  if (r.effectiveTime) add(obs, 'effectiveTime', { value: r.effectiveTime });
  if (r.value) value(obs, r.value, valueId);
  if (interpretation) add(obs, 'interpretationCode', { code: interpretation, displayName: INTERPRETATIONS[interpretation], codeSystem: T.interpretation });
  if (r.performer) {
    const performer = add(obs, 'performer', { typeCode: 'PRF' });
    templates(performer, ...(r.performer.templateIds?.map((t) => t.root) ?? [T.labPerformer, T.labPerformerFr]));
    if (r.performer.time) interval(performer, 'time', r.performer.time);
    role(add(performer, 'assignedEntity'), r.performer.professional, 'assignedPerson', r.performer.organization, 'representedOrganization');
  }
  if (r.author) author(obs, r.author);
  if (commentId) comment(add(obs, 'entryRelationship', { typeCode: 'SUBJ', inversionInd: 'true' }), commentId);
  if (r.referenceRange) referenceRange(obs, r.referenceRange, r.value);
}

const bound = (parent: Element, name: string, b: QuantityBound): void => {
  add(parent, name, { value: decimalText(b.value), unit: b.unit, inclusive: b.inclusive === undefined ? undefined : String(b.inclusive) });
};

function value(obs: Element, v: LabValue, narrativeId: string): void {
  switch (v.type) {
    case 'PQ':
      add(obs, 'value', { 'xsi:type': 'PQ', value: decimalText(v.value), unit: v.unit });
      return;
    case 'IVL_PQ': {
      const el = add(obs, 'value', { 'xsi:type': 'IVL_PQ' });
      if (v.low) bound(el, 'low', v.low);
      if (v.high) bound(el, 'high', v.high);
      return;
    }
    case 'CD': {
      const el = add(obs, 'value', {
        'xsi:type': 'CD',
        code: v.code?.code,
        displayName: v.code?.displayName,
        codeSystem: v.code?.codeSystem,
        codeSystemName: v.code?.codeSystemName,
      });
      reference(el, narrativeId);
      return;
    }
    case 'ST':
      add(obs, 'value', { 'xsi:type': 'ST' }, v.text);
      return;
    case 'INT':
      add(obs, 'value', { 'xsi:type': 'INT', value: String(v.value) });
      return;
    case 'BL':
      add(obs, 'value', { 'xsi:type': 'BL', value: String(v.value) });
      return;
  }
}

function referenceRange(obs: Element, r: ReferenceRange, v: LabValue | undefined): void {
  const range = add(add(obs, 'referenceRange', { typeCode: 'REFV' }), 'observationRange', { classCode: 'OBS', moodCode: 'EVN.CRT' });
  if (r.text) add(range, 'text', undefined, r.text);
  if (r.low !== undefined || r.high !== undefined) {
    const unit = r.unit ?? (unitText(v) || undefined);
    const el = add(range, 'value', { 'xsi:type': 'IVL_PQ' });
    if (r.low !== undefined) add(el, 'low', { value: decimalText(r.low), unit });
    if (r.high !== undefined) add(el, 'high', { value: decimalText(r.high), unit });
  }
  add(range, 'interpretationCode', { code: 'N', displayName: INTERPRETATIONS.N, codeSystem: T.interpretation });
}

function comment(relationship: Element, narrativeId: string): void {
  const act = add(relationship, 'act', { classCode: 'ACT', moodCode: 'EVN' });
  templates(act, T.commentCcd, T.commentPcc, T.commentFr);
  add(act, 'code', { code: '48767-8', displayName: 'Commentaire', ...LOINC });
  add(add(act, 'text'), 'reference', { value: `#${narrativeId}` });
  add(act, 'statusCode', { code: 'completed' });
}

/** Ids of the PDF-copy elements, derived from the document id (unique with it). */
const derivedId = (documentId: Identifier, suffix: string): Identifier => ({
  root: documentId.root,
  extension: documentId.extension ? `${documentId.extension}.${suffix}` : suffix,
});

/** Section FR-Document-PDF-copie: organizer FR-Document-attache with type and observationMedia. */
function pdfCopy(section: Element, pdf: Uint8Array, documentId: Identifier): void {
  templates(section, T.pdfCopySection);
  ii(section, 'id', derivedId(documentId, 'copie-pdf'));
  add(section, 'code', { code: '55108-5', displayName: 'Copie du document', ...LOINC });
  add(section, 'title', undefined, 'Copie du document');
  const td = add(add(add(add(add(section, 'text'), 'table', { border: '0' }), 'tbody'), 'tr'), 'td', { ID: 'copie-pdf-texte' });
  add(td, 'renderMultiMedia', { referencedObject: 'copie-pdf' });
  const organizer = add(add(section, 'entry'), 'organizer', { classCode: 'CLUSTER', moodCode: 'EVN' });
  templates(organizer, T.attachedDocument);
  ii(organizer, 'id', derivedId(documentId, 'copie-pdf.document'));
  add(organizer, 'code', { code: '55107-7', displayName: 'Document attaché', ...LOINC });
  add(organizer, 'statusCode', { code: 'completed' });
  const type = add(add(organizer, 'component'), 'observation', { classCode: 'OBS', moodCode: 'EVN' });
  templates(type, T.simpleObservation, T.simpleObservationFr, T.attachedDocumentType);
  ii(type, 'id', derivedId(documentId, 'copie-pdf.type'));
  add(type, 'code', { code: '69764-9', displayName: 'Type de document', ...LOINC });
  add(add(type, 'text'), 'reference', { value: '#copie-pdf-texte' });
  add(type, 'statusCode', { code: 'completed' });
  add(type, 'effectiveTime', { nullFlavor: 'NA' });
  add(type, 'value', { 'xsi:type': 'CD', code: '55108-5', displayName: 'Copie du document', ...LOINC });
  const media = add(add(organizer, 'component'), 'observationMedia', { classCode: 'OBS', moodCode: 'EVN', ID: 'copie-pdf' });
  addSerializedText(add(media, 'value', { mediaType: 'application/pdf', representation: 'B64' }), toBase64(pdf));
}
