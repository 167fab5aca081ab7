/** HL7 table 0357 — message error condition codes (ERR-3), HL7 v2.5. */
export const HL7_ERROR_CODES = {
  0: 'Message accepted',
  100: 'Segment sequence error',
  101: 'Required field missing',
  102: 'Data type error',
  103: 'Table value not found',
  200: 'Unsupported message type',
  201: 'Unsupported event code',
  202: 'Unsupported processing id',
  203: 'Unsupported version id',
  204: 'Unknown key identifier',
  205: 'Duplicate key identifier',
  206: 'Application record locked',
  207: 'Application internal error',
} as const;

export type Hl7ErrorCode = keyof typeof HL7_ERROR_CODES;

export const HL7_ERROR_TABLE = 'HL70357';
