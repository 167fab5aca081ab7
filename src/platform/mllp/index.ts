// MLLP transport (HL7 v2.5.1 Appendix C): framing, listener and sender moving opaque message
// bytes. HL7 parsing and ACK building belong to formats/hl7v2 and the callers.
export {
  DEFAULT_MAX_FRAME_BYTES,
  MLLP_CARRIAGE_RETURN,
  MLLP_END_BLOCK,
  MLLP_START_BLOCK,
  MllpDecoder,
  encodeMllpFrame,
  findForbiddenByte,
  type MllpDecodeEvent,
  type MllpDecoderOptions,
} from './framing.ts';
export {
  MllpConnectionError,
  MllpFramingError,
  MllpHandlerError,
  MllpTimeoutError,
  type MllpConnectionErrorCode,
  type MllpFramingErrorCode,
} from './errors.ts';
export {
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_MAX_QUEUED_MESSAGES,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  createMllpServer,
  type MllpConnectionContext,
  type MllpHandler,
  type MllpPeerCertificate,
  type MllpServer,
  type MllpServerCounters,
  type MllpServerOptions,
  type MllpServerTlsOptions,
} from './server.ts';
export {
  DEFAULT_ACK_TIMEOUT_MS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  createMllpClient,
  type MllpClient,
  type MllpClientOptions,
  type MllpClientTlsOptions,
} from './client.ts';
