/**
 * The one error type of the INSi client. `code` names the cause precisely (service code such
 * as `siram_100`, `desir_550`, `DESIR_560`, `insi_102`; SOAP/WS-Addressing code such as
 * `Sender`, `ActionNotSupported`; or ours: `transport`, `protocol`, `invalid_request`);
 * `message` is French, for hospital staff; `reason` is the service's own text when there is one.
 * Carries no patient trait.
 */
import { DomainError } from '../../platform/errors.ts';
import { insiFaultMessage, isRetryable } from './codes.ts';

export interface InsiErrorOptions {
  reason?: string;
  /** The SOAP Subcode (e.g. siram_100) when the service sent one. */
  subcode?: string;
  /** HTTP status of the answer, when there was one. */
  httpStatus?: number;
  messageId?: string;
  cause?: unknown;
}

export class InsiError extends DomainError {
  override readonly name = 'InsiError';
  readonly reason?: string;
  readonly subcode?: string;
  readonly httpStatus?: number;
  readonly messageId?: string;
  /** True when the same call may succeed later (service unavailable, network). */
  readonly retryable: boolean;

  constructor(code: string, message?: string, options: InsiErrorOptions = {}) {
    // invalid_request: the traits were refused before any call; otherwise INSi itself failed (502).
    super(code, message ?? insiFaultMessage(code, options.reason), code === 'invalid_request' ? 400 : 502, { retryable: isRetryable(code) },
      options.cause === undefined ? undefined : { cause: options.cause });
    if (options.reason !== undefined) this.reason = options.reason;
    if (options.subcode !== undefined) this.subcode = options.subcode;
    if (options.httpStatus !== undefined) this.httpStatus = options.httpStatus;
    if (options.messageId !== undefined) this.messageId = options.messageId;
    this.retryable = isRetryable(code);
  }

  override get title(): string {
    return this.status === 400 ? 'Recherche INSi refusée : traits invalides' : 'Échec de l’appel au téléservice INSi';
  }
}
