/** The `code` of a Node system/TLS error (ECONNRESET…), else the error's name: safe to put in messages. */
export function errorCode(error: unknown): string {
  if (error && typeof error === 'object') {
    const { code } = error as { code?: unknown };
    if (typeof code === 'string') return code;
  }
  return error instanceof Error ? error.name : 'unknown';
}
