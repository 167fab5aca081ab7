/**
 * The DMP sandbox's XDS.b registry and repository: what each transaction does to the sandbox
 * tables, with the DMP rules (dmp.md §5–§9). Every broken rule throws a RuleError carrying the
 * IHE code (or a `SANDBOX_` code where the DMP's own is not public); sandbox.ts turns it into
 * the transaction's failure answer.
 */
import { createHash, randomUUID } from 'node:crypto';
import { XMLSerializer, type Element } from '@xmldom/xmldom';
import { and, eq, inArray, or, sql, type SQLWrapper } from 'drizzle-orm';
import { childElements, firstChildElement, parseXml, type MtomAttachment } from '../../formats/soap/index.ts';
import { ASSOCIATION_TYPE, readSubmitObjectsRequest, RIM_NS, type SubmitObjectsRequestFacts } from '../../formats/xds/index.ts';
import type { Database, Executor } from '../../platform/db/index.ts';
import { buildQueryResponse, STORED_QUERY, type StoredQuery } from './iti18.ts';
import { buildRetrieveResponse, type DocumentRequest, type RetrievedDocument } from './iti43.ts';
import type { Iti41Request } from './iti41.ts';
import { canProfessionalSee, checkCodedMetadata, checkConfidentiality, checkPatientId, checkSignatureMetadata, isSignatureEntry, RuleError, type PatientIns, type Requester } from './rules.ts';
import { verifySignatureDocument } from './signature-document.ts';
import { dmpSandboxAssociations, dmpSandboxDocuments, dmpSandboxEntries, dmpSandboxPatients, dmpSandboxSubmissionSets } from './tables.ts';
import type { Td02Answer, Td02Request } from './td02.ts';
import { escapeAttribute } from '../../formats/xml.ts';
import { AVAILABILITY, type RegistryErrorFacts } from './wire.ts';

export interface RegistryOptions {
  allowProductionIns: boolean;
  unknownPatients: 'active' | 'absent';
  repositoryUniqueId: string;
  trustedCa: string[];
}

export type PatientState = 'active' | 'closed' | 'opposed' | 'absent';
export interface PatientRow {
  status: PatientState;
  treatingPhysician: string | null;
  closedOn: string | null;
  closingReason: string | null;
}

type EntryRow = typeof dmpSandboxEntries.$inferSelect;

const uuid = (): string => `urn:uuid:${randomUUID()}`;
const isUuid = (id: string): boolean => /^urn:uuid:[0-9a-f-]{36}$/i.test(id);

export class Registry {
  constructor(private readonly db: Database, private readonly options: RegistryOptions) {}

  async patient(matricule: string, executor: Executor = this.db): Promise<PatientRow> {
    const [row] = await executor.select().from(dmpSandboxPatients).where(eq(dmpSandboxPatients.matricule, matricule));
    if (row) return { status: row.status, treatingPhysician: row.treatingPhysician, closedOn: row.closedOn, closingReason: row.closingReason };
    return { status: this.options.unknownPatients, treatingPhysician: null, closedOn: null, closingReason: null };
  }

  async setPatient(matricule: string, state: Partial<PatientRow>): Promise<void> {
    const current = await this.patient(matricule);
    const next = { ...current, ...state };
    await this.db.insert(dmpSandboxPatients).values({ matricule, ...next, updatedAt: new Date() })
      .onConflictDoUpdate({ target: dmpSandboxPatients.matricule, set: { ...next, updatedAt: new Date() } });
  }

  private checkIns(cx: string): PatientIns {
    return checkPatientId(cx, { allowProductionIns: this.options.allowProductionIns });
  }

  /** The patient's DMP must exist and accept the operation. */
  private async openDmp(ins: PatientIns, executor: Executor, forFeeding: boolean): Promise<PatientRow> {
    const p = await this.patient(ins.matricule, executor);
    checkDmpOpen(ins, p.status, forFeeding);
    return p;
  }

  // ---- TD0.2 -------------------------------------------------------------------------------

  async td02(request: Td02Request, requester: Requester): Promise<Td02Answer> {
    this.checkIns(`${request.matricule}^^^&${request.oid}&ISO^NH`);
    const p = await this.patient(request.matricule);
    const status = ({ active: 'ACTIVE', closed: 'CLOSED', opposed: 'OPPOSED', absent: 'NOT_FOUND' } as const)[p.status];
    const answer: Td02Answer = {
      status,
      treatingPhysician: p.treatingPhysician !== null && p.treatingPhysician === requester.nameId,
      authorization: p.status === 'active' ? 'Exist' : 'NoAuthorization',
    };
    if (p.closedOn) answer.closedOn = p.closedOn;
    if (p.closingReason) answer.closingReason = p.closingReason;
    return answer;
  }

  // ---- ITI-41 ------------------------------------------------------------------------------

