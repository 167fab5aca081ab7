/**
 * Builds an IHE XDM archive (ITI-32 "Distribute Document Set on Media", ZIP over e-mail option;
 * IHE ITI TF-1 §16, ITI TF-2b §3.32; mssante.md §4):
 *
 * ```
 * README.TXT                      who made the archive (sender, application, contact)
 * INDEX.HTM                       links to every file, readable in a browser
 * IHE_XDM/SUBSET01/METADATA.XML   lcm:SubmitObjectsRequest (formats/xds + URI slots)
 * IHE_XDM/SUBSET01/DOC00001.XML   each CDA document described in the metadata
 * IHE_XDM/SUBSET01/DOC00002.PDF   optional readable renderings (not described in the metadata)
 * ```
 *
 * Readable PDFs are files of the subset referenced by INDEX.HTM only: they are renderings of the
 * CDA documents (a level-1 CDA already embeds the same PDF), not documents of their own, so they
 * get no DocumentEntry (no uniqueId of their own exists to give them). Pure (no I/O) and never
 * throws; the archive is written synchronously (zip.ts), `buildXdmArchive` still returns a
 * Promise so that its callers need not change.
 */
import { deriveDocumentEntry, type DeriveOptions, type DocumentEntry, type SubmissionSetInput } from '../xds/index.ts';
import { parseCdaHeader, type CdaHeader } from '../cda/index.ts';
import { fail, ok, type Result } from '../result.ts';
import { documentFileName, subsetPath, XDM_INDEX, XDM_METADATA, XDM_README, XDM_SUBSET } from './layout.ts';
import { buildXdmMetadata } from './metadata.ts';
import { writeZip } from './zip.ts';

export interface XdmDocument {
  /** Exact bytes of the CDA document (the hash and size of `entry` must be theirs). */
  bytes: Uint8Array;
  entry: DocumentEntry;
  /** Default `Document01`, `Document02`… */
  entryUuid?: string;
  /** entryUUID of the replaced entry when `entry.replaces` is set (RPLC). */
  replacesEntryUuid?: string;
}

export interface XdmReadme {
  /** Establishment or sender name, e.g. `Centre hospitalier de test`. */
  sender: string;
  application: string;
  version: string;
  /** Contact line (e-mail address, phone). */
  contact?: string;
}

export interface XdmArchiveInput {
  submissionSet: SubmissionSetInput;
  documents: XdmDocument[];
  /** Readable renderings added to the subset (not described in METADATA.XML). */
  readablePdfs?: Uint8Array[];
  /** E-mail addresses of the recipients (intendedRecipient slot). */
  intendedRecipients?: string[];
  readme: XdmReadme;
  /** Timestamp of the ZIP entries. */
  time: Date;
}

export interface XdmArchive {
  zip: Uint8Array;
  metadataXml: string;
  /** Paths inside the archive, in order. */
  paths: string[];
}

const CRLF = '\r\n';
/** formatCode of a level 1 CDA wrapping a PDF (IHE XDS-SD). */
const XDS_SD_PDF = 'urn:ihe:iti:xds-sd:pdf:2008';
const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const oneLine = (s: string): string => s.replace(/[\r\n\t]+/g, ' ').trim();

function readmeText(r: XdmReadme, time: Date, files: string[]): string {
  const lines = [
    'IHE XDM - Distribute Document Set on Media (IHE ITI TF-1 section 16)',
    '',
    `Emetteur : ${oneLine(r.sender)}`,
    `Application : ${oneLine(r.application)} ${oneLine(r.version)}`,
    ...(r.contact ? [`Contact : ${oneLine(r.contact)}`] : []),
    `Date de creation : ${time.toISOString()}`,
    '',
    'Contenu :',
    ...files.map((f) => `  ${f}`),
    '',
    `Ouvrir ${XDM_INDEX} dans un navigateur pour consulter les documents.`,
  ];
  return lines.join(CRLF) + CRLF;
}

function indexHtml(r: XdmReadme, entries: Array<{ path: string; title: string }>): string {
  const items = entries.map((e) => `<li><a href="${escapeHtml(e.path)}">${escapeHtml(e.title)}</a> (${escapeHtml(e.path)})</li>`).join('\n');
  return [
    '<!DOCTYPE html>',
    '<html lang="fr"><head><meta charset="UTF-8"><title>Documents transmis</title></head><body>',
    `<h1>Documents transmis par ${escapeHtml(oneLine(r.sender))}</h1>`,
    `<ul>\n${items}\n</ul>`,
    `<p>Archive IHE XDM produite par ${escapeHtml(oneLine(r.application))} ${escapeHtml(oneLine(r.version))}.</p>`,
    '</body></html>',
    '',
  ].join('\n');
}

