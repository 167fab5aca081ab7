/**
 * Reads an IHE XDM archive received by e-mail (ITI TF-2b §3.32.4.1.4; mssante.md §4), lenient
 * with what real senders produce:
 *
 * - any number of subsets under `IHE_XDM/` (`SUBSET01`, DRIMbox's `SS000001`…), even below an
 *   extra top folder, names in any case, backslashes;
 * - documents found through the `URI` slot of each ExtrinsicObject (relative to the subset,
 *   compared case-insensitively); without METADATA.XML or URI slots, every CDA and PDF of the
 *   subset folders is taken (with a warning);
 * - the metadata is also read with formats/xds `readSubmitObjectsRequest`; when that strict
 *   reading fails, its error is reported in `metadataError` and the documents are still given;
 * - hash and size declared in the metadata are checked against the bytes (`integrity`).
 *
 * Fails (never throws) only when the bytes are not a usable ZIP or hold no document at all.
 */
import { createHash } from 'node:crypto';
import type { Element } from '@xmldom/xmldom';
import { readSubmitObjectsRequest, type SubmitObjectsRequestFacts } from '../xds/index.ts';
import { fail, ok, type FormatError, type Result } from '../result.ts';
import { isElement, parseXml } from '../xml.ts';
import { XDM_INDEX, XDM_METADATA, XDM_README } from './layout.ts';
import { readZip, type ZipEntryRead, type ZipLimits } from './zip.ts';

export type XdmFileKind = 'cda' | 'pdf' | 'other';

export interface XdmReadDocument {
  /** Path inside the archive. */
  path: string;
  kind: XdmFileKind;
  bytes: Uint8Array;
  /** From the metadata, when the document is described there. */
  entryUuid?: string;
  uniqueId?: string;
  mimeType?: string;
  title?: string;
  /** `ok` when hash and size match the metadata, `mismatch` when not, `unknown` without metadata. */
  integrity: 'ok' | 'mismatch' | 'unknown';
}

export interface XdmSubset {
  /** Folder of the subset inside the archive, e.g. `IHE_XDM/SUBSET01`. */
  folder: string;
  metadataXml?: string;
  /** Strict reading of METADATA.XML (formats/xds), when it succeeded. */
  metadata?: SubmitObjectsRequestFacts;
  metadataError?: FormatError;
  /** E-mail addresses of the intendedRecipient slot. */
  intendedRecipients: string[];
  documents: XdmReadDocument[];
}

export interface XdmContent {
  subsets: XdmSubset[];
  /** Every document of every subset, in order. */
  documents: XdmReadDocument[];
  readme?: string;
  indexHtml?: string;
  /** Files neither metadata, document, README nor INDEX (e.g. signatures, images). */
  otherFiles: string[];
  warnings: string[];
}

const SUBSET_METADATA = /^(?:(.*)\/)?IHE_XDM\/([^/]+)\/METADATA\.XML$/i;

function kindOf(bytes: Uint8Array): XdmFileKind {
  const head = Buffer.from(bytes.subarray(0, 1024)).toString('latin1');
  if (head.startsWith('%PDF-')) return 'pdf';
  const text = Buffer.from(bytes.subarray(0, 64 * 1024)).toString('utf8');
  if (/^\s*(\uFEFF)?</.test(text) && /<([A-Za-z_][\w.-]*:)?ClinicalDocument[\s/>]/.test(text)) return 'cda';
  return 'other';
}

const byLocalName = (parent: Element, localName: string): Element[] => {
  const out: Element[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) if (isElement(n) && n.localName === localName) out.push(n);
  return out;
};

function slotValues(owner: Element, name: string): string[] {
  return byLocalName(owner, 'Slot')
    .filter((s) => s.getAttribute('name') === name)
    .flatMap((s) => byLocalName(s, 'ValueList'))
    .flatMap((l) => byLocalName(l, 'Value'))
    .map((v) => (v.textContent ?? '').trim());
}

