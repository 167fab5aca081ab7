/**
 * XDM `METADATA.XML` (IHE ITI TF-2b §3.32.4.1.4): the ebRIM `lcm:SubmitObjectsRequest` built by
 * formats/xds (the same metadata as for the DMP, mssante.md §4), completed with what XDM adds:
 *
 * - a `URI` slot on each ExtrinsicObject: the document's file name relative to the subset
 *   folder (ITI TF-2b §3.32.4.1.4, "URI" slot required by XDM);
 * - an `intendedRecipient` slot on the submission set, one XTN per e-mail recipient
 *   (`||^^Internet^<address>`, ITI TF-3 §4.2.3.3.10), when recipients are given.
 *
 * The slots are inserted into the DOM of the built request, before any other child (rim.xsd
 * puts Slot first), so that there is one ebRIM builder in the code base.
 */
import { XMLSerializer, type Document, type Element } from '@xmldom/xmldom';
import { buildSubmitObjectsRequest, RIM_NS, type SubmitObjectsRequestInput } from '../xds/index.ts';
import { fail, ok, type Result } from '../result.ts';
import { isElement, parseXml } from '../xml.ts';

export interface XdmMetadataInput extends SubmitObjectsRequestInput {
  /** File name of each entry, same order as `entries` (relative to the subset folder). */
  uris: string[];
  /** E-mail addresses of the recipients (intendedRecipient). */
  intendedRecipients?: string[];
}

const ADDRESS = /^[^\s@<>()[\]\\,;:"|^&~]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/;

function prependSlot(doc: Document, owner: Element, name: string, values: string[]): void {
  const slot = doc.createElementNS(RIM_NS, 'rim:Slot');
  slot.setAttribute('name', name);
  const list = doc.createElementNS(RIM_NS, 'rim:ValueList');
  for (const v of values) {
    const value = doc.createElementNS(RIM_NS, 'rim:Value');
    value.appendChild(doc.createTextNode(v));
    list.appendChild(value);
  }
  slot.appendChild(list);
  owner.insertBefore(slot, owner.firstChild);
}

function rimChildren(parent: Element, localName: string): Element[] {
  const out: Element[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) if (isElement(n) && n.namespaceURI === RIM_NS && n.localName === localName) out.push(n);
  return out;
}

/** Builds METADATA.XML; an error names the input field. */
export function buildXdmMetadata(input: XdmMetadataInput): Result<string> {
  if (typeof input !== 'object' || input === null) return fail('metadata', 'an object is required');
  if (!Array.isArray(input.uris) || !Array.isArray(input.entries) || input.uris.length !== input.entries.length) {
    return fail('metadata.uris', 'one file name per DocumentEntry is required');
  }
  const recipients = input.intendedRecipients ?? [];
  for (const [i, r] of recipients.entries()) {
    if (typeof r !== 'string' || !ADDRESS.test(r)) return fail(`intendedRecipients[${i}]`, 'must be an e-mail address');
  }
  const built = buildSubmitObjectsRequest(input);
  if (!built.ok) return built;
  const dom = parseXml(built.value, 'METADATA.XML');
  if (!dom.ok) return dom;
  const list = rimChildren(dom.value.documentElement!, 'RegistryObjectList')[0];
  if (!list) return fail('METADATA.XML', 'RegistryObjectList missing from the built request');
  const objects = rimChildren(list, 'ExtrinsicObject');
  const ids = input.entries.map((e) => e.entryUuid);
  for (const [i, uri] of input.uris.entries()) {
    if (typeof uri !== 'string' || !/^[A-Za-z0-9_.-]{1,128}$/.test(uri)) return fail(`uris[${i}]`, 'must be a plain relative file name');
    const object = objects.find((o) => o.getAttribute('id') === ids[i]);
    if (!object) return fail(`entries[${i}]`, 'ExtrinsicObject not found in the built request');
    prependSlot(dom.value, object, 'URI', [uri]);
  }
  if (recipients.length > 0) {
    const pkg = rimChildren(list, 'RegistryPackage')[0];
    if (!pkg) return fail('METADATA.XML', 'RegistryPackage missing from the built request');
    prependSlot(dom.value, pkg, 'intendedRecipient', recipients.map((r) => `||^^Internet^${r}`));
  }
  const xml = new XMLSerializer().serializeToString(dom.value);
  return ok(xml.startsWith('<?xml') ? xml : `<?xml version="1.0" encoding="UTF-8"?>${xml}`);
}
