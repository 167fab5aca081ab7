/**
 * CDA R2 per CI-SIS: document model, Ségur document types, builder (level 1, generic
 * structured body, CR-BIO level 3), parser (any CI-SIS CDA, self-presenting included) and the CI-SIS header
 * checks (documents.md §2–§4, §8).
 */
export * from './model.ts';
export * from './document-types.ts';
export { buildCda } from './build.ts';
export * from './cr-bio-model.ts';
export { buildCrBio, crBioDocument, type CrBioInput } from './cr-bio-build.ts';
export { parseCda, parseCdaHeader, type ParsedCda } from './parse.ts';
export { checkCda, checkCdaText, type Issue, type ValueSetId, type ValueSetLookup } from './check.ts';
export { toCdaTimestamp, birthDateToTs, tsToBirthDate, TS_PATTERN, FULL_TS_PATTERN } from './time.ts';
