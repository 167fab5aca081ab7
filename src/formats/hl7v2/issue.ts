import type { FormatError } from '../result.ts';

/** A finding about message content that does not stop reading it. */
export interface Issue extends FormatError {
  severity: 'error' | 'warning';
}

export const warning = (field: string, rule: string): Issue => ({ field, rule, severity: 'warning' });
export const error = (field: string, rule: string): Issue => ({ field, rule, severity: 'error' });