  async provideAndRegister(request: Iti41Request, requester: Requester & { patientId?: string }): Promise<void> {
    const { facts, documents } = request;
    const ss = facts.submissionSet;
    const ins = this.checkIns(ss.patientId);
    if (requester.patientId && requester.patientId !== ss.patientId) throw new RuleError('XDSPatientIdDoesNotMatch', 'VIHF resource-id differs from SubmissionSet.patientId');
    for (const [i, e] of facts.entries.entries()) {
      if (e.entry.patientId !== ss.patientId) throw new RuleError('XDSPatientIdDoesNotMatch', `ExtrinsicObject[${i}].patientId differs from SubmissionSet.patientId`, e.entryUuid);
    }
    if (!ss.author || ss.author.institutions.length === 0) throw new RuleError('XDSRegistryMetadataError', 'SubmissionSet.author: authorInstitution required');
    if (ss.contentTypeCode.codingScheme !== '1.2.250.1.213.2.2') throw new RuleError('XDSRegistryMetadataError', 'SubmissionSet.contentTypeCode: scheme 1.2.250.1.213.2.2 (TRE_R209) expected');

    const signatures = facts.entries.filter((e) => isSignatureEntry(e.entry));
    const clinical = facts.entries.filter((e) => !isSignatureEntry(e.entry));
    if (clinical.length === 0) throw new RuleError('XDSRegistryMetadataError', 'no DocumentEntry besides the signature document');
    const signs = facts.associations.filter((a) => a.associationType === ASSOCIATION_TYPE.signs && a.targetObject === ss.entryUuid);
    const signature = signatures.find((s) => signs.some((a) => a.sourceObject === s.entryUuid));
    if (!signature) throw new RuleError('SANDBOX_SIGNATURE_MISSING', 'no signature document signing the submission set');

    clinical.forEach((e, i) => checkCodedMetadata(e.entry, `DocumentEntry[${i}]`));
    checkSignatureMetadata(signature.entry, 'SignatureDocument');

    const ids = new Set(facts.entries.map((e) => e.entryUuid));
    for (const e of facts.entries) {
      const bytes = documents.get(e.entryUuid);
      if (!bytes) throw new RuleError('XDSMissingDocument', `no xdsb:Document for ${e.entryUuid}`, e.entryUuid);
      const hash = createHash('sha1').update(bytes).digest('hex');
      if (hash !== e.entry.hash.toLowerCase()) throw new RuleError('XDSNonIdenticalHash', `hash of ${e.entry.uniqueId} is ${hash}, metadata says ${e.entry.hash}`, e.entryUuid);
      if (bytes.byteLength !== e.entry.size) throw new RuleError('XDSNonIdenticalSize', `size of ${e.entry.uniqueId} is ${bytes.byteLength}, metadata says ${e.entry.size}`, e.entryUuid);
    }
    for (const id of documents.keys()) if (!ids.has(id)) throw new RuleError('XDSMissingDocumentMetadata', `xdsb:Document ${id} has no ExtrinsicObject`, id);

    const check = verifySignatureDocument({
      bytes: documents.get(signature.entryUuid)!,
      submissionSetUniqueId: ss.uniqueId,
      documents: clinical.map((e) => ({ uniqueId: e.entry.uniqueId, bytes: documents.get(e.entryUuid)!, mimeType: e.entry.mimeType })),
      trustedCa: this.options.trustedCa,
    });
    if (!check.ok) throw new RuleError('SANDBOX_SIGNATURE_INVALID', `${check.error.field}: ${check.error.rule}`);

    // The registry's state as the rules need it, read in one statement (the patient, a uniqueId
    // of the submission or its SubmissionSet.uniqueId already registered), then the rows that a
    // replacement or an association to a registry object concerns, if any: the rules are checked
    // in the same order as ever. Every write then goes in one statement, atomic without a
    // transaction. As in the READ COMMITTED transaction this replaces, the reads take no lock: a
    // concurrent submission of the same uniqueId fails on the unique index.
    const uniqueIds = facts.entries.map((e) => e.entry.uniqueId);
    const state = await this.submissionState(ins.matricule, uniqueIds, ss.uniqueId);
    checkDmpOpen(ins, state.patientStatus, true);
    if (new Set(uniqueIds).size !== uniqueIds.length) throw new RuleError('XDSDuplicateUniqueIdInRegistry', 'the same uniqueId twice in the submission');
    if (state.takenUniqueId !== null) throw new RuleError('XDSDuplicateUniqueIdInRegistry', `uniqueId ${state.takenUniqueId} already registered`);
    if (state.submissionSetTaken) throw new RuleError('XDSDuplicateUniqueIdInRegistry', `SubmissionSet.uniqueId ${ss.uniqueId} already registered`);

    // RPLC (dmp.md §5.5)
    const replaced = new Map<string, EntryRow>();
    for (const a of facts.associations.filter((x) => x.associationType === ASSOCIATION_TYPE.replace)) {
      const [old] = await this.db.select().from(dmpSandboxEntries).where(eq(dmpSandboxEntries.entryUuid, a.targetObject));
      if (!old || old.status === AVAILABILITY.deleted) throw new RuleError('UnresolvedReferenceException', `RPLC target ${a.targetObject} is not in the registry`, a.targetObject);
      if (old.status !== AVAILABILITY.approved) throw new RuleError('SANDBOX_RPLC_NOT_APPROVED', `RPLC target ${a.targetObject} is ${old.status}`, a.targetObject);
      if (old.patientId !== ss.patientId) throw new RuleError('XDSPatientIdDoesNotMatch', `RPLC target ${a.targetObject} belongs to another patient`, a.targetObject);
      const incoming = facts.entries.find((e) => e.entryUuid === a.sourceObject);
      if (!incoming) throw new RuleError('XDSRegistryMetadataError', `RPLC source ${a.sourceObject} is not in the submission`);
      if (old.everVisibleToPatient && incoming.entry.confidentialityCodes.some((c) => c.code === 'INVISIBLE_PATIENT')) {
        throw new RuleError('SANDBOX_ALREADY_VISIBLE_TO_PATIENT', `the replaced document ${old.uniqueId} was visible to the patient`);
      }
      replaced.set(a.sourceObject, old);
    }
    // Every other association must join objects of the submission or of the registry.
    await this.checkReferences(this.db, facts.associations.filter((a) => a.associationType !== ASSOCIATION_TYPE.replace), new Set([ss.entryUuid, ...ids]));

    const idMap = new Map<string, string>();
    const assign = (id: string): string => idMap.get(id) ?? (idMap.set(id, isUuid(id) ? id : uuid()), idMap.get(id)!);
    assign(ss.entryUuid);
    facts.entries.forEach((e) => assign(e.entryUuid));
    const objects = storedObjects(request.submitObjects, idMap);

    // One statement: an insert per table (multi-row, in the order of the submission) and the
    // replaced entries deprecated, each a data-modifying CTE.
    const writes: SQLWrapper[] = [];
    writes.push(this.db.insert(dmpSandboxSubmissionSets).values({ entryUuid: assign(ss.entryUuid), uniqueId: ss.uniqueId, matricule: ins.matricule, submissionTime: ss.submissionTime, structureId: requester.structureId, metadataXml: objects.get(ss.entryUuid) ?? '' }));
    writes.push(this.db.insert(dmpSandboxEntries).values(facts.entries.map((e) => {
      const codes = e.entry.confidentialityCodes.map((c) => c.code);
      const entryUuid = assign(e.entryUuid);
      return {
        entryUuid, logicalId: entryUuid, version: 1, uniqueId: e.entry.uniqueId, patientId: e.entry.patientId, matricule: ins.matricule,
        status: AVAILABILITY.approved, confidentiality: codes, structureId: requester.structureId, submissionSetUuid: assign(ss.entryUuid),
        everVisibleToPatient: !codes.includes('INVISIBLE_PATIENT'), isSignature: isSignatureEntry(e.entry), classCode: e.entry.classCode.code,
        typeCode: e.entry.typeCode.code, creationTime: e.entry.creationTime, serviceStartTime: e.entry.serviceStartTime ?? null, metadataXml: objects.get(e.entryUuid) ?? '',
      };
    })));
    writes.push(this.db.insert(dmpSandboxDocuments).values(facts.entries.map((e) => ({ uniqueId: e.entry.uniqueId, mimeType: e.entry.mimeType, content: documents.get(e.entryUuid)! }))));
    if (facts.associations.length > 0) {
      writes.push(this.db.insert(dmpSandboxAssociations).values(facts.associations.map((a) => {
        const slots: Record<string, string[]> = a.submissionSetStatus ? { SubmissionSetStatus: [a.submissionSetStatus] } : {};
        return { entryUuid: uuid(), associationType: a.associationType, sourceObject: idMap.get(a.sourceObject) ?? a.sourceObject, targetObject: idMap.get(a.targetObject) ?? a.targetObject, slots };
      })));
    }
    if (replaced.size > 0) {
      writes.push(this.db.update(dmpSandboxEntries).set({ status: AVAILABILITY.deprecated }).where(inArray(dmpSandboxEntries.entryUuid, [...replaced.values()].map((old) => old.entryUuid))));
    }
    await writeAll(this.db, writes);
  }

