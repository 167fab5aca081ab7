export { createPamMovementHandler } from './pam-movements.ts';
export { applyStayMovement, isStayTrigger, staysOf, type Stay, type StayMovement } from './stays.ts';
