/**
 * Canonical XML 1.0 (inclusive) of a whole document, with or without comments, computed in one
 * pass over the string: no DOM is built. Spec: https://www.w3.org/TR/2001/REC-xml-c14n-20010315
 * (§2.3 processing model, §1.1 for `#WithComments`).
 *
 * What the canonical form is, in the order the reader meets it:
 * - the input is read as XML 1.0: byte order mark skipped, line ends normalised as if before
 *   anything else (CRLF and lone CR → LF, XML 1.0 §2.11: done where they occur, which saves a
 *   pass over the document), XML declaration dropped, a DOCTYPE refused (same safety policy as
 *   `parseXml` in xml.ts: no DTD, so only the five predefined entities);
 * - comments (in `comments` mode) and processing instructions outside the root element are kept,
 *   each followed by LF before the root and preceded by LF after it; whitespace there is dropped;
 * - start and end tags are always written `<a …></a>` (empty-element tags expanded); namespace
 *   declarations come first (default first, then by prefix), then attributes sorted by
 *   (namespace URI, local name), attributes without namespace first; a declaration that the
 *   parent already has in scope with the same value is superfluous and dropped (so `xmlns=""`
 *   only appears under a non-empty default namespace); the `xml` prefix is never declared;
 * - attribute values are normalised as an XML parser does (literal TAB and line ends become
 *   spaces, not character references), references expanded, then escaped
 *   `&amp; &lt; &quot; &#x9; &#xA; &#xD;`;
 * - text has its references expanded, CDATA sections are replaced by their content, then it is
 *   escaped `&amp; &lt; &gt; &#xD;`; comments and PIs are written verbatim (`<?target data?>`).
 *
 * Errors are returned, never thrown: the rule names the line and the tag when it can.
 *
 * `canonicalizeElement` gives the canonical form of one element and its descendants taken in
 * their document — the document subset an XML-DSig `#Id` reference designates. The whole
 * document is read (and must be well-formed); only the selected subtree is written, as above
 * but for its top element, the apex, whose parent is not in the subset (C14N §2.3, §2.4):
 * - it gets every namespace declaration in scope, its own and those inherited from its
 *   ancestors (nearest first), except an empty default namespace (`xmlns=""` is only written
 *   under an output ancestor with a default namespace, and the apex has none);
 * - it gets the `xml:*` attributes of its ancestors (the nearest one for each name) that it
 *   does not carry itself, sorted with its own attributes;
 * - nothing outside the subtree is written (no comment or PI around the root either).
 */
import { fail, ok, type Result } from './result.ts';

export interface CanonicalizeOptions {
  /** Keep comments (`…#WithComments`, the default) or drop them (plain C14N). */
  comments?: boolean;
}

const FIELD = 'xml';
const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

/** Canonical form of a whole XML document (Canonical XML 1.0, inclusive), or why it is not well-formed. */
export function canonicalizeDocument(xml: string, options: CanonicalizeOptions = {}): Result<string> {
  return canonicalize(xml, options, undefined);
}

/** What `canonicalizeElement`'s selector sees of an element, during the call only. */
export interface SelectableElement {
  /** '' for no namespace. */
  namespaceURI: string;
  localName: string;
  /** 0 for the root element, 1 for its children… */
  depth: number;
  /** The value of the attribute written `qname` (`Id`, `xml:lang`…), normalised and references expanded; undefined when absent. */
  attribute(qname: string): string | undefined;
}

/**
 * Canonical form of the one element `select` accepts and its descendants, in the context of
 * `xml` (see the top of this file), or why not: the document is not well-formed, no element is
 * selected, or two are (one of them may be inside the other). `select` is called once per
 * element, in document order.
 */
export function canonicalizeElement(xml: string, select: (element: SelectableElement) => boolean, options: CanonicalizeOptions = {}): Result<string> {
  return canonicalize(xml, options, select);
}

function canonicalize(xml: string, options: CanonicalizeOptions, select: ((element: SelectableElement) => boolean) | undefined): Result<string> {
  if (typeof xml !== 'string' || xml.trim() === '') return fail(FIELD, 'empty document');
  if (xml.charCodeAt(0) === 0xfeff) xml = xml.slice(1); // byte order mark read as text
  const forbidden = forbiddenCharacter(xml);
  if (forbidden >= 0) {
    const code = xml.codePointAt(forbidden)!;
    return fail(FIELD, `line ${lineAt(xml, forbidden)}: character U+${code.toString(16).toUpperCase().padStart(4, '0')} is not allowed in XML`);
  }
  try {
    return ok(new Canonicalizer(xml, options.comments ?? true, select).document());
  } catch (error) {
    if (error instanceof Refusal) return fail(FIELD, error.message);
    throw error;
  }
}

/** Thrown inside the reader only (not well-formed, or not a single element selected), turned into a `fail` result by `canonicalize`. */
class Refusal extends Error {}

/** One attribute of the start tag being read. */
interface Attribute {
  qname: string;
  /** Index of the `:` in `qname`, or -1. */
  colon: number;
  /** Where the value is in the source, between the quotes. */
  valueStart: number;
  valueEnd: number;
  /** The value normalised and references expanded (not yet escaped) when that changed it, else undefined. */
  expanded: string | undefined;
  /** The value in the source is already canonical: between double quotes, nothing to expand, so nothing to escape. */
  plain: boolean;
  /** Written in the source exactly as in the canonical form: ` name="value"`. */
  verbatim: boolean;
  /** Namespace URI, '' for none; set once the declarations of the element are known. */
  uri: string;
  local: string;
}

/** The value of `attribute`, normalised and references expanded, not yet escaped. */
const valueOf = (src: string, attribute: Attribute): string => attribute.expanded ?? src.slice(attribute.valueStart, attribute.valueEnd);

