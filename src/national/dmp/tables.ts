/**
 * Tables of the DMP sandbox (the local XDS.b registry + repository), in the platform database.
 * Sandbox only: the real DMP keeps its own data; the platform never reads these tables.
 */
import { boolean, customType, index, integer, jsonb, pgTable, serial, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => 'bytea',
  toDriver: (value) => Buffer.from(value.buffer, value.byteOffset, value.byteLength),
  fromDriver: (value) => new Uint8Array(value),
});

/** Test patients and the state of their DMP (dmp.md §9), keyed by matricule INS. */
export const dmpSandboxPatients = pgTable('dmp_sandbox_patients', {
  matricule: text('matricule').primaryKey(),
  /** `active`; `closed` (DMP fermé); `opposed` (opposition à la création); `absent` (no DMP). */
  status: text('status', { enum: ['active', 'closed', 'opposed', 'absent'] }).notNull().default('active'),
  /** VIHF NameID of the patient's médecin traitant DMP (e.g. `8` + RPPS). */
  treatingPhysician: text('treating_physician'),
  closedOn: text('closed_on'),
  closingReason: text('closing_reason'),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Registered DocumentEntries, one row per metadata version (entryUUID). */
export const dmpSandboxEntries = pgTable('dmp_sandbox_entries', {
  entryUuid: text('entry_uuid').primaryKey(),
  logicalId: text('logical_id').notNull(),
  version: integer('version').notNull().default(1),
  uniqueId: text('unique_id').notNull(),
  /** patientId CX as submitted. */
  patientId: text('patient_id').notNull(),
  matricule: text('matricule').notNull(),
  status: text('status').notNull(),
  /** confidentialityCode codes (N/R/V and visibility flags). */
  confidentiality: jsonb('confidentiality').$type<string[]>().notNull(),
  /** Identifiant_Structure of the VIHF that submitted it (the author's structure). */
  structureId: text('structure_id').notNull(),
  submissionSetUuid: text('submission_set_uuid').notNull(),
  /** True once any version was visible to the patient (no INVISIBLE_PATIENT). */
  everVisibleToPatient: boolean('ever_visible_to_patient').notNull(),
  isSignature: boolean('is_signature').notNull().default(false),
  classCode: text('class_code').notNull(),
  typeCode: text('type_code').notNull(),
  creationTime: text('creation_time').notNull(),
  serviceStartTime: text('service_start_time'),
  /** The ExtrinsicObject as stored (registry ids); status, lid and version are set when answering. */
  metadataXml: text('metadata_xml').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  index('dmp_sandbox_entries_patient_idx').on(t.matricule),
  index('dmp_sandbox_entries_unique_idx').on(t.uniqueId),
  index('dmp_sandbox_entries_logical_idx').on(t.logicalId),
]);

/** Repository content, by document uniqueId. */
export const dmpSandboxDocuments = pgTable('dmp_sandbox_documents', {
  uniqueId: text('unique_id').primaryKey(),
  mimeType: text('mime_type').notNull(),
  content: bytea('content').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Registered SubmissionSets. */
export const dmpSandboxSubmissionSets = pgTable('dmp_sandbox_submission_sets', {
  entryUuid: text('entry_uuid').primaryKey(),
  uniqueId: text('unique_id').notNull(),
  matricule: text('matricule').notNull(),
  submissionTime: text('submission_time').notNull(),
  structureId: text('structure_id').notNull(),
  metadataXml: text('metadata_xml').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [uniqueIndex('dmp_sandbox_submission_sets_unique_idx').on(t.uniqueId), index('dmp_sandbox_submission_sets_patient_idx').on(t.matricule)]);

/** Registered Associations (HasMember, RPLC, signs, UpdateAvailabilityStatus). */
export const dmpSandboxAssociations = pgTable('dmp_sandbox_associations', {
  seq: serial('seq').primaryKey(),
  entryUuid: text('entry_uuid').notNull(),
  associationType: text('association_type').notNull(),
  sourceObject: text('source_object').notNull(),
  targetObject: text('target_object').notNull(),
  slots: jsonb('slots').$type<Record<string, string[]>>().notNull().default({}),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [index('dmp_sandbox_associations_source_idx').on(t.sourceObject), index('dmp_sandbox_associations_target_idx').on(t.targetObject)]);
