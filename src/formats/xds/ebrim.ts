/**
 * ITI-41 registry metadata: the ebRIM 3.0 `lcm:SubmitObjectsRequest` of one submission set
 * (IHE ITI TF-3 §4.2 and §4.2.5; dmp.md §5.1–§5.3, §5.5): one RegistryPackage classified as
 * XDSSubmissionSet, one ExtrinsicObject per DocumentEntry, HasMember associations
 * (SubmissionSetStatus=Original) and an RPLC association when an entry replaces another.
 *
 * Pure and total: returns the XML, or an error naming the field; never throws. The XML is built
 * as a string with full escaping of text and attributes; element and attribute names are fixed
 * here, so it is well-formed by construction. Object ids inside the request (classifications,
 * external identifiers, associations) are symbolic (`cl01`, `ei01`, `as01`): the registry
 * assigns their UUIDs (ITI TF-3 §4.2.3.1.7), which keeps the output deterministic.
 */
import { fail, ok, type Result } from '../result.ts';
import { escapeAttribute, escapeText } from '../xml.ts';
import type { DocumentEntry, XdsAuthor, XdsCode } from './document-entry.ts';
import {
  ASSOCIATION_TYPE,
  DOCUMENT_ENTRY,
  LCM_NS,
  OBJECT_TYPE,
  REFERENCE_ID_LIST_SLOT,
  RIM_NS,
  SUBMISSION_SET,
} from './ebrim-ids.ts';

export interface SubmissionSetInput {
  /** entryUUID of the RegistryPackage (`urn:uuid:…` or a symbolic id); default `SubmissionSet01`. */
  entryUuid?: string;
  /** OID of this submission set. */
  uniqueId: string;
  /** OID of the sending system. */
  sourceId: string;
  /** XDS DTM in UTC (`YYYYMMDDHHMMSS`, or less precise), or a Date converted to it. */
  submissionTime: string | Date;
  /** TRE_R209-TypeActivite, scheme `1.2.250.1.213.2.2` (dmp.md §5.1). */
  contentTypeCode: XdsCode;
  author: XdsAuthor;
  /** Defaults to the entries' patientId (they must all share it). */
  patientId?: string;
  title?: string;
  /** Slots written before the standard ones (XDM: `intendedRecipient`). */
  slots?: Record<string, string[]>;
}

export interface SubmittedEntry {
  /** entryUUID of the ExtrinsicObject (`urn:uuid:…` or a symbolic id such as `Document01`). */
  entryUuid: string;
  entry: DocumentEntry;
  /** entryUUID of the entry this one replaces (RPLC, dmp.md §5.5), obtained by TD3.1. */
  replacesEntryUuid?: string;
  /**
   * Metadata update (ITI-57, dmp.md §6): the logicalId (`lid`) of the entry this one is a new
   * version of, and the version it supersedes (HasMember slot `PreviousVersion`).
   */
  logicalId?: string;
  previousVersion?: string;
  /** Slots written before the standard ones (XDM: `URI`). */
  slots?: Record<string, string[]>;
}

/** An association beyond the HasMember/RPLC ones the builder writes itself (signs, UpdateAvailabilityStatus…). */
export interface ExtraAssociation {
  associationType: string;
  sourceObject: string;
  targetObject: string;
  /** Slots in order, e.g. `{ OriginalStatus: [...], NewStatus: [...] }`. */
  slots?: Record<string, string[]>;
}

export interface SubmitObjectsRequestInput {
  submissionSet: SubmissionSetInput;
  entries: SubmittedEntry[];
  /** xml:lang of the localized names; default `fr-FR`. */
  language?: string;
  /** Further associations, written after the builder's own (ids: symbolic or urn:uuid). */
  associations?: ExtraAssociation[];
}

const DEFAULT_SUBMISSION_SET_ID = 'SubmissionSet01';

// ---- checks ---------------------------------------------------------------------------------

const INVALID_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const OID = /^[0-2](\.(0|[1-9]\d*))+$/;
const DTM = /^\d{4}(\d{2}){0,5}$/;
const UUID_URN = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SYMBOLIC_ID = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
/** ebRIM LongName (Slot Value, LocalizedString value, mimeType…) — rim.xsd. */
const LONG_NAME = 256;

class InputError extends Error {
  constructor(readonly field: string, readonly rule: string) {
    super(`${field}: ${rule}`);
  }
}

