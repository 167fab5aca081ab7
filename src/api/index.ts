export { registerDocumentRoutes } from './documents.ts';
export { registerIdentityRoutes } from './identities.ts';
export { registerOperationsRoutes } from './operations.ts';
export { registerExchangeRoutes } from './exchange.ts';
export { registerReceivedRoutes } from './received.ts';
export { registerSandboxRoutes } from './sandbox.ts';