interface LooseEntry {
  entryUuid: string;
  uri?: string;
  mimeType?: string;
  hash?: string;
  size?: number;
  uniqueId?: string;
  title?: string;
}

const UNIQUE_ID_SCHEME = 'urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab';

/** Reads URIs and integrity facts without the strict rules of formats/xds (rim namespace not required). */
function looseMetadata(xml: string): Result<{ entries: LooseEntry[]; intendedRecipients: string[] }> {
  const dom = parseXml(xml, XDM_METADATA);
  if (!dom.ok) return dom;
  const root = dom.value.documentElement!;
  const list = byLocalName(root, 'RegistryObjectList')[0];
  if (!list) return fail(`${XDM_METADATA}:RegistryObjectList`, 'required');
  const entries = byLocalName(list, 'ExtrinsicObject').map((eo): LooseEntry => {
    const e: LooseEntry = { entryUuid: eo.getAttribute('id') ?? '' };
    const uri = slotValues(eo, 'URI');
    if (uri.length > 0) e.uri = uri.join(''); // long URIs may be split over several values
    const mimeType = eo.getAttribute('mimeType');
    if (mimeType) e.mimeType = mimeType;
    const hash = slotValues(eo, 'hash')[0];
    if (hash) e.hash = hash.toLowerCase();
    const size = Number(slotValues(eo, 'size')[0]);
    if (slotValues(eo, 'size').length > 0 && Number.isSafeInteger(size)) e.size = size;
    const uid = byLocalName(eo, 'ExternalIdentifier').find((x) => x.getAttribute('identificationScheme') === UNIQUE_ID_SCHEME)?.getAttribute('value');
    if (uid) e.uniqueId = uid;
    const title = byLocalName(eo, 'Name').flatMap((n) => byLocalName(n, 'LocalizedString'))[0]?.getAttribute('value');
    if (title) e.title = title;
    return e;
  });
  const intendedRecipients = byLocalName(list, 'RegistryPackage')
    .flatMap((p) => slotValues(p, 'intendedRecipient'))
    .map((v) => /\^Internet\^([^^|&]+)/i.exec(v)?.[1] ?? '')
    .filter((a) => a.includes('@'));
  return ok({ entries, intendedRecipients });
}

