import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createMllpClient, type MllpClient, type MllpClientOptions } from './client.ts';
import { MllpConnectionError, MllpTimeoutError } from './errors.ts';
import { MllpDecoder, encodeMllpFrame } from './framing.ts';
import { createMllpServer } from './server.ts';

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function client(options: Omit<MllpClientOptions, 'host'>): MllpClient {
  const mllpClient = createMllpClient({ host: '127.0.0.1', ...options });
  cleanups.push(() => mllpClient.destroy());
  return mllpClient;
}

/**
 * A hand-written peer: `onMessage(message, connectionIndex, socket)` decides what to answer.
 * Keeps a log of what arrived and when, to check the client's discipline from the outside.
 */
async function rawPeer(onMessage: (message: string, connectionIndex: number, socket: net.Socket) => void) {
  const log: Array<{ connection: number; message: string }> = [];
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    const connection = connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const decoder = new MllpDecoder();
    socket.on('data', (chunk: Buffer) => {
      for (const event of decoder.push(chunk)) {
        if (event.kind !== 'message') continue;
        const message = event.message.toString();
        log.push({ connection, message });
        onMessage(message, connection, socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as net.AddressInfo).port, log, connections: () => connections };
}

const reply = (socket: net.Socket, text: string): void => {
  if (!socket.destroyed) socket.write(encodeMllpFrame(text));
};

describe('MLLP client', () => {
  it('resolves with the ACK bytes, reusing one connection', async () => {
    const server = createMllpServer({ handler: async (message) => Buffer.concat([Buffer.from('ACK:'), message]) });
    const port = await server.listen(0);
    cleanups.push(() => server.close({ timeoutMs: 500 }));
    const mllpClient = client({ port });
    expect(mllpClient.connected).toBe(false);
    expect((await mllpClient.send('one')).toString()).toBe('ACK:one');
    expect((await mllpClient.send(Buffer.from('two'))).toString()).toBe('ACK:two');
    expect(mllpClient.connected).toBe(true);
    expect(server.counters.connectionsAccepted).toBe(1);
  });

  it('keeps one message in flight: concurrent sends queue and go out in call order', async () => {
    const peer = await rawPeer((message, _connection, socket) => {
      setTimeout(() => reply(socket, `ACK:${message}`), 15 + Math.floor(Math.random() * 15));
    });
    const mllpClient = client({ port: peer.port });
    const texts = Array.from({ length: 10 }, (_, index) => `m${index}`);
    const acks = await Promise.all(texts.map((text) => mllpClient.send(text)));
    expect(acks.map((ack) => ack.toString())).toEqual(texts.map((text) => `ACK:${text}`));
    expect(peer.log.map((entry) => entry.message)).toEqual(texts);
    expect(peer.connections()).toBe(1);
  });

  it('never writes the next message before the ACK of the previous one', async () => {
    let pendingAcks = 0;
    let violations = 0;
    const peer = await rawPeer((message, _connection, socket) => {
      if (pendingAcks > 0) violations += 1;
      pendingAcks += 1;
      setTimeout(() => {
        pendingAcks -= 1;
        reply(socket, `ACK:${message}`);
      }, 20);
    });
    const mllpClient = client({ port: peer.port });
    await Promise.all(['a', 'b', 'c', 'd'].map((text) => mllpClient.send(text)));
    expect(violations).toBe(0);
  });

  it('on ACK timeout rejects with MllpTimeoutError, drops the connection, and never pairs the late ACK with the next message', async () => {
    const peer = await rawPeer((message, connection, socket) => {
      if (connection === 0) setTimeout(() => reply(socket, 'STALE'), 200); // far too late
      else reply(socket, `ACK:${message}`);
    });
    const mllpClient = client({ port: peer.port, ackTimeoutMs: 80 });
    const first = mllpClient.send('first');
    const second = mllpClient.send('second'); // queued behind the one that times out
    await expect(first).rejects.toBeInstanceOf(MllpTimeoutError);
    await expect(first).rejects.toMatchObject({ timeoutMs: 80 });
    expect((await second).toString()).toBe('ACK:second');
    await sleep(250); // the stale ACK's moment has passed
    expect((await mllpClient.send('third')).toString()).toBe('ACK:third');
    expect(peer.log).toEqual([
      { connection: 0, message: 'first' },
      { connection: 1, message: 'second' },
      { connection: 1, message: 'third' },
    ]);
  });

  it('rejects with MllpConnectionError when nobody listens, then works once the server is up', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    const mllpClient = client({ port });
    const failure = mllpClient.send('x');
    await expect(failure).rejects.toBeInstanceOf(MllpConnectionError);
    await expect(failure).rejects.toMatchObject({ code: 'connect-failed', maybeDelivered: false });

    const server = createMllpServer({ handler: async (message) => message });
    await server.listen(port);
    cleanups.push(() => server.close({ timeoutMs: 500 }));
    expect((await mllpClient.send('y')).toString()).toBe('y');
  });

  it('rejects with MllpConnectionError (maybe delivered) when the server drops the connection before acknowledging', async () => {
    const peer = await rawPeer((message, connection, socket) => {
      if (connection === 0) socket.destroy();
      else reply(socket, `ACK:${message}`);
    });
    const mllpClient = client({ port: peer.port });
    const failure = mllpClient.send('lost');
    await expect(failure).rejects.toBeInstanceOf(MllpConnectionError);
    await expect(failure).rejects.toMatchObject({ maybeDelivered: true });
    expect((await mllpClient.send('retry')).toString()).toBe('ACK:retry');
  });

  it('reconnects transparently after the server closed an idle connection', async () => {
    const server = createMllpServer({ idleTimeoutMs: 50, handler: async (message) => message });
    const port = await server.listen(0);
    cleanups.push(() => server.close({ timeoutMs: 500 }));
    const mllpClient = client({ port });
    expect((await mllpClient.send('a')).toString()).toBe('a');
    await sleep(200);
    expect(mllpClient.connected).toBe(false);
    expect((await mllpClient.send('b')).toString()).toBe('b');
    expect(server.counters.connectionsAccepted).toBe(2);
  });

  it('times out a connection that never completes (TLS handshake unanswered)', async () => {
    const silent = net.createServer((socket) => socket.on('error', () => undefined));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => silent.close(() => resolve())));
    silent.on('connection', (socket) => cleanups.push(() => void socket.destroy()));
    const mllpClient = client({ port: (silent.address() as net.AddressInfo).port, tls: {}, connectTimeoutMs: 100 });
    await expect(mllpClient.send('x')).rejects.toMatchObject({ name: 'MllpConnectionError', code: 'connect-timeout' });
  });

  it('reports an ACK that arrives when none is awaited and drops that out-of-step connection', async () => {
    const errors: Error[] = [];
    const peer = await rawPeer((message, _connection, socket) => {
      reply(socket, `ACK:${message}`);
      reply(socket, 'EXTRA');
    });
    const mllpClient = client({ port: peer.port, onError: (error) => errors.push(error) });
    expect((await mllpClient.send('a')).toString()).toBe('ACK:a');
    await sleep(30);
    expect(errors).toMatchObject([{ name: 'MllpFramingError', code: 'unsolicited-message', byteCount: 5 }]);
    expect((await mllpClient.send('b')).toString()).toBe('ACK:b');
    expect(peer.log).toEqual([
      { connection: 0, message: 'a' },
      { connection: 1, message: 'b' },
    ]);
  });

  it('refuses a message holding a framing byte without touching the connection', async () => {
    const mllpClient = client({ port: 1 });
    await expect(mllpClient.send('a\x1cb')).rejects.toBeInstanceOf(RangeError);
  });

  it('close() lets queued sends finish, then refuses new ones', async () => {
    const peer = await rawPeer((message, _connection, socket) => setTimeout(() => reply(socket, `ACK:${message}`), 10));
    const mllpClient = client({ port: peer.port });
    const sends = [mllpClient.send('a'), mllpClient.send('b')];
    await mllpClient.close();
    expect((await Promise.all(sends)).map(String)).toEqual(['ACK:a', 'ACK:b']);
    expect(mllpClient.connected).toBe(false);
    await expect(mllpClient.send('c')).rejects.toMatchObject({ code: 'client-closed' });
  });

  it('destroy() rejects the send in flight and the queued ones', async () => {
    const peer = await rawPeer(() => undefined); // never answers
    const mllpClient = client({ port: peer.port });
    const sends = [mllpClient.send('a'), mllpClient.send('b')];
    await sleep(50);
    mllpClient.destroy();
    const results = await Promise.allSettled(sends);
    expect(results.map((result) => result.status === 'rejected' && (result.reason as MllpConnectionError).code)).toEqual([
      'client-closed',
      'client-closed',
    ]);
  });
});
