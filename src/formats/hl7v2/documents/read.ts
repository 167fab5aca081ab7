/**
 * Reader of the messages that carry CDA documents to the PFI (TRANS volet "Transmission de
 * document(s) CDA en HL7 v2", documents.md §7, dmp.md §5.5/§6, mssante.md §5) and from the PFI
 * to the DPI/RIS (volet LPS, mssante.md §7): ORU^R01 (v2.5) and MDM^T02/T04/T10 (v2.6).
 *
 * What the message asks:
 * - ORU^R01: OBX-11 of the document OBX says it — `F` new, `C` replacement, `D` deletion;
 *   ORC-1 must agree (`NW`, `RO`, `CA`); `SC` (volets 1.2 and 2.0) is accepted with a warning.
 *   The uniqueId is the CDA `ClinicalDocument/id`, the parent its `relatedDocument RPLC`.
 *   One ORU may carry several documents (CR-BIO: N1 and N3).
 * - MDM: the trigger says it — T02 new, T10 replacement, T04 deletion; OBX-11 (F/C/D) and ORC-1
 *   (when present) must agree. uniqueId = TXA-12, parent = TXA-13 (required for T10).
 *
 * Where it goes and who sees it: the `MetaDMPMSS` OBX flags (meta-dmp-mss.ts) and the PRT
 * segments (SB author, RCT recipients, REPLY reply-to). The recipient/visibility rules of
 * mssante.md §5.1 and the disagreements between the message and the CDA are reported in
 * `issues` (severity `error` = the PFI must not route the document), never thrown.
 *
 * Fails (Result error naming segment-field and rule) when the message cannot be acted upon:
 * wrong type, no PID, no TXA-12, no document, undecodable document, contradictory action.
 */
import { parseCda } from '../../cda/index.ts';
import { uniqueIdOf } from '../../xds/document-entry.ts';
import { fail, ok, type Result } from '../../result.ts';
import { readCwe, readHd, type CWE, type EI, type HD, type XCN, type XON } from '../datatypes.ts';
import { error, warning, type Issue } from '../issue.ts';
import type { Hl7Message } from '../message.ts';
import type { Segment } from '../segment.ts';
import { readMsh } from '../segments/msh.ts';
import { readPid, type Pid } from '../segments/pid.ts';
import { decodeEncapsulated, type EncapsulatedData } from './ed.ts';
import { MAIL_BODY_CODES, META_DMP_MSS, metaDmpMssCode, type MetaDmpMssCode } from './meta-dmp-mss.ts';
import { obxEncapsulated, readObx, readOrderControl, readPrt, readTxa, type Prt, type Txa } from './segments.ts';

export type DocumentAction = 'new' | 'replace' | 'delete';

export interface CarriedDocument {
  /** Where it is: `OBX(1)` (1-based occurrence among the OBX segments). */
  location: string;
  /** OBX-1 as sent. */
  setId: string;
  /** OBX-3: document type (LOINC), e.g. `11502-2^CR d'examens biologiques^LN`. */
  type: CWE;
  /** OBX-11: F, C or D. */
  resultStatus: string;
  /**
   * XDS uniqueId: TXA-12 for MDM, the CDA id (`root^extension`) for ORU. Absent only for an
   * ORU whose payload is not a readable CDA — `issues` then holds an error for this OBX.
   */
  uniqueId?: string;
  /** The replaced document: TXA-13 (MDM) or the CDA `relatedDocument RPLC` (ORU). */
  parentUniqueId?: string;
  /** The decoded document (XML text). */
  cda: string;
  /** 1 (nonXMLBody) or 3 (structuredBody) when the CDA could be read. */
  level?: 1 | 3;
}

export interface DocumentParticipant {
  /** PRT-4: SB, RCT, REPLY (or what was sent). */
  participation: string;
  person?: XCN;
  organization?: XON;
  /** MSSanté address (PRT-15 XTN-4). */
  address?: string;
  /** The patient's own mailbox (`…@patient.mssante.fr`, or a PRT-5 identifier of type INS). */
  isPatient: boolean;
}

