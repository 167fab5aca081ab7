/**
 * The result type of every pure codec in formats/: a value, or a typed error that names the
 * field and the rule it breaks. Codecs never throw on bad input.
 */
export type Result<T, E = FormatError> = { ok: true; value: T } | { ok: false; error: E };

/** A precise error: `field` names where (e.g. `PID-3`), `rule` says what was expected. */
export interface FormatError {
  field: string;
  rule: string;
}

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const fail = (field: string, rule: string): Result<never, FormatError> => ({ ok: false, error: { field, rule } });

/** `PID-3: INS key 80 does not match 26` */
export const describeError = (error: FormatError): string => `${error.field}: ${error.rule}`;
