/**
 * Namespace-exact DOM helpers over @xmldom/xmldom for CDA documents (parsing itself is
 * formats/xml.ts).
 */
import type { Document, Element } from '@xmldom/xmldom';
import { isElement } from '../xml.ts';
import type { CodedValue, Identifier } from './model.ts';

export const NS = {
  hl7: 'urn:hl7-org:v3',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  xmlns: 'http://www.w3.org/2000/xmlns/',
  xsl: 'http://www.w3.org/1999/XSL/Transform',
  /** Wrapper of self-presenting documents (`ci-sis:Contenu`). */
  ciSis: 'urn:asip-sante:ci-sis',
  /** DICOM PS3.20 (`accessionNumber`). */
  dicom: 'urn:dicom-org:ps3-20',
} as const;

export { isElement, parseXml, textOf } from '../xml.ts';

/** HL7 v3 element children named `localName` (all HL7 children when omitted). */
export function kids(parent: Element | undefined, localName?: string, namespace: string = NS.hl7): Element[] {
  const out: Element[] = [];
  if (!parent) return out;
  for (let n = parent.firstChild; n; n = n.nextSibling) {
    if (!isElement(n)) continue;
    if ((n.namespaceURI ?? null) !== namespace) continue;
    if (localName !== undefined && n.localName !== localName) continue;
    out.push(n);
  }
  return out;
}

/** First HL7 child named `localName`. */
export function kid(parent: Element | undefined, localName: string, namespace: string = NS.hl7): Element | undefined {
  if (!parent) return undefined;
  for (let n = parent.firstChild; n; n = n.nextSibling) {
    if (isElement(n) && n.localName === localName && (n.namespaceURI ?? null) === namespace) return n;
  }
  return undefined;
}

/** Follows a `a/b/c` path of first HL7 children. */
export function at(parent: Element | undefined, path: string): Element | undefined {
  let current = parent;
  for (const step of path.split('/')) {
    current = kid(current, step);
    if (!current) return undefined;
  }
  return current;
}

/** All elements reached by a `a/b/c` path (every match at every step). */
export function all(parent: Element | undefined, path: string): Element[] {
  let current: Element[] = parent ? [parent] : [];
  for (const step of path.split('/')) current = current.flatMap((e) => kids(e, step));
  return current;
}

/** Attribute value, or undefined when absent (xmldom returns '' or null for absent ones). */
export function attr(element: Element | undefined, name: string): string | undefined {
  if (!element || !element.hasAttribute(name)) return undefined;
  return element.getAttribute(name) ?? undefined;
}


/** All descendant text (narrative blocks), whitespace collapsed. */
export function deepText(element: Element | undefined): string | undefined {
  if (!element) return undefined;
  return (element.textContent ?? '').replace(/\s+/g, ' ').trim();
}

export function identifierOf(element: Element | undefined): Identifier | undefined {
  const root = attr(element, 'root');
  if (root === undefined) return undefined;
  const extension = attr(element, 'extension');
  return extension === undefined ? { root } : { root, extension };
}

export function codedValueOf(element: Element | undefined): CodedValue | undefined {
  const code = attr(element, 'code');
  if (code === undefined) return undefined;
  const value: CodedValue = { code, codeSystem: attr(element, 'codeSystem') ?? '' };
  const displayName = attr(element, 'displayName');
  if (displayName !== undefined) value.displayName = displayName;
  const codeSystemName = attr(element, 'codeSystemName');
  if (codeSystemName !== undefined) value.codeSystemName = codeSystemName;
  return value;
}

/** Finds the ClinicalDocument element: the root, or inside `ci-sis:Contenu` (self-presenting). */
export function findClinicalDocument(doc: Document): { root: Element; selfPresenting: boolean } | undefined {
  const top = doc.documentElement;
  if (!top) return undefined;
  if (top.localName === 'ClinicalDocument' && top.namespaceURI === NS.hl7) return { root: top, selfPresenting: false };
  if (top.namespaceURI !== NS.xsl) return undefined;
  const contents = top.getElementsByTagNameNS(NS.ciSis, 'Contenu');
  for (let i = 0; i < contents.length; i++) {
    const found = kid(contents.item(i) ?? undefined, 'ClinicalDocument');
    if (found) return { root: found, selfPresenting: true };
  }
  return undefined;
}

/** Characters XML 1.0 cannot carry (C0 controls except tab/LF/CR, U+FFFE/U+FFFF, lone surrogates). */
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\uD800-\uDFFF]/u; // with /u, only lone surrogates match
export const hasNonXmlCharacter = (text: string): boolean => NOT_XML.test(text);
