/**
 * CR-BIO checks of `checkCda` (documents.md §5, §8; the error asserts of the volet schematron
 * `CI-SIS_BIO-CR-BIO_2024.01.sch` that matter for the DMP), applied when the document code is
 * 11502-2 and the header carries the volet templateId 1.2.250.1.213.1.1.1.55. Rules in French.
 *
 * The volet version is not written in the header, so the 2024.01 rule "PDF-copy section
 * mandatory" applies to every CR-BIO N3: 2021.01 documents (no PDF copy) are reported.
 */
import type { Element } from '@xmldom/xmldom';
import { CR_BIO_CODE, CR_BIO_OID as T, CR_BIO_TEMPLATE_IDS, CR_BIO_TITLE, INTERPRETATIONS } from './cr-bio-model.ts';
import { at, attr, isElement, kid, kids, NS, textOf } from './xml.ts';

type Report = (field: string, rule: string) => void;

const DOC = '/ClinicalDocument';
const ALLOWED_SECTIONS = [T.chapterSection, T.secondIntentionSection, T.commentSection, T.recommendationSection, T.pdfCopySection, T.vaccinationSection];

const templateRoots = (e: Element | undefined): string[] => kids(e, 'templateId').map((t) => attr(t, 'root') ?? '');
const hasTemplate = (e: Element | undefined, root: string): boolean => templateRoots(e).includes(root);

/** True when the document declares itself a CR-BIO N3 (code 11502-2 and the volet templateId). */
export function isCrBio(root: Element): boolean {
  return attr(kid(root, 'code'), 'code') === CR_BIO_CODE && hasTemplate(root, T.volet);
}

/**
 * The volet rules apply to a structured CR-BIO; a level 1 body that declares the volet
 * templateId is already reported by the N1 rule (exactly three templateIds).
 */
export const isCrBioN3 = (root: Element): boolean => isCrBio(root) && !at(root, 'component/nonXMLBody');

/** XPath of an element below ClinicalDocument, with positions where siblings share the name. */
export function pathOf(element: Element, root: Element): string {
  const steps: string[] = [];
  for (let e: Element | null = element; e && e !== root; e = e.parentNode as Element | null) {
    if (!isElement(e)) break;
    const parent = e.parentNode as Element | null;
    const same = parent ? kids(parent, e.localName ?? undefined, e.namespaceURI ?? NS.hl7) : [e];
    steps.unshift(same.length > 1 ? `${e.localName}[${same.indexOf(e) + 1}]` : (e.localName ?? ''));
  }
  return `${DOC}/${steps.join('/')}`;
}

/** Every HL7 descendant element named `localName`, in document order. */
function descendants(e: Element, localName: string, out: Element[] = []): Element[] {
  for (const child of kids(e)) {
    if (child.localName === localName) out.push(child);
    descendants(child, localName, out);
  }
  return out;
}

/** All `ID` attribute values of the document (narrative targets). */
function narrativeIds(root: Element): Set<string> {
  const ids = new Set<string>();
  const walk = (e: Element): void => {
    const id = e.getAttribute('ID');
    if (id) ids.add(id);
    for (let n = e.firstChild; n; n = n.nextSibling) if (isElement(n)) walk(n);
  };
  walk(root);
  return ids;
}

