/**
 * Reading one received MSSanté message (mssante.md §4, §6, §7): headers (X-MSS-*,
 * Disposition-Notification-To), receipts (DSN/MDN, receipts.ts), and for a document message
 * the `IHE_XDM.zip` archive (formats/xdm) with its CDA documents parsed, the bare PDFs, and the
 * patient as the documents name them.
 *
 * Patient checks give the MDN processing code the receiver should answer with when the
 * message cannot be integrated (900–906): 903 INS absente (no INS while X-MSS-INS says `O`, or
 * no INS nor traits at all), 904 INS incohérente (documents or header disagree), 905 INS
 * incomplète (INS without the traits that go with it). 902 (patient inconnu) is the platform's
 * to decide, after looking the identity up. Never throws: unreadable parts become `problems`.
 */
import { simpleParser, type AddressObject } from 'mailparser';
import { parseCda, type CdaDocument } from '../../formats/cda/index.ts';
import { describeError } from '../../formats/result.ts';
import { uniqueIdOf } from '../../formats/xds/index.ts';
import { readXdmArchive, type XdmContent } from '../../formats/xdm/index.ts';
import { normaliseAddress } from './addresses.ts';
import { hasQualifiedIns, X_MSS, XDM_SUBJECT_PREFIX } from './headers.ts';
import { readReceipts, type MdnProcessingCode, type ReceiptEvent } from './receipts.ts';

export interface ReceivedCda {
  /** Path in the archive. */
  path: string;
  bytes: Uint8Array;
  document?: CdaDocument;
  /** XDS uniqueId from the metadata, else from the CDA id. */
  uniqueId?: string;
  integrity: 'ok' | 'mismatch' | 'unknown';
  /** Why the CDA could not be read. */
  problem?: string;
}

export interface ReceivedPatient {
  matricule?: string;
  oid?: string;
  birthName?: string;
  firstGivenName?: string;
  birthDate?: string;
  sex?: string;
  ipp?: { root: string; extension?: string };
}

export interface ReceivedMessage {
  messageId?: string;
  from?: string;
  to: string[];
  subject: string;
  date?: Date;
  text?: string;
  /** X-MSS-* headers as received. */
  xMss: { codeCda?: string[]; ins?: string; nil?: string; mes?: string };
  /** Address an MDN is requested at (Disposition-Notification-To), when it matches Return-Path or no Return-Path is known. */
  mdnRequestedTo?: string;
  /** DSN / MDN carried by this message (then it is a receipt, not a document message). */
  receipts: ReceiptEvent[];
  isDocumentMessage: boolean;
  xdm?: Pick<XdmContent, 'warnings' | 'readme' | 'otherFiles'> & { intendedRecipients: string[] };
  cdas: ReceivedCda[];
  /** PDFs: those of the archive and those attached beside it. */
  pdfs: Array<{ name: string; bytes: Uint8Array }>;
  patient?: ReceivedPatient;
  /** MDN code when the message cannot be integrated as it is (900–906); undefined when fine. */
  processingError?: { code: MdnProcessingCode; detail: string };
  /** What went wrong while reading (English, for logs: no patient data). */
  problems: string[];
}

const addresses = (a: AddressObject | AddressObject[] | undefined): string[] =>
  (Array.isArray(a) ? a : a ? [a] : []).flatMap((o) => o.value.flatMap((v) => (v.address ? [normaliseAddress(v.address)] : [])));

const headerText = (value: unknown): string | undefined => {
  if (typeof value === 'string') return value.trim();
  if (value && typeof value === 'object' && 'text' in value && typeof (value as { text: unknown }).text === 'string') return (value as { text: string }).text.trim();
  if (value && typeof value === 'object' && 'value' in value) return String((value as { value: unknown }).value).trim();
  return undefined;
};

function patientOf(doc: CdaDocument): ReceivedPatient {
  const p = doc.patient;
  const out: ReceivedPatient = {};
  if (p.ins) {
    out.matricule = p.ins.matricule;
    out.oid = p.ins.oid;
  }
  if (p.birthName) out.birthName = p.birthName;
  const given = p.firstBirthGivenName ?? p.birthGivenNames?.split(' ')[0];
  if (given) out.firstGivenName = given;
  if (p.birthDate) out.birthDate = p.birthDate;
  if (p.sex) out.sex = p.sex;
  if (p.ipp) out.ipp = { root: p.ipp.root, ...(p.ipp.extension ? { extension: p.ipp.extension } : {}) };
  return out;
}

