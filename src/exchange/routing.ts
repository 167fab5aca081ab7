/**
 * Where a validated Ségur document goes (PFI; mssante.md §1, §5.1; dmp.md §1).
 *
 * By default, systematically: the patient's DMP, the MSSanté mailboxes of the correspondents
 * (médecin traitant, prescriber, others), and the patient's Mon espace santé mailbox
 * `<matricule INS>@patient.mssante.fr`. A user may block a channel for one document by an
 * explicit action; the block is recorded with the document, never a setting.
 *
 * What the rules decide, as channels with a status:
 * - the DMP and the patient's mailbox need a qualified identity (the document is indexed on the
 *   qualified INS; the patient's address is made of it): otherwise the channel is `blocked`
 *   with the reason, and the professionals still receive the document;
 * - recipient / visibility consistency (TRANS `regles-gestion-mssante.md`, mssante.md §5.1):
 *   sending to the patient is incompatible with hiding the document from the patient, and
 *   sending to professionals and the patient requires that the document be masked from
 *   nobody. Any such combination is refused before anything is sent.
 */
import { fail, ok, type Result } from '../formats/result.ts';
import { isMssanteAddress, isPatientAddress, normaliseAddress, patientAddress } from '../national/mssante/index.ts';
import type { DistributionChannel } from '../record/index.ts';

/** The channels of a document (named by the DPI, which records the user's blocks). */
export type Channel = DistributionChannel;

/** The user's choices for one document; every channel is on unless blocked. */
export interface SendingChoices {
  /** Blocked channels, by explicit user action. */
  blocked?: Channel[];
  /** Confidentiality in the DMP (JDV_J58 / TRE_A07). */
  maskedToProfessionals?: boolean;
  invisibleToPatient?: boolean;
  invisibleToLegalRepresentatives?: boolean;
}

export interface RoutingInput {
  /** The matricule INS of a qualified identity; absent otherwise. */
  qualifiedIns?: { matricule: string; oid: string };
  /** MSSanté addresses of the correspondents, already resolved. */
  professionalAddresses: string[];
  choices: SendingChoices;
}

export interface PlannedDispatch {
  channel: Channel;
  /** MSSanté address; none for the DMP. */
  recipient: string | null;
  /** `blocked` with the reason in French, or `pending`. */
  status: 'pending' | 'blocked';
  reason?: string;
}

/**
 * Recipient / visibility consistency (mssante.md §5.1), checkable before the correspondents'
 * addresses are known: at validation, from whether the document has correspondents at all.
 */
export function checkVisibility(choices: SendingChoices, hasCorrespondents: boolean): Result<true> {
  const blocked = new Set(choices.blocked ?? []);
  const toPatient = !blocked.has('mssante-patient');
  const toProfessionals = !blocked.has('mssante-pro') && hasCorrespondents;
  if (toPatient && choices.invisibleToPatient) {
    return fail('distribution.invisibleToPatient', 'un document invisible au patient ne peut pas lui être envoyé par MSSanté : bloquez l\'envoi au patient ou rendez le document visible');
  }
  if (toPatient && toProfessionals && (choices.maskedToProfessionals || choices.invisibleToLegalRepresentatives)) {
    return fail('distribution', 'un envoi aux professionnels et au patient exige un document masqué à personne (MASQUE_PS, INVISIBLE_PATIENT et INVISIBLE_REP_LEGAUX à N)');
  }
  return ok(true);
}

/** The reason of a channel blocked by an explicit user action: the one block a user may lift. */
export const BLOCKED_BY_USER = 'envoi bloqué par l\'utilisateur';

export function planDispatches(input: RoutingInput): Result<PlannedDispatch[]> {
  const { choices, qualifiedIns } = input;
  const blocked = new Set(choices.blocked ?? []);
  const addresses = [...new Set(input.professionalAddresses.map(normaliseAddress))];
  for (const address of addresses) {
    if (!isMssanteAddress(address)) return fail('recipients', `« ${address} » n'est pas une adresse de l'espace de confiance MSSanté (…@…mssante.fr)`);
    if (isPatientAddress(address)) return fail('recipients', `« ${address} » est une messagerie patient : le patient est destinataire par le canal MSSanté patient`);
  }
  const consistent = checkVisibility(choices, addresses.length > 0);
  if (!consistent.ok) return consistent;

  const plan: PlannedDispatch[] = [];
  const add = (channel: Channel, recipient: string | null, reason?: string): void => {
    const byUser = blocked.has(channel) ? BLOCKED_BY_USER : undefined;
    const why = byUser ?? reason;
    plan.push({ channel, recipient, status: why ? 'blocked' : 'pending', ...(why ? { reason: why } : {}) });
  };
  add('dmp', null, qualifiedIns ? undefined : 'identité non qualifiée : le DMP n\'est alimenté que sur l\'INS qualifiée');
  for (const address of addresses) add('mssante-pro', address);
  if (addresses.length === 0) add('mssante-pro', null, 'aucun correspondant avec une messagerie MSSanté');
  add('mssante-patient', qualifiedIns ? patientAddress(qualifiedIns.matricule) ?? null : null,
    qualifiedIns ? undefined : 'identité non qualifiée : la messagerie patient est adressée par l\'INS');
  return ok(plan);
}
