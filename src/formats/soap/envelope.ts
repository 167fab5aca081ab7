/**
 * SOAP 1.2 envelope (W3C SOAP 1.2 Part 1 §5): build and read, namespace-exactly.
 *
 * Reading is lenient where real services are: the Header is optional (the CNDA canned INSi
 * responses have none), comments and whitespace may stand anywhere, prefixes are free. It is
 * strict where the spec is: the root must be `{SOAP 1.2}Envelope`, `Body` is required,
 * `Header` may only come first, nothing may follow `Body`, no DTD.
 */
import { DOMImplementation, type Document, type Element } from '@xmldom/xmldom';
import { fail, ok, type Result } from '../result.ts';
import { SOAP11_NS, SOAP12_NS } from './namespaces.ts';
import { parseFault, type SoapFault } from './fault.ts';
import { childElements, parseXml, qualifiedName, serializeXml } from './xml.ts';

export interface SoapEnvelope {
  document: Document;
  envelope: Element;
  /** Present when built with headers, or when the parsed message has a Header. */
  header?: Element;
  body: Element;
}

/** Creates an empty envelope: `soap:Envelope` with `soap:Header` (unless `header: false`) and `soap:Body`. */
export function createEnvelope(options: { prefix?: string; header?: boolean } = {}): SoapEnvelope & { header?: Element } {
  const prefix = options.prefix ?? 'soap';
  const document = new DOMImplementation().createDocument(SOAP12_NS, `${prefix}:Envelope`, null);
  const envelope = document.documentElement!;
  let header: Element | undefined;
  if (options.header !== false) {
    header = document.createElementNS(SOAP12_NS, `${prefix}:Header`);
    envelope.appendChild(header);
  }
  const body = document.createElementNS(SOAP12_NS, `${prefix}:Body`);
  envelope.appendChild(body);
  return header ? { document, envelope, header, body } : { document, envelope, body };
}

/** Serialises an envelope as UTF-8 XML with declaration. */
export const serializeEnvelope = (envelope: SoapEnvelope | Document): string =>
  serializeXml('document' in envelope ? envelope.document : envelope);

export interface ParsedEnvelope extends SoapEnvelope {
  /** Element children of Header (empty when there is no Header). */
  headerBlocks: Element[];
  /** First element child of Body (the payload), if any. */
  payload?: Element;
  /** Set when the payload is a SOAP 1.2 Fault. */
  fault?: SoapFault;
}

/** Reads a SOAP 1.2 message. Never throws; errors name the element and the rule. */
export function parseEnvelope(xml: string): Result<ParsedEnvelope> {
  const parsed = parseXml(xml, 'soap:Envelope');
  if (!parsed.ok) return parsed;
  const document = parsed.value;
  const envelope = document.documentElement!;
  if (envelope.localName === 'Envelope' && envelope.namespaceURI === SOAP11_NS) {
    return fail('soap:Envelope', `SOAP 1.1 envelope (${SOAP11_NS}); SOAP 1.2 (${SOAP12_NS}) expected`);
  }
  if (envelope.localName !== 'Envelope' || envelope.namespaceURI !== SOAP12_NS) {
    return fail('soap:Envelope', `root element is ${qualifiedName(envelope)}, expected {${SOAP12_NS}}Envelope`);
  }
  const children = childElements(envelope);
  let index = 0;
  let header: Element | undefined;
  const first = children[0];
  if (first && first.namespaceURI === SOAP12_NS && first.localName === 'Header') {
    header = first;
    index = 1;
  }
  const body = children[index];
  if (!body || body.namespaceURI !== SOAP12_NS || body.localName !== 'Body') {
    return fail('soap:Body', body ? `expected soap:Body, found ${qualifiedName(body)}` : 'missing soap:Body');
  }
  const after = children[index + 1];
  if (after) return fail('soap:Envelope', `${qualifiedName(after)} may not follow soap:Body`);
  const payloads = childElements(body);
  const payload = payloads[0];
  const result: ParsedEnvelope = { document, envelope, body, headerBlocks: header ? childElements(header) : [] };
  if (header) result.header = header;
  if (payload) {
    result.payload = payload;
    if (payload.namespaceURI === SOAP12_NS && payload.localName === 'Fault') {
      const fault = parseFault(payload);
      if (!fault.ok) return fault;
      result.fault = fault.value;
    }
  }
  return ok(result);
}
