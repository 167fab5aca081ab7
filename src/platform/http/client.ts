/**
 * One HTTPS exchange with a national service, as every client needs it: mutual TLS with the
 * establishment's certificate, kept-alive connections, a deadline for the whole exchange, and
 * one transparent retry when a kept-alive socket turns out to have been closed by the server
 * (ECONNRESET on a reused socket: the request never reached the application).
 *
 * Failures are left to the caller to name in its own terms: a `HttpTimeoutError` when the
 * deadline passed, otherwise the socket's own error (ECONNREFUSED, certificate errors…).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';

export interface HttpsClientOptions {
  /** PEM client certificate and key; `ca` to trust a private CA. */
  tls: { cert?: string; key?: string; ca?: string };
  timeoutMs: number;
  maxSockets?: number;
}

export interface HttpsAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export class HttpTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
  }
}

export interface HttpsClient {
  exchange(url: URL, init: { method: 'GET' | 'POST'; headers?: Record<string, string | number>; body?: Buffer }): Promise<HttpsAnswer>;
  /** Closes the kept-alive connections. */
  close(): void;
}

export function createHttpsClient(options: HttpsClientOptions): HttpsClient {
  const { tls, timeoutMs } = options;
  const agent = new Agent({
    keepAlive: true, maxSockets: options.maxSockets ?? 8,
    ...(tls.cert ? { cert: tls.cert } : {}), ...(tls.key ? { key: tls.key } : {}), ...(tls.ca ? { ca: tls.ca } : {}),
  });

  type Init = Parameters<HttpsClient['exchange']>[1];
  const send = (url: URL, init: Init, attempt: number): Promise<HttpsAnswer> =>
    new Promise((resolve, reject) => {
      let settled = false;
      const headers = { ...(init.headers ?? {}), ...(init.body ? { 'content-length': init.body.length } : {}) };
      const req = httpsRequest(url, { method: init.method, agent, headers });
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        req.destroy();
        reject(new HttpTimeoutError(timeoutMs));
      }, timeoutMs);
      const done = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        fn();
      };
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (error) => done(() => reject(error)));
        res.on('end', () => done(() => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) })));
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (settled) return;
        if (attempt === 0 && req.reusedSocket && error.code === 'ECONNRESET') {
          settled = true;
          clearTimeout(timer);
          send(url, init, 1).then(resolve, reject);
          return;
        }
        done(() => reject(error));
      });
      req.end(init.body);
    });

  return { exchange: (url, init) => send(url, init, 0), close: () => agent.destroy() };
}
