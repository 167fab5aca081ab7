export { registerIdentityRoutes } from './identities.ts';
export { registerOperationsRoutes } from './operations.ts';
