/**
 * CDA documents from the plateaux techniques (SGL, RIS) in HL7 v2 — TRANS volet "Transmission
 * de document(s) CDA en HL7 v2": ORU^R01 and MDM^T02/T04/T10 received by the HL7 inbox
 * (stored raw first, deduplicated), then routed by the PFI like the DPI's documents.
 *
 * 1. The inbox handler (`createHl7DocumentHandler`) reads the message (formats/hl7v2
 *    `readDocumentMessage`). A message that cannot be acted upon is refused (AR), one whose
 *    content breaks a rule (`blockingIssues`: unreadable CDA, INS mismatch, recipients against
 *    visibility, mssante.md §5.1) gets AE; both with one ERR per problem naming segment-field
 *    and rule, nothing routed, the raw message kept by the inbox for replay. Otherwise each
 *    document becomes an outgoing document (source `hl7`, sourceId `<inbox id>:<n>`) with its
 *    dispatches and outbox jobs, in the inbox's transaction, and the answer is AA (warnings as
 *    ERR severity W).
 * 2. Where it goes is what the producer asked (mssante.md §5): DESTDMP → the DMP (new: ITI-41;
 *    replace: RPLC of the parent uniqueId; delete: ITI-57 of the document, dmp.md §5.5, §6),
 *    DESTMSSANTEPS → each PRT RCT address, DESTMSSANTEPAT → the patient's Mon espace santé
 *    mailbox, addressed by the INS (PID-3 when PID-32 is VALI, else the CDA's); MASQUE_PS,
 *    INVISIBLE_PATIENT and INVISIBLE_REP_LEGAUX become the DMP confidentiality. The DMP and the
 *    patient's mailbox need the INS: without one they are `blocked` with the reason. A deletion
 *    is not sent by MSSanté (the sending side of XDM deletion is not implemented): those
 *    channels are `blocked` with the reason.
 *    A deletion is an outgoing document whose DMP action is `delete`.
 * 3. The source port (`createHl7DocumentSource`) turns the dispatches' status changes into ZAMs when the producer asked for them (ACK_RECEPTION: Z01 from the
 *    DMP, Z02 from the DSN; ACK_LECTURE_MSS: Z03 from the MDN), sent by zam-sender.ts.
 */
import { eq } from 'drizzle-orm';
import { headerOf, parseCda } from '../formats/cda/index.ts';
import {
  ackErrorFrom, blockingIssues, insIsUsable, parse, readDocumentMessage, type AckError, type DocumentMessage, type Hl7Message, type Issue,
} from '../formats/hl7v2/index.ts';
import { uniqueIdOf } from '../formats/xds/index.ts';
import type { Executor } from '../platform/db/index.ts';
import { decodeHl7, type HandlerOutcome, type Hl7Handler } from '../platform/hl7-inbox/index.ts';
import { hl7Messages } from '../platform/hl7-inbox/tables.ts';
import { isAddress } from '../national/mssante/index.ts';
import { DISTRIBUTION_CHANNELS } from '../record/index.ts';
import { planDispatches, type Channel, type PlannedDispatch } from './routing.ts';
import { outgoingPatient, recordDispatches, recordOutgoing, type DispatchStatusChange, type OutgoingHeader, type SourcePort } from './service.ts';
import type { OutgoingMail } from './tables.ts';
import { enqueueZam, type ZamJob } from './zam-sender.ts';

/** The inbox handler keys (`MSGTYPE^EVENT`) of the TRANS volet. */
export const HL7_DOCUMENT_MESSAGE_TYPES = ['ORU^R01', 'MDM^T02', 'MDM^T04', 'MDM^T10'] as const;

const NOT_BY_MSSANTE = 'suppression demandée : elle n’est pas transmise par MSSanté (seul le DMP est mis à jour)';

/** `<inbox message id>:<1-based document index>` */
export const hl7SourceId = (inboxMessageId: number, index: number): string => `${inboxMessageId}:${index}`;

