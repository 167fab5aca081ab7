export * from './server.ts';
export * from './client.ts';
export * from './body.ts';
export * from './listen.ts';
