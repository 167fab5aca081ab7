/**
 * Stays (venues) from PAM ITI-31 movements: admission, pre-admission, registration,
 * discharge, cancellations. The full DPI stay model comes with the document issues.
 */
import { and, asc, eq } from 'drizzle-orm';
import type { Executor } from '../platform/db/index.ts';
import { stays } from './tables.ts';

export type Stay = typeof stays.$inferSelect;

export interface StayMovement {
  trigger: string;
  nda: { id: string; authority: string };
  patientClass?: string;
  admitAt?: string;
  dischargeAt?: string;
  medicalUnit?: string;
  movement?: Record<string, unknown>;
}

/** Trigger → stay status after the movement (PAM FR ITI-31 events). */
const STATUS_AFTER: Record<string, Stay['status']> = {
  A05: 'planned', A38: 'cancelled', A01: 'active', A04: 'active', A11: 'cancelled', A06: 'active', A07: 'active',
  A02: 'active', A12: 'active', A21: 'active', A52: 'active', A22: 'active', A53: 'active', A54: 'active', A55: 'active',
  A03: 'discharged', A13: 'active', Z99: 'active',
};

export const isStayTrigger = (trigger: string): boolean => trigger in STATUS_AFTER;

/** Creates or updates the stay named by the NDA; returns it. */
export async function applyStayMovement(db: Executor, identityId: string, move: StayMovement): Promise<Stay> {
  const status = STATUS_AFTER[move.trigger] ?? 'active';
  const [existing] = await db.select().from(stays).where(and(eq(stays.nda, move.nda.id), eq(stays.ndaAuthority, move.nda.authority)));
  const movement = { trigger: move.trigger, ...(move.movement ?? {}) };
  if (!existing) {
    const [created] = await db.insert(stays).values({
      identityId, nda: move.nda.id, ndaAuthority: move.nda.authority, status, patientClass: move.patientClass ?? null,
      admitAt: move.admitAt ?? null, dischargeAt: move.dischargeAt ?? null, medicalUnit: move.medicalUnit ?? null, movements: [movement],
    }).returning();
    return created!;
  }
  const [updated] = await db.update(stays).set({
    identityId, status,
    patientClass: move.patientClass ?? existing.patientClass,
    admitAt: move.admitAt ?? existing.admitAt,
    dischargeAt: move.trigger === 'A13' ? null : move.dischargeAt ?? existing.dischargeAt,
    medicalUnit: move.medicalUnit ?? existing.medicalUnit,
    movements: [...existing.movements, movement],
    updatedAt: new Date(),
  }).where(eq(stays.id, existing.id)).returning();
  return updated!;
}

export async function staysOf(db: Executor, identityId: string): Promise<Stay[]> {
  return db.select().from(stays).where(eq(stays.identityId, identityId)).orderBy(asc(stays.admitAt));
}
