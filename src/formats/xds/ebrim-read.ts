/**
 * Reads back the key facts of an ITI-41 `lcm:SubmitObjectsRequest` (IHE ITI TF-3 §4.2.5): the
 * submission set, each DocumentEntry and the associations — what the DMP sandbox needs to
 * register a submission. Pure and total: a Result naming the missing or wrong part.
 */
import type { Element } from '@xmldom/xmldom';
import { fail, ok, type Result } from '../result.ts';
import { isElement, parseXml } from '../xml.ts';
import type { DocumentEntry, XdsAuthor, XdsCode } from './document-entry.ts';
import { DOCUMENT_ENTRY, LCM_NS, REFERENCE_ID_LIST_SLOT, RIM_NS, SUBMISSION_SET } from './ebrim-ids.ts';

/** A DocumentEntry as carried by the metadata (`replaces` and classCode status live elsewhere). */
export type RegisteredEntry = Omit<DocumentEntry, 'replaces' | 'mimeType' | 'classCode'> & { mimeType: string; classCode: XdsCode };

export interface SubmissionSetFacts {
  entryUuid: string;
  uniqueId: string;
  sourceId: string;
  patientId: string;
  submissionTime: string;
  contentTypeCode: XdsCode;
  author?: XdsAuthor;
  title?: string;
}

export interface AssociationFacts {
  associationType: string;
  sourceObject: string;
  targetObject: string;
  submissionSetStatus?: string;
  /** ITI-57 (dmp.md §6): HasMember `PreviousVersion`, UpdateAvailabilityStatus `OriginalStatus`/`NewStatus`. */
  previousVersion?: string;
  originalStatus?: string;
  newStatus?: string;
}

export interface SubmitObjectsRequestFacts {
  submissionSet: SubmissionSetFacts;
  /** `logicalId` is the `lid` attribute, present on metadata updates (ITI-57). */
  entries: Array<{ entryUuid: string; entry: RegisteredEntry; logicalId?: string }>;
  associations: AssociationFacts[];
}

class ReadError extends Error {
  constructor(readonly field: string, readonly rule: string) {
    super(`${field}: ${rule}`);
  }
}

const children = (el: Element, localName: string): Element[] => {
  const out: Element[] = [];
  for (let n = el.firstChild; n; n = n.nextSibling) {
    if (isElement(n) && n.namespaceURI === RIM_NS && n.localName === localName) out.push(n);
  }
  return out;
};

const slots = (el: Element): Map<string, string[]> => {
  const out = new Map<string, string[]>();
  for (const s of children(el, 'Slot')) {
    const values = children(s, 'ValueList').flatMap((l) => children(l, 'Value')).map((v) => v.textContent ?? '');
    out.set(s.getAttribute('name') ?? '', values);
  }
  return out;
};

const nameOf = (el: Element): string | undefined => {
  const ls = children(el, 'Name').flatMap((n) => children(n, 'LocalizedString'))[0];
  return ls?.getAttribute('value') ?? undefined;
};

function one(values: Map<string, string[]>, name: string, field: string): string {
  const v = values.get(name)?.[0];
  if (v === undefined || v === '') throw new ReadError(`${field}.Slot[${name}]`, 'required');
  return v;
}

const classifications = (el: Element, scheme: string): Element[] =>
  children(el, 'Classification').filter((c) => c.getAttribute('classificationScheme') === scheme);

function coded(c: Element, field: string): XdsCode {
  const codingScheme = slots(c).get('codingScheme')?.[0];
  const code = c.getAttribute('nodeRepresentation');
  if (!code) throw new ReadError(`${field}@nodeRepresentation`, 'required');
  if (!codingScheme) throw new ReadError(`${field}.Slot[codingScheme]`, 'required');
  return { code, codingScheme, displayName: nameOf(c) ?? code };
}

function oneCoded(el: Element, scheme: string, field: string): XdsCode {
  const found = classifications(el, scheme);
  if (found.length !== 1) throw new ReadError(field, `exactly one classification ${scheme} expected, found ${found.length}`);
  return coded(found[0]!, field);
}

