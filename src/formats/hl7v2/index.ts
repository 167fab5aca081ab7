/**
 * HL7 v2 codec (ER7) with IHE PAM FR 2.11 typed access, acknowledgements and ITI-30 builders.
 * Pure and total: bad input gives a Result error naming segment/field and rule.
 */
export { DEFAULT_ENCODING, encodingCharactersText, readEncoding, type EncodingCharacters } from './encoding.ts';
export { escape, unescape, type UnescapeOptions } from './escape.ts';
export { Segment } from './segment.ts';
export { Hl7Message, type SegmentSeparator } from './message.ts';
export { parse } from './parse.ts';
export { serialize, type SerializeOptions } from './serialize.ts';
export { buildMessage, buildSegment, encodeField, type ComponentValue, type FieldValue, type Leaf, type RepetitionValue } from './build.ts';
export * from './datatypes.ts';
export { formatHl7DateTime, hl7DateTimeToIso, hl7DateToIso, isoDateToHl7 } from './datetime.ts';
export type { Issue } from './issue.ts';
export { HL7_ERROR_CODES, HL7_ERROR_TABLE, type Hl7ErrorCode } from './error-codes.ts';
export {
  ackErrorFrom, buildAck, buildAckForUnparseable, locationOf, readAck, readErr,
  type AckCode, type AckError, type AckParams, type AckRead, type ErrRead, type ErrorLocation, type Severity, type UnparseableAckParams,
} from './ack.ts';
export { messageHeader, readMsh, type Msh } from './segments/msh.ts';
export { readEvn, type Evn } from './segments/evn.ts';
export { insIsUsable, readPid, type IdentityAttribute, type IdentityStatus, type InsIdentifier, type Pid } from './segments/pid.ts';
export { readPd1, type Pd1 } from './segments/pd1.ts';
export { readPv1, type Pv1 } from './segments/pv1.ts';
export { readZbe, type Zbe } from './segments/zbe.ts';
export { readZfa, type Zfa } from './segments/zfa.ts';
export { readZfd, type Zfd } from './segments/zfd.ts';
export { readMrg, type Mrg } from './segments/mrg.ts';
export type {
  AssigningAuthority, IdentityAcquisitionMode, InsValue, PamAddress, PamHeader, PamPatient, PatientIdentifier, ProofType, Sex,
} from './pam/patient.ts';
export { buildA28 } from './pam/a28.ts';
export { buildA31 } from './pam/a31.ts';
export { buildA47, type InsChange } from './pam/a47.ts';
export { buildA40, type AbsorbedPatient } from './pam/a40.ts';
export { identifierOf, readPamMessage, type PamMerge, type PamRead, type PamStay } from './pam/read.ts';
// CDA documents in HL7 v2 (TRANS volet: ORU^R01, MDM^T02/T04/T10) and the PFI's business acknowledgements (ZAM^Z01/Z02/Z03).
export {
  blockingIssues, readDocumentMessage,
  type CarriedDocument, type DocumentAction, type DocumentMessage, type DocumentParticipant, type DocumentRouting, type DocumentVisibility,
} from './documents/read.ts';
export { META_DMP_MSS, META_DMP_MSS_ALIASES, metaDmpMssCode, type MetaDmpMssCode, type MetaDmpMssFlag } from './documents/meta-dmp-mss.ts';
export { decodeEncapsulated, type EncapsulatedData } from './documents/ed.ts';
export { readObx, readPrt, readTxa, type Obx, type ParticipationCode, type Prt, type Txa } from './documents/segments.ts';
export {
  ACK_METIER_ZAM, buildZam, DEFAULT_ZAM_PROFILE, readZam, ZAM_ERROR_TABLE, type AckMetierZamCode, type ZamParams, type ZamRead, type ZamType,
} from './documents/zam.ts';
