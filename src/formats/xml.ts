/**
 * Safe XML parsing for every codec (SOAP, CDA, XDS…): @xmldom/xmldom with errors as Results,
 * and no document type declaration (no entity expansion). Never throws.
 */
import { DOMParser, type Document, type Element, type Node } from '@xmldom/xmldom';
import { fail, ok, type Result } from './result.ts';

export const ELEMENT_NODE = 1;
export const TEXT_NODE = 3;
export const CDATA_SECTION_NODE = 4;
const DOCUMENT_TYPE_NODE = 10;

/** Parses XML into a DOM. Errors (not warnings) stop parsing; a DOCTYPE is refused. */
export function parseXml(xml: string, field = 'xml'): Result<Document> {
  if (typeof xml !== 'string' || xml.trim() === '') return fail(field, 'empty document');
  if (xml.charCodeAt(0) === 0xfeff) xml = xml.slice(1); // byte order mark read as text
  if (/<!DOCTYPE/i.test(xml)) return fail(field, 'a document type declaration (DOCTYPE) is not allowed');
  let problem: string | undefined;
  let doc: Document;
  try {
    doc = new DOMParser({
      onError: (level, message) => {
        if (level === 'warning') return;
        problem ??= String(message).replace(/\s+/g, ' ').trim();
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

const ESCAPE_TEXT: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };
const ESCAPE_ATTRIBUTE: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;' };

/** Text content as XML writes it: `&`, `<`, `>` escaped. */
export const escapeText = (text: string): string => (/[&<>]/.test(text) ? text.replace(/[&<>]/g, (c) => ESCAPE_TEXT[c]!) : text);

/** An attribute value as XML writes it (quoted either way; tab and line ends kept as references). */
export const escapeAttribute = (text: string): string =>
  (/[&<>"'\t\n\r]/.test(text) ? text.replace(/[&<>"'\t\n\r]/g, (c) => ESCAPE_ATTRIBUTE[c]!) : text);

export const isElement = (node: Node | null | undefined): node is Element => node?.nodeType === ELEMENT_NODE;

/** Concatenated text and CDATA content of an element's direct children, trimmed. */
export function textOf(element: Element | undefined): string | undefined {
  if (!element) return undefined;
  let text = '';
  for (let n = element.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === TEXT_NODE || n.nodeType === CDATA_SECTION_NODE) text += n.nodeValue ?? '';
  }
  return text.trim();
}
