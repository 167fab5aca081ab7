/**
 * The intermediation platform (PFI): every validated Ségur document goes, through the outbox,
 * to the patient's DMP, to the correspondents' MSSanté mailboxes and to the patient's Mon
 * espace santé mailbox, each channel tracked with its status, time and error.
 *
 * 1. `route` (queue `document.validated`, enqueued by the DPI in the validation's
 *    transaction): snapshots the document as an outgoing document, resolves the correspondents'
 *    mailboxes in the Annuaire Santé, plans the channels (routing.ts), and in one transaction
 *    records one dispatch per channel and enqueues one job per dispatch to send.
 * 2. `sendDmp` / `sendMail` (queues `exchange.dmp`, `exchange.mssante`): one attempt each;
 *    a transient failure (the national client says `retryable`) is retried by the outbox with
 *    backoff, a permanent one marks the dispatch failed and dead-letters the job with the error.
 *    Jobs of one document set and channel share an ordering key: a replacement is never sent
 *    before the version it replaces.
 * 3. Receipts (`recordReceipt`): a DSN or MDN moves an MSSanté dispatch to delivered, read or
 *    failed, found by the Message-ID that was sent.
 * 4. `withdraw` (queue `document.withdrawn`): a version withdrawn in the DPI is deleted from
 *    the DMP (ITI-57), as one more outgoing document whose DMP action is `delete`;
 *    `changeVisibility` (queue `document.visibility`) likewise updates its visibility (action
 *    `visibility`).
 * Sources other than the DPI (HL7 messages of the plateaux techniques, hl7-documents.ts) share
 * `recordOutgoing` / `recordDispatches`, and hear back every status change (`SourcePort`).
 *
 * Everything is idempotent: routing twice yields the same rows (unique keys), and a dispatch
 * already sent is not sent again. SMTP's own window — a crash after the operator accepted a
 * message and before its dispatch is marked sent — is closed by the delivery receipt: the
 * Message-ID (derived from the dispatch id) is recorded before the message is sent, so the DSN
 * the operator sends on delivery moves the dispatch forward even though its sender died, and
 * the job, claimable again only when its lease expires (a minute by default, while the mailbox
 * is read every few seconds), finds it no longer pending and sends nothing. Only an operator
 * that sends no DSN within the lease gets the message twice, with the same Message-ID, so
 * that the receiving side recognises it (ours stores a message once per Message-ID). The DMP
 * side has no such window: a publication whose answer was lost is found again by its uniqueId
 * and hash (channels.ts).
 */
import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, getTableColumns, inArray, like, or, sql, type SQL } from 'drizzle-orm';
import { parseCdaHeader, type CdaHeader } from '../formats/cda/index.ts';
import { visibilityOf, type Distribution, type DocumentService, type DocumentValidatedEvent, type DocumentVisibilityEvent, type DocumentWithdrawnEvent } from '../record/index.ts';
import { audit } from '../platform/audit/index.ts';
import type { Database, Executor } from '../platform/db/index.ts';
import { DomainError } from '../platform/errors.ts';
import { enqueueAll, jobsInsert, NOTIFY_CHANNEL, PermanentJobError, type EnqueueOptions, type Job, type JobCompletion } from '../platform/jobs/index.ts';
import { BLOCKED_BY_USER, checkVisibility, planDispatches, type Channel, type PlannedDispatch } from './routing.ts';
import { dispatchEvents, dispatches, outgoingDocuments, receivedMessages } from './tables.ts';

export const EXCHANGE_QUEUES = { dmp: 'exchange.dmp', mssante: 'exchange.mssante' } as const;
/** The actor the PFI writes in the audit trail. */
export const PFI_ACTOR = 'passerelle:pfi';

export type OutgoingDocument = typeof outgoingDocuments.$inferSelect;
/** An outgoing document without its bytes (CDA, PDF): what routing and tracking read. */
export type OutgoingHeader = Omit<OutgoingDocument, 'cda' | 'pdf'>;

/** The columns of an OutgoingHeader: the bytes are read only by the channel that sends them. */
const { cda: _cda, pdf: _pdf, ...OUTGOING_HEADER } = getTableColumns(outgoingDocuments);
const DISPATCH_COLUMNS = getTableColumns(dispatches);
export type Dispatch = typeof dispatches.$inferSelect;
/**
 * What a source (the DPI, an HL7 inbox message) hands to the PFI: one document to route; its
 * bytes may be SQL expressions, for a copy made by the database.
 */
export type OutgoingSnapshot = Omit<typeof outgoingDocuments.$inferInsert, 'cda' | 'pdf'> & { cda: string | SQL; pdf?: Buffer | SQL | null };

/** What a national client throws: a code, a French message, and whether trying again may help. */
export interface ChannelFailure {
  code: string;
  message: string;
  retryable: boolean;
}

const asFailure = (error: unknown): ChannelFailure => {
  const e = error as Partial<ChannelFailure> & { message?: string };
  return { code: typeof e.code === 'string' ? e.code : 'error', message: e.message ?? String(error), retryable: e.retryable ?? true };
};

/** Feeds the patient's DMP (ITI-41 publish, or replace when `replacesUniqueId` is set; ITI-57 delete and visibility). */
export interface DmpPort {
  publish(document: OutgoingDocument): Promise<{ entryId: string }>;
  /** Deletes the document (its uniqueId, else the one it replaces) from the patient's DMP. */
  delete(document: OutgoingDocument): Promise<{ entryId: string }>;
  /** Gives the document in the patient's DMP the visibility of `document.confidentiality`. */
  setVisibility(document: OutgoingDocument): Promise<{ entryId: string }>;
}

/** Sends the document by MSSanté to one recipient; returns the Message-ID receipts will refer to. */
export interface MailPort {
  /** `key` identifies this sending across retries: the same key yields the same Message-ID. */
  send(document: OutgoingDocument, message: { to: string; kind: 'pro' | 'patient'; key: string }): Promise<{ messageId: string }>;
  /** The Message-ID `send` gives the message sent with `key`, known before sending. */
  messageIdOf(key: string): string;
}

