import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTestPki, type TestPki } from '../pki/index.ts';
import { createHttpsClient, HttpTimeoutError } from './client.ts';

let pki: TestPki;
let dir: string;
let server: Server;
let url: URL;
const sockets = new Set<Socket>();
let requests = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'https-client-'));
  pki = await ensureTestPki(dir);
  server = createServer({ ...pki.server, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    requests++;
    if (req.url === '/slow') { setTimeout(() => res.end('late'), 500); return; }
    const cn = (req.socket as import('node:tls').TLSSocket).getPeerCertificate().subject?.CN;
    res.end(`hello ${cn}`);
  });
  server.on('connection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = new URL(`https://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}/`);
});
afterAll(async () => { server.close(); await rm(dir, { recursive: true, force: true }); });

describe('HTTPS client of the national services', () => {
  it('presents the client certificate and reads the answer', async () => {
    const http = createHttpsClient({ tls: { ...pki.clients.establishment, ca: pki.ca.cert }, timeoutMs: 2_000 });
    const answer = await http.exchange(url, { method: 'GET' });
    expect(answer.status).toBe(200);
    expect(answer.body.toString()).toBe('hello PASSERELLE ETABLISSEMENT DE TEST');
    http.close();
  });

  it('sends again, once, when the server had closed the kept-alive socket', async () => {
    const http = createHttpsClient({ tls: { ...pki.clients.establishment, ca: pki.ca.cert }, timeoutMs: 2_000 });
    await http.exchange(url, { method: 'POST', body: Buffer.from('a') });
    // The server drops every idle connection abruptly: the next request on the pooled socket meets ECONNRESET.
    for (const s of sockets) s.resetAndDestroy();
    const before = requests;
    const answer = await http.exchange(url, { method: 'POST', body: Buffer.from('b') });
    expect(answer.status).toBe(200);
    expect(requests - before).toBe(1);
    http.close();
  });

  it('gives up at the deadline with HttpTimeoutError, and fails with the socket error when nobody listens', async () => {
    const http = createHttpsClient({ tls: { ...pki.clients.establishment, ca: pki.ca.cert }, timeoutMs: 100 });
    await expect(http.exchange(new URL('/slow', url), { method: 'GET' })).rejects.toBeInstanceOf(HttpTimeoutError);
    await expect(http.exchange(new URL('https://127.0.0.1:1/'), { method: 'GET' })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    http.close();
  });
});
