import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { readRequestBody } from './body.ts';

describe('request body', () => {
  it('gives the body up to the limit, and says too large beyond it while still reading the rest', async () => {
    const server = createServer((req, res) => {
      void readRequestBody(req, 10).then((read) => res.end(read.tooLarge ? 'too large' : `got ${read.body.toString()}`));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      expect(await (await fetch(url, { method: 'POST', body: 'small' })).text()).toBe('got small');
      expect(await (await fetch(url, { method: 'POST', body: 'x'.repeat(100_000) })).text()).toBe('too large');
    } finally {
      server.close();
    }
  });
});