/** MSSanté addresses of a professional, from the Annuaire Santé. */
export interface DirectoryPort {
  mailboxesOf(rpps: string): Promise<string[]>;
}

export class ExchangeError extends DomainError {}

export interface ExchangeDeps {
  db: Database;
  documents: DocumentService;
  dmp: DmpPort;
  mail: MailPort;
  directory: DirectoryPort;
  /** Called after new jobs were enqueued (wakes this process's worker). */
  onEnqueued?: () => void;
  /** Sources other than the DPI that have a say in their documents' channels (hl7: hl7-source.ts). */
  sources?: Partial<Record<OutgoingDocument['source'], SourcePort>>;
}

/** A dispatch's status change, as its source sees it (in the transaction of the change). */
export interface DispatchStatusChange {
  /** The dispatch before the change. */
  dispatch: Dispatch;
  outgoing: OutgoingHeader;
  status: Dispatch['status'];
  errorCode?: string;
  reason?: string;
  /** `dsn` / `mdn` when a receipt caused the change. */
  receipt?: 'dsn' | 'mdn';
  at: Date;
}

/** What a source hears back from the PFI about its documents. */
export interface SourcePort {
  /** Every status change of one of its dispatches, in the transaction of the change. */
  onStatus?(tx: Executor, change: DispatchStatusChange): Promise<void>;
}

/** A delivery (DSN) or processing/read (MDN) receipt for a message we sent, by its Message-ID. */
export interface Receipt {
  messageId: string;
  kind: 'dsn' | 'mdn';
  outcome: 'delivered' | 'read' | 'failed';
  detail?: string;
  code?: string;
}

/** The message a receipt arrived in, read from the hospital's mailbox: stored with the receipt's outcome. */
export interface ReceiptCarrier {
  mailbox: string;
  messageId: string;
  raw: Buffer;
}

/** What a stored receipt message says: how many receipts found their dispatch, or none did. */
export const receiptsAttached = (count: number): string => `${count} accusé(s) rattaché(s)`;
export const RECEIPT_UNKNOWN = 'accusé pour un message inconnu';

/** A dispatch's statuses in the order they may follow one another: a receipt never moves one back. */
const RANK: Record<Dispatch['status'], number> = { pending: 0, blocked: 0, sent: 1, delivered: 2, read: 3, failed: 4 };

/** What a receipt changes in its dispatch (`deliveredAt`: the dispatch's, kept when set). */
function receiptChanges(receipt: Receipt, deliveredAt: Date | null | undefined, at: Date): Partial<Dispatch> {
  return {
    ...(receipt.outcome === 'delivered' ? { deliveredAt: at } : {}),
    ...(receipt.outcome === 'read' ? { readAt: at, deliveredAt: deliveredAt ?? at } : {}),
    ...(receipt.outcome === 'failed' ? { reason: receipt.detail ?? 'échec de remise', errorCode: receipt.code ?? 'dsn' } : {}),
  };
}

/** Source ids of what follows a DPI document's publication: its deletion, its visibility changes (`<document id>#…`). */
const withdrawalOf = (documentId: string): string => `${documentId}#withdrawal`;
const visibilityChangeOf = (documentId: string, change: string): string => `${documentId}#visibility:${change}`;

const jobFor = (outgoing: OutgoingHeader, dispatch: Dispatch): EnqueueOptions => ({
  queue: dispatch.channel === 'dmp' ? EXCHANGE_QUEUES.dmp : EXCHANGE_QUEUES.mssante,
  payload: { dispatchId: dispatch.id },
  dedupKey: `${dispatch.id}:${dispatch.attempts}`,
  orderingKey: `set:${outgoing.setId}:${dispatch.channel}:${dispatch.recipient}`,
  maxAttempts: 12,
});

/**
 * Stores the snapshot of a document to route, idempotently: the first snapshot of a
 * (source, sourceId) wins, and a re-run routes exactly what was snapshotted.
 */
export async function recordOutgoing(db: Executor, snapshot: OutgoingSnapshot): Promise<OutgoingHeader> {
  const [inserted] = await db.insert(outgoingDocuments).values(snapshot).onConflictDoNothing().returning(OUTGOING_HEADER);
  if (inserted) return inserted;
  const [outgoing] = await db.select(OUTGOING_HEADER).from(outgoingDocuments)
    .where(and(eq(outgoingDocuments.source, snapshot.source), eq(outgoingDocuments.sourceId, snapshot.sourceId)));
  return outgoing!;
}

/** The header of a CDA the DPI validated before it kept headers: read from the CDA. */
function readHeader(cda: string): CdaHeader {
  const header = parseCdaHeader(cda);
  if (!header.ok) throw new PermanentJobError(`CDA illisible : ${header.error.field} : ${header.error.rule}`);
  return header.value;
}

/** The patient of an outgoing document: the traits of the mail subject and, when qualified, the INS. */
export function outgoingPatient(patient: CdaHeader['patient'], ins: { matricule: string; oid: string } | undefined): OutgoingDocument['patient'] {
  return {
    birthName: patient.birthName ?? '', firstGivenName: patient.firstBirthGivenName ?? '', birthDate: patient.birthDate ?? '',
    ...(ins ? { ins: { matricule: ins.matricule, oid: ins.oid } } : {}),
  };
}

/**
 * One dispatch per planned channel, its first history event, and one outbox job per pending
 * dispatch, in one statement (in the caller's transaction when `tx` is one), idempotently
 * (unique channel key: nothing is written twice). Returns the dispatches created now.
 */
