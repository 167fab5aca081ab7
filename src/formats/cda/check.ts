/**
 * `checkCda(xml | parsed, valueSets?)`: the CI-SIS common header and level 1 rules
 * (documents.md §3–§4: the error asserts of the STRUCMIN schematron
 * `1.2.250.1.213.1.1.1.1-2017-12-13T103531.sch`), and the value-set rules on the document
 * code (JDV_J07), the author's specialty (J01), the practice setting (J04) and the facility
 * type (J02); for a CR-BIO level 3 (code 11502-2 + templateId 1.2.250.1.213.1.1.1.55), the
 * volet rules of `cr-bio-check.ts` (documents.md §5). Each issue names an XPath-like location and the rule in French (shown to
 * hospital staff).
 */
import type { Element } from '@xmldom/xmldom';
import { isInsOid } from '../ins/index.ts';
import { checkCrBio, isCrBioN3 } from './cr-bio-check.ts';
import { N1_TEMPLATE_IDS, OID } from './model.ts';
import { parseCda, type ParsedCda } from './parse.ts';
import { all, at, attr, findClinicalDocument, kid, kids, parseXml, textOf } from './xml.ts';

export interface Issue {
  /** XPath-like location, e.g. `/ClinicalDocument/legalAuthenticator/signatureCode`. */
  field: string;
  /** The rule, in French. */
  rule: string;
}

/** Value sets the checks consult; extend the union as needed (J142, J143, J144, J47…). */
export type ValueSetId = 'J07' | 'J01' | 'J04' | 'J02' | 'J142' | 'J143' | 'J144' | 'J47' | (string & {});

/**
 * Membership in a NOS value set. `src/formats/terminology` provides the curated one; tests
 * read the JDV files. `knows` (optional) says whether the lookup holds a value set at all:
 * rules on unknown value sets are skipped rather than failed.
 */
export interface ValueSetLookup {
  has(valueSetId: ValueSetId, code: string, codeSystem: string): boolean;
  knows?(valueSetId: ValueSetId): boolean;
}

const DOC = '/ClinicalDocument';
const TS = /^\d{4,14}(\.\d{1,4})?([+-]\d{4})?$/;
const LANGUAGE = /^[a-z]{2}-[A-Z]{2}$/;

export function checkCda(input: string | ParsedCda, valueSets?: ValueSetLookup): Issue[] {
  let root: Element;
  if (typeof input === 'string') {
    const dom = parseXml(input);
    if (!dom.ok) return [{ field: DOC, rule: `document illisible : ${dom.error.rule}` }];
    const found = findClinicalDocument(dom.value);
    if (!found) return [{ field: DOC, rule: 'élément ClinicalDocument (urn:hl7-org:v3) absent' }];
    root = found.root;
  } else {
    root = input.root;
  }
  const issues: Issue[] = [];
  const issue = (field: string, rule: string): void => {
    issues.push({ field, rule });
  };
  try {
    header(root, issue);
    patient(root, issue);
    authors(root, issue, valueSets);
    custodianAndAuthenticators(root, issue);
    participants(root, issue);
    serviceEvents(root, issue, valueSets);
    related(root, issue);
    encounter(root, issue, valueSets);
    body(root, issue);
    code(root, issue, valueSets);
    if (isCrBioN3(root)) checkCrBio(root, issue);
  } catch (error) {
    issue(DOC, `contrôle interrompu : ${error instanceof Error ? error.message : String(error)}`);
  }
  return issues;
}

/** Convenience: parse then check; parse failures become one issue. */
export function checkCdaText(xml: string, valueSets?: ValueSetLookup): Issue[] {
  const parsed = parseCda(xml);
  if (!parsed.ok) return [{ field: parsed.error.field, rule: parsed.error.rule }];
  return checkCda(parsed.value, valueSets);
}

type Report = (field: string, rule: string) => void;

const knows = (lookup: ValueSetLookup | undefined, id: ValueSetId): lookup is ValueSetLookup =>
  lookup !== undefined && (lookup.knows ? lookup.knows(id) : true);

function inValueSet(e: Element | undefined, field: string, id: ValueSetId, label: string, lookup: ValueSetLookup | undefined, report: Report): void {
  if (!e || !knows(lookup, id)) return;
  const code = attr(e, 'code');
  const system = attr(e, 'codeSystem');
  if (code === undefined || system === undefined) return; // nullFlavor or missing: reported elsewhere when required
  if (!lookup.has(id, code, system)) report(field, `le code ${code} (${system}) n'appartient pas au jeu de valeurs ${label}`);
}

