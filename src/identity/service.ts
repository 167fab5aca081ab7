/**
 * The identity referential (RI): identities, their RNIV status, identity proofs, INSi
 * qualification, merges — every change audited and announced to the PAM subscribers in the
 * same transaction.
 */
import { and, asc, eq, isNull, ne, or, sql } from 'drizzle-orm';
import { checkTraits, firstGivenName, givenNameList, type InsTraits } from '../formats/ins/index.ts';
import { describeError } from '../formats/result.ts';
import { audit, audited } from '../platform/audit/index.ts';
import { DomainError } from '../platform/errors.ts';
import type { Database, Executor } from '../platform/db/index.ts';
import { compareTraits, type TraitMismatch } from './compare.ts';
import { toIdentity, type Identity, type IdentityRow } from './model.ts';
import { pamEventsFor, publishPam, type PamFeedEvent } from './pam-feed.ts';
import { applyEvent, deriveStatus, isHighTrust, PROOF_TYPES, type IdentityAttribute, type ProofType, type RnivEvent } from './rniv.ts';
import { identities, identityProofs, ippSequence } from './tables.ts';

/** An identity error for hospital staff: French message, machine code, HTTP status. */
export class IdentityError extends DomainError {}

/** What the service needs from an INSi client (national/insi implements it). */
export interface InsiLookup {
  searchByTraits(query: { birthName: string; givenNames: string[]; sex: 'M' | 'F'; birthDate: string; birthplace?: string }): Promise<InsiOutcome>;
  /** rechercherInsAvecCarteVitale: the beneficiary's matricule read on the card, birth date, rank. */
  searchByCarteVitale(query: { matricule: string; birthDate: string; birthName?: string; rank?: string | number }): Promise<InsiOutcome>;
}
export type InsiOutcome =
  | { code: '00'; identity: { matricule: string; oid: string; traits: InsTraits; history: Array<{ matricule: string; oid: string }>; warnings: string[] }; calls: number }
  | { code: '01' | '02'; message: string; calls: number };

export interface IdentityServiceDeps {
  db: Database;
  /** IPP authority of identities created here. */
  ippAuthority: string;
  /** Names of the PAM subscribers to feed. */
  subscribers: () => readonly string[];
  insi?: InsiLookup;
  /** Called after a commit that enqueued PAM messages (wakes the workers). */
  onPublished?: () => void;
}

export interface NewIdentity {
  traits: InsTraits;
  usedName?: string;
  usedGivenName?: string;
  /** Given by a sending system (PAM inbound); allocated otherwise. */
  ipp?: { id: string; authority: string };
}

export interface ReceivedIdentity {
  ipp: { id: string; authority: string };
  traits: InsTraits;
  usedName?: string;
  usedGivenName?: string;
  /** Only an INS the sender qualified (PID-32 = VALI). */
  ins?: { matricule: string; oid: string };
  status: 'PROV' | 'VALI';
  attributes: IdentityAttribute[];
  acquisition?: string;
}

export interface SearchQuery {
  ipp?: string;
  ins?: string;
  birthName?: string;
  givenName?: string;
  birthDate?: string;
  sex?: 'M' | 'F' | 'U';
  limit?: number;
}

export interface QualificationResult {
  identity: Identity;
  outcome: '00' | '01' | '02';
  /** French message for staff. */
  message: string;
  adopted: boolean;
  mismatches: TraitMismatch[];
  calls: number;
  warnings: string[];
}

const STRICT_TRAITS = ['birthName', 'birthGivenNames', 'birthDate', 'sex', 'birthplace'] as const;