export interface DocumentRouting {
  /** DESTDMP */
  dmp?: boolean;
  /** DESTMSSANTEPS: professionals, organisations or applicative mailboxes. */
  mssanteProfessionals?: boolean;
  /** DESTMSSANTEPAT */
  mssantePatient?: boolean;
  /** PRT RCT with an address. */
  recipients: DocumentParticipant[];
  /** PRT REPLY addresses. */
  replyTo: string[];
  /** ACK_RECEPTION: the producer wants ZAM^Z01/Z02. */
  receptionAck?: boolean;
  /** ACK_LECTURE_MSS: the producer wants ZAM^Z03. */
  readingAck?: boolean;
}

export interface DocumentVisibility {
  /** MASQUE_PS */
  maskedFromProfessionals?: boolean;
  /** INVISIBLE_PATIENT */
  invisibleToPatient?: boolean;
  /** INVISIBLE_REP_LEGAUX */
  invisibleToLegalRepresentatives?: boolean;
  /** CONNEXION_SECRETE */
  secretConnection?: boolean;
  /** MODIF_CONF_CODE */
  confidentialityChange?: boolean;
}

export interface DocumentMessage {
  /** MSH-9: `ORU^R01`, `MDM^T02`… */
  messageType: 'ORU' | 'MDM';
  trigger: 'R01' | 'T02' | 'T04' | 'T10';
  action: DocumentAction;
  /** MSH-10: the control id that ZAM OBX-4 will acknowledge. */
  controlId: string;
  /** MSH-21 first profile, e.g. `{ id: '2.1', namespace: 'CISIS_CDA_HL7_V2' }`. */
  profile?: EI;
  documents: CarriedDocument[];
  /** OBR-4, else TXA-2. */
  documentType?: CWE;
  /** TXA for MDM. */
  txa?: Txa;
  /** ORC-1 when present. */
  orderControl?: string;
  patient: Pid;
  sender: {
    /** MSH-3 / MSH-4 */
    application: HD;
    facility: HD;
    /** PRT SB: the author, and PRT-8 the author's structure. */
    author?: DocumentParticipant;
  };
  routing: DocumentRouting;
  visibility: DocumentVisibility;
  /** Every MetaDMPMSS flag as sent (canonical code → Y/N). */
  flags: Partial<Record<MetaDmpMssCode, 'Y' | 'N'>>;
  mail: {
    /** CORPSMAIL_PS, CORPSMAIL_PATIENT (decoded). */
    bodyForProfessionals?: string;
    bodyForPatient?: string;
    /** Volet LPS: the received mail's subject (`XDM/1.0/DDM+…`) and body. */
    subject?: string;
    body?: string;
  };
  issues: Issue[];
}

/** Errors among the issues: the PFI must not route the documents. */
export const blockingIssues = (read: DocumentMessage): Issue[] => read.issues.filter((i) => i.severity === 'error');

const ACTION_OF_STATUS: Record<string, DocumentAction> = { F: 'new', C: 'replace', D: 'delete' };
const ACTION_OF_ORDER: Record<string, DocumentAction> = { NW: 'new', RO: 'replace', CA: 'delete' };
const ACTION_OF_TRIGGER: Record<string, DocumentAction> = { T02: 'new', T10: 'replace', T04: 'delete' };
const STATUS_OF_ACTION: Record<DocumentAction, string> = { new: 'F', replace: 'C', delete: 'D' };
const ORDER_OF_ACTION: Record<DocumentAction, string> = { new: 'NW', replace: 'RO', delete: 'CA' };

/** XDS uniqueId of a CDA id — the same rule as formats/xds `uniqueIdOf` (documents.md §6). */

