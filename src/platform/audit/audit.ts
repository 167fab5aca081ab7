/** Writes and reads the audit trail. Call `audit()` inside the transaction of the change it records. */
import { and, asc, eq } from 'drizzle-orm';
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
  await db.insert(auditEvents).values({ ...event, details: event.details ?? {} });
}

export async function auditTrailOf(db: Executor, subjectType: string, subjectId: string) {
  return db.select().from(auditEvents)
    .where(and(eq(auditEvents.subjectType, subjectType), eq(auditEvents.subjectId, subjectId)))
    .orderBy(asc(auditEvents.id));
}
