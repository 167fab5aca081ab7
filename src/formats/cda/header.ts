/**
 * Writes the CI-SIS common header (documents.md §3; IGDC `ressourcesCDA-entete.md`) into a
 * `ClinicalDocument` element, in the element order of the CDA XSD (`CDA_extended.xsd`):
 * realmCode, typeId, templateId*, id, code, title, effectiveTime, confidentialityCode,
 * languageCode, setId, versionNumber, recordTarget, author+, custodian, legalAuthenticator,
 * authenticator*, participant*, inFulfillmentOf*, documentationOf+, relatedDocument?, componentOf.
 *
 * The input has been validated (`validate.ts`); this file only writes.
 */
import {
  CONFIDENTIALITY_DISPLAY,
  GENDER_DISPLAY,
  N1_TEMPLATE_IDS,
  OID,
  type Address,
  type AdministrativeGender,
  type Author,
  type CdaDocument,
  type CodedValue,
  type Confidentiality,
  type Identifier,
  type Interval,
  type Organization,
  type Patient,
  type PersonName,
  type Professional,
  type Telecom,
} from './model.ts';
import { firstGivenName } from '../ins/index.ts';
import { CR_BIO_TEMPLATE_IDS } from './cr-bio-model.ts';
import { birthDateToTs } from './time.ts';
import { add, type XmlElement as Element } from './xml-writer.ts';

export const ii = (parent: Element, name: string, id: Identifier): Element => add(parent, name, { root: id.root, extension: id.extension });

export const cv = (parent: Element, name: string, value: CodedValue): Element =>
  add(parent, name, {
    code: value.code,
    displayName: value.displayName,
    codeSystem: value.codeSystem,
    codeSystemName: value.codeSystemName,
  });

function addresses(parent: Element, list: Address[] | undefined): void {
  for (const a of list ?? []) address(parent, a);
}

function address(parent: Element, a: Address): void {
  const el = add(parent, 'addr', { use: a.use });
  for (const line of a.streetAddressLines ?? []) add(el, 'streetAddressLine', undefined, line);
  const parts: Array<[string, string | undefined]> = [
    ['houseNumber', a.houseNumber],
    ['streetName', a.streetName],
    ['additionalLocator', a.additionalLocator],
    ['unitID', a.unitID],
    ['postalCode', a.postalCode],
    ['city', a.city],
    ['county', a.county],
    ['country', a.country],
  ];
  for (const [name, value] of parts) if (value !== undefined) add(el, name, undefined, value);
}

const telecoms = (parent: Element, list: Telecom[] | undefined): void => {
  for (const t of list ?? []) add(parent, 'telecom', { value: t.value, use: t.use });
};

function personName(parent: Element, name: PersonName | undefined): void {
  if (!name) return;
  const el = add(parent, 'name');
  if (name.prefix) add(el, 'prefix', undefined, name.prefix);
  for (const given of name.given ?? []) add(el, 'given', undefined, given);
  if (name.family) add(el, 'family', undefined, name.family);
  if (name.suffix) add(el, 'suffix', undefined, name.suffix);
}

export function interval(parent: Element, name: string, value: Interval | undefined): void {
  const el = add(parent, name);
  if (value?.low) add(el, 'low', { value: value.low });
  if (value?.high) add(el, 'high', { value: value.high });
}

/** Organization content (id, name, telecom, addr, standardIndustryClassCode). */
export function organization(parent: Element, name: string, o: Organization): void {
  const el = add(parent, name);
  if (o.id) ii(el, 'id', o.id);
  if (o.name) add(el, 'name', undefined, o.name);
  telecoms(el, o.telecoms);
  addresses(el, o.addresses);
  if (o.standardIndustryClassCode) cv(el, 'standardIndustryClassCode', o.standardIndustryClassCode);
}

/** assignedEntity / associatedEntity content: id, code, addr, telecom, person, organisation. */
export function role(el: Element, p: Professional, personName_: string, org: Organization | undefined, orgName: string): void {
  ii(el, 'id', p.id);
  if (p.specialty) cv(el, 'code', p.specialty);
  addresses(el, p.addresses);
  telecoms(el, p.telecoms);
  if (p.name) personName(add(el, personName_), p.name);
  if (org) organization(el, orgName, org);
}

