/**
 * Assigning authorities of the matricule INS (identity.md §3; IHE France DT §N CX).
 * The OID, never the digits, tells a NIR from a NIA.
 */
export const INS_OID = {
  /** INS-NIR, production (also the authority of the billing NIR). */
  nir: '1.2.250.1.213.1.4.8',
  /** INS-NIA (person not yet registered with the RNIPP). */
  nia: '1.2.250.1.213.1.4.9',
  /** INS-NIR test: never designates a real patient. */
  test: '1.2.250.1.213.1.4.10',
  /** INS-NIR demonstration: never designates a real patient. */
  demo: '1.2.250.1.213.1.4.11',
} as const;

export type InsOid = (typeof INS_OID)[keyof typeof INS_OID];
export type InsAuthority = keyof typeof INS_OID;

const byOid = new Map<string, InsAuthority>(Object.entries(INS_OID).map(([k, v]) => [v, k as InsAuthority]));

export const insAuthorityOf = (oid: string): InsAuthority | undefined => byOid.get(oid);
export const isInsOid = (oid: string): oid is InsOid => byOid.has(oid);

/** HL7 v2 CX-4 namespace id for an INS OID (the ANS examples use the NIR name for test and demo). */
export const hl7NamespaceOf = (oid: InsOid): string =>
  oid === INS_OID.nia ? 'ASIP-SANTE-INS-NIA' : 'ASIP-SANTE-INS-NIR';

/** True for OIDs that never designate a real patient. */
export const isTestOid = (oid: string): boolean => oid === INS_OID.test || oid === INS_OID.demo;
