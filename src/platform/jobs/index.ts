export * from './outbox.ts';
export * from './worker.ts';
