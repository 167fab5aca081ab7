/** The patient record (DPI): stays and exit documents. */
export { composeExitDocument, newDocumentOid, type ExitDocument, type ExitDocumentInput, type Professional } from './compose.ts';
export { createDocumentService, DocumentError, type DocumentService, type DocumentView, type NewDocument } from './documents.ts';
export { documentHtml } from './html.ts';
export { createPamMovementHandler } from './pam-movements.ts';
export { applyStayMovement, isStayTrigger, staysOf, type Stay, type StayMovement } from './stays.ts';