const refusal = (field: string, rule: string, code: 101 | 102, severity: 'E' | 'W' = 'E'): AckError =>
  ({ ...ackErrorFrom({ field, rule }, code, severity), userMessage: `${field}: ${rule}` });

const issueError = (issue: Issue): AckError => refusal(issue.field, issue.rule, 102, issue.severity === 'error' ? 'E' : 'W');

/** The INS the document is indexed on: PID-3 when the producer says VALI (NIR before NIA), else the CDA's. */
function insOf(read: DocumentMessage, cdaIns: { matricule: string; oid: string } | undefined): { matricule: string; oid: string } | undefined {
  if (insIsUsable(read.patient)) {
    const chosen = read.patient.ins.find((i) => !i.oid.endsWith('.4.9')) ?? read.patient.ins[0]!;
    return { matricule: chosen.matricule, oid: chosen.oid };
  }
  return cdaIns ? { matricule: cdaIns.matricule, oid: cdaIns.oid } : undefined;
}

/** The channels the producer asked for (DESTDMP, DESTMSSANTEPS, DESTMSSANTEPAT); the others are not planned at all. */
function requested(read: DocumentMessage): Set<Channel> {
  const wanted = new Set<Channel>();
  if (read.routing.dmp) wanted.add('dmp');
  if (read.routing.mssanteProfessionals) wanted.add('mssante-pro');
  if (read.routing.mssantePatient) wanted.add('mssante-patient');
  return wanted;
}

/** The mail the producer wrote (CORPSMAIL_PS, CORPSMAIL_PATIENT) and where replies go (PRT REPLY); null when none. */
function mailOf(read: DocumentMessage): OutgoingMail | null {
  const mail: OutgoingMail = {
    ...(read.mail.bodyForProfessionals ? { bodyForProfessionals: read.mail.bodyForProfessionals } : {}),
    ...(read.mail.bodyForPatient ? { bodyForPatient: read.mail.bodyForPatient } : {}),
    ...(read.routing.replyTo.length > 0 ? { replyTo: read.routing.replyTo } : {}),
  };
  return Object.keys(mail).length > 0 ? mail : null;
}

/** The patient of a message as the identity referential knows them: PID-3's IPP, the INS the document is indexed on. */
export interface Hl7DocumentPatient {
  ipp?: { id: string; authority: string };
  ins?: { matricule: string; oid: string };
}

export interface Hl7DocumentHandlerOptions {
  /** The identity of the referential a message's patient is, if any (in the inbox's transaction): the outgoing document is linked to it. */
  identityOf?: (tx: Executor, patient: Hl7DocumentPatient) => Promise<string | undefined>;
}

