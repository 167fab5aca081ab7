/**
 * MSSanté (secure health messaging, mssante.md): sending CDA documents in IHE XDM archives to
 * professionals and to the patient's Mon espace santé mailbox, receiving documents and
 * receipts, and a local operator sandbox.
 *
 * - `createMssanteClient({ smtp, sender })` → `sendDocuments`, `sendTestMessage`, `sendRaw`,
 *   `close`: SMTP with STARTTLS or implicit TLS and the applicative mailbox's client
 *   certificate; `XDM/1.0/DDM+…` subject, X-MSS-* headers, Disposition-Notification-To, DSN
 *   requested (RET=HDRS, NOTIFY=SUCCESS,FAILURE,DELAY, ENVID). Errors: `MssanteError` (French
 *   `message`, `code`, `retryable`).
 * - `checkRecipients` (recipient / visibility consistency, §5.1), `composeDocumentMessages`.
 * - `createMssanteReceiver(imap)` → `fetchNew(onMessage)`: IMAP over TLS with client
 *   certificate; a message is marked processed only after `onMessage(raw, …)` resolved.
 * - `readReceivedMessage(raw)` → headers, receipts, XDM documents (CDA parsed, PDFs), patient,
 *   MDN processing code to answer with (900–906).
 * - `readReceipts(raw)` (DSN / MDN / KO mail → typed events), `buildMdn`, `buildDsn`,
 *   `MDN_PROCESSING_CODES`.
 * - Addresses: `patientAddress`, `isMssanteAddress`, `AUTO_REPLY_TEST_ADDRESS`…
 * - Sandbox: `startMssanteSandbox({ pki, dataDir })` → SMTP + IMAP on loopback, directory,
 *   DSNs, auto-reply test address, MDN-answering test mailboxes, `patientMailbox(matricule)`.
 */
export { createMssanteClient } from './client.ts';
export type { MssanteClient, MssanteClientOptions, MssanteSmtpOptions, RecipientRefusal, SentMessage } from './client.ts';
export { MssanteError } from './errors.ts';
export type { MssanteErrorCode, MssanteErrorOptions } from './errors.ts';
export { composeDocumentMessages, writeDocumentMessages, type WrittenMessage } from './message.ts';
export type { ComposedAttachment, ComposedMessage, DocumentSending, DocumentToSend, SenderIdentity } from './message.ts';
export { checkRecipients } from './recipients.ts';
export type { CheckedRecipients, RecipientCheck, RecipientChoice, SendingVisibility } from './recipients.ts';
export { hasQualifiedIns, X_MSS, XDM_SUBJECT_PREFIX, xdmSubject, xMssHeaders } from './headers.ts';
export { createMssanteReceiver, PROCESSED_KEYWORD } from './receiver.ts';
export type { FetchReport, IncomingRawMessage, MssanteImapOptions, MssanteReceiver } from './receiver.ts';
export { readReceivedMessage } from './received.ts';
export type { ReceivedCda, ReceivedMessage, ReceivedPatient } from './received.ts';
export { buildDsn, buildMdn, MDN_PROCESSING_CODES, readReceipts } from './receipts.ts';
export type { DsnAction, DsnEvent, DsnInput, MdnEvent, MdnInput, MdnProcessingCode, ReceiptEvent } from './receipts.ts';
export {
  AUTO_REPLY_TEST_ADDRESS, isAddress, isMssanteAddress, isPatientAddress, matriculeOfPatientAddress, normaliseAddress, PATIENT_DOMAIN, patientAddress,
} from './addresses.ts';
export { SANDBOX_MTA, startMssanteSandbox } from './sandbox.ts';
export { patientMailboxHtml, patientMailboxMessage, type PatientMailboxMessage } from './sandbox-view.ts';
export type { MssanteSandbox, MssanteSandboxCounters, MssanteSandboxOptions, PatientMailboxEntry } from './sandbox.ts';
export {
  createSandboxDirectory, defaultMailboxes, SANDBOX_CLOSED_MAILBOX, SANDBOX_HOSPITAL_MAILBOX, SANDBOX_LAB_CERTIFICATE_CN, SANDBOX_LAB_MAILBOX,
  SANDBOX_PASSWORD, SANDBOX_PROFESSIONAL, SANDBOX_PROFESSIONAL_MDN, SANDBOX_PROFESSIONAL_MDN_902,
} from './sandbox-directory.ts';
export type { MailboxType, SandboxDirectory, SandboxMailbox } from './sandbox-directory.ts';
