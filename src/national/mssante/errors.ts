/**
 * The one error type of the MSSanté client and receiver. `code` names the cause:
 *
 * - `invalid_sending`: recipients / visibility / documents refused before any connection
 *   (mssante.md §5.1), not retryable;
 * - `smtp_temporary` (4xx answer) and `transport` (connection, TLS, timeout): retryable;
 * - `smtp_refused` (5xx answer, every recipient refused), `authentication` (certificate or
 *   login refused): not retryable — the configuration or the addresses must change;
 * - `imap` (protocol error of the mailbox server), retryable.
 *
 * `message` is French, for hospital staff; `reason` carries the server's own answer. No patient
 * trait, no address of a patient in messages or logs.
 */
import { DomainError } from '../../platform/errors.ts';

export type MssanteErrorCode = 'invalid_sending' | 'smtp_temporary' | 'smtp_refused' | 'transport' | 'authentication' | 'imap';

const RETRYABLE: Record<MssanteErrorCode, boolean> = {
  invalid_sending: false,
  smtp_temporary: true,
  smtp_refused: false,
  transport: true,
  authentication: false,
  imap: true,
};

const DEFAULT_MESSAGE: Record<MssanteErrorCode, string> = {
  invalid_sending: 'Envoi MSSanté refusé : destinataires ou documents incohérents.',
  smtp_temporary: 'Le serveur MSSanté de l’opérateur refuse temporairement le message ; il sera renvoyé automatiquement.',
  smtp_refused: 'Le serveur MSSanté de l’opérateur refuse définitivement le message.',
  transport: 'Le serveur MSSanté de l’opérateur est injoignable (réseau, TLS ou délai dépassé) ; nouvel essai automatique.',
  authentication: 'Authentification refusée par l’opérateur MSSanté : vérifier le certificat de la boîte applicative et son identifiant.',
  imap: 'Erreur du serveur de messagerie MSSanté lors de la relève ; nouvel essai automatique.',
};

export interface MssanteErrorOptions {
  reason?: string;
  /** SMTP reply code when the server answered. */
  responseCode?: number;
  cause?: unknown;
  details?: Record<string, unknown>;
}

export class MssanteError extends DomainError {
  override readonly name = 'MssanteError';
  readonly retryable: boolean;
  readonly reason?: string;
  readonly responseCode?: number;

  constructor(readonly mssanteCode: MssanteErrorCode, message?: string, options: MssanteErrorOptions = {}) {
    super(mssanteCode, message ?? DEFAULT_MESSAGE[mssanteCode], mssanteCode === 'invalid_sending' ? 400 : 502, { retryable: RETRYABLE[mssanteCode], ...(options.details ?? {}) },
      options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = RETRYABLE[mssanteCode];
    if (options.reason !== undefined) this.reason = options.reason;
    if (options.responseCode !== undefined) this.responseCode = options.responseCode;
  }

  override get title(): string {
    return this.status === 400 ? 'Envoi MSSanté refusé' : 'Échec d’échange avec l’opérateur MSSanté';
  }
}
