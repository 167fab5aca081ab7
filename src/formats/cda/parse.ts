/**
 * `parseCda(xml)`: reads any CI-SIS CDA R2 document into the model — the header fully, the
 * body by level: level 1 (`nonXMLBody`: media type and decoded bytes) or structured (sections
 * tree with code, title, templateIds, narrative text, raw entries). Self-presenting documents
 * (root `xsl:stylesheet`, CDA inside `ci-sis:Contenu`, namespace `urn:asip-sante:ci-sis`) are
 * unwrapped. Fails only on what the CDA XSD itself requires; never throws.
 */
import type { Element } from '@xmldom/xmldom';
import { isInsOid } from '../ins/index.ts';
import { fail, ok, type Result } from '../result.ts';
import type {
  Address,
  Author,
  Authenticator,
  CdaBody,
  CdaDocument,
  CdaHeader,
  Encounter,
  Identifier,
  Interval,
  Organization,
  Participant,
  Patient,
  PersonName,
  Professional,
  Section,
  ServiceEvent,
  Telecom,
} from './model.ts';
import { headerOf } from './model.ts';
import { tsToBirthDate } from './time.ts';
import {
  all,
  at,
  attr,
  codedValueOf,
  deepText,
  findClinicalDocument,
  identifierOf,
  kid,
  kids,
  parseXml,
  textOf,
} from './xml.ts';

export interface ParsedCda {
  document: CdaDocument;
  /** 1 for `nonXMLBody`, 3 for `structuredBody` (whatever the volet's actual coding depth). */
  level: 1 | 3;
  /** The CDA was wrapped in an `xsl:stylesheet` (self-presenting document). */
  selfPresenting: boolean;
  /** The `ClinicalDocument` element, for `checkCda` and for reading what the model omits. */
  root: Element;
}

const MAILBOX = /^mailto:(.+@patient\.mssante\.fr)$/i;

/** The header of a CDA (its body reduced to kind and media type), for what derives metadata from it. */
export function parseCdaHeader(xml: string): Result<CdaHeader> {
  const parsed = parseCda(xml);
  return parsed.ok ? ok(headerOf(parsed.value.document)) : parsed;
}

