/**
 * The one error type of the Annuaire Santé client. `code` names the cause:
 * - `invalid_request`: our own check refused the query before any call (RPPS not 11 digits…);
 * - `bad_request`: the directory answered 400 with an OperationOutcome (its diagnostics in `reason`);
 * - `unauthorized` (401/403: API key or certificate refused), `not_found` (404);
 * - `rate_limited` (429), `unavailable` (5xx), `timeout`, `transport` (connection, TLS): retryable;
 * - `protocol`: an answer we cannot read (not JSON, not a Bundle).
 * `message` is French, for hospital staff. Carries no patient data (the directory holds none).
 */
import { DomainError } from '../../platform/errors.ts';

export type AnnuaireErrorCode =
  | 'invalid_request' | 'bad_request' | 'unauthorized' | 'not_found' | 'rate_limited' | 'unavailable' | 'timeout' | 'transport' | 'protocol';

const MESSAGES: Record<AnnuaireErrorCode, string> = {
  invalid_request: 'Recherche refusée avant tout appel à l’Annuaire Santé : critère invalide.',
  bad_request: 'L’Annuaire Santé a refusé la recherche comme incorrecte.',
  unauthorized: 'Accès refusé par l’Annuaire Santé : vérifiez la clé d’API (ESANTE-API-KEY) ou le certificat de l’établissement.',
  not_found: 'Ressource inconnue de l’Annuaire Santé : vérifiez l’adresse du service.',
  rate_limited: 'Trop de requêtes vers l’Annuaire Santé (limite de l’API atteinte). Réessayez dans quelques secondes.',
  unavailable: 'L’Annuaire Santé est temporairement indisponible. Réessayez dans quelques minutes.',
  timeout: 'L’Annuaire Santé n’a pas répondu dans le délai imparti. Réessayez plus tard.',
  transport: 'L’Annuaire Santé est injoignable (connexion ou échange TLS impossible). Vérifiez le réseau et le certificat de l’établissement.',
  protocol: 'Réponse illisible de l’Annuaire Santé. Contactez le support.',
};

const RETRYABLE: ReadonlySet<AnnuaireErrorCode> = new Set(['rate_limited', 'unavailable', 'timeout', 'transport']);

export interface AnnuaireErrorOptions {
  /** The directory's own text (OperationOutcome diagnostics) or the technical cause. */
  reason?: string;
  httpStatus?: number;
  cause?: unknown;
}

export class AnnuaireError extends DomainError {
  override readonly name = 'AnnuaireError';
  declare readonly code: AnnuaireErrorCode;
  readonly reason?: string;
  readonly httpStatus?: number;
  /** True when the same call may succeed later (service unavailable, network, rate limit). */
  readonly retryable: boolean;

  constructor(code: AnnuaireErrorCode, message?: string, options: AnnuaireErrorOptions = {}) {
    const text = message ?? (options.reason && code === 'bad_request' ? `${MESSAGES[code]} Motif : ${options.reason}` : MESSAGES[code]);
    super(code, text, code === 'invalid_request' ? 400 : 502, { retryable: RETRYABLE.has(code), ...(options.httpStatus ? { httpStatus: options.httpStatus } : {}) },
      options.cause === undefined ? undefined : { cause: options.cause });
    if (options.reason !== undefined) this.reason = options.reason;
    if (options.httpStatus !== undefined) this.httpStatus = options.httpStatus;
    this.retryable = RETRYABLE.has(code);
  }

  override get title(): string {
    return this.status === 400 ? 'Recherche dans l’Annuaire Santé refusée' : 'Échec de l’appel à l’Annuaire Santé';
  }
}

export const annuaireMessage = (code: AnnuaireErrorCode): string => MESSAGES[code];
