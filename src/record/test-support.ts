/** Exit documents for tests: a qualified and a provisional identity, a doctor, an input. */
import type { Identity } from '../identity/index.ts';
import { loadConfig } from '../platform/config.ts';
import { newDocumentOid, type ExitDocumentInput } from './compose.ts';

export const establishment = loadConfig({}, { 'establishment.finess': '123456789', 'establishment.name': 'CH DE DEMONSTRATION' }).establishment;
export const qualified: Identity = {
  id: 'x', ipp: '100042', ippAuthority: 'PASSERELLE', status: 'QUAL', attributes: [],
  traits: { birthName: 'ADRTROIS', birthGivenNames: 'DOMINIQUE', birthDate: '1997-02-26', sex: 'F', birthplace: '2A020' },
  ins: { matricule: '297022A02077878', oid: '1.2.250.1.213.1.4.8' }, insRetrieved: true, version: 3, createdAt: '', updatedAt: '',
};
export const provisional: Identity = { ...qualified, status: 'PROV', insRetrieved: false, ins: undefined };
export const doctor = { rpps: '10001234567', family: 'MEDECIN', given: 'Jean', specialty: 'G15_10/SM26' };

export const input = (patient: Identity, type: ExitDocumentInput['type'] = 'ldl'): ExitDocumentInput => ({
  type, patient, author: doctor, legalAuthenticator: doctor, establishment,
  sections: [{ heading: 'Motif d’hospitalisation', paragraphs: ['Surveillance post-opératoire.'] }],
  stay: { start: '2026-11-10T08:00:00Z', end: '2026-11-15T10:00:00Z' },
  ids: { id: newDocumentOid(), setId: newDocumentOid(), version: 1 }, time: new Date('2026-11-15T10:30:00Z'),
});