function header(root: Element, report: Report): void {
  const realms = kids(root, 'realmCode');
  if (realms.length !== 1 || attr(realms[0], 'code') !== 'FR') report(`${DOC}/realmCode`, 'un et un seul realmCode, de code FR');
  const typeIds = kids(root, 'typeId');
  if (typeIds.length !== 1 || attr(typeIds[0], 'root') !== OID.typeId || attr(typeIds[0], 'extension') !== 'POCD_HD000040') {
    report(`${DOC}/typeId`, `un et un seul typeId, root ${OID.typeId} et extension POCD_HD000040`);
  }
  const roots = kids(root, 'templateId').map((t) => attr(t, 'root') ?? '');
  const count = (r: string): number => roots.filter((x) => x === r).length;
  if (count(OID.hl7France) !== 1) report(`${DOC}/templateId`, `un et un seul templateId ${OID.hl7France} (HL7 France)`);
  if (count(OID.ciSis) !== 1) report(`${DOC}/templateId`, `un et un seul templateId ${OID.ciSis} (CI-SIS)`);
  if (roots.filter((r) => r !== OID.hl7France && r !== OID.ciSis).length < 1) {
    report(`${DOC}/templateId`, 'au moins un templateId de volet (ou XDS-SD pour un document non structuré) en plus de HL7 France et CI-SIS');
  }
  if (kid(at(root, 'component'), 'nonXMLBody')) {
    const exact = roots.length === 3 && N1_TEMPLATE_IDS.every((r) => roots.includes(r));
    if (!exact) {
      report(`${DOC}/templateId`, `un document non structuré (N1) porte exactement trois templateId : ${N1_TEMPLATE_IDS.join(', ')} (aucun templateId de volet)`);
    }
  }
  const id = kids(root, 'id');
  if (id.length !== 1 || !attr(id[0], 'root')) report(`${DOC}/id`, 'identifiant unique du document (id/@root) obligatoire');
  const codeElement = kid(root, 'code');
  if (!attr(codeElement, 'code') || !attr(codeElement, 'codeSystem') || !attr(codeElement, 'displayName')) {
    report(`${DOC}/code`, 'le type de document porte @code, @codeSystem et @displayName');
  }
  if (!textOf(kid(root, 'title'))) report(`${DOC}/title`, 'le titre du document (title) est obligatoire et non vide');
  const effective = attr(kid(root, 'effectiveTime'), 'value');
  if (effective === undefined || !TS.test(effective)) {
    report(`${DOC}/effectiveTime`, 'date de création obligatoire, au format AAAAMMJJ[HHMMSS][+/-ZZZZ]');
  }
  const confidentiality = kid(root, 'confidentialityCode');
  if (!['N', 'R', 'V'].includes(attr(confidentiality, 'code') ?? '') || attr(confidentiality, 'codeSystem') !== OID.confidentiality) {
    report(`${DOC}/confidentialityCode`, `confidentialityCode N, R ou V du système ${OID.confidentiality} (HL7 Confidentiality)`);
  }
  const language = attr(kid(root, 'languageCode'), 'code');
  if (language === undefined || !LANGUAGE.test(language)) report(`${DOC}/languageCode`, 'languageCode obligatoire, au format ll-CC (fr-FR)');
  if (!attr(kid(root, 'setId'), 'root')) report(`${DOC}/setId`, 'setId obligatoire (identifiant commun aux versions du document)');
  const version = attr(kid(root, 'versionNumber'), 'value');
  if (version === undefined || !/^\+?\d+$/.test(version.trim()) || Number(version) < 1) {
    report(`${DOC}/versionNumber`, 'versionNumber obligatoire, entier strictement positif');
  }
}

