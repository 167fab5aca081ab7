import { index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import type { CdaHeader } from '../formats/cda/index.ts';
import { bytea } from '../platform/db/columns.ts';
import { DEFAULT_DISTRIBUTION, type Distribution } from './distribution.ts';

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


/**
 * Exit documents authored in the DPI. A version is a row: draft → validated (PDF and CDA
 * generated and frozen) → replaced (a later validated version of the same set exists).
 */
export const documents = pgTable('documents', {
  id: uuid('id').primaryKey().defaultRandom(),
  identityId: uuid('identity_id').notNull(),
  stayId: uuid('stay_id'),
  /** ldl, cro, ordonnance, cr-imagerie, cr-bio, crh. */
  type: text('type').notNull(),
  /** withdrawn: a validated version taken back by its author (and deleted from the DMP). */
  status: text('status', { enum: ['draft', 'validated', 'replaced', 'withdrawn'] }).notNull().default('draft'),
  /** CDA ClinicalDocument/id and setId (OIDs), versionNumber. */
  cdaId: text('cda_id').notNull(),
  setId: text('set_id').notNull(),
  version: integer('version').notNull().default(1),
  /** The document version this one replaces (RPLC). */
  replacesId: uuid('replaces_id'),
  title: text('title').notNull(),
  sections: jsonb('sections').$type<Array<{ heading: string; paragraphs: string[] }>>().notNull(),
  author: jsonb('author').$type<{ rpps: string; family: string; given?: string; specialty: string }>().notNull(),
  legalAuthenticator: jsonb('legal_authenticator').$type<{ rpps: string; family: string; given?: string; specialty: string }>(),
  /** Correspondents and the author's sending choices (distribution.ts). */
  distribution: jsonb('distribution').$type<Distribution>().notNull().default(DEFAULT_DISTRIBUTION),
  pdf: bytea('pdf'),
  cda: text('cda'),
  /** The CDA's header as read back at validation: the PFI routes on it without reading the CDA again. */
  header: jsonb('header').$type<CdaHeader>(),
  createdBy: text('created_by').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  validatedAt: timestamp('validated_at', { withTimezone: true }),
  validatedBy: text('validated_by'),
}, (t) => [
  index('documents_identity_idx').on(t.identityId),
  uniqueIndex('documents_version_idx').on(t.setId, t.version),
]);

/**
 * Documents received from outside (lab and imaging reports, volets de synthèse médicale by
 * MSSanté), integrated into the patient's record when the patient is identified, otherwise
 * waiting for review by the identity-vigilance staff. The same CDA (uniqueId) arriving twice —
 * by MSSanté and by the DMP, or resent — is kept once.
 */
export const receivedDocuments = pgTable('received_documents', {
  id: uuid('id').primaryKey().defaultRandom(),
  /** The patient, once identified. */
  identityId: uuid('identity_id'),
  status: text('status', { enum: ['integrated', 'review'] }).notNull(),
  /** How the patient was found: ins, traits; or why not (French). */
  matchedBy: text('matched_by'),
  reason: text('reason'),
  /** CDA id@root, its LOINC code and title. */
  uniqueId: text('unique_id').notNull(),
  code: text('code'),
  title: text('title'),
  cda: text('cda').notNull(),
  pdf: bytea('pdf'),
  /** Where it came from: mssante (sender address) or hl7 (sending application). */
  source: text('source').notNull(),
  sender: text('sender'),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  uniqueIndex('received_documents_unique_id_idx').on(t.uniqueId),
  index('received_documents_identity_idx').on(t.identityId),
  index('received_documents_status_idx').on(t.status),
]);
