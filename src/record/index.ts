/** The patient record (DPI): stays and exit documents. */
export { composeExitDocument, newDocumentOid, type ComposedDocument, type Composer, type ExitDocument, type ExitDocumentInput, type Professional } from './compose.ts';
export { createDocumentService, DocumentError, type DocumentService, type DocumentView, type NewDocument, type ValidatedDocument } from './documents.ts';
export {
  CORRESPONDENT_ROLES, DEFAULT_DISTRIBUTION, DISTRIBUTION_CHANNELS, DOCUMENT_VALIDATED_QUEUE, DOCUMENT_VISIBILITY_QUEUE, DOCUMENT_WITHDRAWN_QUEUE,
  type Correspondent, type CorrespondentRole, type Distribution, type DistributionChannel, type DocumentValidatedEvent, type DocumentVisibility,
  type DocumentVisibilityEvent, type DocumentWithdrawnEvent, visibilityOf,
} from './distribution.ts';
export { documentHtml } from './html.ts';
export { createPamMovementHandler } from './pam-movements.ts';
export { applyStayMovement, isStayTrigger, staysOf, type Stay, type StayMovement } from './stays.ts';
export {
  createReceivedDocumentService, ReceivedDocumentError, type ReceivedDocumentInput, type ReceivedDocumentRow, type ReceivedDocumentService, type ReceivedOutcome,
} from './received.ts';
