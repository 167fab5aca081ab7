// MLLP listener on node:net or node:tls (HL7 v2.5.1 Appendix C; spec identity.md §9).
//
// Per connection, messages are handled strictly one at a time in arrival order and their
// acknowledgements are written in the same order. Received-but-unhandled messages wait in a
// bounded queue: past the bound the socket is paused (TCP back-pressure reaches the sender)
// and resumed once the queue has drained to half. A slow reader of our ACKs is respected too:
// when socket.write() returns false, the next message is not handled before 'drain'.
//
// Nothing here logs: failures go to `onError` with connection ids and sizes only.
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { errorCode } from './error-code.ts';
import { MllpConnectionError, MllpFramingError, MllpHandlerError } from './errors.ts';
import { DEFAULT_MAX_FRAME_BYTES, MllpDecoder, encodeMllpFrame } from './framing.ts';

export const DEFAULT_MAX_QUEUED_MESSAGES = 32;
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 5_000;
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

/** The client certificate of an mTLS connection, reduced to what routing and audit need. */
export interface MllpPeerCertificate {
  subjectCommonName: string | undefined;
  issuerCommonName: string | undefined;
  /** SHA-256 fingerprint, colon-separated upper-case hex as Node prints it. */
  fingerprint256: string;
  serialNumber: string;
  /** Whether the chain verified against the server's CA (only false with `rejectUnauthorized: false`). */
  authorized: boolean;
}

export interface MllpConnectionContext {
  /** Random id (UUID) naming this connection in errors and logs. */
  connectionId: string;
  remoteAddress: string;
  remotePort: number;
  /** Present on TLS connections where the client presented a certificate. */
  peerCertificate?: MllpPeerCertificate;
}

/**
 * Handles one received message (opaque bytes, no framing) and returns the acknowledgement
 * message to send back (the server frames it), or undefined to send nothing.
 * The handler builds AE/AR acknowledgements itself; a throw or rejection is treated as an
 * internal bug: `onError` is called and the connection is closed without acknowledging.
 */
export type MllpHandler = (message: Buffer, context: MllpConnectionContext) => Promise<Buffer | undefined>;

export interface MllpServerTlsOptions extends tls.SecureContextOptions {
  /** Ask the client for a certificate (mTLS). */
  requestCert?: boolean;
  /** With requestCert: refuse clients without a certificate signed by `ca`. Default true. */
  rejectUnauthorized?: boolean;
  /** Abort TLS handshakes slower than this. Default 10 s (Node's own default is 120 s). */
  handshakeTimeoutMs?: number;
}

export interface MllpServerOptions {
  handler: MllpHandler;
  /** Listen with TLS instead of plain TCP. */
  tls?: MllpServerTlsOptions;
  /** Largest accepted message; a bigger frame closes the connection. Default 16 MiB. */
  maxFrameBytes?: number;
  /** Close a connection after this long without traffic while nothing is being handled. Default: never. */
  idleTimeoutMs?: number;
  /** Received-but-unhandled messages per connection before the socket is paused. Default 32. */
  maxQueuedMessages?: number;
  /**
   * Failures that do not stop the server: framing errors (junk, oversized frame…), handler
   * errors, socket and TLS errors. Errors carry ids and sizes only, never message content.
   */
  onError?: (error: Error, context?: MllpConnectionContext) => void;
}

export interface MllpServerCounters {
  connectionsAccepted: number;
  connectionsOpen: number;
  messagesReceived: number;
  messagesHandled: number;
  acksSent: number;
  handlerErrors: number;
  framingErrors: number;
  /** Received messages dropped unhandled (connection closing); their senders get no ACK and resend. */
  messagesDiscarded: number;
  /** Times a socket was paused because its queue was full. */
  backpressurePauses: number;
  /** Largest per-connection queue depth seen. */
  peakQueuedMessages: number;
}

export interface MllpServer {
  /** Starts listening; resolves with the bound port (useful with port 0). */
  listen(port: number, host?: string): Promise<number>;
  /**
   * Graceful shutdown: stops accepting, lets each connection finish the handler in flight and
   * write its ACK (queued messages not yet started are dropped: unacknowledged, their sender
   * resends), then ends the sockets. Sockets still open after `timeoutMs` (default 5 s) are
   * destroyed. Idempotent.
   */
  close(options?: { timeoutMs?: number }): Promise<void>;
  /** Snapshot of the counters. */
  readonly counters: Readonly<MllpServerCounters>;
  /** Bound port once listening. */
  readonly port: number | undefined;
}

interface ServerState {
  readonly options: Required<Pick<MllpServerOptions, 'handler' | 'maxFrameBytes' | 'maxQueuedMessages'>> &
    Pick<MllpServerOptions, 'idleTimeoutMs' | 'onError'>;
  readonly counters: MllpServerCounters;
  readonly connections: Set<ServerConnection>;
}

