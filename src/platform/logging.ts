/**
 * JSON logs (pino). Convention: log ids, counts, codes and hashes — never identity traits,
 * matricules or document content. The redaction list is a safety net, not the rule.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

const REDACT = [
  '*.birthName', '*.usedName', '*.birthGivenNames', '*.givenNames', '*.birthDate', '*.matricule', '*.ins',
  '*.traits', '*.raw', '*.body', 'req.headers.authorization', 'req.headers.cookie',
];

export function createLogger(level: string = 'info'): Logger {
  return pino({ level, base: { service: 'passerelle' }, redact: { paths: REDACT, censor: '[redacted]' } });
}

/** A logger that writes nothing (tests, CLI commands that print their own output). */
export const silentLogger: Logger = pino({ level: 'silent' });
