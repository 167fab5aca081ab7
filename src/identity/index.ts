/** The identity referential (RI): public face of the module. */
export { compareTraits, type TraitMismatch } from './compare.ts';
export type { Identity } from './model.ts';
export { PAM_FEED_QUEUE, pamEventsFor, type PamFeedEvent, type PamFeedJob } from './pam-feed.ts';
export { createPamIdentityHandler, ITI30_EVENTS, pamWarning, receivePamPatient } from './pam-in.ts';
export { buildFeedMessage, createPamFeedSender, toPamPatient, type PamFeedSender } from './pam-out.ts';
export { ATTRIBUTE_LABEL, PROOF_TYPES, STATUS_LABEL, type IdentityAttribute, type IdentityStatus, type ProofType } from './rniv.ts';
export {
  createIdentityService, IdentityError, type IdentityService, type InsiLookup, type InsiOutcome, type NewIdentity,
  type QualificationResult, type ReceivedIdentity, type SearchQuery,
} from './service.ts';
export { DEMO_IDENTITIES, seedDemoIdentities, type DemoIdentity } from './demo.ts';
