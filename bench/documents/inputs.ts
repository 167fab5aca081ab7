/**
 * Inputs of the documents bench, shared by run.ts and its worker threads: a lettre de liaison
 * of 2 pages (7 sections, French clinical prose), its PDF input for a qualified or
 * non-qualified patient, the ExitDocumentInput of the full LDL, and the bare-pdfkit reference.
 */
import PDFDocument from 'pdfkit';
import { renderDocumentPdf, type DocumentPdfInput, type DocumentSection } from '../../src/formats/pdf/index.ts';
import type { Identity } from '../../src/identity/index.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { composeExitDocument, newDocumentOid, type ExitDocument, type ExitDocumentInput } from '../../src/record/compose.ts';

export const LDL_SECTIONS: DocumentSection[] = [
  { heading: "Motif d'hospitalisation", paragraphs: ['Pneumopathie communautaire du lobe inférieur droit avec désaturation à 89 % en air ambiant, adressée par le médecin traitant.'] },
  { heading: 'Antécédents', paragraphs: ['Hypertension artérielle traitée depuis 2015. Diabète de type 2 sous metformine, HbA1c à 7,1 % en mars. Cholécystectomie en 2009. Pas d’allergie médicamenteuse connue.'] },
  {
    heading: 'Histoire de la maladie et examen à l’entrée',
    paragraphs: [
      'Toux productive et fièvre à 39,2 °C depuis quatre jours, dyspnée d’effort d’aggravation progressive. À l’entrée : fréquence respiratoire 24/min, SpO₂ 89 % en air ambiant, crépitants de la base droite, pas de signe de choc.',
      'Radiographie thoracique : opacité alvéolaire systématisée du lobe inférieur droit, sans épanchement pleural. CRP 186 mg/L, polynucléaires neutrophiles 14,2 G/L, créatinine 92 µmol/L, antigénuries légionelle et pneumocoque négatives.',
    ],
  },
  {
    heading: 'Synthèse du séjour',
    paragraphs: [
      'Évolution favorable sous amoxicilline intraveineuse puis orale ; apyrexie obtenue à J3, sevrage de l’oxygène à J4. Œdème des membres inférieurs régressif après adaptation du traitement diurétique. Glycémies capillaires équilibrées sous insuline transitoire, relais par metformine à J5.',
      'Pas de complication thrombo-embolique sous prophylaxie par énoxaparine. Kinésithérapie respiratoire quotidienne ; reprise d’une autonomie complète à la marche avant la sortie. Entretien d’éducation thérapeutique sur les signes d’alerte réalisé avec la patiente et sa fille.',
    ],
  },
  {
    heading: 'Traitement de sortie',
    paragraphs: [
      'Amoxicilline 1 g × 3 par jour pendant 4 jours (fin le 19/11). Paracétamol 1 g si douleur ou fièvre, maximum 4 g par jour. Metformine 1 000 mg matin et soir, inchangée. Ramipril 5 mg le matin, inchangé. Furosémide 20 mg le matin pendant 7 jours, puis arrêt.',
      'Traitements arrêtés : aucun. Traitements modifiés : furosémide introduit pour 7 jours.',
    ],
  },
  {
    heading: 'Suivi et rendez-vous',
    paragraphs: [
      'Consultation chez le médecin traitant dans 7 jours avec ionogramme et créatinine. Radiographie thoracique de contrôle à 6 semaines. Consultation de pneumologie à 2 mois si persistance d’une image radiologique.',
      'Signes devant faire reconsulter : fièvre au-delà de 48 heures, essoufflement au repos, douleur thoracique, prise de poids de plus de 2 kg en 3 jours.',
    ],
  },
  { heading: 'Informations transmises', paragraphs: ['Lettre remise à la patiente, adressée au médecin traitant par messagerie sécurisée de santé et versée au DMP. Ordonnances de sortie remises en main propre.'] },
];

/** Distinct valid prénoms per document (letters only), so that every payload differs. */
export function givenNames(i: number): string {
  let n = Math.abs(i);
  let suffix = '';
  do {
    suffix += String.fromCharCode(65 + (n % 26));
    n = Math.floor(n / 26);
  } while (n > 0);
  return `DOMINIQUE ${suffix}`;
}

const FIXED_DATE = new Date('2026-11-15T10:30:00Z');