export function writeHeader(root: Element, doc: CdaDocument): void {
  add(root, 'realmCode', { code: 'FR' });
  add(root, 'typeId', { root: OID.typeId, extension: 'POCD_HD000040' });
  const templateIds = doc.templateIds ?? (doc.body.kind === 'cr-bio' ? CR_BIO_TEMPLATE_IDS : N1_TEMPLATE_IDS).map((r) => ({ root: r }));
  for (const t of templateIds) ii(root, 'templateId', t);
  ii(root, 'id', doc.id);
  cv(root, 'code', doc.code);
  add(root, 'title', undefined, doc.title);
  add(root, 'effectiveTime', { value: doc.effectiveTime });
  add(root, 'confidentialityCode', {
    code: doc.confidentiality,
    displayName: CONFIDENTIALITY_DISPLAY[doc.confidentiality as Confidentiality],
    codeSystem: OID.confidentiality,
  });
  add(root, 'languageCode', { code: doc.languageCode ?? 'fr-FR' });
  if (doc.setId) ii(root, 'setId', doc.setId);
  add(root, 'versionNumber', { value: String(doc.versionNumber) });
  recordTarget(root, doc.patient);
  for (const a of doc.authors) author(root, a);
  custodian(root, doc.custodian);
  legalAuthenticator(root, doc);
  authenticators(root, doc);
  participants(root, doc);
  for (const order of doc.orders ?? []) ii(add(add(root, 'inFulfillmentOf'), 'order'), 'id', order);
  serviceEvents(root, doc);
  if (doc.replaces) ii(add(add(root, 'relatedDocument', { typeCode: 'RPLC' }), 'parentDocument'), 'id', doc.replaces);
  encounter(root, doc);
}

function recordTarget(root: Element, p: Patient): void {
  const patientRole = add(add(root, 'recordTarget'), 'patientRole');
  if (p.ins) add(patientRole, 'id', { extension: p.ins.matricule, root: p.ins.oid });
  if (p.ipp) add(patientRole, 'id', { extension: p.ipp.extension, root: p.ipp.root });
  for (const id of p.otherIds ?? []) ii(patientRole, 'id', id);
  addresses(patientRole, p.addresses);
  telecoms(patientRole, p.telecoms);
  if (p.mssanteMailbox) add(patientRole, 'telecom', { value: `mailto:${p.mssanteMailbox}` });
  const patient = add(patientRole, 'patient', { classCode: 'PSN' });
  const name = add(patient, 'name');
  // Birth identity first (nom de naissance, prénoms de naissance, premier prénom), then used ones.
  if (p.birthName) add(name, 'family', { qualifier: 'BR' }, p.birthName);
  if (p.birthGivenNames) add(name, 'given', undefined, p.birthGivenNames);
  const first = p.firstBirthGivenName ?? (p.birthGivenNames ? firstGivenName(p.birthGivenNames) : undefined);
  if (first) add(name, 'given', { qualifier: 'BR' }, first);
  if (p.usedName) add(name, 'family', { qualifier: 'CL' }, p.usedName);
  if (p.usedGivenName) add(name, 'given', { qualifier: 'CL' }, p.usedGivenName);
  const sex = p.sex as AdministrativeGender;
  add(patient, 'administrativeGenderCode', { code: sex, displayName: GENDER_DISPLAY[sex], codeSystem: OID.administrativeGender });
  add(patient, 'birthTime', { value: birthDateToTs(p.birthDate ?? '') });
  if (p.birthplace) {
    const addr = add(add(add(patient, 'birthplace'), 'place'), 'addr');
    add(addr, 'county', undefined, p.birthplace);
    if (p.birthplaceCity) add(addr, 'city', undefined, p.birthplaceCity);
  }
}

