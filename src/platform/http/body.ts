/**
 * The body of an incoming request, kept in memory up to a limit: beyond it the rest is read and
 * dropped (the client gets its answer, 413, instead of a reset connection).
 */
import type { IncomingMessage } from 'node:http';

export type RequestBody = { body: Buffer; tooLarge: false } | { tooLarge: true };

/** Resolves when the request has been read; rejects if the connection fails mid-body. */
export function readRequestBody(req: IncomingMessage, maxBytes: number): Promise<RequestBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => resolve(size > maxBytes ? { tooLarge: true } : { body: Buffer.concat(chunks), tooLarge: false }));
  });
}