const newAttribute = (): Attribute => ({ qname: '', colon: -1, valueStart: 0, valueEnd: 0, expanded: undefined, plain: false, verbatim: false, uri: '', local: '' });

/** A namespace declaration that the canonical form writes on its element. */
interface Declaration {
  prefix: string;
  uri: string;
}

/** An attribute the apex of a document subset writes: its own, or an xml:* one it inherits. */
interface ApexAttribute {
  qname: string;
  uri: string;
  local: string;
  /** Normalised, references expanded, not yet escaped. */
  value: string;
}

/**
 * The element whose start tag is being read, as `canonicalizeElement`'s selector sees it: its
 * attributes are the first `attributeCount` of the reader's pool. A class rather than an object
 * literal with a closure, which would be built again for each element.
 */
class ElementView implements SelectableElement {
  namespaceURI = '';
  localName = '';
  depth = 0;
  attributeCount = 0;

  constructor(
    private readonly src: string,
    private readonly attributes: readonly Attribute[],
  ) {}

  attribute(qname: string): string | undefined {
    for (let i = 0; i < this.attributeCount; i++) {
      const attribute = this.attributes[i]!;
      if (attribute.qname === qname) return valueOf(this.src, attribute);
    }
    return undefined;
  }
}

/**
 * The reader and writer. `pos` moves forward only and each construct is read once. Most of a
 * document is already canonical, so the output is the source copied in runs: `replace` writes
 * the canonical form of a construct that differs (an empty-element tag, attributes out of
 * order, a reference, a CDATA section…) and the source up to it; the pieces are joined at the end.
 *
 * With a selector (`canonicalizeElement`) the whole document is read the same way, but the
 * source is written out only from the start tag of the selected element, the apex, to its end tag.
 */
class Canonicalizer {
  private pos = 0;
  private readonly out: string[] = [];
  /** The source before this index is in `out` (or replaced there). */
  private copied = 0;
  private rootSeen = false;
  /** Open elements: qualified name, where the start tag began, undo-log length at that point. */
  private readonly openNames: string[] = [];
  private readonly openStarts: number[] = [];
  private readonly openUndo: number[] = [];
  /** In-scope namespace bindings ('' = default namespace), restored from the undo log at each end tag. */
  private readonly bindings = new Map<string, string>([['xml', XML_NS]]);
  private readonly undoPrefixes: string[] = [];
  private readonly undoValues: Array<string | undefined> = [];
  /** The attributes of the start tag being read: the first `attributeCount` of a pool reused from tag to tag. */
  private readonly attributes: Attribute[] = [];
  private attributeCount = 0;
  /** Their names, only for a tag with many attributes (then a linear search for duplicates would be quadratic). */
  private attributeNames: Set<string> | undefined;
  /** Set by `qualifiedName`: the index of the name's colon, or -1. */
  private colon = -1;
  /** Set by `reference`: the index just after the `;`. */
  private afterReference = 0;
  /** Where the next `&`, `>` and CR were found (src.length for none): see `text`. */
  private nextAmpersand = -1;
  private nextGreaterThan = -1;
  private nextCarriageReturn = -1;
  /** Whether the source read is written out: always for a document; for a subset, inside the apex only. */
  private emitting: boolean;
  /** Subset: the selected element's name and where its start tag began (-1 until one is selected). */
  private selectedName = '';
  private selectedAt = -1;
  /** Subset: index of the apex in `openNames` while it is open, else -1. */
  private apexDepth = -1;
  /** Subset: what the selector sees of the element being read (one view, updated at each element). */
  private elementView: ElementView | undefined;
  /** Subset: the xml:* attributes of each open element read before the apex, for it to inherit. */
  private readonly openXmlAttributes: Array<ApexAttribute[] | undefined> = [];

  constructor(
    private readonly src: string,
    private readonly comments: boolean,
    private readonly select: ((element: SelectableElement) => boolean) | undefined,
  ) {
    this.emitting = select === undefined;
  }

  document(): string {
    this.xmlDeclaration();
    const src = this.src;
    for (;;) {
      const lt = src.indexOf('<', this.pos);
      const textEnd = lt < 0 ? src.length : lt;
      if (this.openNames.length === 0) this.outsideRoot(this.pos, textEnd);
      else if (textEnd > this.pos) this.text(this.pos, textEnd);
      if (lt < 0) break;
      this.pos = lt;
      this.markup();
    }
    const depth = this.openNames.length;
    if (depth > 0) this.fail(this.openStarts[depth - 1]!, `element <${this.openNames[depth - 1]}> is not closed`);
    if (!this.rootSeen) this.fail(src.length, 'no root element');
    if (this.select !== undefined && this.selectedAt < 0) throw new Refusal('no element is selected');
    this.replace(src.length, src.length, '');
    return this.out.join('');
  }

  /** Writes `canonical` instead of the source from `start` to `end` (and the source before it), when emitting. */
  private replace(start: number, end: number, canonical: string): void {
    if (this.emitting) {
      if (start > this.copied) this.out.push(this.src.slice(this.copied, start));
      if (canonical !== '') this.out.push(canonical);
    }
    this.copied = end;
  }

  /** `<?xml version="1.0" …?>`, only at the very start: checked and dropped. */
  private xmlDeclaration(): void {
    if (!this.src.startsWith('<?xml') || !isSpace(this.src.charCodeAt(5))) return;
    const declaration = XML_DECLARATION.exec(this.src);
    if (!declaration) this.fail(0, 'malformed XML declaration (expected <?xml version="1.0" encoding="…" standalone="yes|no"?>)');
    this.pos = declaration[0].length;
    this.replace(0, this.pos, '');
  }

  /** Between markup outside the root element only whitespace may appear; it is not output. */
  private outsideRoot(start: number, end: number): void {
    for (let i = start; i < end; i++) {
      if (!isSpace(this.src.charCodeAt(i))) this.fail(i, 'text is not allowed outside the root element');
    }
    if (end > start) this.replace(start, end, '');
  }