export function createIdentityService(deps: IdentityServiceDeps) {
  const { db } = deps;

  async function load(tx: Executor, id: string): Promise<IdentityRow> {
    const [row] = await tx.select().from(identities).where(eq(identities.id, id)).for('update');
    if (!row) throw new IdentityError('not_found', `Identité ${id} introuvable`, 404);
    if (row.mergedInto) throw new IdentityError('merged', `Identité fusionnée dans ${row.mergedInto} : utilisez l'identité conservée`, 409, { mergedInto: row.mergedInto });
    return row;
  }

  /** Runs a change in one transaction: audit, PAM feed, and the wake-up after commit. */
  async function change<T>(work: (tx: Executor) => Promise<{ result: T; pam: PamFeedEvent[] }>): Promise<T> {
    const { result, pam } = await db.transaction(async (tx) => {
      const out = await work(tx);
      await publishPam(tx, deps.subscribers(), out.pam);
      return out;
    });
    if (pam.length > 0) deps.onPublished?.();
    return result;
  }

  /** Applies RNIV events and field changes to a row, writes it, returns before/after views. */
  async function write(tx: Executor, row: IdentityRow, events: RnivEvent[], fields: Partial<typeof identities.$inferInsert>) {
    const facts = events.reduce(applyEvent, { insiVerified: row.insiVerified, highTrustProof: row.highTrustProof, attributes: row.attributes as IdentityAttribute[] });
    const status = deriveStatus(facts);
    const [updated] = await tx.update(identities).set({
      ...fields,
      insiVerified: facts.insiVerified,
      highTrustProof: facts.highTrustProof,
      attributes: [...facts.attributes],
      status,
      version: row.version + 1,
      updatedAt: new Date(),
    }).where(eq(identities.id, row.id)).returning();
    const before = toIdentity(row);
    const after = toIdentity(updated!);
    return { before, after, pam: pamEventsFor(before, after) };
  }

  async function findDuplicates(tx: Executor, traits: InsTraits, excludeId?: string): Promise<Identity[]> {
    const first = firstGivenName(traits.birthGivenNames);
    const rows = await tx.select().from(identities).where(and(
      isNull(identities.mergedInto),
      eq(identities.birthDate, traits.birthDate),
      or(
        eq(identities.birthName, traits.birthName),
        and(eq(identities.sex, traits.sex), sql`split_part(${identities.birthGivenNames}, ' ', 1) = ${first}`),
      ),
      excludeId ? ne(identities.id, excludeId) : undefined,
    )).limit(20);
    return rows.map(toIdentity);
  }

  function validTraits(traits: InsTraits): InsTraits {
    const checked = checkTraits(traits);
    if (!checked.ok) throw new IdentityError('invalid_traits', `Trait invalide — ${describeError(checked.error)}`, 400, { field: checked.error.field, rule: checked.error.rule });
    return checked.value;
  }

  return {
    /** Creates a provisional identity; reports possible duplicates (same birth date and name or first prénom). */
    async create(input: NewIdentity, actor: string): Promise<{ identity: Identity; possibleDuplicates: Identity[] }> {
      const traits = validTraits(input.traits);
      return change(async (tx) => {
        const possibleDuplicates = await findDuplicates(tx, traits);
        const ipp = input.ipp ?? { id: String((await tx.execute(sql`select nextval(${ippSequence.seqName}) as n`) as unknown as { rows: Array<{ n: string }> }).rows[0]!.n), authority: deps.ippAuthority };
        const [row] = await tx.insert(identities).values({
          ipp: ipp.id, ippAuthority: ipp.authority,
          birthName: traits.birthName, birthGivenNames: traits.birthGivenNames, birthDate: traits.birthDate, sex: traits.sex,
          birthplace: traits.birthplace ?? null, usedName: input.usedName ?? null, usedGivenName: input.usedGivenName ?? null,
        }).onConflictDoNothing().returning();
        if (!row) throw new IdentityError('ipp_taken', `L'IPP ${ipp.id} existe déjà pour ${ipp.authority}`, 409);
        const identity = toIdentity(row);
        await audit(tx, { actor, action: 'identity.create', subjectType: 'identity', subjectId: row.id, details: { ipp: ipp.id, duplicates: possibleDuplicates.map((d) => d.id) } });
        return { result: { identity, possibleDuplicates }, pam: pamEventsFor(undefined, identity) };
      });
    },

    async get(id: string, actor: string): Promise<Identity> {
      // The read and its audit event in one statement.
      const event = audited(db, { actor, action: 'identity.read', subjectType: 'identity', subjectId: id }, sql`exists (select 1 from ${identities} where id = ${id})`);
      const [row] = await db.with(event).select().from(identities).where(eq(identities.id, id));
      if (!row) throw new IdentityError('not_found', `Identité ${id} introuvable`, 404);
      return toIdentity(row);
    },

    async findByIpp(ipp: string, authority: string): Promise<Identity | undefined> {
      const [row] = await db.select().from(identities).where(and(eq(identities.ipp, ipp), eq(identities.ippAuthority, authority)));
      return row ? toIdentity(row) : undefined;
    },

    /**
     * The identity a message from another system is about (a plateau technique's document):
     * by IPP — the survivor when that identity was merged — else the one qualified identity
     * with the INS. Never a guess: none when the IPP's identity carries another INS, or when
     * several qualified identities share the INS.
     */
    async identityOf(patient: { ipp?: { id: string; authority: string }; ins?: { matricule: string } }): Promise<string | undefined> {
      const matricule = patient.ins?.matricule.toUpperCase();
      if (patient.ipp) {
        let [found] = await db.select().from(identities).where(and(eq(identities.ipp, patient.ipp.id), eq(identities.ippAuthority, patient.ipp.authority)));
        // Merges may chain (A into B, then B into C): the survivor is at the end.
        for (let hops = 0; found?.mergedInto && hops < 20; hops++) [found] = await db.select().from(identities).where(eq(identities.id, found.mergedInto));
        if (found && !found.mergedInto) return found.insMatricule && matricule && found.insMatricule !== matricule ? undefined : found.id;
        if (found) return undefined;
      }
      if (!matricule) return undefined;
      const rows = await db.select({ id: identities.id }).from(identities)
        .where(and(eq(identities.insMatricule, matricule), eq(identities.status, 'QUAL'), isNull(identities.mergedInto))).limit(2);
      return rows.length === 1 ? rows[0]!.id : undefined;
    },

    /** Search by IPP, INS (qualified identities only) or traits. */
    async search(query: SearchQuery, actor: string): Promise<Identity[]> {
      const conditions = [isNull(identities.mergedInto)];
      if (query.ipp) conditions.push(eq(identities.ipp, query.ipp));
      if (query.ins) conditions.push(eq(identities.insMatricule, query.ins.toUpperCase()), eq(identities.status, 'QUAL'));
      if (query.birthName) conditions.push(sql`${identities.birthName} like ${query.birthName.toUpperCase() + '%'}`);
      if (query.givenName) conditions.push(sql`(' ' || ${identities.birthGivenNames} || ' ') like ${'% ' + query.givenName.toUpperCase() + '%'}`);
      if (query.birthDate) conditions.push(eq(identities.birthDate, query.birthDate));
      if (query.sex) conditions.push(eq(identities.sex, query.sex));
      if (conditions.length === 1) throw new IdentityError('empty_search', 'Indiquez au moins un critère : IPP, INS, nom, prénom, date de naissance ou sexe');
      const rows = await db.select().from(identities).where(and(...conditions)).orderBy(asc(identities.birthName)).limit(query.limit ?? 50);
      await audit(db, { actor, action: 'identity.search', subjectType: 'identity', subjectId: '*', details: { results: rows.map((r) => r.id) } });
      return rows.map(toIdentity);
    },

    async duplicatesOf(id: string, actor: string): Promise<Identity[]> {
      const identity = await this.get(id, actor);
      return findDuplicates(db, identity.traits, id);
    },

    /** Edits traits. Editing a strict trait drops the INSi source (the INS can no longer be used). */
    async updateTraits(id: string, changes: Partial<InsTraits> & { usedName?: string | null; usedGivenName?: string | null }, actor: string): Promise<Identity> {
      return change(async (tx) => {
        const row = await load(tx, id);
        const current = toIdentity(row).traits;
        const traits = validTraits({
          birthName: changes.birthName ?? current.birthName,
          birthGivenNames: changes.birthGivenNames ?? current.birthGivenNames,
          birthDate: changes.birthDate ?? current.birthDate,
          sex: changes.sex ?? current.sex,
          ...((changes.birthplace ?? current.birthplace) ? { birthplace: changes.birthplace ?? current.birthplace } : {}),
        });
        const strictChanged = STRICT_TRAITS.filter((k) => (traits[k] ?? '') !== (current[k] ?? ''));
        const { after, pam } = await write(tx, row, strictChanged.length > 0 && row.insiVerified ? [{ type: 'strictTraitEdited' }] : [], {
          birthName: traits.birthName, birthGivenNames: traits.birthGivenNames, birthDate: traits.birthDate, sex: traits.sex, birthplace: traits.birthplace ?? null,
          ...(changes.usedName !== undefined ? { usedName: changes.usedName } : {}),
          ...(changes.usedGivenName !== undefined ? { usedGivenName: changes.usedGivenName } : {}),
        });
        await audit(tx, { actor, action: 'identity.update', subjectType: 'identity', subjectId: id, details: { strictTraits: strictChanged, status: after.status } });
        return { result: after, pam };
      });
    },

    /** Records an identity document checked by staff; a high-trust one validates the identity. */
    async recordProof(id: string, proof: { type: ProofType; expiresOn?: string }, actor: string): Promise<Identity> {
      if (!(proof.type in PROOF_TYPES)) throw new IdentityError('invalid_proof', `Type de justificatif inconnu : ${proof.type}`);
      if (proof.expiresOn && proof.expiresOn < new Date().toISOString().slice(0, 10)) {
        throw new IdentityError('expired_proof', `Justificatif expiré le ${proof.expiresOn} : il ne peut pas valider l'identité`);
      }
      return change(async (tx) => {
        const row = await load(tx, id);
        const highTrust = isHighTrust(proof.type, row.birthDate, new Date());
        await tx.insert(identityProofs).values({ identityId: id, type: proof.type, highTrust, expiresOn: proof.expiresOn ?? null, checkedBy: actor });
        const { after, pam } = await write(tx, row, [{ type: 'proofChecked', highTrust }],
          highTrust ? { proofType: proof.type, proofExpiresOn: proof.expiresOn ?? null } : {});
        await audit(tx, { actor, action: 'identity.proof', subjectType: 'identity', subjectId: id, details: { type: proof.type, highTrust, status: after.status } });
        return { result: after, pam };
      });
    },

    /** Withdraws the identity documents (error, doubt): QUAL → RECUP, VALI → PROV. */
    async withdrawProofs(id: string, reason: string, actor: string): Promise<Identity> {
      return change(async (tx) => {
        const row = await load(tx, id);
        await tx.update(identityProofs).set({ withdrawnAt: new Date(), withdrawnReason: reason })
          .where(and(eq(identityProofs.identityId, id), isNull(identityProofs.withdrawnAt)));
        const { after, pam } = await write(tx, row, [{ type: 'proofWithdrawn' }], { proofType: null, proofExpiresOn: null });
        await audit(tx, { actor, action: 'identity.proof.withdraw', subjectType: 'identity', subjectId: id, details: { status: after.status } });
        return { result: after, pam };
      });
    },

    async listProofs(id: string) {
      return db.select().from(identityProofs).where(eq(identityProofs.identityId, id)).orderBy(asc(identityProofs.checkedAt));
    },

    async setAttributes(id: string, change_: { set?: IdentityAttribute[]; clear?: IdentityAttribute[] }, actor: string): Promise<Identity> {
      return change(async (tx) => {
        const row = await load(tx, id);
        const events: RnivEvent[] = [
          ...(change_.set ?? []).map((attribute) => ({ type: 'attributeSet', attribute }) as const),
          ...(change_.clear ?? []).map((attribute) => ({ type: 'attributeCleared', attribute }) as const),
        ];
        const { after, pam } = await write(tx, row, events, {});
        await audit(tx, { actor, action: 'identity.attributes', subjectType: 'identity', subjectId: id, details: { ...change_, status: after.status } });
        return { result: after, pam };
      });
    },

    /**
     * Calls INSi with the local traits (one call per prénom, then all prénoms), compares the
     * returned traits and, when they are coherent, adopts them: PROV → RECUP, VALI → QUAL.
     */
    async qualifyWithInsi(id: string, options: { givenNames?: string[]; carteVitale?: { matricule: string; rank?: number } }, actor: string): Promise<QualificationResult> {
      if (!deps.insi) throw new IdentityError('insi_unavailable', 'Le téléservice INSi n’est pas configuré', 503);
      const [current] = await db.select().from(identities).where(eq(identities.id, id));
      if (!current) throw new IdentityError('not_found', `Identité ${id} introuvable`, 404);
      if (current.sex === 'U') throw new IdentityError('insi_sex', 'INSi exige le sexe M ou F');
      const local = toIdentity(current).traits;
      const outcome = options.carteVitale
        ? await deps.insi.searchByCarteVitale({
          matricule: options.carteVitale.matricule, birthDate: local.birthDate, birthName: local.birthName,
          ...(options.carteVitale.rank !== undefined ? { rank: options.carteVitale.rank } : {}),
        })
        : await deps.insi.searchByTraits({
          birthName: local.birthName,
          givenNames: options.givenNames?.length ? options.givenNames : givenNameList(local.birthGivenNames),
          sex: current.sex, birthDate: local.birthDate,
          ...(local.birthplace ? { birthplace: local.birthplace } : {}),
        });
      return change<QualificationResult>(async (tx) => {
        const row = await load(tx, id);
        if (outcome.code !== '00') {
          await audit(tx, { actor, action: 'identity.insi', subjectType: 'identity', subjectId: id, details: { code: outcome.code, calls: outcome.calls } });
          return { result: { identity: toIdentity(row), outcome: outcome.code, message: outcome.message, adopted: false, mismatches: [], calls: outcome.calls, warnings: [] }, pam: [] };
        }
        const found = outcome.identity;
        const mismatches = compareTraits(local, found.traits);
        if (mismatches.length > 0) {
          await audit(tx, { actor, action: 'identity.insi', subjectType: 'identity', subjectId: id, details: { code: '00', adopted: false, mismatches: mismatches.map((m) => m.trait) } });
          return {
            result: {
              identity: toIdentity(row), outcome: '00', adopted: false, mismatches, calls: outcome.calls, warnings: found.warnings,
              message: `INSi a trouvé une identité dont les traits diffèrent (${mismatches.map((m) => m.label).join(', ')}) : vérifiez le justificatif avant toute adoption`,
            },
            pam: [],
          };
        }
        const { after, pam } = await write(tx, row, [{ type: 'insiAdopted' }], {
          birthName: found.traits.birthName, birthGivenNames: found.traits.birthGivenNames, birthDate: found.traits.birthDate,
          sex: found.traits.sex, birthplace: found.traits.birthplace ?? null,
          insMatricule: found.matricule, insOid: found.oid, insHistory: found.history, insiCheckedAt: new Date(), insAcquisition: 'INSI',
        });
        await audit(tx, { actor, action: 'identity.insi', subjectType: 'identity', subjectId: id, details: { code: '00', adopted: true, status: after.status, calls: outcome.calls } });
        const message = after.status === 'QUAL'
          ? 'Identité qualifiée : traits INSi adoptés et justificatif à haut niveau de confiance vérifié'
          : 'Identité récupérée : traits INSi adoptés ; un justificatif à haut niveau de confiance est nécessaire pour la qualifier';
        return { result: { identity: after, outcome: '00', message, adopted: true, mismatches: [], calls: outcome.calls, warnings: found.warnings }, pam };
      });
    },

    /** The INSi source is no longer valid (INS revoked, wrong person): QUAL → VALI, RECUP → PROV. */
    async invalidateInsi(id: string, reason: string, actor: string): Promise<Identity> {
      return change(async (tx) => {
        const row = await load(tx, id);
        const { after, pam } = await write(tx, row, [{ type: 'insiInvalidated' }], { insMatricule: null, insOid: null, insHistory: [], insAcquisition: null });
        await audit(tx, { actor, action: 'identity.insi.invalidate', subjectType: 'identity', subjectId: id, details: { reason, status: after.status } });
        return { result: after, pam };
      });
    },

    /**
     * An identity as asserted by a sending system (PAM inbound), upserted by IPP. Its status
     * follows PID-32: VALI with a usable INS → QUAL, VALI → VALI, PROV → PROV; an INS that is
     * not usable (PID-32 ≠ VALI) has already been dropped by the caller.
     */
    async receive(input: ReceivedIdentity, actor: string): Promise<Identity> {
      const traits = validTraits(input.traits);
      return change(async (tx) => {
        const [row] = await tx.select().from(identities)
          .where(and(eq(identities.ipp, input.ipp.id), eq(identities.ippAuthority, input.ipp.authority))).for('update');
        const facts = { insiVerified: input.ins !== undefined, highTrustProof: input.status === 'VALI', attributes: input.attributes };
        const fields = {
          birthName: traits.birthName, birthGivenNames: traits.birthGivenNames, birthDate: traits.birthDate, sex: traits.sex,
          birthplace: traits.birthplace ?? null, usedName: input.usedName ?? null, usedGivenName: input.usedGivenName ?? null,
          insMatricule: input.ins?.matricule ?? null, insOid: input.ins?.oid ?? null, insAcquisition: input.ins ? (input.acquisition ?? null) : null,
          insiVerified: facts.insiVerified, highTrustProof: facts.highTrustProof, attributes: [...facts.attributes], status: deriveStatus(facts),
        };
        if (!row) {
          const [created] = await tx.insert(identities).values({ ipp: input.ipp.id, ippAuthority: input.ipp.authority, ...fields }).returning();
          const identity = toIdentity(created!);
          await audit(tx, { actor, action: 'identity.create', subjectType: 'identity', subjectId: identity.id, details: { ipp: input.ipp.id, status: identity.status } });
          return { result: identity, pam: pamEventsFor(undefined, identity) };
        }
        if (row.mergedInto) throw new IdentityError('merged', `IPP ${input.ipp.id} fusionné dans une autre identité`, 409);
        const [updated] = await tx.update(identities).set({ ...fields, version: row.version + 1, updatedAt: new Date() }).where(eq(identities.id, row.id)).returning();
        const before = toIdentity(row);
        const after = toIdentity(updated!);
        await audit(tx, { actor, action: 'identity.update', subjectType: 'identity', subjectId: row.id, details: { status: after.status, insChanged: before.ins?.matricule !== after.ins?.matricule } });
        return { result: after, pam: pamEventsFor(before, after) };
      });
    },

    /** A40 received: merges the identity of `absorbedIpp` into the one of `survivorIpp`. */
    async mergeByIpp(survivorIpp: { id: string; authority: string }, absorbedIpp: { id: string; authority: string }, actor: string): Promise<Identity> {
      const find = async (ipp: { id: string; authority: string }) => {
        const [row] = await db.select({ id: identities.id }).from(identities).where(and(eq(identities.ipp, ipp.id), eq(identities.ippAuthority, ipp.authority)));
        if (!row) throw new IdentityError('not_found', `IPP ${ipp.id} inconnu`, 404, { ipp: ipp.id });
        return row.id;
      };
      return this.merge(await find(survivorIpp), await find(absorbedIpp), actor);
    },

    /** Merges `absorbedId` into `survivorId` (duplicate resolution): A40 to the subscribers. */
    async merge(survivorId: string, absorbedId: string, actor: string): Promise<Identity> {
      if (survivorId === absorbedId) throw new IdentityError('merge_self', 'Une identité ne peut pas être fusionnée avec elle-même');
      return change(async (tx) => {
        const survivor = await load(tx, survivorId);
        const absorbed = await load(tx, absorbedId);
        await tx.update(identities).set({ mergedInto: survivorId, updatedAt: new Date(), version: absorbed.version + 1 }).where(eq(identities.id, absorbedId));
        await audit(tx, { actor, action: 'identity.merge', subjectType: 'identity', subjectId: survivorId, details: { absorbed: absorbedId } });
        await audit(tx, { actor, action: 'identity.merged', subjectType: 'identity', subjectId: absorbedId, details: { into: survivorId } });
        const identity = toIdentity(survivor);
        return { result: identity, pam: [{ event: 'A40', identity, absorbed: { ipp: absorbed.ipp, ippAuthority: absorbed.ippAuthority } }] };
      });
    },
  };
}

export type IdentityService = ReturnType<typeof createIdentityService>;
