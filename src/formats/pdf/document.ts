/**
 * PDF/A-2b rendering of the exit documents (LDL, CRO, ordonnance…; documents.md §1, §4).
 *
 * Page 1 carries the establishment, the patient banner with the traits INS and — for a
 * qualified identity only — the matricule INS with its nature and the DataMatrix INS
 * (identity.md §8; a document about a non-qualified identity must not carry matricule + OID).
 * Every page repeats the patient's identity and "Page n / N" in its footer.
 *
 * PDF/A-2b (pdfa.ts): PDF 1.7, every font embedded (DejaVu, shipped in the repository), sRGB
 * output intent, XMP metadata with pdfaid part 2 conformance B, no encryption, no
 * transparency. The file is byte-for-byte reproducible when `creationDate` is given.
 *
 * Written by our own PDF writer (file.ts, page.ts, text-layout.ts) rather than pdfkit: laying
 * out and writing a two-page letter costs well under a millisecond of our own code, where
 * pdfkit spent ≈ 20 ms — the difference between a few dozen and several hundred documents per
 * second per core.
 */
import { encodeInsPayload } from '../datamatrix/payload.ts';
import { insSymbolMatrix, type DataMatrixSymbol } from '../datamatrix/symbol.ts';
import { firstGivenName, type InsTraits } from '../ins/traits.ts';
import { fail, ok, type Result } from '../result.ts';
import { EmbeddedFont } from './embedded-font.ts';
import { Flow } from './flow.ts';
import { embeddedFonts, FONT_BOLD, FONT_REGULAR, type EmbeddedFonts } from './fonts.ts';
import { formatDate, formatIsoDate, insAuthorityLabel, sexLabel } from './labels.ts';
import { writePdfA } from './pdfa.ts';
import { drawDataMatrix } from './symbol.ts';
import { singleLine, wrapText, type TextRun, type TextStyle } from './text-layout.ts';

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

