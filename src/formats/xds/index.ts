/** XDS metadata (IHE ITI TF-3 §4.2; DMP and MSSanté profiles): derivation from CDA documents. */
export * from './document-entry.ts';