  /** At a `<`: dispatches on what follows. */
  private markup(): void {
    const src = this.src;
    const next = src.charCodeAt(this.pos + 1);
    if (next === SLASH) this.endTag();
    else if (next === QUESTION) this.processingInstruction();
    else if (next !== BANG) this.startTag();
    else if (src.startsWith('<!--', this.pos)) this.comment();
    else if (src.startsWith('<![CDATA[', this.pos)) this.cdata();
    else if (src.startsWith('<!DOCTYPE', this.pos)) this.fail(this.pos, 'a document type declaration (DOCTYPE) is not allowed');
    else this.fail(this.pos, "'<!' must start a comment or a CDATA section");
  }

  // ---- elements ----------------------------------------------------------------------------

  private startTag(): void {
    const src = this.src;
    const lt = this.pos;
    const nameEnd = this.qualifiedName(lt + 1, 'element name', '');
    const qname = src.slice(lt + 1, nameEnd);
    const colon = this.colon < 0 ? -1 : this.colon - lt - 1;
    if (this.openNames.length === 0 && this.rootSeen) this.fail(lt, `a second root element <${qname}> (a document has a single root element)`);
    this.attributeCount = 0;
    this.attributeNames = undefined;
    let p = nameEnd;
    for (;;) {
      const q = this.skipSpace(p);
      const c = src.charCodeAt(q);
      if (c === GT || (c === SLASH && src.charCodeAt(q + 1) === GT)) {
        const empty = c === SLASH;
        this.pos = q + (empty ? 2 : 1);
        // Canonical in place when nothing separates the last attribute (or the name) from '>' or '/>'.
        this.openElement(qname, colon, lt, empty, q === p);
        return;
      }
      if (q >= src.length) this.fail(lt, `start tag <${qname}> is not closed`);
      if (q === p) this.fail(q, `start tag <${qname}>: expected whitespace, '>' or '/>' but found ${describe(src, q)}`);
      p = this.attribute(p, q, qname);
    }
  }

  /**
   * Reads `name = "value"` at `start` (after whitespace from `space`), adds it to the attributes
   * of the tag, returns the index after the closing quote.
   */
  private attribute(space: number, start: number, element: string): number {
    const src = this.src;
    const nameEnd = this.qualifiedName(start, 'attribute name in', element);
    const colon = this.colon;
    const qname = src.slice(start, nameEnd);
    if (this.isDuplicateName(qname)) this.fail(start, `attribute ${qname} appears twice in <${element}>`);
    const equals = this.skipSpace(nameEnd);
    if (src.charCodeAt(equals) !== EQUALS) this.fail(equals, `attribute ${qname} of <${element}>: expected '=' but found ${describe(src, equals)}`);
    const open = this.skipSpace(equals + 1);
    const quote = src.charCodeAt(open);
    if (quote !== DOUBLE_QUOTE && quote !== SINGLE_QUOTE) this.fail(open, `attribute ${qname} of <${element}>: the value must be quoted`);
    const close = src.indexOf(quote === DOUBLE_QUOTE ? '"' : "'", open + 1);
    if (close < 0) this.fail(open, `attribute ${qname} of <${element}>: the value is not closed`);
    const attribute = (this.attributes[this.attributeCount++] ??= newAttribute());
    attribute.qname = qname;
    attribute.colon = colon < 0 ? -1 : colon - start;
    attribute.valueStart = open + 1;
    attribute.valueEnd = close;
    attribute.expanded = this.attributeValue(open + 1, close, qname, element);
    attribute.plain = quote === DOUBLE_QUOTE && attribute.expanded === undefined;
    attribute.verbatim = attribute.plain && start === space + 1 && src.charCodeAt(space) === SPACE && equals === nameEnd && open === equals + 1;
    attribute.uri = '';
    attribute.local = qname;
    return close + 1;
  }

  /** Whether the tag already has an attribute named `qname`. */
  private isDuplicateName(qname: string): boolean {
    const count = this.attributeCount;
    if (count < MANY_ATTRIBUTES) {
      for (let i = 0; i < count; i++) if (this.attributes[i]!.qname === qname) return true;
      return false;
    }
    if (this.attributeNames === undefined) {
      this.attributeNames = new Set();
      for (let i = 0; i < count; i++) this.attributeNames.add(this.attributes[i]!.qname);
    }
    if (this.attributeNames.has(qname)) return true;
    this.attributeNames.add(qname);
    return false;
  }

  private valueOf(attribute: Attribute): string {
    return valueOf(this.src, attribute);
  }

