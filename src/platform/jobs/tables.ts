import { bigserial, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';

/**
 * The outbox: work to do after a business write, enqueued in the same transaction.
 * status: pending → running → done | pending (retry, run_at in the future) | dead (dead letter).
 */
export const jobs = pgTable('jobs', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  queue: text('queue').notNull(),
  /** Jobs sharing a key run one at a time in id order (one patient's feed to one subscriber). */
  orderingKey: text('ordering_key'),
  /** Enqueueing twice with the same key yields one job. */
  dedupKey: text('dedup_key'),
  payload: jsonb('payload').notNull(),
  status: text('status', { enum: ['pending', 'running', 'done', 'dead'] }).notNull().default('pending'),
  attempts: integer('attempts').notNull().default(0),
  maxAttempts: integer('max_attempts').notNull().default(10),
  runAt: timestamp('run_at', { withTimezone: true }).notNull().defaultNow(),
  lockedBy: text('locked_by'),
  lockedUntil: timestamp('locked_until', { withTimezone: true }),
  lastError: text('last_error'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  doneAt: timestamp('done_at', { withTimezone: true }),
}, (t) => [
  index('jobs_claim_idx').on(t.queue, t.status, t.runAt),
  index('jobs_ordering_idx').on(t.orderingKey, t.id).where(sql`status in ('pending', 'running')`),
  uniqueIndex('jobs_dedup_idx').on(t.queue, t.dedupKey),
]);