function authorCode(value: string): XdsCode {
  const [code = '', displayName, codingScheme] = value.split('^');
  return codingScheme === undefined ? { code, codingScheme: '', displayName: code } : { code, codingScheme, displayName: displayName || code };
}

function author(c: Element): XdsAuthor {
  const s = slots(c);
  const out: XdsAuthor = { institutions: s.get('authorInstitution') ?? [] };
  const person = s.get('authorPerson')?.[0];
  if (person) out.person = person;
  const specialty = s.get('authorSpecialty')?.[0];
  if (specialty) out.specialty = authorCode(specialty);
  const role = s.get('authorRole')?.[0];
  if (role) out.role = authorCode(role);
  return out;
}

function identifier(el: Element, scheme: string, field: string): string {
  const found = children(el, 'ExternalIdentifier').filter((e) => e.getAttribute('identificationScheme') === scheme);
  const value = found.length === 1 ? found[0]!.getAttribute('value') : undefined;
  if (!value) throw new ReadError(field, `exactly one ExternalIdentifier ${scheme} with a value expected, found ${found.length}`);
  return value;
}

function readEntry(eo: Element, field: string): RegisteredEntry {
  const s = slots(eo);
  const size = Number(one(s, 'size', field));
  if (!Number.isSafeInteger(size) || size < 0) throw new ReadError(`${field}.Slot[size]`, 'must be a non-negative integer');
  const entry: RegisteredEntry = {
    uniqueId: identifier(eo, DOCUMENT_ENTRY.uniqueId, `${field}.uniqueId`),
    mimeType: eo.getAttribute('mimeType') || 'application/octet-stream',
    hash: one(s, 'hash', field),
    size,
    title: nameOf(eo) ?? '',
    languageCode: one(s, 'languageCode', field),
    creationTime: one(s, 'creationTime', field),
    typeCode: oneCoded(eo, DOCUMENT_ENTRY.typeCode, `${field}.typeCode`),
    classCode: oneCoded(eo, DOCUMENT_ENTRY.classCode, `${field}.classCode`),
    formatCode: oneCoded(eo, DOCUMENT_ENTRY.formatCode, `${field}.formatCode`),
    healthcareFacilityTypeCode: oneCoded(eo, DOCUMENT_ENTRY.healthcareFacilityTypeCode, `${field}.healthcareFacilityTypeCode`),
    practiceSettingCode: oneCoded(eo, DOCUMENT_ENTRY.practiceSettingCode, `${field}.practiceSettingCode`),
    confidentialityCodes: classifications(eo, DOCUMENT_ENTRY.confidentialityCode).map((c, i) => coded(c, `${field}.confidentialityCodes[${i}]`)),
    patientId: identifier(eo, DOCUMENT_ENTRY.patientId, `${field}.patientId`),
    sourcePatientId: one(s, 'sourcePatientId', field),
    sourcePatientInfo: s.get('sourcePatientInfo') ?? [],
    authors: classifications(eo, DOCUMENT_ENTRY.author).map(author),
    referenceIdList: s.get(REFERENCE_ID_LIST_SLOT) ?? [],
  };
  if (entry.confidentialityCodes.length === 0) throw new ReadError(`${field}.confidentialityCodes`, 'at least one expected');
  const events = classifications(eo, DOCUMENT_ENTRY.eventCodeList).map((c, i) => coded(c, `${field}.eventCodes[${i}]`));
  if (events.length > 0) entry.eventCodes = events;
  const start = s.get('serviceStartTime')?.[0];
  if (start) entry.serviceStartTime = start;
  const stop = s.get('serviceStopTime')?.[0];
  if (stop) entry.serviceStopTime = stop;
  const legal = s.get('legalAuthenticator')?.[0];
  if (legal) entry.legalAuthenticator = legal;
  return entry;
}

