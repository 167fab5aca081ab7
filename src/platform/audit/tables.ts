import { bigserial, index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** The audit trail: every change of patient data and every access to it. Append-only. */
export const auditEvents = pgTable('audit_events', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  /** Who: a user id, `system`, or `hl7:<sender>`. */
  actor: text('actor').notNull(),
  /** What, as a dotted verb: `identity.create`, `identity.qualify`, `identity.read`… */
  action: text('action').notNull(),
  subjectType: text('subject_type').notNull(),
  subjectId: text('subject_id').notNull(),
  /** Ids, codes and outcomes only; never traits. */
  details: jsonb('details').notNull().default({}),
}, (t) => [index('audit_subject_idx').on(t.subjectType, t.subjectId, t.at)]);