function text(value: unknown, field: string, options: { max?: number; optional?: boolean } = {}): string {
  if (value === undefined && options.optional) return '';
  if (typeof value !== 'string') throw new InputError(field, 'a string is required');
  if (value.trim() === '') throw new InputError(field, 'must not be empty');
  if (INVALID_XML_CHAR.test(value)) throw new InputError(field, 'contains a character not allowed in XML');
  const max = options.max ?? LONG_NAME;
  if (value.length > max) throw new InputError(field, `longer than ${max} characters`);
  return value;
}

function oid(value: unknown, field: string, max = 64): string {
  const v = text(value, field, { max });
  if (!OID.test(v)) throw new InputError(field, `${v} is not an OID`);
  return v;
}

function entryId(value: unknown, field: string): string {
  const v = text(value, field);
  if (!UUID_URN.test(v) && !SYMBOLIC_ID.test(v)) throw new InputError(field, 'must be urn:uuid:<UUID> or a symbolic id');
  return v;
}

function dtm(value: unknown, field: string): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new InputError(field, 'invalid date');
    return value.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  }
  const v = text(value, field);
  if (!DTM.test(v)) throw new InputError(field, `${v} is not an XDS DTM (YYYY[MM[DD[HH[MM[SS]]]]], UTC)`);
  return v;
}

function code(value: unknown, field: string): XdsCode {
  if (typeof value !== 'object' || value === null) throw new InputError(field, 'a coded value is required');
  const c = value as Partial<XdsCode>;
  return {
    code: text(c.code, `${field}.code`),
    codingScheme: text(c.codingScheme, `${field}.codingScheme`),
    displayName: text(c.displayName, `${field}.displayName`),
  };
}

// ---- XML writing ----------------------------------------------------------------------------


type Attrs = Record<string, string | undefined>;

function open(name: string, attrs: Attrs, selfClose = false): string {
  const a = Object.entries(attrs)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => ` ${k}="${escapeAttribute(v)}"`)
    .join('');
  return `<${name}${a}${selfClose ? '/>' : '>'}`;
}

const element = (name: string, attrs: Attrs, children: string[]): string =>
  children.length === 0 ? open(name, attrs, true) : `${open(name, attrs)}${children.join('')}</${name}>`;

function slot(name: string, values: string[]): string {
  return element('rim:Slot', { name }, [element('rim:ValueList', {}, values.map((v) => `<rim:Value>${escapeText(v)}</rim:Value>`))]);
}

const localized = (value: string, lang: string): string => open('rim:LocalizedString', { 'xml:lang': lang, charset: 'UTF-8', value }, true);
const nameOf = (value: string, lang: string): string => element('rim:Name', {}, [localized(value, lang)]);

/** Counter for the symbolic ids of the request's own objects. */
class Ids {
  private readonly counts = new Map<string, number>();
  next(prefix: string): string {
    const n = (this.counts.get(prefix) ?? 0) + 1;
    this.counts.set(prefix, n);
    return `${prefix}${String(n).padStart(2, '0')}`;
  }
}

interface Context {
  ids: Ids;
  lang: string;
}

function codedClassification(ctx: Context, scheme: string, classifiedObject: string, c: XdsCode): string {
  return element(
    'rim:Classification',
    { id: ctx.ids.next('cl'), objectType: OBJECT_TYPE.classification, classificationScheme: scheme, classifiedObject, nodeRepresentation: c.code },
    [slot('codingScheme', [c.codingScheme]), nameOf(c.displayName, ctx.lang)],
  );
}

function externalIdentifier(ctx: Context, scheme: string, registryObject: string, value: string, name: string): string {
  return element(
    'rim:ExternalIdentifier',
    { id: ctx.ids.next('ei'), objectType: OBJECT_TYPE.externalIdentifier, identificationScheme: scheme, registryObject, value },
    [nameOf(name, ctx.lang)],
  );
}

/** authorRole / authorSpecialty value: `code^displayName^codingScheme` (dmp.md §5.2), or the bare text. */
export function authorCodeValue(c: XdsCode): string {
  const clean = (s: string): string => s.replace(/[\^&~\\|]/g, ' ');
  return c.codingScheme.trim() === '' ? clean(c.code) : `${clean(c.code)}^${clean(c.displayName)}^${clean(c.codingScheme)}`;
}

