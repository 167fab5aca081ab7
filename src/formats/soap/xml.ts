/**
 * Small namespace-exact DOM helpers over @xmldom/xmldom shared by the SOAP codecs (parsing
 * itself is formats/xml.ts).
 */
import { XMLSerializer, type Document, type Element } from '@xmldom/xmldom';
import { isElement } from '../xml.ts';

export { isElement, parseXml, textOf } from '../xml.ts';

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
