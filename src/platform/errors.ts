/**
 * An error meant for the people who use Passerelle: a stable machine code, a French message,
 * the HTTP status it maps to, and details naming the field and the rule. Domain modules extend
 * it; the HTTP layer turns it into problem+json without knowing the module.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Short French title of the problem (defaults to the message). */
  get title(): string {
    return this.message;
  }
}
