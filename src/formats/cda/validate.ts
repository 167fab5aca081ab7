/**
 * Input rules of `buildCda`: what the CI-SIS common header (STRUCMIN, documents.md §3) and the
 * level 1 body (§4) require, checked on the model before any XML is written, so that the
 * error names the model field and the rule.
 */
import { firstGivenName, isInsOid, parseMatricule } from '../ins/index.ts';
import { fail, ok, type Result } from '../result.ts';
import {
  N1_TEMPLATE_IDS,
  OID,
  type CdaDocument,
  type CodedValue,
  type Identifier,
  type Interval,
  type Organization,
  type Professional,
} from './model.ts';
import { birthDateToTs, FULL_TS_PATTERN, TS_PATTERN } from './time.ts';
import { validateCrBio } from './cr-bio-validate.ts';
import { hasNonXmlCharacter } from './xml.ts';

const STRUCMIN = 'CI-SIS STRUCMIN';
const OID_OR_UUID = /^([0-2](\.(0|[1-9]\d*))+|[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})$/;
const COG = /^(\d{5}|2[AB]\d{3})$/;

export type Check = Result<void>;
export const OK: Check = ok(undefined);

export function identifier(id: Identifier | undefined, field: string, requireExtension = false): Check {
  if (!id || !id.root) return fail(field, `required (${STRUCMIN})`);
  if (!OID_OR_UUID.test(id.root)) return fail(`${field}.root`, `must be an OID or a UUID, got "${id.root}"`);
  if (requireExtension && !id.extension) return fail(`${field}.extension`, 'required');
  return OK;
}

export function coded(value: CodedValue | undefined, field: string, required: boolean): Check {
  if (!value) return required ? fail(field, `required (${STRUCMIN})`) : OK;
  if (!value.code) return fail(`${field}.code`, 'required');
  if (!value.codeSystem) return fail(`${field}.codeSystem`, 'required');
  return OK;
}

export function ts(value: string | undefined, field: string, required = true): Check {
  if (value === undefined || value === '') return required ? fail(field, `required (${STRUCMIN})`) : OK;
  if (!TS_PATTERN.test(value)) return fail(field, `expected an HL7 timestamp YYYY[MMDDHHMMSS][+ZZZZ], got "${value}"`);
  return OK;
}

export function interval(value: Interval | undefined, field: string): Check {
  if (!value) return OK;
  const low = ts(value.low, `${field}.low`, false);
  if (!low.ok) return low;
  return ts(value.high, `${field}.high`, false);
}

export function professional(p: Professional | undefined, field: string, nameRequired: boolean): Check {
  if (!p) return fail(field, `required (${STRUCMIN})`);
  const id = identifier(p.id, `${field}.id`, true);
  if (!id.ok) return id;
  const spec = coded(p.specialty, `${field}.specialty`, false);
  if (!spec.ok) return spec;
  if (nameRequired && !p.name?.family) return fail(`${field}.name.family`, `required (${STRUCMIN})`);
  return OK;
}

export function organization(o: Organization | undefined, field: string, roots: readonly string[], required: boolean): Check {
  if (!o) return required ? fail(field, `required (${STRUCMIN})`) : OK;
  if (!o.id) return required ? fail(`${field}.id`, `required (${STRUCMIN})`) : OK;
  const id = identifier(o.id, `${field}.id`, true);
  if (!id.ok) return id;
  if (roots.length > 0 && !roots.includes(o.id.root)) return fail(`${field}.id.root`, `must be ${roots.join(' or ')} (${STRUCMIN})`);
  return coded(o.standardIndustryClassCode, `${field}.standardIndustryClassCode`, false);
}

/** Fast pass: true when every string of the model is representable in XML 1.0. */
function allXmlSafe(value: unknown): boolean {
  if (typeof value === 'string') return !hasNonXmlCharacter(value);
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array || 'nodeType' in value) return true;
  if (Array.isArray(value)) {
    for (const v of value) if (!allXmlSafe(v)) return false;
    return true;
  }
  for (const key in value) if (!allXmlSafe((value as Record<string, unknown>)[key])) return false;
  return true;
}

