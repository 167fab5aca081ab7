/**
 * Business acknowledgements of the PFI to the plateaux techniques (dmp.md §9, mssante.md §6;
 * TRANS `ack-metier-zam.md`): `ZAM^Z01` when the DMP accepted or refused a document, `ZAM^Z02`
 * when the recipient's MSSanté server delivered it or not (DSN), `ZAM^Z03` when the recipient
 * read and processed it (MDN). Sent over MLLP to the producer's endpoint (`plateaux` in the
 * configuration, matched on the original MSH-3 and, when configured, MSH-4).
 *
 * Through the outbox (queue `exchange.zam`), enqueued in the transaction of the dispatch's
 * status change (hl7-documents.ts); one ordering key per producer, so a producer receives its
 * acknowledgements one at a time and in order. MSH-10 is derived from the job id: a retry
 * resends the same control id. ACK handling as for the PAM feed: AA done; AE retried with
 * backoff; AR dead letter (kept with its error for manual retry); no ACK or no connection
 * retried. A producer that is not configured dead-letters the job with the reason.
 */
import { buildZam, parse, readAck, serialize, type Hl7ErrorCode, type ZamType } from '../formats/hl7v2/index.ts';
import type { Config } from '../platform/config.ts';
import type { Executor } from '../platform/db/index.ts';
import { decodeHl7, encodeHl7 } from '../platform/hl7-inbox/index.ts';
import { enqueue, PermanentJobError, type Job, type JobHandler } from '../platform/jobs/index.ts';
import { createMllpClient, type MllpClient } from '../platform/mllp/index.ts';

export const ZAM_QUEUE = 'exchange.zam';

export type PlateauConfig = Config['plateaux'][number];

/** One business acknowledgement to send. */
export interface ZamJob {
  type: ZamType;
  /** The producer's MSH segment (ER7 text): the ZAM swaps its sender and receiver, acknowledges its MSH-10, keeps its MSH-21. */
  originalMsh: string;
  /** MSH-3 / MSH-4 of the producer (namespace ids). */
  producer: { application: string; facility: string };
  success: boolean;
  /** Z02 / Z03: the MSSanté recipient. */
  recipient?: { id?: string; address: string };
  /** On failure: ERR-3 and ERR-5 (`code^label^DMPERRORCODE|SMTPERRORCODE|applicationErrorCode`). */
  error?: { code?: Hl7ErrorCode; applicationError?: { code: string; text?: string } };
  /** When the DMP answered / the receipt arrived (EVN-2). */
  eventTime: string;
}

/** Enqueues a ZAM in the caller's transaction. `dedupKey` makes a repeated status change harmless. */
export async function enqueueZam(tx: Executor, zam: ZamJob, dedupKey: string): Promise<void> {
  await enqueue(tx, {
    queue: ZAM_QUEUE, payload: zam, dedupKey, maxAttempts: 50,
    orderingKey: `zam:${zam.producer.application}^${zam.producer.facility}`,
  });
}

const same = (a: string, b: string): boolean => a.trim().toUpperCase() === b.trim().toUpperCase();

/** The configured endpoint of a producer: MSH-3 must match, MSH-4 too when the entry names a facility. */
export function plateauOf(plateaux: readonly PlateauConfig[], producer: ZamJob['producer']): PlateauConfig | undefined {
  return plateaux.find((p) => same(p.application, producer.application) && (p.facility === undefined || same(p.facility, producer.facility)));
}

export interface ZamSender {
  handler: JobHandler;
  close(): Promise<void>;
}

export function createZamSender(options: { plateaux: readonly PlateauConfig[] }): ZamSender {
  const clients = new Map<string, MllpClient>();
  const clientFor = (plateau: PlateauConfig): MllpClient => {
    const key = `${plateau.host}:${plateau.port}`;
    let client = clients.get(key);
    if (!client) {
      client = createMllpClient({ host: plateau.host, port: plateau.port, ackTimeoutMs: plateau.ackTimeoutMs });
      clients.set(key, client);
    }
    return client;
  };

  return {
    handler: async (job: Job) => {
      const zam = job.payload as ZamJob;
      const producer = `${zam.producer.application}^${zam.producer.facility}`;
      const plateau = plateauOf(options.plateaux, zam.producer);
      if (!plateau) throw new PermanentJobError(`ZAM^${zam.type}: aucun plateau technique configuré pour ${producer} (plateaux[] de la configuration)`);
      const original = parse(zam.originalMsh);
      if (!original.ok) throw new PermanentJobError(`ZAM^${zam.type}: MSH d'origine illisible: ${original.error.field}: ${original.error.rule}`);
      const controlId = `ZAM${job.id}`;
      const built = buildZam({
        type: zam.type, original: original.value, controlId, timestamp: new Date(), eventTime: new Date(zam.eventTime), success: zam.success,
        ...(zam.recipient ? { recipient: zam.recipient } : {}),
        ...(zam.error ? { error: zam.error } : {}),
      });
      if (!built.ok) throw new PermanentJobError(`ZAM^${zam.type}: ${built.error.field}: ${built.error.rule}`);
      const ackBytes = await clientFor(plateau).send(encodeHl7(serialize(built.value, { segmentSeparator: '\r' })));
      const parsed = parse(decodeHl7(ackBytes));
      const ack = parsed.ok ? readAck(parsed.value) : parsed;
      if (!ack.ok) throw new Error(`unreadable ACK from ${producer}: ${ack.error.field}: ${ack.error.rule}`);
      if (ack.value.acknowledgedControlId !== controlId) throw new Error(`ACK from ${producer} acknowledges ${ack.value.acknowledgedControlId}, not ${controlId}`);
      const detail = ack.value.errors.map((e) => e.userMessage || e.code.code).filter(Boolean).join('; ');
      if (ack.value.code === 'AA' || ack.value.code === 'CA') return;
      if (ack.value.code === 'AR' || ack.value.code === 'CR') throw new PermanentJobError(`AR from ${producer}${detail ? `: ${detail}` : ''}`);
      throw new Error(`AE from ${producer}${detail ? `: ${detail}` : ''}`);
    },
    close: async () => {
      await Promise.allSettled([...clients.values()].map((c) => c.close()));
    },
  };
}
