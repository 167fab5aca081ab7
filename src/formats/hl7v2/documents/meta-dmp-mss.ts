/**
 * Table `MetaDMPMSS` of the TRANS volet (mssante.md §5; TRANS `meta-dmp-mss.md`): the OBX-3
 * codes a producer sends with a CDA to tell the PFI where the document goes (DMP, MSSanté to
 * professionals, to the patient), who may see it and which receipts it wants. Values are
 * `Y`/`N` (`expandedYes-NoIndicator`, HL70136 in volet 2.0).
 *
 * Volet 1.2 spelled two codes differently (`INVISIBLE_REPRESENTANTS_LEGAUX`,
 * `MODIF_CONFIDENTIALITYCODE`) and the LPS volet 1.0 wrote `ACK_LECTURE`: they are read as
 * the current codes.
 */
export const META_DMP_MSS = {
  MASQUE_PS: 'maskedFromProfessionals',
  INVISIBLE_PATIENT: 'invisibleToPatient',
  INVISIBLE_REP_LEGAUX: 'invisibleToLegalRepresentatives',
  CONNEXION_SECRETE: 'secretConnection',
  MODIF_CONF_CODE: 'confidentialityChange',
  DESTDMP: 'dmp',
  DESTMSSANTEPS: 'mssanteProfessionals',
  DESTMSSANTEPAT: 'mssantePatient',
  ACK_RECEPTION: 'receptionAck',
  ACK_LECTURE_MSS: 'readingAck',
} as const;

export type MetaDmpMssCode = keyof typeof META_DMP_MSS;
export type MetaDmpMssFlag = (typeof META_DMP_MSS)[MetaDmpMssCode];

/** Older spellings found in the official examples → current code. */
export const META_DMP_MSS_ALIASES: Readonly<Record<string, MetaDmpMssCode>> = {
  INVISIBLE_REPRESENTANTS_LEGAUX: 'INVISIBLE_REP_LEGAUX',
  MODIF_CONFIDENTIALITYCODE: 'MODIF_CONF_CODE',
  ACK_LECTURE: 'ACK_LECTURE_MSS',
};

/** Mail bodies (ED, base64) of the same table. */
export const MAIL_BODY_CODES = { CORPSMAIL_PS: 'professionals', CORPSMAIL_PATIENT: 'patient' } as const;

/** The canonical MetaDMPMSS code of an OBX-3.1, or undefined. */
export function metaDmpMssCode(code: string): MetaDmpMssCode | undefined {
  const upper = code.trim().toUpperCase();
  if (Object.hasOwn(META_DMP_MSS, upper)) return upper as MetaDmpMssCode;
  return META_DMP_MSS_ALIASES[upper];
}
