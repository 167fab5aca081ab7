/**
 * Test data for CR-BIO level 3 documents: a hospital laboratory report for PAT-TROIS with
 * LOINC codes and UCUM units taken from the CDAKIT examples `BIO-CR-BIO_2024.01_*` (TSH 3016-3
 * m[IU]/L and FT4 3024-7 pg/mL from `TSH_1`, fasting glucose 40193-5 mmol/L from `Glycémie
 * mole`, CRP without LOINC from `CRP_non_LOINC`, Hémogramme 58410-2 with leucocytes 6690-2
 * 10*9/L and hémoglobine 718-7 from `Electrophorese`).
 */
import type { CrBioInput, LabResult, Professional } from '../../src/formats/cda/index.ts';
import { finessIdentifier, rppsIdentifier } from '../../src/formats/cda/index.ts';
import { PAT_TROIS_QUALIFIED, sampleDocument, tinyPdf } from './cda.ts';

const LOINC = '2.16.840.1.113883.6.1';
const loinc = (code: string, displayName: string) => ({ code, displayName, codeSystem: LOINC, codeSystemName: 'LOINC' });

export const LAB = {
  id: finessIdentifier('750000002'),
  name: 'Laboratoire de biologie médicale du CH de test',
  telecoms: [{ value: 'tel:0140000010', use: 'WP' }],
  addresses: [{ houseNumber: '1', streetName: 'Place du Parvis', postalCode: '75004', city: 'PARIS' }],
  standardIndustryClassCode: { code: 'ETABLISSEMENT', displayName: 'Etablissement de santé', codeSystem: '1.2.250.1.213.1.1.4.9' },
};

export const BIOLOGIST: Professional = {
  id: rppsIdentifier('10001234534'),
  specialty: { code: 'G15_10/SM03', displayName: 'Médecin - Biologie médicale (SM)', codeSystem: '1.2.250.1.213.1.1.4.5' },
  name: { prefix: 'M', given: ['Marcel'], family: 'BIOLOGISTE', suffix: 'DR' },
};

const PRESCRIBER: Professional = {
  id: rppsIdentifier('10002422979'),
  specialty: { code: 'G15_10/SM41', displayName: 'Médecin - Pneumologie (SM)', codeSystem: '1.2.250.1.213.1.1.4.5' },
  name: { given: ['Pascal'], family: 'PRESCRIPTEUR', suffix: 'DR' },
};

const RESULT_TIME = '20240115093000+0100';

export const TSH: LabResult = {
  code: loinc('3016-3', 'Thyréostimuline [Arbitraire/Volume] Sérum/Plasma ; Numérique'),
  label: 'Thyréostimuline (TSH)',
  value: { type: 'PQ', value: '1.950', unit: 'm[IU]/L' },
  interpretation: 'N',
  referenceRange: { low: '0.270', high: '4.200' },
  effectiveTime: RESULT_TIME,
};

export const FT4: LabResult = {
  code: loinc('3024-7', 'Thyroxine libre [Masse/Volume] Sérum/Plasma ; Numérique'),
  label: 'Thyroxine libre (FT4)',
  value: { type: 'PQ', value: '7.67', unit: 'pg/mL' },
  interpretation: 'L',
  referenceRange: { low: '9.30', high: '17.00' },
  effectiveTime: RESULT_TIME,
};

export const GLUCOSE: LabResult = {
  code: loinc('40193-5', 'Glucose à jeun [Moles/Volume] Sérum/Plasma ; Numérique'),
  label: 'Glycémie à jeun',
  value: { type: 'PQ', value: '4.89', unit: 'mmol/L' },
  interpretation: 'N',
  referenceRange: { low: '3.89', high: '6.00' },
  effectiveTime: RESULT_TIME,
};

/** Analysis without LOINC: local code in a translation (as `BIO-CR-BIO_2024.01_CRP_non_LOINC.xml`). */
export const CRP_LOCAL: LabResult = {
  translation: { code: '1234', displayName: 'C Réactive protéine [Masse/Volume] Sérum/Plasma ; Numérique', codeSystem: '1.2.250.1.999.2.1', codeSystemName: 'Codes locaux du laboratoire' },
  label: 'CRP',
  value: { type: 'IVL_PQ', high: { value: '1.0', unit: 'mg/L', inclusive: true } },
  interpretation: 'N',
  referenceRange: { high: '5.0', unit: 'mg/L' },
  effectiveTime: RESULT_TIME,
};

