/**
 * Annuaire Santé (ANS national directory of health professionals and structures, FHIR R4 API
 * v2; psc-annuaire.md §6, mssante.md §8): the client that finds a professional by RPPS, a
 * structure by FINESS and the owner of an MSSanté address, and its local sandbox.
 *
 * - `createAnnuaireClient(options)` → `findPractitionerByRpps`, `findOrganizationByFiness`,
 *   `findByMailbox`, `close`; failures throw `AnnuaireError` (French `message`, `code`, `retryable`).
 * - `startAnnuaireSandbox({ pki, … })` → `{ url, port, directory, simulateOutage, counters, close }`:
 *   FHIR server on loopback HTTPS, client certificates of the test CA required.
 * - Sandbox dataset: `SANDBOX_PROFESSIONALS` (Jean MEDECIN 10001234567 of the demo documents…),
 *   `SANDBOX_STRUCTURES`, `sandboxDirectory()`.
 * - Wire helpers shared with other modules: identifier systems (`SYSTEM`), mailbox telecom
 *   reader/writer (`readMailboxes`, `mailboxTelecom`).
 */
export { createAnnuaireClient } from './client.ts';
export type { AnnuaireClient, AnnuaireClientOptions, MailboxOwner, Resource } from './client.ts';
export { AnnuaireError, annuaireMessage } from './errors.ts';
export type { AnnuaireErrorCode, AnnuaireErrorOptions } from './errors.ts';
export { ANNUAIRE_BASE_PATH, startAnnuaireSandbox } from './sandbox.ts';
export type { AnnuaireSandbox, AnnuaireSandboxCounters, AnnuaireSandboxOptions } from './sandbox.ts';
export { SANDBOX_PROFESSIONALS, SANDBOX_STRUCTURES, sandboxDirectory } from './dataset.ts';
export type { SandboxDirectory, SandboxProfessional, SandboxStructure } from './dataset.ts';
export {
  EXTENSION, FHIR_JSON, mailboxTelecom, readMailboxes, readOrganization, readPractitioner, readSpecialties, SYSTEM,
} from './fhir.ts';
export type { AnnuaireOrganization, AnnuairePractitioner, AnnuaireSpecialty, MailboxType, MssanteMailbox } from './fhir.ts';
