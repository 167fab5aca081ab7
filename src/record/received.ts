/**
 * Documents received from outside into the DPI (mssante.md §1, §7): lab reports (CR-BIO),
 * imaging reports, volets de synthèse médicale, received by MSSanté or from a technical
 * platform. The patient is found by the INS of the CDA (a qualified identity with that
 * matricule), then by the strict traits (birth name, first birth prénom, birth date, sex:
 * exactly one candidate); otherwise the document waits for review by the identity-vigilance
 * staff, never attached to a guess. The outcome carries the MSSanté processing code the
 * sender is told in the MDN (MSSLPS: 902 unknown patient, 904 INS mismatch, 906 other).
 */
import { and, desc, eq, getTableColumns } from 'drizzle-orm';
import { parseCda, type CdaDocument } from '../formats/cda/index.ts';
import { uniqueIdOf } from '../formats/xds/index.ts';
import type { IdentityService } from '../identity/index.ts';
import { audit } from '../platform/audit/index.ts';
import type { Database } from '../platform/db/index.ts';
import { DomainError } from '../platform/errors.ts';
import { receivedDocuments } from './tables.ts';

export interface ReceivedDocumentInput {
  cda: string;
  pdf?: Uint8Array;
  source: 'mssante' | 'hl7';
  /** Sender's address or application. */
  sender?: string;
}

export interface ReceivedOutcome {
  id: string;
  status: 'integrated' | 'review';
  identityId?: string;
  matchedBy?: 'ins' | 'traits' | 'manual';
  /** Why it waits for review (French). */
  reason?: string;
  /** MSSanté processing code for the MDN: absent when integrated. */
  processingCode?: 902 | 904 | 906;
  /** The same document was already received (by MSSanté and the DMP, or resent). */
  duplicate: boolean;
}

/** A received document without its bytes (CDA, PDF). */
export type ReceivedDocumentRow = Omit<typeof receivedDocuments.$inferSelect, 'cda' | 'pdf'>;

const { cda: _cda, pdf: _pdf, ...RECEIVED_COLUMNS } = getTableColumns(receivedDocuments);

export class ReceivedDocumentError extends DomainError {}

