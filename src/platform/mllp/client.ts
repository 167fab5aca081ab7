// MLLP sender on node:net or node:tls (HL7 v2.5.1 Appendix C; spec identity.md §9).
//
// One message in flight per connection: concurrent send() calls queue and go out in call
// order, each waiting for its ACK. The connection opens lazily on the first send and is kept.
// On ACK timeout the connection is destroyed (a late ACK must never be paired with the next
// message) and the next send reconnects. Nothing here logs.
import net from 'node:net';
import tls from 'node:tls';
import { errorCode } from './error-code.ts';
import { MllpConnectionError, MllpFramingError, MllpTimeoutError } from './errors.ts';
import { DEFAULT_MAX_FRAME_BYTES, MllpDecoder, encodeMllpFrame } from './framing.ts';

export const DEFAULT_ACK_TIMEOUT_MS = 10_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** TLS settings of the client: `ca` to trust the server, `cert` + `key` for mTLS, `servername`… */
export type MllpClientTlsOptions = Omit<tls.ConnectionOptions, 'host' | 'port' | 'socket' | 'path'>;

export interface MllpClientOptions {
  host: string;
  port: number;
  tls?: MllpClientTlsOptions;
  /** How long to wait for the ACK of each message. Default 10 s. */
  ackTimeoutMs?: number;
  /** How long to wait for TCP connect (and TLS handshake). Default 10 s. */
  connectTimeoutMs?: number;
  /** Largest accepted ACK. Default 16 MiB. */
  maxFrameBytes?: number;
  /**
   * Non-fatal oddities: junk bytes, an ACK arriving when none is awaited (the connection is
   * then dropped, the next send reconnects). Errors carry sizes only.
   */
  onError?: (error: Error) => void;
}

export interface MllpClient {
  /**
   * Sends one message (a string is sent as UTF-8; pass a Buffer for any other charset) and
   * resolves with the ACK message bytes (the frame's content, without 0x0B / 0x1C 0x0D).
   * Rejects with MllpTimeoutError (no ACK in time; the connection is dropped), with
   * MllpConnectionError (connect failure, connection lost, client closed) or with a
   * RangeError if the message contains 0x0B or 0x1C.
   */
  send(message: Buffer | string): Promise<Buffer>;
  /** Lets queued sends finish, then ends the connection. Later sends reject. */
  close(): Promise<void>;
  /** Drops the connection now; the send in flight and queued sends reject with MllpConnectionError. */
  destroy(): void;
  /** True while a connection is open. */
  readonly connected: boolean;
}

interface PendingAck {
  socket: net.Socket;
  written: boolean;
  resolve: (ack: Buffer) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export function createMllpClient(options: MllpClientOptions): MllpClient {
  return new MllpClientConnection(options);
}

class MllpClientConnection implements MllpClient {
  readonly #options: MllpClientOptions;
  readonly #ackTimeoutMs: number;
  readonly #connectTimeoutMs: number;
  #socket: net.Socket | undefined;
  #pending: PendingAck | undefined;
  /** Serialises sends: each one starts when the previous one settled. */
  #tail: Promise<unknown> = Promise.resolve();
  #closing = false;
  #destroyed = false;

  constructor(options: MllpClientOptions) {
    this.#options = options;
    this.#ackTimeoutMs = options.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  }

  get connected(): boolean {
    return this.#socket !== undefined && !this.#socket.destroyed;
  }

  send(message: Buffer | string): Promise<Buffer> {
    if (this.#closing || this.#destroyed) {
      return Promise.reject(new MllpConnectionError('client-closed', 'MLLP: client is closed', false));
    }
    let frame: Buffer;
    try {
      frame = encodeMllpFrame(message);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    const result = this.#tail.then(() => this.#exchange(frame));
    this.#tail = result.catch(() => undefined);
    return result;
  }

  async close(): Promise<void> {
    this.#closing = true;
    await this.#tail;
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket && !socket.destroyed) {
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.end();
        // A server that never closes its side must not hold us forever.
        setTimeout(() => socket.destroy(), 1_000).unref();
      });
    }
  }

  destroy(): void {
    this.#destroyed = true;
    this.#closing = true;
    const socket = this.#socket;
    this.#socket = undefined;
    this.#failPending(socket, new MllpConnectionError('client-closed', 'MLLP: client destroyed', true));
    socket?.destroy();
  }

