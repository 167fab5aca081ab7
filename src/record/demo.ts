/**
 * Demo content for exit documents: the ANS test patient PAT-TROIS DOMINIQUE (qualified, INS
 * test OID), a demo physician, and plausible text for each document type. Used by
 * `passerelle document render --demo` and the benchmarks.
 */
import type { DocumentTypeKey } from '../formats/cda/index.ts';
import type { DocumentSection } from '../formats/pdf/index.ts';
import type { Identity } from '../identity/index.ts';
import type { Professional } from './compose.ts';

/** PAT-TROIS as in the CDA examples (identity.md §6.5; documents.md §9). */
export const DEMO_PATIENT: Identity = {
  id: '00000000-0000-4000-8000-000000000003', ipp: '000003', ippAuthority: 'PASSERELLE', status: 'QUAL', attributes: [],
  traits: { birthName: 'PAT-TROIS', birthGivenNames: 'DOMINIQUE MARIE-LOUISE', birthDate: '1979-03-28', sex: 'F', birthplace: '51215' },
  ins: { matricule: '279035121518989', oid: '1.2.250.1.213.1.4.10' },
  insRetrieved: true, insAcquisition: 'INSI', version: 1, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z',
};

export const DEMO_PHYSICIAN: Professional = { rpps: '10001234567', family: 'MEDECIN', given: 'Jean', specialty: 'G15_10/SM26' };

export const DEMO_STAY = { start: '2026-11-16T09:30:00+01:00', end: '2026-11-20T11:00:00+01:00' };

export const DEMO_SECTIONS: Record<DocumentTypeKey, DocumentSection[]> = {
  ldl: [
    { heading: 'Motif d’hospitalisation', paragraphs: ['Pneumopathie aiguë communautaire du lobe inférieur droit.'] },
    { heading: 'Synthèse du séjour', paragraphs: ['Antibiothérapie par amoxicilline, apyrexie à J2, saturation normale à l’air ambiant à J3.', 'Radiographie de contrôle satisfaisante.'] },
    { heading: 'Traitement de sortie', paragraphs: ['Amoxicilline 1 g, trois fois par jour, pendant 5 jours.'] },
    { heading: 'Suites à donner', paragraphs: ['Consultation avec le médecin traitant sous 8 jours.'] },
  ],
  cro: [
    { heading: 'Intervention', paragraphs: ['Cholécystectomie par cœlioscopie.'] },
    { heading: 'Compte rendu', paragraphs: ['Installation en décubitus dorsal, open cœlioscopie, dissection du triangle de Calot, clips et section du canal et de l’artère cystiques.'] },
    { heading: 'Suites opératoires prévues', paragraphs: ['Reprise de l’alimentation le soir même.'] },
  ],
  ordonnance: [
    { heading: 'Prescription', paragraphs: ['Paracétamol 1 g : 1 comprimé toutes les 6 heures si douleur, maximum 4 par jour, pendant 5 jours.', 'Énoxaparine 4000 UI : 1 injection sous-cutanée par jour pendant 10 jours.'] },
  ],
  'cr-imagerie': [
    { heading: 'Indication', paragraphs: ['Contrôle d’une pneumopathie.'] },
    { heading: 'Résultat', paragraphs: ['Régression du foyer alvéolaire du lobe inférieur droit. Pas d’épanchement pleural.'] },
    { heading: 'Conclusion', paragraphs: ['Évolution favorable.'] },
  ],
  'cr-bio': [
    { heading: 'Biochimie', paragraphs: ['CRP : 12 mg/L (N < 5).', 'Créatinine : 68 µmol/L (45 – 90).'] },
  ],
  crh: [
    { heading: 'Séjour', paragraphs: ['Hospitalisation en médecine polyvalente du 16 au 20 novembre 2026.'] },
  ],
};
