import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../test/support/database.ts';
import { PAT_TROIS_QUALIFIED, PAT_TROIS_UNQUALIFIED, sampleDocument } from '../../test/support/cda.ts';
import { buildCda } from '../formats/cda/index.ts';
import { createIdentityService, type IdentityService, type InsiOutcome } from '../identity/index.ts';
import { auditTrailOf } from '../platform/audit/index.ts';
import type { DatabaseHandle } from '../platform/db/index.ts';
import { createReceivedDocumentService, type ReceivedDocumentService } from './received.ts';

let handle: DatabaseHandle;
let identities: IdentityService;
let received: ReceivedDocumentService;
const traits = { birthName: 'PAT-TROIS', birthGivenNames: 'DOMINIQUE MARIE-LOUISE', birthDate: '1979-03-28', sex: 'F' as const, birthplace: '51215' };
const insi: InsiOutcome = { code: '00', calls: 1, identity: { matricule: '279035121518989', oid: '1.2.250.1.213.1.4.10', traits, history: [], warnings: [] } };

beforeAll(async () => {
  handle = await openTestDatabase();
  // A scripted INSi answer: qualification end to end against the INSi sandbox is in test/.
  identities = createIdentityService({ db: handle.db, ippAuthority: 'TEST', subscribers: () => [], insi: { searchByTraits: async () => insi, searchByCarteVitale: async () => insi } });
  received = createReceivedDocumentService({ db: handle.db, identities });
});
afterAll(() => handle.close());

const cdaOf = (id: string, patient = PAT_TROIS_QUALIFIED, type: 'cr-bio' | 'cr-imagerie' = 'cr-bio'): string => {
  const r = buildCda({ ...sampleDocument(type, patient), id: { root: id } });
  if (!r.ok) throw new Error(`${r.error.field}: ${r.error.rule}`);
  return r.value;
};

describe('documents received from outside', () => {
  it('waits for review when nobody matches, with the MDN code 902 (unknown patient)', async () => {
    const outcome = await received.integrate({ cda: cdaOf('1.2.250.1.999.9.1'), source: 'mssante', sender: 'labo@labo-test.mssante.fr' }, 'pfi');
    expect(outcome).toMatchObject({ status: 'review', processingCode: 902, duplicate: false });
    expect((await received.reviewQueue('cellule-iv')).map((d) => d.uniqueId)).toEqual(['1.2.250.1.999.9.1']);
  });

  it('is attached to the qualified identity with the INS of the CDA, once, and listed in the record', async () => {
    const { identity } = await identities.create({ traits }, 'agent');
    await identities.recordProof(identity.id, { type: 'CN' }, 'agent');
    const qualified = await identities.qualifyWithInsi(identity.id, {}, 'agent');
    expect(qualified.identity.status).toBe('QUAL');
    const outcome = await received.integrate({ cda: cdaOf('1.2.250.1.999.9.2'), source: 'mssante' }, 'pfi');
    expect(outcome).toMatchObject({ status: 'integrated', matchedBy: 'ins', identityId: identity.id, duplicate: false });
    expect(outcome.processingCode).toBeUndefined();
    expect(await received.integrate({ cda: cdaOf('1.2.250.1.999.9.2'), source: 'hl7' }, 'pfi')).toMatchObject({ status: 'integrated', duplicate: true, identityId: identity.id });
    expect((await received.listFor(identity.id, 'dr')).map((d) => [d.uniqueId, d.code, d.source])).toEqual([['1.2.250.1.999.9.2', '11502-2', 'mssante']]);
    const trail = await auditTrailOf(handle.db, 'identity', identity.id);
    expect(trail.map((e) => e.action)).toContain('received.integrated');
  });

  it('is attached by the strict traits when the document has no INS, and refused (904) when the INS differs', async () => {
    const byTraits = await received.integrate({ cda: cdaOf('1.2.250.1.999.9.3', PAT_TROIS_UNQUALIFIED, 'cr-imagerie'), source: 'mssante' }, 'pfi');
    expect(byTraits).toMatchObject({ status: 'integrated', matchedBy: 'traits' });
    const otherIns = { ...PAT_TROIS_QUALIFIED, ins: { matricule: '179035121518912', oid: '1.2.250.1.213.1.4.10' } };
    expect(await received.integrate({ cda: cdaOf('1.2.250.1.999.9.4', otherIns), source: 'mssante' }, 'pfi')).toMatchObject({ status: 'review', processingCode: 904 });
  });

  it('a document in review is attached by a person to the patient they identified, once, and read back', async () => {
    const [waiting] = await received.reviewQueue('cellule-iv');
    expect(waiting).toBeDefined();
    const [patient] = await identities.search({ ins: '279035121518989' }, 'cellule-iv');
    const attached = await received.attach(waiting!.id, patient!.id, 'traits vérifiés avec le laboratoire', 'cellule-iv');
    expect(attached).toMatchObject({ status: 'integrated', matchedBy: 'manual', identityId: patient!.id });
    await expect(received.attach(waiting!.id, patient!.id, 'encore', 'cellule-iv')).rejects.toMatchObject({ code: 'not_in_review', status: 409 });
    expect(await received.content(waiting!.id, 'cda', 'dr')).toMatch(/^<\?xml/);
    await expect(received.content(waiting!.id, 'pdf', 'dr')).rejects.toMatchObject({ code: 'no_pdf' });
    const trail = await auditTrailOf(handle.db, 'identity', patient!.id);
    expect(trail.map((e) => e.action)).toEqual(expect.arrayContaining(['received.attach', 'received.read.cda']));
  });

  it('never throws on a document that is not a CDA (906, kept nowhere but the raw message)', async () => {
    expect(await received.integrate({ cda: '<html/>', source: 'mssante' }, 'pfi')).toMatchObject({ status: 'review', processingCode: 906, id: '' });
  });
});
