/**
 * PDF/A-2b rendering of the exit documents (LDL, CRO, ordonnance…; documents.md §1, §4).
 *
 * Page 1 carries the establishment, the patient banner with the traits INS and — for a
 * qualified identity only — the matricule INS with its nature and the DataMatrix INS
 * (identity.md §8; a document about a non-qualified identity must not carry matricule + OID).
 * Every page repeats the patient's identity and "Page n / N" in its footer.
 *
 * PDF/A-2b: PDF 1.7, every font embedded (DejaVu, shipped in the repository), sRGB output
 * intent and XMP metadata with pdfaid part 2 conformance B (both written by pdfkit's
 * `subset: 'PDF/A-2b'`), no encryption, no transparency. The document info (title, author,
 * subject, creation date) and so the file identifier are deterministic when `creationDate`
 * is given.
 */
import PDFDocument from 'pdfkit';
import { encodeInsPayload } from '../datamatrix/payload.ts';
import { insSymbolMatrix, type DataMatrixSymbol } from '../datamatrix/symbol.ts';
import { firstGivenName, type InsTraits } from '../ins/traits.ts';
import { fail, ok, type Result } from '../result.ts';
import { embeddedFonts, FONT_BOLD, FONT_REGULAR, type EmbeddedFonts } from './fonts.ts';
import { formatDate, formatIsoDate, insAuthorityLabel, sexLabel } from './labels.ts';
import { drawDataMatrix } from './symbol.ts';

export interface DocumentSection {
  heading: string;
  paragraphs: string[];
}

export interface DocumentPatient {
  traits: InsTraits;
  /** Identifiant permanent du patient in the establishment. */
  ipp: string;
  /**
   * The INS, to be given for a QUALIFIED identity only: it prints the matricule, its nature
   * and the DataMatrix INS. Absent: neither is printed.
   */
  ins?: { matricule: string; oid: string };
  /** Identity status as shown to staff, e.g. "Identité qualifiée". */
  status: string;
  /** Nom utilisé, when it differs from the nom de naissance. */
  usedName?: string;
  /** Prénom utilisé, when it differs from the premier prénom. */
  usedGivenName?: string;
}

export interface DocumentPdfInput {
  title: string;
  /** Label of the document type, e.g. "Lettre de liaison à la sortie". */
  documentType: string;
  establishment: { name: string; address?: string; finess: string };
  patient: DocumentPatient;
  author: { name: string; specialty?: string; rpps?: string };
  /** Date of the document (shown as the date in France). */
  date: Date;
  sections: DocumentSection[];
  /** Extra line printed in every footer. */
  footer?: string;
  /** Creation date of the PDF file (document info and XMP); now when absent. */
  creationDate?: Date;
}

const PAGE = { size: 'A4', margins: { top: 42, bottom: 64, left: 48, right: 48 } } as const;
const COLOR = { text: '#000000', muted: '#555555', rule: '#8c8c8c' } as const;
/** 1.5 pt ≈ 0.53 mm per module: 36 modules ≈ 19 mm. */
const MODULE_SIZE = 1.5;
const BANNER_PADDING = 8;
const SYMBOL_CAPTION = 'DataMatrix INS';

/** Renders the document; fails (never throws) on an INS that the DataMatrix cannot carry. */
export async function renderDocumentPdf(input: DocumentPdfInput): Promise<Result<Uint8Array>> {
  let fonts: EmbeddedFonts;
  try {
    fonts = embeddedFonts();
  } catch (error) {
    return fail('PDF', `cannot load the embedded fonts: ${error instanceof Error ? error.message : String(error)}`);
  }
  return renderDocumentPdfWith(fonts, input);
}