const ROUTING_FLAGS: ReadonlySet<MetaDmpMssCode> = new Set(['DESTDMP', 'DESTMSSANTEPS', 'DESTMSSANTEPAT', 'ACK_RECEPTION', 'ACK_LECTURE_MSS']);

/**
 * A mail body (ED). Base64 cut one character short (its length is 1 modulo 4, as in the
 * official Ségur ORU examples) is read without that character, with a warning: the text the
 * producer wrote reaches the recipients rather than a default one.
 */
function decodeMailBody(ed: EncapsulatedData, field: string, issues: Issue[]): Result<string> {
  const decoded = decodeEncapsulated(ed, field);
  const compact = ed.data.replace(/[\r\n\t ]+/g, '');
  if (decoded.ok || ed.encoding.trim().toUpperCase() !== 'BASE64' || compact.length % 4 !== 1) return decoded;
  const shortened = decodeEncapsulated({ ...ed, data: compact.slice(0, -1) }, field);
  if (shortened.ok) issues.push(warning(field, 'mail body: truncated Base64 (length 1 modulo 4), its last character is ignored'));
  return shortened.ok ? shortened : decoded;
}

/** An OBX that carries a document: ED whose subtype is XML, or RP. Flags and mail bodies are not. */
function isDocumentObx(segment: Segment): boolean {
  const type = segment.value(2).trim().toUpperCase();
  if (type === 'RP') return true;
  if (type !== 'ED') return false;
  const code = segment.value(3, 1).trim().toUpperCase();
  if (Object.hasOwn(MAIL_BODY_CODES, code)) return false;
  return segment.value(5, 3).trim().toUpperCase() === 'XML';
}

