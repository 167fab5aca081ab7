import { index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/** Hospital stays (venues), fed by PAM ITI-31 or the API; one per NDA. */
export const stays = pgTable('stays', {
  id: uuid('id').primaryKey().defaultRandom(),
  identityId: uuid('identity_id').notNull(),
  /** NDA (PID-18) and its authority. */
  nda: text('nda').notNull(),
  ndaAuthority: text('nda_authority').notNull(),
  /** PV1-2: I inpatient, O outpatient, E emergency, R recurring… */
  patientClass: text('patient_class'),
  status: text('status', { enum: ['planned', 'active', 'discharged', 'cancelled'] }).notNull(),
  admitAt: text('admit_at'),
  dischargeAt: text('discharge_at'),
  medicalUnit: text('medical_unit'),
  /** ZBE movements as received (id, action, date, nature, units). */
  movements: jsonb('movements').$type<Array<Record<string, unknown>>>().notNull().default([]),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  uniqueIndex('stays_nda_idx').on(t.ndaAuthority, t.nda),
  index('stays_identity_idx').on(t.identityId),
]);
