import { bigserial, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import type { CdaHeader } from '../formats/cda/index.ts';
import { bytea } from '../platform/db/columns.ts';
import { DISTRIBUTION_CHANNELS } from '../record/index.ts';

/** The body texts and Reply-To addresses of a document's MSSanté messages. */
export interface OutgoingMail {
  bodyForProfessionals?: string;
  bodyForPatient?: string;
  replyTo?: string[];
}

/**
 * A document the intermediation platform (PFI) sends out: a snapshot of what was validated in
 * the DPI (or received from a technical platform), immutable once routed, so that every
 * channel sends the same bytes however late it runs.
 */
export const outgoingDocuments = pgTable('outgoing_documents', {
  id: uuid('id').primaryKey().defaultRandom(),
  /** `dpi` (a DPI document id) or `hl7` (an inbox message id). */
  source: text('source', { enum: ['dpi', 'hl7'] }).notNull(),
  sourceId: text('source_id').notNull(),
  identityId: uuid('identity_id'),
  /** CDA id@root (XDS uniqueId), setId, version; the uniqueId it replaces (RPLC). */
  uniqueId: text('unique_id').notNull(),
  setId: text('set_id').notNull(),
  version: integer('version').notNull(),
  replacesUniqueId: text('replaces_unique_id'),
  /** LOINC code and label of the document type, and its title. */
  code: text('code').notNull(),
  label: text('label').notNull(),
  title: text('title').notNull(),
  /** Traits for the mail subject and the INS (qualified identities only). */
  patient: jsonb('patient').$type<{ birthName: string; firstGivenName: string; birthDate: string; ins?: { matricule: string; oid: string } }>().notNull(),
  cda: text('cda').notNull(),
  pdf: bytea('pdf'),
  /** The CDA's header, read once when routed: the channels derive their metadata from it. Null for a deletion. */
  header: jsonb('header').$type<CdaHeader>(),
  /**
   * What the DMP is asked: publish (or replace, with `replacesUniqueId`), delete `uniqueId`
   * (ITI-57), or give `uniqueId` the visibility of `confidentiality` (ITI-57 metadata update).
   */
  action: text('action', { enum: ['publish', 'delete', 'visibility'] }).notNull().default('publish'),
  /** What the source asked of the MSSanté messages (HL7: CORPSMAIL_PS, CORPSMAIL_PATIENT, PRT REPLY); null: the defaults. */
  mail: jsonb('mail').$type<OutgoingMail>(),
  /** Confidentiality choices for the DMP (MASQUE_PS, INVISIBLE_PATIENT, INVISIBLE_REPRESENTANTS_LEGAUX). */
  confidentiality: jsonb('confidentiality').$type<{ maskedToProfessionals: boolean; invisibleToPatient: boolean; invisibleToLegalRepresentatives: boolean }>().notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  uniqueIndex('outgoing_source_idx').on(t.source, t.sourceId),
  index('outgoing_set_idx').on(t.setId),
  index('outgoing_created_idx').on(t.createdAt),
  index('outgoing_identity_idx').on(t.identityId),
]);

export const DISPATCH_STATUSES = ['pending', 'sent', 'delivered', 'read', 'blocked', 'failed'] as const;

/**
 * One channel of one outgoing document: the DMP, one professional mailbox, or the patient's
 * mailbox. pending → sent → delivered → read, or blocked (not sent, with the reason) or failed
 * (with the error); a retry puts a failed dispatch back to pending.
 */
export const dispatches = pgTable('dispatches', {
  id: uuid('id').primaryKey().defaultRandom(),
  outgoingId: uuid('outgoing_id').notNull(),
  channel: text('channel', { enum: DISTRIBUTION_CHANNELS }).notNull(),
  /** MSSanté address; empty for the DMP. */
  recipient: text('recipient').notNull().default(''),
  status: text('status', { enum: DISPATCH_STATUSES }).notNull(),
  /** Why it is blocked, or the last error (French). */
  reason: text('reason'),
  errorCode: text('error_code'),
  attempts: integer('attempts').notNull().default(0),
  /** DMP entryUUID, or the Message-ID of the mail. */
  externalId: text('external_id'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  sentAt: timestamp('sent_at', { withTimezone: true }),
  deliveredAt: timestamp('delivered_at', { withTimezone: true }),
  readAt: timestamp('read_at', { withTimezone: true }),
}, (t) => [
  uniqueIndex('dispatches_channel_idx').on(t.outgoingId, t.channel, t.recipient),
  index('dispatches_external_idx').on(t.externalId),
]);

/** Every status change of a dispatch, with its time and detail: the tracking history. */
export const dispatchEvents = pgTable('dispatch_events', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  dispatchId: uuid('dispatch_id').notNull(),
  status: text('status').notNull(),
  detail: text('detail'),
  at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('dispatch_events_dispatch_idx').on(t.dispatchId, t.id)]);

/**
 * Every message read from the hospital's MSSanté mailbox, stored raw before anything else is
 * done with it (nothing received is lost), then processed: a receipt for a message we sent
 * (DSN, MDN), a document to integrate in the DPI, or something for a person to review.
 */
export const receivedMessages = pgTable('received_messages', {
  id: uuid('id').primaryKey().defaultRandom(),
  /** The mailbox it was read from. */
  mailbox: text('mailbox').notNull(),
  /** Message-ID header (or a hash of the raw message when it has none): a message read twice is stored once. */
  messageId: text('message_id').notNull(),
  raw: bytea('raw').notNull(),
  status: text('status', { enum: ['received', 'processed', 'review', 'failed'] }).notNull().default('received'),
  /** What it turned out to be: document, dsn, mdn, other. */
  kind: text('kind'),
  /** Outcome in French (why it waits for review, what was integrated). */
  detail: text('detail'),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  processedAt: timestamp('processed_at', { withTimezone: true }),
}, (t) => [
  uniqueIndex('received_messages_id_idx').on(t.mailbox, t.messageId),
  index('received_messages_status_idx').on(t.status),
]);