function authorClassification(ctx: Context, scheme: string, classifiedObject: string, author: unknown, field: string): string {
  if (typeof author !== 'object' || author === null) throw new InputError(field, 'an author is required');
  const a = author as Partial<XdsAuthor>;
  const slots: string[] = [];
  if (a.person !== undefined) slots.push(slot('authorPerson', [text(a.person, `${field}.person`)]));
  const institutions = a.institutions ?? [];
  if (!Array.isArray(institutions)) throw new InputError(`${field}.institutions`, 'a list is required');
  if (institutions.length > 0) slots.push(slot('authorInstitution', institutions.map((v, i) => text(v, `${field}.institutions[${i}]`))));
  if (a.role !== undefined) slots.push(slot('authorRole', [text(authorCodeValue(code(a.role, `${field}.role`)), `${field}.role`)]));
  if (a.specialty !== undefined) slots.push(slot('authorSpecialty', [text(authorCodeValue(code(a.specialty, `${field}.specialty`)), `${field}.specialty`)]));
  if (slots.length === 0) throw new InputError(field, 'an author needs at least a person or an institution');
  return element(
    'rim:Classification',
    { id: ctx.ids.next('cl'), objectType: OBJECT_TYPE.classification, classificationScheme: scheme, classifiedObject, nodeRepresentation: '' },
    slots,
  );
}

/** Caller's slots, in order, checked as the standard ones. */
function extraSlots(slots: Record<string, string[]> | undefined, field: string): string[] {
  if (slots === undefined) return [];
  if (typeof slots !== 'object' || slots === null) throw new InputError(field, 'an object of value lists is required');
  return Object.entries(slots).map(([name, values]) => {
    if (!Array.isArray(values)) throw new InputError(`${field}.${name}`, 'a list is required');
    return slot(text(name, field), values.map((v, i) => text(v, `${field}.${name}[${i}]`)));
  });
}