  /** What the ITI-41 rules need of the registry, in one statement. */
  private async submissionState(matricule: string, uniqueIds: string[], submissionSetUniqueId: string): Promise<{ patientStatus: PatientState; takenUniqueId: string | null; submissionSetTaken: boolean }> {
    const p = dmpSandboxPatients;
    const d = dmpSandboxDocuments;
    const s = dmpSandboxSubmissionSets;
    const result = await this.db.execute(sql`select
      (select ${p.status} from ${p} where ${eq(p.matricule, matricule)}) as patient_status,
      (select ${d.uniqueId} from ${d} where ${inArray(d.uniqueId, uniqueIds)} limit 1) as taken_unique_id,
      exists (select 1 from ${s} where ${eq(s.uniqueId, submissionSetUniqueId)}) as submission_set_taken`);
    const row = (result as unknown as { rows: Array<{ patient_status: PatientState | null; taken_unique_id: string | null; submission_set_taken: boolean }> }).rows[0]!;
    return { patientStatus: row.patient_status ?? this.options.unknownPatients, takenUniqueId: row.taken_unique_id, submissionSetTaken: row.submission_set_taken };
  }

  // ---- ITI-18 ------------------------------------------------------------------------------

  async storedQuery(query: StoredQuery, requester: Requester): Promise<string> {
    const p = query.parameters;
    const one = (name: string, required = true): string | undefined => {
      const v = p.get(name)?.[0];
      if (required && v === undefined) throw new RuleError('XDSStoredQueryMissingParam', `${name} is required`, name);
      return v;
    };
    const codes = (name: string): string[] | undefined => p.get(name)?.map((v) => v.split('^')[0]!);
    const visible = (rows: EntryRow[]): Promise<EntryRow[]> => this.visibleTo(rows, requester);
    const respond = (docs: EntryRow[], sets: Array<typeof dmpSandboxSubmissionSets.$inferSelect>, assocs: Array<typeof dmpSandboxAssociations.$inferSelect>): string => {
      if (query.returnType === 'ObjectRef') return buildQueryResponse({ objectRefs: [...docs.map((d) => d.entryUuid), ...sets.map((s) => s.entryUuid), ...assocs.map((a) => a.entryUuid)] });
      return buildQueryResponse({ objects: [...docs.map((d) => this.renderEntry(d)), ...sets.map((s) => renderSubmissionSet(s)), ...assocs.map(renderAssociation)] });
    };

    switch (query.queryId) {
      case STORED_QUERY.findDocuments: {
        const ins = this.checkIns(one('$XDSDocumentEntryPatientId')!);
        const statuses = p.get('$XDSDocumentEntryStatus');
        if (!statuses?.length) throw new RuleError('XDSStoredQueryMissingParam', '$XDSDocumentEntryStatus is required', '$XDSDocumentEntryStatus');
        await this.openDmp(ins, this.db, false);
        let rows = await this.db.select().from(dmpSandboxEntries).where(and(eq(dmpSandboxEntries.matricule, ins.matricule), inArray(dmpSandboxEntries.status, statuses)));
        const classCodes = codes('$XDSDocumentEntryClassCode');
        const typeCodes = codes('$XDSDocumentEntryTypeCode');
        const from = one('$XDSDocumentEntryCreationTimeFrom', false);
        const to = one('$XDSDocumentEntryCreationTimeTo', false);
        const startFrom = one('$XDSDocumentEntryServiceStartTimeFrom', false);
        rows = rows.filter((r) => !r.isSignature
          && (!classCodes || classCodes.includes(r.classCode))
          && (!typeCodes || typeCodes.includes(r.typeCode))
          && (!from || r.creationTime >= from)
          && (!to || r.creationTime < to)
          && (!startFrom || (r.serviceStartTime !== null && r.serviceStartTime >= startFrom)));
        return respond(await visible(sortEntries(rows)), [], []);
      }
      case STORED_QUERY.getDocuments:
      case STORED_QUERY.getDocumentsAndAssociations: {
        const uuids = p.get('$XDSDocumentEntryEntryUUID');
        const uniqueIds = p.get('$XDSDocumentEntryUniqueId');
        if (!uuids?.length && !uniqueIds?.length) throw new RuleError('XDSStoredQueryParamNumber', 'one of $XDSDocumentEntryEntryUUID or $XDSDocumentEntryUniqueId is required');
        const rows = await this.db.select().from(dmpSandboxEntries).where(uuids?.length ? inArray(dmpSandboxEntries.entryUuid, uuids) : inArray(dmpSandboxEntries.uniqueId, uniqueIds!));
        const docs = await visible(sortEntries(rows));
        const assocs = query.queryId === STORED_QUERY.getDocumentsAndAssociations && docs.length > 0
          ? await this.db.select().from(dmpSandboxAssociations).where(or(inArray(dmpSandboxAssociations.sourceObject, docs.map((d) => d.entryUuid)), inArray(dmpSandboxAssociations.targetObject, docs.map((d) => d.entryUuid))))
          : [];
        return respond(docs, [], assocs);
      }
      case STORED_QUERY.findSubmissionSets: {
        const ins = this.checkIns(one('$XDSSubmissionSetPatientId')!);
        const statuses = p.get('$XDSSubmissionSetStatus');
        if (!statuses?.length) throw new RuleError('XDSStoredQueryMissingParam', '$XDSSubmissionSetStatus is required', '$XDSSubmissionSetStatus');
        await this.openDmp(ins, this.db, false);
        const from = one('$XDSSubmissionSetSubmissionTimeFrom', false);
        const rows = statuses.includes(AVAILABILITY.approved) ? await this.db.select().from(dmpSandboxSubmissionSets).where(eq(dmpSandboxSubmissionSets.matricule, ins.matricule)) : [];
        return respond([], rows.filter((r) => !from || r.submissionTime >= from).sort((a, b) => a.submissionTime.localeCompare(b.submissionTime)), []);
      }
      case STORED_QUERY.getAssociations: {
        const ids = p.get('$uuid');
        if (!ids?.length) throw new RuleError('XDSStoredQueryMissingParam', '$uuid is required', '$uuid');
        const rows = await this.db.select().from(dmpSandboxAssociations).where(or(inArray(dmpSandboxAssociations.sourceObject, ids), inArray(dmpSandboxAssociations.targetObject, ids)));
        return respond([], [], rows.sort((a, b) => a.seq - b.seq));
      }
      default:
        throw new RuleError('XDSUnknownStoredQuery', `stored query ${query.queryId} is not supported`);
    }
  }

