/**
 * ITI-57 Update Document Set (IHE ITI TF-2b §3.57, Metadata Update; dmp.md §2 TD3.3, §6):
 *
 * - status change (delete, archive, unarchive): a SubmissionSet and an
 *   `UpdateAvailabilityStatus` association to the entryUUID with `OriginalStatus`/`NewStatus`;
 * - visibility (masking to professionals, invisibility to the patient or legal
 *   representatives): a new version of the ExtrinsicObject (same logicalId, `lid`) carrying the
 *   new confidentiality codes, with a HasMember association slotted `PreviousVersion`.
 */
import type { Result } from '../../formats/result.ts';
import { ASSOCIATION_TYPE, buildSubmitObjectsRequest, VISIBILITY_SCHEME, type RegisteredEntry, type SubmissionSetInput, type VisibilityFlag, type XdsCode } from '../../formats/xds/index.ts';

export interface StatusUpdateInput {
  submissionSet: SubmissionSetInput & { patientId: string };
  entryUuid: string;
  originalStatus: string;
  newStatus: string;
}

export function buildStatusUpdate(input: StatusUpdateInput): Result<string> {
  return buildSubmitObjectsRequest({
    submissionSet: { ...input.submissionSet, entryUuid: 'SubmissionSet01' },
    entries: [],
    associations: [{
      associationType: ASSOCIATION_TYPE.updateAvailabilityStatus,
      sourceObject: 'SubmissionSet01',
      targetObject: input.entryUuid,
      slots: { OriginalStatus: [input.originalStatus], NewStatus: [input.newStatus] },
    }],
  });
}

const VISIBILITY_DISPLAY: Record<VisibilityFlag, string> = {
  MASQUE_PS: 'Masqué aux professionnels de santé',
  INVISIBLE_PATIENT: 'Non visible par le patient',
  INVISIBLE_REPRESENTANTS_LEGAUX: 'Non visible par les représentants légaux du patient',
};

/** The confidentiality codes of `entry` with the visibility flags replaced by `flags`. */
export function withVisibility(codes: XdsCode[], flags: VisibilityFlag[]): XdsCode[] {
  const base = codes.filter((c) => c.codingScheme !== VISIBILITY_SCHEME);
  return [...base, ...flags.map((flag) => ({ code: flag, codingScheme: VISIBILITY_SCHEME, displayName: VISIBILITY_DISPLAY[flag] }))];
}

export interface VisibilityUpdateInput {
  submissionSet: SubmissionSetInput;
  /** Current metadata, as found by ITI-18 GetDocuments. */
  current: { entry: RegisteredEntry; logicalId: string; version: string };
  flags: VisibilityFlag[];
}

export function buildVisibilityUpdate(input: VisibilityUpdateInput): Result<string> {
  const { entry } = input.current;
  return buildSubmitObjectsRequest({
    submissionSet: { ...input.submissionSet, entryUuid: 'SubmissionSet01' },
    entries: [{
      entryUuid: 'Document01',
      entry: { ...entry, mimeType: 'text/xml', confidentialityCodes: withVisibility(entry.confidentialityCodes, input.flags) },
      logicalId: input.current.logicalId,
      previousVersion: input.current.version,
    }],
  });
}
