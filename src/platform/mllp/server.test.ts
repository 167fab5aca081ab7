import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createMllpClient, type MllpClient } from './client.ts';
import { MllpFramingError, MllpHandlerError } from './errors.ts';
import { MllpDecoder, encodeMllpFrame } from './framing.ts';
import { createMllpServer, type MllpHandler, type MllpServer, type MllpServerOptions } from './server.ts';

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startServer(options: MllpServerOptions): Promise<{ server: MllpServer; port: number }> {
  const server = createMllpServer(options);
  const port = await server.listen(0);
  cleanups.push(() => server.close({ timeoutMs: 500 }));
  return { server, port };
}

function client(port: number): MllpClient {
  const mllpClient = createMllpClient({ host: '127.0.0.1', port, ackTimeoutMs: 2_000 });
  cleanups.push(() => mllpClient.destroy());
  return mllpClient;
}

/** Echo handler: ACK = "ACK:" + message. */
const echo: MllpHandler = async (message) => Buffer.concat([Buffer.from('ACK:'), message]);

/** A plain socket speaking raw bytes, collecting the frames it receives. */
async function rawConnection(port: number) {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  cleanups.push(() => void socket.destroy());
  const decoder = new MllpDecoder();
  const frames: string[] = [];
  let waiter: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    for (const event of decoder.push(chunk)) if (event.kind === 'message') frames.push(event.message.toString('latin1'));
    waiter?.();
  });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    socket,
    frames,
    closed,
    async waitForFrames(count: number, timeoutMs = 3_000): Promise<string[]> {
      const deadline = Date.now() + timeoutMs;
      while (frames.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} frames, got ${frames.length}`);
        await new Promise<void>((resolve) => {
          waiter = resolve;
          setTimeout(resolve, 20);
        });
      }
      return frames.slice(0, count);
    },
  };
}

describe('MLLP server framing over real sockets', () => {
  it('reassembles a frame written byte by byte', async () => {
    const { port } = await startServer({ handler: echo });
    const raw = await rawConnection(port);
    for (const byte of encodeMllpFrame('MSH|^~\\&|byte-by-byte\r')) {
      raw.socket.write(Buffer.from([byte]));
      await sleep(1);
    }
    expect(await raw.waitForFrames(1)).toEqual(['ACK:MSH|^~\\&|byte-by-byte\r']);
  });

  it('answers three frames sent in one write, in order', async () => {
    const { server, port } = await startServer({ handler: echo });
    const raw = await rawConnection(port);
    raw.socket.write(Buffer.concat(['one', 'two', 'three'].map((text) => encodeMllpFrame(text))));
    expect(await raw.waitForFrames(3)).toEqual(['ACK:one', 'ACK:two', 'ACK:three']);
    expect(server.counters).toMatchObject({ connectionsAccepted: 1, messagesReceived: 3, acksSent: 3 });
  });

  it('passes 8-bit bytes through untouched (no charset decoding)', async () => {
    const received: Buffer[] = [];
    const { port } = await startServer({
      handler: async (message) => {
        received.push(message);
        return message;
      },
    });
    const latin9 = Buffer.from([0x4d, 0x53, 0x48, 0xa4, 0xbd, 0xe9, 0x0d]);
    expect(await client(port).send(latin9)).toEqual(latin9);
    expect(received).toEqual([latin9]);
  });

  it('reports junk between frames without closing the connection', async () => {
    const errors: Error[] = [];
    const { port } = await startServer({ handler: echo, onError: (error) => errors.push(error) });
    const raw = await rawConnection(port);
    raw.socket.write(Buffer.concat([Buffer.from('noise'), encodeMllpFrame('a'), Buffer.from('\n'), encodeMllpFrame('b')]));
    expect(await raw.waitForFrames(2)).toEqual(['ACK:a', 'ACK:b']);
    expect(errors.map((error) => error instanceof MllpFramingError && [error.code, error.byteCount])).toEqual([
      ['junk', 5],
      ['junk', 1],
    ]);
  });
});

describe('MLLP server ordering and back-pressure', () => {
  it('handles one message at a time per connection and acknowledges in arrival order despite varying latency', async () => {
    let active = 0;
    let maxActive = 0;
    const { port } = await startServer({
      handler: async (message) => {
        active += 1;
        maxActive = Math.max(maxActive, active);
        await sleep(Math.floor(Math.random() * 8));
        active -= 1;
        return Buffer.concat([Buffer.from('ACK:'), message]);
      },
    });
    const texts = Array.from({ length: 40 }, (_, index) => `msg-${index}`);
    const raw = await rawConnection(port);
    // Half in one burst, the rest trickling in while the first ones are being handled.
    raw.socket.write(Buffer.concat(texts.slice(0, 20).map((text) => encodeMllpFrame(text))));
    for (const text of texts.slice(20)) {
      raw.socket.write(encodeMllpFrame(text));
      await sleep(Math.floor(Math.random() * 3));
    }
    expect(await raw.waitForFrames(40, 5_000)).toEqual(texts.map((text) => `ACK:${text}`));
    expect(maxActive).toBe(1);
  });

  it('handles different connections concurrently', async () => {
    let active = 0;
    let maxActive = 0;
    const { port } = await startServer({
      handler: async (message) => {
        active += 1;
        maxActive = Math.max(maxActive, active);
        await sleep(30);
        active -= 1;
        return message;
      },
    });
    await Promise.all([client(port).send('a'), client(port).send('b'), client(port).send('c')]);
    expect(maxActive).toBe(3);
  });

  it('pauses a connection whose queue is full instead of buffering without bound, and acknowledges all in order', async () => {
    const maxQueuedMessages = 8;
    const messageSize = 2_000;
    const { server, port } = await startServer({
      maxQueuedMessages,
      handler: async (message) => {
        await sleep(1);
        return Buffer.from(`ACK:${message.subarray(0, 8).toString('latin1')}`);
      },
    });
    const raw = await rawConnection(port);
    const count = 300;
    const ids = Array.from({ length: count }, (_, index) => `m${String(index).padStart(7, '0')}`);
    raw.socket.write(Buffer.concat(ids.map((id) => encodeMllpFrame(id.padEnd(messageSize, 'x')))));
    expect(await raw.waitForFrames(count, 8_000)).toEqual(ids.map((id) => `ACK:${id}`));
    const counters = server.counters;
    expect(counters.backpressurePauses).toBeGreaterThan(0);
    // One socket read (≤ 64 KiB) may complete several frames beyond the bound, never the whole burst.
    expect(counters.peakQueuedMessages).toBeLessThanOrEqual(maxQueuedMessages + Math.ceil(65_536 / messageSize) + 1);
    expect(counters).toMatchObject({ messagesReceived: count, messagesHandled: count, acksSent: count });
  });

  it('waits for drain when the peer does not read its ACKs', async () => {
    const ackSize = 1024 * 1024;
    let handled = 0;
    const { port } = await startServer({
      maxQueuedMessages: 4,
      handler: async (message) => {
        handled += 1;
        return Buffer.concat([message, Buffer.alloc(ackSize, 0x41)]);
      },
    });
    const raw = await rawConnection(port);
    raw.socket.pause(); // not reading the ACKs
    const count = 60;
    raw.socket.write(Buffer.concat(Array.from({ length: count }, (_, index) => encodeMllpFrame(`m${index}|`))));
    await sleep(300);
    // Kernel buffers absorb a few MiB; the server must stop handling instead of queueing 60 MiB in memory.
    expect(handled).toBeLessThan(count / 2);
    raw.socket.resume();
    const frames = await raw.waitForFrames(count, 8_000);
    expect(frames.map((frame) => frame.slice(0, frame.indexOf('|') + 1))).toEqual(
      Array.from({ length: count }, (_, index) => `m${index}|`),
    );
    expect(handled).toBe(count);
  });
});

describe('MLLP server failures', () => {
  it('closes the connection cleanly when the handler throws, and keeps serving new connections', async () => {
    const errors: Array<[Error, string | undefined]> = [];
    const { server, port } = await startServer({
      handler: async (message) => {
        if (message.toString() === 'boom') throw new Error('internal bug');
        return Buffer.concat([Buffer.from('ACK:'), message]);
      },
      onError: (error, context) => errors.push([error, context?.connectionId]),
    });
    const raw = await rawConnection(port);
    raw.socket.write(Buffer.concat(['ok-1', 'boom', 'never-handled'].map((text) => encodeMllpFrame(text))));
    await raw.closed;
    expect(raw.frames).toEqual(['ACK:ok-1']);
    expect(errors).toHaveLength(1);
    const [error, connectionId] = errors[0]!;
    expect(error).toBeInstanceOf(MllpHandlerError);
    expect((error as MllpHandlerError).connectionId).toBe(connectionId);
    expect((error.cause as Error).message).toBe('internal bug');

    expect((await client(port).send('after')).toString()).toBe('ACK:after');
    expect(server.counters).toMatchObject({ handlerErrors: 1, connectionsAccepted: 2, messagesDiscarded: 1 });
  });

  it('closes the connection on an oversized frame and keeps serving', async () => {
    const errors: Error[] = [];
    let handled = 0;
    const { port } = await startServer({
      maxFrameBytes: 1_024,
      handler: async (message) => {
        handled += 1;
        return message;
      },
      onError: (error) => errors.push(error),
    });
    const raw = await rawConnection(port);
    raw.socket.write(encodeMllpFrame(Buffer.alloc(5_000, 0x41)));
    await raw.closed;
    expect(raw.frames).toEqual([]);
    expect(handled).toBe(0);
    expect(errors[0]).toBeInstanceOf(MllpFramingError);
    expect((errors[0] as MllpFramingError).code).toBe('frame-too-large');
    expect((await client(port).send('small')).toString()).toBe('small');
  });

  it('answers what it received before the peer half-closed, then closes', async () => {
    const { port } = await startServer({
      handler: async (message) => {
        await sleep(10);
        return message;
      },
    });
    const raw = await rawConnection(port);
    raw.socket.end(Buffer.concat(['x', 'y', 'z'].map((text) => encodeMllpFrame(text))));
    await raw.closed;
    expect(raw.frames).toEqual(['x', 'y', 'z']);
  });

  it('closes idle connections after idleTimeoutMs but not while a handler is slow', async () => {
    const { port } = await startServer({
      idleTimeoutMs: 100,
      handler: async (message) => {
        await sleep(250);
        return message;
      },
    });
    const raw = await rawConnection(port);
    const started = Date.now();
    raw.socket.write(encodeMllpFrame('slow'));
    expect(await raw.waitForFrames(1)).toEqual(['slow']);
    await raw.closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(330);
  });

  it('reports the bound port and refuses a port in use', async () => {
    const { server, port } = await startServer({ handler: echo });
    expect(port).toBeGreaterThan(0);
    expect(server.port).toBe(port);
    const other = createMllpServer({ handler: echo });
    await expect(other.listen(port)).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});

describe('MLLP server graceful close', () => {
  it('waits for the handler in flight, delivers its ACK, then ends the connection and refuses new ones', async () => {
    let release!: () => void;
    let entered!: () => void;
    const handlerEntered = new Promise<void>((resolve) => (entered = resolve));
    const server = createMllpServer({
      handler: async (message) => {
        entered();
        await new Promise<void>((resolve) => (release = resolve));
        return Buffer.concat([Buffer.from('ACK:'), message]);
      },
    });
    const port = await server.listen(0);
    const raw = await rawConnection(port);
    raw.socket.write(Buffer.concat([encodeMllpFrame('in-flight'), encodeMllpFrame('queued')]));
    await handlerEntered;

    let closed = false;
    const closing = server.close({ timeoutMs: 5_000 }).then(() => (closed = true));
    await sleep(100);
    expect(closed).toBe(false);
    await expect(rawConnection(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    release();
    await closing;
    await raw.closed;
    expect(raw.frames).toEqual(['ACK:in-flight']); // the queued message gets no ACK: its sender resends
    expect(server.counters).toMatchObject({ messagesDiscarded: 1, connectionsOpen: 0 });
  });

  it('destroys connections whose handler outlives the shutdown timeout', async () => {
    const server = createMllpServer({ handler: () => new Promise<undefined>(() => undefined) });
    const port = await server.listen(0);
    const raw = await rawConnection(port);
    raw.socket.write(encodeMllpFrame('stuck'));
    await sleep(20);
    const started = Date.now();
    await server.close({ timeoutMs: 150 });
    await raw.closed;
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('closes an idle server and its idle connections at once', async () => {
    const server = createMllpServer({ handler: echo });
    const port = await server.listen(0);
    const mllpClient = client(port);
    await mllpClient.send('x');
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(500);
    expect(server.counters.connectionsOpen).toBe(0);
  });
});
