/**
 * checkCda negative cases (documents.md §8 "useful negative cases" and the STRUCMIN asserts
 * of §3–§4), on a generated N1 and on the official N1 example.
 */
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sampleDocument } from '../../../test/support/cda.ts';
import { requireFixtures, skipReason } from '../../../test/support/fixtures.ts';
import { valueSetLookup } from '../terminology/index.ts';
import { buildCda, checkCda, checkCdaText, parseCda, type Issue, type ValueSetLookup } from './index.ts';

const generated = (): string => {
  const r = buildCda(sampleDocument('ldl'));
  if (!r.ok) throw new Error(r.error.rule);
  return r.value;
};

/** A lookup that knows only the codes used by the sample documents. */
const small: ValueSetLookup = {
  has: (id, code) => ({ J07: ['11490-0', '34874-8', '57833-6', '18748-4', '11502-2', '34112-3'], J01: ['G15_10/SM26'], J04: ['ETABLISSEMENT'], J02: ['SA01'] } as Record<string, string[]>)[id]?.includes(code) ?? false,
  knows: (id) => ['J07', 'J01', 'J04', 'J02'].includes(id),
};

const fields = (issues: Issue[]): string[] => issues.map((i) => i.field);

describe('checkCda on generated documents', () => {
  it('a generated document has zero issues', () => {
    const xml = generated();
    expect(checkCda(xml, small)).toEqual([]);
    const parsed = parseCda(xml);
    expect(parsed.ok && checkCda(parsed.value, small)).toEqual([]);
  });

  const cases: Array<[string, (xml: string) => string, string, RegExp]> = [
    ['4th templateId on N1', (x) => x.replace('<templateId root="1.3.6.1.4.1.19376.1.2.20"/>', '$&<templateId root="1.2.250.1.213.1.1.1.29" extension="2022.01"/>'), '/ClinicalDocument/templateId', /exactement trois templateId/],
    ['missing legalAuthenticator', (x) => x.replace(/<legalAuthenticator>.*<\/legalAuthenticator>/, ''), '/ClinicalDocument/legalAuthenticator', /un et un seul responsable/],
    ['INS without birthplace', (x) => x.replace(/<birthplace>.*<\/birthplace>/, ''), '/ClinicalDocument/recordTarget/patientRole/patient/birthplace/place/addr/county', /lieu de naissance obligatoire lorsque le matricule INS est présent/],
    ['INS without first birth prénom', (x) => x.replace('<given qualifier="BR">DOMINIQUE</given>', ''), "/ClinicalDocument/recordTarget/patientRole/patient/name/given[@qualifier='BR']", /premier prénom/],
    ['INS with gender U', (x) => x.replace('administrativeGenderCode code="F"', 'administrativeGenderCode code="U"'), '/ClinicalDocument/recordTarget/patientRole/patient/administrativeGenderCode', /F, M ou UN/],
    ['code outside J07', (x) => x.replace('code="11490-0"', 'code="29551-9"'), '/ClinicalDocument/code', /29551-9.*JDV_J07/],
    ['title missing', (x) => x.replace(/<title>[^<]*<\/title>/, ''), '/ClinicalDocument/title', /titre du document/],
    ['signatureCode not S', (x) => x.replace('<signatureCode code="S"/>', '<signatureCode code="U"/>'), '/ClinicalDocument/legalAuthenticator/signatureCode', /code S/],
    ['realmCode not FR', (x) => x.replace('<realmCode code="FR"/>', '<realmCode code="US"/>'), '/ClinicalDocument/realmCode', /FR/],
    ['bad typeId', (x) => x.replace('extension="POCD_HD000040"', 'extension="X"'), '/ClinicalDocument/typeId', /POCD_HD000040/],
    ['no setId', (x) => x.replace(/<setId [^>]*\/>/, ''), '/ClinicalDocument/setId', /setId obligatoire/],
    ['no versionNumber', (x) => x.replace(/<versionNumber [^>]*\/>/, ''), '/ClinicalDocument/versionNumber', /versionNumber/],
    ['bad effectiveTime', (x) => x.replace('<effectiveTime value="20240115103000+0100"/>', '<effectiveTime value="2024-01-15"/>'), '/ClinicalDocument/effectiveTime', /AAAAMMJJ/],
    ['confidentiality L', (x) => x.replace('confidentialityCode code="N"', 'confidentialityCode code="L"'), '/ClinicalDocument/confidentialityCode', /N, R ou V/],
    ['language fr', (x) => x.replace('<languageCode code="fr-FR"/>', '<languageCode code="fr"/>'), '/ClinicalDocument/languageCode', /ll-CC/],
    ['author specialty outside J01', (x) => x.replace('G15_10/SM26', 'G15_10/XX99'), '/ClinicalDocument/author[1]/assignedAuthor/code', /JDV_J01/],
    ['author both person and device', (x) => x.replace('</assignedPerson>', '</assignedPerson><assignedAuthoringDevice><softwareName>x</softwareName></assignedAuthoringDevice>'), '/ClinicalDocument/author[1]/assignedAuthor', /l'un ou l'autre/],
    ['author organisation not idNat_Struct', (x) => x.replace('<representedOrganization><id root="1.2.250.1.71.4.2.2"', '<representedOrganization><id root="1.2.3.4"'), '/ClinicalDocument/author[1]/assignedAuthor/representedOrganization/id', /idNat_Struct/],
    ['custodian root', (x) => x.replace('<representedCustodianOrganization><id root="1.2.250.1.71.4.2.2"', '<representedCustodianOrganization><id root="1.2.3.4"'), '/ClinicalDocument/custodian/assignedCustodian/representedCustodianOrganization/id', /hébergeur DMP/],
    ['no serviceEvent low', (x) => x.replace('<low value="20240110080000+0100"/><high value="20240115100000+0100"/></effectiveTime><performer', '<high value="20240115100000+0100"/></effectiveTime><performer'), '/ClinicalDocument/documentationOf[1]/serviceEvent/effectiveTime/low', /date de début/],
    ['two performers PRF', (x) => x.replace(/(<performer typeCode="PRF">.*?<\/performer>)/, '$1$1'), '/ClinicalDocument/documentationOf[1]/serviceEvent/performer', /un et un seul exécutant/],
    ['no standardIndustryClassCode', (x) => x.replace(/<standardIndustryClassCode [^>]*\/>/, ''), '/ClinicalDocument/documentationOf[1]/serviceEvent/performer/assignedEntity/representedOrganization/standardIndustryClassCode', /cadre d'exercice/],
    ['practice setting outside J04', (x) => x.replace('code="ETABLISSEMENT"', 'code="HOPITAL"'), '/ClinicalDocument/documentationOf[1]/serviceEvent/performer/assignedEntity/representedOrganization/standardIndustryClassCode', /JDV_J04/],
    ['two relatedDocuments', (x) => x.replace('<componentOf>', '<relatedDocument typeCode="RPLC"><parentDocument><id root="1.2.3"/></parentDocument></relatedDocument><relatedDocument typeCode="APND"><parentDocument><id root="1.2.4"/></parentDocument></relatedDocument><componentOf>'), '/ClinicalDocument/relatedDocument', /au plus un/],
    ['no facility code', (x) => x.replace(/<healthCareFacility>.*<\/healthCareFacility>/, '<healthCareFacility/>'), '/ClinicalDocument/componentOf/encompassingEncounter/location/healthCareFacility/code', /obligatoire/],
    ['facility outside J02', (x) => x.replace('code="SA01"', 'code="ZZ99"'), '/ClinicalDocument/componentOf/encompassingEncounter/location/healthCareFacility/code', /JDV_J02/],
    ['no encounter', (x) => x.replace(/<componentOf>.*<\/componentOf>/, ''), '/ClinicalDocument/componentOf/encompassingEncounter', /une et une seule prise en charge/],
    ['body nullFlavor', (x) => x.replace('<text mediaType="application/pdf" representation="B64">', '<text nullFlavor="NA" mediaType="application/pdf" representation="B64">'), '/ClinicalDocument/component/nonXMLBody/text', /sans nullFlavor/],
    ['body image/jpeg', (x) => x.replace('mediaType="application/pdf"', 'mediaType="image/jpeg"'), '/ClinicalDocument/component/nonXMLBody/text/@mediaType', /application\/pdf ou text\/plain/],
    ['participant without time', (x) => x.replace('<time nullFlavor="NA"/>', ''), '/ClinicalDocument/participant[1]/time', /time obligatoire/],
  ];

  it.each(cases)('%s', (_name, mutate, field, rule) => {
    const xml = mutate(generated());
    expect(xml).not.toBe(generated());
    const issues = checkCda(xml, small);
    const found = issues.find((i) => i.field === field);
    expect(found, JSON.stringify(issues)).toBeDefined();
    expect(found!.rule).toMatch(rule);
  });

  it('without a lookup, the value-set rules are skipped', () => {
    expect(checkCda(generated().replace('code="11490-0"', 'code="29551-9"'))).toEqual([]);
  });

  it('reports unreadable input as one issue, never throws', () => {
    expect(fields(checkCda('<oops'))).toEqual(['/ClinicalDocument']);
    expect(fields(checkCda('<a xmlns="urn:other"/>'))).toEqual(['/ClinicalDocument']);
    expect(checkCdaText('<ClinicalDocument xmlns="urn:hl7-org:v3"/>')).toHaveLength(1);
    expect(checkCda('<ClinicalDocument xmlns="urn:hl7-org:v3"/>').length).toBeGreaterThan(10);
  });
});

const cdaDir = requireFixtures('cda');

describe.skipIf(cdaDir === undefined)(`checkCda on the official N1 example with JDV value sets${cdaDir === undefined ? ` (${skipReason('cda')})` : ''}`, () => {
  const xml = cdaDir === undefined ? '' : readFileSync(path.join(cdaDir, 'ExemplesCDA/DOC_NON_STRUCTURE_CDA-R2-N1.xml'), 'utf8');
  const lookup = cdaDir === undefined ? undefined : valueSetLookup;

  it('passes as published', () => {
    expect(checkCda(xml, lookup)).toEqual([]);
  });

  it.each([
    ['4th templateId', (x: string) => x.replace('<templateId root="1.3.6.1.4.1.19376.1.2.20"/>', '$&<templateId root="1.2.250.1.213.1.1.1.55"/>'), '/ClinicalDocument/templateId'],
    ['no legalAuthenticator', (x: string) => x.replace(/<legalAuthenticator>[\s\S]*<\/legalAuthenticator>/, ''), '/ClinicalDocument/legalAuthenticator'],
    ['INS without birthplace', (x: string) => x.replace(/<birthplace>[\s\S]*<\/birthplace>/, ''), '/ClinicalDocument/recordTarget/patientRole/patient/birthplace/place/addr/county'],
    ['code outside J07 (29551-9)', (x: string) => x.replace('code="11502-2"', 'code="29551-9"'), '/ClinicalDocument/code'],
    ['title missing', (x: string) => x.replace(/<title>[^<]*<\/title>/, ''), '/ClinicalDocument/title'],
    ['signatureCode not S', (x: string) => x.replace('<signatureCode code="S"/>', '<signatureCode code="X"/>'), '/ClinicalDocument/legalAuthenticator/signatureCode'],
  ])('%s gives exactly that issue', (_name, mutate, field) => {
    expect(fields(checkCda(mutate(xml), lookup))).toEqual([field]);
  });
});
