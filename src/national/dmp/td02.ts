/**
 * TD0.2 — does the patient have an active DMP, is the caller authorised, is the caller the
 * patient's médecin traitant DMP? (dmp.md §2, §9)
 *
 * Request: HL7v3 `PRPA_IN201307UV02` (Patient Registry Get Demographics Query) with
 * `reasonCode code="TEST_EXST" codeSystem="1.2.250.1.213.1.1.4.11"` and the INS as
 * `livingSubjectId/value@root=<INS OID> @extension=<matricule>`.
 *
 * Response: **SANDBOX FORMAT.** The real TD0.2 answer (an HL7v3 PRPA_IN201308UV02 profiled by
 * DMPi v2.10.0) is not public (dmp.md §11). The sandbox answers with its own small element,
 * `{urn:passerelle:sandbox:dmp:td0.2}Td02Response`, carrying exactly the facts PDSM4DMP
 * `transaction_td02.md` lists: status (`ACTIVE` / `CLOSED` / `NOT_FOUND` / `OPPOSED`), closing
 * date and motive, médecin traitant flag, authorisation status. Replace `readTd02Response`
 * when the DMPi message is available.
 */
import type { Element } from '@xmldom/xmldom';
import { fail, ok, type Result } from '../../formats/result.ts';
import { childElements, firstChildElement } from '../../formats/soap/index.ts';
import { escapeAttribute, escapeText } from '../../formats/xml.ts';
import { HL7V3_NS } from './wire.ts';

export const TD02_SANDBOX_NS = 'urn:passerelle:sandbox:dmp:td0.2';

export type DmpStatus = 'ACTIVE' | 'CLOSED' | 'NOT_FOUND' | 'OPPOSED';
export type DmpAuthorization = 'Exist' | 'Expired' | 'Denied' | 'NoAuthorization';

export interface Td02Answer {
  status: DmpStatus;
  /** YYYY-MM-DD when closed. */
  closedOn?: string;
  closingReason?: string;
  /** The caller (VIHF NameID) is the patient's médecin traitant DMP. */
  treatingPhysician: boolean;
  authorization: DmpAuthorization;
}

export interface Td02Request {
  matricule: string;
  oid: string;
}

/** PRPA_IN201307UV02 for one INS. `senderOid` identifies the calling system. */
export function buildTd02Request(request: Td02Request, options: { messageId: string; senderOid: string; now?: Date }): string {
  const time = (options.now ?? new Date()).toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const id = options.messageId.replace(/^urn:uuid:/, '');
  return (
    `<hl7:PRPA_IN201307UV02 xmlns:hl7="${HL7V3_NS}" ITSVersion="XML_1.0">` +
    `<hl7:id root="${escapeAttribute(id)}"/>` +
    `<hl7:creationTime value="${time}"/>` +
    '<hl7:interactionId root="2.16.840.1.113883.1.6" extension="PRPA_IN201307UV02"/>' +
    '<hl7:processingCode code="P"/><hl7:processingModeCode code="T"/><hl7:acceptAckCode code="AL"/>' +
    '<hl7:receiver typeCode="RCV"><hl7:device classCode="DEV" determinerCode="INSTANCE"><hl7:id root="1.2.250.1.213.4.1.1"/></hl7:device></hl7:receiver>' +
    `<hl7:sender typeCode="SND"><hl7:device classCode="DEV" determinerCode="INSTANCE"><hl7:id root="${escapeAttribute(options.senderOid)}"/></hl7:device></hl7:sender>` +
    '<hl7:controlActProcess classCode="CACT" moodCode="EVN">' +
    '<hl7:code code="PRPA_TE201307UV02" codeSystem="2.16.840.1.113883.1.6"/>' +
    '<hl7:reasonCode code="TEST_EXST" codeSystem="1.2.250.1.213.1.1.4.11"/>' +
    '<hl7:queryByParameter><hl7:queryId root="1.2.250.1.213.1.1.1.1" extension="' + escapeAttribute(id) + '"/>' +
    '<hl7:statusCode code="new"/><hl7:responsePriorityCode code="I"/>' +
    '<hl7:parameterList><hl7:livingSubjectId>' +
    `<hl7:value root="${escapeAttribute(request.oid)}" extension="${escapeAttribute(request.matricule)}"/>` +
    '<hl7:semanticsText>LivingSubject.id</hl7:semanticsText>' +
    '</hl7:livingSubjectId></hl7:parameterList></hl7:queryByParameter>' +
    '</hl7:controlActProcess></hl7:PRPA_IN201307UV02>'
  );
}

