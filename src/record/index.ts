export { applyStayMovement, isStayTrigger, staysOf, type Stay, type StayMovement } from './stays.ts';