export function createMllpServer(options: MllpServerOptions): MllpServer {
  const maxQueuedMessages = options.maxQueuedMessages ?? DEFAULT_MAX_QUEUED_MESSAGES;
  if (!Number.isSafeInteger(maxQueuedMessages) || maxQueuedMessages < 1) {
    throw new RangeError('MLLP: maxQueuedMessages must be a positive integer');
  }
  const state: ServerState = {
    options: {
      handler: options.handler,
      maxFrameBytes: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
      maxQueuedMessages,
      idleTimeoutMs: options.idleTimeoutMs,
      onError: options.onError,
    },
    counters: {
      connectionsAccepted: 0,
      connectionsOpen: 0,
      messagesReceived: 0,
      messagesHandled: 0,
      acksSent: 0,
      handlerErrors: 0,
      framingErrors: 0,
      messagesDiscarded: 0,
      backpressurePauses: 0,
      peakQueuedMessages: 0,
    },
    connections: new Set(),
  };

  let closing: Promise<void> | undefined;
  const accept = (socket: net.Socket, peerCertificate?: MllpPeerCertificate): void => {
    const connection = new ServerConnection(socket, state, peerCertificate);
    if (closing) connection.shutdown();
  };

  let netServer: net.Server;
  if (options.tls) {
    const { requestCert, rejectUnauthorized, handshakeTimeoutMs, ...secureContext } = options.tls;
    const tlsServer = tls.createServer({
      ...secureContext,
      requestCert: requestCert ?? false,
      rejectUnauthorized: rejectUnauthorized ?? true,
      handshakeTimeout: handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
      // Not half-open over TLS: with allowHalfOpen, a peer closing during the handshake leaves
      // the socket open until the handshake timeout. A TLS peer that half-closes therefore
      // gets no ACK for messages still queued (they are discarded; it resends them).
      allowHalfOpen: false,
    });
    tlsServer.on('secureConnection', (socket: tls.TLSSocket) => accept(socket, describePeerCertificate(socket)));
    tlsServer.on('tlsClientError', (error: Error, socket: tls.TLSSocket) => {
      socket.destroy();
      report(
        state,
        new MllpConnectionError('socket-error', `MLLP: TLS handshake failed (${errorCode(error)})`, false, { cause: error }),
      );
    });
    netServer = tlsServer;
  } else {
    netServer = net.createServer({ allowHalfOpen: true }, (socket) => accept(socket));
  }
  netServer.on('error', (error) => report(state, error));
  // Every TCP socket, including TLS ones still in their handshake, so that close() can end them.
  const rawSockets = new Set<net.Socket>();
  netServer.on('connection', (socket: net.Socket) => {
    rawSockets.add(socket);
    socket.once('close', () => rawSockets.delete(socket));
  });

  let listening = false;

  return {
    listen(port, host = '127.0.0.1') {
      return new Promise<number>((resolve, reject) => {
        const onError = (error: Error) => reject(error);
        netServer.once('error', onError);
        netServer.listen(port, host, () => {
          netServer.off('error', onError);
          listening = true;
          resolve((netServer.address() as net.AddressInfo).port);
        });
      });
    },

    close({ timeoutMs = DEFAULT_SHUTDOWN_TIMEOUT_MS } = {}) {
      closing ??= (async () => {
        const serverClosed = listening
          ? new Promise<void>((resolve) => netServer.close(() => resolve()))
          : Promise.resolve();
        for (const connection of state.connections) connection.shutdown();
        const allClosed = Promise.all([...state.connections].map((connection) => connection.closed));
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), timeoutMs);
        });
        if ((await Promise.race([allClosed, timedOut])) === 'timeout') {
          for (const connection of state.connections) connection.destroy();
          await allClosed;
        }
        clearTimeout(timer);
        // What remains has not finished its TLS handshake: nothing in flight, no grace needed.
        for (const socket of rawSockets) socket.destroy();
        await serverClosed;
      })();
      return closing;
    },

    get counters() {
      return { ...state.counters };
    },

    get port() {
      const address = netServer.address();
      return address && typeof address === 'object' ? address.port : undefined;
    },
  };
}

class ServerConnection {
  readonly context: MllpConnectionContext;
  readonly closed: Promise<void>;
  readonly #socket: net.Socket;
  readonly #state: ServerState;
  readonly #decoder: MllpDecoder;
  readonly #queue: Buffer[] = [];
  /** The pump loop is running (a handler or an ACK write is in progress). */
  #working = false;
  #paused = false;
  /** The peer ended its side: finish the queue, then end ours. */
  #readEnded = false;
  /** No more messages are taken: handler error, oversized frame, idle, shutdown. */
  #closing = false;

