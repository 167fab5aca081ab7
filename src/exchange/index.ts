/**
 * The intermediation platform (PFI): routing of validated documents to the DMP and by MSSanté,
 * sending through the outbox, tracking per channel, receipts, counters.
 *
 * - `planDispatches`, `checkVisibility` (routing.ts): the rules, pure.
 * - `createExchangeService(deps)`: `route`, `withdraw`, `changeVisibility`, `sendDmp`,
 *   `sendMail` (outbox handlers), `recordReceipt`, `dispatchesOf`, `outgoingList`, `outgoing`,
 *   `retry`, `counters`. The national services come in as
 *   ports (`DmpPort`, `MailPort`, `DirectoryPort`), adapted from their clients in app.ts.
 */
export { checkVisibility, planDispatches, type Channel, type PlannedDispatch, type RoutingInput, type SendingChoices } from './routing.ts';
export {
  createExchangeService, EXCHANGE_QUEUES, ExchangeError, PFI_ACTOR,
  type ChannelFailure, type DirectoryPort, type Dispatch, type DispatchView, type DmpPort, type ExchangeDeps, type ExchangeService,
  type MailPort, type OutgoingDocument, type OutgoingFilter, type OutgoingHeader, type OutgoingPage, type OutgoingView,
} from './service.ts';
export { DISPATCH_STATUSES } from './tables.ts';
export { directoryChannel, dmpChannel, mailChannel } from './channels.ts';
export { createReceivingService, messageIdOfRaw, RECEIVED_QUEUE, type ReceivingDeps, type ReceivingService } from './receiving.ts';
// CDA documents from the plateaux techniques in HL7 v2 (ORU^R01, MDM^T02/T04/T10) and their ZAM^Z01/Z02/Z03.
export { createHl7DocumentHandler, createHl7DocumentSource, HL7_DOCUMENT_MESSAGE_TYPES } from './hl7-documents.ts';
export { createZamSender, ZAM_QUEUE, type PlateauConfig, type ZamJob, type ZamSender } from './zam-sender.ts';