  /**
   * Namespaces (Namespaces in XML 1.0 §3, §5, §6.3; C14N §2.3 for the output), then the canonical
   * start tag, and the end tag at once for an empty element. `colon`: index of the colon in
   * `qname`, or -1; `verbatim`: the source has no extra whitespace in the tag.
   */
  private openElement(qname: string, colon: number, start: number, empty: boolean, verbatim: boolean): void {
    const attributes = this.attributes;
    const undoMark = this.undoPrefixes.length;
    let declarations: Declaration[] | undefined;
    let ordinary = 0; // attributes that are not declarations, moved to the front of the pool
    for (let i = 0; i < this.attributeCount; i++) {
      const attribute = attributes[i]!;
      verbatim &&= attribute.verbatim;
      const prefix = namespacePrefix(attribute);
      if (prefix === undefined) {
        attributes[i] = attributes[ordinary]!;
        attributes[ordinary++] = attribute;
        continue;
      }
      const uri = this.valueOf(attribute);
      this.checkDeclaration(prefix, uri, start, qname);
      const inherited = this.bindings.get(prefix);
      // Superfluous when the parent (always output in a whole document) has the same binding;
      // the default namespace is '' when undeclared; the xml prefix is never written.
      const superfluous = prefix === 'xml' || (prefix === '' ? (inherited ?? '') === uri : inherited === uri);
      if (superfluous) verbatim = false;
      else {
        // In place only if declarations come first, already in order.
        if (ordinary > 0 || (declarations !== undefined && compareCodePoints(declarations[declarations.length - 1]!.prefix, prefix) > 0)) verbatim = false;
        (declarations ??= []).push({ prefix, uri });
      }
      this.undoPrefixes.push(prefix);
      this.undoValues.push(inherited);
      this.bindings.set(prefix, uri);
    }
    const count = ordinary;

    if (colon > 0) this.namespaceOf(qname.slice(0, colon), start, qname, '');
    let prefixed = 0;
    for (let i = 0; i < count; i++) {
      const attribute = attributes[i]!;
      if (attribute.colon < 0) continue;
      attribute.uri = this.namespaceOf(attribute.qname.slice(0, attribute.colon), start, qname, attribute.qname);
      attribute.local = attribute.qname.slice(attribute.colon + 1);
      prefixed++;
    }
    if (!sortAttributes(attributes, count)) verbatim = false;
    // Sorted, two prefixed attributes with the same namespace and local name are neighbours.
    for (let i = 1; prefixed > 1 && i < count; i++) {
      const [a, b] = [attributes[i - 1]!, attributes[i]!];
      if (a.colon >= 0 && b.colon >= 0 && a.uri === b.uri && a.local === b.local) {
        this.fail(start, `attributes ${a.qname} and ${b.qname} of <${qname}> have the same namespace and local name`);
      }
    }

    const end = this.pos;
    if (this.select !== undefined && this.isSelected(qname, colon, count, start)) this.writeApexTag(qname, count, start, end, empty);
    else if (!verbatim) {
      let tag = '<' + qname;
      if (declarations !== undefined) {
        if (declarations.length > 1) declarations.sort((a, b) => compareCodePoints(a.prefix, b.prefix));
        for (const { prefix, uri } of declarations) tag += (prefix === '' ? ' xmlns="' : ' xmlns:' + prefix + '="') + escapeAttributeValue(uri) + '"';
      }
      for (let i = 0; i < count; i++) {
        const attribute = attributes[i]!;
        const value = attribute.plain ? this.src.slice(attribute.valueStart, attribute.valueEnd) : escapeAttributeValue(this.valueOf(attribute));
        tag += ' ' + attribute.qname + '="' + value + '"';
      }
      this.replace(start, end, empty ? tag + '></' + qname + '>' : tag + '>');
    } else if (empty) {
      this.replace(end - 2, end, '></' + qname + '>');
    }

    this.rootSeen = true;
    if (empty) this.restoreBindings(undoMark);
    else {
      this.openNames.push(qname);
      this.openStarts.push(start);
      this.openUndo.push(undoMark);
      this.openXmlAttributes.push(this.select !== undefined && this.selectedAt < 0 ? this.xmlAttributes(count) : undefined);
    }
  }

  /**
   * Subset: whether `select` accepts the element whose start tag is being read (its `count`
   * attributes first in the pool); a second element accepted is refused.
   */
  private isSelected(qname: string, colon: number, count: number, start: number): boolean {
    const element = (this.elementView ??= new ElementView(this.src, this.attributes));
    element.namespaceURI = colon > 0 ? this.bindings.get(qname.slice(0, colon))! : (this.bindings.get('') ?? '');
    element.localName = colon > 0 ? qname.slice(colon + 1) : qname;
    element.depth = this.openNames.length;
    element.attributeCount = count;
    if (!this.select!(element)) return false;
    if (this.selectedAt >= 0) {
      this.fail(start, `<${qname}> is selected, and so is <${this.selectedName}> of line ${lineAt(this.src, this.selectedAt)}: the selection must designate a single element`);
    }
    this.selectedName = qname;
    this.selectedAt = start;
    return true;
  }

  /** The xml:* attributes among the first `count` of the pool, or undefined if none. */
  private xmlAttributes(count: number): ApexAttribute[] | undefined {
    let found: ApexAttribute[] | undefined;
    for (let i = 0; i < count; i++) {
      const attribute = this.attributes[i]!;
      if (attribute.colon >= 0 && attribute.uri === XML_NS) (found ??= []).push({ qname: attribute.qname, uri: XML_NS, local: attribute.local, value: this.valueOf(attribute) });
    }
    return found;
  }

  /**
   * The start tag of the apex, from `start` to `end` in the source (and its end tag when
   * `empty`): its parent is not output, so it declares every namespace in scope but an empty
   * default one, and carries the xml:* attributes of its nearest ancestors that it has not
   * (C14N §2.3, §2.4). From there the source is written out, up to the apex's end tag.
   */
  private writeApexTag(qname: string, count: number, start: number, end: number, empty: boolean): void {
    const declarations = [...this.bindings].filter(([prefix, uri]) => prefix !== 'xml' && uri !== '');
    declarations.sort(([a], [b]) => compareCodePoints(a, b));
    const attributes: ApexAttribute[] = [];
    for (let i = 0; i < count; i++) {
      const attribute = this.attributes[i]!;
      attributes.push({ qname: attribute.qname, uri: attribute.uri, local: attribute.local, value: this.valueOf(attribute) });
    }
    for (let depth = this.openXmlAttributes.length - 1; depth >= 0; depth--) {
      for (const inherited of this.openXmlAttributes[depth] ?? []) {
        if (!attributes.some((a) => a.uri === XML_NS && a.local === inherited.local)) attributes.push(inherited);
      }
    }
    attributes.sort(compareAttributes);
    let tag = '<' + qname;
    for (const [prefix, uri] of declarations) tag += (prefix === '' ? ' xmlns="' : ' xmlns:' + prefix + '="') + escapeAttributeValue(uri) + '"';
    for (const attribute of attributes) tag += ' ' + attribute.qname + '="' + escapeAttributeValue(attribute.value) + '"';
    this.copied = start;
    this.emitting = true;
    this.replace(start, end, empty ? tag + '></' + qname + '>' : tag + '>');
    if (empty) this.emitting = false;
    else this.apexDepth = this.openNames.length;
  }

