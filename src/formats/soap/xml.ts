/**
 * Small namespace-exact DOM helpers over @xmldom/xmldom shared by the SOAP codecs.
 * Parsing never throws: it returns a Result naming the problem and its position.
 */
import { DOMParser, XMLSerializer, type Document, type Element, type Node } from '@xmldom/xmldom';
import { fail, ok, type Result } from '../result.ts';

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const CDATA_SECTION_NODE = 4;
const DOCUMENT_TYPE_NODE = 10;

/**
 * Parses XML into a DOM. Errors (not warnings) stop parsing. A document type declaration is
 * refused: SOAP 1.2 Part 1 §5 forbids it, and refusing it closes entity-expansion attacks.
 */
export function parseXml(xml: string, field = 'xml'): Result<Document> {
  if (typeof xml !== 'string' || xml.trim() === '') return fail(field, 'empty document');
  if (/<!DOCTYPE/i.test(xml)) return fail(field, 'a document type declaration (DOCTYPE) is not allowed');
  let problem: string | undefined;
  let doc: Document;
  try {
    doc = new DOMParser({
      onError: (level, message) => {
        if (level === 'warning') return;
        problem ??= message.replace(/\s+/g, ' ').trim();
        throw new Error(problem);
      },
    }).parseFromString(xml, 'text/xml');
  } catch (error) {
    return fail(field, `not well-formed XML: ${problem ?? (error instanceof Error ? error.message : String(error))}`);
  }
  if (problem) return fail(field, `not well-formed XML: ${problem}`);
  for (let n = doc.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === DOCUMENT_TYPE_NODE) return fail(field, 'a document type declaration (DOCTYPE) is not allowed');
  }
  if (!doc.documentElement) return fail(field, 'no root element');
  return ok(doc);
}

export const isElement = (node: Node | null | undefined): node is Element => node?.nodeType === ELEMENT_NODE;

/** Element children, optionally filtered by namespace (null = no namespace) and local name. */
export function childElements(parent: Element | Document, namespace?: string | null, localName?: string): Element[] {
  const out: Element[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) {
    if (!isElement(n)) continue;
    if (namespace !== undefined && (n.namespaceURI ?? null) !== namespace) continue;
    if (localName !== undefined && n.localName !== localName) continue;
    out.push(n);
  }
  return out;
}

export const firstChildElement = (parent: Element, namespace?: string | null, localName?: string): Element | undefined =>
  childElements(parent, namespace, localName)[0];

/** Concatenated text and CDATA content of an element's direct children, trimmed. */
export function textOf(element: Element | undefined): string | undefined {
  if (!element) return undefined;
  let text = '';
  for (let n = element.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === TEXT_NODE || n.nodeType === CDATA_SECTION_NODE) text += n.nodeValue ?? '';
  }
  return text.trim();
}

/** `{namespace}local` — how errors name an element. */
export const qualifiedName = (element: Element): string =>
  element.namespaceURI ? `{${element.namespaceURI}}${element.localName}` : String(element.localName);

/** Appends `<prefix:name>text</prefix:name>` in `namespace` and returns it. */
export function appendElement(parent: Element, namespace: string | null, name: string, text?: string): Element {
  const doc = parent.ownerDocument!;
  const child = doc.createElementNS(namespace, name);
  if (text !== undefined) child.appendChild(doc.createTextNode(text));
  parent.appendChild(child);
  return child;
}

/** Resolves a QName text value (`prefix:local`) against the namespaces in scope of `context`. */
export function resolveQName(value: string, context: Element): { namespace: string | null; localName: string; prefix: string | null } {
  const trimmed = value.trim();
  const colon = trimmed.indexOf(':');
  const prefix = colon > 0 ? trimmed.slice(0, colon) : null;
  const localName = colon > 0 ? trimmed.slice(colon + 1) : trimmed;
  const namespace = context.lookupNamespaceURI(prefix) ?? null;
  return { namespace, localName, prefix };
}

export function serializeXml(doc: Document, declaration = true): string {
  const body = new XMLSerializer().serializeToString(doc);
  return declaration ? `<?xml version="1.0" encoding="UTF-8"?>${body}` : body;
}