export async function recordDispatches(tx: Executor, outgoing: OutgoingHeader, plan: PlannedDispatch[]): Promise<Dispatch[]> {
  if (plan.length === 0) return [];
  // Ids are given here so that the events and jobs can name their dispatch in the same statement.
  const now = new Date();
  const rows: Dispatch[] = plan.map((p) => ({
    id: randomUUID(), outgoingId: outgoing.id, channel: p.channel, recipient: p.recipient ?? '', status: p.status, reason: p.reason ?? null,
    errorCode: null, attempts: 0, externalId: null, createdAt: now, updatedAt: now, sentAt: null, deliveredAt: null, readAt: null,
  }));
  const insert = tx.insert(dispatches).values(rows).onConflictDoNothing().returning({ id: dispatches.id, status: dispatches.status, reason: dispatches.reason });
  const jobsOf = rows.filter((r) => r.status === 'pending').map((r) => ({ ...jobFor(outgoing, r), ref: r.id }));
  const result = await tx.execute(sql`
    with created as (${insert.getSQL()}),
    events as (
      insert into ${dispatchEvents} (dispatch_id, status, detail)
      select id, status, reason from created),
    queued as (${jobsInsert(jobsOf, sql`v.ref in (select id::text from created)`)})
    select id, (select count(pg_notify(${NOTIFY_CHANNEL}, queue)) from queued) as notified from created`);
  const created = new Set((result as unknown as { rows: Array<{ id: string }> }).rows.map((r) => r.id));
  return rows.filter((r) => created.has(r.id));
}

/** An outgoing document as tracking shows it: what it is, for whom, and each channel. */
export interface OutgoingView {
  id: string;
  source: OutgoingDocument['source'];
  /** The patient's identity in the referential, when known. */
  identityId: string | null;
  /** The DPI document id (`<id>#…` for a deletion or a visibility change), or `<inbox message id>:<n>` for HL7. */
  sourceId: string;
  action: OutgoingDocument['action'];
  uniqueId: string;
  version: number;
  code: string;
  label: string;
  title: string;
  patient: OutgoingDocument['patient'];
  createdAt: string;
  dispatches: DispatchView[];
}

/** Filters of the tracking list, newest first; `cursor` is the `next` of the previous page. */
export interface OutgoingFilter {
  source?: OutgoingDocument['source'];
  /** One patient's documents (an identity of the referential). */
  identityId?: string;
  /** Documents with at least one dispatch in this status (e.g. `failed`, `pending`). */
  status?: Dispatch['status'];
  from?: Date;
  to?: Date;
  cursor?: string;
  limit?: number;
}

/** A page of the tracking list; `next` when there may be more. */
export interface OutgoingPage {
  items: OutgoingView[];
  next?: string;
}

/**
 * The position of an outgoing document in the list (newest first), opaque to clients: its
 * creation time to the microsecond, as the database keeps it (a JavaScript Date would cut it to
 * the millisecond and skip the documents created in the same one), and its id.
 */