function extrinsicObject(ctx: Context, id: string, e: DocumentEntry, field: string, logicalId?: string, leading: string[] = []): string {
  if (typeof e !== 'object' || e === null) throw new InputError(field, 'a DocumentEntry is required');
  const hash = text(e.hash, `${field}.hash`);
  if (!/^[0-9a-f]{40}$/i.test(hash)) throw new InputError(`${field}.hash`, 'must be the SHA-1 of the document in hexadecimal (40 digits)');
  if (typeof e.size !== 'number' || !Number.isSafeInteger(e.size) || e.size < 0) throw new InputError(`${field}.size`, 'must be a non-negative integer');
  const slots = [
    ...leading,
    slot('creationTime', [dtm(e.creationTime, `${field}.creationTime`)]),
    slot('hash', [hash.toLowerCase()]),
    slot('languageCode', [text(e.languageCode, `${field}.languageCode`)]),
  ];
  if (e.legalAuthenticator !== undefined) slots.push(slot('legalAuthenticator', [text(e.legalAuthenticator, `${field}.legalAuthenticator`)]));
  if (e.serviceStartTime !== undefined) slots.push(slot('serviceStartTime', [dtm(e.serviceStartTime, `${field}.serviceStartTime`)]));
  if (e.serviceStopTime !== undefined) slots.push(slot('serviceStopTime', [dtm(e.serviceStopTime, `${field}.serviceStopTime`)]));
  slots.push(slot('size', [String(e.size)]));
  slots.push(slot('sourcePatientId', [text(e.sourcePatientId, `${field}.sourcePatientId`)]));
  if (!Array.isArray(e.sourcePatientInfo)) throw new InputError(`${field}.sourcePatientInfo`, 'a list is required');
  if (e.sourcePatientInfo.length > 0) slots.push(slot('sourcePatientInfo', e.sourcePatientInfo.map((v, i) => text(v, `${field}.sourcePatientInfo[${i}]`))));
  const references = e.referenceIdList ?? [];
  if (!Array.isArray(references)) throw new InputError(`${field}.referenceIdList`, 'a list is required');
  if (references.length > 0) slots.push(slot(REFERENCE_ID_LIST_SLOT, references.map((v, i) => text(v, `${field}.referenceIdList[${i}]`))));

  if (!Array.isArray(e.authors)) throw new InputError(`${field}.authors`, 'a list is required');
  if (!Array.isArray(e.confidentialityCodes) || e.confidentialityCodes.length === 0) {
    throw new InputError(`${field}.confidentialityCodes`, 'at least one confidentiality code is required');
  }
  const classifications = [
    ...e.authors.map((a, i) => authorClassification(ctx, DOCUMENT_ENTRY.author, id, a, `${field}.authors[${i}]`)),
    codedClassification(ctx, DOCUMENT_ENTRY.classCode, id, code(e.classCode, `${field}.classCode`)),
    ...e.confidentialityCodes.map((c, i) => codedClassification(ctx, DOCUMENT_ENTRY.confidentialityCode, id, code(c, `${field}.confidentialityCodes[${i}]`))),
    ...(e.eventCodes ?? []).map((c, i) => codedClassification(ctx, DOCUMENT_ENTRY.eventCodeList, id, code(c, `${field}.eventCodes[${i}]`))),
    codedClassification(ctx, DOCUMENT_ENTRY.formatCode, id, code(e.formatCode, `${field}.formatCode`)),
    codedClassification(ctx, DOCUMENT_ENTRY.healthcareFacilityTypeCode, id, code(e.healthcareFacilityTypeCode, `${field}.healthcareFacilityTypeCode`)),
    codedClassification(ctx, DOCUMENT_ENTRY.practiceSettingCode, id, code(e.practiceSettingCode, `${field}.practiceSettingCode`)),
    codedClassification(ctx, DOCUMENT_ENTRY.typeCode, id, code(e.typeCode, `${field}.typeCode`)),
  ];
  const identifiers = [
    externalIdentifier(ctx, DOCUMENT_ENTRY.patientId, id, text(e.patientId, `${field}.patientId`), 'XDSDocumentEntry.patientId'),
    externalIdentifier(ctx, DOCUMENT_ENTRY.uniqueId, id, text(e.uniqueId, `${field}.uniqueId`, { max: 128 }), 'XDSDocumentEntry.uniqueId'),
  ];
  return element(
    'rim:ExtrinsicObject',
    { id, ...(logicalId !== undefined ? { lid: logicalId } : {}), objectType: DOCUMENT_ENTRY.objectType, mimeType: text(e.mimeType, `${field}.mimeType`) },
    [...slots, nameOf(text(e.title, `${field}.title`), ctx.lang), ...classifications, ...identifiers],
  );
}

function association(ctx: Context, type: string, sourceObject: string, targetObject: string, slots: string[] = []): string {
  return element(
    'rim:Association',
    { id: ctx.ids.next('as'), objectType: OBJECT_TYPE.association, associationType: type, sourceObject, targetObject },
    slots,
  );
}

