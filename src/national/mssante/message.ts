/**
 * Composition of the MSSanté messages that carry CDA documents (mssante.md §4, §5, §6): the
 * `IHE_XDM.zip` attachment built by formats/xdm, the readable PDF beside it, the
 * `XDM/1.0/DDM+…` subject, the X-MSS-* headers, `Disposition-Notification-To` for the MDN.
 *
 * One message goes to the professionals (all in To) and a separate one to the patient's
 * Mon espace santé mailbox: the patient copy has its own body text (CORPSMAIL_PATIENT) and may
 * carry `X-MSS-MES: FIN`, which must not reach professionals. Recipients are checked first
 * (recipients.ts); nothing is built when they are inconsistent.
 */
import { randomUUID } from 'node:crypto';
import { parseCdaHeader, type CdaHeader } from '../../formats/cda/index.ts';
import { describeError, ok } from '../../formats/result.ts';
import type { SubmissionSetInput, XdsAuthor, XdsCode } from '../../formats/xds/index.ts';
import { buildXdmArchive, XDM_ATTACHMENT_NAME, xdmDocumentFromCda, type XdmDocument } from '../../formats/xdm/index.ts';
import { isAddress, normaliseAddress } from './addresses.ts';
import { MssanteError } from './errors.ts';
import { xdmSubject, xMssHeaders } from './headers.ts';
import { encodeHeaderText, mailbox, rfc5322Date, writeMultipart } from './mime.ts';
import { checkRecipients, type RecipientChoice } from './recipients.ts';

export interface SenderIdentity {
  /** The establishment's applicative mailbox (From, Return-Path, MDN address). */
  address: string;
  /** Display name of From, e.g. `CH de test - Passerelle`. */
  displayName?: string;
  /** X-MSS-NIL: product reference on convergence.esante.gouv.fr (mssante.md §4.1). */
  nil: string;
  /** Establishment name (XDM README). */
  establishment: string;
  /** OID of the sending system (XDS sourceId). */
  sourceId: string;
  application?: { name: string; version: string };
  /** XDS contentTypeCode of submission sets (TRE_R209); default `04` would be wrong for most stays: give it. */
  contentTypeCode: XdsCode;
}

export interface DocumentToSend {
  /** Exact CDA bytes. */
  cda: Uint8Array;
  /** Readable rendering, attached beside the XDM and inside it. */
  pdf?: Uint8Array;
  /** The CDA's header when the sender already read it (exchange/ keeps it): the bytes are then not parsed again. */
  header?: CdaHeader;
}

export interface DocumentSending extends RecipientChoice {
  documents: DocumentToSend[];
  /** Document label of the subject, e.g. `Lettre de liaison`. */
  label: string;
  /** Body text for professionals (CORPSMAIL_PS) and for the patient (CORPSMAIL_PATIENT). */
  bodyForProfessionals?: string;
  bodyForPatient?: string;
  /** `X-MSS-MES: FIN` on the patient copy. */
  patientMayNotReply?: boolean;
  /** Where replies go (Reply-To; TRANS: the PRT whose PRT-4 is REPLY); default the sender's mailbox. */
  replyTo?: string[];
  /**
   * A stable key for this sending (e.g. the sender's own id of it): the Message-ID and the DSN
   * envelope id derive from it, so that a message sent again after a crash carries the same
   * Message-ID and receivers recognise it (RFC 5322 §3.6.4). Default: random.
   */
  messageKey?: string;
  /** Ask for an MDN (Disposition-Notification-To); default true. */
  readReceipt?: boolean;
  /** Author of the submission set; default the first author of the first document. */
  author?: XdsAuthor;
  time?: Date;
}

export interface ComposedAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
}

export interface ComposedMessage {
  audience: 'professionals' | 'patient';
  from: { name?: string; address: string };
  to: string[];
  subject: string;
  /** `<…@…>` */
  messageId: string;
  /** ENVID of the SMTP DSN request (RFC 3461), ties DSNs back to this message. */
  envelopeId: string;
  date: Date;
  headers: Record<string, string>;
  text: string;
  attachments: ComposedAttachment[];
  /** XDS uniqueIds of the documents carried. */
  documentIds: string[];
}

const DEFAULT_BODY_PS = 'Bonjour,\n\nVeuillez trouver ci-joint un document concernant votre patient(e).\n\nCordialement.';
const DEFAULT_BODY_PATIENT = 'Bonjour,\n\nVotre établissement de santé vous transmet un document dans votre messagerie Mon espace santé.\n\nCordialement.';

const newOid = (): string => `2.25.${BigInt(`0x${randomUUID().replace(/-/g, '')}`).toString()}`;
const domainOf = (address: string): string => address.slice(address.lastIndexOf('@') + 1);

/** The Message-ID of the message sent with `key` from `senderAddress` (one audience): known before it is sent. */
export const messageIdFor = (key: string, senderAddress: string): string => `<${key}@${domainOf(senderAddress)}>`;

const invalid = (problems: string[]): MssanteError =>
  new MssanteError('invalid_sending', problems.join(' '), { details: { problems } });

