/**
 * The segments of the TRANS volet messages that the PAM readers do not cover (HL7 v2.5/2.6
 * ch. 7 and 9; documents.md §7, mssante.md §5): OBX (observation: the CDA, the MetaDMPMSS
 * flags, the mail body), TXA (document header of MDM), ORC-1 (order control) and PRT
 * (participation: author, recipients, reply-to). Readers take one segment and never throw.
 */
import { component, readCwe, readEi, readXcn, readXon, type CWE, type EI, type XCN, type XON } from '../datatypes.ts';
import { nth, type Segment } from '../segment.ts';
import type { EncapsulatedData } from './ed.ts';

/** OBX (HL7 v2.5 §7.4.2). */
export interface Obx {
  /** OBX-1 as sent. */
  setId: string;
  /** OBX-2: ED, CE, CWE, XTN, RP… */
  valueType: string;
  /** OBX-3 */
  identifier: CWE;
  /** OBX-4 (ZAM: the acknowledged message's control id, or the recipient's idNatPs). */
  subId: string;
  /** OBX-5 first repetition, raw (escaped). */
  valueRaw: string;
  /** OBX-11: F final, C correction (replacement), D deletion. */
  resultStatus: string;
}

export function readObx(segment: Segment): Obx {
  return {
    setId: segment.value(1),
    valueType: segment.value(2),
    identifier: readCwe(segment.field(3), segment.encoding),
    subId: segment.value(4),
    valueRaw: segment.repetitions(5)[0] ?? '',
    resultStatus: segment.value(11),
  };
}

/** OBX-5 read as ED (components 1–5). */
export function obxEncapsulated(segment: Segment): EncapsulatedData {
  return {
    typeOfData: segment.value(5, 2),
    subtype: segment.value(5, 3),
    encoding: segment.value(5, 4),
    data: segment.value(5, 5),
  };
}

/** TXA (HL7 v2.6 §9.6.1), the fields the TRANS volet fills. */
export interface Txa {
  setId: string;
  /** TXA-2: document type (LOINC code), e.g. 18748-4. */
  documentType: CWE;
  /** TXA-3: TEXT… */
  contentPresentation: string;
  /** TXA-4: activity date-time. */
  activityDateTime: string;
  /** TXA-12: unique document number — the CDA id (uniqueId). */
  uniqueDocumentNumber: EI;
  /** TXA-13: parent document number — the replaced document (T10). */
  parentDocumentNumber: EI;
  /** TXA-17: document completion status (AU, LA…). */
  completionStatus: string;
  /** TXA-22: authentication person, time stamp (the legal authenticator's idNatPs in the examples). */
  authenticationPerson: string;
}

export function readTxa(segment: Segment): Txa {
  const enc = segment.encoding;
  return {
    setId: segment.value(1),
    documentType: readCwe(segment.field(2), enc),
    contentPresentation: segment.value(3),
    activityDateTime: segment.value(4),
    uniqueDocumentNumber: readEi(segment.repetitions(12)[0] ?? '', enc),
    parentDocumentNumber: readEi(segment.repetitions(13)[0] ?? '', enc),
    completionStatus: segment.value(17),
    authenticationPerson: segment.value(22),
  };
}

/** PRT-4 participation codes of the TRANS volet. */
export type ParticipationCode = 'SB' | 'RCT' | 'REPLY';

/** PRT (HL7 v2.7 §7.3.6, used in v2.5/2.6 by the TRANS volet). */
export interface Prt {
  /** PRT-4.1: SB (author/sender), RCT (recipient), REPLY (reply-to). */
  participation: string;
  /** PRT-5: the person (idNatPs, name, CX-9 authority, XCN-13 IDNPS/RPPS/INS). */
  person?: XCN;
  /** PRT-8: the organisation (XON-10: the structure id, e.g. FINESS). */
  organization?: XON;
  /** PRT-15: telecom; XTN-4 is the MSSanté address (`^^X.400^address` or `^NET^X.400^address`). */
  address?: string;
}

export function readPrt(segment: Segment): Prt {
  const enc = segment.encoding;
  const prt: Prt = { participation: segment.value(4, 1) };
  const person = segment.repetitions(5)[0];
  if (person !== undefined && person !== '') prt.person = readXcn(person, enc);
  const organization = segment.repetitions(8)[0];
  if (organization !== undefined && organization !== '') prt.organization = readXon(organization, enc);
  for (const telecom of segment.repetitions(15)) {
    const address = component(telecom, 4, enc).trim();
    if (address !== '') {
      prt.address = address;
      break;
    }
  }
  return prt;
}

/** ORC-1 order control: NW new, RO replacement, CA cancel (deletion); SC in volets 1.2/2.0. */
export const readOrderControl = (segment: Segment): string => segment.value(1).trim().toUpperCase();

/** XTN-4 of a raw OBX-5 (ZAM recipient). */
export const xtnAddress = (raw: string, segment: Segment): string => component(nth(raw, segment.encoding.repetition, 1), 4, segment.encoding).trim();
