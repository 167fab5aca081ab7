export * from './matricule.ts';
export * from './oid.ts';
export * from './traits.ts';
