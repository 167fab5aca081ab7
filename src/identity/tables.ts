import { boolean, index, integer, jsonb, pgSequence, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/**
 * Patient identities of the referential. The status is derived from the RNIV facts
 * (insi_verified, high_trust_proof, attributes) and stored for querying.
 */
export const identities = pgTable('identities', {
  id: uuid('id').primaryKey().defaultRandom(),
  /** IPP and its assigning authority (namespace); unique per authority. */
  ipp: text('ipp').notNull(),
  ippAuthority: text('ipp_authority').notNull(),
  status: text('status', { enum: ['PROV', 'RECUP', 'VALI', 'QUAL'] }).notNull().default('PROV'),
  attributes: jsonb('attributes').$type<string[]>().notNull().default([]),
  insiVerified: boolean('insi_verified').notNull().default(false),
  highTrustProof: boolean('high_trust_proof').notNull().default(false),
  birthName: text('birth_name').notNull(),
  birthGivenNames: text('birth_given_names').notNull(),
  birthDate: text('birth_date').notNull(),
  sex: text('sex', { enum: ['M', 'F', 'U'] }).notNull(),
  birthplace: text('birthplace'),
  usedName: text('used_name'),
  usedGivenName: text('used_given_name'),
  /** Matricule INS (15) and OID as returned by INSi; shared only when status is QUAL. */
  insMatricule: text('ins_matricule'),
  insOid: text('ins_oid'),
  /** Former matricules returned by INSi (INSHISTO). */
  insHistory: jsonb('ins_history').$type<Array<{ matricule: string; oid: string }>>().notNull().default([]),
  insiCheckedAt: timestamp('insi_checked_at', { withTimezone: true }),
  /** ZFD-5 mode d'obtention: INSI, CV, SM, CB, RFID. */
  insAcquisition: text('ins_acquisition'),
  /** The high-trust identity document that validated the identity (ZFD-7 code) and its expiry (ZFD-8). */
  proofType: text('proof_type'),
  proofExpiresOn: text('proof_expires_on'),
  /** When set, this identity was merged into another (A40) and is kept for history only. */
  mergedInto: uuid('merged_into'),
  version: integer('version').notNull().default(1),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}, (t) => [
  uniqueIndex('identities_ipp_idx').on(t.ippAuthority, t.ipp),
  index('identities_traits_idx').on(t.birthName, t.birthDate),
  index('identities_ins_idx').on(t.insMatricule),
]);

/** Identity documents checked by staff (ZFD-7), with their trust level. */
export const identityProofs = pgTable('identity_proofs', {
  id: uuid('id').primaryKey().defaultRandom(),
  identityId: uuid('identity_id').notNull().references(() => identities.id),
  type: text('type').notNull(),
  highTrust: boolean('high_trust').notNull(),
  expiresOn: text('expires_on'),
  checkedAt: timestamp('checked_at', { withTimezone: true }).notNull().defaultNow(),
  checkedBy: text('checked_by').notNull(),
  withdrawnAt: timestamp('withdrawn_at', { withTimezone: true }),
  withdrawnReason: text('withdrawn_reason'),
}, (t) => [index('identity_proofs_identity_idx').on(t.identityId)]);

/** IPP numbers allocated by the referential for identities it creates. */
export const ippSequence = pgSequence('ipp_seq', { startWith: 100000 });
