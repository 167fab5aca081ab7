/** XDS metadata (IHE ITI TF-3 §4.2; DMP and MSSanté profiles): derivation from CDA documents. */
export * from './document-entry.ts';
export { buildSubmitObjectsRequest, authorCodeValue, type ExtraAssociation, type SubmissionSetInput, type SubmittedEntry, type SubmitObjectsRequestInput } from './ebrim.ts';
export { readExtrinsicObject, readSubmitObjectsRequest, type AssociationFacts, type RegisteredEntry, type SubmissionSetFacts, type SubmitObjectsRequestFacts } from './ebrim-read.ts';
export { ASSOCIATION_TYPE, DOCUMENT_ENTRY, LCM_NS, OBJECT_TYPE, REFERENCE_ID_LIST_SLOT, RIM_NS, SUBMISSION_SET } from './ebrim-ids.ts';