export function pdfInput(i: number, patient: 'new-qualified' | 'same-qualified' | 'not-qualified'): DocumentPdfInput {
  const qualified = patient !== 'not-qualified';
  return {
    title: 'Lettre de liaison à la sortie',
    documentType: 'Lettre de liaison à la sortie',
    establishment: { name: 'Centre hospitalier de Riom', address: '12 boulevard Étienne Clémentel, 63200 Riom', finess: '630781003' },
    patient: {
      traits: {
        birthName: 'PAT-TROIS', birthGivenNames: patient === 'new-qualified' ? givenNames(i) : 'DOMINIQUE MARIE-ANNE',
        birthDate: '1979-03-28', sex: 'F', birthplace: '63220',
      },
      ipp: String(100_000 + Math.abs(i)),
      ...(qualified ? { ins: { matricule: '279035121518989', oid: '1.2.250.1.213.1.4.10' } } : {}),
      status: qualified ? 'Identité qualifiée' : 'Identité provisoire',
      usedName: 'DURAND',
    },
    author: { name: 'Dr Jean MARTIN', specialty: 'Médecine interne', rpps: '10001234567' },
    date: FIXED_DATE,
    creationDate: FIXED_DATE,
    sections: LDL_SECTIONS,
    footer: 'Lettre transmise au médecin traitant et versée au DMP',
  };
}

/** The reference: the same text in a bare pdfkit document, standard Helvetica, default options. */
export function barePdfkit(input: DocumentPdfInput): Promise<number> {
  const doc = new PDFDocument({ size: 'A4', margins: { top: 42, bottom: 64, left: 48, right: 48 } });
  let size = 0;
  const done = new Promise<number>((resolve, reject) => {
    doc.on('data', (chunk: Uint8Array) => (size += chunk.byteLength));
    doc.on('end', () => resolve(size));
    doc.on('error', reject);
  });
  doc.font('Helvetica-Bold').fontSize(11).text(input.establishment.name);
  doc.font('Helvetica').fontSize(9).text(`${input.patient.traits.birthName} ${input.patient.traits.birthGivenNames}`);
  doc.font('Helvetica-Bold').fontSize(15).text(input.title);
  for (const section of input.sections) {
    doc.font('Helvetica-Bold').fontSize(11.5).text(section.heading);
    doc.font('Helvetica').fontSize(10);
    for (const paragraph of section.paragraphs) doc.text(paragraph, { lineGap: 1.5, paragraphGap: 5 });
  }
  doc.end();
  return done;
}

export const pageCount = (pdf: Uint8Array): number => (Buffer.from(pdf).toString('latin1').match(/\/Type \/Page\b/g) ?? []).length;

const establishment = loadConfig({}, { 'establishment.finess': '123456789', 'establishment.name': 'CH DE DEMONSTRATION' }).establishment;
const doctor = { rpps: '10001234567', family: 'MEDECIN', given: 'Jean', specialty: 'G15_10/SM26' };

export function exitInput(i: number, samePatient: boolean): ExitDocumentInput {
  const patient: Identity = {
    id: `bench-${i}`, ipp: String(100_000 + Math.abs(i)), ippAuthority: 'PASSERELLE', status: 'QUAL', attributes: [],
    traits: { birthName: 'ADRTROIS', birthGivenNames: samePatient ? 'DOMINIQUE' : givenNames(i), birthDate: '1997-02-26', sex: 'F', birthplace: '2A020' },
    ins: { matricule: '297022A02077878', oid: '1.2.250.1.213.1.4.8' }, insRetrieved: true, version: 1, createdAt: '', updatedAt: '',
  };
  return {
    type: 'ldl', patient, author: doctor, legalAuthenticator: doctor, establishment, sections: LDL_SECTIONS,
    stay: { start: '2026-11-10T08:00:00Z', end: '2026-11-15T10:00:00Z' },
    ids: { id: newDocumentOid(), setId: newDocumentOid(), version: 1 }, time: FIXED_DATE,
  };
}

export async function pdfBytes(input: DocumentPdfInput): Promise<Uint8Array> {
  const r = await renderDocumentPdf(input);
  if (!r.ok) throw new Error(`PDF: ${r.error.field}: ${r.error.rule}`);
  return r.value;
}

/** One full LDL (PDF + CDA N1 + parse + checks); throws on failure. */
export async function composeLdl(i: number, samePatient: boolean): Promise<ExitDocument> {
  const r = await composeExitDocument(exitInput(i, samePatient));
  if (!r.ok) throw new Error(`LDL: ${r.error.field}: ${r.error.rule}`);
  return r.value;
}