export function readDocumentMessage(message: Hl7Message): Result<DocumentMessage> {
  const mshSegment = message.segments[0];
  if (mshSegment === undefined || mshSegment.name !== 'MSH') return fail('MSH', 'a message must start with an MSH segment');
  const msh = readMsh(mshSegment);
  const code = msh.messageType.code.trim().toUpperCase();
  const trigger = msh.messageType.trigger.trim().toUpperCase();
  let messageType: DocumentMessage['messageType'];
  if (code === 'ORU' && trigger === 'R01') messageType = 'ORU';
  else if (code === 'MDM' && (trigger === 'T02' || trigger === 'T04' || trigger === 'T10')) messageType = 'MDM';
  else return fail('MSH-9', `a document message is ORU^R01 or MDM^T02/T04/T10, got "${msh.messageType.code}^${msh.messageType.trigger}"`);

  const issues: Issue[] = [];
  const pidSegment = message.segment('PID');
  if (pidSegment === undefined) return fail('PID', 'the PID segment is required: the patient the document is about');
  const patient = readPid(pidSegment);
  for (const i of patient.issues) if (i.severity === 'error') issues.push(i);

  const orcSegment = message.segment('ORC');
  const orderControl = orcSegment === undefined ? undefined : readOrderControl(orcSegment);
  const txaSegment = message.segment('TXA');
  const txa = txaSegment === undefined ? undefined : readTxa(txaSegment);
  if (messageType === 'MDM' && txa === undefined) return fail('TXA', 'an MDM message needs its TXA segment (document header)');

  // Documents, flags, mail bodies: one pass over the OBX segments.
  const obxSegments = message.segmentsNamed('OBX');
  const documentObx: Array<{ segment: Segment; location: string }> = [];
  const flags: DocumentMessage['flags'] = {};
  const mail: DocumentMessage['mail'] = {};
  for (let i = 0; i < obxSegments.length; i++) {
    const segment = obxSegments[i] as Segment;
    const location = `OBX(${i + 1})`;
    if (isDocumentObx(segment)) {
      documentObx.push({ segment, location });
      continue;
    }
    const obx = readObx(segment);
    const flag = metaDmpMssCode(obx.identifier.code);
    if (flag !== undefined) {
      const value = segment.value(5, 1).trim().toUpperCase();
      if (value !== 'Y' && value !== 'N') return fail(`${location}-5`, `${flag} must be Y or N, got "${segment.value(5, 1)}"`);
      if (flags[flag] !== undefined && flags[flag] !== value) return fail(`${location}-5`, `${flag} is sent twice with different values`);
      flags[flag] = value;
      continue;
    }
    const mailCode = obx.identifier.code.trim().toUpperCase();
    const isSubject = obx.identifier.text.startsWith('XDM/1.0/DDM');
    if (Object.hasOwn(MAIL_BODY_CODES, mailCode) || isSubject) {
      const decoded = decodeMailBody(obxEncapsulated(segment), `${location}-5.5`, issues);
      if (!decoded.ok) {
        issues.push(warning(decoded.error.field, `mail body: ${decoded.error.rule}`));
        continue;
      }
      if (isSubject) {
        mail.subject = obx.identifier.text;
        mail.body = decoded.value;
      } else if (MAIL_BODY_CODES[mailCode as keyof typeof MAIL_BODY_CODES] === 'patient') {
        mail.bodyForPatient = decoded.value;
      } else {
        mail.bodyForProfessionals = decoded.value;
      }
    }
  }
  if (documentObx.length === 0) return fail('OBX', 'no document: an OBX of type ED with OBX-5 = ^TEXT^XML^Base64^<CDA> is required');

  // The action asked, and its consistency across MSH-9, ORC-1 and OBX-11.
  let action: DocumentAction;
  const statuses = documentObx.map(({ segment }) => segment.value(11).trim().toUpperCase());
  if (messageType === 'MDM') {
    action = ACTION_OF_TRIGGER[trigger] as DocumentAction;
  } else {
    const first = statuses[0] ?? '';
    const fromStatus = ACTION_OF_STATUS[first];
    if (fromStatus === undefined) return fail(`${documentObx[0]?.location}-11`, `observation result status must be F (new), C (replacement) or D (deletion), got "${first}"`);
    action = fromStatus;
  }
  for (let i = 0; i < documentObx.length; i++) {
    const status = statuses[i] ?? '';
    const where = `${documentObx[i]?.location}-11`;
    if (ACTION_OF_STATUS[status] === undefined) return fail(where, `observation result status must be F (new), C (replacement) or D (deletion), got "${status}"`);
    if (ACTION_OF_STATUS[status] !== action) {
      return fail(where, messageType === 'MDM'
        ? `OBX-11 "${status}" contradicts MSH-9 ${trigger}: expected ${STATUS_OF_ACTION[action]}`
        : `every document of one ORU must have the same status: "${status}" differs from "${STATUS_OF_ACTION[action]}"`);
    }
  }
  if (orderControl !== undefined && orderControl !== '') {
    const fromOrder = ACTION_OF_ORDER[orderControl];
    if (fromOrder === undefined) {
      if (orderControl === 'SC') issues.push(warning('ORC-1', `SC (volets 1.2/2.0) read as ${ORDER_OF_ACTION[action]}: volet 2.1 expects NW, RO or CA`));
      else return fail('ORC-1', `order control must be NW (new), RO (replacement) or CA (deletion), got "${orderControl}"`);
    } else if (fromOrder !== action) {
      return fail('ORC-1', `${orderControl} contradicts ${messageType === 'MDM' ? `MSH-9 ${trigger}` : `OBX-11 ${STATUS_OF_ACTION[action]}`}: expected ${ORDER_OF_ACTION[action]}`);
    }
  }

  // The documents themselves.
  const documents: CarriedDocument[] = [];
  if (messageType === 'MDM' && documentObx.length > 1) issues.push(warning(`${documentObx[1]?.location}`, 'an MDM message carries one document: the others are read but the TXA describes the first'));
  for (let i = 0; i < documentObx.length; i++) {
    const { segment, location } = documentObx[i] as { segment: Segment; location: string };
    if (segment.value(2).trim().toUpperCase() === 'RP') return fail(`${location}-2`, 'RP (reference pointer) is not supported: the TRANS volet sends the CDA inline (ED, Base64)');
    const decoded = decodeEncapsulated(obxEncapsulated(segment), `${location}-5.5`);
    if (!decoded.ok) return decoded;
    const obx = readObx(segment);
    const doc: CarriedDocument = { location, setId: obx.setId, type: obx.identifier, resultStatus: obx.resultStatus.trim().toUpperCase(), cda: decoded.value };
    const mdmDoc = messageType === 'MDM' && i === 0 && txa !== undefined;
    if (mdmDoc) {
      const id = txa.uniqueDocumentNumber.id.trim();
      if (id === '') return fail('TXA-12', 'the unique document number (the CDA id, XDS uniqueId) is required');
      doc.uniqueId = id;
      const parent = txa.parentDocumentNumber.id.trim();
      if (parent !== '') doc.parentUniqueId = parent;
      else if (action === 'replace') return fail('TXA-13', 'a replacement (T10) needs the parent document number: the uniqueId of the replaced document');
    }
    const cda = parseCda(decoded.value);
    if (cda.ok) {
      doc.level = cda.value.level;
      const cdaId = uniqueIdOf(cda.value.document.id);
      const replaces = cda.value.document.replaces ? uniqueIdOf(cda.value.document.replaces) : undefined;
      if (doc.uniqueId === undefined) doc.uniqueId = cdaId;
      else if (doc.uniqueId !== cdaId) issues.push(warning(`${location}-5.5`, `the CDA id ${cdaId} differs from TXA-12 ${doc.uniqueId}`));
      if (doc.parentUniqueId === undefined && replaces !== undefined && !mdmDoc) doc.parentUniqueId = replaces;
      else if (mdmDoc && replaces !== undefined && doc.parentUniqueId !== undefined && replaces !== doc.parentUniqueId) {
        issues.push(warning(`${location}-5.5`, `the CDA replaces ${replaces} but TXA-13 says ${doc.parentUniqueId}`));
      }
      const cdaIns = cda.value.document.patient.ins?.matricule;
      const pidIns = patient.ins.map((n) => n.matricule);
      if (cdaIns !== undefined && pidIns.length > 0 && !pidIns.includes(cdaIns)) {
        issues.push(error(`${location}-5.5`, `the CDA patient INS differs from PID-3 (${pidIns.length === 1 ? 'one INS' : 'INS'} sent in PID)`));
      }
    } else if (doc.uniqueId === undefined) {
      issues.push(error(`${location}-5.5`, `the document is not a readable CDA (${cda.error.field}: ${cda.error.rule}): its uniqueId cannot be known`));
    } else {
      issues.push(error(`${location}-5.5`, `the document is not a readable CDA (${cda.error.field}: ${cda.error.rule})`));
    }
    if (action === 'replace' && doc.parentUniqueId === undefined) {
      issues.push(error(`${location}-5.5`, 'a replacement needs the replaced document: relatedDocument typeCode="RPLC"/parentDocument/id in the CDA'));
    }
    documents.push(doc);
  }

  // Participants.
  const participants: DocumentParticipant[] = message.segmentsNamed('PRT').map((s) => participantOf(readPrt(s)));
  const author = participants.find((p) => p.participation === 'SB');
  const recipients = participants.filter((p) => p.participation === 'RCT');
  const replyTo = participants.filter((p) => p.participation === 'REPLY' && p.address !== undefined).map((p) => p.address as string);
  recipients.forEach((r) => {
    if (r.address === undefined) issues.push(warning('PRT-15', 'a recipient (PRT-4 RCT) without an MSSanté address (XTN-4) cannot be reached'));
  });

  const routing: DocumentRouting = { recipients, replyTo };
  const visibility: DocumentVisibility = {};
  for (const [codeName, value] of Object.entries(flags) as Array<[MetaDmpMssCode, 'Y' | 'N']>) {
    const target: Record<string, unknown> = ROUTING_FLAGS.has(codeName) ? (routing as unknown as Record<string, unknown>) : (visibility as Record<string, unknown>);
    target[META_DMP_MSS[codeName]] = value === 'Y';
  }
  checkConsistency(routing, visibility, issues);

  const documentType = readCwe(message.segment('OBR')?.field(4) ?? '', message.encoding);
  const read: DocumentMessage = {
    messageType,
    trigger: trigger as DocumentMessage['trigger'],
    action,
    controlId: msh.controlId,
    documents,
    patient,
    sender: { application: readHd(mshSegment.field(3), message.encoding, false), facility: readHd(mshSegment.field(4), message.encoding, false) },
    routing,
    visibility,
    flags,
    mail,
    issues,
  };
  const profile = msh.profiles[0];
  if (profile !== undefined) read.profile = profile;
  if (documentType.code !== '') read.documentType = documentType;
  else if (txa !== undefined && txa.documentType.code !== '') read.documentType = txa.documentType;
  if (txa !== undefined) read.txa = txa;
  if (orderControl !== undefined) read.orderControl = orderControl;
  if (author !== undefined) read.sender.author = author;
  return ok(read);
}