/** Same, with given fonts (private to the folder: tests). */
export async function renderDocumentPdfWith(fonts: EmbeddedFonts, input: DocumentPdfInput): Promise<Result<Uint8Array>> {
  let symbol: DataMatrixSymbol | undefined;
  if (input.patient.ins) {
    const { traits, ins } = input.patient;
    const payload = encodeInsPayload({ ...traits, matricule: ins.matricule, oid: ins.oid });
    if (!payload.ok) return fail(`DataMatrix INS ${payload.error.field}`, payload.error.rule);
    const matrix = insSymbolMatrix(payload.value);
    if (!matrix.ok) return matrix;
    symbol = matrix.value;
  }
  try {
    return ok(await render(fonts, input, symbol));
  } catch (error) {
    return fail('PDF', `cannot render: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function render(fonts: EmbeddedFonts, input: DocumentPdfInput, symbol: DataMatrixSymbol | undefined): Promise<Uint8Array> {
  const doc = new PDFDocument({
    // The initial font, so that pdfkit never loads its default Helvetica (not embeddable).
    font: fonts.get(FONT_REGULAR) as string,
    size: PAGE.size,
    margins: { ...PAGE.margins },
    pdfVersion: '1.7',
    subset: 'PDF/A-2b',
    lang: 'fr-FR',
    displayTitle: true,
    bufferPages: true,
    autoFirstPage: false,
    info: {
      Title: metadataText(input.title),
      Author: metadataText(input.author.name),
      Subject: metadataText(input.documentType),
      Creator: 'Passerelle',
      Producer: 'Passerelle (PDFKit)',
      CreationDate: input.creationDate ?? new Date(),
    },
  });
  const chunks: Uint8Array[] = [];
  const done = new Promise<Uint8Array>((resolve, reject) => {
    doc.on('data', (chunk: Uint8Array) => chunks.push(chunk));
    doc.on('end', () => resolve(concat(chunks)));
    doc.on('error', reject);
  });
  for (const [name, font] of fonts) doc.registerFont(name, font);
  doc.addPage();
  doc.font(FONT_REGULAR).fillColor(COLOR.text);

  drawHeader(doc, input);
  drawPatientBanner(doc, input.patient, symbol);
  drawTitle(doc, input);
  for (const section of input.sections) drawSection(doc, section);
  drawFooters(doc, input);
  doc.end();
  return done;
}

const contentWidth = (doc: PDFKit.PDFDocument): number => doc.page.width - doc.page.margins.left - doc.page.margins.right;

function drawHeader(doc: PDFKit.PDFDocument, input: DocumentPdfInput): void {
  const left = doc.page.margins.left;
  const top = doc.page.margins.top;
  const width = contentWidth(doc);
  const leftWidth = width * 0.6;
  const { establishment } = input;

  doc.font(FONT_BOLD).fontSize(11).fillColor(COLOR.text).text(establishment.name, left, top, { width: leftWidth });
  doc.font(FONT_REGULAR).fontSize(8.5).fillColor(COLOR.muted);
  if (establishment.address) doc.text(establishment.address, { width: leftWidth });
  doc.text(`FINESS : ${establishment.finess}`, { width: leftWidth });
  const leftBottom = doc.y;

  const rightX = left + leftWidth;
  const rightWidth = width - leftWidth;
  doc.font(FONT_BOLD).fontSize(10).fillColor(COLOR.text).text(input.documentType, rightX, top, { width: rightWidth, align: 'right' });
  doc.font(FONT_REGULAR).fontSize(9).text(`Date : ${formatDate(input.date)}`, { width: rightWidth, align: 'right' });
  doc.x = left;
  doc.y = Math.max(leftBottom, doc.y) + 10;
}

/** Patient banner: traits INS, IPP, status; matricule INS and DataMatrix for a qualified identity. */
function drawPatientBanner(doc: PDFKit.PDFDocument, patient: DocumentPatient, symbol: DataMatrixSymbol | undefined): void {
  const left = doc.page.margins.left;
  const width = contentWidth(doc);
  const top = doc.y;
  const { traits } = patient;
  const symbolSide = symbol ? symbol.size * MODULE_SIZE : 0;
  // Text keeps away from the symbol by more than the quiet zone.
  const textWidth = width - 2 * BANNER_PADDING - (symbol ? symbolSide + 14 : 0);
  const textX = left + BANNER_PADDING;

  doc.font(FONT_BOLD).fontSize(13).fillColor(COLOR.text)
    .text(`${traits.birthName} ${firstGivenName(traits.birthGivenNames)}`, textX, top + BANNER_PADDING, { width: textWidth });
  doc.moveDown(0.2);
  const line = (label: string, value: string, bold = false): void => {
    doc.font(FONT_REGULAR).fontSize(9).fillColor(COLOR.muted).text(`${label} : `, { width: textWidth, continued: true })
      .font(bold ? FONT_BOLD : FONT_REGULAR).fillColor(COLOR.text).text(value);
  };
  line('Prénoms de naissance', traits.birthGivenNames);
  if (patient.usedName) line('Nom utilisé', patient.usedName);
  if (patient.usedGivenName) line('Prénom utilisé', patient.usedGivenName);
  line('Sexe', sexLabel(traits.sex));
  line(traits.sex === 'F' ? 'Née le' : traits.sex === 'M' ? 'Né le' : 'Né(e) le', formatIsoDate(traits.birthDate));
  line('Lieu de naissance (code COG)', traits.birthplace ? traits.birthplace : 'non renseigné');
  line('IPP', patient.ipp);
  line("Statut de l'identité", patient.status);
  if (patient.ins) line('Matricule INS', `${patient.ins.matricule} (${insAuthorityLabel(patient.ins.oid)})`, true);
  let bottom = doc.y;

  if (symbol) {
    const symbolX = left + width - BANNER_PADDING - symbolSide;
    const symbolY = top + BANNER_PADDING + MODULE_SIZE;
    drawDataMatrix(doc, symbol, symbolX, symbolY, MODULE_SIZE);
    doc.font(FONT_REGULAR).fontSize(7).fillColor(COLOR.muted)
      .text(SYMBOL_CAPTION, symbolX - 10, symbolY + symbolSide + 3, { width: symbolSide + 20, align: 'center', lineBreak: false });
    bottom = Math.max(bottom, symbolY + symbolSide + 12);
  }
  bottom += BANNER_PADDING;
  doc.lineWidth(0.8).strokeColor(COLOR.rule).roundedRect(left, top, width, bottom - top, 4).stroke();
  doc.fillColor(COLOR.text);
  doc.x = left;
  doc.y = bottom + 14;
}

function drawTitle(doc: PDFKit.PDFDocument, input: DocumentPdfInput): void {
  const left = doc.page.margins.left;
  const width = contentWidth(doc);
  doc.font(FONT_BOLD).fontSize(15).fillColor(COLOR.text).text(input.title, left, doc.y, { width });
  const { author } = input;
  const parts = [author.name];
  if (author.specialty) parts.push(author.specialty);
  if (author.rpps) parts.push(`RPPS ${author.rpps}`);
  doc.moveDown(0.2).font(FONT_REGULAR).fontSize(9).fillColor(COLOR.muted).text(`Auteur : ${parts.join(' — ')}`, { width });
  doc.moveDown(0.4);
  const y = doc.y;
  doc.lineWidth(0.5).strokeColor(COLOR.rule).moveTo(left, y).lineTo(left + width, y).stroke();
  doc.fillColor(COLOR.text);
  doc.y = y + 8;
}

function drawSection(doc: PDFKit.PDFDocument, section: DocumentSection): void {
  const left = doc.page.margins.left;
  const width = contentWidth(doc);
  doc.font(FONT_BOLD).fontSize(11.5);
  // Keep a heading with the first lines of its text.
  const headingHeight = doc.heightOfString(section.heading, { width });
  if (doc.y + headingHeight + 3 * doc.currentLineHeight(true) > doc.page.maxY()) doc.addPage();
  doc.fillColor(COLOR.text).text(section.heading, left, doc.y + 4, { width });
  doc.moveDown(0.3);
  doc.font(FONT_REGULAR).fontSize(10);
  for (const paragraph of section.paragraphs) {
    doc.text(paragraph, left, doc.y, { width, lineGap: 1.5, paragraphGap: 5 });
  }
  doc.moveDown(0.4);
}

/** On every page: optional footer line, identity reminder, "Page n / N". */
function drawFooters(doc: PDFKit.PDFDocument, input: DocumentPdfInput): void {
  const { traits, ipp } = input.patient;
  const born = traits.sex === 'F' ? 'née' : traits.sex === 'M' ? 'né' : 'né(e)';
  const identity = `${traits.birthName} ${firstGivenName(traits.birthGivenNames)} · ${born} le ${formatIsoDate(traits.birthDate)} · IPP ${ipp}`;
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i += 1) {
    doc.switchToPage(i);
    const { margins, width: pageWidth, height } = doc.page;
    const width = pageWidth - margins.left - margins.right;
    const bottomMargin = margins.bottom;
    // Writing inside the bottom margin must not open a new page.
    margins.bottom = 0;
    const ruleY = height - bottomMargin + 14;
    doc.lineWidth(0.5).strokeColor(COLOR.rule).moveTo(margins.left, ruleY).lineTo(margins.left + width, ruleY).stroke();
    doc.font(FONT_REGULAR).fontSize(7.5).fillColor(COLOR.muted);
    const pageLabel = `Page ${i - range.start + 1} / ${range.count}`;
    const pageLabelWidth = doc.widthOfString(pageLabel);
    const textWidth = width - pageLabelWidth - 12;
    doc.text(identity, margins.left, ruleY + 5, { width: textWidth, lineBreak: false, ellipsis: true });
    doc.text(pageLabel, margins.left + width - pageLabelWidth, ruleY + 5, { width: pageLabelWidth + 1, lineBreak: false });
    if (input.footer) doc.text(input.footer, margins.left, ruleY + 16, { width: textWidth, lineBreak: false, ellipsis: true });
    margins.bottom = bottomMargin;
  }
}

/**
 * pdfkit copies the document info into the XMP packet without XML escaping: keep the three
 * XML-special characters out so that the packet stays well-formed and equal to the info.
 */
const metadataText = (value: string): string =>
  value.replace(/[\x00-\x1f]+/g, ' ').replace(/&/g, ' et ').replace(/</g, '‹').replace(/>/g, '›').replace(/\s+/g, ' ').trim();

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