  /**
   * The rows a professional may see. Masking is judged on the latest metadata version of each
   * logical document, so that an older version never reveals a document masked since.
   */
  private async visibleTo(rows: EntryRow[], requester: Requester): Promise<EntryRow[]> {
    if (rows.length === 0) return [];
    const family = await this.db.select().from(dmpSandboxEntries).where(inArray(dmpSandboxEntries.logicalId, [...new Set(rows.map((r) => r.logicalId))]));
    const latest = new Map<string, EntryRow>();
    for (const r of family) if ((latest.get(r.logicalId)?.version ?? 0) < r.version) latest.set(r.logicalId, r);
    const physicians = new Map<string, string | null>();
    const out: EntryRow[] = [];
    for (const r of rows) {
      if (!physicians.has(r.matricule)) physicians.set(r.matricule, (await this.patient(r.matricule)).treatingPhysician);
      const judge = { ...r, confidentiality: latest.get(r.logicalId)?.confidentiality ?? r.confidentiality };
      if (canProfessionalSee(judge, requester, physicians.get(r.matricule) ?? null)) out.push(r);
    }
    return out;
  }

  /** The stored ExtrinsicObject with its registry attributes (status, lid, version, repositoryUniqueId). */
  private renderEntry(row: EntryRow): string {
    const parsed = parseXml(row.metadataXml);
    if (!parsed.ok) return '';
    const el = parsed.value.documentElement!;
    el.setAttribute('status', row.status);
    el.setAttribute('lid', row.logicalId);
    const doc = parsed.value;
    const slot = doc.createElementNS(RIM_NS, 'rim:Slot');
    slot.setAttribute('name', 'repositoryUniqueId');
    const list = doc.createElementNS(RIM_NS, 'rim:ValueList');
    const value = doc.createElementNS(RIM_NS, 'rim:Value');
    value.appendChild(doc.createTextNode(this.options.repositoryUniqueId));
    list.appendChild(value);
    slot.appendChild(list);
    el.insertBefore(slot, el.firstChild);
    const version = doc.createElementNS(RIM_NS, 'rim:VersionInfo');
    version.setAttribute('versionName', String(row.version));
    const after = childElements(el, RIM_NS).find((c) => c.localName !== 'Slot' && c.localName !== 'Name' && c.localName !== 'Description');
    el.insertBefore(version, after ?? null);
    return new XMLSerializer().serializeToString(el);
  }

