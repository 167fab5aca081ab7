/**
 * Writes and reads the audit trail. Call `audit()` inside the transaction of the change it
 * records, or put `audited()` in the statement itself: the event is then written by the same
 * statement, atomically and without a round trip of its own.
 */
import { and, asc, eq, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../db/index.ts';
import { auditEvents } from './tables.ts';

export interface AuditEvent {
  actor: string;
  action: string;
  subjectType: string;
  subjectId: string;
  details?: Record<string, unknown>;
}

export async function audit(db: Executor, event: AuditEvent): Promise<void> {
  await db.execute(auditInsert(event));
}

/**
 * `insert into audit_events …` for `event`, written only when `when` holds (say, the row read
 * exists): the body of a CTE in the statement whose access it records.
 */
export function auditInsert(event: AuditEvent, when?: SQL): SQL {
  return sql`insert into ${auditEvents} (actor, action, subject_type, subject_id, details)
    select ${event.actor}, ${event.action}, ${event.subjectType}, ${event.subjectId}, ${JSON.stringify(event.details ?? {})}::jsonb${when ? sql` where ${when}` : sql``}
    returning id`;
}

/**
 * The audit event as a drizzle CTE, for `db.with(audited(…)).select()…`: PostgreSQL runs a
 * data-modifying CTE whether or not the query reads it.
 */
export function audited(db: Executor, event: AuditEvent, when?: SQL) {
  return db.$with('audited', { id: sql<number>`id` }).as(auditInsert(event, when));
}

export async function auditTrailOf(db: Executor, subjectType: string, subjectId: string) {
  return db.select().from(auditEvents)
    .where(and(eq(auditEvents.subjectType, subjectType), eq(auditEvents.subjectId, subjectId)))
    .orderBy(asc(auditEvents.id));
}
