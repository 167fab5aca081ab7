/**
 * PAM FR outbound feed (ITI-30): which messages a change of identity calls for, and their
 * enqueueing in the outbox, in the transaction of the change, once per subscriber.
 *
 *   created                           → A28
 *   INS removed (demotion from QUAL)  → A47 with PID-3 INS "" and MRG-1 the old INS
 *   INS replaced by another           → A47 with the new INS in PID-3 and the old in MRG-1
 *   other change (traits, status, INS added, attributes) → A31
 *   merge                             → A40 (explicit, see merge())
 *
 * Each subscriber has its own ordering key: one message in flight per subscriber, in order.
 */
import type { Executor } from '../platform/db/index.ts';
import { enqueueAll } from '../platform/jobs/index.ts';
import type { Identity } from './model.ts';

export const PAM_FEED_QUEUE = 'pam-feed';

export type PamFeedEvent =
  | { event: 'A28' | 'A31'; identity: Identity }
  | { event: 'A47'; identity: Identity; previousIns: { matricule: string; oid: string } }
  | { event: 'A40'; identity: Identity; absorbed: { ipp: string; ippAuthority: string } };

export interface PamFeedJob {
  subscriber: string;
  message: PamFeedEvent;
  /** When the change happened: the message's EVN-2 / MSH-7. */
  at: string;
}

const comparable = (i: Identity): string => JSON.stringify([i.traits, i.usedName, i.usedGivenName, i.status, [...i.attributes].sort(), i.ins]);

/** The messages that announce the change from `before` to `after`. */
export function pamEventsFor(before: Identity | undefined, after: Identity): PamFeedEvent[] {
  if (!before) return [{ event: 'A28', identity: after }];
  const events: PamFeedEvent[] = [];
  if (before.ins && (!after.ins || after.ins.matricule !== before.ins.matricule)) {
    events.push({ event: 'A47', identity: after, previousIns: before.ins });
    const traitsChanged = JSON.stringify([before.traits, before.usedName, before.usedGivenName]) !== JSON.stringify([after.traits, after.usedName, after.usedGivenName]);
    if (traitsChanged) events.push({ event: 'A31', identity: after });
    return events;
  }
  if (comparable(before) !== comparable(after)) events.push({ event: 'A31', identity: after });
  return events;
}

/** Enqueues each message for each subscriber, inside the caller's transaction. */
export async function publishPam(db: Executor, subscribers: readonly string[], events: PamFeedEvent[], at = new Date()): Promise<void> {
  await enqueueAll(db, events.flatMap((message) => subscribers.map((subscriber) => {
    const job: PamFeedJob = { subscriber, message, at: at.toISOString() };
    return { queue: PAM_FEED_QUEUE, orderingKey: `pam:${subscriber}`, payload: job, maxAttempts: 50 };
  })));
}