function build(input: SubmitObjectsRequestInput): string {
  if (typeof input !== 'object' || input === null) throw new InputError('request', 'an object is required');
  const lang = input.language === undefined ? 'fr-FR' : text(input.language, 'language');
  if (!/^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(lang)) throw new InputError('language', `${lang} is not a language tag`);
  const ctx: Context = { ids: new Ids(), lang };
  const ss = input.submissionSet;
  if (typeof ss !== 'object' || ss === null) throw new InputError('submissionSet', 'an object is required');
  const extra = input.associations ?? [];
  if (!Array.isArray(extra)) throw new InputError('associations', 'a list is required');
  if (!Array.isArray(input.entries) || (input.entries.length === 0 && extra.length === 0)) throw new InputError('entries', 'at least one DocumentEntry is required');

  const ssId = ss.entryUuid === undefined ? DEFAULT_SUBMISSION_SET_ID : entryId(ss.entryUuid, 'submissionSet.entryUuid');
  const seen = new Set<string>([ssId]);
  const entryIds = input.entries.map((s, i) => {
    if (typeof s !== 'object' || s === null) throw new InputError(`entries[${i}]`, 'an object is required');
    const id = entryId(s.entryUuid, `entries[${i}].entryUuid`);
    if (seen.has(id)) throw new InputError(`entries[${i}].entryUuid`, `${id} is used twice in the submission`);
    seen.add(id);
    return id;
  });

  const patientId = ss.patientId !== undefined ? text(ss.patientId, 'submissionSet.patientId') : text(input.entries[0]?.entry?.patientId, 'entries[0].entry.patientId');
  input.entries.forEach((s, i) => {
    if (s.entry?.patientId !== patientId) throw new InputError(`entries[${i}].entry.patientId`, 'must be the patientId of the submission set (one patient per submission)');
  });

  const packageChildren = [
    ...extraSlots(ss.slots, 'submissionSet.slots'),
    slot('submissionTime', [dtm(ss.submissionTime, 'submissionSet.submissionTime')]),
    ...(ss.title !== undefined ? [nameOf(text(ss.title, 'submissionSet.title'), lang)] : []),
    authorClassification(ctx, SUBMISSION_SET.author, ssId, ss.author, 'submissionSet.author'),
    codedClassification(ctx, SUBMISSION_SET.contentTypeCode, ssId, code(ss.contentTypeCode, 'submissionSet.contentTypeCode')),
    externalIdentifier(ctx, SUBMISSION_SET.patientId, ssId, patientId, 'XDSSubmissionSet.patientId'),
    externalIdentifier(ctx, SUBMISSION_SET.sourceId, ssId, oid(ss.sourceId, 'submissionSet.sourceId'), 'XDSSubmissionSet.sourceId'),
    externalIdentifier(ctx, SUBMISSION_SET.uniqueId, ssId, oid(ss.uniqueId, 'submissionSet.uniqueId'), 'XDSSubmissionSet.uniqueId'),
  ];
  const objects = [
    element('rim:RegistryPackage', { id: ssId, objectType: OBJECT_TYPE.registryPackage }, packageChildren),
    open('rim:Classification', { id: ctx.ids.next('cl'), objectType: OBJECT_TYPE.classification, classifiedObject: ssId, classificationNode: SUBMISSION_SET.classificationNode }, true),
  ];
  input.entries.forEach((s, i) => {
    const lid = s.logicalId === undefined ? undefined : entryId(s.logicalId, `entries[${i}].logicalId`);
    objects.push(extrinsicObject(ctx, entryIds[i]!, s.entry, `entries[${i}].entry`, lid, extraSlots(s.slots, `entries[${i}].slots`)));
  });
  input.entries.forEach((s, i) => {
    const slots = [slot('SubmissionSetStatus', ['Original'])];
    if (s.previousVersion !== undefined) slots.push(slot('PreviousVersion', [text(s.previousVersion, `entries[${i}].previousVersion`)]));
    objects.push(association(ctx, ASSOCIATION_TYPE.hasMember, ssId, entryIds[i]!, slots));
  });
  input.entries.forEach((s, i) => {
    if (s.replacesEntryUuid !== undefined) {
      const target = entryId(s.replacesEntryUuid, `entries[${i}].replacesEntryUuid`);
      if (seen.has(target)) throw new InputError(`entries[${i}].replacesEntryUuid`, 'must name an entry already in the registry, not one of this submission');
      objects.push(association(ctx, ASSOCIATION_TYPE.replace, entryIds[i]!, target));
    } else if (s.entry.replaces !== undefined) {
      throw new InputError(`entries[${i}].replacesEntryUuid`, `the document replaces ${s.entry.replaces}: the entryUUID of the replaced entry (TD3.1) is required for the RPLC association`);
    }
  });

  extra.forEach((a, i) => {
    if (typeof a !== 'object' || a === null) throw new InputError(`associations[${i}]`, 'an object is required');
    const slots = extraSlots(a.slots, `associations[${i}].slots`);
    objects.push(association(ctx, text(a.associationType, `associations[${i}].associationType`), entryId(a.sourceObject, `associations[${i}].sourceObject`), entryId(a.targetObject, `associations[${i}].targetObject`), slots));
  });

  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<lcm:SubmitObjectsRequest xmlns:lcm="${LCM_NS}" xmlns:rim="${RIM_NS}">` +
    element('rim:RegistryObjectList', {}, objects) +
    '</lcm:SubmitObjectsRequest>'
  );
}

/** Builds the ITI-41 `lcm:SubmitObjectsRequest`; an error names the offending input field. */
export function buildSubmitObjectsRequest(input: SubmitObjectsRequestInput): Result<string> {
  try {
    return ok(build(input));
  } catch (error) {
    if (error instanceof InputError) return fail(error.field, error.rule);
    return fail('request', `unusable input: ${error instanceof Error ? error.message : String(error)}`);
  }
}
