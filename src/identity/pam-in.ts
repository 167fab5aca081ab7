/**
 * PAM FR inbound, identity part (IHE ITI-30, French extension 2.11): the patient of any PAM
 * message, and the ITI-30 events A28/A31/A40/A47. ITI-31 movements (stays) are handled by
 * record/, which calls `receivePamPatient` for the patient part.
 *
 * Rule applied (PAM §6.6.1): an INS is kept only when PID-32 is VALI; otherwise the message
 * is accepted and the INS discarded, with a warning in ERR. On NIA→NIR both may come; the NIR
 * is kept. A47 with a null INS deletes the patient's INS; A40 merges the IPP in MRG-1.
 */
import { ackErrorFrom, readPamMessage, type AckError, type Hl7Message, type InsIdentifier, type PamRead } from '../formats/hl7v2/index.ts';
import { INS_OID } from '../formats/ins/index.ts';
import type { HandlerOutcome, Hl7Handler } from '../platform/hl7-inbox/index.ts';
import type { Executor } from '../platform/db/index.ts';
import type { Identity } from './model.ts';
import { IdentityError, type IdentityService } from './service.ts';

/** Where each trait lives in PID, for ERR-2. */
const TRAIT_FIELD: Record<string, string> = {
  birthName: 'PID-5', birthGivenNames: 'PID-5', birthDate: 'PID-7', sex: 'PID-8', birthplace: 'PID-11',
};

/** ITI-30 events handled here. */
export const ITI30_EVENTS = ['A28', 'A31', 'A40', 'A47'] as const;

/** Prefer the NIR (production, test or demo) over the NIA. */
function chooseIns(candidates: InsIdentifier[]): InsIdentifier | undefined {
  return candidates.find((c) => c.oid !== INS_OID.nia) ?? candidates[0];
}

/** A warning ERR (severity W, code 0) with its text for the sender. */
export const pamWarning = (field: string, userMessage: string): AckError => ({ ...ackErrorFrom({ field, rule: userMessage }, 0, 'W'), userMessage });

const authorityOf = (ipp: { authority: { namespace?: string; oid?: string } }): string => ipp.authority.namespace || ipp.authority.oid || '';

/**
 * Upserts the patient of a PAM message (PID, PID-32) as the sender asserts it. Returns the
 * identity and the warnings for the ACK, or the AE/AR outcome to answer.
 */
export async function receivePamPatient(pam: PamRead, service: IdentityService, actor: string): Promise<{ identity: Identity; warnings: AckError[] } | { outcome: HandlerOutcome }> {
  const warnings: AckError[] = pam.warnings.filter((w) => w.severity === 'warning').map((w) => pamWarning(w.field, `${w.field}: ${w.rule}`));
  const patient = pam.patient;
  const ipp = { id: patient.ipp.id, authority: authorityOf(patient.ipp) };
  if (!ipp.id) return { outcome: { code: 'AE', errors: [{ location: 'PID-3', code: 101, userMessage: 'PID-3: IPP (CX-5 = PI) obligatoire' }] } };

  let ins: { matricule: string; oid: string } | undefined;
  const candidate = chooseIns(pam.insIdentifiers);
  if (candidate && pam.insUsable && !pam.insNullified) ins = { matricule: candidate.matricule, oid: candidate.oid };
  else if (candidate && !pam.insUsable) warnings.push(pamWarning('PID-32', 'PID-32: INS ignoré car l’identité n’est pas validée (PID-32 ≠ VALI)'));

  try {
    const identity = await service.receive({
      ipp,
      traits: {
        birthName: patient.birthName, birthGivenNames: patient.birthGivenNames || patient.firstGivenName, birthDate: patient.birthDate, sex: patient.sex,
        ...(patient.birthplaceCog ? { birthplace: patient.birthplaceCog } : {}),
      },
      ...(patient.usedName ? { usedName: patient.usedName } : {}),
      ...(patient.usedGivenName ? { usedGivenName: patient.usedGivenName } : {}),
      ...(ins ? { ins } : {}),
      status: patient.status,
      attributes: patient.attributes,
      ...(patient.insiCall?.mode ? { acquisition: patient.insiCall.mode } : {}),
    }, actor);
    return { identity, warnings };
  } catch (error) {
    const outcome = refusalFor(error);
    if (outcome) return { outcome };
    throw error;
  }
}

/** An identity error as the AE to answer (ERR on the PID field concerned). */
function refusalFor(error: unknown): HandlerOutcome | undefined {
  if (!(error instanceof IdentityError)) return undefined;
  const field = TRAIT_FIELD[String(error.details.field)] ?? 'PID';
  return { code: 'AE', errors: [{ location: field, code: error.code === 'not_found' ? 204 : 102, userMessage: `${field}: ${error.message}` }] };
}

/** The inbox handler of ITI-30 (A28, A31, A40, A47). */
export function createPamIdentityHandler(identityServiceFor: (tx: Executor) => IdentityService): Hl7Handler {
  return async (message: Hl7Message, tx: Executor, context): Promise<HandlerOutcome> => {
    const read = readPamMessage(message);
    if (!read.ok) return { code: 'AE', errors: [ackErrorFrom(read.error, 102)] };
    const pam = read.value;
    const service = identityServiceFor(tx);
    const actor = `hl7:${context.sender}`;

    if (pam.messageType.trigger === 'A40') {
      const absorbed = pam.merge?.priorIpp;
      if (!absorbed) return { code: 'AE', errors: [{ location: 'MRG-1', code: 101, userMessage: 'MRG-1: IPP absorbé (CX-5 = PI) obligatoire pour A40' }] };
      try {
        await service.mergeByIpp({ id: pam.patient.ipp.id, authority: authorityOf(pam.patient.ipp) }, { id: absorbed.id, authority: authorityOf(absorbed) }, actor);
      } catch (error) {
        const outcome = refusalFor(error);
        if (outcome) return outcome;
        throw error;
      }
      return { code: 'AA' };
    }
    const received = await receivePamPatient(pam, service, actor);
    return 'outcome' in received ? received.outcome : { code: 'AA', errors: received.warnings };
  };
}
