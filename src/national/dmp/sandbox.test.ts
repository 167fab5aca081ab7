/**
 * End to end over real mTLS on loopback: the DMP client against the DMP sandbox, on a real
 * database (PGlite, or PostgreSQL when TEST_DATABASE_URL is set).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DocumentEntry } from '../../formats/xds/index.ts';
import type { DatabaseHandle } from '../../platform/db/index.ts';
import { ensureTestPki, type TestPki } from '../../platform/pki/index.ts';
import { automatonActor, createDmpClient, type DmpClient, type DmpClientOptions } from './client.ts';
import { DmpError } from './errors.ts';
import { startDmpSandbox, type DmpSandbox } from './sandbox.ts';
import { AUTHOR, cda, CONTENT_TYPE, PATIENT, rejection, SOFTWARE, startDmpTestEnv, STRUCTURE, type DmpTestEnv } from './test-support.ts';
import { AVAILABILITY } from './wire.ts';
import type { VihfActor } from './vihf.ts';

let env: DmpTestEnv;
let dir: string;
let pki: TestPki;
let database: DatabaseHandle;
let sandbox: DmpSandbox;
let client: DmpClient;
let options: DmpClientOptions;

const doctor = (rpps: string): VihfActor => ({ nameId: `8${rpps}`, subjectName: 'DR AUTRE', roles: [{ code: '10', codeSystem: '1.2.250.1.71.1.2.7', displayName: 'Médecin' }], authMode: 'INDIRECTE' });

const publish = (d: { bytes: Uint8Array; entry: DocumentEntry }, c: DmpClient = client) => c.publish({ documents: [d], contentTypeCode: CONTENT_TYPE, author: AUTHOR });

beforeAll(async () => {
  env = await startDmpTestEnv();
  ({ dir, pki, database, sandbox, client, options } = env);
});

afterAll(async () => {
  await env?.close();
});

describe('DMP client ↔ sandbox over mTLS', () => {
  it('TD0.2: active DMP, médecin traitant flag; closed and absent DMPs', async () => {
    await sandbox.setPatient(PATIENT.matricule, { status: 'active', treatingPhysician: '810001234567' });
    expect(await client.checkDmp(PATIENT)).toEqual({ status: 'ACTIVE', treatingPhysician: false, authorization: 'Exist' });
    expect(await client.checkDmp(PATIENT, doctor('10001234567'))).toMatchObject({ status: 'ACTIVE', treatingPhysician: true });
    const closed = { matricule: '180036912345660', oid: PATIENT.oid };
    await sandbox.setPatient(closed.matricule, { status: 'closed', closedOn: '2025-01-31', closingReason: 'Décès' });
    expect(await client.checkDmp(closed)).toMatchObject({ status: 'CLOSED', closedOn: '2025-01-31', closingReason: 'Décès', authorization: 'NoAuthorization' });
  });

  it('ITI-41 publish → ITI-18 FindDocuments → ITI-43 retrieve returns the CDA byte for byte', async () => {
    const d = cda();
    const result = await publish(d).catch((error: DmpError) => { throw new Error(`${error.code}: ${error.reason ?? ''}`); });
    expect(result.submissionSetUniqueId).toMatch(/^2\.25\.\d+$/);
    const found = await client.findDocuments({ patient: PATIENT });
    const mine = found.find((f) => f.entry.uniqueId === d.entry.uniqueId);
    expect(mine).toMatchObject({ status: AVAILABILITY.approved, version: '1', repositoryUniqueId: sandbox.repositoryUniqueId, entry: { hash: d.entry.hash, size: d.entry.size, typeCode: d.entry.typeCode } });
    expect(mine!.entryUuid).toMatch(/^urn:uuid:/);
    expect(found.some((f) => f.entry.formatCode.code === 'http://www.w3.org/2000/09/xmldsig#')).toBe(false);
    const retrieved = await client.retrieve(d.entry.uniqueId, { patient: PATIENT });
    expect(Buffer.from(retrieved.bytes).equals(Buffer.from(d.bytes))).toBe(true);
    expect(retrieved.mimeType).toBe('text/xml');
  });

  it('ITI-18 FindSubmissionSets and GetAssociations: HasMember and signs', async () => {
    const d = cda();
    const published = await publish(d);
    const sets = await client.findSubmissionSets(PATIENT);
    const set = sets.find((s) => s.uniqueId === published.submissionSetUniqueId);
    expect(set).toBeDefined();
    const associations = await client.getAssociations([set!.entryUuid]);
    expect(associations.filter((a) => a.associationType.endsWith(':HasMember'))).toHaveLength(2);
    expect(associations.some((a) => a.associationType === 'urn:ihe:iti:2007:AssociationType:signs' && a.targetObject === set!.entryUuid)).toBe(true);
  });

  it('ITI-41 replace: RPLC to the entryUUID found by ITI-18, old entry Deprecated', async () => {
    const original = cda();
    await publish(original);
    const replacement = cda({ replaces: original.entry.uniqueId });
    const result = await client.replace({ documents: [replacement], contentTypeCode: CONTENT_TYPE, author: AUTHOR });
    const [old] = await client.getDocuments({ entryUuids: [result.replacedEntryUuid] }, PATIENT);
    expect(old!.status).toBe(AVAILABILITY.deprecated);
    const approved = await client.findDocuments({ patient: PATIENT });
    expect(approved.map((f) => f.entry.uniqueId)).toContain(replacement.entry.uniqueId);
    expect(approved.map((f) => f.entry.uniqueId)).not.toContain(original.entry.uniqueId);
    // replacing a deprecated entry is refused
    const again = cda({ replaces: original.entry.uniqueId });
    const error = await rejection(client.publish({ documents: [again], contentTypeCode: CONTENT_TYPE, author: AUTHOR }).then(() => undefined));
    expect(error.code).toBe('invalid_request');
  });

  it('ITI-57 masking to professionals: hidden from another structure, visible to the author and to the médecin traitant', async () => {
    await sandbox.setPatient(PATIENT.matricule, { status: 'active', treatingPhysician: '810009999999' });
    const d = cda();
    await publish(d);
    await client.setVisibility(d.entry.uniqueId, PATIENT, ['MASQUE_PS']);
    const other = createDmpClient({ ...options, structure: { id: '1690000002', sector: 'SA01' } });
    try {
      const seenByOther = await other.findDocuments({ patient: PATIENT, actor: doctor('10005555555') });
      expect(seenByOther.map((f) => f.entry.uniqueId)).not.toContain(d.entry.uniqueId);
      const retrieval = await rejection(other.retrieve(d.entry.uniqueId, { repositoryUniqueId: sandbox.repositoryUniqueId, patient: PATIENT, actor: doctor('10005555555') }));
      expect(retrieval.code).toBe('XDSDocumentUniqueIdError');
      expect(retrieval.message).toBe('Document introuvable dans le DMP.');
      const seenByTreating = await other.findDocuments({ patient: PATIENT, actor: doctor('10009999999') });
      expect(seenByTreating.map((f) => f.entry.uniqueId)).toContain(d.entry.uniqueId);
    } finally {
      other.close();
    }
    const mine = (await client.findDocuments({ patient: PATIENT })).find((f) => f.entry.uniqueId === d.entry.uniqueId);
    expect(mine).toMatchObject({ version: '2' });
    expect(mine!.entry.confidentialityCodes.map((c) => c.code)).toEqual(['N', 'MASQUE_PS']);
  });

  it('visibility to the patient: invisible until the announcement, then visible; never invisible again', async () => {
    const d = cda({ visibility: ['INVISIBLE_PATIENT'] });
    await publish(d);
    expect((await sandbox.patientView(PATIENT.matricule, 'patient')).map((v) => v.uniqueId)).not.toContain(d.entry.uniqueId);
    await client.setVisibility(d.entry.uniqueId, PATIENT, []);
    expect((await sandbox.patientView(PATIENT.matricule, 'patient')).map((v) => v.uniqueId)).toContain(d.entry.uniqueId);
    const error = await rejection(client.setVisibility(d.entry.uniqueId, PATIENT, ['INVISIBLE_PATIENT']));
    expect(error.code).toBe('SANDBOX_ALREADY_VISIBLE_TO_PATIENT');
    expect(error.message).toBe('Ce document a déjà été rendu visible au patient : il ne peut plus lui être masqué.');
  });

  it('visibility to legal representatives', async () => {
    const d = cda();
    await publish(d);
    await client.setVisibility(d.entry.uniqueId, PATIENT, ['INVISIBLE_REPRESENTANTS_LEGAUX']);
    expect((await sandbox.patientView(PATIENT.matricule, 'legalRepresentative')).map((v) => v.uniqueId)).not.toContain(d.entry.uniqueId);
    expect((await sandbox.patientView(PATIENT.matricule, 'patient')).map((v) => v.uniqueId)).toContain(d.entry.uniqueId);
  });

  it('ITI-57 archive, unarchive, delete (author only)', async () => {
    const d = cda();
    await publish(d);
    await client.archive(d.entry.uniqueId, PATIENT);
    expect((await client.findDocuments({ patient: PATIENT })).map((f) => f.entry.uniqueId)).not.toContain(d.entry.uniqueId);
    expect((await client.findDocuments({ patient: PATIENT, statuses: [AVAILABILITY.archived] })).map((f) => f.entry.uniqueId)).toContain(d.entry.uniqueId);
    await client.unarchive(d.entry.uniqueId, PATIENT);
    const other = createDmpClient({ ...options, structure: { id: '1690000002', sector: 'SA01' } });
    try {
      const error = await rejection(other.delete(d.entry.uniqueId, PATIENT));
      expect(error.code).toBe('SANDBOX_NOT_AUTHOR');
      expect(error.message).toBe('Seule la structure auteur du document peut effectuer cette action.');
    } finally {
      other.close();
    }
    await client.delete(d.entry.uniqueId, PATIENT);
    expect(await client.getDocuments({ uniqueIds: [d.entry.uniqueId] }, PATIENT)).toEqual([]);
    expect((await rejection(client.retrieve(d.entry.uniqueId, { repositoryUniqueId: sandbox.repositoryUniqueId, patient: PATIENT }))).code).toBe('XDSDocumentUniqueIdError');
  });
});

describe('DMP sandbox rules: one refusal per rule, with its code and French message', () => {
  it('XDSDuplicateUniqueIdInRegistry', async () => {
    const d = cda();
    await publish(d);
    const error = await rejection(publish(d));
    expect(error).toMatchObject({ code: 'XDSDuplicateUniqueIdInRegistry', retryable: false, message: 'Ce document (même identifiant unique) est déjà présent dans le DMP : utilisez le remplacement.' });
  });

  it('XDSNonIdenticalHash / XDSNonIdenticalSize', async () => {
    const d = cda();
    const hash = await rejection(publish({ bytes: d.bytes, entry: { ...d.entry, hash: '0'.repeat(40) } }));
    expect(hash).toMatchObject({ code: 'XDSNonIdenticalHash', message: "L'empreinte (SHA-1) ou la taille déclarée ne correspond pas au document envoyé." });
    const size = await rejection(publish({ bytes: d.bytes, entry: { ...d.entry, size: d.entry.size + 1 } }));
    expect(size).toMatchObject({ code: 'XDSNonIdenticalSize', message: 'La taille déclarée ne correspond pas au document envoyé.' });
  });

  it('XDSRegistryMetadataError: a code outside the value sets', async () => {
    const d = cda();
    const error = await rejection(publish({ bytes: d.bytes, entry: { ...d.entry, practiceSettingCode: { code: 'NIMPORTEQUOI', codingScheme: '1.2.250.1.213.1.1.4.9', displayName: 'x' } } }));
    expect(error).toMatchObject({ code: 'XDSRegistryMetadataError', message: 'Les métadonnées du document sont refusées par le DMP (incomplètes ou hors des jeux de valeurs).' });
    expect(error.reason).toMatch(/practiceSettingCode/);
  });

  it('XDSUnknownPatientId: no DMP; DMPClosed; SANDBOX_DMP_OPPOSED', async () => {
    const absent = { matricule: '180036912345660', oid: PATIENT.oid };
    await sandbox.setPatient(absent.matricule, { status: 'absent' });
    const unknown = await rejection(publish(cda({ patient: absent })));
    expect(unknown).toMatchObject({ code: 'XDSUnknownPatientId', message: "Aucun DMP n'existe pour ce patient (INS inconnu du DMP)." });
    await sandbox.setPatient(absent.matricule, { status: 'closed' });
    expect(await rejection(publish(cda({ patient: absent })))).toMatchObject({ code: 'DMPClosed', message: 'Le DMP de ce patient est fermé : aucun document ne peut y être ajouté.' });
    await sandbox.setPatient(absent.matricule, { status: 'opposed' });
    expect(await rejection(publish(cda({ patient: absent })))).toMatchObject({ code: 'SANDBOX_DMP_OPPOSED', message: "Le patient s'est opposé à la création de son DMP : aucun document ne peut y être ajouté." });
  });

  it('SANDBOX_INS_PRODUCTION_OID and SANDBOX_INS_INVALID', async () => {
    const production = await rejection(publish(cda({ patient: { matricule: PATIENT.matricule, oid: '1.2.250.1.213.1.4.8' } })));
    expect(production).toMatchObject({ code: 'SANDBOX_INS_PRODUCTION_OID' });
    expect(production.message).toMatch(/INS de production refusé/);
    const badKey = await rejection(publish(cda({ patient: { matricule: '279035121518900', oid: PATIENT.oid } })));
    expect(badKey).toMatchObject({ code: 'SANDBOX_INS_INVALID', message: "L'identifiant patient n'est pas un INS qualifié valide (matricule ou OID INS)." });
  });

  it('XDSPatientIdDoesNotMatch: a replacement for another patient than the replaced document', async () => {
    const d = cda();
    const other = { matricule: '180036912345660', oid: PATIENT.oid };
    await sandbox.setPatient(other.matricule, { status: 'active' });
    const { patientId: _ignored, ...rest } = d.entry;
    void _ignored;
    const error = await rejection(publish({ bytes: d.bytes, entry: { ...rest, patientId: `${other.matricule}^^^&${other.oid}&ISO^NH`, sourcePatientId: d.entry.sourcePatientId } }).then(async () => {
      // the entry and the VIHF agree here; mismatch with a replacement instead
      const original = cda();
      await publish(original);
      const replacement = cda({ replaces: original.entry.uniqueId, patient: other });
      return client.replace({ documents: [replacement], contentTypeCode: CONTENT_TYPE, author: AUTHOR });
    }));
    expect(error).toMatchObject({ code: 'XDSPatientIdDoesNotMatch', message: "L'INS du document ne correspond pas à celui du lot de soumission ou du document remplacé." });
  });

  it('XDSMetadataVersionError: a visibility change based on an old version', async () => {
    const d = cda();
    await publish(d);
    const [v1] = await client.getDocuments({ uniqueIds: [d.entry.uniqueId] }, PATIENT);
    await client.setVisibility(d.entry.uniqueId, PATIENT, ['MASQUE_PS']);
    const { buildVisibilityUpdate } = await import('./iti57.ts');
    const stale = buildVisibilityUpdate({
      submissionSet: { uniqueId: '1.2.250.1.999.77.1', sourceId: '1.2.250.1.999.1', submissionTime: '20250101000000', contentTypeCode: CONTENT_TYPE, author: AUTHOR, patientId: d.entry.patientId },
      current: { entry: v1!.entry, logicalId: v1!.logicalId!, version: '1' },
      flags: [],
    });
    expect(stale.ok).toBe(true);
    const error = await rejection(rawIti57(stale.ok ? stale.value : ''));
    expect(error).toMatchObject({ code: 'XDSMetadataVersionError' });
    expect(error.message).toMatch(/version des métadonnées/);
  });

  it('SANDBOX_VIHF_UNTRUSTED: a VIHF signed by a certificate of another CA', async () => {
    const foreign = await ensureTestPki(path.join(dir, 'foreign'));
    const rogue = createDmpClient({ ...options, signing: foreign.signing.establishment });
    try {
      const error = await rejection(rogue.findDocuments({ patient: PATIENT }));
      expect(error).toMatchObject({ code: 'SANDBOX_VIHF_UNTRUSTED', retryable: false, message: "Jeton VIHF refusé : le certificat de signature n'est pas émis par l'IGC-Santé." });
    } finally {
      rogue.close();
    }
  });

  it('mTLS: a client without a certificate of the test CA cannot connect (retryable transport error)', async () => {
    const foreign = await ensureTestPki(path.join(dir, 'foreign'));
    const stranger = createDmpClient({ ...options, tls: { ...foreign.clients.establishment, ca: pki.ca.cert } });
    try {
      const error = await rejection(stranger.checkDmp(PATIENT));
      expect(error.code).toBe('transport');
      expect(error.message).toMatch(/^Le DMP est injoignable/);
    } finally {
      stranger.close();
    }
  });
});

describe('faults', () => {
  it('sandbox closed → transport error, retryable', async () => {
    const closed = await startDmpSandbox({ pki, database: database.db });
    await closed.close();
    const c = createDmpClient({ ...options, endpoint: closed.url });
    try {
      const error = await rejection(c.checkDmp(PATIENT));
      expect(error).toMatchObject({ code: 'transport', retryable: true });
    } finally {
      c.close();
    }
  });

  it('sandbox slow → timeout error, retryable', async () => {
    const slow = await startDmpSandbox({ pki, database: database.db, responseDelayMs: 1_500 });
    const c = createDmpClient({ ...options, endpoint: slow.url, timeoutMs: 300 });
    try {
      const error = await rejection(c.checkDmp(PATIENT));
      expect(error).toMatchObject({ code: 'timeout', retryable: true });
      expect(error.message).toMatch(/n'a pas répondu à temps/);
    } finally {
      c.close();
      await slow.close();
    }
  });
});

/** Sends an ITI-57 body with the regular client machinery (VIHF, mTLS) but a hand-made payload. */
async function rawIti57(body: string): Promise<void> {
  const { buildVihf } = await import('./vihf.ts');
  const { buildSoapRequest, DMP_ACTION } = await import('./wire.ts');
  const { request } = await import('node:https');
  const url = `${sandbox.url}/si-dmp-server/v2/services/registry`;
  const vihf = buildVihf({ actor: automatonActor(STRUCTURE, SOFTWARE), structure: STRUCTURE, software: SOFTWARE }, pki.signing.establishment);
  const envelope = buildSoapRequest({ action: DMP_ACTION.iti57, to: url, messageId: 'urn:uuid:00000000-0000-4000-8000-000000000001', vihf, body });
  const answer = await new Promise<string>((resolve, reject) => {
    const req = request(url, { method: 'POST', ...pki.clients.establishment, ca: pki.ca.cert, agent: false, headers: { 'content-type': `application/soap+xml; charset=utf-8; action="${DMP_ACTION.iti57}"` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
    req.on('error', reject);
    req.end(envelope);
  });
  const code = /errorCode="([^"]+)"/.exec(answer)?.[1];
  if (code) throw new DmpError(code);
}