const CREATED_EXACT = sql<string>`to_char(${outgoingDocuments.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
const cursorOf = (createdAt: string, id: string): string => Buffer.from(`${createdAt}|${id}`, 'utf8').toString('base64url');

function positionOf(cursor: string): { createdAt: string; id: string } {
  const [createdAt, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (rest.length > 0 || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/.test(createdAt ?? '') || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id ?? '')) {
    throw new ExchangeError('invalid_cursor', 'Curseur de page invalide : reprenez la valeur `next` de la page précédente', 400);
  }
  return { createdAt: createdAt!, id: id! };
}

export interface DispatchView {
  id: string;
  /** What the channel carries: the document, or (DMP only) its deletion or a change of its visibility. */
  action: OutgoingDocument['action'];
  channel: Channel;
  recipient: string | null;
  status: Dispatch['status'];
  reason?: string;
  errorCode?: string;
  attempts: number;
  externalId?: string;
  sentAt?: string;
  deliveredAt?: string;
  readAt?: string;
  updatedAt: string;
  history: Array<{ status: string; detail?: string; at: string }>;
}

function outgoingView(o: OutgoingHeader, dispatches: DispatchView[]): OutgoingView {
  return {
    id: o.id, source: o.source, identityId: o.identityId, sourceId: o.sourceId, action: o.action, uniqueId: o.uniqueId, version: o.version,
    code: o.code, label: o.label, title: o.title, patient: o.patient, createdAt: o.createdAt.toISOString(), dispatches,
  };
}

/** Items by key, in their order (Map.groupBy comes with Node 21). */
function groupBy<T>(items: T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

async function addEvent(db: Executor, dispatchId: string, status: string, detail?: string): Promise<void> {
  await db.insert(dispatchEvents).values({ dispatchId, status, detail: detail ?? null });
}

export function createExchangeService(deps: ExchangeDeps) {
  const { db } = deps;

  async function snapshot(documentId: string): Promise<{ outgoing: OutgoingHeader; correspondents: Distribution }> {
    const validated = await deps.documents.validatedForExchange(documentId, PFI_ACTOR);
    const { document: view, bytes } = validated;
    const header = validated.header ?? readHeader(validated.cda ?? '');
    const outgoing = await recordOutgoing(db, {
      source: 'dpi', sourceId: documentId, identityId: view.identityId,
      uniqueId: view.cdaId, setId: view.setId, version: view.version, replacesUniqueId: validated.replacesCdaId ?? null,
      code: header.code.code, label: view.typeLabel, title: view.title,
      patient: outgoingPatient(header.patient, header.patient.ins),
      // Copied by the database from the DPI's frozen version.
      cda: bytes.cda, pdf: bytes.pdf, header,
      confidentiality: visibilityOf(view.distribution),
    });
    return { outgoing, correspondents: view.distribution };
  }

  /** Addresses of the correspondents: given ones, and the Annuaire's for those given by RPPS. */
  async function addressesOf(distribution: { correspondents: Array<{ rpps?: string; address?: string }> }): Promise<string[]> {
    const out: string[] = [];
    for (const c of distribution.correspondents) {
      if (c.address) out.push(c.address);
      else if (c.rpps) out.push(...(await deps.directory.mailboxesOf(c.rpps)));
    }
    return out;
  }

  async function loadDispatch(dispatchId: string): Promise<{ dispatch: Dispatch; outgoing: OutgoingHeader }> {
    const [dispatch] = await db.select().from(dispatches).where(eq(dispatches.id, dispatchId));
    if (!dispatch) throw new PermanentJobError(`envoi ${dispatchId} introuvable`);
    const [outgoing] = await db.select(OUTGOING_HEADER).from(outgoingDocuments).where(eq(outgoingDocuments.id, dispatch.outgoingId));
    if (!outgoing) throw new PermanentJobError(`document sortant ${dispatch.outgoingId} introuvable`);
    return { dispatch, outgoing };
  }

  /**
   * A dispatch's new status with its history event, in one statement (atomic without a
   * transaction); a source that listens hears of it in the same transaction.
   */
  async function setStatus(dispatch: Dispatch, outgoing: OutgoingHeader, status: Dispatch['status'], changes: Partial<Dispatch>, detail?: string, receipt?: 'dsn' | 'mdn'): Promise<void> {
    const at = new Date();
    const update = db.update(dispatches).set({ ...changes, status, updatedAt: at }).where(eq(dispatches.id, dispatch.id)).returning({ id: dispatches.id });
    const write = (tx: Executor): Promise<unknown> => tx.execute(sql`
      with changed as (${update.getSQL()})
      insert into ${dispatchEvents} (dispatch_id, status, detail) select id, ${status}, ${detail ?? null} from changed`);
    const onStatus = deps.sources?.[outgoing.source]?.onStatus;
    if (!onStatus) {
      await write(db);
      return;
    }
    await db.transaction(async (tx) => {
      await write(tx);
      await onStatus(tx, {
        dispatch, outgoing, status, at, ...(changes.errorCode ? { errorCode: changes.errorCode } : {}), ...(changes.reason ? { reason: changes.reason } : {}), ...(receipt ? { receipt } : {}),
      });
    });
  }

  /** startAttempt's statement, built once (drizzle otherwise builds a statement's text at each call). */
  const startAttemptStatement = (() => {
    const started = db.$with('started').as(db.update(dispatches).set({
      attempts: sql`${dispatches.attempts} + 1`, updatedAt: sql`now()`,
      externalId: sql`coalesce(${sql.placeholder('externalId')}, ${dispatches.externalId})`,
    }).where(and(eq(dispatches.id, sql.placeholder('id')), eq(dispatches.status, 'pending'))).returning());
    return db.with(started).select({
      dispatch: Object.fromEntries(Object.keys(DISPATCH_COLUMNS).map((k) => [k, started[k as keyof typeof DISPATCH_COLUMNS]])) as { [K in keyof typeof DISPATCH_COLUMNS]: (typeof started)[K] },
      outgoing: {
        ...OUTGOING_HEADER, cda: outgoingDocuments.cda,
        pdf: sql<Buffer | null>`case when ${started.channel} = 'dmp' then null else ${outgoingDocuments.pdf} end`.mapWith(outgoingDocuments.pdf),
      },
    }).from(started).leftJoin(outgoingDocuments, eq(outgoingDocuments.id, started.outgoingId)).prepare('exchange_start_attempt');
  })();

  /**
   * Counts one more attempt of a pending dispatch, records the `externalId` it is sent under
   * when known beforehand (a Message-ID), and reads what its channel sends, in one statement:
   * the DMP takes the CDA alone (its PDF is inside), mail carries the PDF beside it too.
   * Undefined when the dispatch is no longer pending (already sent, blocked or failed, or moved
   * by a receipt: nothing to do).
   */
  async function startAttempt(dispatchId: string, externalId?: string): Promise<{ dispatch: Dispatch; outgoing: OutgoingDocument } | undefined> {
    const [row] = await startAttemptStatement.execute({ id: dispatchId, externalId: externalId ?? null });
    if (!row) {
      await loadDispatch(dispatchId); // throws when it does not exist at all
      return undefined;
    }
    if (!row.outgoing) throw new PermanentJobError(`document sortant ${row.dispatch.outgoingId} introuvable`);
    return row as { dispatch: Dispatch; outgoing: OutgoingDocument };
  }

  /** The sources that hear of their dispatches' status changes (in the transaction of the change). */
  const listening = Object.entries(deps.sources ?? {}).filter(([, port]) => port?.onStatus).map(([source]) => source);

  /**
   * A receipt applied in one statement to the dispatches sent with its Message-ID, except those
   * of a listening source: the dispatch moves forward only (the rank of its status in SQL),
   * with its history event. Returns every dispatch found, the listening ones to be moved by the caller.
   * The message that carried the receipt, when given, is stored by the same statement (once per
   * mailbox and Message-ID), processed when a dispatch was found, for review otherwise.
   */
  async function applyQuietly(receipt: Receipt, carrier?: ReceiptCarrier): Promise<Array<{ id: string; status: Dispatch['status']; listening: boolean }>> {
    const at = new Date();
    const rankOf = (column: SQL): SQL => sql`(case ${column} ${sql.join(Object.entries(RANK).map(([status, rank]) => sql`when ${status} then ${rank}::int`), sql` `)} end)`;
    const notListening = listening.length === 0 ? sql`true` : sql`o.source not in (${sql.join(listening.map((source) => sql`${source}`), sql`, `)})`;
    const changes = receiptChanges(receipt, undefined, at);
    const result = await db.execute(sql`
      with found as (
        select d.id, d.status, not (${notListening}) as listening
        from ${dispatches} d join ${outgoingDocuments} o on o.id = d.outgoing_id
        where d.external_id = ${receipt.messageId}),
      changed as (
        update ${dispatches} d set status = ${receipt.outcome}, updated_at = ${at.toISOString()}::timestamptz
          ${changes.deliveredAt ? sql`, delivered_at = coalesce(d.delivered_at, ${at.toISOString()}::timestamptz)` : sql``}
          ${changes.readAt ? sql`, read_at = ${at.toISOString()}::timestamptz` : sql``}
          ${receipt.outcome === 'failed' ? sql`, reason = ${changes.reason ?? null}, error_code = ${changes.errorCode ?? null}` : sql``}
        from found
        where d.id = found.id and not found.listening and ${rankOf(sql`found.status`)} < ${RANK[receipt.outcome]}::int
        returning d.id),
      logged as (insert into ${dispatchEvents} (dispatch_id, status, detail) select id, ${receipt.outcome}, ${receipt.detail ?? null} from changed)
      ${carrier ? sql`, kept as (${storedCarrier(receipt, carrier).getSQL()})` : sql``}
      select id, status, listening from found`);
    return (result as unknown as { rows: Array<{ id: string; status: Dispatch['status']; listening: boolean }> }).rows;
  }

  /** The insert of the message that carried a receipt, its outcome read from the `found` CTE. */
  const storedCarrier = (receipt: Receipt, carrier: ReceiptCarrier) => {
    const known = sql`exists (select 1 from found)`;
    return db.insert(receivedMessages).values({
      mailbox: carrier.mailbox, messageId: carrier.messageId, raw: carrier.raw, kind: receipt.kind, processedAt: new Date(),
      status: sql`case when ${known} then 'processed' else 'review' end`,
      detail: sql`case when ${known} then ${receiptsAttached(1)} else ${RECEIPT_UNKNOWN} end`,
    }).onConflictDoNothing();
  };

  /**
   * The success of an attempt, as CTEs: the dispatch still pending becomes `done`, with its
   * history event; one a receipt moved forward meanwhile keeps its status and only gets its
   * sending time. `externalId` (the DMP entry, the Message-ID) is recorded either way.
   */
  function succeeded(dispatchId: string, done: Dispatch['status'], externalId: string | null | undefined): JobCompletion {
    const at = sql`${new Date().toISOString()}::timestamptz`;
    const wasPending = sql`${dispatches.status} = 'pending'`;
    return sql`changed as (
        update ${dispatches} set
          status = case when ${wasPending} then ${done} else ${dispatches.status} end,
          reason = case when ${wasPending} then null else ${dispatches.reason} end,
          error_code = case when ${wasPending} then null else ${dispatches.errorCode} end,
          delivered_at = case when ${wasPending} and ${done} = 'delivered' then ${at} else ${dispatches.deliveredAt} end,
          external_id = coalesce(${externalId ?? null}, ${dispatches.externalId}), sent_at = ${at}, updated_at = ${at}
        where ${dispatches.id} = ${dispatchId}
        returning ${dispatches.id} as id, ${dispatches.status} as status),
      logged as (insert into ${dispatchEvents} (dispatch_id, status, detail) select id, status, null from changed where status = ${done})`;
  }

  /**
   * One attempt of a channel; failures are recorded, then retried or dead-lettered by the
   * outbox. Success is written with the job's completion (one statement), or — for a source that
   * listens — here, in the transaction that tells the source.
   */
  async function attempt(job: Job, send: (dispatch: Dispatch, outgoing: OutgoingDocument) => Promise<Partial<Dispatch>>, done: Dispatch['status'], externalIdOf?: (dispatchId: string) => string): Promise<void | JobCompletion> {
    const { dispatchId } = job.payload as { dispatchId: string };
    const started = await startAttempt(dispatchId, externalIdOf?.(dispatchId));
    if (!started) return;
    const { dispatch, outgoing } = started;
    let result: Partial<Dispatch>;
    try {
      result = await send(dispatch, outgoing);
    } catch (error) {
      const failure = asFailure(error);
      const last = job.attempts >= job.maxAttempts;
      if (failure.retryable && !last) {
        await db.update(dispatches).set({ reason: failure.message, errorCode: failure.code, updatedAt: new Date() }).where(eq(dispatches.id, dispatchId));
        await addEvent(db, dispatchId, 'retry', `${failure.code} : ${failure.message}`);
        throw new Error(`${failure.code}: ${failure.message}`, { cause: error });
      }
      await setStatus(dispatch, outgoing, 'failed', { reason: failure.message, errorCode: failure.code }, `${failure.code} : ${failure.message}`);
      throw new PermanentJobError(`${failure.code}: ${failure.message}`, { cause: error });
    }
    const completion = succeeded(dispatchId, done, result.externalId);
    const onStatus = deps.sources?.[outgoing.source]?.onStatus;
    if (!onStatus) return completion;
    // A listening source hears of the change (not of one a receipt made first) in its transaction.
    await db.transaction(async (tx) => {
      const [changed] = ((await tx.execute(sql`with ${completion} select status from changed`)) as unknown as { rows: Array<{ status: string }> }).rows;
      if (changed?.status === done) await onStatus(tx, { dispatch, outgoing, status: done, at: new Date() });
    });
  }

  /** The dispatches of each outgoing document, with their history, in channel order. */
  async function dispatchViews(outgoing: OutgoingHeader[]): Promise<Array<[OutgoingHeader, DispatchView[]]>> {
    if (outgoing.length === 0) return [];
    const rows = await db.select().from(dispatches).where(inArray(dispatches.outgoingId, outgoing.map((o) => o.id)))
      .orderBy(asc(dispatches.createdAt), asc(dispatches.channel), asc(dispatches.recipient));
    const events = rows.length === 0 ? [] : await db.select().from(dispatchEvents).where(inArray(dispatchEvents.dispatchId, rows.map((r) => r.id))).orderBy(asc(dispatchEvents.id));
    const historyOf = groupBy(events, (e) => e.dispatchId);
    const dispatchesOf = groupBy(rows, (r) => r.outgoingId);
    const view = (o: OutgoingHeader, r: Dispatch): DispatchView => ({
      id: r.id, action: o.action, channel: r.channel, recipient: r.recipient || null, status: r.status, attempts: r.attempts, updatedAt: r.updatedAt.toISOString(),
      ...(r.reason ? { reason: r.reason } : {}), ...(r.errorCode ? { errorCode: r.errorCode } : {}), ...(r.externalId ? { externalId: r.externalId } : {}),
      ...(r.sentAt ? { sentAt: r.sentAt.toISOString() } : {}), ...(r.deliveredAt ? { deliveredAt: r.deliveredAt.toISOString() } : {}),
      ...(r.readAt ? { readAt: r.readAt.toISOString() } : {}),
      history: (historyOf.get(r.id) ?? []).map((e) => ({ status: e.status, ...(e.detail ? { detail: e.detail } : {}), at: e.at.toISOString() })),
    });
    return outgoing.map((o) => [o, (dispatchesOf.get(o.id) ?? []).map((r) => view(o, r))]);
  }

  /**
   * What follows a DPI document's publication in the DMP (its deletion, a visibility change):
   * one more outgoing document carrying no bytes — the DMP is told which uniqueId to change —
   * with its DMP dispatch, ordered after the publication. Nothing when the document never went
   * to the DMP; waits (by failing, retried by the outbox) while the document is not routed yet.
   */
  async function followPublication(documentId: string, what: Pick<OutgoingSnapshot, 'sourceId' | 'action'> & Partial<Pick<OutgoingSnapshot, 'confidentiality'>>, reason: string): Promise<void> {
    const [published] = await db.select(OUTGOING_HEADER).from(outgoingDocuments).where(and(eq(outgoingDocuments.source, 'dpi'), eq(outgoingDocuments.sourceId, documentId)));
    const [dmp] = published ? await db.select().from(dispatches).where(and(eq(dispatches.outgoingId, published.id), eq(dispatches.channel, 'dmp'))) : [];
    if (!published || !dmp) throw new Error(`document ${documentId} not routed yet: the change waits for its routing`);
    // The publication's channels still to send (a retry, a channel unblocked) carry the latest visibility.
    if (what.confidentiality) await db.update(outgoingDocuments).set({ confidentiality: what.confidentiality }).where(eq(outgoingDocuments.id, published.id));
    if (dmp.status === 'blocked' || dmp.status === 'failed') return; // not in the DMP: a later publication carries the new visibility
    const { id: _id, createdAt: _createdAt, ...copy } = published;
    const outgoing = await recordOutgoing(db, { ...copy, ...what, cda: '', pdf: null, header: null, mail: null });
    const created = await recordDispatches(db, outgoing, [{ channel: 'dmp', recipient: null, status: 'pending', reason }]);
    if (created.length > 0) deps.onEnqueued?.();
  }

  return {
    /** Handler of `document.validated`: plan the channels and enqueue their jobs (idempotent). */
    async route(job: Job): Promise<void> {
      const { documentId } = job.payload as DocumentValidatedEvent;
      const { outgoing, correspondents } = await snapshot(documentId);
      let addresses: string[];
      try {
        addresses = await addressesOf(correspondents);
      } catch (error) {
        const failure = asFailure(error);
        if (failure.retryable) throw new Error(`Annuaire Santé : ${failure.message}`, { cause: error });
        throw new PermanentJobError(`Annuaire Santé : ${failure.message}`, { cause: error });
      }
      const plan = planDispatches({
        ...(outgoing.patient.ins ? { qualifiedIns: outgoing.patient.ins } : {}),
        professionalAddresses: addresses,
        choices: correspondents,
      });
      if (!plan.ok) throw new PermanentJobError(`${plan.error.field} : ${plan.error.rule}`);
      const created = await recordDispatches(db, outgoing, plan.value);
      if (created.length > 0) deps.onEnqueued?.();
    },

    /**
     * Handler of `document.withdrawn`: the deletion of the document from the DMP (ITI-57), as
     * one more outgoing document whose action is `delete`, ordered after its publication. Only
     * a document the DMP accepted (or may still accept) is deleted; mail cannot be taken back.
     */
    async withdraw(job: Job): Promise<void> {
      const { documentId, reason } = job.payload as DocumentWithdrawnEvent;
      await followPublication(documentId, { sourceId: withdrawalOf(documentId), action: 'delete' }, reason);
    },

    /**
     * Handler of `document.visibility`: the document's new visibility in the DMP (ITI-57
     * metadata update), as one more outgoing document whose action is `visibility`, ordered
     * after its publication and the earlier changes.
     */
    async changeVisibility(job: Job): Promise<void> {
      const { documentId, change, visibility, reason } = job.payload as DocumentVisibilityEvent;
      await followPublication(documentId, { sourceId: visibilityChangeOf(documentId, change), action: 'visibility', confidentiality: visibility }, reason);
    },

    /** Handler of `exchange.dmp`. */
    sendDmp: (job: Job): Promise<void | JobCompletion> => attempt(job, async (_dispatch, outgoing) => {
      const { entryId } = outgoing.action === 'delete' ? await deps.dmp.delete(outgoing)
        : outgoing.action === 'visibility' ? await deps.dmp.setVisibility(outgoing) : await deps.dmp.publish(outgoing);
      return { externalId: entryId };
    }, 'delivered'),

    /**
     * Handler of `exchange.mssante`: sent, until a DSN says delivered. The Message-ID is
     * recorded before sending, so that a receipt finds its dispatch even if this attempt dies.
     */
    sendMail: (job: Job): Promise<void | JobCompletion> => attempt(job, async (dispatch, outgoing) => {
      const { messageId } = await deps.mail.send(outgoing, { to: dispatch.recipient, kind: dispatch.channel === 'mssante-patient' ? 'patient' : 'pro', key: dispatch.id });
      return { externalId: messageId };
    }, 'sent', (dispatchId) => deps.mail.messageIdOf(dispatchId)),

    /**
     * A delivery (DSN) or processing/read (MDN) receipt for a message we sent. Unknown
     * Message-IDs are ignored (returns false); a receipt never moves a status backwards.
     */
    async recordReceipt(receipt: Receipt, carrier?: ReceiptCarrier): Promise<boolean> {
      // Most dispatches belong to a source that does not listen: found, moved and logged in
      // one statement. A listening source's dispatch takes the transaction path below.
      const quiet = await applyQuietly(receipt, carrier);
      if (quiet.length === 0) return false;
      for (const row of quiet.filter((r) => r.listening && RANK[receipt.outcome] > RANK[r.status])) {
        const [found] = await db.select({ dispatch: DISPATCH_COLUMNS, outgoing: OUTGOING_HEADER }).from(dispatches)
          .innerJoin(outgoingDocuments, eq(outgoingDocuments.id, dispatches.outgoingId)).where(eq(dispatches.id, row.id));
        if (found && RANK[receipt.outcome] > RANK[found.dispatch.status]) {
          await setStatus(found.dispatch, found.outgoing, receipt.outcome, receiptChanges(receipt, found.dispatch.deliveredAt, new Date()), receipt.detail, receipt.kind);
        }
      }
      return true;
    },

    /** Per channel of a DPI document (its publication, deletion, visibility changes): status, times, error, history. Audited. */
    async dispatchesOf(documentId: string, actor: string): Promise<DispatchView[]> {
      const outgoing = await db.select(OUTGOING_HEADER).from(outgoingDocuments).where(and(eq(outgoingDocuments.source, 'dpi'),
        or(eq(outgoingDocuments.sourceId, documentId), like(outgoingDocuments.sourceId, `${documentId.replace(/[%_\\]/g, '\\$&')}#%`)))).orderBy(asc(outgoingDocuments.createdAt));
      await audit(db, { actor, action: 'document.dispatches', subjectType: 'document', subjectId: documentId });
      return (await dispatchViews(outgoing)).flatMap(([, views]) => views);
    },

    /**
     * Tracking of every outgoing document, whatever its source (the DPI, the plateaux
     * techniques' HL7 messages): newest first, filtered by source, period and dispatch status
     * (say, every document with a failed channel). Audited with the documents listed.
     */
    async outgoingList(filter: OutgoingFilter, actor: string): Promise<OutgoingPage> {
      const conditions: SQL[] = [];
      if (filter.source) conditions.push(eq(outgoingDocuments.source, filter.source));
      if (filter.identityId) conditions.push(eq(outgoingDocuments.identityId, filter.identityId));
      if (filter.from) conditions.push(sql`${outgoingDocuments.createdAt} >= ${filter.from.toISOString()}`);
      if (filter.to) conditions.push(sql`${outgoingDocuments.createdAt} < ${filter.to.toISOString()}`);
      if (filter.cursor) {
        const after = positionOf(filter.cursor);
        conditions.push(sql`(${outgoingDocuments.createdAt}, ${outgoingDocuments.id}) < (${after.createdAt}::timestamptz, ${after.id}::uuid)`);
      }
      if (filter.status) conditions.push(sql`exists (select 1 from ${dispatches} where ${dispatches.outgoingId} = ${outgoingDocuments.id} and ${dispatches.status} = ${filter.status})`);
      const limit = Math.min(Math.max(filter.limit ?? 50, 1), 500);
      const rows = await db.select({ header: OUTGOING_HEADER, createdExact: CREATED_EXACT }).from(outgoingDocuments).where(and(...conditions))
        .orderBy(desc(outgoingDocuments.createdAt), desc(outgoingDocuments.id)).limit(limit);
      const outgoing = rows.map((r) => r.header);
      await audit(db, { actor, action: 'exchange.outgoing.list', subjectType: 'outgoing', subjectId: '*', details: { results: outgoing.map((o) => o.id) } });
      const items = (await dispatchViews(outgoing)).map(([o, views]) => outgoingView(o, views));
      const last = rows.length === limit ? rows[limit - 1]! : undefined;
      return { items, ...(last ? { next: cursorOf(last.createdExact, last.header.id) } : {}) };
    },

    /** One outgoing document with each channel's history. Audited. */
    async outgoing(id: string, actor: string): Promise<OutgoingView> {
      const [found] = await db.select(OUTGOING_HEADER).from(outgoingDocuments).where(eq(outgoingDocuments.id, id));
      if (!found) throw new ExchangeError('not_found', `Document sortant ${id} introuvable`, 404);
      await audit(db, { actor, action: 'exchange.outgoing', subjectType: 'outgoing', subjectId: id });
      const [[, views]] = await dispatchViews([found]) as [[OutgoingHeader, DispatchView[]]];
      return outgoingView(found, views);
    },

    /**
     * Counters of the vérification d'aptitude (programme.md; mssante.md §1): documents fed to
     * the DMP (always on a qualified INS), documents sent by MSSanté to professionals, messages
     * to patients — accepted by the DMP, or handed to the MSSanté operator — in [from, to).
     */
    async counters(window: { from?: Date; to?: Date } = {}): Promise<{ dmpDocuments: number; mssanteProDocuments: number; mssantePatientMessages: number; failed: number; pending: number }> {
      const from = window.from ?? new Date(0);
      const to = window.to ?? new Date('9999-12-31T00:00:00Z');
      const rows = await db.select({
        channel: dispatches.channel, status: dispatches.status, action: outgoingDocuments.action,
        documents: sql<number>`count(distinct ${dispatches.outgoingId})::int`, messages: sql<number>`count(*)::int`,
      }).from(dispatches).innerJoin(outgoingDocuments, eq(outgoingDocuments.id, dispatches.outgoingId))
        .where(and(sql`coalesce(${dispatches.sentAt}, ${dispatches.updatedAt}) >= ${from.toISOString()}`, sql`coalesce(${dispatches.sentAt}, ${dispatches.updatedAt}) < ${to.toISOString()}`))
        .groupBy(dispatches.channel, dispatches.status, outgoingDocuments.action);
      const done = new Set<Dispatch['status']>(['sent', 'delivered', 'read']);
      const sum = (pick: (r: (typeof rows)[number]) => boolean, field: 'documents' | 'messages'): number => rows.filter(pick).reduce((n, r) => n + Number(r[field]), 0);
      return {
        // Documents published (or replaced) in the DMP; a deletion or a visibility change is no new document.
        dmpDocuments: sum((r) => r.channel === 'dmp' && r.action === 'publish' && done.has(r.status), 'documents'),
        mssanteProDocuments: sum((r) => r.channel === 'mssante-pro' && done.has(r.status), 'documents'),
        mssantePatientMessages: sum((r) => r.channel === 'mssante-patient' && done.has(r.status), 'messages'),
        failed: sum((r) => r.status === 'failed', 'messages'),
        pending: sum((r) => r.status === 'pending', 'messages'),
      };
    },

    /**
     * A channel the user blocked for this document, sent after all (e.g. to the patient's
     * mailbox once the announcement consultation made the document visible to them). Only a
     * block by the user is lifted, and only if the channel can be used: a qualified INS for the
     * DMP and the patient, a correspondent's address, and the rules of recipients and
     * visibility met with the document's current visibility (a DPI document's, read from the
     * DPI). Back to pending with a new job, audited.
     */
    async unblock(dispatchId: string, actor: string): Promise<void> {
      const { dispatch, outgoing } = await loadDispatch(dispatchId).catch(() => {
        throw new ExchangeError('not_found', `Envoi ${dispatchId} introuvable`, 404);
      });
      if (dispatch.status !== 'blocked' || dispatch.reason !== BLOCKED_BY_USER || outgoing.action !== 'publish') {
        throw new ExchangeError('not_blocked_by_user', `Seul un envoi bloqué par l’utilisateur peut être débloqué${dispatch.status === 'blocked' ? ` (celui-ci : ${dispatch.reason ?? 'bloqué'})` : ''}`, 409);
      }
      if (dispatch.channel !== 'mssante-pro' && !outgoing.patient.ins) throw new ExchangeError('unqualified', 'Identité non qualifiée : le DMP et la messagerie patient ne sont alimentés que sur l’INS qualifiée', 422);
      if (dispatch.channel === 'mssante-pro' && !dispatch.recipient) throw new ExchangeError('no_recipient', 'Aucun correspondant avec une messagerie MSSanté', 422);
      const document = outgoing.source === 'dpi' ? await deps.documents.get(outgoing.sourceId, actor) : undefined;
      if (document && document.status !== 'validated') throw new ExchangeError('not_current', 'Version remplacée ou retirée : seule la version validée en cours peut encore être envoyée', 409);
      const confidentiality = visibilityOf(document?.distribution ?? outgoing.confidentiality);
      await db.transaction(async (tx) => {
        // One change of a document's channels at a time: the others' state is read under the lock.
        await tx.execute(sql`select id from ${outgoingDocuments} where id = ${outgoing.id} for update`);
        const siblings = await tx.select().from(dispatches).where(eq(dispatches.outgoingId, outgoing.id));
        const stillBlocked = siblings.filter((d) => d.id !== dispatch.id && d.status === 'blocked' && d.reason === BLOCKED_BY_USER).map((d) => d.channel);
        const consistent = checkVisibility({ ...confidentiality, blocked: stillBlocked }, siblings.some((d) => d.channel === 'mssante-pro' && d.recipient !== ''));
        if (!consistent.ok) throw new ExchangeError('inconsistent_distribution', `Choix d’envoi incohérents : ${consistent.error.rule}`, 422, { field: consistent.error.field });
        const [updated] = await tx.update(dispatches).set({ status: 'pending', reason: null, updatedAt: new Date() })
          .where(and(eq(dispatches.id, dispatchId), eq(dispatches.status, 'blocked'))).returning();
        if (!updated) throw new ExchangeError('not_blocked_by_user', 'Seul un envoi bloqué par l’utilisateur peut être débloqué', 409);
        await tx.update(outgoingDocuments).set({ confidentiality }).where(eq(outgoingDocuments.id, outgoing.id));
        await addEvent(tx, dispatchId, 'pending', `débloqué par ${actor}`);
        await enqueueAll(tx, [jobFor(outgoing, updated)]);
        await audit(tx, { actor, action: 'dispatch.unblock', subjectType: 'dispatch', subjectId: dispatchId });
      });
      // The DPI's choices follow, so that later checks (a visibility change) see the channel in use.
      if (document) await deps.documents.channelUnblocked(document.id, dispatch.channel);
      deps.onEnqueued?.();
    },

    /** Manual retry of a failed dispatch: back to pending with a new job. */
    async retry(dispatchId: string, actor: string): Promise<void> {
      const { dispatch, outgoing } = await loadDispatch(dispatchId).catch(() => {
        throw new ExchangeError('not_found', `Envoi ${dispatchId} introuvable`, 404);
      });
      if (dispatch.status !== 'failed') throw new ExchangeError('not_failed', 'Seul un envoi en échec peut être relancé', 409);
      await db.transaction(async (tx) => {
        const [updated] = await tx.update(dispatches).set({ status: 'pending', updatedAt: new Date() })
          .where(and(eq(dispatches.id, dispatchId), eq(dispatches.status, 'failed'))).returning();
        if (!updated) throw new ExchangeError('not_failed', 'Seul un envoi en échec peut être relancé', 409);
        await addEvent(tx, dispatchId, 'pending', `relance manuelle par ${actor}`);
        await enqueueAll(tx, [jobFor(outgoing, updated)]);
        await audit(tx, { actor, action: 'dispatch.retry', subjectType: 'dispatch', subjectId: dispatchId });
      });
      deps.onEnqueued?.();
    },
  };
}

export type ExchangeService = ReturnType<typeof createExchangeService>;
