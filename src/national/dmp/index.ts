/**
 * DMP (Dossier Médical Partagé): the XDS.b client that feeds and consults it, and its local
 * sandbox (dmp.md).
 *
 * - `createDmpClient(options)` → `checkDmp` (TD0.2), `publish` / `replace` (ITI-41, RPLC),
 *   `findDocuments` / `getDocuments` / `findSubmissionSets` / `getAssociations` (ITI-18),
 *   `retrieve` (ITI-43), `setVisibility` / `archive` / `unarchive` / `delete` (ITI-57), `close`.
 *   SOAP 1.2 + WS-Addressing, MTOM, mutual TLS, signed VIHF; failures throw `DmpError`
 *   (IHE code or `SANDBOX_` code, French message, `retryable`).
 * - `startDmpSandbox({ pki, database, … })` → `{ url, setPatient, patientView, counters, close }`:
 *   registry + repository on loopback HTTPS with client certificates, in the platform database.
 * - `buildVihf` / `verifyVihf`: the VIHF SAML assertion; `automatonActor` the structure's automaton.
 * - TD0.2 answers use a SANDBOX format (`TD02_SANDBOX_NS`): the DMPi message is not public.
 */
export { automatonActor, createDmpClient, patientCx } from './client.ts';
export type { DmpClient, DmpClientOptions, FindDocumentsQuery, PatientIns, PublishInput, PublishResult } from './client.ts';
export { DMP_ERROR_MESSAGES, DmpError, dmpErrorMessage, isRetryable } from './errors.ts';
export type { DmpErrorOptions } from './errors.ts';
export type { FoundAssociation, FoundDocument, FoundSubmissionSet } from './iti18.ts';
export { STORED_QUERY } from './iti18.ts';
export { SANDBOX_FAULT_NS, SANDBOX_REPOSITORY_ID, startDmpSandbox } from './sandbox.ts';
export type { DmpSandbox, DmpSandboxOptions } from './sandbox.ts';
export type { PatientRow as DmpSandboxPatient, PatientState as DmpSandboxPatientState } from './registry.ts';
export { buildIti41Body, type Iti41Input } from './iti41.ts';
export { TD02_SANDBOX_NS } from './td02.ts';
export type { DmpAuthorization, DmpStatus, Td02Answer } from './td02.ts';
export { buildVihf, verifyVihf, VIHF_ATTRIBUTE } from './vihf.ts';
export type { VihfActor, VihfFacts, VihfRole, VihfSoftware, VihfStructure } from './vihf.ts';
export { AVAILABILITY, DMP_ACTION, DMP_SERVICES_PATH } from './wire.ts';