function resolveUri(files: ZipEntryRead[], folder: string, uri: string): ZipEntryRead | undefined {
  const clean = uri.replace(/\\/g, '/').replace(/^\.\//, '').replace(/^file:/i, '');
  const wanted = [`${folder}/${clean}`, clean].map((p) => p.toUpperCase());
  return files.find((f) => wanted.includes(f.path.toUpperCase())) ?? files.find((f) => f.path.toUpperCase().endsWith(`${folder}/${clean.split('/').pop() ?? ''}`.toUpperCase()));
}

const sha1 = (b: Uint8Array): string => createHash('sha1').update(b).digest('hex');

/** Reads `IHE_XDM.ZIP`. */
export async function readXdmArchive(bytes: Uint8Array, limits: ZipLimits = {}): Promise<Result<XdmContent>> {
  const zip = await readZip(bytes, limits);
  if (!zip.ok) return zip;
  const { files } = zip.value;
  const warnings = [...zip.value.warnings];
  const used = new Set<string>();
  const decode = (f: ZipEntryRead): string => new TextDecoder().decode(f.bytes);

  // Subset folders: those with a METADATA.XML, else every folder directly under IHE_XDM/.
  const folders = new Map<string, ZipEntryRead | undefined>();
  for (const f of files) {
    const m = SUBSET_METADATA.exec(f.path);
    if (m) folders.set(f.path.slice(0, f.path.length - XDM_METADATA.length - 1), f);
  }
  if (folders.size === 0) {
    for (const f of files) {
      const m = /^(?:(.*)\/)?IHE_XDM\/([^/]+)\/[^/]+$/i.exec(f.path);
      if (m) folders.set(f.path.slice(0, f.path.lastIndexOf('/')), undefined);
    }
    if (folders.size > 0) warnings.push('no METADATA.XML: documents taken from the IHE_XDM folders');
  }

  const subsets: XdmSubset[] = [];
  for (const [folder, metadataFile] of [...folders.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
    const subset: XdmSubset = { folder, intendedRecipients: [], documents: [] };
    let described: LooseEntry[] = [];
    if (metadataFile) {
      used.add(metadataFile.path);
      subset.metadataXml = decode(metadataFile);
      const strict = readSubmitObjectsRequest(subset.metadataXml);
      if (strict.ok) subset.metadata = strict.value;
      else subset.metadataError = { field: `${metadataFile.path}:${strict.error.field}`, rule: strict.error.rule };
      const loose = looseMetadata(subset.metadataXml);
      if (loose.ok) {
        described = loose.value.entries;
        subset.intendedRecipients = loose.value.intendedRecipients;
      } else {
        subset.metadataError ??= { field: `${metadataFile.path}:${loose.error.field}`, rule: loose.error.rule };
        warnings.push(`${metadataFile.path}: unreadable (${loose.error.rule})`);
      }
    }
    for (const e of described) {
      if (!e.uri) {
        warnings.push(`${folder}: ExtrinsicObject ${e.entryUuid || '?'} has no URI slot`);
        continue;
      }
      const file = resolveUri(files, folder, e.uri);
      if (!file) {
        warnings.push(`${folder}: ExtrinsicObject ${e.entryUuid || '?'} names ${e.uri}, absent from the archive`);
        continue;
      }
      used.add(file.path);
      const doc: XdmReadDocument = {
        path: file.path,
        kind: kindOf(file.bytes),
        bytes: file.bytes,
        entryUuid: e.entryUuid,
        integrity: e.hash === undefined && e.size === undefined ? 'unknown' : 'ok',
      };
      if (e.uniqueId) doc.uniqueId = e.uniqueId;
      if (e.mimeType) doc.mimeType = e.mimeType;
      if (e.title) doc.title = e.title;
      if ((e.hash !== undefined && e.hash !== sha1(file.bytes)) || (e.size !== undefined && e.size !== file.bytes.byteLength)) {
        doc.integrity = 'mismatch';
        warnings.push(`${file.path}: hash or size differs from METADATA.XML`);
      }
      subset.documents.push(doc);
    }
    // Readable renderings and undescribed documents of the subset folder.
    for (const f of files) {
      if (used.has(f.path) || f.path.slice(0, f.path.lastIndexOf('/')).toUpperCase() !== folder.toUpperCase()) continue;
      const kind = kindOf(f.bytes);
      if (kind === 'other') continue;
      used.add(f.path);
      if (described.length > 0 && kind === 'cda') warnings.push(`${f.path}: CDA document not described in METADATA.XML`);
      subset.documents.push({ path: f.path, kind, bytes: f.bytes, integrity: 'unknown' });
    }
    subsets.push(subset);
  }

  const documents = subsets.flatMap((s) => s.documents);
  if (documents.length === 0) return fail('IHE_XDM', 'no document found in the archive (no IHE_XDM/<subset>/ with METADATA.XML and documents)');
  const atRoot = (name: string): ZipEntryRead | undefined =>
    files.find((f) => f.path.toUpperCase() === name) ?? files.find((f) => f.path.toUpperCase().endsWith(`/${name}`) && !f.path.toUpperCase().includes('IHE_XDM/'));
  const out: XdmContent = { subsets, documents, otherFiles: [], warnings };
  const readme = atRoot(XDM_README);
  if (readme) {
    used.add(readme.path);
    out.readme = decode(readme);
  } else warnings.push('README.TXT missing');
  const index = atRoot(XDM_INDEX);
  if (index) {
    used.add(index.path);
    out.indexHtml = decode(index);
  } else warnings.push('INDEX.HTM missing');
  out.otherFiles = files.filter((f) => !used.has(f.path)).map((f) => f.path);
  return ok(out);
}