function read(xml: string | Element): Result<SubmitObjectsRequestFacts> {
  let root: Element;
  if (typeof xml === 'string') {
    const doc = parseXml(xml, 'SubmitObjectsRequest');
    if (!doc.ok) return doc;
    root = doc.value.documentElement!;
  } else {
    root = xml;
  }
  if (root.namespaceURI !== LCM_NS || root.localName !== 'SubmitObjectsRequest') {
    return fail('SubmitObjectsRequest', `root element must be {${LCM_NS}}SubmitObjectsRequest`);
  }
  const list = children(root, 'RegistryObjectList')[0];
  if (!list) return fail('RegistryObjectList', 'required');

  const isSubmissionSetNode = (c: Element, id: string): boolean =>
    c.getAttribute('classificationNode') === SUBMISSION_SET.classificationNode && c.getAttribute('classifiedObject') === id;
  const topClassifications = children(list, 'Classification');
  const packages = children(list, 'RegistryPackage').filter((p) => {
    const id = p.getAttribute('id') ?? '';
    return topClassifications.some((c) => isSubmissionSetNode(c, id)) || children(p, 'Classification').some((c) => isSubmissionSetNode(c, id));
  });
  if (packages.length !== 1) return fail('RegistryPackage', `exactly one SubmissionSet expected, found ${packages.length}`);
  const p = packages[0]!;
  const ps = slots(p);
  const authors = classifications(p, SUBMISSION_SET.author);
  const submissionSet: SubmissionSetFacts = {
    entryUuid: p.getAttribute('id') ?? '',
    uniqueId: identifier(p, SUBMISSION_SET.uniqueId, 'SubmissionSet.uniqueId'),
    sourceId: identifier(p, SUBMISSION_SET.sourceId, 'SubmissionSet.sourceId'),
    patientId: identifier(p, SUBMISSION_SET.patientId, 'SubmissionSet.patientId'),
    submissionTime: one(ps, 'submissionTime', 'SubmissionSet'),
    contentTypeCode: oneCoded(p, SUBMISSION_SET.contentTypeCode, 'SubmissionSet.contentTypeCode'),
  };
  if (authors[0]) submissionSet.author = author(authors[0]);
  const title = nameOf(p);
  if (title !== undefined) submissionSet.title = title;

  const entries = children(list, 'ExtrinsicObject')
    .filter((eo) => eo.getAttribute('objectType') === DOCUMENT_ENTRY.objectType)
    .map((eo, i) => {
      const item: { entryUuid: string; entry: RegisteredEntry; logicalId?: string } = { entryUuid: eo.getAttribute('id') ?? '', entry: readEntry(eo, `ExtrinsicObject[${i}]`) };
      const lid = eo.getAttribute('lid');
      if (lid) item.logicalId = lid;
      return item;
    });
  const associations = children(list, 'Association').map((a): AssociationFacts => {
    const facts: AssociationFacts = {
      associationType: a.getAttribute('associationType') ?? '',
      sourceObject: a.getAttribute('sourceObject') ?? '',
      targetObject: a.getAttribute('targetObject') ?? '',
    };
    const values = slots(a);
    const status = values.get('SubmissionSetStatus')?.[0];
    if (status) facts.submissionSetStatus = status;
    const previous = values.get('PreviousVersion')?.[0];
    if (previous) facts.previousVersion = previous;
    const original = values.get('OriginalStatus')?.[0];
    if (original) facts.originalStatus = original;
    const next = values.get('NewStatus')?.[0];
    if (next) facts.newStatus = next;
    return facts;
  });
  return ok({ submissionSet, entries, associations });
}

/** Reads the submission set, DocumentEntries and associations of an ITI-41 request (its XML, or its element already parsed). */
export function readSubmitObjectsRequest(xml: string | Element): Result<SubmitObjectsRequestFacts> {
  try {
    return read(xml);
  } catch (error) {
    if (error instanceof ReadError) return fail(error.field, error.rule);
    return fail('SubmitObjectsRequest', `unreadable: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Reads one `rim:ExtrinsicObject` (a DocumentEntry, as in a query response or a submission). */
export function readExtrinsicObject(element: Element, field = 'ExtrinsicObject'): Result<RegisteredEntry> {
  try {
    return ok(readEntry(element, field));
  } catch (error) {
    if (error instanceof ReadError) return fail(error.field, error.rule);
    return fail(field, `unreadable: ${error instanceof Error ? error.message : String(error)}`);
  }
}