  // ---- ITI-43 ------------------------------------------------------------------------------

  async retrieve(requests: DocumentRequest[], requester: Requester): Promise<{ body: string; attachments: MtomAttachment[] }> {
    const found: RetrievedDocument[] = [];
    const errors: RegistryErrorFacts[] = [];
    for (const r of requests) {
      if (r.repositoryUniqueId !== this.options.repositoryUniqueId) {
        errors.push({ errorCode: 'XDSUnknownRepositoryId', codeContext: `repository ${r.repositoryUniqueId} is unknown`, location: r.documentUniqueId });
        continue;
      }
      const rows = await this.db.select().from(dmpSandboxEntries).where(eq(dmpSandboxEntries.uniqueId, r.documentUniqueId));
      const ok = (await this.visibleTo(rows, requester)).length > 0;
      const [doc] = ok ? await this.db.select().from(dmpSandboxDocuments).where(eq(dmpSandboxDocuments.uniqueId, r.documentUniqueId)) : [];
      if (!doc) {
        errors.push({ errorCode: 'XDSDocumentUniqueIdError', codeContext: `document ${r.documentUniqueId} not found`, location: r.documentUniqueId });
        continue;
      }
      found.push({ ...r, mimeType: doc.mimeType, bytes: doc.content });
    }
    return buildRetrieveResponse(found, errors);
  }

