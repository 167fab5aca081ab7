/**
 * MSSanté addresses (mssante.md §3): every mailbox of the espace de confiance ends in
 * `.mssante.fr`; a patient's Mon espace santé mailbox is `<matricule INS, 15 digits>@patient.mssante.fr`;
 * `reponse.automatique-test@patient.mssante.fr` is the Mon espace santé test address.
 */
export const PATIENT_DOMAIN = 'patient.mssante.fr';
export const AUTO_REPLY_TEST_ADDRESS = 'reponse.automatique-test@patient.mssante.fr';

const ADDRESS = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@([A-Za-z0-9-]+\.)+[A-Za-z]{2,}$/;

/** Lower-cased and trimmed; the form in which addresses are compared. */
export const normaliseAddress = (address: string): string => address.trim().toLowerCase();

export const isAddress = (value: unknown): value is string => typeof value === 'string' && value.length <= 254 && ADDRESS.test(value.trim());

/** True for an address inside the MSSanté espace de confiance (`…@….mssante.fr`). */
export const isMssanteAddress = (address: string): boolean => isAddress(address) && /@([a-z0-9-]+\.)*mssante\.fr$/i.test(address.trim());

/** The patient's Mon espace santé address, from the 15-character matricule INS. */
export function patientAddress(matricule: string): string | undefined {
  const m = (matricule ?? '').trim().toUpperCase();
  return /^[1-8]\d{4}\d[0-9AB]\d{8}$/.test(m) ? `${m}@${PATIENT_DOMAIN}` : undefined;
}

/** The matricule of a patient address, or undefined (the test address is not a patient). */
export function matriculeOfPatientAddress(address: string): string | undefined {
  const m = /^([0-9AB]{15})@patient\.mssante\.fr$/i.exec((address ?? '').trim());
  return m ? m[1]!.toUpperCase() : undefined;
}

export const isPatientAddress = (address: string): boolean => /@patient\.mssante\.fr$/i.test((address ?? '').trim());