  async #exchange(frame: Buffer): Promise<Buffer> {
    if (this.#destroyed) throw new MllpConnectionError('client-closed', 'MLLP: client destroyed', false);
    const socket = await this.#connect();
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.#pending?.timer !== timer) return;
        this.#pending = undefined;
        reject(new MllpTimeoutError(this.#ackTimeoutMs));
        this.#drop(socket); // a late ACK must never meet the next message
      }, this.#ackTimeoutMs);
      this.#pending = { socket, written: false, resolve, reject, timer };
      socket.write(frame);
      this.#pending.written = true;
    });
  }

  #connect(): Promise<net.Socket> {
    const current = this.#socket;
    if (current && !current.destroyed && current.writable) return Promise.resolve(current);
    const { host, port } = this.#options;
    const tlsOptions = this.#options.tls;
    return new Promise<net.Socket>((resolve, reject) => {
      const socket = tlsOptions ? tls.connect({ ...tlsOptions, host, port }) : net.connect({ host, port });
      const readyEvent = tlsOptions ? 'secureConnect' : 'connect';
      const cleanup = (): void => {
        clearTimeout(timer);
        socket.off(readyEvent, onReady);
        socket.off('error', onError);
      };
      const onReady = (): void => {
        cleanup();
        if (this.#destroyed) {
          socket.destroy();
          reject(new MllpConnectionError('client-closed', 'MLLP: client destroyed', false));
          return;
        }
        this.#attach(socket);
        resolve(socket);
      };
      const onError = (error: Error): void => {
        cleanup();
        socket.destroy();
        reject(
          new MllpConnectionError('connect-failed', `MLLP: cannot connect to ${host}:${port} (${errorCode(error)})`, false, {
            cause: error,
          }),
        );
      };
      const timer = setTimeout(() => {
        cleanup();
        socket.destroy();
        reject(
          new MllpConnectionError(
            'connect-timeout',
            `MLLP: no connection to ${host}:${port} within ${this.#connectTimeoutMs} ms`,
            false,
          ),
        );
      }, this.#connectTimeoutMs);
      socket.once(readyEvent, onReady);
      socket.once('error', onError);
    });
  }

  #attach(socket: net.Socket): void {
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.setKeepAlive(true);
    // One decoder per connection: bytes of a dropped connection never reach the next one.
    const decoder = new MllpDecoder({ maxFrameBytes: this.#options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES });
    let lastError: Error | undefined;
    socket.on('data', (chunk: Buffer) => {
      for (const event of decoder.push(chunk)) {
        if (event.kind === 'error') {
          this.#report(event.error);
          if (event.error.code === 'frame-too-large') {
            this.#failPending(
              socket,
              new MllpConnectionError('connection-closed', 'MLLP: acknowledgement larger than maxFrameBytes', true, {
                cause: event.error,
              }),
            );
            this.#drop(socket);
            return;
          }
          continue;
        }
        const pending = this.#pending;
        if (pending && pending.socket === socket) {
          clearTimeout(pending.timer);
          this.#pending = undefined;
          pending.resolve(event.message);
        } else {
          // The peer is out of step with us: never let this connection pair ACKs again.
          this.#report(new MllpFramingError('unsolicited-message', event.message.length));
          this.#drop(socket);
          return;
        }
      }
    });
    socket.on('end', () => {
      // The server closed its side: this connection is finished.
      this.#failPending(
        socket,
        new MllpConnectionError('connection-closed', 'MLLP: connection closed by the server before the acknowledgement', true),
      );
      this.#drop(socket);
    });
    socket.on('error', (error) => {
      lastError = error;
    });
    socket.on('close', () => {
      if (this.#socket === socket) this.#socket = undefined;
      this.#failPending(
        socket,
        new MllpConnectionError(
          lastError ? 'socket-error' : 'connection-closed',
          `MLLP: connection lost before the acknowledgement${lastError ? ` (${errorCode(lastError)})` : ''}`,
          true,
          { cause: lastError },
        ),
      );
    });
  }

  #failPending(socket: net.Socket | undefined, error: MllpConnectionError): void {
    const pending = this.#pending;
    if (!pending || (socket !== undefined && pending.socket !== socket)) return;
    clearTimeout(pending.timer);
    this.#pending = undefined;
    pending.reject(
      pending.written ? error : new MllpConnectionError(error.code, error.message, false, { cause: error.cause }),
    );
  }

  #drop(socket: net.Socket): void {
    if (this.#socket === socket) this.#socket = undefined;
    socket.destroy();
  }

  #report(error: Error): void {
    try {
      this.#options.onError?.(error);
    } catch {
      // A failing error sink must not break the client.
    }
  }
}
