/** The identity as the rest of the platform sees it. */
import type { InsTraits } from '../formats/ins/index.ts';
import type { IdentityAttribute, IdentityStatus } from './rniv.ts';
import type { identities } from './tables.ts';

export interface Identity {
  id: string;
  ipp: string;
  ippAuthority: string;
  status: IdentityStatus;
  attributes: IdentityAttribute[];
  traits: InsTraits;
  usedName?: string;
  usedGivenName?: string;
  /** Present only when the identity is qualifiée: the only status allowed to carry it. */
  ins?: { matricule: string; oid: string };
  /** Whether INSi returned an INS that the current status does not allow to use (récupérée). */
  insRetrieved: boolean;
  insAcquisition?: string;
  insiCheckedAt?: string;
  /** The high-trust identity document checked (ZFD-7 code), when there is one. */
  proof?: { type: string; expiresOn?: string };
  mergedInto?: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export type IdentityRow = typeof identities.$inferSelect;

export function toIdentity(row: IdentityRow): Identity {
  const identity: Identity = {
    id: row.id,
    ipp: row.ipp,
    ippAuthority: row.ippAuthority,
    status: row.status,
    attributes: row.attributes as IdentityAttribute[],
    traits: {
      birthName: row.birthName,
      birthGivenNames: row.birthGivenNames,
      birthDate: row.birthDate,
      sex: row.sex,
      ...(row.birthplace ? { birthplace: row.birthplace } : {}),
    },
    insRetrieved: row.insMatricule !== null,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
  if (row.usedName) identity.usedName = row.usedName;
  if (row.usedGivenName) identity.usedGivenName = row.usedGivenName;
  if (row.status === 'QUAL' && row.insMatricule && row.insOid) identity.ins = { matricule: row.insMatricule, oid: row.insOid };
  if (row.insAcquisition) identity.insAcquisition = row.insAcquisition;
  if (row.insiCheckedAt) identity.insiCheckedAt = row.insiCheckedAt.toISOString();
  if (row.highTrustProof && row.proofType) identity.proof = { type: row.proofType, ...(row.proofExpiresOn ? { expiresOn: row.proofExpiresOn } : {}) };
  if (row.mergedInto) identity.mergedInto = row.mergedInto;
  return identity;
}