const hl7 = (parent: Element | undefined, name: string): Element | undefined => (parent ? firstChildElement(parent, HL7V3_NS, name) : undefined);

/** Reads the INS of a PRPA_IN201307UV02. */
export function readTd02Request(payload: Element): Result<Td02Request> {
  if (payload.namespaceURI !== HL7V3_NS || payload.localName !== 'PRPA_IN201307UV02') return fail('soap:Body', 'PRPA_IN201307UV02 expected');
  const cap = hl7(payload, 'controlActProcess');
  const reason = hl7(cap, 'reasonCode');
  if (reason?.getAttribute('code') !== 'TEST_EXST') return fail('controlActProcess/reasonCode', 'code TEST_EXST expected');
  const value = hl7(hl7(hl7(hl7(cap, 'queryByParameter'), 'parameterList'), 'livingSubjectId'), 'value');
  const matricule = value?.getAttribute('extension');
  const oid = value?.getAttribute('root');
  if (!matricule || !oid) return fail('parameterList/livingSubjectId/value', '@root (INS OID) and @extension (matricule) required');
  return ok({ matricule, oid });
}

/** SANDBOX FORMAT (see the module comment). */
export function buildTd02Response(answer: Td02Answer): string {
  const attrs = [
    `status="${answer.status}"`,
    `treatingPhysician="${answer.treatingPhysician}"`,
    `authorization="${answer.authorization}"`,
    ...(answer.closedOn ? [`closedOn="${escapeAttribute(answer.closedOn)}"`] : []),
  ].join(' ');
  return `<sbx:Td02Response xmlns:sbx="${TD02_SANDBOX_NS}" ${attrs}>${answer.closingReason ? `<sbx:closingReason>${escapeText(answer.closingReason)}</sbx:closingReason>` : ''}</sbx:Td02Response>`;
}

const STATUSES: readonly string[] = ['ACTIVE', 'CLOSED', 'NOT_FOUND', 'OPPOSED'];
const AUTHORIZATIONS: readonly string[] = ['Exist', 'Expired', 'Denied', 'NoAuthorization'];

/** Reads the sandbox TD0.2 answer (see the module comment). */
export function readTd02Response(payload: Element): Result<Td02Answer> {
  if (payload.namespaceURI !== TD02_SANDBOX_NS || payload.localName !== 'Td02Response') return fail('soap:Body', `{${TD02_SANDBOX_NS}}Td02Response expected`);
  const status = payload.getAttribute('status') ?? '';
  if (!STATUSES.includes(status)) return fail('Td02Response@status', `unknown status ${status}`);
  const authorization = payload.getAttribute('authorization') ?? '';
  if (!AUTHORIZATIONS.includes(authorization)) return fail('Td02Response@authorization', `unknown value ${authorization}`);
  const answer: Td02Answer = { status: status as DmpStatus, treatingPhysician: payload.getAttribute('treatingPhysician') === 'true', authorization: authorization as DmpAuthorization };
  const closedOn = payload.getAttribute('closedOn');
  if (closedOn) answer.closedOn = closedOn;
  const reason = childElements(payload, TD02_SANDBOX_NS, 'closingReason')[0]?.textContent;
  if (reason) answer.closingReason = reason;
  return ok(answer);
}
