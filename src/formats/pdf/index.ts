/**
 * PDF/A-2b rendering of clinical documents with the patient banner and the DataMatrix INS.
 * Pure apart from reading the shipped fonts once; returns the PDF bytes.
 */
export { renderDocumentPdf, type DocumentPatient, type DocumentPdfInput, type DocumentSection } from './document.ts';
export { formatDate, formatIsoDate, insAuthorityLabel, sexLabel } from './labels.ts';
