/**
 * parseCda on the official examples (CDAKIT ExemplesCDA, and the CDA files of the HL7 v2
 * examples): every file parses; the Ségur examples give back their header facts; the three
 * self-presenting files are unwrapped; the official N1 examples pass checkCda.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { filesUnder, requireFixtures, skipReason } from '../../../test/support/fixtures.ts';
import { valueSetLookup } from '../terminology/index.ts';
import { formatXsdProblems, loadXsd } from '../../platform/xsd.ts';
import { buildCda, checkCda, parseCda, type NonXmlBody, type ParsedCda, type StructuredBody } from './index.ts';

const cdaDir = requireFixtures('cda');
const hl7Dir = requireFixtures('hl7v2');


describe.skipIf(cdaDir === undefined)(`parseCda on CDAKIT ExemplesCDA${cdaDir === undefined ? ` (${skipReason('cda')})` : ''}`, () => {
  const dir = path.join(cdaDir ?? '', 'ExemplesCDA');
  const files = cdaDir === undefined ? [] : readdirSync(dir).filter((f) => /\.xml$/i.test(f)).sort();
  const read = (name: string): ParsedCda => {
    const r = parseCda(readFileSync(path.join(dir, name), 'utf8'));
    if (!r.ok) throw new Error(`${name}: ${r.error.field}: ${r.error.rule}`);
    return r.value;
  };

  it('finds the 94 examples', () => {
    expect(files).toHaveLength(94);
  });

  it.each(files.map((f) => [f]))('%s parses', (name) => {
    const parsed = read(name);
    expect(parsed.document.id.root).not.toBe('');
    expect(parsed.document.patient).toBeDefined();
    expect(parsed.document.authors.length).toBeGreaterThan(0);
    if (parsed.level === 1) expect((parsed.document.body as NonXmlBody).content.length).toBeGreaterThan(0);
    else expect((parsed.document.body as StructuredBody).sections.length).toBeGreaterThan(0);
  });

  it('unwraps the three self-presenting documents', () => {
    const self = files.filter((f) => read(f).selfPresenting);
    expect(self).toEqual(['BIO-CR-BIO_2021.01_Auto-Presentable.xml', 'BIO-CR-BIO_2021.01_Auto-Presentable_avec-image.xml', 'CANCER-PPS_2022.01_Autopresentable.xml']);
    const bio = read('BIO-CR-BIO_2021.01_Auto-Presentable.xml').document;
    expect(bio.code.code).toBe('11502-2');
    expect(bio.patient.ins).toEqual({ matricule: '279035121518989', oid: '1.2.250.1.213.1.4.10' });
  });

  const patTrois = {
    ins: { matricule: '279035121518989', oid: '1.2.250.1.213.1.4.10' },
    ipp: { root: '1.2.3.4.567.8.9.10', extension: '1234567890121' },
    birthName: 'PAT-TROIS',
    usedName: 'PAT-TROIS',
    birthGivenNames: 'DOMINIQUE MARIE-LOUISE',
    firstBirthGivenName: 'DOMINIQUE',
    usedGivenName: 'DOMINIQUE',
    sex: 'F',
    birthDate: '1979-03-28',
    birthplace: '51215',
  };

  it('LDL-SES_2022.01.xml: header facts', () => {
    const p = read('LDL-SES_2022.01.xml');
    const d = p.document;
    expect(p.level).toBe(3);
    expect(d.templateIds).toEqual([{ root: '2.16.840.1.113883.2.8.2.1' }, { root: '1.2.250.1.213.1.1.1.1' }, { root: '1.2.250.1.213.1.1.1.29', extension: '2022.01' }]);
    expect(d.code).toEqual({ code: '11490-0', codeSystem: '2.16.840.1.113883.6.1', displayName: "Lettre de liaison à la sortie d'un établissement de soins", codeSystemName: 'LOINC' });
    expect(d.title).toBe("Lettre de liaison à la sortie de l'établissement de santé");
    expect(d.effectiveTime).toBe('20191203133000+0100');
    expect(d.id).toEqual({ root: '1.2.250.1.213.1.1.1.29.2022.1.1' });
    expect(d.setId).toEqual({ root: '1.2.250.1.213.1.1.1.29.2022.1' });
    expect(d.versionNumber).toBe(1);
    expect(d.confidentiality).toBe('N');
    expect(d.languageCode).toBe('fr-FR');
    expect(d.patient).toMatchObject({ ...patTrois, birthplaceCity: 'DOMPREMY', mssanteMailbox: '279035121518989@patient.mssante.fr' });
    expect(d.authors[0]).toMatchObject({
      time: '20191203133000+0100',
      professional: { id: { root: '1.2.250.1.71.4.2.1', extension: '801234567897' }, specialty: { code: 'G15_10/SM27' }, name: { family: 'DAVID', given: ['Charles'], prefix: 'M', suffix: 'DR' } },
      organization: { id: { root: '1.2.250.1.71.4.2.2', extension: '1750803447' }, name: 'Hôpital Européen Georges Pompidou' },
    });
    expect(d.custodian.id).toEqual({ root: '1.2.250.1.71.4.2.2', extension: '1750803447' });
    expect(d.legalAuthenticator).toMatchObject({ time: '20191203133000+0100', signatureCode: 'S', professional: { name: { family: 'AUGUIN' } } });
    expect(d.participants?.[0]).toMatchObject({ typeCode: 'INF', functionCode: { code: 'PCP' }, classCode: 'PROV', professional: { name: { family: 'MEDIONI' } } });
    expect(d.participants?.[0]?.time).toBeUndefined();
    expect(d.serviceEvents?.[0]).toMatchObject({
      code: { code: 'IMP' },
      effectiveTime: { low: '20191029111700+0100', high: '20191203133000+0100' },
      performer: { organization: { standardIndustryClassCode: { code: 'ETABLISSEMENT', codeSystem: '1.2.250.1.213.1.1.4.9' } } },
    });
    expect(d.encounter?.facility.code).toEqual({ code: 'SA01', displayName: 'Etablissement public de santé', codeSystem: '1.2.250.1.71.4.2.4' });
    const body = d.body as StructuredBody;
    expect(body.sections.length).toBeGreaterThanOrEqual(5);
    expect(body.sections.every((s) => s.templateIds.length > 0)).toBe(true);
  });

  it('BIO-CR-BIO_2024.01_TSH_1.xml: header facts and sections', () => {
    const d = read('BIO-CR-BIO_2024.01_TSH_1.xml').document;
    expect(d.code.code).toBe('11502-2');
    expect(d.title).toBe("Compte rendu d'examens biologiques");
    expect(d.setId).toEqual({ root: '1.2.250.1.213.1.1.1.55.2024.9' });
    expect(d.versionNumber).toBe(1);
    expect(d.patient).toMatchObject(patTrois);
    expect(d.authors[0]?.professional?.id).toEqual({ root: '1.2.250.1.71.4.2.1', extension: '801234534765' });
    expect(d.custodian).toMatchObject({ id: { root: '1.2.250.1.71.4.2.2', extension: '1120459876' }, name: 'Laboratoire des charmes' });
    expect(d.orders).toEqual([{ root: '1.2.250.1.213.1.1.9', extension: '2014123456789' }]);
    expect(d.participants?.map((p) => p.typeCode)).toEqual(['REF', 'PRF', 'INF']);
    expect(d.participants?.[1]?.functionCode?.code).toBe('PRELV');
    expect(d.serviceEvents).toHaveLength(3);
    expect(d.serviceEvents?.[0]?.performer?.organization.standardIndustryClassCode?.code).toBe('AMBULATOIRE');
    expect(d.encounter).toMatchObject({ code: { code: 'AMB' }, facility: { code: { code: 'SA25' }, name: 'Laboratoire des charmes' } });
    const [chapter, copy] = (d.body as StructuredBody).sections;
    expect(chapter).toMatchObject({ code: { code: '18719-5' }, title: 'BIOCHIMIE', templateIds: [{ root: '1.3.6.1.4.1.19376.1.3.3.2.1' }, { root: '1.2.250.1.213.1.1.2.70' }] });
    expect(chapter?.sections[0]?.entryCount).toBe(1);
    expect(copy).toMatchObject({ code: { code: '55108-5' }, title: 'Copie du document', entryCount: 1 });
  });

  it('BIO-CR-BIO_2024.01_Microbiologie_V2.xml: a second CR-BIO, a replacement', () => {
    const d = read('BIO-CR-BIO_2024.01_Microbiologie_V2.xml').document;
    expect(d.code.code).toBe('11502-2');
    expect(d.versionNumber).toBe(2);
    expect(d.replaces?.root).toBeTruthy();
    expect(d.patient.ins?.matricule).toBe('279035121518989');
  });

  it('IMG_CR_IMG_2024.01_CDA-R2-Niveau-1.xml: N1, version 2 RPLC, imaging header', () => {
    const p = read('IMG_CR_IMG_2024.01_CDA-R2-Niveau-1.xml');
    const d = p.document;
    expect(p.level).toBe(1);
    expect(d.templateIds?.map((t) => t.root)).toEqual(['2.16.840.1.113883.2.8.2.1', '1.2.250.1.213.1.1.1.1', '1.3.6.1.4.1.19376.1.2.20']);
    expect(d.code).toMatchObject({ code: '18748-4', displayName: 'CR d’imagerie médicale' });
    expect(d.setId).toEqual({ root: '1.2.250.1.213.1.1.1.45.2024.2' });
    expect(d.versionNumber).toBe(2);
    expect(d.replaces).toEqual({ root: '90E1C8EC-F951-4B26-A305-A34848818DD6' });
    expect(d.patient).toMatchObject({ ...patTrois, mssanteMailbox: '279035121518989@patient.mssante.fr' });
    expect(d.authors[0]).toMatchObject({ functionCode: { code: 'ATTPHYS' }, professional: { id: { extension: '801234560801' }, specialty: { code: 'G15_10/SM44' } } });
    expect(d.legalAuthenticator?.professional.name?.family).toBe('BIDEAULT');
    expect(d.orders).toEqual([{ root: '1.2.250.1.748.12345678.12', extension: '984375862' }]);
    expect(d.serviceEvents).toHaveLength(4);
    expect(d.serviceEvents?.[0]?.performer?.organization.standardIndustryClassCode?.code).toBe('AMBULATOIRE');
    expect(d.encounter).toMatchObject({ code: { code: 'AMB' }, facility: { code: { code: 'SA08' }, id: { extension: '1750803447' } } });
    const body = d.body as NonXmlBody;
    expect(body.mediaType).toBe('application/pdf');
    expect(new TextDecoder().decode(body.content.subarray(0, 5))).toBe('%PDF-');
  });

  it('DOC_NON_STRUCTURE_CDA-R2-N1.xml: N1 CR-BIO header facts', () => {
    const p = read('DOC_NON_STRUCTURE_CDA-R2-N1.xml');
    const d = p.document;
    expect(p.level).toBe(1);
    expect(d.code).toEqual({ code: '11502-2', displayName: "CR d'examens biologiques", codeSystem: '2.16.840.1.113883.6.1', codeSystemName: 'LOINC' });
    expect(d.id).toEqual({ root: '1.3.6.1.4.1.19376.1.2.20.12345.1.1' });
    expect(d.setId).toEqual({ root: '1.3.6.1.4.1.19376.1.2.20.12345.1' });
    expect(d.effectiveTime).toBe('20210401134745+0100');
    expect(d.patient).toMatchObject({ ...patTrois, birthplaceCity: 'DOMPREMY' });
    expect(d.patient.mssanteMailbox).toBeUndefined(); // commented out in the example
    expect(d.authors[0]?.professional?.id.extension).toBe('801234534765');
    expect(d.legalAuthenticator).toMatchObject({ signatureCode: 'S', professional: { id: { extension: '807505123456' } } });
    expect(d.participants?.map((x) => x.typeCode)).toEqual(['PRF', 'REF']);
    expect(d.participants?.[1]?.time).toEqual({ high: '20201231' });
    expect(d.serviceEvents?.[0]).toMatchObject({ code: { code: '18723-7' }, effectiveTime: { low: '20210104134700+0100' } });
    expect(d.encounter?.facility).toMatchObject({ id: { extension: '1750512345' }, code: { code: 'SA07', displayName: 'Cabinet individuel' } });
    const body = d.body as NonXmlBody;
    expect(body.mediaType).toBe('application/pdf');
    expect(new TextDecoder().decode(body.content.subarray(0, 8))).toBe('%PDF-1.5');
  });

  const lookup = cdaDir === undefined ? undefined : valueSetLookup;
  it.each([['DOC_NON_STRUCTURE_CDA-R2-N1.xml'], ['IMG_CR_IMG_2024.01_CDA-R2-Niveau-1.xml'], ['BIO-CR-BIO_2021.01_CDA-R2-Niveau-1.xml'], ['TLM-CR_2022.01.xml']])(
    'official N1 example %s passes checkCda with zero issues',
    (name) => {
      const p = read(name);
      expect(p.level).toBe(1);
      expect(checkCda(p, lookup)).toEqual([]);
    },
  );

  it.each([['LDL-SES_2022.01.xml'], ['BIO-CR-BIO_2024.01_TSH_1.xml'], ['IMG_CR_IMG_2024.01.xml']])('Ségur N3 example %s passes the header checks', (name) => {
    expect(checkCda(read(name), lookup)).toEqual([]);
  });

  it.each([['LDL-SES_2022.01.xml'], ['BIO-CR-BIO_2024.01_TSH_1.xml'], ['DOC_NON_STRUCTURE_CDA-R2-N1.xml'], ['IMG_CR_IMG_2024.01_CDA-R2-Niveau-1.xml']])(
    'build(parse(%s)) is XSD-valid, passes the checks and parses back to the same header',
    (name) => {
      const parsed = read(name);
      const rebuilt = buildCda(parsed.document);
      expect(rebuilt.ok, rebuilt.ok ? '' : `${rebuilt.error.field}: ${rebuilt.error.rule}`).toBe(true);
      if (!rebuilt.ok) return;
      const problems = loadXsd(path.join(cdaDir ?? '', 'infrastructure/cda/CDA_extended.xsd')).validate(rebuilt.value);
      expect(problems, formatXsdProblems(problems)).toEqual([]);
      expect(checkCda(rebuilt.value, lookup)).toEqual([]);
      const again = parseCda(rebuilt.value);
      expect(again.ok).toBe(true);
      if (!again.ok) return;
      const { body: _a, ...header } = again.value.document;
      const { body: _b, ...original } = parsed.document;
      expect(header).toEqual(original);
    },
  );
});

describe.skipIf(hl7Dir === undefined)(`parseCda on the CDA files of the HL7 v2 examples${hl7Dir === undefined ? ` (${skipReason('hl7v2')})` : ''}`, () => {
  const files = hl7Dir === undefined ? [] : filesUnder(hl7Dir, (name) => /\.xml$/i.test(name)).filter((f) => /<ClinicalDocument[\s>]/.test(readFileSync(f, 'utf8')));
  it('finds them', () => {
    expect(files.length).toBeGreaterThanOrEqual(25);
  });
  it.each(files.map((f) => [path.relative(hl7Dir ?? '', f), f]))('%s parses', (_name, file) => {
    const r = parseCda(readFileSync(file, 'utf8'));
    expect(r.ok, r.ok ? '' : `${r.error.field}: ${r.error.rule}`).toBe(true);
    if (r.ok) expect(r.value.document.patient.ins?.matricule ?? r.value.document.patient.ipp?.extension).toBeTruthy();
  });
});