export function parseCda(xml: string): Result<ParsedCda> {
  try {
    const dom = parseXml(xml);
    if (!dom.ok) return dom;
    return parseCdaElement(dom.value.documentElement ? findClinicalDocument(dom.value) : undefined);
  } catch (error) {
    return fail('ClinicalDocument', `unreadable: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function parseCdaElement(found: { root: Element; selfPresenting: boolean } | undefined): Result<ParsedCda> {
  if (!found) return fail('ClinicalDocument', 'no ClinicalDocument element in the urn:hl7-org:v3 namespace (at the root or in ci-sis:Contenu)');
  const { root, selfPresenting } = found;
  const id = identifierOf(kid(root, 'id'));
  if (!id) return fail('ClinicalDocument/id', 'required (CDA XSD)');
  const code = codedValueOf(kid(root, 'code'));
  if (!code) return fail('ClinicalDocument/code', 'required (CDA XSD)');
  const effectiveTime = attr(kid(root, 'effectiveTime'), 'value');
  if (effectiveTime === undefined) return fail('ClinicalDocument/effectiveTime', 'required (CDA XSD)');
  const confidentiality = attr(kid(root, 'confidentialityCode'), 'code');
  if (confidentiality === undefined) return fail('ClinicalDocument/confidentialityCode', 'required (CDA XSD)');
  const patientRole = at(root, 'recordTarget/patientRole');
  if (!patientRole) return fail('ClinicalDocument/recordTarget/patientRole', 'required (CDA XSD)');
  const authorElements = kids(root, 'author');
  if (authorElements.length === 0) return fail('ClinicalDocument/author', 'required (CDA XSD)');
  const custodianOrg = at(root, 'custodian/assignedCustodian/representedCustodianOrganization');
  if (!custodianOrg) return fail('ClinicalDocument/custodian', 'required (CDA XSD)');
  const component = kid(root, 'component');
  if (!component) return fail('ClinicalDocument/component', 'required (CDA XSD)');

  const document: CdaDocument = {
    templateIds: kids(root, 'templateId').map(identifierOf).filter(isDefined),
    id,
    code,
    effectiveTime,
    confidentiality,
    patient: patient(patientRole),
    authors: authorElements.map(author),
    custodian: organization(custodianOrg),
    body: { kind: 'structured', sections: [] },
  };
  const title = textOf(kid(root, 'title'));
  if (title !== undefined) document.title = title;
  const languageCode = attr(kid(root, 'languageCode'), 'code');
  if (languageCode !== undefined) document.languageCode = languageCode;
  const setId = identifierOf(kid(root, 'setId'));
  if (setId) document.setId = setId;
  const version = attr(kid(root, 'versionNumber'), 'value');
  if (version !== undefined && /^\+?\d+$/.test(version.trim())) document.versionNumber = Number(version);

  const la = kid(root, 'legalAuthenticator');
  const laEntity = kid(la, 'assignedEntity');
  if (la && laEntity) {
    document.legalAuthenticator = { time: attr(kid(la, 'time'), 'value') ?? '', professional: professional(laEntity, 'assignedPerson') };
    const signature = attr(kid(la, 'signatureCode'), 'code');
    if (signature !== undefined) document.legalAuthenticator.signatureCode = signature;
    const org = kid(laEntity, 'representedOrganization');
    if (org) document.legalAuthenticator.organization = organization(org);
  }
  const authenticators = kids(root, 'authenticator').map(authenticator).filter(isDefined);
  if (authenticators.length > 0) document.authenticators = authenticators;
  const participants = kids(root, 'participant').map(participant).filter(isDefined);
  if (participants.length > 0) document.participants = participants;
  const orders = all(root, 'inFulfillmentOf/order/id').map(identifierOf).filter(isDefined);
  if (orders.length > 0) document.orders = orders;
  const events = all(root, 'documentationOf/serviceEvent').map(serviceEvent);
  if (events.length > 0) document.serviceEvents = events;
  const rplc = kids(root, 'relatedDocument').find((r) => attr(r, 'typeCode') === 'RPLC');
  const parentId = identifierOf(at(rplc, 'parentDocument/id'));
  if (parentId) document.replaces = parentId;
  const enc = at(root, 'componentOf/encompassingEncounter');
  if (enc) document.encounter = encounter(enc);

  const nonXml = kid(component, 'nonXMLBody');
  const structured = kid(component, 'structuredBody');
  let level: 1 | 3 = 3;
  if (nonXml) {
    level = 1;
    document.body = nonXmlBody(nonXml);
  } else if (structured) {
    document.body = { kind: 'structured', sections: kids(structured, 'component').map((c) => kid(c, 'section')).filter(isDefined).map(section) };
  } else {
    return fail('ClinicalDocument/component', 'expected nonXMLBody or structuredBody');
  }
  return ok({ document, level, selfPresenting, root });
}

const isDefined = <T>(v: T | undefined): v is T => v !== undefined;

function patient(role: Element): Patient {
  const p: Patient = {};
  const others: Identifier[] = [];
  for (const idElement of kids(role, 'id')) {
    const id = identifierOf(idElement);
    if (!id) continue;
    if (isInsOid(id.root) && id.extension && !p.ins) p.ins = { matricule: id.extension, oid: id.root };
    else if (!p.ipp && !isInsOid(id.root) && id.extension) p.ipp = id;
    else others.push(id);
  }
  if (others.length > 0) p.otherIds = others;
  const addresses = kids(role, 'addr').map(address);
  if (addresses.length > 0) p.addresses = addresses;
  const telecoms: Telecom[] = [];
  for (const t of kids(role, 'telecom').map(telecom).filter(isDefined)) {
    const mailbox = MAILBOX.exec(t.value);
    if (mailbox && !p.mssanteMailbox) p.mssanteMailbox = mailbox[1];
    else telecoms.push(t);
  }
  if (telecoms.length > 0) p.telecoms = telecoms;
  const person = kid(role, 'patient');
  for (const name of kids(person, 'name')) {
    for (const part of kids(name)) {
      const text = textOf(part);
      if (!text) continue;
      const qualifier = attr(part, 'qualifier');
      if (part.localName === 'family') {
        if (qualifier === 'BR') p.birthName ??= text;
        else if (qualifier === 'CL') p.usedName ??= text;
      } else if (part.localName === 'given') {
        if (qualifier === 'BR') p.firstBirthGivenName ??= text;
        else if (qualifier === 'CL') p.usedGivenName ??= text;
        else if (qualifier === undefined) p.birthGivenNames ??= text;
      }
    }
  }
  const sex = attr(kid(person, 'administrativeGenderCode'), 'code');
  if (sex !== undefined) p.sex = sex;
  const birthTime = attr(kid(person, 'birthTime'), 'value');
  const birthDate = birthTime === undefined ? undefined : tsToBirthDate(birthTime);
  if (birthDate) p.birthDate = birthDate;
  const birthAddr = at(person, 'birthplace/place/addr');
  const county = textOf(kid(birthAddr, 'county'));
  if (county) p.birthplace = county;
  const city = textOf(kid(birthAddr, 'city'));
  if (city) p.birthplaceCity = city;
  return p;
}

function address(e: Element): Address {
  const a: Address = {};
  const use = attr(e, 'use');
  if (use !== undefined) a.use = use;
  const lines = kids(e, 'streetAddressLine').map((l) => textOf(l) ?? '');
  if (lines.length > 0) a.streetAddressLines = lines;
  for (const name of ['houseNumber', 'streetName', 'additionalLocator', 'unitID', 'postalCode', 'city', 'county', 'country'] as const) {
    const value = textOf(kid(e, name));
    if (value !== undefined) a[name] = value;
  }
  return a;
}

function telecom(e: Element): Telecom | undefined {
  const value = attr(e, 'value');
  if (value === undefined) return undefined;
  const use = attr(e, 'use');
  return use === undefined ? { value } : { value, use };
}

function personName(e: Element | undefined): PersonName | undefined {
  if (!e) return undefined;
  const n: PersonName = {};
  const given: string[] = [];
  for (const part of kids(e)) {
    const text = textOf(part);
    if (!text) continue;
    if (part.localName === 'family') n.family ??= text;
    else if (part.localName === 'given') given.push(text);
    else if (part.localName === 'prefix') n.prefix ??= text;
    else if (part.localName === 'suffix') n.suffix ??= text;
  }
  if (given.length > 0) n.given = given;
  return n;
}

function professional(e: Element, personElement: string): Professional {
  const p: Professional = { id: identifierOf(kid(e, 'id')) ?? { root: '' } };
  const specialty = codedValueOf(kid(e, 'code'));
  if (specialty) p.specialty = specialty;
  const name = personName(at(e, `${personElement}/name`));
  if (name) p.name = name;
  const addresses = kids(e, 'addr').map(address);
  if (addresses.length > 0) p.addresses = addresses;
  const telecoms = kids(e, 'telecom').map(telecom).filter(isDefined);
  if (telecoms.length > 0) p.telecoms = telecoms;
  return p;
}

function organization(e: Element): Organization {
  const o: Organization = {};
  const id = identifierOf(kids(e, 'id').find((i) => identifierOf(i)?.root === '1.2.250.1.71.4.2.2') ?? kid(e, 'id'));
  if (id) o.id = id;
  const name = textOf(kid(e, 'name'));
  if (name) o.name = name;
  const telecoms = kids(e, 'telecom').map(telecom).filter(isDefined);
  if (telecoms.length > 0) o.telecoms = telecoms;
  const addresses = kids(e, 'addr').map(address);
  if (addresses.length > 0) o.addresses = addresses;
  const sic = codedValueOf(kid(e, 'standardIndustryClassCode'));
  if (sic) o.standardIndustryClassCode = sic;
  return o;
}

function interval(e: Element | undefined): Interval | undefined {
  if (!e) return undefined;
  const i: Interval = {};
  const low = attr(kid(e, 'low'), 'value') ?? attr(e, 'value');
  if (low !== undefined) i.low = low;
  const high = attr(kid(e, 'high'), 'value');
  if (high !== undefined) i.high = high;
  return i;
}

function author(e: Element): Author {
  const a: Author = { time: attr(kid(e, 'time'), 'value') ?? '' };
  const fc = codedValueOf(kid(e, 'functionCode'));
  if (fc) a.functionCode = fc;
  const assigned = kid(e, 'assignedAuthor');
  const device = kid(assigned, 'assignedAuthoringDevice');
  if (device) {
    a.device = {
      id: identifierOf(kid(assigned, 'id')) ?? { root: '' },
      manufacturerModelName: textOf(kid(device, 'manufacturerModelName')) ?? '',
      softwareName: textOf(kid(device, 'softwareName')) ?? '',
    };
  } else if (assigned) {
    a.professional = professional(assigned, 'assignedPerson');
  }
  const org = kid(assigned, 'representedOrganization');
  if (org) a.organization = organization(org);
  return a;
}

function authenticator(e: Element): Authenticator | undefined {
  const entity = kid(e, 'assignedEntity');
  if (!entity) return undefined;
  const a: Authenticator = { time: attr(kid(e, 'time'), 'value') ?? '', professional: professional(entity, 'assignedPerson') };
  const templateIds = kids(e, 'templateId').map(identifierOf).filter(isDefined);
  if (templateIds.length > 0) a.templateIds = templateIds;
  const signature = attr(kid(e, 'signatureCode'), 'code');
  if (signature !== undefined) a.signatureCode = signature;
  const org = kid(entity, 'representedOrganization');
  if (org) a.organization = organization(org);
  return a;
}

function participant(e: Element): Participant | undefined {
  const entity = kid(e, 'associatedEntity');
  if (!entity) return undefined;
  const p: Participant = { typeCode: attr(e, 'typeCode') ?? '', professional: professional(entity, 'associatedPerson') };
  const fc = codedValueOf(kid(e, 'functionCode'));
  if (fc) p.functionCode = fc;
  const time = interval(kid(e, 'time'));
  if (time && (time.low || time.high)) p.time = time;
  const classCode = attr(entity, 'classCode');
  if (classCode !== undefined) p.classCode = classCode;
  const org = kid(entity, 'scopingOrganization');
  if (org) p.organization = organization(org);
  return p;
}

function serviceEvent(e: Element): ServiceEvent {
  const s: ServiceEvent = {};
  const ids = kids(e, 'id').map(identifierOf).filter(isDefined);
  if (ids.length > 0) s.ids = ids;
  const code = codedValueOf(kid(e, 'code'));
  if (code) s.code = code;
  const time = interval(kid(e, 'effectiveTime'));
  if (time) s.effectiveTime = time;
  const performer = kids(e, 'performer').find((p) => attr(p, 'typeCode') === 'PRF');
  const entity = kid(performer, 'assignedEntity');
  if (performer && entity) {
    const org = kid(entity, 'representedOrganization');
    s.performer = { professional: professional(entity, 'assignedPerson'), organization: org ? organization(org) : {} };
    const t = interval(kid(performer, 'time'));
    if (t) s.performer.time = t;
  }
  return s;
}

function encounter(e: Element): Encounter {
  const facilityElement = at(e, 'location/healthCareFacility');
  const enc: Encounter = { effectiveTime: interval(kid(e, 'effectiveTime')) ?? {}, facility: {} };
  const ids = kids(e, 'id').map(identifierOf).filter(isDefined);
  if (ids.length > 0) enc.ids = ids;
  const code = codedValueOf(kid(e, 'code'));
  if (code) enc.code = code;
  const facilityId = identifierOf(kid(facilityElement, 'id'));
  if (facilityId) enc.facility.id = facilityId;
  const facilityCode = codedValueOf(kid(facilityElement, 'code'));
  if (facilityCode) enc.facility.code = facilityCode;
  const place = kid(facilityElement, 'location');
  const name = textOf(kid(place, 'name'));
  if (name) enc.facility.name = name;
  const addr = kid(place, 'addr');
  if (addr) enc.facility.address = address(addr);
  return enc;
}

function nonXmlBody(e: Element): CdaBody {
  const text = kid(e, 'text');
  const representation = attr(text, 'representation');
  const raw = textOf(text) ?? '';
  const content = representation === 'B64' ? decodeBase64(raw) : new TextEncoder().encode(raw);
  const body: CdaBody = { kind: 'nonXml', mediaType: attr(text, 'mediaType') ?? 'text/plain', content };
  const languageCode = attr(kid(e, 'languageCode'), 'code');
  if (languageCode !== undefined) body.languageCode = languageCode;
  return body;
}

/** Base64 with possible whitespace and line breaks; invalid characters are ignored. */
const decodeBase64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'base64'));

function section(e: Element): Section {
  const entries = kids(e, 'entry');
  const s: Section = {
    templateIds: kids(e, 'templateId').map(identifierOf).filter(isDefined),
    entryCount: entries.length,
    entries,
    sections: kids(e, 'component').map((c) => kid(c, 'section')).filter(isDefined).map(section),
  };
  const id = identifierOf(kid(e, 'id'));
  if (id) s.id = id;
  const code = codedValueOf(kid(e, 'code'));
  if (code) s.code = code;
  const title = textOf(kid(e, 'title'));
  if (title !== undefined) s.title = title;
  const narrative = kid(e, 'text');
  const text = deepText(narrative);
  if (text) s.text = text;
  if (narrative) s.narrative = narrative;
  return s;
}
