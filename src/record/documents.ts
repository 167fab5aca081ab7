/**
 * Exit documents in the DPI: a draft is written, then validated by a professional (author and
 * legal authenticator), which generates and freezes the PDF and its CDA R2 N1 with the
 * patient's qualified INS. A replacement is a new version of the same set whose CDA carries
 * relatedDocument RPLC; validating it marks the previous version replaced. Every step and
 * every read is audited.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, getTableColumns, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { DOCUMENT_TYPES, isDocumentTypeKey, type CdaHeader, type DocumentTypeKey } from '../formats/cda/index.ts';
import type { DocumentSection } from '../formats/pdf/index.ts';
import type { IdentityService } from '../identity/index.ts';
import { audit, audited, auditInsert } from '../platform/audit/index.ts';
import { writeAndEnqueue } from '../platform/jobs/index.ts';
import { DomainError } from '../platform/errors.ts';
import type { Config } from '../platform/config.ts';
import type { Database } from '../platform/db/index.ts';
import { composeExitDocument, newDocumentOid, type Composer, type Professional } from './compose.ts';
import {
  DEFAULT_DISTRIBUTION, DOCUMENT_VALIDATED_QUEUE, DOCUMENT_VISIBILITY_QUEUE, DOCUMENT_WITHDRAWN_QUEUE, type Distribution, type DistributionChannel, type DocumentValidatedEvent,
  type DocumentVisibility, type DocumentVisibilityEvent, type DocumentWithdrawnEvent, visibilityOf,
} from './distribution.ts';
import { stays, documents } from './tables.ts';

/** A document version without its frozen bytes (PDF, CDA): what every step but reading them needs. */
export type DocumentRow = Omit<typeof documents.$inferSelect, 'pdf' | 'cda' | 'header'>;

/** The columns of a DocumentRow: the bytes (≈ 100 kB) are read only when asked for. */
const { pdf: _pdf, cda: _cda, header: _header, ...DOCUMENT_COLUMNS } = getTableColumns(documents);

/** A document as the API shows it (no bytes). */
export interface DocumentView {
  id: string;
  identityId: string;
  stayId?: string;
  type: DocumentTypeKey;
  typeLabel: string;
  status: DocumentRow['status'];
  title: string;
  cdaId: string;
  setId: string;
  version: number;
  replacesId?: string;
  sections: DocumentSection[];
  author: Professional;
  legalAuthenticator?: Professional;
  distribution: Distribution;
  createdAt: string;
  validatedAt?: string;
}

export class DocumentError extends DomainError {}

function view(row: DocumentRow): DocumentView {
  const type = row.type as DocumentTypeKey;
  return {
    id: row.id, identityId: row.identityId, type, typeLabel: DOCUMENT_TYPES[type].label, status: row.status, title: row.title,
    cdaId: row.cdaId, setId: row.setId, version: row.version, sections: row.sections, author: row.author, distribution: row.distribution,
    createdAt: row.createdAt.toISOString(),
    ...(row.stayId ? { stayId: row.stayId } : {}),
    ...(row.replacesId ? { replacesId: row.replacesId } : {}),
    ...(row.legalAuthenticator ? { legalAuthenticator: row.legalAuthenticator } : {}),
    ...(row.validatedAt ? { validatedAt: row.validatedAt.toISOString() } : {}),
  };
}

export interface NewDocument {
  identityId: string;
  stayId?: string;
  type: string;
  title?: string;
  sections: DocumentSection[];
  author: Professional;
  distribution?: Partial<Distribution>;
}

/** What the intermediation platform needs of a validated document. */
export interface ValidatedDocument {
  document: DocumentView;
  /**
   * The frozen PDF and CDA as SQL expressions, for a copy made by the database itself (an
   * `insert … values` taking them): ≈ 100 kB that need not travel to the platform and back.
   */
  bytes: { pdf: SQL; cda: SQL };
  /** The CDA's header read at validation; absent for versions validated before it was kept, which come with `cda`. */
  header?: CdaHeader;
  cda?: string;
  /** CDA id of the version this one replaces. */
  replacesCdaId?: string;
}

/** One ordering key for a document's events (validated, visibility changed, withdrawn): the PFI applies them in the order they happened. */
const eventsOf = (documentId: string): string => `document:${documentId}`;

const distributionOf = (base: Distribution, changes: Partial<Distribution> | undefined): Distribution => ({ ...base, ...(changes ?? {}) });