  constructor(socket: net.Socket, state: ServerState, peerCertificate: MllpPeerCertificate | undefined) {
    this.#socket = socket;
    this.#state = state;
    this.#decoder = new MllpDecoder({ maxFrameBytes: state.options.maxFrameBytes });
    this.context = {
      connectionId: randomUUID(),
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
      ...(peerCertificate ? { peerCertificate } : {}),
    };
    state.connections.add(this);
    state.counters.connectionsAccepted += 1;
    state.counters.connectionsOpen += 1;

    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.#closing = true;
        this.#discardQueue();
        state.connections.delete(this);
        state.counters.connectionsOpen -= 1;
        resolve();
      });
    });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => this.#onEnd());
    socket.on('error', (error) => {
      report(
        state,
        new MllpConnectionError('socket-error', `MLLP: socket error on connection ${this.context.connectionId} (${errorCode(error)})`, false, {
          cause: error,
        }),
        this.context,
      );
    });
    const idleTimeoutMs = state.options.idleTimeoutMs;
    if (idleTimeoutMs !== undefined && idleTimeoutMs > 0) {
      socket.setTimeout(idleTimeoutMs);
      socket.on('timeout', () => {
        if (this.#working || this.#queue.length > 0) socket.setTimeout(idleTimeoutMs); // busy, not idle
        else this.#beginClose();
      });
    }
  }

  /** Server shutdown: finish the handler in flight, then end the socket. */
  shutdown(): void {
    this.#beginClose();
  }

  destroy(): void {
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    if (this.#closing) return; // draining the peer's bytes until its FIN; nothing more is handled
    const counters = this.#state.counters;
    for (const event of this.#decoder.push(chunk)) {
      if (event.kind === 'message') {
        counters.messagesReceived += 1;
        this.#queue.push(event.message);
        continue;
      }
      this.#reportFraming(event.error);
      if (event.error.code === 'frame-too-large') {
        this.#beginClose();
        return;
      }
    }
    counters.peakQueuedMessages = Math.max(counters.peakQueuedMessages, this.#queue.length);
    if (!this.#paused && this.#queue.length >= this.#state.options.maxQueuedMessages) {
      this.#paused = true;
      counters.backpressurePauses += 1;
      this.#socket.pause();
    }
    void this.#pump();
  }

  #onEnd(): void {
    this.#readEnded = true;
    for (const event of this.#decoder.end()) {
      if (event.kind === 'error') this.#reportFraming(event.error);
    }
    if (!this.#working) this.#endSocket();
  }

  async #pump(): Promise<void> {
    if (this.#working) return;
    this.#working = true;
    try {
      while (!this.#closing && this.#queue.length > 0) {
        const message = this.#queue.shift()!;
        if (this.#paused && this.#queue.length <= this.#state.options.maxQueuedMessages >> 1) {
          this.#paused = false;
          this.#socket.resume();
        }
        if (!(await this.#handle(message))) return;
      }
    } finally {
      this.#working = false;
      if (this.#closing || this.#readEnded) this.#endSocket();
    }
  }

  /** Handles one message and writes its ACK; false when the connection must stop. */
  async #handle(message: Buffer): Promise<boolean> {
    const { handler } = this.#state.options;
    const counters = this.#state.counters;
    let frame: Buffer | undefined;
    try {
      const ack = await handler(message, this.context);
      counters.messagesHandled += 1;
      if (ack === undefined) return true;
      frame = encodeMllpFrame(ack);
    } catch (error) {
      counters.handlerErrors += 1;
      report(this.#state, new MllpHandlerError(this.context.connectionId, error), this.context);
      this.#beginClose();
      return false;
    }
    const socket = this.#socket;
    if (socket.destroyed || !socket.writable) {
      this.#beginClose();
      return false;
    }
    const flushed = socket.write(frame);
    counters.acksSent += 1;
    if (!flushed) await waitForDrain(socket);
    return true;
  }

  /** Stops taking messages; ends the socket once the handler in flight (if any) is done. */
  #beginClose(): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#discardQueue();
    // Keep reading (and ignoring) so the peer's FIN is seen and the socket can fully close.
    this.#paused = false;
    this.#socket.resume();
    this.#socket.setTimeout(0);
    if (!this.#working) this.#endSocket();
  }

  #endSocket(): void {
    if (!this.#socket.destroyed && !this.#socket.writableEnded) this.#socket.end();
  }

  #discardQueue(): void {
    this.#state.counters.messagesDiscarded += this.#queue.length;
    this.#queue.length = 0;
  }

  #reportFraming(error: MllpFramingError): void {
    this.#state.counters.framingErrors += 1;
    report(this.#state, new MllpFramingError(error.code, error.byteCount, this.context.connectionId), this.context);
  }
}

function waitForDrain(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

function report(state: ServerState, error: Error, context?: MllpConnectionContext): void {
  const onError = state.options.onError;
  if (!onError) return;
  try {
    onError(error, context);
  } catch {
    // A failing error sink must not take the transport down.
  }
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function describePeerCertificate(socket: tls.TLSSocket): MllpPeerCertificate | undefined {
  const certificate = socket.getPeerCertificate();
  if (!certificate || Object.keys(certificate).length === 0 || !certificate.fingerprint256) return undefined;
  return {
    subjectCommonName: firstValue(certificate.subject?.CN),
    issuerCommonName: firstValue(certificate.issuer?.CN),
    fingerprint256: certificate.fingerprint256,
    serialNumber: certificate.serialNumber,
    authorized: socket.authorized,
  };
}