/** Builds the messages of one sending; throws MssanteError `invalid_sending` (French) when refused. */
export async function composeDocumentMessages(sending: DocumentSending, sender: SenderIdentity): Promise<ComposedMessage[]> {
  if (!Array.isArray(sending.documents) || sending.documents.length === 0) throw invalid(['Aucun document à envoyer.']);
  if (!sending.label?.trim()) throw invalid(['Libellé du document manquant (objet du message).']);
  const parsed: CdaHeader[] = [];
  for (const [i, d] of sending.documents.entries()) {
    const header = d.header ? ok(d.header) : parseCdaHeader(new TextDecoder().decode(d.cda));
    if (!header.ok) throw invalid([`Document ${i + 1} : CDA illisible (${describeError(header.error)}).`]);
    parsed.push(header.value);
  }
  const matricules = new Set(parsed.map((c) => c.patient.ins?.matricule ?? ''));
  if (matricules.size > 1) throw invalid(['Les documents d’un même envoi doivent concerner le même patient.']);
  const checked = checkRecipients(sending, parsed[0]!.patient.ins?.matricule);
  if (!checked.ok) throw invalid(checked.problems);
  const replyTo = (sending.replyTo ?? []).map((a) => {
    if (!isAddress(a)) throw invalid([`Adresse de réponse invalide : « ${String(a).slice(0, 80)} ».`]);
    return normaliseAddress(a);
  });

  const documents: XdmDocument[] = [];
  for (const [i, d] of sending.documents.entries()) {
    const x = xdmDocumentFromCda(d.cda, { visibility: checked.value.flags, header: parsed[i]! });
    if (!x.ok) throw invalid([`Document ${i + 1} : métadonnées XDS impossibles à établir (${describeError(x.error)}).`]);
    documents.push(x.value);
  }
  const time = sending.time ?? new Date();
  const author = sending.author ?? documents[0]!.entry.authors[0];
  if (!author) throw invalid(['Auteur du lot de soumission introuvable dans le document.']);
  const pdfs = sending.documents.flatMap((d) => (d.pdf ? [d.pdf] : []));
  const audiences: Array<{ audience: 'professionals' | 'patient'; to: string[] }> = [];
  if (checked.value.professionals.length > 0) audiences.push({ audience: 'professionals', to: checked.value.professionals });
  if (checked.value.patient) audiences.push({ audience: 'patient', to: [checked.value.patient] });

  const out: ComposedMessage[] = [];
  for (const { audience, to } of audiences) {
    const submissionSet: SubmissionSetInput = {
      uniqueId: newOid(),
      sourceId: sender.sourceId,
      submissionTime: time,
      contentTypeCode: sender.contentTypeCode,
      author,
      title: sending.label,
    };
    const xdm = await buildXdmArchive({
      submissionSet,
      documents,
      readablePdfs: pdfs,
      intendedRecipients: to,
      readme: {
        sender: sender.establishment,
        application: sender.application?.name ?? 'PASSERELLE',
        version: sender.application?.version ?? '0',
        contact: sender.address,
      },
      time,
    });
    if (!xdm.ok) throw invalid([`Archive XDM impossible à construire (${describeError(xdm.error)}).`]);
    const headers = xMssHeaders(parsed, sender.nil, { patientMayNotReply: audience === 'patient' && sending.patientMayNotReply === true });
    if (sending.readReceipt !== false) headers['Disposition-Notification-To'] = sender.address;
    if (replyTo.length > 0) headers['Reply-To'] = replyTo.join(', ');
    const attachments: ComposedAttachment[] = [{ filename: XDM_ATTACHMENT_NAME, contentType: 'application/zip', content: Buffer.from(xdm.value.zip) }];
    pdfs.forEach((pdf, i) => attachments.push({ filename: pdfs.length === 1 ? 'document.pdf' : `document-${i + 1}.pdf`, contentType: 'application/pdf', content: Buffer.from(pdf) }));
    const id = sending.messageKey ? (audiences.length > 1 ? `${sending.messageKey}-${audience}` : sending.messageKey) : randomUUID();
    out.push({
      audience,
      from: { address: sender.address, ...(sender.displayName ? { name: sender.displayName } : {}) },
      to,
      subject: xdmSubject(sending.label, parsed[0]!),
      messageId: messageIdFor(id, sender.address),
      envelopeId: id,
      date: time,
      headers,
      text: (audience === 'patient' ? sending.bodyForPatient : sending.bodyForProfessionals) ?? (audience === 'patient' ? DEFAULT_BODY_PATIENT : DEFAULT_BODY_PS),
      attachments,
      documentIds: documents.map((d) => d.entry.uniqueId),
    });
  }
  return out;
}

/** The RFC 5322 message of a composed document message: its text, then its attachments, base64. */
export function writeDocumentMessage(m: ComposedMessage): Buffer {
  return writeMultipart({
    From: mailbox(m.from.address, m.from.name),
    To: m.to.join(', '),
    Subject: encodeHeaderText(m.subject),
    Date: rfc5322Date(m.date),
    'Message-ID': m.messageId,
    ...m.headers,
  }, 'mixed', {}, [
    { contentType: 'text/plain; charset=utf-8', body: Buffer.from(m.text, 'utf8') },
    ...m.attachments.map((a) => ({
      contentType: `${a.contentType}; name="${a.filename}"`,
      headers: { 'Content-Disposition': `attachment; filename="${a.filename}"` },
      body: a.content,
    })),
  ]);
}

/** A document message ready to send: what its envelope and its tracking need, and its bytes. */
export interface WrittenMessage extends Pick<ComposedMessage, 'audience' | 'to' | 'messageId' | 'envelopeId' | 'documentIds'> {
  /** The RFC 5322 message. */
  raw: Uint8Array;
}

/** The messages of one sending, composed and written (pure CPU work: the platform runs it on a worker thread). */
export async function writeDocumentMessages(sending: DocumentSending, sender: SenderIdentity): Promise<WrittenMessage[]> {
  return (await composeDocumentMessages(sending, sender)).map((m) => ({
    audience: m.audience, to: m.to, messageId: m.messageId, envelopeId: m.envelopeId, documentIds: m.documentIds, raw: writeDocumentMessage(m),
  }));
}
