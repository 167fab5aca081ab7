import { bigserial, index, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { bytea } from '../db/columns.ts';
import { sql } from 'drizzle-orm';


/**
 * Every HL7 v2 message received, stored raw before it is processed, with the ACK returned.
 * status: received → accepted (AA) | error (AE) | rejected (AR) | duplicate (stored ACK replayed).
 */
export const hl7Messages = pgTable('hl7_messages', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  /** Transport peer (address, certificate CN). */
  peer: text('peer').notNull(),
  /** MSH-3^MSH-4 as sent; with control_id, the retransmission key. */
  sender: text('sender'),
  controlId: text('control_id'),
  messageType: text('message_type'),
  /** The bytes exactly as received. */
  raw: bytea('raw').notNull(),
  sha256: text('sha256').notNull(),
  status: text('status', { enum: ['received', 'accepted', 'error', 'rejected', 'duplicate'] }).notNull().default('received'),
  ack: text('ack'),
  /** Why it was not accepted (field and rule), for the replay queue. */
  error: text('error'),
  processedAt: timestamp('processed_at', { withTimezone: true }),
}, (t) => [
  uniqueIndex('hl7_messages_accepted_idx').on(t.sender, t.controlId).where(sql`status = 'accepted'`),
  index('hl7_messages_status_idx').on(t.status, t.receivedAt),
]);
