export * from './config.ts';
export * from './logging.ts';