  private checkDeclaration(prefix: string, uri: string, at: number, element: string): void {
    const declaration = prefix === '' ? 'xmlns' : `xmlns:${prefix}`;
    if (prefix === 'xmlns') this.fail(at, `<${element}>: the prefix xmlns must not be declared`);
    if (prefix === 'xml' && uri !== XML_NS) this.fail(at, `<${element}>: the prefix xml can only be bound to ${XML_NS}`);
    if (prefix !== 'xml' && uri === XML_NS) this.fail(at, `<${element}>: ${declaration} cannot bind ${XML_NS}, reserved for the prefix xml`);
    if (uri === XMLNS_NS) this.fail(at, `<${element}>: ${declaration} cannot bind ${XMLNS_NS}`);
    if (prefix !== '' && uri === '') this.fail(at, `<${element}>: ${declaration}="" cannot undeclare a prefix in XML 1.0`);
  }

  /** The namespace URI bound to `prefix`, used by `element` (or by its attribute `attribute`). */
  private namespaceOf(prefix: string, at: number, element: string, attribute: string): string {
    const uri = prefix === 'xmlns' ? undefined : this.bindings.get(prefix);
    if (uri === undefined) {
      this.fail(at, `${attribute === '' ? `element <${element}>` : `attribute ${attribute} of <${element}>`}: the prefix ${prefix} is not declared`);
    }
    return uri;
  }

  private restoreBindings(mark: number): void {
    const prefixes = this.undoPrefixes;
    const values = this.undoValues;
    while (prefixes.length > mark) {
      const prefix = prefixes.pop()!;
      const value = values.pop();
      if (value === undefined) this.bindings.delete(prefix);
      else this.bindings.set(prefix, value);
    }
  }

  private endTag(): void {
    const src = this.src;
    const lt = this.pos;
    const depth = this.openNames.length;
    const open = depth > 0 ? this.openNames[depth - 1]! : undefined;
    // Fast path: the name of the open element, then whitespace or '>'.
    const after = lt + 2 + (open?.length ?? 0);
    const matches = open !== undefined && src.startsWith(open, lt + 2) && (isSpace(src.charCodeAt(after)) || src.charCodeAt(after) === GT);
    const nameEnd = matches ? after : this.qualifiedName(lt + 2, 'end tag name', '');
    if (!matches) {
      const name = src.slice(lt + 2, nameEnd);
      if (open === undefined) this.fail(lt, `end tag </${name}> without a start tag`);
      if (name !== open) this.fail(lt, `end tag </${name}> does not match start tag <${open}> of line ${lineAt(src, this.openStarts[depth - 1]!)}`);
    }
    const gt = this.skipSpace(nameEnd);
    if (src.charCodeAt(gt) !== GT) this.fail(gt, `end tag </${open}>: expected '>' but found ${describe(src, gt)}`);
    this.pos = gt + 1;
    if (gt > nameEnd) this.replace(lt, this.pos, '</' + open + '>');
    this.openNames.pop();
    this.openStarts.pop();
    this.openXmlAttributes.pop();
    this.restoreBindings(this.openUndo.pop()!);
    if (this.openNames.length === this.apexDepth) {
      // The apex's end tag: written, and nothing after it.
      this.replace(this.pos, this.pos, '');
      this.emitting = false;
      this.apexDepth = -1;
    }
  }

  // ---- character data ----------------------------------------------------------------------

  /**
   * Text inside the root element: line ends normalised, references expanded, `&`, `<`, `>` and
   * CR (from a reference) escaped. `<` ends the text, so only `&`, `>` and CR need work. Short
   * texts (mostly the indentation between tags) are scanned character by character; in long ones
   * the reader jumps from one of them to the next with `indexOf`, their positions kept so that
   * each search covers new ground.
   */
  private text(start: number, end: number): void {
    const src = this.src;
    if (end - start < SHORT_TEXT) {
      for (let i = start; i < end; i++) {
        const c = src.charCodeAt(i);
        if (c === AMPERSAND || c === GT || c === CR) i = this.textSpecial(start, i) - 1;
      }
      return;
    }
    for (let i = start; ; ) {
      if (this.nextAmpersand < i) this.nextAmpersand = indexOrEnd(src, '&', i);
      if (this.nextGreaterThan < i) this.nextGreaterThan = indexOrEnd(src, '>', i);
      const next = Math.min(this.nextAmpersand, this.nextGreaterThan, this.carriageReturnFrom(i));
      if (next >= end) return;
      i = this.textSpecial(start, next);
    }
  }

  /** The `&`, `>` or CR at `at` in the text that began at `start`; returns the index after it. */
  private textSpecial(start: number, at: number): number {
    const src = this.src;
    const c = src.charCodeAt(at);
    if (c === AMPERSAND) {
      const escaped = escapeCodePointInText(this.reference(at));
      const after = this.afterReference;
      // &amp; &lt; &gt; are already canonical.
      if (escaped.length !== after - at || !src.startsWith(escaped, at)) this.replace(at, after, escaped);
      return after;
    }
    if (c === CR) {
      // CRLF: the CR is dropped, the LF stays in the copied source; a lone CR becomes LF.
      this.replace(at, at + 1, src.charCodeAt(at + 1) === LF ? '' : '\n');
      return at + 1;
    }
    if (at >= start + 2 && src.charCodeAt(at - 1) === CLOSE_BRACKET && src.charCodeAt(at - 2) === CLOSE_BRACKET) {
      this.fail(at - 2, "']]>' is not allowed in text (write ]]&gt;)");
    }
    this.replace(at, at + 1, '&gt;');
    return at + 1;
  }