/** Every string of the model must be representable in XML 1.0 (names the field). */
function xmlSafe(value: unknown, field: string): Check {
  if (typeof value === 'string') return hasNonXmlCharacter(value) ? fail(field, 'contains a character that XML 1.0 cannot carry') : OK;
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return OK;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const r = xmlSafe(value[i], `${field}[${i}]`);
      if (!r.ok) return r;
    }
    return OK;
  }
  if ('nodeType' in value) return OK; // DOM entries are imported as they are
  for (const [key, v] of Object.entries(value)) {
    const r = xmlSafe(v, field ? `${field}.${key}` : key);
    if (!r.ok) return r;
  }
  return OK;
}

/** Validates a document before building; the first broken rule is returned. */
export function validateDocument(doc: CdaDocument): Check {
  const checks: Array<() => Check> = [
    () => (allXmlSafe(doc) ? OK : xmlSafe(doc, '')),
    () => identifier(doc.id, 'id'),
    () => coded(doc.code, 'code', true),
    () => (doc.code.displayName ? OK : fail('code.displayName', `required (${STRUCMIN})`)),
    () => (doc.title?.trim() ? OK : fail('title', `required (${STRUCMIN})`)),
    () => (FULL_TS_PATTERN.test(doc.effectiveTime ?? '') ? OK : fail('effectiveTime', `expected YYYYMMDDHHMMSS+ZZZZ, got "${doc.effectiveTime}"`)),
    () => (['N', 'R', 'V'].includes(doc.confidentiality) ? OK : fail('confidentialityCode', `expected N, R or V, got "${doc.confidentiality}"`)),
    () => (doc.languageCode === undefined || /^[a-z]{2}-[A-Z]{2}$/.test(doc.languageCode) ? OK : fail('languageCode', `expected ll-CC (fr-FR), got "${doc.languageCode}"`)),
    () => identifier(doc.setId, 'setId'),
    () => (doc.versionNumber !== undefined && Number.isInteger(doc.versionNumber) && doc.versionNumber > 0
      ? OK : fail('versionNumber', `required, a positive integer (${STRUCMIN})`)),
    () => templateIds(doc),
    () => patient(doc),
    () => authors(doc),
    () => organization(doc.custodian, 'custodian', [OID.idNatStruct, OID.dmpHost], true),
    () => legalAuthenticator(doc),
    () => authenticators(doc),
    () => participants(doc),
    () => (doc.orders ?? []).reduce<Check>((acc, o, i) => (acc.ok ? identifier(o, `inFulfillmentOf[${i}].order.id`) : acc), OK),
    () => serviceEvents(doc),
    () => replaces(doc),
    () => encounter(doc),
    () => body(doc),
  ];
  for (const check of checks) {
    const r = check();
    if (!r.ok) return r;
  }
  return OK;
}

function templateIds(doc: CdaDocument): Check {
  if (doc.templateIds === undefined) return doc.body.kind !== 'structured' ? OK : fail('templateIds', 'required for a structured body (HL7 France, CI-SIS and the volet)');
  const roots = doc.templateIds.map((t) => t.root);
  if (doc.body.kind === 'nonXml') {
    const exact = roots.length === 3 && N1_TEMPLATE_IDS.every((r) => roots.includes(r));
    return exact ? OK : fail('templateIds', `a level 1 document carries exactly ${N1_TEMPLATE_IDS.join(', ')} (${STRUCMIN})`);
  }
  for (const required of [OID.hl7France, OID.ciSis]) {
    if (roots.filter((r) => r === required).length !== 1) return fail('templateIds', `exactly one ${required} (${STRUCMIN})`);
  }
  return roots.length >= 3 ? OK : fail('templateIds', `at least one templateId besides HL7 France and CI-SIS (${STRUCMIN})`);
}