  // ---- ITI-57 ------------------------------------------------------------------------------

  async updateDocumentSet(submitObjects: Element, requester: Requester): Promise<void> {
    const read = readSubmitObjectsRequest(new XMLSerializer().serializeToString(submitObjects));
    if (!read.ok) throw new RuleError('XDSRegistryMetadataError', `${read.error.field}: ${read.error.rule}`);
    const facts: SubmitObjectsRequestFacts = read.value;
    const ss = facts.submissionSet;
    const ins = this.checkIns(ss.patientId);
    const statusChanges = facts.associations.filter((a) => a.associationType === ASSOCIATION_TYPE.updateAvailabilityStatus);
    if (statusChanges.length === 0 && facts.entries.length === 0) throw new RuleError('XDSRegistryMetadataError', 'nothing to update');

    await this.db.transaction(async (tx) => {
      const patient = await this.openDmp(ins, tx, false);
      const ssTaken = await tx.select({ id: dmpSandboxSubmissionSets.entryUuid }).from(dmpSandboxSubmissionSets).where(eq(dmpSandboxSubmissionSets.uniqueId, ss.uniqueId));
      if (ssTaken[0]) throw new RuleError('XDSDuplicateUniqueIdInRegistry', `SubmissionSet.uniqueId ${ss.uniqueId} already registered`);
      const isAuthorOrTreating = (row: EntryRow): boolean => row.structureId === requester.structureId || (patient.treatingPhysician !== null && patient.treatingPhysician === requester.nameId);
      const idMap = new Map<string, string>([[ss.entryUuid, isUuid(ss.entryUuid) ? ss.entryUuid : uuid()]]);
      for (const e of facts.entries) idMap.set(e.entryUuid, isUuid(e.entryUuid) ? e.entryUuid : uuid());
      const objects = storedObjects(submitObjects, idMap);
      // Status changes are resolved below; every other association must join known objects.
      await this.checkReferences(tx, facts.associations.filter((a) => a.associationType !== ASSOCIATION_TYPE.updateAvailabilityStatus), new Set(idMap.keys()));

      for (const a of statusChanges) {
        const [row] = await tx.select().from(dmpSandboxEntries).where(eq(dmpSandboxEntries.entryUuid, a.targetObject));
        if (!row || row.status === AVAILABILITY.deleted) throw new RuleError('UnresolvedReferenceException', `${a.targetObject} is not in the registry`, a.targetObject);
        if (row.patientId !== ss.patientId) throw new RuleError('XDSPatientIdDoesNotMatch', `${a.targetObject} belongs to another patient`, a.targetObject);
        if (!canProfessionalSee(row, requester, patient.treatingPhysician)) throw new RuleError('UnresolvedReferenceException', `${a.targetObject} is not in the registry`, a.targetObject);
        const from = a.originalStatus ?? '';
        const to = a.newStatus ?? '';
        if (from !== row.status) throw new RuleError('SANDBOX_STATUS_TRANSITION', `OriginalStatus ${from} is not the current status ${row.status}`, a.targetObject);
        const allowed = (from === AVAILABILITY.approved && (to === AVAILABILITY.deleted || to === AVAILABILITY.archived))
          || (from === AVAILABILITY.archived && (to === AVAILABILITY.approved || to === AVAILABILITY.deleted));
        if (!allowed) throw new RuleError('SANDBOX_STATUS_TRANSITION', `${from} → ${to} is not allowed`, a.targetObject);
        if (to === AVAILABILITY.deleted && row.structureId !== requester.structureId) throw new RuleError('SANDBOX_NOT_AUTHOR', 'only the author structure may delete', a.targetObject);
        await tx.update(dmpSandboxEntries).set({ status: to }).where(eq(dmpSandboxEntries.entryUuid, row.entryUuid));
      }

      for (const [i, e] of facts.entries.entries()) {
        if (!e.logicalId) throw new RuleError('XDSRegistryMetadataError', `ExtrinsicObject[${i}]: lid (logicalId) required for a metadata update`);
        const [current] = await tx.select().from(dmpSandboxEntries).where(and(eq(dmpSandboxEntries.logicalId, e.logicalId), inArray(dmpSandboxEntries.status, [AVAILABILITY.approved, AVAILABILITY.archived])));
        if (!current || !canProfessionalSee(current, requester, patient.treatingPhysician)) throw new RuleError('UnresolvedReferenceException', `logicalId ${e.logicalId} is not in the registry`, e.logicalId);
        const member = facts.associations.find((a) => a.associationType === ASSOCIATION_TYPE.hasMember && a.targetObject === e.entryUuid);
        if (member?.previousVersion !== String(current.version)) throw new RuleError('XDSMetadataVersionError', `PreviousVersion ${member?.previousVersion ?? '(none)'} is not the current version ${current.version}`, e.logicalId);
        if (e.entry.uniqueId !== current.uniqueId) throw new RuleError('XDSRegistryMetadataError', 'uniqueId may not change in a metadata update', e.logicalId);
        if (e.entry.patientId !== current.patientId) throw new RuleError('XDSPatientIdDoesNotMatch', 'patientId may not change in a metadata update', e.logicalId);
        if (!isAuthorOrTreating(current)) throw new RuleError('SANDBOX_NOT_AUTHOR', 'only the author structure or the médecin traitant may change the visibility', e.logicalId);
        checkConfidentiality(e.entry, `ExtrinsicObject[${i}]`);
        const codes = e.entry.confidentialityCodes.map((c) => c.code);
        if (current.everVisibleToPatient && codes.includes('INVISIBLE_PATIENT')) throw new RuleError('SANDBOX_ALREADY_VISIBLE_TO_PATIENT', `${current.uniqueId} was already visible to the patient`, e.logicalId);
        await tx.update(dmpSandboxEntries).set({ status: AVAILABILITY.deprecated }).where(eq(dmpSandboxEntries.entryUuid, current.entryUuid));
        await tx.insert(dmpSandboxEntries).values({
          ...current, entryUuid: idMap.get(e.entryUuid)!, version: current.version + 1, status: current.status, confidentiality: codes,
          everVisibleToPatient: current.everVisibleToPatient || !codes.includes('INVISIBLE_PATIENT'), submissionSetUuid: idMap.get(ss.entryUuid)!,
          metadataXml: objects.get(e.entryUuid) ?? current.metadataXml, createdAt: new Date(),
        });
      }
      await tx.insert(dmpSandboxSubmissionSets).values({ entryUuid: idMap.get(ss.entryUuid)!, uniqueId: ss.uniqueId, matricule: ins.matricule, submissionTime: ss.submissionTime, structureId: requester.structureId, metadataXml: objects.get(ss.entryUuid) ?? '' });
      if (facts.associations.length > 0) {
        await tx.insert(dmpSandboxAssociations).values(facts.associations.map((a) => {
          const slots: Record<string, string[]> = {};
          if (a.submissionSetStatus) slots.SubmissionSetStatus = [a.submissionSetStatus];
          if (a.previousVersion) slots.PreviousVersion = [a.previousVersion];
          if (a.originalStatus) slots.OriginalStatus = [a.originalStatus];
          if (a.newStatus) slots.NewStatus = [a.newStatus];
          return { entryUuid: uuid(), associationType: a.associationType, sourceObject: idMap.get(a.sourceObject) ?? a.sourceObject, targetObject: idMap.get(a.targetObject) ?? a.targetObject, slots };
        }));
      }
    });
  }