function participantOf(prt: Prt): DocumentParticipant {
  const p: DocumentParticipant = { participation: prt.participation.trim().toUpperCase(), isPatient: false };
  if (prt.person) p.person = prt.person;
  if (prt.organization) p.organization = prt.organization;
  if (prt.address) p.address = prt.address;
  p.isPatient = /@patient\.mssante\.fr$/i.test(prt.address ?? '') || prt.person?.identifierType.trim().toUpperCase() === 'INS';
  return p;
}

/**
 * mssante.md §5.1 (TRANS `regles-gestion-mssante.md`): recipients and visibility must agree;
 * any other combination is an error. Also: a DESTMSSANTE* flag needs a matching PRT RCT.
 */
function checkConsistency(routing: DocumentRouting, visibility: DocumentVisibility, issues: Issue[]): void {
  const toPatient = routing.mssantePatient === true || routing.recipients.some((r) => r.isPatient);
  const toProfessionals = routing.mssanteProfessionals === true || routing.recipients.some((r) => !r.isPatient);
  if (toPatient && visibility.invisibleToPatient === true) {
    issues.push(error('OBX', 'INVISIBLE_PATIENT=Y is not allowed when the patient is a recipient (DESTMSSANTEPAT or a patient PRT RCT)'));
  }
  if (toPatient && toProfessionals && (visibility.maskedFromProfessionals === true || visibility.invisibleToLegalRepresentatives === true)) {
    issues.push(error('OBX', 'sending to professionals and to the patient requires MASQUE_PS=N, INVISIBLE_PATIENT=N and INVISIBLE_REP_LEGAUX=N'));
  }
  if (toPatient && !toProfessionals && (visibility.secretConnection === true || routing.dmp === true)) {
    issues.push(error('OBX', 'sending to the patient only requires CONNEXION_SECRETE=N and DESTDMP=N'));
  }
  if (routing.mssanteProfessionals === true && !routing.recipients.some((r) => !r.isPatient)) {
    issues.push(warning('PRT', 'DESTMSSANTEPS=Y but no professional recipient (PRT-4 RCT) is given'));
  }
  if (routing.mssantePatient === true && !routing.recipients.some((r) => r.isPatient)) {
    issues.push(warning('PRT', 'DESTMSSANTEPAT=Y but no patient recipient (PRT-4 RCT with …@patient.mssante.fr) is given'));
  }
  if (routing.mssantePatient === false && routing.recipients.some((r) => r.isPatient)) {
    issues.push(error('PRT', 'DESTMSSANTEPAT=N but a patient mailbox is among the recipients (PRT-4 RCT)'));
  }
}
