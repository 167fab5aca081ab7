/**
 * PAM FR inbound, movements (IHE ITI-31, French extension 2.11): admissions, registrations,
 * transfers, discharges and their cancellations create and update stays. The patient part of
 * each message goes through the identity referential first.
 */
import { ackErrorFrom, readPamMessage, type Hl7Message } from '../formats/hl7v2/index.ts';
import { pamWarning, receivePamPatient, type IdentityService } from '../identity/index.ts';
import type { Executor } from '../platform/db/index.ts';
import type { HandlerOutcome, Hl7Handler } from '../platform/hl7-inbox/index.ts';
import { applyStayMovement, isStayTrigger } from './stays.ts';

/** The inbox handler of ITI-31 (and the refusal of ADT events France excludes, e.g. A08). */
export function createPamMovementHandler(identityServiceFor: (tx: Executor) => IdentityService): Hl7Handler {
  return async (message: Hl7Message, tx: Executor, context): Promise<HandlerOutcome> => {
    const read = readPamMessage(message);
    if (!read.ok) return { code: 'AE', errors: [ackErrorFrom(read.error, 102)] };
    const pam = read.value;
    const trigger = pam.messageType.trigger;
    if (!isStayTrigger(trigger)) {
      return { code: 'AR', errors: [{ location: 'MSH-9', code: 201, userMessage: `MSH-9: événement ${trigger} non pris en charge (A08 est exclu en France : utiliser A31 ou Z99)` }] };
    }
    const received = await receivePamPatient(pam, identityServiceFor(tx), `hl7:${context.sender}`);
    if ('outcome' in received) return received.outcome;
    const { identity, warnings } = received;

    const stay = pam.stay;
    if (!stay?.nda) return { code: 'AA', errors: [...warnings, pamWarning('PID-18', 'PID-18: NDA absent, mouvement non enregistré (obligatoire en ITI-31)')] };
    const admitAt = stay.admitDateTime ?? stay.movement?.dateTime;
    await applyStayMovement(tx, identity.id, {
      trigger,
      nda: { id: stay.nda.id, authority: stay.nda.authority.namespace || stay.nda.authority.oid || '' },
      ...(stay.patientClass ? { patientClass: stay.patientClass } : {}),
      ...(admitAt ? { admitAt } : {}),
      ...(stay.dischargeDateTime ? { dischargeAt: stay.dischargeDateTime } : {}),
      ...(stay.movement?.medicalUnit?.code ? { medicalUnit: stay.movement.medicalUnit.code } : {}),
      ...(stay.movement ? { movement: { ...stay.movement } } : {}),
    });
    return { code: 'AA', errors: warnings };
  };
}
