/**
 * Who a document is for, as the author records it in the DPI: its correspondents (médecin
 * traitant, prescriber, other professionals) and the author's explicit choices for this
 * document — channels blocked, masking and visibility in the DMP. The platform's intermediation
 * (exchange/) reads it when the document is validated; by default every channel is used
 * (dmp.md §1: feeding is systematic, retention is per document by an explicit user action).
 */

/** Channels of the Ségur document flow. */
export const DISTRIBUTION_CHANNELS = ['dmp', 'mssante-pro', 'mssante-patient'] as const;
export type DistributionChannel = (typeof DISTRIBUTION_CHANNELS)[number];

export const CORRESPONDENT_ROLES = ['medecin-traitant', 'prescripteur', 'correspondant'] as const;
export type CorrespondentRole = (typeof CORRESPONDENT_ROLES)[number];

/** A professional the document is addressed to: by RPPS (resolved in the Annuaire Santé), by MSSanté address, or both. */
export interface Correspondent {
  role: CorrespondentRole;
  rpps?: string;
  address?: string;
  name?: string;
}

export interface Distribution {
  correspondents: Correspondent[];
  /** Channels blocked for this document by an explicit user action. */
  blocked: DistributionChannel[];
  maskedToProfessionals: boolean;
  invisibleToPatient: boolean;
  invisibleToLegalRepresentatives: boolean;
}

export const DEFAULT_DISTRIBUTION: Distribution = {
  correspondents: [], blocked: [], maskedToProfessionals: false, invisibleToPatient: false, invisibleToLegalRepresentatives: false,
};

/** Outbox queue of "a document was validated" events, enqueued in the validation's transaction. */
export const DOCUMENT_VALIDATED_QUEUE = 'document.validated';

export interface DocumentValidatedEvent {
  documentId: string;
}

/** Outbox queue of "a validated document was withdrawn" events (its deletion from the DMP). */
export const DOCUMENT_WITHDRAWN_QUEUE = 'document.withdrawn';

export interface DocumentWithdrawnEvent {
  documentId: string;
  reason: string;
}

/** A document's visibility in the DMP: what an ITI-57 update changes after publication. */
export type DocumentVisibility = Pick<Distribution, 'maskedToProfessionals' | 'invisibleToPatient' | 'invisibleToLegalRepresentatives'>;

export const visibilityOf = (d: DocumentVisibility): DocumentVisibility => ({
  maskedToProfessionals: d.maskedToProfessionals, invisibleToPatient: d.invisibleToPatient, invisibleToLegalRepresentatives: d.invisibleToLegalRepresentatives,
});

/** Outbox queue of "the visibility of a validated document changed" events (its ITI-57 update in the DMP). */
export const DOCUMENT_VISIBILITY_QUEUE = 'document.visibility';

export interface DocumentVisibilityEvent {
  documentId: string;
  /** Identifies this change among the document's changes. */
  change: string;
  visibility: DocumentVisibility;
  reason: string;
}
