/**
 * ITI-18 Registry Stored Query (IHE ITI TF-2a §3.18; dmp.md §2 TD3.1, §5.3, §8): the
 * `query:AdhocQueryRequest` with the stored query id and its `$XDS…` parameters, and the
 * `query:AdhocQueryResponse` (ObjectRefs, or full ExtrinsicObjects / RegistryPackages /
 * Associations for LeafClass).
 *
 * Slot syntax (ITI TF-2a §3.18.4.1.2.3.5): strings quoted `'…'`, multi-valued `('a','b')`,
 * coded values `'code^^scheme'`.
 */
import { XMLSerializer, type Element } from '@xmldom/xmldom';
import { fail, ok, type Result } from '../../formats/result.ts';
import { childElements, firstChildElement } from '../../formats/soap/index.ts';
import { DOCUMENT_ENTRY, readExtrinsicObject, RIM_NS, SUBMISSION_SET, type RegisteredEntry } from '../../formats/xds/index.ts';
import { escapeAttribute, escapeText } from '../../formats/xml.ts';
import { QUERY_NS, readRegistryStatus, registryErrorList, RESPONSE_STATUS, RS_NS, type RegistryErrorFacts, type RegistryStatus } from './wire.ts';

export const STORED_QUERY = {
  findDocuments: 'urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d',
  findDocumentsByReferenceId: 'urn:uuid:12941a89-e02e-4be5-967c-ce4bfc8fe492',
  getDocuments: 'urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4',
  findSubmissionSets: 'urn:uuid:f26abbcb-ac74-4422-8a30-edb644bbc1a9',
  getAssociations: 'urn:uuid:a7ae438b-4bc2-4642-93e9-be891f7bb155',
  getDocumentsAndAssociations: 'urn:uuid:bab9529a-4a10-40b3-a01f-f68a615d247a',
} as const;
export type StoredQueryName = keyof typeof STORED_QUERY;

export type ReturnType = 'LeafClass' | 'ObjectRef';

export interface StoredQuery {
  queryId: string;
  returnType: ReturnType;
  /** Parameter name → values (unquoted, lists flattened). */
  parameters: Map<string, string[]>;
}

/** One slot value: `'a'`, or `('a','b')` for several. */
const slotValue = (values: string[]): string =>
  values.length === 1 ? `'${values[0]!.replace(/'/g, "''")}'` : `(${values.map((v) => `'${v.replace(/'/g, "''")}'`).join(',')})`;

export function buildStoredQuery(queryId: string, parameters: Record<string, string[] | undefined>, returnType: ReturnType = 'LeafClass'): string {
  const slots = Object.entries(parameters)
    .filter((e): e is [string, string[]] => Array.isArray(e[1]) && e[1].length > 0)
    .map(([name, values]) => `<rim:Slot name="${escapeAttribute(name)}"><rim:ValueList><rim:Value>${escapeText(slotValue(values))}</rim:Value></rim:ValueList></rim:Slot>`)
    .join('');
  return `<query:AdhocQueryRequest xmlns:query="${QUERY_NS}" xmlns:rim="${RIM_NS}">` +
    `<query:ResponseOption returnComposedObjects="true" returnType="${returnType}"/>` +
    `<rim:AdhocQuery id="${escapeAttribute(queryId)}">${slots}</rim:AdhocQuery></query:AdhocQueryRequest>`;
}

/** Splits a slot value into its quoted strings: `('a','b')` → [a, b]; `'a'` → [a]; bare → as is. */
export function parseSlotValue(raw: string): string[] {
  const v = raw.trim();
  const inner = v.startsWith('(') && v.endsWith(')') ? v.slice(1, -1) : v;
  const out: string[] = [];
  const re = /'((?:[^']|'')*)'/g;
  let m: RegExpExecArray | null;
  let found = false;
  while ((m = re.exec(inner)) !== null) {
    found = true;
    out.push(m[1]!.replace(/''/g, "'"));
  }
  if (!found && inner !== '') out.push(...inner.split(',').map((s) => s.trim()).filter(Boolean));
  return out;
}

export function readStoredQuery(payload: Element): Result<StoredQuery> {
  if (payload.namespaceURI !== QUERY_NS || payload.localName !== 'AdhocQueryRequest') return fail('soap:Body', 'query:AdhocQueryRequest expected');
  const option = firstChildElement(payload, QUERY_NS, 'ResponseOption');
  const returnType = option?.getAttribute('returnType') ?? 'LeafClass';
  if (returnType !== 'LeafClass' && returnType !== 'ObjectRef') return fail('ResponseOption@returnType', `${returnType} not supported (LeafClass or ObjectRef)`);
  const query = firstChildElement(payload, RIM_NS, 'AdhocQuery');
  const queryId = query?.getAttribute('id');
  if (!query || !queryId) return fail('rim:AdhocQuery@id', 'required');
  const parameters = new Map<string, string[]>();
  for (const slot of childElements(query, RIM_NS, 'Slot')) {
    const name = slot.getAttribute('name') ?? '';
    const values = childElements(firstChildElement(slot, RIM_NS, 'ValueList') ?? slot, RIM_NS, 'Value').flatMap((v) => parseSlotValue(v.textContent ?? ''));
    parameters.set(name, [...(parameters.get(name) ?? []), ...values]);
  }
  return ok({ queryId, returnType, parameters });
}