/** Reads a raw RFC 5322 message. */
export async function readReceivedMessage(raw: Buffer): Promise<ReceivedMessage> {
  const problems: string[] = [];
  const out: ReceivedMessage = { to: [], subject: '', xMss: {}, receipts: [], isDocumentMessage: false, cdas: [], pdfs: [], problems };
  let parsed;
  try {
    parsed = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true });
  } catch (error) {
    problems.push(`unparsable message: ${error instanceof Error ? error.message : String(error)}`);
    return out;
  }
  if (parsed.messageId) out.messageId = parsed.messageId;
  const from = addresses(parsed.from)[0];
  if (from) out.from = from;
  out.to = [...addresses(parsed.to), ...addresses(parsed.cc)];
  out.subject = parsed.subject ?? '';
  if (parsed.date) out.date = parsed.date;
  if (parsed.text) out.text = parsed.text;
  const h = parsed.headers;
  const codeCda = headerText(h.get(X_MSS.codeCda.toLowerCase()));
  if (codeCda) out.xMss.codeCda = codeCda.split(',').map((c) => c.trim()).filter(Boolean);
  const ins = headerText(h.get(X_MSS.ins.toLowerCase()));
  if (ins) out.xMss.ins = ins.toUpperCase();
  const nil = headerText(h.get(X_MSS.nil.toLowerCase()));
  if (nil) out.xMss.nil = nil;
  const mes = headerText(h.get(X_MSS.mes.toLowerCase()));
  if (mes) out.xMss.mes = mes.toUpperCase();
  const dnt = addresses(h.get('disposition-notification-to') as AddressObject | undefined)[0] ?? headerText(h.get('disposition-notification-to'))?.replace(/^.*<|>.*$/g, '').toLowerCase();
  const returnPath = headerText(h.get('return-path'))?.replace(/^.*<|>.*$/g, '').toLowerCase();
  if (dnt && (!returnPath || returnPath === dnt)) out.mdnRequestedTo = dnt;

  out.receipts = readReceipts(raw);
  if (out.receipts.length > 0) return out;

  const archive = parsed.attachments.find((a) => /^ihe_xdm\.zip$/i.test(a.filename ?? '')) ??
    parsed.attachments.find((a) => a.contentType === 'application/zip' && out.subject.startsWith(XDM_SUBJECT_PREFIX));
  out.isDocumentMessage = archive !== undefined || out.subject.startsWith(XDM_SUBJECT_PREFIX);
  for (const a of parsed.attachments) {
    if (a !== archive && (a.contentType === 'application/pdf' || /\.pdf$/i.test(a.filename ?? ''))) out.pdfs.push({ name: a.filename ?? 'document.pdf', bytes: new Uint8Array(a.content) });
  }
  if (!archive) {
    if (out.isDocumentMessage) problems.push('XDM subject without IHE_XDM.zip attachment');
    return out;
  }
  const xdm = await readXdmArchive(new Uint8Array(archive.content));
  if (!xdm.ok) {
    problems.push(`IHE_XDM.zip: ${describeError(xdm.error)}`);
    out.processingError = { code: 906, detail: `archive XDM illisible (${describeError(xdm.error)})` };
    return out;
  }
  out.xdm = { warnings: xdm.value.warnings, otherFiles: xdm.value.otherFiles, intendedRecipients: xdm.value.subsets.flatMap((s) => s.intendedRecipients), ...(xdm.value.readme ? { readme: xdm.value.readme } : {}) };
  problems.push(...xdm.value.warnings);
  for (const d of xdm.value.documents) {
    if (d.kind === 'pdf') {
      out.pdfs.push({ name: d.path.slice(d.path.lastIndexOf('/') + 1), bytes: d.bytes });
      continue;
    }
    if (d.kind !== 'cda') continue;
    const cda: ReceivedCda = { path: d.path, bytes: d.bytes, integrity: d.integrity };
    if (d.uniqueId) cda.uniqueId = d.uniqueId;
    const read = parseCda(new TextDecoder().decode(d.bytes));
    if (read.ok) {
      cda.document = read.value.document;
      cda.uniqueId ??= uniqueIdOf(read.value.document.id);
    } else {
      cda.problem = describeError(read.error);
      problems.push(`${d.path}: ${cda.problem}`);
    }
    out.cdas.push(cda);
  }
  const docs = out.cdas.flatMap((c) => (c.document ? [c.document] : []));
  if (out.cdas.length === 0) {
    out.processingError = { code: 906, detail: 'aucun document CDA dans l’archive XDM' };
    return out;
  }
  if (docs.length < out.cdas.length) {
    out.processingError = { code: 906, detail: 'document CDA illisible dans l’archive XDM' };
    return out;
  }
  if (out.cdas.some((c) => c.integrity === 'mismatch')) {
    out.processingError = { code: 906, detail: 'empreinte ou taille d’un document différente des métadonnées XDM' };
    return out;
  }
  out.patient = patientOf(docs[0]!);
  const insKeys = new Set(docs.map((d) => (d.patient.ins ? `${d.patient.ins.matricule}|${d.patient.ins.oid}` : '')));
  if (insKeys.size > 1) out.processingError = { code: 904, detail: 'les documents de l’archive ne désignent pas le même INS' };
  else if (!docs[0]!.patient.ins) {
    if (out.xMss.ins === 'O') out.processingError = { code: 904, detail: 'X-MSS-INS vaut O mais les documents ne portent pas d’INS' };
    else if (!out.patient.birthName || !out.patient.birthDate) out.processingError = { code: 903, detail: 'ni INS ni traits d’identité suffisants' };
  } else if (!docs.every(hasQualifiedIns)) out.processingError = { code: 905, detail: 'INS présente sans tous les traits (nom, premier prénom, date de naissance, sexe)' };
  else if (out.xMss.ins === 'N') problems.push('X-MSS-INS is N but the documents carry a qualified INS');
  return out;
}