  /** Index of the first CR at or after `from` (src.length for none); `from` never goes back. */
  private carriageReturnFrom(from: number): number {
    if (this.nextCarriageReturn < from) this.nextCarriageReturn = indexOrEnd(this.src, '\r', from);
    return this.nextCarriageReturn;
  }

  /** The source from `start` to `end` with its line ends normalised (comments, PIs, CDATA sections). */
  private normalisedSlice(start: number, end: number): string {
    const slice = this.src.slice(start, end);
    return this.carriageReturnFrom(start) < end ? slice.replace(/\r\n?/g, '\n') : slice;
  }

  /** `<![CDATA[…]]>`: its content, line ends normalised, escaped as text. */
  private cdata(): void {
    const start = this.pos + 9;
    const end = this.src.indexOf(']]>', start);
    if (end < 0) this.fail(this.pos, 'CDATA section is not closed');
    if (this.openNames.length === 0) this.fail(this.pos, 'a CDATA section is not allowed outside the root element');
    this.replace(this.pos, end + 3, escapeText(this.normalisedSlice(start, end)));
    this.pos = end + 3;
  }

  /**
   * Attribute-value normalisation of a CDATA attribute (XML 1.0 §3.3.3): each literal TAB, LF or
   * line end (CRLF counts as one) becomes a space, references are expanded — their result is not
   * normalised. Undefined when that changes nothing.
   */
  private attributeValue(start: number, end: number, name: string, element: string): string | undefined {
    const src = this.src;
    let value = '';
    let run = start;
    for (let i = start; i < end; i++) {
      const c = src.charCodeAt(i);
      if (c > LT) continue;
      if (c === LT) this.fail(i, `'<' is not allowed in the value of attribute ${name} of <${element}> (write &lt;)`);
      if (c === AMPERSAND) {
        value += src.slice(run, i) + String.fromCodePoint(this.reference(i));
        run = this.afterReference;
        i = run - 1;
      } else if (c === TAB || c === LF || c === CR) {
        value += src.slice(run, i) + ' ';
        run = c === CR && src.charCodeAt(i + 1) === LF ? i + 2 : i + 1;
        i = run - 1;
      }
    }
    return run === start ? undefined : value + src.slice(run, end);
  }

  /**
   * The reference at `amp` (`&name;`, `&#…;` or `&#x…;`, XML 1.0 §4.1): its code point. Only the
   * five predefined entities exist without a DTD. Sets `afterReference`.
   */
  private reference(amp: number): number {
    const src = this.src;
    let p = amp + 1;
    let code: number;
    if (src.charCodeAt(p) === HASH) {
      const hex = src.charCodeAt(++p) === 0x78; // x
      if (hex) p++;
      const digits = p;
      code = 0;
      for (let digit = digitValue(src.charCodeAt(p), hex); digit >= 0; digit = digitValue(src.charCodeAt(++p), hex)) {
        code = Math.min(code * (hex ? 16 : 10) + digit, 0x110000);
      }
      if (p === digits || src.charCodeAt(p) !== SEMICOLON) this.fail(amp, `malformed character reference ${clip(src, amp, p + 1)} (expected &#digits; or &#xhex;)`);
      if (!isXmlChar(code)) this.fail(amp, `character reference ${src.slice(amp, p + 1)} is not an XML character`);
    } else {
      const end = this.nameEnd(p);
      if (end === p || src.charCodeAt(end) !== SEMICOLON) this.fail(amp, "'&' must start a reference (write &amp; for the character itself)");
      const predefined = PREDEFINED_ENTITIES.get(src.slice(p, end));
      if (predefined === undefined) {
        this.fail(amp, `undefined entity ${src.slice(amp, end + 1)} (without a DTD only &amp; &lt; &gt; &quot; &apos; exist)`);
      }
      code = predefined;
      p = end;
    }
    this.afterReference = p + 1;
    return code;
  }

  // ---- comments and processing instructions ------------------------------------------------

  /** `<!--…-->` (XML 1.0 §2.5: no `--` inside): verbatim in `comments` mode, else dropped. */
  private comment(): void {
    const start = this.pos;
    const end = this.src.indexOf('-->', start + 4);
    if (end < 0) this.fail(start, 'comment is not closed');
    if (this.src.indexOf('--', start + 4) < end) this.fail(start, "'--' is not allowed inside a comment");
    this.pos = end + 3;
    if (!this.comments) this.replace(start, this.pos, '');
    else if (this.openNames.length === 0) this.outsideRootNode(start, this.normalisedSlice(start, this.pos));
    else if (this.carriageReturnFrom(start) < end) this.replace(start, this.pos, this.normalisedSlice(start, this.pos));
  }

  /** `<?target data?>` (XML 1.0 §2.6): the target, then one space and the data if there is any. */
  private processingInstruction(): void {
    const src = this.src;
    const start = this.pos;
    const targetEnd = this.nameEnd(start + 2);
    const target = src.slice(start + 2, targetEnd);
    if (target === '') this.fail(start, "'<?' must be followed by a processing instruction target");
    if (target.includes(':')) this.fail(start, `processing instruction target ${target} must not contain ':'`);
    if (target.toLowerCase() === 'xml') {
      this.fail(start, `processing instruction target ${target} is reserved (an XML declaration is only allowed at the very start)`);
    }
    const end = src.indexOf('?>', targetEnd);
    if (end < 0) this.fail(start, `processing instruction <?${target} is not closed`);
    let data = targetEnd;
    if (data < end) {
      if (!isSpace(src.charCodeAt(data))) this.fail(data, `processing instruction <?${target}: expected whitespace after the target`);
      data = this.skipSpace(data);
    }
    this.pos = end + 2;
    const inPlace =
      this.carriageReturnFrom(start) >= end && (data === targetEnd || (data === targetEnd + 1 && data < end && src.charCodeAt(targetEnd) === SPACE));
    const canonical = inPlace ? undefined : data < end ? `<?${target} ${this.normalisedSlice(data, end)}?>` : `<?${target}?>`;
    if (this.openNames.length === 0) this.outsideRootNode(start, canonical ?? src.slice(start, this.pos));
    else if (canonical !== undefined) this.replace(start, this.pos, canonical);
  }

