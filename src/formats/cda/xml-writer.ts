/**
 * A minimal element tree for writing CDA, serialized by hand. Why not the @xmldom/xmldom DOM:
 * building and serializing ~200 header nodes through it costs ~0.5 ms, which alone caps a core
 * below the 2,000 N1 wraps/s goal; this tree is ~10× faster.
 *
 * Namespace exactness is by construction: every element written here is in the HL7 v3
 * namespace (`urn:hl7-org:v3`), declared once as the default namespace on the root together
 * with `xsi`; no element carries a prefix, so no other declaration is needed. Foreign XML
 * (entries of a structured body, kept as DOM nodes by the parser) is added with `addRaw`,
 * serialized by xmldom with its own namespace declarations.
 */
import { XMLSerializer, type Element as DomElement } from '@xmldom/xmldom';
import { escapeAttribute, escapeText } from '../xml.ts';

export interface XmlElement {
  readonly name: string;
  /** Serialized attributes (` a="v"` …). */
  attributes: string;
  children: Array<XmlElement | string> | undefined;
}

export type Attributes = Record<string, string | undefined>;


export function element(name: string, attributes?: Attributes): XmlElement {
  let serialized = '';
  if (attributes) {
    for (const key in attributes) {
      const value = attributes[key];
      if (value !== undefined) serialized += ` ${key}="${escapeAttribute(String(value))}"`;
    }
  }
  return { name, attributes: serialized, children: undefined };
}

/**
 * Appends a child element (HL7 namespace) with optional attributes and text; returns it. Values
 * are coerced to text so that a model field of the wrong type can never produce malformed XML
 * (the model validators reject such fields first, naming them).
 */
export function add(parent: XmlElement, name: string, attributes?: Attributes, text?: string): XmlElement {
  const child = element(name, attributes);
  if (text !== undefined) child.children = [escapeText(String(text))];
  (parent.children ??= []).push(child);
  return child;
}

/** Appends already-serialized text (e.g. base64, which needs no escaping). */
export function addSerializedText(parent: XmlElement, serialized: string): void {
  (parent.children ??= []).push(serialized);
}

const domSerializer = new XMLSerializer();

/** Appends a foreign DOM element as XML (xmldom writes the namespace declarations it needs). */
export function addRaw(parent: XmlElement, node: DomElement): void {
  (parent.children ??= []).push(domSerializer.serializeToString(node));
}

function write(e: XmlElement): string {
  const children = e.children;
  if (children === undefined || children.length === 0) return `<${e.name}${e.attributes}/>`;
  let out = `<${e.name}${e.attributes}>`;
  for (let i = 0; i < children.length; i++) {
    const c = children[i]!;
    out += typeof c === 'string' ? c : write(c);
  }
  return `${out}</${e.name}>`;
}

/** Serializes a tree with the XML declaration. */
export function serialize(root: XmlElement): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${write(root)}`;
}