/** Inbox handler of ORU^R01 and MDM^T02/T04/T10. */
export function createHl7DocumentHandler(options: Hl7DocumentHandlerOptions = {}): Hl7Handler {
  return async (message: Hl7Message, tx: Executor, context): Promise<HandlerOutcome> => {
    const read = readDocumentMessage(message);
    if (!read.ok) return { code: 'AR', errors: [refusal(read.error.field, read.error.rule, /required|needs|no /.test(read.error.rule) ? 101 : 102)] };
    const doc = read.value;
    const blocking = blockingIssues(doc);
    if (blocking.length > 0) return { code: 'AE', errors: doc.issues.map(issueError) };
    const warnings = doc.issues.map(issueError);
    const badReplyTo = doc.routing.replyTo.find((a) => !isAddress(a));
    if (badReplyTo !== undefined) return { code: 'AE', errors: [refusal('PRT-15', 'the reply-to address (PRT-4 REPLY) is not an e-mail address', 102), ...warnings] };
    const mail = mailOf(doc);

    const wanted = requested(doc);
    const confidentiality = {
      maskedToProfessionals: doc.visibility.maskedFromProfessionals === true,
      invisibleToPatient: doc.visibility.invisibleToPatient === true,
      invisibleToLegalRepresentatives: doc.visibility.invisibleToLegalRepresentatives === true,
    };
    const professionalAddresses = wanted.has('mssante-pro')
      ? doc.routing.recipients.filter((r) => !r.isPatient && r.address !== undefined).map((r) => r.address as string)
      : [];
    for (const [index, carried] of doc.documents.entries()) {
      const parsed = parseCda(carried.cda);
      if (!parsed.ok || carried.uniqueId === undefined) {
        // Cannot happen: an unreadable CDA is a blocking issue. Refuse rather than route half a message.
        return { code: 'AE', errors: [refusal(`${carried.location}-5.5`, 'document CDA illisible', 102)] };
      }
      const header = parsed.value.document;
      const ins = insOf(doc, header.patient.ins);
      const ipp = doc.patient.ipp ? { id: doc.patient.ipp.id, authority: doc.patient.ipp.authority.namespace || doc.patient.ipp.authority.universalId || '' } : undefined;
      const identityId = (await options.identityOf?.(tx, { ...(ipp ? { ipp } : {}), ...(ins ? { ins } : {}) })) ?? null;
      const plan = planDispatches({
        ...(ins ? { qualifiedIns: ins } : {}),
        professionalAddresses,
        choices: { blocked: DISTRIBUTION_CHANNELS.filter((c) => !wanted.has(c)), ...confidentiality },
      });
      if (!plan.ok) return { code: 'AE', errors: [refusal(plan.error.field === 'recipients' ? 'PRT-15' : 'OBX', plan.error.rule, 102), ...warnings] };
      const planned: PlannedDispatch[] = plan.value.filter((p) => wanted.has(p.channel)).map((p) => (
        doc.action === 'delete' && p.channel !== 'dmp' && p.status === 'pending' ? { ...p, status: 'blocked', reason: NOT_BY_MSSANTE } : p));
      const label = header.code.displayName ?? doc.documentType?.text ?? carried.type.text ?? header.code.code;
      const outgoing = await recordOutgoing(tx, {
        source: 'hl7', sourceId: hl7SourceId(context.messageId, index + 1), identityId,
        uniqueId: carried.uniqueId,
        // One ordering key for a document and its replacements: the CDA setId, else the first version's uniqueId.
        setId: header.setId ? uniqueIdOf(header.setId) : (carried.parentUniqueId ?? carried.uniqueId),
        version: header.versionNumber ?? 1,
        replacesUniqueId: doc.action === 'new' ? null : (carried.parentUniqueId ?? null),
        code: header.code.code, label: label || header.code.code, title: header.title ?? label,
        patient: outgoingPatient(header.patient, ins),
        cda: carried.cda, pdf: null, header: doc.action === 'delete' ? null : headerOf(parsed.value.document), action: doc.action === 'delete' ? 'delete' : 'publish',
        confidentiality, mail,
      });
      const created = await recordDispatches(tx, outgoing, planned);
      // A DMP channel blocked from the start (no INS) is answered at once when the producer wants Z01.
      for (const dispatch of created.filter((d) => d.status === 'blocked' && d.channel === 'dmp')) {
        await enqueueZams(tx, message, doc, { dispatch: { ...dispatch, status: 'pending' }, outgoing, status: 'failed', errorCode: 'INS', reason: dispatch.reason ?? 'identité non qualifiée', at: new Date() });
      }
    }
    return { code: 'AA', errors: warnings };
  };
}

/** The stored producer's message an outgoing document comes from. */
async function storedMessage(db: Executor, outgoing: OutgoingHeader): Promise<{ message: Hl7Message; read: DocumentMessage }> {
  const id = Number(outgoing.sourceId.split(':')[0]);
  const [row] = Number.isSafeInteger(id) ? await db.select({ raw: hl7Messages.raw }).from(hl7Messages).where(eq(hl7Messages.id, id)) : [];
  if (!row) throw new Error(`HL7 message ${outgoing.sourceId} not found in the inbox`);
  const parsed = parse(decodeHl7(row.raw));
  if (!parsed.ok) throw new Error(`HL7 message ${outgoing.sourceId}: ${parsed.error.field}: ${parsed.error.rule}`);
  const read = readDocumentMessage(parsed.value);
  if (!read.ok) throw new Error(`HL7 message ${outgoing.sourceId}: ${read.error.field}: ${read.error.rule}`);
  return { message: parsed.value, read: read.value };
}