  /** A comment or PI outside the root (C14N §2.3): before it followed by LF, after it preceded by LF. */
  private outsideRootNode(start: number, canonical: string): void {
    this.replace(start, this.pos, this.rootSeen ? '\n' + canonical : canonical + '\n');
  }

  // ---- names and whitespace ----------------------------------------------------------------

  /** End of the run of name characters (colon included) starting with a name-start character at `start`. */
  private nameEnd(start: number): number {
    const src = this.src;
    const first = src.charCodeAt(start);
    if (!(first < 128 ? ASCII_NAME[first] === NAME_START || first === COLON : isNonAsciiNameStart(first))) return start;
    let p = start + 1;
    for (;;) {
      const c = src.charCodeAt(p);
      if (c < 128 ? ASCII_NAME[c] !== 0 : isNonAsciiNameChar(c)) p++;
      else return p;
    }
  }

  /**
   * A qualified name (Namespaces in XML §4: NCName or NCName:NCName) at `start`: returns its end
   * and sets `colon` (-1 if none). `what` and `element` say where, for errors.
   */
  private qualifiedName(start: number, what: string, element: string): number {
    const src = this.src;
    let colon = -1;
    let part = start; // where the current NCName starts
    let p = start;
    let kind: number;
    for (;; p++) {
      const c = src.charCodeAt(p);
      kind = c < 128 ? ASCII_NAME[c]! : isNonAsciiNameStart(c) ? NAME_START : isNonAsciiNameChar(c) ? NAME_CHAR : 0;
      if (kind === NAME_START || (kind === NAME_CHAR && p > part)) continue;
      if (kind !== COLON_CHAR || colon >= 0 || p === part) break;
      colon = p;
      part = p + 1;
    }
    // Stopped on something else than the end of a well-formed name.
    if (p === part || kind !== 0) {
      const where = element === '' ? what : `${what} <${element}>`;
      if (p === start && kind !== COLON_CHAR) this.fail(start, `${where}: expected a name but found ${describe(src, start)}`);
      this.fail(start, `${where}: ${src.slice(start, Math.max(this.nameEnd(start), p))} is not a valid qualified name (prefix:localName)`);
    }
    this.colon = colon;
    return p;
  }

  private skipSpace(p: number): number {
    while (isSpace(this.src.charCodeAt(p))) p++;
    return p;
  }

  private fail(at: number, rule: string): never {
    throw new Refusal(`line ${lineAt(this.src, at)}: ${rule}`);
  }
}

// ---- helpers -------------------------------------------------------------------------------

/** Texts shorter than this are scanned character by character (see `text`). */
const SHORT_TEXT = 48;
/** From this number of attributes in a tag, duplicates are found with a Set and attributes sorted by merge sort. */
const MANY_ATTRIBUTES = 16;

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const BANG = 0x21;
const DOUBLE_QUOTE = 0x22;
const HASH = 0x23;
const AMPERSAND = 0x26;
const SINGLE_QUOTE = 0x27;
const SLASH = 0x2f;
const COLON = 0x3a;
const SEMICOLON = 0x3b;
const LT = 0x3c;
const EQUALS = 0x3d;
const GT = 0x3e;
const QUESTION = 0x3f;
const CLOSE_BRACKET = 0x5d;

/** Control characters, U+FFFE, U+FFFF and surrogates (valid only in pairs): candidates for `forbiddenCharacter`. */
const SUSPECT_CHAR = /[\0-\x08\x0B\x0C\x0E-\x1F\uD800-\uDFFF\uFFFE\uFFFF]/g;

/** Index of the first character outside XML 1.0's Char production (§2.2), or -1. */
function forbiddenCharacter(xml: string): number {
  SUSPECT_CHAR.lastIndex = 0;
  for (let match = SUSPECT_CHAR.exec(xml); match; match = SUSPECT_CHAR.exec(xml)) {
    const c = xml.charCodeAt(match.index);
    const next = xml.charCodeAt(match.index + 1);
    if (!(c >= 0xd800 && c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff)) return match.index;
    SUSPECT_CHAR.lastIndex = match.index + 2; // a valid pair
  }
  return -1;
}

const XML_DECLARATION =
  /^<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(?:"1\.0"|'1\.0')(?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(?:"[A-Za-z][\w.-]*"|'[A-Za-z][\w.-]*'))?(?:[ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(?:"(?:yes|no)"|'(?:yes|no)'))?[ \t\r\n]*\?>/;

const PREDEFINED_ENTITIES = new Map([
  ['amp', 0x26],
  ['lt', 0x3c],
  ['gt', 0x3e],
  ['quot', 0x22],
  ['apos', 0x27],
]);

const isSpace = (c: number): boolean => c === SPACE || c === LF || c === TAB || c === CR;

const isXmlChar = (c: number): boolean =>
  c === TAB || c === LF || c === CR || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);

function digitValue(c: number, hex: boolean): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (!hex) return -1;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/**
 * ASCII name characters (XML 1.0 §2.3): NAME_START for NameStartChar but the colon, COLON_CHAR,
 * NAME_CHAR for the other NameChar, 0 for the rest.
 */
const NAME_START = 1;
const NAME_CHAR = 2;
const COLON_CHAR = 3;
const ASCII_NAME = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z_]/.test(ch)) ASCII_NAME[c] = NAME_START;
  else if (/[0-9.-]/.test(ch)) ASCII_NAME[c] = NAME_CHAR;
}
ASCII_NAME[COLON] = COLON_CHAR;