export function checkCrBio(root: Element, report: Report): void {
  const title = textOf(kid(root, 'title'));
  if (title !== CR_BIO_TITLE) report(`${DOC}/title`, `le titre d'un CR-BIO est exactement « ${CR_BIO_TITLE} »`);
  const roots = templateRoots(root);
  for (const required of CR_BIO_TEMPLATE_IDS) {
    if (!roots.includes(required)) report(`${DOC}/templateId`, `un CR-BIO déclare le templateId ${required}`);
  }
  const structured = at(root, 'component/structuredBody');
  if (!structured) {
    report(`${DOC}/component/structuredBody`, 'un CR-BIO de niveau 3 a un corps structuré (structuredBody)');
    return;
  }
  const sections = kids(structured, 'component').map((c) => kid(c, 'section')).filter((s): s is Element => s !== undefined);
  sections.forEach((s, i) => {
    if (!ALLOWED_SECTIONS.some((r) => hasTemplate(s, r))) {
      report(`${DOC}/component/structuredBody/component[${i + 1}]/section`, 'section de premier niveau non prévue par le volet CR-BIO (chapitre, seconde intention, commentaire, motif de recommandation, copie PDF, vaccinations)');
    }
  });
  if (!sections.some((s) => hasTemplate(s, T.chapterSection))) {
    report(`${DOC}/component/structuredBody`, `au moins une section chapitre de biologie (templateId ${T.chapterSection})`);
  }
  const pdf = sections.find((s) => hasTemplate(s, T.pdfCopySection));
  if (!pdf) {
    report(`${DOC}/component/structuredBody`, `la section « Copie du document » (templateId ${T.pdfCopySection}, code 55108-5) est obligatoire depuis la version 2024.01`);
  } else {
    pdfCopy(pdf, root, report);
  }
  const ids = narrativeIds(root);
  for (const obs of descendants(structured, 'observation')) {
    if (hasTemplate(obs, T.result)) result(obs, root, ids, report);
  }
}

function pdfCopy(section: Element, root: Element, report: Report): void {
  const f = pathOf(section, root);
  if (attr(kid(section, 'code'), 'code') !== '55108-5') report(`${f}/code`, 'la section « Copie du document » a le code LOINC 55108-5');
  const media = descendants(section, 'observationMedia').map((m) => kid(m, 'value'));
  const pdfValue = media.find((v) => attr(v, 'mediaType') === 'application/pdf');
  if (!pdfValue || !textOf(pdfValue)) report(`${f}/entry/organizer/component/observationMedia/value`, 'la copie PDF du compte rendu (observationMedia, mediaType application/pdf, base64) est obligatoire');
}

function result(obs: Element, root: Element, ids: Set<string>, report: Report): void {
  const f = pathOf(obs, root);
  const code = kid(obs, 'code');
  if (attr(code, 'code') !== undefined) {
    if (!attr(code, 'codeSystem') || !attr(code, 'displayName')) {
      report(`${f}/code`, 'le code de l\'analyse porte @code, @displayName et @codeSystem (LOINC)');
    }
  } else {
    const translation = kid(code, 'translation');
    if (!code || !kid(code, 'originalText') || !attr(translation, 'code') || !attr(translation, 'codeSystem')) {
      report(`${f}/code`, "une analyse sans code LOINC porte originalText et une translation avec @code et @codeSystem (code d'attente national ou code local)");
    }
  }
  const ref = attr(at(code, 'originalText/reference'), 'value');
  if (ref !== undefined && ref.startsWith('#') && !ids.has(ref.slice(1))) {
    report(`${f}/code/originalText/reference`, `la référence ${ref} ne désigne aucun élément du texte narratif`);
  }
  const status = attr(kid(obs, 'statusCode'), 'code');
  if (status !== 'completed' && status !== 'aborted') report(`${f}/statusCode`, 'statusCode completed ou aborted');
  if (kids(obs, 'referenceRange').length > 1) report(`${f}/referenceRange`, 'au plus un intervalle de référence (referenceRange)');
  for (const interpretation of kids(obs, 'interpretationCode')) {
    const c = attr(interpretation, 'code');
    if (c === undefined && attr(interpretation, 'nullFlavor') !== undefined) continue;
    if (c === undefined || !Object.prototype.hasOwnProperty.call(INTERPRETATIONS, c) || attr(interpretation, 'codeSystem') !== T.interpretation) {
      report(`${f}/interpretationCode`, `interprétation hors du jeu de valeurs HL7 ObservationInterpretation (${T.interpretation}) : ${c ?? '(absent)'}`);
    }
  }
  for (const value of kids(obs, 'value')) {
    if (value.getAttributeNS(NS.xsi, 'type') === 'PQ' && attr(value, 'value') !== undefined && !attr(value, 'unit')) {
      report(`${f}/value`, 'une valeur numérique (PQ) porte son unité UCUM (@unit)');
    }
  }
}