export function createDocumentService(deps: { db: Database; identities: IdentityService; establishment: Config['establishment']; compose?: Composer }) {
  const { db } = deps;

  /** `load`'s statement, built once. */
  const loadStatement = db.select(DOCUMENT_COLUMNS).from(documents).where(eq(documents.id, sql.placeholder('id'))).prepare('record_document_load');

  async function load(id: string): Promise<DocumentRow> {
    const [row] = await loadStatement.execute({ id });
    if (!row) throw new DocumentError('not_found', `Document ${id} introuvable`, 404);
    return row;
  }

  /** The frozen PDF and CDA of a validated version. */
  async function bytesOf(row: DocumentRow, refusal: string): Promise<{ pdf: Buffer; cda: string }> {
    const [bytes] = row.status === 'draft' ? [] : await db.select({ pdf: documents.pdf, cda: documents.cda }).from(documents).where(eq(documents.id, row.id));
    if (!bytes?.pdf || !bytes.cda) throw new DocumentError('not_validated', refusal, 409);
    return { pdf: bytes.pdf, cda: bytes.cda };
  }

  return {
    async createDraft(input: NewDocument, actor: string): Promise<DocumentView> {
      if (!isDocumentTypeKey(input.type)) throw new DocumentError('invalid_type', `Type de document inconnu : ${input.type}`, 400, { field: 'type' });
      await deps.identities.get(input.identityId, actor); // exists, and the access is audited
      // The id is given here so that the audit event, written by the same statement, can name it.
      const id = randomUUID();
      const [row] = await db.with(audited(db, { actor, action: 'document.create', subjectType: 'document', subjectId: id, details: { identity: input.identityId, type: input.type } }))
        .insert(documents).values({
          id, identityId: input.identityId, stayId: input.stayId ?? null, type: input.type,
          title: input.title ?? DOCUMENT_TYPES[input.type].defaultTitle, sections: input.sections, author: input.author,
          distribution: distributionOf(DEFAULT_DISTRIBUTION, input.distribution),
          cdaId: newDocumentOid(), setId: newDocumentOid(), createdBy: actor,
        }).returning(DOCUMENT_COLUMNS);
      return view(row!);
    },

    async updateDraft(id: string, changes: { title?: string; sections?: DocumentSection[]; author?: Professional; distribution?: Partial<Distribution> }, actor: string): Promise<DocumentView> {
      const row = await load(id);
      if (row.status !== 'draft') throw new DocumentError('not_draft', 'Seul un brouillon peut être modifié : créez une nouvelle version', 409);
      const [updated] = await db.update(documents).set({
        ...(changes.title ? { title: changes.title } : {}), ...(changes.sections ? { sections: changes.sections } : {}), ...(changes.author ? { author: changes.author } : {}),
        ...(changes.distribution ? { distribution: distributionOf(row.distribution, changes.distribution) } : {}),
      }).where(eq(documents.id, id)).returning(DOCUMENT_COLUMNS);
      await audit(db, { actor, action: 'document.update', subjectType: 'document', subjectId: id });
      return view(updated!);
    },

    /**
     * Validation by the legal authenticator: the PDF and the CDA are generated with the
     * identity as it is now (INS only if qualified), checked, stored and frozen. The
     * "document validated" event is enqueued by the same statement, so the sending to the
     * DMP and by MSSanté cannot be lost. `distribution` holds last-minute choices (blocks);
     * `checkDistribution` may refuse the resulting choices (the sending rules live in exchange/).
     */
    async validate(id: string, legalAuthenticator: Professional, actor: string, options: { distribution?: Partial<Distribution>; checkDistribution?: (d: Distribution) => void } = {}): Promise<DocumentView> {
      const row = await load(id);
      if (row.status !== 'draft') throw new DocumentError('not_draft', 'Document déjà validé', 409);
      const distribution = distributionOf(row.distribution, options.distribution);
      options.checkDistribution?.(distribution);
      const patient = await deps.identities.get(row.identityId, actor);
      const [stay] = row.stayId ? await db.select().from(stays).where(eq(stays.id, row.stayId)) : [];
      const previous = row.replacesId ? await load(row.replacesId) : undefined;
      const composed = await (deps.compose ?? composeExitDocument)({
        type: row.type as DocumentTypeKey, title: row.title, sections: row.sections, patient,
        ...(stay?.admitAt ? { stay: { start: stay.admitAt, ...(stay.dischargeAt ? { end: stay.dischargeAt } : {}) } } : {}),
        author: row.author, legalAuthenticator, establishment: deps.establishment,
        ids: { id: row.cdaId, setId: row.setId, version: row.version, ...(previous ? { replaces: previous.cdaId } : {}) },
        time: new Date(),
      });
      if (!composed.ok) {
        throw new DocumentError('not_conformant', `Document non conforme — ${composed.error.field} : ${composed.error.rule}`, 422, { field: composed.error.field, rule: composed.error.rule });
      }
      // The document frozen, the previous version replaced, the event enqueued and the audit
      // event: one statement, atomic, nothing written unless the document was still a draft.
      const changes = { status: 'validated' as const, legalAuthenticator, validatedAt: new Date(), validatedBy: actor, distribution };
      const frozen = db.update(documents).set({ ...changes, pdf: Buffer.from(composed.value.pdf), cda: composed.value.cda, header: composed.value.header })
        .where(and(eq(documents.id, id), eq(documents.status, 'draft'))).returning({ id: documents.id });
      const wrote = sql`exists (select 1 from written)`;
      const event: DocumentValidatedEvent = { documentId: id };
      const validated = await writeAndEnqueue(db, frozen, [{ queue: DOCUMENT_VALIDATED_QUEUE, payload: event, dedupKey: id, orderingKey: eventsOf(id) }], [
        ...(previous ? [db.update(documents).set({ status: 'replaced' }).where(and(eq(documents.id, previous.id), wrote))] : []),
        auditInsert({
          actor, action: 'document.validate', subjectType: 'document', subjectId: id,
          details: { cdaId: row.cdaId, version: row.version, qualifiedIns: patient.ins !== undefined, replaces: previous?.id ?? null },
        }, wrote),
      ]);
      if (!validated) throw new DocumentError('not_draft', 'Document déjà validé', 409);
      return view({ ...row, ...changes });
    },

    /**
     * Withdrawal of the current validated version by its author (an error in the document, the
     * wrong patient): the document leaves the record's current documents and, through the
     * "withdrawn" event enqueued by the same statement, is deleted from the DMP.
     */
    async withdraw(id: string, reason: string, actor: string): Promise<DocumentView> {
      const row = await load(id);
      if (row.status !== 'validated') throw new DocumentError('not_validated', 'Seule la version validée en cours peut être retirée', 409);
      const event: DocumentWithdrawnEvent = { documentId: id, reason };
      const withdrawn = await writeAndEnqueue(db,
        db.update(documents).set({ status: 'withdrawn' }).where(and(eq(documents.id, id), eq(documents.status, 'validated'))).returning({ id: documents.id }),
        [{ queue: DOCUMENT_WITHDRAWN_QUEUE, payload: event, dedupKey: id, orderingKey: eventsOf(id) }],
        [auditInsert({ actor, action: 'document.withdraw', subjectType: 'document', subjectId: id, details: { reason } }, sql`exists (select 1 from written)`)]);
      if (!withdrawn) throw new DocumentError('not_validated', 'Seule la version validée en cours peut être retirée', 409);
      return view({ ...row, status: 'withdrawn' });
    },

    /**
     * A change of the current validated version's visibility in the DMP (masked to
     * professionals, invisible to the patient, to the legal representatives), e.g. made visible
     * to the patient once the announcement consultation took place. Recorded with the document,
     * audited, and — through the event enqueued by the same statement — applied in the DMP by
     * ITI-57. A document visible to the patient can never be hidden from them again
     * (dmp.md §1). `check` refuses choices inconsistent with the document's channels.
     */
    async changeVisibility(id: string, change: Partial<DocumentVisibility>, reason: string, actor: string, check?: (next: Distribution) => void): Promise<DocumentView> {
      const row = await load(id);
      if (row.status !== 'validated') throw new DocumentError('not_validated', 'Seule la version validée en cours peut changer de visibilité', 409);
      const before = row.distribution;
      const next: Distribution = { ...before, ...change };
      const visibility = visibilityOf(next);
      if (Object.entries(visibility).every(([k, v]) => before[k as keyof DocumentVisibility] === v)) return view(row);
      if (!before.invisibleToPatient && next.invisibleToPatient) {
        throw new DocumentError('already_visible_to_patient', 'Ce document est déjà visible par le patient : il ne peut plus lui être masqué (l’invisibilité au patient ne vaut que jusqu’à la consultation d’annonce).', 422, { field: 'invisibleToPatient' });
      }
      check?.(next);
      const event: DocumentVisibilityEvent = { documentId: id, change: randomUUID(), visibility, reason };
      // Written only if nobody changed the document meanwhile (same status, same choices).
      const changed = await writeAndEnqueue(db,
        db.update(documents).set({ distribution: next })
          .where(and(eq(documents.id, id), eq(documents.status, 'validated'), sql`${documents.distribution} = ${JSON.stringify(before)}::jsonb`)).returning({ id: documents.id }),
        [{ queue: DOCUMENT_VISIBILITY_QUEUE, payload: event, dedupKey: event.change, orderingKey: eventsOf(id) }],
        [auditInsert({ actor, action: 'document.visibility', subjectType: 'document', subjectId: id, details: { before: visibilityOf(before), after: visibility, reason } }, sql`exists (select 1 from written)`)]);
      if (!changed) throw new DocumentError('conflict', 'Le document a changé entre-temps : rechargez-le et recommencez', 409);
      return view({ ...row, distribution: next });
    },

    /** A channel the PFI sent after all at the user's request (exchange `unblock`): no longer among the document's blocked channels. */
    async channelUnblocked(id: string, channel: DistributionChannel): Promise<void> {
      await db.update(documents)
        .set({ distribution: sql`jsonb_set(${documents.distribution}, '{blocked}', coalesce(${documents.distribution} -> 'blocked', '[]'::jsonb) - ${channel}::text)` })
        .where(eq(documents.id, id));
    },

    /** A new draft version of a validated document (same set, version + 1, RPLC on validation). */
    async replace(id: string, changes: { title?: string; sections?: DocumentSection[]; author?: Professional }, actor: string): Promise<DocumentView> {
      const row = await load(id);
      if (row.status !== 'validated') throw new DocumentError('not_validated', 'Seule la dernière version validée peut être remplacée', 409);
      const [created] = await db.insert(documents).values({
        identityId: row.identityId, stayId: row.stayId, type: row.type, title: changes.title ?? row.title,
        sections: changes.sections ?? row.sections, author: changes.author ?? row.author, distribution: row.distribution,
        cdaId: newDocumentOid(), setId: row.setId, version: row.version + 1, replacesId: row.id, createdBy: actor,
      }).returning(DOCUMENT_COLUMNS);
      await audit(db, { actor, action: 'document.replace', subjectType: 'document', subjectId: created!.id, details: { replaces: id } });
      return view(created!);
    },

    /**
     * The document, its header, the CDA id of the version it replaces, in one read, audited as
     * a read by the platform; the bytes stay in the database (`bytes`) unless the header must
     * be read from the CDA.
     */
    async validatedForExchange(id: string, actor: string): Promise<ValidatedDocument> {
      const previous = alias(documents, 'previous');
      // The read and its audit event (when there is something to send) in one statement.
      const event = audited(db, { actor, action: 'document.read.exchange', subjectType: 'document', subjectId: id },
        sql`exists (select 1 from ${documents} where id = ${id} and pdf is not null and cda is not null and status <> 'draft')`);
      const [found] = await db.with(event).select({
        row: DOCUMENT_COLUMNS, frozen: sql<boolean>`${documents.pdf} is not null and ${documents.cda} is not null`, header: documents.header,
        cda: sql<string | null>`case when ${documents.header} is null then ${documents.cda} end`, replacesCdaId: previous.cdaId,
      }).from(documents).leftJoin(previous, eq(previous.id, documents.replacesId)).where(eq(documents.id, id));
      if (!found) throw new DocumentError('not_found', `Document ${id} introuvable`, 404);
      const { row, frozen, header, cda, replacesCdaId } = found;
      if (row.status === 'draft' || !frozen) throw new DocumentError('not_validated', 'Document non validé : rien à envoyer', 409);
      return {
        document: view(row),
        bytes: { pdf: sql`(select pdf from ${documents} where id = ${id})`, cda: sql`(select cda from ${documents} where id = ${id})` },
        ...(header ? { header } : { cda: cda! }), ...(replacesCdaId ? { replacesCdaId } : {}),
      };
    },

    async get(id: string, actor: string): Promise<DocumentView> {
      const row = await load(id);
      await audit(db, { actor, action: 'document.read', subjectType: 'document', subjectId: id });
      return view(row);
    },

    /** The frozen PDF or CDA of a validated document. */
    async content(id: string, format: 'pdf' | 'cda', actor: string): Promise<Buffer | string> {
      const row = await load(id);
      const bytes = await bytesOf(row, 'Document non validé : ni PDF ni CDA');
      await audit(db, { actor, action: `document.read.${format}`, subjectType: 'document', subjectId: id });
      return bytes[format];
    },

    async listFor(identityId: string, actor: string): Promise<DocumentView[]> {
      const rows = await db.select(DOCUMENT_COLUMNS).from(documents).where(eq(documents.identityId, identityId)).orderBy(asc(documents.setId), desc(documents.version));
      await audit(db, { actor, action: 'document.list', subjectType: 'identity', subjectId: identityId });
      return rows.map(view);
    },
  };
}

export type DocumentService = ReturnType<typeof createDocumentService>;
