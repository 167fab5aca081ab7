/**
 * The one patient model shared by PAM FR inbound (reader) and outbound (ITI-30 builders).
 * Dates are ISO (`YYYY-MM-DD`); codes are the PAM FR ones (identity.md §5, §7).
 */
import type { IdentityAttribute, IdentityStatus } from '../segments/pid.ts';

export type { IdentityAttribute, IdentityStatus };
export type Sex = 'M' | 'F' | 'U';

/** CX-4: namespace, OID (or FINESS), universal id type (`ISO`, `M` FINESS EJ, `N` FINESS EG, `L`). */
export interface AssigningAuthority {
  namespace: string;
  oid?: string;
  type?: string;
}

export interface PatientIdentifier {
  id: string;
  authority: AssigningAuthority;
}

/** Matricule INS (15 characters) and its OID (1.2.250.1.213.1.4.8 / .9 / .10 / .11). */
export interface InsValue {
  matricule: string;
  oid: string;
}

export interface PamAddress {
  street?: string;
  otherDesignation?: string;
  city?: string;
  postalCode?: string;
  country?: string;
}

/** ZFD-5 */
export type IdentityAcquisitionMode = 'SM' | 'CV' | 'INSI' | 'CB' | 'RFID';
/** ZFD-7 */
export type ProofType = 'AN' | 'CC' | 'CE' | 'CM' | 'CN' | 'CS' | 'LE' | 'PA' | 'PC' | 'TC' | 'AV' | 'DC' | 'AC' | 'IE';

export interface PamPatient {
  /** IPP: PID-3 with CX-5 = PI. */
  ipp: PatientIdentifier;
  /** INS: emitted only for a qualified identity (status VALI). */
  ins?: InsValue;
  /** PID-5 type L family name. */
  birthName: string;
  /** PID-5 type D family name. */
  usedName?: string;
  /** PID-5 L XPN-2. */
  firstGivenName: string;
  /** PID-5 L XPN-3: space-separated list of birth prénoms. */
  birthGivenNames: string;
  /** PID-5 D XPN-2. */
  usedGivenName?: string;
  /** XPN-5 civilité (`M.`, `Mme`). */
  civility?: string;
  /** PID-7, `YYYY-MM-DD` (or `''` when unknown on receipt). */
  birthDate: string;
  sex: Sex;
  /** PID-11 BDL XAD-9. */
  birthplaceCog?: string;
  /** PID-11 type H. */
  address?: PamAddress;
  /** PID-32 repetition 1. */
  status: IdentityStatus;
  /** PID-32 further repetitions. */
  attributes: IdentityAttribute[];
  /** ZFD-5 / ZFD-6. */
  insiCall?: { date?: string; mode: IdentityAcquisitionMode };
  /** ZFD-7 / ZFD-8. */
  proof?: { type: ProofType; expiry?: string };
  /** PD1-12 = Y: the patient asked that their presence not be disclosed. */
  confidential?: boolean;
}

/** Message-level parameters of an outbound message. */
export interface PamHeader {
  sendingApplication: string;
  sendingFacility: string;
  receivingApplication: string;
  receivingFacility: string;
  /** MSH-10 */
  controlId: string;
  /** MSH-7 and EVN-2. */
  timestamp: Date;
  /** EVN-6 (default: timestamp). */
  eventOccurred?: Date;
  /** MSH-11: P (default), D, T. */
  processingId?: 'P' | 'D' | 'T';
  /** Default Europe/Paris. */
  timeZone?: string;
}