const LEUCOCYTES: LabResult = {
  code: loinc('6690-2', 'Leucocytes [Nombre/Volume] Sang ; Numérique ; Comptage automate'),
  label: 'Leucocytes',
  value: { type: 'PQ', value: '8.2', unit: '10*9/L' },
  interpretation: 'N',
  referenceRange: { low: '4', high: '10' },
  effectiveTime: RESULT_TIME,
};

const HEMOGLOBINE: LabResult = {
  code: loinc('718-7', 'Hémoglobine'),
  label: 'Hémoglobine',
  value: { type: 'PQ', value: '11.2', unit: 'g/dL' },
  interpretation: 'L',
  referenceRange: { low: '12.0', high: '16.0' },
  effectiveTime: RESULT_TIME,
  comment: 'Contrôlé sur un second prélèvement.',
};

const BLOOD = {
  type: { code: 'BLD', displayName: 'Sang', codeSystem: '2.16.840.1.113883.18.311' },
  procedureCode: { code: '9050', displayName: 'Ponction veineuse', codeSystem: '1.2.250.1.213.2.7', codeSystemName: 'NABM' },
  collectionTime: '20240115073500+0100',
  receptionTime: '20240115075200+0100',
};

export interface SampleCrBioOptions {
  /** The PDF copy (default: a tiny valid PDF). */
  pdf?: Uint8Array;
  /** Replace the results of the Biochimie chapter (for speed runs and property tests). */
  biochemistry?: LabResult[];
}

/**
 * A CR-BIO for PAT-TROIS: Biochimie (sub-chapters "Bilan thyroïdien" TSH + FT4 and
 * "Biochimie sanguine" glycémie + CRP non LOINC, blood specimen, a comment) and Hématologie
 * (Hémogramme BATTERY); executing lab, validating biologist, orderer REF, PDF copy.
 */
export function sampleCrBio(options: SampleCrBioOptions = {}): CrBioInput {
  const { code: _code, title: _title, templateIds: _templateIds, body: _body, ...header } = sampleDocument('cr-bio', PAT_TROIS_QUALIFIED);
  const biochemistry = options.biochemistry
    ? [{ code: loinc('18719-5', 'Biochimie'), title: 'Biochimie', specimens: [BLOOD], results: options.biochemistry }]
    : [
        { code: loinc('18719-5', 'Biochimie'), title: 'Bilan thyroïdien', results: [TSH, FT4] },
        { code: loinc('18719-5', 'Biochimie'), title: 'Biochimie sanguine', specimens: [BLOOD], results: [GLUCOSE, CRP_LOCAL], comments: ['Prélèvement à jeun.'] },
      ];
  return {
    ...header,
    id: { root: '1.2.250.1.999.1.2.2001' },
    setId: { root: '1.2.250.1.999.1.2.2000' },
    authors: [{ time: '20240115100000+0100', professional: BIOLOGIST, organization: LAB }],
    legalAuthenticator: { time: '20240115100000+0100', signatureCode: 'S', professional: BIOLOGIST, organization: LAB },
    authenticators: [{ time: '20240115095500+0100', signatureCode: 'S', professional: BIOLOGIST, organization: LAB }],
    participants: [
      { typeCode: 'REF', time: { high: '20240114160000+0100' }, professional: PRESCRIBER },
      ...(header.participants ?? []),
    ],
    serviceEvents: [
      {
        ids: [{ root: '1.2.250.1.999.1.4', extension: 'DEM-2024-0042' }],
        effectiveTime: { low: '20240115075200+0100', high: '20240115100000+0100' },
        performer: { time: { high: '20240115093000+0100' }, professional: BIOLOGIST, organization: LAB },
      },
    ],
    body: {
      kind: 'cr-bio',
      chapters: [
        options.biochemistry
          ? biochemistry[0]!
          : { code: loinc('18719-5', 'Biochimie'), title: 'BIOCHIMIE', subChapters: biochemistry },
        {
          code: loinc('18723-7', 'Hématologie'),
          title: 'HÉMATOLOGIE',
          specimens: [BLOOD],
          exams: [{ code: loinc('58410-2', 'Hémogramme complet sur automate'), label: 'Hémogramme', results: [LEUCOCYTES, HEMOGLOBINE] }],
        },
      ],
      pdfCopy: { content: options.pdf ?? tinyPdf('Compte rendu d examens biologiques') },
    },
  };
}

/** `n` PQ results with LOINC codes of the examples (for speed runs). */
export function manyResults(n: number): LabResult[] {
  const pool = [TSH, FT4, GLUCOSE, CRP_LOCAL, LEUCOCYTES];
  return Array.from({ length: n }, (_, i) => pool[i % pool.length]!);
}