  /**
   * UnresolvedReferenceException (ITI TF-3 §4.2.4.1) when an association's source or target is
   * neither an object of the submission (`submitted`) nor a registry object: a DocumentEntry not
   * deleted, or a SubmissionSet.
   */
  private async checkReferences(executor: Executor, associations: SubmitObjectsRequestFacts['associations'], submitted: ReadonlySet<string>): Promise<void> {
    const outside = [...new Set(associations.flatMap((a) => [a.sourceObject, a.targetObject]))].filter((id) => !submitted.has(id));
    if (outside.length === 0) return;
    const entries = await executor.select({ id: dmpSandboxEntries.entryUuid, status: dmpSandboxEntries.status }).from(dmpSandboxEntries).where(inArray(dmpSandboxEntries.entryUuid, outside));
    const sets = await executor.select({ id: dmpSandboxSubmissionSets.entryUuid }).from(dmpSandboxSubmissionSets).where(inArray(dmpSandboxSubmissionSets.entryUuid, outside));
    const known = new Set([...entries.filter((e) => e.status !== AVAILABILITY.deleted).map((e) => e.id), ...sets.map((s) => s.id)]);
    for (const a of associations) {
      for (const id of [a.sourceObject, a.targetObject]) {
        if (!submitted.has(id) && !known.has(id)) throw new RuleError('UnresolvedReferenceException', `${a.associationType.split(':').pop() ?? 'association'} ${a.sourceObject} → ${a.targetObject}: ${id} is neither in the submission nor in the registry`, id);
      }
    }
  }

  // ---- patient side (sandbox only) -----------------------------------------------------------

  /** What the patient (or a legal representative) sees in Mon espace santé: current, non-hidden documents. */
  async patientView(matricule: string, as: 'patient' | 'legalRepresentative'): Promise<Array<{ uniqueId: string; entryUuid: string; status: string; confidentiality: string[] }>> {
    const hidden = as === 'patient' ? 'INVISIBLE_PATIENT' : 'INVISIBLE_REPRESENTANTS_LEGAUX';
    const rows = await this.db.select().from(dmpSandboxEntries)
      .where(and(eq(dmpSandboxEntries.matricule, matricule), inArray(dmpSandboxEntries.status, [AVAILABILITY.approved, AVAILABILITY.archived])));
    return sortEntries(rows).filter((r) => !r.isSignature && !r.confidentiality.includes(hidden))
      .map((r) => ({ uniqueId: r.uniqueId, entryUuid: r.entryUuid, status: r.status, confidentiality: r.confidentiality }));
  }
}

