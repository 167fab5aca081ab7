export * from './test-pki.ts';