/** Non-ASCII NameStartChar (XML 1.0 5th edition §2.3); a high surrogate stands for #x10000-#xEFFFF. */
const isNonAsciiNameStart = (c: number): boolean =>
  (c >= 0xc0 && c <= 0xd6) ||
  (c >= 0xd8 && c <= 0xf6) ||
  (c >= 0xf8 && c <= 0x2ff) ||
  (c >= 0x370 && c <= 0x37d) ||
  (c >= 0x37f && c <= 0x1fff) ||
  c === 0x200c ||
  c === 0x200d ||
  (c >= 0x2070 && c <= 0x218f) ||
  (c >= 0x2c00 && c <= 0x2fef) ||
  (c >= 0x3001 && c <= 0xd7ff) ||
  (c >= 0xd800 && c <= 0xdb7f) ||
  (c >= 0xf900 && c <= 0xfdcf) ||
  (c >= 0xfdf0 && c <= 0xfffd);

/** Non-ASCII NameChar; a low surrogate continues the pair its high surrogate started. */
const isNonAsciiNameChar = (c: number): boolean =>
  isNonAsciiNameStart(c) || c === 0xb7 || (c >= 0x300 && c <= 0x36f) || c === 0x203f || c === 0x2040 || (c >= 0xdc00 && c <= 0xdfff);

/** The prefix an `xmlns` / `xmlns:p` attribute declares ('' for the default namespace), undefined for other attributes. */
function namespacePrefix(attribute: Attribute): string | undefined {
  if (attribute.colon < 0) return attribute.qname === 'xmlns' ? '' : undefined;
  return attribute.colon === 5 && attribute.qname.startsWith('xmlns') ? attribute.qname.slice(6) : undefined;
}

/** C14N §2.3: attributes by namespace URI (none first), then local name. */
const compareAttributes = (a: { uri: string; local: string }, b: { uri: string; local: string }): number => compareCodePoints(a.uri, b.uri) || compareCodePoints(a.local, b.local);

/**
 * Sorts the first `count` attributes in canonical order, by insertion as a tag has few (merge
 * sort beyond MANY_ATTRIBUTES); false if they were not already in it.
 */
function sortAttributes(attributes: Attribute[], count: number): boolean {
  if (count >= MANY_ATTRIBUTES) {
    let sorted = true;
    for (let i = 1; i < count && sorted; i++) sorted = compareAttributes(attributes[i - 1]!, attributes[i]!) <= 0;
    if (!sorted) {
      const inOrder = attributes.slice(0, count).sort(compareAttributes);
      for (let i = 0; i < count; i++) attributes[i] = inOrder[i]!;
    }
    return sorted;
  }
  let sorted = true;
  for (let i = 1; i < count; i++) {
    const attribute = attributes[i]!;
    let j = i - 1;
    if (compareAttributes(attributes[j]!, attribute) <= 0) continue;
    sorted = false;
    for (; j >= 0 && compareAttributes(attributes[j]!, attribute) > 0; j--) attributes[j + 1] = attributes[j]!;
    attributes[j + 1] = attribute;
  }
  return sorted;
}

/** Lexicographic order of code points (UTF-16 code-unit order differs only when surrogates meet U+E000-U+FFFF). */
function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

const TEXT_ESCAPES: Array<string | undefined> = [];
TEXT_ESCAPES[AMPERSAND] = '&amp;';
TEXT_ESCAPES[LT] = '&lt;';
TEXT_ESCAPES[GT] = '&gt;';
TEXT_ESCAPES[CR] = '&#xD;';

const ATTRIBUTE_ESCAPES: Array<string | undefined> = [];
ATTRIBUTE_ESCAPES[AMPERSAND] = '&amp;';
ATTRIBUTE_ESCAPES[LT] = '&lt;';
ATTRIBUTE_ESCAPES[DOUBLE_QUOTE] = '&quot;';
ATTRIBUTE_ESCAPES[TAB] = '&#x9;';
ATTRIBUTE_ESCAPES[LF] = '&#xA;';
ATTRIBUTE_ESCAPES[CR] = '&#xD;';

/** Replaces every character that has an entry in `escapes` (indexed by char code ≤ 62). */
function escapeWith(escapes: Array<string | undefined>, value: string): string {
  let result = '';
  let run = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c > GT) continue;
    const escaped = escapes[c];
    if (escaped === undefined) continue;
    result += value.slice(run, i) + escaped;
    run = i + 1;
  }
  return run === 0 ? value : result + value.slice(run);
}

const escapeText = (value: string): string => escapeWith(TEXT_ESCAPES, value);
const escapeAttributeValue = (value: string): string => escapeWith(ATTRIBUTE_ESCAPES, value);
const escapeCodePointInText = (code: number): string => TEXT_ESCAPES[code] ?? String.fromCodePoint(code);

function indexOrEnd(src: string, search: string, from: number): number {
  const found = src.indexOf(search, from);
  return found < 0 ? src.length : found;
}

/** 1-based line of `index`, line ends being LF, CRLF or a lone CR. Only computed for errors. */
function lineAt(src: string, index: number): number {
  let line = 1;
  for (let p = 0; p < index; p++) {
    const c = src.charCodeAt(p);
    if (c === LF || (c === CR && src.charCodeAt(p + 1) !== LF)) line++;
  }
  return line;
}

/** What is at `index`, for error messages. */
function describe(src: string, index: number): string {
  if (index >= src.length) return 'the end of the document';
  const c = src.codePointAt(index)!;
  return c > 0x20 && c < 0x7f ? `'${String.fromCodePoint(c)}'` : `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Up to 20 characters of `src` from `start` to `end`, for error messages. */
const clip = (src: string, start: number, end: number): string => src.slice(start, Math.min(end, start + 20));