function patient(doc: CdaDocument): Check {
  const p = doc.patient;
  const f = 'recordTarget.patient';
  if (!p) return fail(f, 'required');
  const ipp = identifier(p.ipp, `${f}.ipp`, true);
  if (!ipp.ok) return ipp;
  if (p.ipp && isInsOid(p.ipp.root)) return fail(`${f}.ipp.root`, 'the IPP root is the establishment OID, not an INS OID');
  if (!p.birthName) return fail(`${f}.birthName`, 'required');
  if (p.sex === undefined || !['F', 'M', 'UN'].includes(p.sex)) return fail(`${f}.sex`, `expected F, M or UN (J143), got "${p.sex}"`);
  if (!p.birthDate) return fail(`${f}.birthDate`, 'required');
  if (birthDateToTs(p.birthDate) === undefined) return fail(`${f}.birthDate`, `expected YYYY-MM-DD (possibly partial), got "${p.birthDate}"`);
  if (p.birthplace !== undefined && !COG.test(p.birthplace)) return fail(`${f}.birthplace`, `expected a 5-character COG code, got "${p.birthplace}"`);
  if (p.firstBirthGivenName && p.birthGivenNames && p.firstBirthGivenName !== firstGivenName(p.birthGivenNames)) {
    return fail(`${f}.firstBirthGivenName`, 'must be the first prénom of birthGivenNames');
  }
  if (p.mssanteMailbox !== undefined && !/^[^@\s]+@patient\.mssante\.fr$/.test(p.mssanteMailbox)) {
    return fail(`${f}.mssanteMailbox`, `expected <INS>@patient.mssante.fr, got "${p.mssanteMailbox}"`);
  }
  if (p.ins) {
    if (!isInsOid(p.ins.oid)) return fail(`${f}.ins.oid`, `not an INS OID: "${p.ins.oid}"`);
    const m = parseMatricule(p.ins.matricule, `${f}.ins.matricule`);
    if (!m.ok) return m;
    const rule = `required when an INS is present (${STRUCMIN})`;
    if (!p.birthGivenNames?.trim()) return fail(`${f}.birthGivenNames`, rule);
    if (!p.birthplace) return fail(`${f}.birthplace`, rule);
  }
  return OK;
}

function authors(doc: CdaDocument): Check {
  if (!doc.authors || doc.authors.length === 0) return fail('author', `at least one (${STRUCMIN})`);
  for (const [i, a] of doc.authors.entries()) {
    const f = `author[${i}]`;
    const t = ts(a.time, `${f}.time`);
    if (!t.ok) return t;
    if (Boolean(a.professional) === Boolean(a.device)) return fail(f, `a professional xor a device (assignedPerson xor assignedAuthoringDevice, ${STRUCMIN})`);
    if (a.professional) {
      const p = professional(a.professional, `${f}.professional`, true);
      if (!p.ok) return p;
    }
    if (a.device) {
      const id = identifier(a.device.id, `${f}.device.id`);
      if (!id.ok) return id;
      if (!a.device.manufacturerModelName || !a.device.softwareName) return fail(`${f}.device`, 'manufacturerModelName and softwareName are required');
    }
    const fc = coded(a.functionCode, `${f}.functionCode`, false);
    if (!fc.ok) return fc;
    const o = organization(a.organization, `${f}.organization`, [OID.idNatStruct], true);
    if (!o.ok) return o;
  }
  return OK;
}

function legalAuthenticator(doc: CdaDocument): Check {
  const la = doc.legalAuthenticator;
  if (!la) return fail('legalAuthenticator', `exactly one (${STRUCMIN})`);
  const t = ts(la.time, 'legalAuthenticator.time');
  if (!t.ok) return t;
  if (la.signatureCode !== undefined && la.signatureCode !== 'S') return fail('legalAuthenticator.signatureCode', `must be S (${STRUCMIN})`);
  const p = professional(la.professional, 'legalAuthenticator.professional', true);
  if (!p.ok) return p;
  return organization(la.organization, 'legalAuthenticator.organization', [], false);
}

function authenticators(doc: CdaDocument): Check {
  for (const [i, a] of (doc.authenticators ?? []).entries()) {
    const f = `authenticator[${i}]`;
    const t = ts(a.time, `${f}.time`);
    if (!t.ok) return t;
    if (a.signatureCode !== undefined && a.signatureCode !== 'S') return fail(`${f}.signatureCode`, 'must be S');
    const p = professional(a.professional, `${f}.professional`, true);
    if (!p.ok) return p;
    const o = organization(a.organization, `${f}.organization`, [], false);
    if (!o.ok) return o;
  }
  return OK;
}