/** SMTPERRORCODE of a failed MSSanté dispatch: the reply code in the diagnostic, else from the DSN status class. */
function smtpCode(change: DispatchStatusChange): string {
  const reply = /\b([245]\d\d)\b/.exec(change.reason ?? '')?.[1];
  if (reply) return reply;
  return change.errorCode?.startsWith('4') ? '451' : '554';
}

/** The ZAMs a status change calls for (mssante.md §6, dmp.md §9), before the producer's wishes are checked. */
export function zamsFor(change: DispatchStatusChange): Array<Omit<ZamJob, 'originalMsh' | 'producer' | 'eventTime'>> {
  const { dispatch, status } = change;
  const label = change.reason?.slice(0, 200);
  if (dispatch.channel === 'dmp') {
    if (status === 'delivered') return [{ type: 'Z01', success: true }];
    if (status === 'failed') return [{ type: 'Z01', success: false, error: { code: 207, applicationError: { code: change.errorCode ?? 'error', ...(label ? { text: label } : {}) } } }];
    return [];
  }
  const recipient = { address: dispatch.recipient };
  if (status === 'delivered') return [{ type: 'Z02', success: true, recipient }];
  if (status === 'read') {
    // A read receipt before any DSN also tells that the message was delivered.
    return [...(dispatch.status === 'delivered' ? [] : [{ type: 'Z02' as const, success: true, recipient }]), { type: 'Z03', success: true, recipient }];
  }
  if (status === 'failed') {
    if (change.receipt === 'mdn') {
      // The recipient's system could not process it (codes 900–906): it was delivered all the same.
      return [
        ...(dispatch.status === 'delivered' ? [] : [{ type: 'Z02' as const, success: true, recipient }]),
        { type: 'Z03', success: false, recipient, error: { code: 207, applicationError: { code: /^9\d\d$/.test(change.errorCode ?? '') ? change.errorCode! : '906', ...(label ? { text: label } : {}) } } },
      ];
    }
    return [{ type: 'Z02', success: false, recipient, error: { code: 207, applicationError: { code: smtpCode(change), ...(label ? { text: label } : {}) } } }];
  }
  return [];
}

async function enqueueZams(tx: Executor, message: Hl7Message, read: DocumentMessage, change: DispatchStatusChange): Promise<void> {
  const wanted = zamsFor(change).filter((z) => (z.type === 'Z03' ? read.routing.readingAck === true : read.routing.receptionAck === true));
  if (wanted.length === 0) return;
  const originalMsh = message.segments[0]!.raw;
  const producer = { application: read.sender.application.namespace ?? '', facility: read.sender.facility.namespace ?? '' };
  const prt = read.routing.recipients.find((r) => r.address?.toLowerCase() === change.dispatch.recipient.toLowerCase());
  for (const zam of wanted) {
    const recipient = zam.recipient && prt?.person?.id ? { ...zam.recipient, id: prt.person.id } : zam.recipient;
    await enqueueZam(tx, { ...zam, ...(recipient ? { recipient } : {}), originalMsh, producer, eventTime: change.at.toISOString() },
      `${change.dispatch.id}:${zam.type}:${change.status}:${change.dispatch.attempts}`);
  }
}

/** What the `hl7` source hears back: the ZAMs of the status changes, to the producer. */
export function createHl7DocumentSource(): SourcePort {
  return {
    async onStatus(tx: Executor, change: DispatchStatusChange) {
      if (zamsFor(change).length === 0) return;
      const { message, read } = await storedMessage(tx, change.outgoing);
      await enqueueZams(tx, message, read, change);
    },
  };
}