export function createReceivedDocumentService(deps: { db: Database; identities: IdentityService }) {
  const { db } = deps;

  async function match(patient: CdaDocument['patient'], actor: string): Promise<Pick<ReceivedOutcome, 'identityId' | 'matchedBy' | 'reason' | 'processingCode'>> {
    if (patient.ins) {
      const found = await deps.identities.search({ ins: patient.ins.matricule }, actor);
      if (found.length === 1) return { identityId: found[0]!.id, matchedBy: 'ins' };
    }
    const { birthName, firstBirthGivenName, birthDate } = patient;
    const sex = patient.sex === 'M' ? 'M' : patient.sex === 'F' ? 'F' : undefined;
    if (!birthName || !firstBirthGivenName || !birthDate || !sex) {
      return { reason: 'patient non identifiable : INS inconnue et traits incomplets dans le document', processingCode: 902 };
    }
    const candidates = (await deps.identities.search({ birthName, givenName: firstBirthGivenName, birthDate, sex }, actor))
      .filter((c) => c.traits.birthName === birthName.toUpperCase() && c.traits.birthDate === birthDate);
    if (candidates.length !== 1) {
      return { reason: candidates.length === 0 ? 'aucun patient ne correspond aux traits du document' : `${candidates.length} patients correspondent aux traits du document`, processingCode: 902 };
    }
    const [candidate] = candidates;
    if (patient.ins && candidate!.ins && candidate!.ins.matricule !== patient.ins.matricule) {
      return { reason: 'l’INS du document diffère de celle du patient', processingCode: 904 };
    }
    return { identityId: candidate!.id, matchedBy: 'traits' };
  }

  return {
    /** Stores the document and attaches it to its patient when found; idempotent on the CDA id. */
    async integrate(input: ReceivedDocumentInput, actor: string): Promise<ReceivedOutcome> {
      const parsed = parseCda(input.cda);
      if (!parsed.ok) {
        return { id: '', status: 'review', reason: `CDA illisible : ${parsed.error.field} : ${parsed.error.rule}`, processingCode: 906, duplicate: false };
      }
      const { document } = parsed.value;
      const uniqueId = uniqueIdOf(document.id);
      const [existing] = await db.select(RECEIVED_COLUMNS).from(receivedDocuments).where(eq(receivedDocuments.uniqueId, uniqueId));
      if (existing) {
        return {
          id: existing.id, status: existing.status, duplicate: true,
          ...(existing.identityId ? { identityId: existing.identityId } : {}),
          ...(existing.matchedBy === 'ins' || existing.matchedBy === 'traits' || existing.matchedBy === 'manual' ? { matchedBy: existing.matchedBy } : {}),
          ...(existing.reason ? { reason: existing.reason } : {}),
        };
      }
      const found = await match(document.patient, actor);
      const status = found.identityId ? 'integrated' : 'review';
      const [row] = await db.insert(receivedDocuments).values({
        identityId: found.identityId ?? null, status, matchedBy: found.matchedBy ?? null, reason: found.reason ?? null,
        uniqueId, code: document.code.code, title: document.title ?? null, cda: input.cda, pdf: input.pdf ? Buffer.from(input.pdf) : null,
        source: input.source, sender: input.sender ?? null,
      }).onConflictDoNothing().returning(RECEIVED_COLUMNS);
      if (!row) return { ...(await this.integrate(input, actor)), duplicate: true };
      await audit(db, {
        actor, action: `received.${status}`, subjectType: found.identityId ? 'identity' : 'received_document', subjectId: found.identityId ?? row.id,
        details: { document: row.id, code: document.code.code, source: input.source, matchedBy: found.matchedBy ?? null },
      });
      return { id: row.id, status, duplicate: false, ...found };
    },

    /** Received documents of a patient, newest first (audited). */
    async listFor(identityId: string, actor: string): Promise<ReceivedDocumentRow[]> {
      const rows = await db.select(RECEIVED_COLUMNS).from(receivedDocuments).where(and(eq(receivedDocuments.identityId, identityId), eq(receivedDocuments.status, 'integrated')))
        .orderBy(desc(receivedDocuments.receivedAt));
      await audit(db, { actor, action: 'received.list', subjectType: 'identity', subjectId: identityId });
      return rows;
    },

    /** Documents waiting for the identity-vigilance staff. */
    async reviewQueue(actor: string): Promise<ReceivedDocumentRow[]> {
      const rows = await db.select(RECEIVED_COLUMNS).from(receivedDocuments).where(eq(receivedDocuments.status, 'review')).orderBy(desc(receivedDocuments.receivedAt));
      await audit(db, { actor, action: 'received.review-queue', subjectType: 'received_document', subjectId: '*' });
      return rows;
    },

    /** The CDA or PDF of a received document (audited). */
    async content(id: string, format: 'cda' | 'pdf', actor: string): Promise<string | Buffer> {
      const [row] = await db.select({ cda: receivedDocuments.cda, pdf: receivedDocuments.pdf, identityId: receivedDocuments.identityId }).from(receivedDocuments).where(eq(receivedDocuments.id, id));
      if (!row) throw new ReceivedDocumentError('not_found', `Document reçu ${id} introuvable`, 404);
      if (format === 'pdf' && !row.pdf) throw new ReceivedDocumentError('no_pdf', 'Ce document est arrivé sans PDF : lisez le CDA', 404);
      await audit(db, { actor, action: `received.read.${format}`, subjectType: row.identityId ? 'identity' : 'received_document', subjectId: row.identityId ?? id, details: { document: id } });
      return format === 'pdf' ? row.pdf! : row.cda;
    },

    /**
     * A person of the identity-vigilance cell attaches a document waiting for review to the
     * patient they identified (audited with the reason).
     */
    async attach(id: string, identityId: string, reason: string, actor: string): Promise<ReceivedDocumentRow> {
      await deps.identities.get(identityId, actor); // exists, and the access is audited
      const [row] = await db.update(receivedDocuments).set({ identityId, status: 'integrated', matchedBy: 'manual', reason })
        .where(and(eq(receivedDocuments.id, id), eq(receivedDocuments.status, 'review'))).returning(RECEIVED_COLUMNS);
      if (!row) throw new ReceivedDocumentError('not_in_review', 'Ce document n’attend pas de rapprochement (introuvable ou déjà intégré)', 409);
      await audit(db, { actor, action: 'received.attach', subjectType: 'identity', subjectId: identityId, details: { document: id, reason } });
      return row;
    },
  };
}

export type ReceivedDocumentService = ReturnType<typeof createReceivedDocumentService>;