/** AdhocQueryResponse: `objects` are serialized rim elements (LeafClass) or ids (ObjectRef). */
export function buildQueryResponse(content: { objects?: string[]; objectRefs?: string[] }, errors: RegistryErrorFacts[] = []): string {
  const status = errors.length === 0 ? RESPONSE_STATUS.success : RESPONSE_STATUS.failure;
  const list = [...(content.objectRefs ?? []).map((id) => `<rim:ObjectRef id="${escapeAttribute(id)}"/>`), ...(content.objects ?? [])].join('');
  return `<query:AdhocQueryResponse xmlns:query="${QUERY_NS}" xmlns:rim="${RIM_NS}" xmlns:rs="${RS_NS}" status="${status}">${registryErrorList(errors)}<rim:RegistryObjectList>${list}</rim:RegistryObjectList></query:AdhocQueryResponse>`;
}

export interface FoundDocument {
  entryUuid: string;
  logicalId?: string;
  version?: string;
  status: string;
  repositoryUniqueId?: string;
  entry: RegisteredEntry;
  /** The ExtrinsicObject as received (for ITI-57 new versions). */
  xml: string;
}

export interface FoundSubmissionSet {
  entryUuid: string;
  status: string;
  uniqueId?: string;
  patientId?: string;
  submissionTime?: string;
}

export interface FoundAssociation {
  id: string;
  associationType: string;
  sourceObject: string;
  targetObject: string;
  slots: Record<string, string[]>;
}

export interface QueryResult extends RegistryStatus {
  objectRefs: string[];
  documents: FoundDocument[];
  submissionSets: FoundSubmissionSet[];
  associations: FoundAssociation[];
}

const slotsOf = (el: Element): Record<string, string[]> => {
  const out: Record<string, string[]> = {};
  for (const s of childElements(el, RIM_NS, 'Slot')) {
    out[s.getAttribute('name') ?? ''] = childElements(firstChildElement(s, RIM_NS, 'ValueList') ?? s, RIM_NS, 'Value').map((v) => v.textContent ?? '');
  }
  return out;
};

export function readQueryResponse(payload: Element): Result<QueryResult> {
  if (payload.namespaceURI !== QUERY_NS || payload.localName !== 'AdhocQueryResponse') return fail('soap:Body', 'query:AdhocQueryResponse expected');
  const status = readRegistryStatus(payload);
  if (!status.ok) return status;
  const result: QueryResult = { ...status.value, objectRefs: [], documents: [], submissionSets: [], associations: [] };
  const list = firstChildElement(payload, RIM_NS, 'RegistryObjectList');
  if (!list) return ok(result);
  for (const [i, el] of childElements(list, RIM_NS).entries()) {
    const id = el.getAttribute('id') ?? '';
    switch (el.localName) {
      case 'ObjectRef':
        result.objectRefs.push(id);
        break;
      case 'ExtrinsicObject': {
        if (el.getAttribute('objectType') !== DOCUMENT_ENTRY.objectType) break;
        const entry = readExtrinsicObject(el, `ExtrinsicObject[${i}]`);
        if (!entry.ok) return entry;
        const doc: FoundDocument = { entryUuid: id, status: el.getAttribute('status') ?? '', entry: entry.value, xml: new XMLSerializer().serializeToString(el) };
        const lid = el.getAttribute('lid');
        if (lid) doc.logicalId = lid;
        const version = firstChildElement(el, RIM_NS, 'VersionInfo')?.getAttribute('versionName');
        if (version) doc.version = version;
        const repository = slotsOf(el).repositoryUniqueId?.[0];
        if (repository) doc.repositoryUniqueId = repository;
        result.documents.push(doc);
        break;
      }
      case 'RegistryPackage': {
        const set: FoundSubmissionSet = { entryUuid: id, status: el.getAttribute('status') ?? '' };
        for (const ei of childElements(el, RIM_NS, 'ExternalIdentifier')) {
          const scheme = ei.getAttribute('identificationScheme');
          if (scheme === SUBMISSION_SET.uniqueId) set.uniqueId = ei.getAttribute('value') ?? '';
          if (scheme === SUBMISSION_SET.patientId) set.patientId = ei.getAttribute('value') ?? '';
        }
        const time = slotsOf(el).submissionTime?.[0];
        if (time) set.submissionTime = time;
        result.submissionSets.push(set);
        break;
      }
      case 'Association':
        result.associations.push({
          id,
          associationType: el.getAttribute('associationType') ?? '',
          sourceObject: el.getAttribute('sourceObject') ?? '',
          targetObject: el.getAttribute('targetObject') ?? '',
          slots: slotsOf(el),
        });
        break;
    }
  }
  return ok(result);
}
