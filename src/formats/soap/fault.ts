/**
 * SOAP 1.2 Fault (W3C SOAP 1.2 Part 1 §5.4): Code/Value (+ nested Subcode/Value QNames),
 * Reason/Text (xml:lang), optional Node, Role and Detail.
 */
import type { Document, Element } from '@xmldom/xmldom';
import { fail, ok, type Result } from '../result.ts';
import { createEnvelope, type SoapEnvelope } from './envelope.ts';
import { SOAP12_NS, XML_NS, XMLNS_NS } from './namespaces.ts';
import { appendElement, childElements, firstChildElement, resolveQName, textOf } from './xml.ts';

/** The five fault codes of SOAP 1.2 (§5.4.6). */
export type SoapFaultCode = 'VersionMismatch' | 'MustUnderstand' | 'DataEncodingUnknown' | 'Sender' | 'Receiver';
const FAULT_CODES: readonly string[] = ['VersionMismatch', 'MustUnderstand', 'DataEncodingUnknown', 'Sender', 'Receiver'];

export interface QName {
  namespace: string | null;
  localName: string;
  /** Prefix to use when writing (read: the prefix found). */
  prefix?: string | null;
}

export interface SoapFault {
  code: SoapFaultCode;
  /** Subcodes from outermost to innermost. */
  subcodes: QName[];
  /** Reason text (the first Text, or the one in `lang` when built). */
  reason: string;
  reasonLang?: string;
  node?: string;
  role?: string;
  /** Element children of Detail. */
  detail: Element[];
}

export interface SoapFaultSpec {
  code: SoapFaultCode;
  subcodes?: QName[];
  reason: string;
  /** Default `fr`. */
  lang?: string;
  node?: string;
  role?: string;
  /** Writes detail entries into `detail` (created only when given). */
  detail?: (detail: Element, document: Document) => void;
}

/** Appends a Fault to `body` (which must be empty for a fault message). */
export function appendFault(body: Element, spec: SoapFaultSpec): Element {
  const prefix = body.prefix ?? 'soap';
  const doc = body.ownerDocument!;
  const fault = appendElement(body, SOAP12_NS, `${prefix}:Fault`);
  let holder = appendElement(fault, SOAP12_NS, `${prefix}:Code`);
  appendElement(holder, SOAP12_NS, `${prefix}:Value`, `${prefix}:${spec.code}`);
  for (const sub of spec.subcodes ?? []) {
    holder = appendElement(holder, SOAP12_NS, `${prefix}:Subcode`);
    const value = appendElement(holder, SOAP12_NS, `${prefix}:Value`);
    if (sub.namespace) {
      const p = sub.prefix || 'sc';
      value.setAttributeNS(XMLNS_NS, `xmlns:${p}`, sub.namespace);
      value.appendChild(doc.createTextNode(`${p}:${sub.localName}`));
    } else {
      value.appendChild(doc.createTextNode(sub.localName));
    }
  }
  const reason = appendElement(fault, SOAP12_NS, `${prefix}:Reason`);
  const text = appendElement(reason, SOAP12_NS, `${prefix}:Text`, spec.reason);
  text.setAttributeNS(XML_NS, 'xml:lang', spec.lang ?? 'fr');
  if (spec.node) appendElement(fault, SOAP12_NS, `${prefix}:Node`, spec.node);
  if (spec.role) appendElement(fault, SOAP12_NS, `${prefix}:Role`, spec.role);
  if (spec.detail) spec.detail(appendElement(fault, SOAP12_NS, `${prefix}:Detail`), doc);
  return fault;
}

/** A complete fault message (envelope without Header). */
export function buildFaultEnvelope(spec: SoapFaultSpec): SoapEnvelope {
  const envelope = createEnvelope({ header: false });
  appendFault(envelope.body, spec);
  return envelope;
}

/** Reads a `soap:Fault` element. Lenient on missing Reason; strict on Code. */
export function parseFault(fault: Element): Result<SoapFault> {
  const code = firstChildElement(fault, SOAP12_NS, 'Code');
  if (!code) return fail('soap:Fault', 'missing soap:Code');
  const value = textOf(firstChildElement(code, SOAP12_NS, 'Value'));
  if (!value) return fail('soap:Fault/soap:Code', 'missing soap:Value');
  const codeValue = firstChildElement(code, SOAP12_NS, 'Value')!;
  const codeName = resolveQName(value, codeValue);
  const known = FAULT_CODES.includes(codeName.localName) ? (codeName.localName as SoapFaultCode) : undefined;
  if (!known) return fail('soap:Fault/soap:Code/soap:Value', `"${value}" is not a SOAP 1.2 fault code`);
  const subcodes: QName[] = [];
  let holder: Element | undefined = code;
  for (let depth = 0; depth < 16 && holder; depth++) {
    holder = firstChildElement(holder, SOAP12_NS, 'Subcode');
    if (!holder) break;
    const valueElement = firstChildElement(holder, SOAP12_NS, 'Value');
    const text = textOf(valueElement);
    if (valueElement && text) subcodes.push(resolveQName(text, valueElement));
  }
  const reasonTexts = childElements(firstChildElement(fault, SOAP12_NS, 'Reason') ?? fault, SOAP12_NS, 'Text');
  const chosen = reasonTexts.find((t) => /^fr/i.test(t.getAttributeNS(XML_NS, 'lang') ?? '')) ?? reasonTexts[0];
  const detailElement = firstChildElement(fault, SOAP12_NS, 'Detail');
  const result: SoapFault = {
    code: known,
    subcodes,
    reason: textOf(chosen) ?? '',
    detail: detailElement ? childElements(detailElement) : [],
  };
  const lang = chosen?.getAttributeNS(XML_NS, 'lang');
  if (lang) result.reasonLang = lang;
  const node = textOf(firstChildElement(fault, SOAP12_NS, 'Node'));
  if (node) result.node = node;
  const role = textOf(firstChildElement(fault, SOAP12_NS, 'Role'));
  if (role) result.role = role;
  return ok(result);
}
