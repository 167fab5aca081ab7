/**
 * INSi teleservice (CNAM): the client that qualifies identities, and its local sandbox.
 *
 * - `createInsiClient(options)` → `searchByTraits`, `searchByCarteVitale`, `close`; technical
 *   problems throw `InsiError` (French `message`, precise `code`, `retryable`).
 * - `startInsiSandbox({ pki, … })` → `{ url, port, dataset, counters, resetCounters, close }`.
 * - `readInsiAnswer(xml)` reads one answer body (pure; never throws).
 * - Sandbox dataset: `sandboxDataset()`, `PUBLIC_TEST_IDENTITIES`, `generateIdentities()`.
 */
export { createInsiClient } from './client.ts';
export type { CarteVitaleSearch, InsiClient, InsiClientOptions, InsiSearchResult, TraitsSearch } from './client.ts';
export { InsiError } from './errors.ts';
export type { InsiErrorOptions } from './errors.ts';
export { readInsiAnswer } from './answer.ts';
export type { InsiAnswer, InsiHistoryEntry, InsiIdentity } from './answer.ts';
export { INSI_RESULT, INSI_RESULT_LABEL, INSI_RESULT_MESSAGE, insiFaultMessage, isRetryable } from './codes.ts';
export type { InsiResultCode } from './codes.ts';
export { INSI_ACTION, INSI_NS } from './wire.ts';
export type { InsiSoftware } from './wire.ts';
export { INSI_CERTIFICATE_CNS, SANDBOX_IDAM, startInsiSandbox } from './sandbox.ts';
export type { InsiSandbox, InsiSandboxCounters, InsiSandboxOptions } from './sandbox.ts';
export {
  describeSandboxIdentity,
  generateIdentities,
  PUBLIC_TEST_IDENTITIES,
  SANDBOX_GENERATED_COUNT,
  SANDBOX_SEED,
  sandboxDataset,
} from './dataset.ts';
export type { SandboxIdentity, SandboxIns } from './dataset.ts';