function patient(root: Element, report: Report): void {
  const targets = kids(root, 'recordTarget');
  if (targets.length !== 1) report(`${DOC}/recordTarget`, 'un et un seul recordTarget');
  const role = at(root, 'recordTarget/patientRole');
  const base = `${DOC}/recordTarget/patientRole`;
  if (!role) {
    report(base, 'patientRole obligatoire');
    return;
  }
  const ids = kids(role, 'id');
  for (const id of ids) {
    if (attr(id, 'nullFlavor') === undefined && (!attr(id, 'root') || !attr(id, 'extension'))) {
      report(`${base}/id`, 'chaque identifiant du patient porte @root et @extension');
    }
  }
  if (!ids.some((id) => isInsOid(attr(id, 'root') ?? ''))) return;
  // INS rule: an INS requires all the traits (documents.md §3).
  const p = `${base}/patient`;
  const person = kid(role, 'patient');
  const parts = kids(person, 'name').flatMap((n) => kids(n));
  const named = (local: string, qualifier?: string): boolean =>
    parts.some((e) => e.localName === local && attr(e, 'qualifier') === qualifier && Boolean(textOf(e)));
  const rule = (trait: string): string => `${trait} obligatoire lorsque le matricule INS est présent`;
  if (!named('family', 'BR')) report(`${p}/name/family[@qualifier='BR']`, rule('le nom de naissance'));
  if (!named('given', 'BR')) report(`${p}/name/given[@qualifier='BR']`, rule('le premier prénom de naissance'));
  if (!named('given')) report(`${p}/name/given`, rule('la liste des prénoms de naissance (given sans qualifier)'));
  const birthTime = attr(kid(person, 'birthTime'), 'value');
  if (birthTime === undefined || !TS.test(birthTime)) report(`${p}/birthTime`, rule('la date de naissance'));
  if (!textOf(at(person, 'birthplace/place/addr/county'))) report(`${p}/birthplace/place/addr/county`, rule('le code COG du lieu de naissance'));
  const gender = kid(person, 'administrativeGenderCode');
  if (!['F', 'M', 'UN'].includes(attr(gender, 'code') ?? '') || attr(gender, 'codeSystem') !== OID.administrativeGender) {
    report(`${p}/administrativeGenderCode`, `${rule('le sexe')} (F, M ou UN du système ${OID.administrativeGender})`);
  }
}

function authors(root: Element, report: Report, lookup: ValueSetLookup | undefined): void {
  const list = kids(root, 'author');
  if (list.length === 0) report(`${DOC}/author`, 'au moins un auteur');
  list.forEach((a, i) => {
    const f = `${DOC}/author[${i + 1}]`;
    if (!attr(kid(a, 'time'), 'value')) report(`${f}/time`, "horodatage de l'auteur obligatoire");
    const assigned = kid(a, 'assignedAuthor');
    if (!attr(kid(assigned, 'id'), 'root')) report(`${f}/assignedAuthor/id`, "identifiant de l'auteur obligatoire");
    const person = kid(assigned, 'assignedPerson');
    const device = kid(assigned, 'assignedAuthoringDevice');
    if (Boolean(person) === Boolean(device)) {
      report(`${f}/assignedAuthor`, "l'auteur est une personne (assignedPerson) ou un dispositif (assignedAuthoringDevice), l'un ou l'autre");
    }
    inValueSet(kid(assigned, 'code'), `${f}/assignedAuthor/code`, 'J01', 'JDV_J01 (spécialité de l\'auteur)', lookup, report);
    const org = kid(assigned, 'representedOrganization');
    if (org && !kids(org, 'id').some((id) => attr(id, 'root') === OID.idNatStruct)) {
      report(`${f}/assignedAuthor/representedOrganization/id`, `l'organisation de l'auteur est identifiée par un id de racine ${OID.idNatStruct} (idNat_Struct)`);
    }
  });
}

function custodianAndAuthenticators(root: Element, report: Report): void {
  const custodians = kids(root, 'custodian');
  if (custodians.length !== 1) report(`${DOC}/custodian`, 'un et un seul custodian');
  const org = at(custodians[0], 'assignedCustodian/representedCustodianOrganization');
  const custodianRoot = attr(kid(org, 'id'), 'root');
  if (custodianRoot !== OID.idNatStruct && custodianRoot !== OID.dmpHost) {
    report(`${DOC}/custodian/assignedCustodian/representedCustodianOrganization/id`, `id de racine ${OID.idNatStruct} (structure) ou ${OID.dmpHost} (hébergeur DMP)`);
  }
  const las = kids(root, 'legalAuthenticator');
  if (las.length !== 1) {
    report(`${DOC}/legalAuthenticator`, 'un et un seul responsable du document (legalAuthenticator)');
    return;
  }
  const la = las[0]!;
  const f = `${DOC}/legalAuthenticator`;
  if (!attr(kid(la, 'time'), 'value')) report(`${f}/time`, 'horodatage du responsable obligatoire');
  if (attr(kid(la, 'signatureCode'), 'code') !== 'S') report(`${f}/signatureCode`, 'signatureCode de code S obligatoire');
  if (!attr(at(la, 'assignedEntity/id'), 'root')) report(`${f}/assignedEntity/id`, 'identifiant du responsable obligatoire');
  if (!textOf(at(la, 'assignedEntity/assignedPerson/name/family'))) report(`${f}/assignedEntity/assignedPerson/name/family`, 'nom du responsable obligatoire');
}

function participants(root: Element, report: Report): void {
  kids(root, 'participant').forEach((p, i) => {
    const f = `${DOC}/participant[${i + 1}]`;
    if (!attr(p, 'typeCode')) report(f, 'typeCode obligatoire');
    if (!kid(p, 'time')) report(`${f}/time`, 'time obligatoire (nullFlavor admis)');
  });
}