/** Builds `IHE_XDM.ZIP`; an error names the input field and the rule. */
export async function buildXdmArchive(input: XdmArchiveInput): Promise<Result<XdmArchive>> {
  if (typeof input !== 'object' || input === null) return fail('xdm', 'an object is required');
  if (!Array.isArray(input.documents) || input.documents.length === 0) return fail('documents', 'at least one CDA document is required');
  if (!(input.time instanceof Date) || Number.isNaN(input.time.getTime())) return fail('time', 'a valid date is required');
  const readme = input.readme;
  if (typeof readme !== 'object' || readme === null || !readme.sender?.trim() || !readme.application?.trim() || !readme.version?.trim()) {
    return fail('readme', 'sender, application and version are required');
  }
  const pdfs = input.readablePdfs ?? [];
  const names: string[] = [];
  for (const [i, d] of input.documents.entries()) {
    if (!(d?.bytes instanceof Uint8Array) || d.bytes.byteLength === 0) return fail(`documents[${i}].bytes`, 'the CDA bytes are required');
    if (d.entry?.size !== d.bytes.byteLength) return fail(`documents[${i}].entry.size`, `is ${String(d.entry?.size)} but the document has ${d.bytes.byteLength} bytes`);
    names.push(documentFileName(names.length + 1, 'XML'));
  }
  const pdfNames: string[] = [];
  for (const [i, p] of pdfs.entries()) {
    if (!(p instanceof Uint8Array) || p.byteLength === 0) return fail(`readablePdfs[${i}]`, 'empty PDF');
    if (Buffer.from(p.subarray(0, 5)).toString('latin1') !== '%PDF-') return fail(`readablePdfs[${i}]`, 'not a PDF (no %PDF- header)');
    pdfNames.push(documentFileName(names.length + pdfNames.length + 1, 'PDF'));
  }
  const metadata = buildXdmMetadata({
    submissionSet: input.submissionSet,
    entries: input.documents.map((d, i) => ({
      entryUuid: d.entryUuid ?? `Document${String(i + 1).padStart(2, '0')}`,
      entry: d.entry,
      ...(d.replacesEntryUuid !== undefined ? { replacesEntryUuid: d.replacesEntryUuid } : {}),
    })),
    uris: names,
    ...(input.intendedRecipients ? { intendedRecipients: input.intendedRecipients } : {}),
  });
  if (!metadata.ok) return metadata;

  const subsetFiles = [
    { path: subsetPath(XDM_SUBSET, XDM_METADATA), bytes: new TextEncoder().encode(metadata.value) },
    // A level 1 document (XDS-SD) is mostly the base64 of its PDF: deflate would save a quarter
    // of it at the highest CPU cost of the archive, so it is stored as is.
    ...input.documents.map((d, i) => ({ path: subsetPath(XDM_SUBSET, names[i]!), bytes: d.bytes, stored: d.entry.formatCode.code === XDS_SD_PDF })),
    // A PDF's streams are compressed already: deflating it again costs time and saves nothing.
    ...pdfs.map((p, i) => ({ path: subsetPath(XDM_SUBSET, pdfNames[i]!), bytes: p, stored: true })),
  ];
  const listed = [
    ...input.documents.map((d, i) => ({ path: subsetPath(XDM_SUBSET, names[i]!), title: d.entry.title })),
    ...pdfs.map((_, i) => ({ path: subsetPath(XDM_SUBSET, pdfNames[i]!), title: 'Version lisible (PDF)' })),
    { path: subsetPath(XDM_SUBSET, XDM_METADATA), title: 'Métadonnées XDS' },
  ];
  const paths = [XDM_README, XDM_INDEX, ...subsetFiles.map((f) => f.path)];
  const files = [
    { path: XDM_README, bytes: new TextEncoder().encode(readmeText(readme, input.time, paths)) },
    { path: XDM_INDEX, bytes: new TextEncoder().encode(indexHtml(readme, listed)) },
    ...subsetFiles,
  ];
  const zip = writeZip(files, input.time);
  if (!zip.ok) return zip;
  return ok({ zip: zip.value, metadataXml: metadata.value, paths });
}

/**
 * One XDM document from the exact bytes of a CDA: derives its DocumentEntry (documents.md §6)
 * with the visibility flags chosen for this sending, from `header` when the caller already read
 * it (it must be these bytes' header), else by parsing the bytes. A document without a
 * qualified INS (MSSanté allows it) gets the IPP as patientId (`…^^^&<OID>&ISO^PI`).
 */
export function xdmDocumentFromCda(bytes: Uint8Array, options: DeriveOptions & { header?: CdaHeader } = {}): Result<XdmDocument> {
  if (!(bytes instanceof Uint8Array)) return fail('cda', 'bytes are required');
  const header = options.header ? ok(options.header) : parseCdaHeader(new TextDecoder().decode(bytes));
  if (!header.ok) return header;
  const cda = header.value;
  const ipp = cda.patient.ipp;
  if (cda.patient.ins || !ipp?.extension) {
    const entry = deriveDocumentEntry(cda, bytes, options);
    return entry.ok ? ok({ bytes, entry: entry.value }) : entry;
  }
  // Without a qualified INS (allowed for MSSanté, mssante.md §1) the patient is named by the IPP.
  const entry = deriveDocumentEntry({ ...cda, patient: { ...cda.patient, ins: { matricule: ipp.extension, oid: ipp.root } } }, bytes, options);
  if (!entry.ok) return entry;
  const local = `${ipp.extension.replace(/[\\^&~|]/g, ' ')}^^^&${ipp.root}&ISO^PI`;
  return ok({ bytes, entry: { ...entry.value, patientId: local, sourcePatientId: local } });
}