export function author(root: Element, a: Author): void {
  const el = add(root, 'author');
  if (a.functionCode) cv(el, 'functionCode', a.functionCode);
  add(el, 'time', { value: a.time });
  const assigned = add(el, 'assignedAuthor');
  if (a.professional) {
    role(assigned, a.professional, 'assignedPerson', a.organization, 'representedOrganization');
    return;
  }
  if (a.device) {
    ii(assigned, 'id', a.device.id);
    const device = add(assigned, 'assignedAuthoringDevice');
    add(device, 'manufacturerModelName', undefined, a.device.manufacturerModelName);
    add(device, 'softwareName', undefined, a.device.softwareName);
    if (a.organization) organization(assigned, 'representedOrganization', a.organization);
  }
}

function custodian(root: Element, o: Organization): void {
  const org = add(add(add(root, 'custodian'), 'assignedCustodian'), 'representedCustodianOrganization');
  if (o.id) ii(org, 'id', o.id);
  if (o.name) add(org, 'name', undefined, o.name);
  const telecom = o.telecoms?.[0];
  if (telecom) add(org, 'telecom', { value: telecom.value, use: telecom.use });
  const addr = o.addresses?.[0];
  if (addr) address(org, addr);
}

function legalAuthenticator(root: Element, doc: CdaDocument): void {
  const la = doc.legalAuthenticator;
  if (!la) return;
  const el = add(root, 'legalAuthenticator');
  add(el, 'time', { value: la.time });
  add(el, 'signatureCode', { code: la.signatureCode ?? 'S' });
  role(add(el, 'assignedEntity'), la.professional, 'assignedPerson', la.organization, 'representedOrganization');
}

function authenticators(root: Element, doc: CdaDocument): void {
  for (const a of doc.authenticators ?? []) {
    const el = add(root, 'authenticator');
    for (const t of a.templateIds ?? []) ii(el, 'templateId', t);
    add(el, 'time', { value: a.time });
    add(el, 'signatureCode', { code: a.signatureCode ?? 'S' });
    role(add(el, 'assignedEntity'), a.professional, 'assignedPerson', a.organization, 'representedOrganization');
  }
}

function participants(root: Element, doc: CdaDocument): void {
  for (const p of doc.participants ?? []) {
    const el = add(root, 'participant', { typeCode: p.typeCode });
    for (const t of p.templateIds ?? []) ii(el, 'templateId', t);
    if (p.functionCode) cv(el, 'functionCode', p.functionCode);
    if (p.time && (p.time.low || p.time.high)) interval(el, 'time', p.time);
    else add(el, 'time', { nullFlavor: 'NA' });
    role(add(el, 'associatedEntity', { classCode: p.classCode ?? 'PROV' }), p.professional, 'associatedPerson', p.organization, 'scopingOrganization');
  }
}

function serviceEvents(root: Element, doc: CdaDocument): void {
  for (const e of doc.serviceEvents ?? []) {
    const event = add(add(root, 'documentationOf'), 'serviceEvent');
    for (const id of e.ids ?? []) ii(event, 'id', id);
    if (e.code) cv(event, 'code', e.code);
    if (e.effectiveTime) interval(event, 'effectiveTime', e.effectiveTime);
    if (e.performer) {
      const performer = add(event, 'performer', { typeCode: 'PRF' });
      for (const t of e.performer.templateIds ?? []) ii(performer, 'templateId', t);
      if (e.performer.time) interval(performer, 'time', e.performer.time);
      role(add(performer, 'assignedEntity'), e.performer.professional, 'assignedPerson', e.performer.organization, 'representedOrganization');
    }
  }
}

function encounter(root: Element, doc: CdaDocument): void {
  const e = doc.encounter;
  if (!e) return;
  const el = add(add(root, 'componentOf'), 'encompassingEncounter');
  for (const id of e.ids ?? []) ii(el, 'id', id);
  if (e.code) cv(el, 'code', e.code);
  interval(el, 'effectiveTime', e.effectiveTime);
  const facility = add(add(el, 'location'), 'healthCareFacility');
  if (e.facility.id) ii(facility, 'id', e.facility.id);
  if (e.facility.code) cv(facility, 'code', e.facility.code);
  if (e.facility.name || e.facility.address) {
    const place = add(facility, 'location');
    if (e.facility.name) add(place, 'name', undefined, e.facility.name);
    if (e.facility.address) address(place, e.facility.address);
  }
}
