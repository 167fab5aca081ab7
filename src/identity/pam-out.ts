/**
 * PAM FR outbound delivery: the outbox job handler that turns a feed event into an ITI-30
 * message and sends it to its subscriber over MLLP.
 *
 * MSH-10 is derived from the job id, so a retry resends the same control id and a receiver
 * that got the first copy replays its ACK instead of applying it twice. ACK handling, as the
 * RI's subscribers expect: AA done; AE retried with backoff; AR dead letter (kept with its
 * error for manual retry); timeout or connection failure retried. One message in flight per
 * subscriber (outbox ordering key), so a slow subscriber is never flooded with duplicates.
 */
import {
  buildA28, buildA31, buildA40, buildA47, parse, readAck, serialize, type PamPatient, type ProofType,
} from '../formats/hl7v2/index.ts';
import type { Config, PamSubscriberConfig } from '../platform/config.ts';
import { PermanentJobError, type Job, type JobHandler } from '../platform/jobs/index.ts';
import { createMllpClient, type MllpClient, type MllpClientTlsOptions } from '../platform/mllp/index.ts';
import type { Identity } from './model.ts';
import type { PamFeedJob } from './pam-feed.ts';
import { pid32Status } from './rniv.ts';

type Establishment = Config['establishment'];

/** The identity as PAM FR carries it; the INS only for a qualified identity. */
export function toPamPatient(identity: Identity, establishment: Establishment): PamPatient {
  const own = identity.ippAuthority === establishment.ippNamespace;
  const patient: PamPatient = {
    ipp: { id: identity.ipp, authority: own ? { namespace: establishment.ippNamespace, oid: establishment.ippOid, type: 'ISO' } : { namespace: identity.ippAuthority } },
    birthName: identity.traits.birthName,
    firstGivenName: identity.traits.birthGivenNames.split(' ')[0] ?? '',
    birthGivenNames: identity.traits.birthGivenNames,
    birthDate: identity.traits.birthDate,
    sex: identity.traits.sex,
    status: pid32Status(identity.status),
    attributes: identity.attributes,
  };
  if (identity.traits.birthplace) patient.birthplaceCog = identity.traits.birthplace;
  if (identity.usedName) patient.usedName = identity.usedName;
  if (identity.usedGivenName) patient.usedGivenName = identity.usedGivenName;
  if (identity.proof) patient.proof = { type: identity.proof.type as ProofType, ...(identity.proof.expiresOn ? { expiry: identity.proof.expiresOn } : {}) };
  if (identity.ins) {
    patient.ins = identity.ins;
    patient.insiCall = { mode: 'INSI', ...(identity.insiCheckedAt ? { date: identity.insiCheckedAt.slice(0, 10) } : {}) };
  }
  return patient;
}

/** Builds the HL7 text of a feed job (segments separated by CR, ready for MLLP). */
export function buildFeedMessage(job: Job, feed: PamFeedJob, subscriber: PamSubscriberConfig, establishment: Establishment): string {
  const header = {
    sendingApplication: establishment.application,
    sendingFacility: establishment.finess,
    receivingApplication: subscriber.name,
    receivingFacility: subscriber.facility ?? establishment.finess,
    controlId: `PAM${job.id}`,
    timestamp: new Date(feed.at),
  };
  const m = feed.message;
  const patient = toPamPatient(m.identity, establishment);
  const built = (() => {
    switch (m.event) {
      case 'A28': return buildA28(header, patient);
      case 'A31': return buildA31(header, patient);
      case 'A47': return buildA47(header, patient, patient.ins ? { kind: 'change', previousIns: m.previousIns } : { kind: 'remove', removedIns: m.previousIns });
      case 'A40': return buildA40(header, patient, { ipp: { id: m.absorbed.ipp, authority: { namespace: m.absorbed.ippAuthority } } });
    }
  })();
  if (!built.ok) throw new PermanentJobError(`${m.event}: ${built.error.field}: ${built.error.rule}`);
  return serialize(built.value, { segmentSeparator: '\r' });
}

export interface PamFeedSender {
  handler: JobHandler;
  close(): Promise<void>;
}

export function createPamFeedSender(options: { subscribers: PamSubscriberConfig[]; establishment: Establishment; tls?: MllpClientTlsOptions }): PamFeedSender {
  const clients = new Map<string, MllpClient>();
  const clientFor = (subscriber: PamSubscriberConfig): MllpClient => {
    let client = clients.get(subscriber.name);
    if (!client) {
      client = createMllpClient({
        host: subscriber.host, port: subscriber.port, ackTimeoutMs: subscriber.ackTimeoutMs,
        ...(subscriber.tls && options.tls ? { tls: options.tls } : {}),
      });
      clients.set(subscriber.name, client);
    }
    return client;
  };

  return {
    handler: async (job) => {
      const feed = job.payload as PamFeedJob;
      const subscriber = options.subscribers.find((s) => s.name === feed.subscriber);
      if (!subscriber) throw new PermanentJobError(`subscriber ${feed.subscriber} is no longer configured`);
      const text = buildFeedMessage(job, feed, subscriber, options.establishment);
      const ackBytes = await clientFor(subscriber).send(Buffer.from(text, 'utf8'));
      const parsed = parse(ackBytes.toString('utf8'));
      const ack = parsed.ok ? readAck(parsed.value) : parsed;
      if (!ack.ok) throw new Error(`unreadable ACK from ${subscriber.name}: ${ack.error.field}: ${ack.error.rule}`);
      if (ack.value.acknowledgedControlId !== `PAM${job.id}`) throw new Error(`ACK from ${subscriber.name} acknowledges ${ack.value.acknowledgedControlId}, not PAM${job.id}`);
      const detail = ack.value.errors.map((e) => e.userMessage || e.code.code).filter(Boolean).join('; ');
      if (ack.value.code === 'AA' || ack.value.code === 'CA') return;
      if (ack.value.code === 'AR' || ack.value.code === 'CR') throw new PermanentJobError(`AR from ${subscriber.name}${detail ? `: ${detail}` : ''}`);
      throw new Error(`AE from ${subscriber.name}${detail ? `: ${detail}` : ''}`);
    },
    close: async () => {
      await Promise.allSettled([...clients.values()].map((c) => c.close()));
    },
  };
}
