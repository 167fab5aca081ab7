/**
 * Curated terminology subset (NOS value sets and the mappings that derive XDS metadata from a
 * CDA): pure lookups over data files, see README.md for sources and versions.
 */
export * from './value-sets.ts';
export * from './class-code.ts';
export * from './format-code.ts';
