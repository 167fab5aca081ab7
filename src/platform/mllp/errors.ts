// Typed errors of the MLLP transport. Messages name ids, sizes and codes only —
// never message content (patient data).

/** What went wrong in the byte stream (HL7 v2.5.1 Appendix C framing). */
export type MllpFramingErrorCode =
  /** Bytes outside any frame (between frames, or before the first 0x0B). */
  | 'junk'
  /** A frame grew beyond `maxFrameBytes`; its bytes were discarded. */
  | 'frame-too-large'
  /** 0x1C (end block) was not followed by 0x0D; the frame was dropped. */
  | 'missing-carriage-return'
  /** A frame was interrupted by a new 0x0B or by the end of the stream; it was dropped. */
  | 'truncated-frame'
  /** A complete frame arrived when none was expected (client: an ACK with no message in flight); ignored. */
  | 'unsolicited-message';

export class MllpFramingError extends Error {
  override readonly name = 'MllpFramingError';
  constructor(
    readonly code: MllpFramingErrorCode,
    /** Number of bytes concerned (junk bytes, bytes of the dropped frame seen so far). */
    readonly byteCount: number,
    readonly connectionId?: string,
  ) {
    super(`MLLP framing: ${code} (${byteCount} bytes)${connectionId ? ` on connection ${connectionId}` : ''}`);
  }
}

/** No acknowledgement arrived within `ackTimeoutMs`. The message may or may not have been processed. */
export class MllpTimeoutError extends Error {
  override readonly name = 'MllpTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`MLLP: no acknowledgement within ${timeoutMs} ms`);
  }
}

export type MllpConnectionErrorCode =
  | 'connect-failed'
  | 'connect-timeout'
  | 'connection-closed'
  | 'socket-error'
  | 'client-closed';

export class MllpConnectionError extends Error {
  override readonly name = 'MllpConnectionError';
  constructor(
    readonly code: MllpConnectionErrorCode,
    message: string,
    /**
     * True when the message had been written before the failure: the peer may have
     * processed it, so a retry must rely on the receiver's deduplication (MSH-10).
     */
    readonly maybeDelivered: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The server-side handler threw or rejected: an internal bug, the connection is closed. */
export class MllpHandlerError extends Error {
  override readonly name = 'MllpHandlerError';
  constructor(readonly connectionId: string, cause: unknown) {
    super(`MLLP handler failed on connection ${connectionId}`, { cause });
  }
}