/** A4 in points, margins in points. */
const PAGE = { width: 595.28, height: 841.89, margins: { top: 42, bottom: 64, left: 48, right: 48 } } as const;
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
    return ok(render(fonts, input, symbol));
  } catch (error) {
    return fail('PDF', `cannot render: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The styles of the document, over this document's two embedded fonts. */
function stylesOf(regular: EmbeddedFont, bold: EmbeddedFont) {
  const style = (font: EmbeddedFont, size: number, color: string = COLOR.text): TextStyle => ({ font, size, color });
  return {
    establishment: style(bold, 11),
    establishmentDetail: style(regular, 8.5, COLOR.muted),
    documentType: style(bold, 10),
    date: style(regular, 9),
    patientName: style(bold, 13),
    bannerLabel: style(regular, 9, COLOR.muted),
    bannerValue: style(regular, 9),
    bannerValueBold: style(bold, 9),
    caption: style(regular, 7, COLOR.muted),
    title: style(bold, 15),
    author: style(regular, 9, COLOR.muted),
    heading: style(bold, 11.5),
    body: style(regular, 10),
    footer: style(regular, 7.5, COLOR.muted),
  };
}

type Styles = ReturnType<typeof stylesOf>;

function render(fonts: EmbeddedFonts, input: DocumentPdfInput, symbol: DataMatrixSymbol | undefined): Uint8Array {
  const regular = new EmbeddedFont(fonts.get(FONT_REGULAR)!, 'F1');
  const bold = new EmbeddedFont(fonts.get(FONT_BOLD)!, 'F2');
  const styles = stylesOf(regular, bold);
  const flow = new Flow(PAGE);

  drawHeader(flow, styles, input);
  drawPatientBanner(flow, styles, input.patient, symbol);
  drawTitle(flow, styles, input);
  for (const section of input.sections) drawSection(flow, styles, section);
  drawFooters(flow, styles, input);
  return writePdfA(flow.pages, [regular, bold], {
    title: metadataText(input.title),
    author: metadataText(input.author.name),
    subject: metadataText(input.documentType),
    creator: 'Passerelle',
    producer: 'Passerelle',
    creationDate: input.creationDate ?? new Date(),
    language: 'fr-FR',
  });
}

const run = (text: string, style: TextStyle): TextRun => ({ text, style });

function drawHeader(flow: Flow, styles: Styles, input: DocumentPdfInput): void {
  const top = flow.y;
  const leftWidth = flow.contentWidth * 0.6;
  const rightWidth = flow.contentWidth - leftWidth;
  const { establishment } = input;

  flow.lines(wrapText([run(establishment.name, styles.establishment)], leftWidth));
  if (establishment.address) flow.lines(wrapText([run(establishment.address, styles.establishmentDetail)], leftWidth));
  flow.lines(wrapText([run(`FINESS : ${establishment.finess}`, styles.establishmentDetail)], leftWidth));
  const leftBottom = flow.y;

  flow.y = top;
  const right = { x: flow.left + leftWidth, width: rightWidth, align: 'right' } as const;
  flow.lines(wrapText([run(input.documentType, styles.documentType)], rightWidth), right);
  flow.lines(wrapText([run(`Date : ${formatDate(input.date)}`, styles.date)], rightWidth), right);
  flow.y = Math.max(leftBottom, flow.y) + 10;
}

/** Patient banner: traits INS, IPP, status; matricule INS and DataMatrix for a qualified identity. */
function drawPatientBanner(flow: Flow, styles: Styles, patient: DocumentPatient, symbol: DataMatrixSymbol | undefined): void {
  const left = flow.left;
  const width = flow.contentWidth;
  const top = flow.y;
  const { traits } = patient;
  const symbolSide = symbol ? symbol.size * MODULE_SIZE : 0;
  // Text keeps away from the symbol by more than the quiet zone.
  const textWidth = width - 2 * BANNER_PADDING - (symbol ? symbolSide + 14 : 0);
  const column = { x: left + BANNER_PADDING, width: textWidth };

  flow.y = top + BANNER_PADDING;
  flow.lines(wrapText([run(`${traits.birthName} ${firstGivenName(traits.birthGivenNames)}`, styles.patientName)], textWidth), column);
  flow.y += 3;
  const line = (label: string, value: string, bold = false): void => {
    flow.lines(wrapText([run(`${label} : `, styles.bannerLabel), run(value, bold ? styles.bannerValueBold : styles.bannerValue)], textWidth), column);
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
  let bottom = flow.y;

  if (symbol) {
    const symbolX = left + width - BANNER_PADDING - symbolSide;
    const symbolY = top + BANNER_PADDING + MODULE_SIZE;
    drawDataMatrix(flow.page, symbol, symbolX, symbolY, MODULE_SIZE);
    const caption = singleLine(run(SYMBOL_CAPTION, styles.caption), symbolSide + 20);
    flow.page.text(caption, symbolX + (symbolSide - caption.width) / 2, symbolY + symbolSide + 3);
    bottom = Math.max(bottom, symbolY + symbolSide + 12);
  }
  bottom += BANNER_PADDING;
  flow.page.roundedRect(left, top, width, bottom - top, 4, 0.8, COLOR.rule);
  flow.y = bottom + 14;
}

function drawTitle(flow: Flow, styles: Styles, input: DocumentPdfInput): void {
  flow.lines(wrapText([run(input.title, styles.title)], flow.contentWidth));
  const { author } = input;
  const parts = [author.name];
  if (author.specialty) parts.push(author.specialty);
  if (author.rpps) parts.push(`RPPS ${author.rpps}`);
  flow.y += 3;
  flow.lines(wrapText([run(`Auteur : ${parts.join(' — ')}`, styles.author)], flow.contentWidth));
  flow.y += 4;
  flow.page.line(flow.left, flow.y, flow.left + flow.contentWidth, flow.y, 0.5, COLOR.rule);
  flow.y += 8;
}

function drawSection(flow: Flow, styles: Styles, section: DocumentSection): void {
  const width = flow.contentWidth;
  const heading = wrapText([run(section.heading, styles.heading)], width);
  const headingHeight = heading.reduce((n, l) => n + l.height, 0);
  // Keep a heading with the first lines of its text.
  const bodyLine = styles.body.font.face.lineHeight(styles.body.size) + 1.5;
  if (flow.y + 4 + headingHeight + 3 * bodyLine > flow.bottom) flow.addPage();
  else flow.y += 4;
  flow.lines(heading);
  flow.y += 4;
  for (const paragraph of section.paragraphs) {
    flow.lines(wrapText([run(paragraph, styles.body)], width), { lineGap: 1.5 });
    flow.y += 5;
  }
  flow.y += 5;
}

/** On every page: optional footer line, identity reminder, "Page n / N". */
function drawFooters(flow: Flow, styles: Styles, input: DocumentPdfInput): void {
  const { traits, ipp } = input.patient;
  const born = traits.sex === 'F' ? 'née' : traits.sex === 'M' ? 'né' : 'né(e)';
  const identity = `${traits.birthName} ${firstGivenName(traits.birthGivenNames)} · ${born} le ${formatIsoDate(traits.birthDate)} · IPP ${ipp}`;
  const { margins, height } = flow.geometry;
  const width = flow.contentWidth;
  const ruleY = height - margins.bottom + 14;
  flow.pages.forEach((page, i) => {
    page.line(margins.left, ruleY, margins.left + width, ruleY, 0.5, COLOR.rule);
    const pageLabel = singleLine(run(`Page ${i + 1} / ${flow.pages.length}`, styles.footer), width);
    const textWidth = width - pageLabel.width - 12;
    page.text(singleLine(run(identity, styles.footer), textWidth), margins.left, ruleY + 5);
    page.text(pageLabel, margins.left + width - pageLabel.width, ruleY + 5);
    if (input.footer) page.text(singleLine(run(input.footer, styles.footer), textWidth), margins.left, ruleY + 16);
  });
}

/** Document information and XMP carry plain text: control characters become spaces. */
const metadataText = (value: string): string => value.replace(/[\x00-\x1f\x7f]+/g, ' ').replace(/\s+/g, ' ').trim();