function participants(doc: CdaDocument): Check {
  for (const [i, p] of (doc.participants ?? []).entries()) {
    const f = `participant[${i}]`;
    if (!/^[A-Z]{2,6}$/.test(p.typeCode ?? '')) return fail(`${f}.typeCode`, 'required (J144: REF, REFB, INF, RESP, PRF, CON, VRF)');
    const fc = coded(p.functionCode, `${f}.functionCode`, false);
    if (!fc.ok) return fc;
    const t = interval(p.time, `${f}.time`);
    if (!t.ok) return t;
    const pr = professional(p.professional, `${f}.professional`, false);
    if (!pr.ok) return pr;
    const o = organization(p.organization, `${f}.organization`, [], false);
    if (!o.ok) return o;
  }
  return OK;
}

function serviceEvents(doc: CdaDocument): Check {
  const events = doc.serviceEvents ?? [];
  if (events.length === 0) return fail('documentationOf', `at least one serviceEvent (${STRUCMIN})`);
  for (const [i, e] of events.entries()) {
    const f = `documentationOf[${i}].serviceEvent`;
    const c = coded(e.code, `${f}.code`, false);
    if (!c.ok) return c;
    const t = interval(e.effectiveTime, `${f}.effectiveTime`);
    if (!t.ok) return t;
    if (i === 0 && !e.effectiveTime?.low) return fail(`${f}.effectiveTime.low`, `required on the first serviceEvent (${STRUCMIN})`);
    if (i === 0 && !e.performer) return fail(`${f}.performer`, `exactly one performer PRF on the first serviceEvent (${STRUCMIN})`);
    if (e.performer) {
      const p = professional(e.performer.professional, `${f}.performer.professional`, false);
      if (!p.ok) return p;
      const t2 = interval(e.performer.time, `${f}.performer.time`);
      if (!t2.ok) return t2;
      if (!e.performer.organization?.standardIndustryClassCode) {
        return fail(`${f}.performer.organization.standardIndustryClassCode`, `required: practice setting (J04) (${STRUCMIN})`);
      }
      const o = organization(e.performer.organization, `${f}.performer.organization`, [], false);
      if (!o.ok) return o;
    }
  }
  return OK;
}

function replaces(doc: CdaDocument): Check {
  if (!doc.replaces) return OK;
  const id = identifier(doc.replaces, 'relatedDocument.parentDocument.id');
  if (!id.ok) return id;
  if (doc.replaces.root === doc.id.root && doc.replaces.extension === doc.id.extension) {
    return fail('relatedDocument.parentDocument.id', 'a new version needs a new id, different from the replaced one');
  }
  if ((doc.versionNumber ?? 0) < 2) return fail('versionNumber', 'a replacement (RPLC) has versionNumber ≥ 2');
  return OK;
}

function encounter(doc: CdaDocument): Check {
  const e = doc.encounter;
  if (!e) return fail('componentOf.encompassingEncounter', `required (${STRUCMIN})`);
  const c = coded(e.code, 'componentOf.encompassingEncounter.code', false);
  if (!c.ok) return c;
  if (!e.effectiveTime || (!e.effectiveTime.low && !e.effectiveTime.high)) {
    return fail('componentOf.encompassingEncounter.effectiveTime', `required (${STRUCMIN})`);
  }
  const t = interval(e.effectiveTime, 'componentOf.encompassingEncounter.effectiveTime');
  if (!t.ok) return t;
  return coded(e.facility?.code, 'componentOf.encompassingEncounter.location.healthCareFacility.code', true);
}

function body(doc: CdaDocument): Check {
  const b = doc.body;
  if (!b) return fail('component', 'required: a body');
  if (b.kind === 'nonXml') {
    if (b.mediaType !== 'application/pdf' && b.mediaType !== 'text/plain') {
      return fail('component.nonXMLBody.text.mediaType', `expected application/pdf or text/plain, got "${b.mediaType}"`);
    }
    if (!(b.content instanceof Uint8Array) || b.content.length === 0) return fail('component.nonXMLBody.text', 'content must not be empty');
    if (b.languageCode !== undefined && !/^[a-z]{2}-[A-Z]{2}$/.test(b.languageCode)) {
      return fail('component.nonXMLBody.languageCode', `expected ll-CC, got "${b.languageCode}"`);
    }
    return OK;
  }
  if (b.kind === 'structured') {
    return b.sections.length > 0 ? OK : fail('component.structuredBody', 'at least one section');
  }
  if (b.kind === 'cr-bio') return validateCrBio(doc, b);
  return fail('component', `unknown body kind "${(b as { kind: string }).kind}"`);
}
