/**
 * `buildCrBio(input)`: a CR-BIO level 3 document (documents.md §5, volet BIO-CR-BIO 2024.01).
 * The caller gives the common header facts and the results; this fills what the volet fixes —
 * templateIds (HL7 France, CI-SIS, IHE XD-LAB, CR-BIO), `code` 11502-2 "CR d'examens
 * biologiques", the exact title, the specialty of the first serviceEvent (first chapter), and
 * the templates of the executing lab (performer), orderer (participant REF) and validating
 * biologists (authenticators) — then calls `buildCda`. Never throws.
 */
import { fail, type Result } from '../result.ts';
import { buildCda } from './build.ts';
import { CR_BIO_OID, CR_BIO_TEMPLATE_IDS, CR_BIO_TITLE, type CrBioBody } from './cr-bio-model.ts';
import { DOCUMENT_TYPES } from './document-types.ts';
import type { CdaDocument, Identifier } from './model.ts';

/** A CR-BIO: the common header without what the volet fixes (optional overrides kept). */
export type CrBioInput = Omit<CdaDocument, 'code' | 'title' | 'templateIds' | 'body'> &
  Partial<Pick<CdaDocument, 'code' | 'title' | 'templateIds'>> & { body: CrBioBody };

const withTemplate = (list: Identifier[] | undefined, root: string): Identifier[] =>
  list?.some((t) => t.root === root) ? list : [{ root }, ...(list ?? [])];

/** The full document model of a CR-BIO input (pure; the builder validates it). */
export function crBioDocument(input: CrBioInput): CdaDocument {
  const chapter = input.body?.chapters?.[0]?.code;
  const events = (input.serviceEvents ?? []).map((e, i) => {
    if (i !== 0) return e;
    const event = { ...e };
    if (!event.code && chapter) event.code = chapter;
    if (event.performer) event.performer = { ...event.performer, templateIds: withTemplate(event.performer.templateIds, CR_BIO_OID.labPerformer) };
    return event;
  });
  return {
    ...input,
    templateIds: input.templateIds ?? CR_BIO_TEMPLATE_IDS.map((root) => ({ root })),
    code: input.code ?? DOCUMENT_TYPES['cr-bio'].code,
    title: input.title ?? CR_BIO_TITLE,
    serviceEvents: events,
    participants: input.participants?.map((p) => (p.typeCode === 'REF' ? { ...p, templateIds: withTemplate(p.templateIds, CR_BIO_OID.ordererParticipant) } : p)),
    authenticators: input.authenticators?.map((a) => ({ ...a, templateIds: withTemplate(a.templateIds, CR_BIO_OID.authenticator) })),
  };
}

export function buildCrBio(input: CrBioInput): Result<string> {
  try {
    if (input === null || typeof input !== 'object') return fail('document', 'expected a document object');
    if (input.body?.kind !== 'cr-bio') return fail('component', 'expected a CR-BIO body (kind "cr-bio")');
    return buildCda(crBioDocument(input));
  } catch (error) {
    return fail('document', `cannot be built: ${error instanceof Error ? error.message : String(error)}`);
  }
}
