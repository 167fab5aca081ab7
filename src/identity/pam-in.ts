/**
 * PAM FR inbound (IHE ITI-30 and ITI-31, French extension 2.11): identities and stays from
 * the hospital's systems, acknowledged on the same connection.
 *
 * Rule applied (PAM §6.6.1): an INS is kept only when PID-32 is VALI; otherwise the message
 * is accepted and the INS discarded, with a warning in ERR. On NIA→NIR both may come; the NIR
 * is kept. A47 with a null INS deletes the patient's INS; A40 merges the IPP in MRG-1.
 */
import { ackErrorFrom, readPamMessage, type AckError, type Hl7Message, type InsIdentifier } from '../formats/hl7v2/index.ts';
import { INS_OID } from '../formats/ins/index.ts';
import type { HandlerOutcome, Hl7Handler } from '../platform/hl7-inbox/index.ts';
import type { Executor } from '../platform/db/index.ts';
import { applyStayMovement, isStayTrigger } from '../record/index.ts';
import { IdentityError, type IdentityService } from './service.ts';

/** Where each trait lives in PID, for ERR-2. */
const TRAIT_FIELD: Record<string, string> = {
  birthName: 'PID-5', birthGivenNames: 'PID-5', birthDate: 'PID-7', sex: 'PID-8', birthplace: 'PID-11',
};

const ITI30 = new Set(['A28', 'A31', 'A40', 'A47']);

/** Prefer the NIR (production, test or demo) over the NIA. */
function chooseIns(candidates: InsIdentifier[]): InsIdentifier | undefined {
  return candidates.find((c) => c.oid !== INS_OID.nia) ?? candidates[0];
}

const warn = (field: string, userMessage: string): AckError => ({ ...ackErrorFrom({ field, rule: userMessage }, 0, 'W'), userMessage });

export function createPamInboundHandler(identityServiceFor: (tx: Executor) => IdentityService): Hl7Handler {
  return async (message: Hl7Message, tx: Executor, context): Promise<HandlerOutcome> => {
    const read = readPamMessage(message);
    if (!read.ok) return { code: 'AE', errors: [ackErrorFrom(read.error, 102)] };
    const pam = read.value;
    const trigger = pam.messageType.trigger;
    if (!ITI30.has(trigger) && !isStayTrigger(trigger)) {
      return { code: 'AR', errors: [{ location: 'MSH-9', code: 201, userMessage: `MSH-9: événement ${trigger} non pris en charge (A08 est exclu en France : utiliser A31 ou Z99)` }] };
    }
    const actor = `hl7:${context.sender}`;
    const service = identityServiceFor(tx);
    const warnings: AckError[] = pam.warnings.filter((w) => w.severity === 'warning').map((w) => warn(w.field, `${w.field}: ${w.rule}`));
    const patient = pam.patient;
    const ipp = { id: patient.ipp.id, authority: patient.ipp.authority.namespace || patient.ipp.authority.oid || '' };
    if (!ipp.id) return { code: 'AE', errors: [{ location: 'PID-3', code: 101, userMessage: 'PID-3: IPP (CX-5 = PI) obligatoire' }] };

    try {
      if (trigger === 'A40') {
        const absorbed = pam.merge?.priorIpp;
        if (!absorbed) return { code: 'AE', errors: [{ location: 'MRG-1', code: 101, userMessage: 'MRG-1: IPP absorbé (CX-5 = PI) obligatoire pour A40' }] };
        await service.mergeByIpp(ipp, { id: absorbed.id, authority: absorbed.authority.namespace || absorbed.authority.oid || '' }, actor);
        return { code: 'AA', errors: warnings };
      }

      let ins: { matricule: string; oid: string } | undefined;
      const candidate = chooseIns(pam.insIdentifiers);
      if (candidate && pam.insUsable && !pam.insNullified) ins = { matricule: candidate.matricule, oid: candidate.oid };
      else if (candidate && !pam.insUsable) warnings.push(warn('PID-32', 'PID-32: INS ignoré car l’identité n’est pas validée (PID-32 ≠ VALI)'));

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

      if (isStayTrigger(trigger) && pam.stay?.nda) {
        const stay = pam.stay;
        await applyStayMovement(tx, identity.id, {
          trigger,
          nda: { id: stay.nda!.id, authority: stay.nda!.authority.namespace || stay.nda!.authority.oid || '' },
          ...(stay.patientClass ? { patientClass: stay.patientClass } : {}),
          ...(stay.admitDateTime ?? stay.movement?.dateTime ? { admitAt: stay.admitDateTime ?? stay.movement?.dateTime } : {}),
          ...(stay.dischargeDateTime ? { dischargeAt: stay.dischargeDateTime } : {}),
          ...(stay.movement?.medicalUnit?.code ? { medicalUnit: stay.movement.medicalUnit.code } : {}),
          ...(stay.movement ? { movement: { ...stay.movement } } : {}),
        });
      } else if (isStayTrigger(trigger)) {
        warnings.push(warn('PID-18', 'PID-18: NDA absent, mouvement non enregistré (obligatoire en ITI-31)'));
      }
      return { code: 'AA', errors: warnings };
    } catch (error) {
      if (error instanceof IdentityError) {
        const field = TRAIT_FIELD[String(error.details.field)] ?? 'PID';
        return { code: 'AE', errors: [{ location: field, code: error.code === 'not_found' ? 204 : 102, userMessage: `${field}: ${error.message}` }] };
      }
      throw error;
    }
  };
}