/** The patient's DMP must exist and, to be fed, be neither closed nor refused. */
function checkDmpOpen(ins: PatientIns, status: PatientState, forFeeding: boolean): void {
  if (status === 'absent') throw new RuleError('XDSUnknownPatientId', `no DMP for patient ${ins.matricule}`);
  if (forFeeding && status === 'closed') throw new RuleError('DMPClosed', 'the DMP is closed');
  if (forFeeding && status === 'opposed') throw new RuleError('SANDBOX_DMP_OPPOSED', 'the patient opposed the creation of the DMP');
}

/**
 * Runs data-modifying statements as one: each a CTE of a single statement, which PostgreSQL
 * runs to completion whether or not the main query reads it — all of them or none.
 */
async function writeAll(executor: Executor, writes: SQLWrapper[]): Promise<void> {
  const ctes = writes.map((w, i) => sql`${sql.raw(`write_${i}`)} as (${w.getSQL()})`);
  await executor.execute(sql`with ${sql.join(ctes, sql`, `)} select 1`);
}

const sortEntries = (rows: EntryRow[]): EntryRow[] => [...rows].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.version - b.version);

/**
 * The RegistryPackage and ExtrinsicObjects of a submission, ids assigned by the registry:
 * symbolic ids replaced (idMap), classifications and external identifiers given UUIDs, each
 * serialized standalone. Keyed by the id as submitted.
 *
 * The objects are rewritten where they are, in the request's DOM, which nobody reads after
 * this: copying each into a document of its own (importNode) cost several times more than
 * the rewriting and the serialization together.
 */
function storedObjects(submitObjects: Element, idMap: Map<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  const list = firstChildElement(submitObjects, RIM_NS, 'RegistryObjectList');
  if (!list) return out;
  const serializer = new XMLSerializer();
  const top = childElements(list, RIM_NS);
  for (const el of top) {
    const id = el.getAttribute('id') ?? '';
    if (!(el.localName === 'ExtrinsicObject' || el.localName === 'RegistryPackage') || !idMap.has(id)) continue;
    const newId = idMap.get(id)!;
    el.setAttribute('id', newId);
    el.removeAttribute('status');
    el.removeAttribute('lid');
    for (const child of childElements(el, RIM_NS)) {
      if (child.localName === 'Classification' || child.localName === 'ExternalIdentifier') {
        child.setAttribute('id', uuid());
        if (child.hasAttribute('classifiedObject')) child.setAttribute('classifiedObject', newId);
        if (child.hasAttribute('registryObject')) child.setAttribute('registryObject', newId);
      }
    }
    if (el.localName === 'RegistryPackage') {
      // The SubmissionSet classification is a sibling in the request; keep a copy inside the package.
      const node = top.find((c) => c.localName === 'Classification' && c.getAttribute('classifiedObject') === id);
      if (node && !childElements(el, RIM_NS, 'Classification').some((c) => c.getAttribute('classificationNode'))) {
        const classification = node.cloneNode(true) as Element;
        classification.setAttribute('id', uuid());
        classification.setAttribute('classifiedObject', newId);
        const firstExternal = childElements(el, RIM_NS, 'ExternalIdentifier')[0];
        el.insertBefore(classification, firstExternal ?? null);
      }
    }
    out.set(id, serializer.serializeToString(el));
  }
  return out;
}

function renderSubmissionSet(row: typeof dmpSandboxSubmissionSets.$inferSelect): string {
  const parsed = parseXml(row.metadataXml);
  if (!parsed.ok) return '';
  parsed.value.documentElement!.setAttribute('status', AVAILABILITY.approved);
  return new XMLSerializer().serializeToString(parsed.value.documentElement!);
}

function renderAssociation(row: typeof dmpSandboxAssociations.$inferSelect): string {
  const slots = Object.entries(row.slots).map(([name, values]) =>
    `<rim:Slot name="${escapeAttribute(name)}"><rim:ValueList>${values.map((v) => `<rim:Value>${escapeAttribute(v)}</rim:Value>`).join('')}</rim:ValueList></rim:Slot>`).join('');
  return `<rim:Association xmlns:rim="${RIM_NS}" id="${escapeAttribute(row.entryUuid)}" objectType="urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Association" associationType="${escapeAttribute(row.associationType)}" sourceObject="${escapeAttribute(row.sourceObject)}" targetObject="${escapeAttribute(row.targetObject)}" status="${AVAILABILITY.approved}">${slots}</rim:Association>`;
}

