/**
 * Recipient / visibility consistency of an MSSanté sending (mssante.md §5.1, TRANS
 * `regles-gestion-mssante.md`; any other combination is an error), checked before anything is
 * built or sent. Errors are French, for the staff who chose the recipients.
 */
import type { VisibilityFlag } from '../../formats/xds/index.ts';
import { isAddress, isMssanteAddress, isPatientAddress, normaliseAddress, patientAddress } from './addresses.ts';

/** The visibility choices of TRANS `MetaDMPMSS` (Y = true). */
export interface SendingVisibility {
  /** MASQUE_PS: hidden from professionals (in the DMP). */
  hiddenFromProfessionals?: boolean;
  /** INVISIBLE_PATIENT. */
  invisibleToPatient?: boolean;
  /** INVISIBLE_REP_LEGAUX. */
  invisibleToLegalRepresentatives?: boolean;
  /** CONNEXION_SECRETE. */
  secretConnection?: boolean;
  /** DESTDMP: the same document also goes to the DMP. */
  alsoToDmp?: boolean;
}

export interface RecipientChoice {
  /** Professional, organisational or applicative addresses. */
  professionals: string[];
  /** Matricule INS (15 characters) of the patient when the patient receives the document. */
  patientMatricule?: string;
  visibility: SendingVisibility;
}

export interface CheckedRecipients {
  professionals: string[];
  patient?: string;
  /** XDS confidentiality flags to put in the metadata. */
  flags: VisibilityFlag[];
}

export type RecipientCheck = { ok: true; value: CheckedRecipients } | { ok: false; problems: string[] };

/** Checks the choice; `documentMatricule` is the INS of the documents' patient, when qualified. */
export function checkRecipients(choice: RecipientChoice, documentMatricule: string | undefined): RecipientCheck {
  const problems: string[] = [];
  const v = choice.visibility ?? {};
  const seen = new Set<string>();
  const professionals: string[] = [];
  for (const raw of choice.professionals ?? []) {
    if (!isAddress(raw)) {
      problems.push(`Adresse de destinataire invalide : « ${String(raw).slice(0, 80)} ».`);
      continue;
    }
    const a = normaliseAddress(raw);
    if (!isMssanteAddress(a)) problems.push(`L’adresse ${a} n’appartient pas à l’espace de confiance MSSanté (domaine …mssante.fr attendu).`);
    else if (isPatientAddress(a)) problems.push('Une adresse patient (@patient.mssante.fr) ne peut pas figurer parmi les professionnels : utiliser l’envoi au patient.');
    else if (!seen.has(a)) {
      seen.add(a);
      professionals.push(a);
    }
  }
  let patient: string | undefined;
  if (choice.patientMatricule !== undefined) {
    patient = patientAddress(choice.patientMatricule);
    if (!patient) problems.push('Matricule INS du patient invalide : 15 caractères attendus pour l’adresse Mon espace santé.');
    else if (!documentMatricule) problems.push('Envoi au patient impossible : le document ne porte pas d’INS qualifiée.');
    else if (documentMatricule.toUpperCase() !== choice.patientMatricule.trim().toUpperCase()) problems.push('Envoi au patient refusé : le matricule INS du destinataire diffère de celui du document.');
  }
  const toPatient = choice.patientMatricule !== undefined;
  const toProfessionals = professionals.length > 0;
  if (!toPatient && !toProfessionals && problems.length === 0) problems.push('Aucun destinataire : choisir au moins un professionnel ou le patient.');
  if (toProfessionals && !toPatient && v.hiddenFromProfessionals) {
    problems.push('Document masqué aux professionnels de santé : il ne peut pas leur être envoyé par MSSanté.');
  }
  if (toPatient) {
    if (v.invisibleToPatient) problems.push('Document rendu invisible au patient : il ne peut pas être envoyé dans la messagerie du patient.');
    if (toProfessionals) {
      if (v.hiddenFromProfessionals) problems.push('Envoi aux professionnels et au patient : le document ne peut pas être masqué aux professionnels.');
      if (v.invisibleToLegalRepresentatives) problems.push('Envoi aux professionnels et au patient : le document ne peut pas être invisible aux représentants légaux.');
    } else {
      if (v.secretConnection) problems.push('Envoi au seul patient : incompatible avec la connexion secrète.');
      if (v.alsoToDmp) problems.push('Envoi au seul patient : le document ne peut pas être en même temps destiné au DMP.');
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  const flags: VisibilityFlag[] = [];
  if (v.hiddenFromProfessionals) flags.push('MASQUE_PS');
  if (v.invisibleToPatient) flags.push('INVISIBLE_PATIENT');
  if (v.invisibleToLegalRepresentatives) flags.push('INVISIBLE_REPRESENTANTS_LEGAUX');
  return { ok: true, value: { professionals, ...(patient ? { patient } : {}), flags } };
}