function serviceEvents(root: Element, report: Report, lookup: ValueSetLookup | undefined): void {
  const events = all(root, 'documentationOf/serviceEvent');
  if (events.length === 0) {
    report(`${DOC}/documentationOf`, "au moins un acte documenté (documentationOf/serviceEvent)");
    return;
  }
  const first = events[0]!;
  const f = `${DOC}/documentationOf[1]/serviceEvent`;
  if (!attr(at(first, 'effectiveTime/low'), 'value')) report(`${f}/effectiveTime/low`, "date de début de l'acte obligatoire sur le premier serviceEvent");
  const performers = kids(first, 'performer').filter((p) => attr(p, 'typeCode') === 'PRF');
  if (performers.length !== 1) {
    report(`${f}/performer`, "un et un seul exécutant (performer typeCode='PRF') sur le premier serviceEvent");
    return;
  }
  const sic = at(performers[0], 'assignedEntity/representedOrganization/standardIndustryClassCode');
  const sicField = `${f}/performer/assignedEntity/representedOrganization/standardIndustryClassCode`;
  if (!attr(sic, 'code')) report(sicField, "cadre d'exercice (standardIndustryClassCode) obligatoire");
  else inValueSet(sic, sicField, 'J04', "JDV_J04 (cadre d'exercice)", lookup, report);
}

function related(root: Element, report: Report): void {
  const list = kids(root, 'relatedDocument');
  if (list.length > 1) report(`${DOC}/relatedDocument`, 'au plus un document remplacé (relatedDocument)');
  for (const r of list) {
    if (attr(r, 'typeCode') !== 'RPLC') report(`${DOC}/relatedDocument/@typeCode`, 'relatedDocument de typeCode RPLC uniquement');
    if (!attr(at(r, 'parentDocument/id'), 'root')) report(`${DOC}/relatedDocument/parentDocument/id`, 'identifiant du document remplacé obligatoire');
  }
}

function encounter(root: Element, report: Report, lookup: ValueSetLookup | undefined): void {
  const list = kids(root, 'componentOf');
  const e = at(list[0], 'encompassingEncounter');
  if (list.length !== 1 || !e) {
    report(`${DOC}/componentOf/encompassingEncounter`, 'une et une seule prise en charge (componentOf/encompassingEncounter)');
    return;
  }
  const f = `${DOC}/componentOf/encompassingEncounter`;
  if (!kid(e, 'effectiveTime')) report(`${f}/effectiveTime`, 'date de la prise en charge obligatoire');
  const facility = at(e, 'location/healthCareFacility/code');
  if (!attr(facility, 'code')) report(`${f}/location/healthCareFacility/code`, "type de structure (healthCareFacility/code) obligatoire");
  else inValueSet(facility, `${f}/location/healthCareFacility/code`, 'J02', 'JDV_J02 (type de structure)', lookup, report);
  inValueSet(kid(e, 'code'), `${f}/code`, 'J142', 'JDV_J142 (type de rencontre)', lookup?.knows ? lookup : undefined, report);
}

function body(root: Element, report: Report): void {
  const components = kids(root, 'component');
  const bodies = components.flatMap((c) => [...kids(c, 'nonXMLBody'), ...kids(c, 'structuredBody')]);
  if (components.length !== 1 || bodies.length !== 1) {
    report(`${DOC}/component`, 'un et un seul corps de document (structuredBody ou nonXMLBody)');
    return;
  }
  const nonXml = bodies[0]!.localName === 'nonXMLBody' ? bodies[0] : undefined;
  if (!nonXml) return;
  const f = `${DOC}/component/nonXMLBody/text`;
  const texts = kids(nonXml, 'text');
  const text = texts[0];
  if (texts.length !== 1 || !text || attr(text, 'nullFlavor') !== undefined) {
    report(f, 'un et un seul élément text, sans nullFlavor');
    return;
  }
  if (!['application/pdf', 'text/plain'].includes(attr(text, 'mediaType') ?? '')) report(`${f}/@mediaType`, 'mediaType application/pdf ou text/plain');
  if (attr(text, 'representation') !== 'B64') report(`${f}/@representation`, 'representation B64');
  if (!textOf(text)) report(f, 'contenu encapsulé (base64) non vide');
}

function code(root: Element, report: Report, lookup: ValueSetLookup | undefined): void {
  inValueSet(kid(root, 'code'), `${DOC}/code`, 'J07', 'JDV_J07 (types de documents XDS CI-SIS)', lookup, report);
}
