import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../test/support/database.ts';
import { auditTrailOf } from '../platform/audit/index.ts';
import type { DatabaseHandle } from '../platform/db/index.ts';
import { queueStats } from '../platform/jobs/index.ts';
import { createIdentityService, type IdentityService, type InsiOutcome } from './service.ts';

let handle: DatabaseHandle;
let service: IdentityService;
let nextOutcome: InsiOutcome;

beforeAll(async () => {
  handle = await openTestDatabase();
  service = createIdentityService({
    db: handle.db, ippAuthority: 'TEST', subscribers: () => ['DPI', 'SGL'],
    // A scripted INSi answer: the end-to-end path against the INSi sandbox is in test/.
    insi: { searchByTraits: async () => nextOutcome, searchByCarteVitale: async () => nextOutcome },
  });
});
afterAll(() => handle.close());

const adrtrois = { birthName: 'ADRTROIS', birthGivenNames: 'DOMINIQUE', birthDate: '1997-02-26', sex: 'F' as const };
const insiAdrtrois: InsiOutcome = {
  code: '00', calls: 1,
  identity: { matricule: '297022A02077878', oid: '1.2.250.1.213.1.4.8', traits: { ...adrtrois, birthplace: '2A020' }, history: [], warnings: [] },
};

describe('identity service', () => {
  it('creates a provisional identity with an allocated IPP, audited, announced by A28', async () => {
    const { identity } = await service.create({ traits: { ...adrtrois, birthName: 'Adrtrois' } }, 'agent-1');
    expect(identity).toMatchObject({ status: 'PROV', traits: { birthName: 'ADRTROIS' }, ippAuthority: 'TEST' });
    expect(identity.ins).toBeUndefined();
    const trail = await auditTrailOf(handle.db, 'identity', identity.id);
    expect(trail.map((e) => e.action)).toEqual(['identity.create']);
    const stats = await queueStats(handle.db, 'pam-feed');
    expect(stats[0]!.pending).toBe(2); // one A28 per subscriber
  });

  it('audits a read by the statement that reads, and only a read that found the identity', async () => {
    const { identity } = await service.create({ traits: adrtrois }, 'agent-1');
    await service.get(identity.id, 'agent-2');
    const trail = await auditTrailOf(handle.db, 'identity', identity.id);
    expect(trail.map((e) => [e.action, e.actor])).toEqual([['identity.create', 'agent-1'], ['identity.read', 'agent-2']]);
    const missing = '00000000-0000-4000-8000-000000000000';
    await expect(service.get(missing, 'agent-2')).rejects.toMatchObject({ code: 'not_found', status: 404 });
    expect(await auditTrailOf(handle.db, 'identity', missing)).toEqual([]);
  });

  it('qualifies: proof (VALI) then INSi 00 coherent (QUAL), INS shown only when qualified', async () => {
    const { identity } = await service.create({ traits: adrtrois }, 'agent-1');
    const validated = await service.recordProof(identity.id, { type: 'CN' }, 'agent-1');
    expect(validated.status).toBe('VALI');
    nextOutcome = insiAdrtrois;
    const result = await service.qualifyWithInsi(identity.id, {}, 'agent-1');
    expect(result).toMatchObject({ outcome: '00', adopted: true, identity: { status: 'QUAL', ins: { matricule: '297022A02077878' }, traits: { birthplace: '2A020' } } });
    const demoted = await service.withdrawProofs(identity.id, 'justificatif falsifié', 'agent-2');
    expect(demoted.status).toBe('RECUP');
    expect(demoted.ins).toBeUndefined();
    expect(demoted.insRetrieved).toBe(true);
  });

  it('does not adopt incoherent INSi traits', async () => {
    const { identity } = await service.create({ traits: { ...adrtrois, birthGivenNames: 'MARIE' } }, 'agent-1');
    nextOutcome = insiAdrtrois;
    const result = await service.qualifyWithInsi(identity.id, {}, 'agent-1');
    expect(result.adopted).toBe(false);
    expect(result.mismatches.map((m) => m.trait)).toEqual(['birthGivenNames']);
    expect(result.identity.status).toBe('PROV');
  });

  it('keeps the identity when INSi finds several, with the INSi message', async () => {
    const { identity } = await service.create({ traits: { birthName: 'DE VINCI', birthGivenNames: 'LEONARDO', birthDate: '2014-02-01', sex: 'M' } }, 'a');
    nextOutcome = { code: '02', message: 'Plusieurs identités trouvées', calls: 2 };
    const result = await service.qualifyWithInsi(identity.id, {}, 'a');
    expect(result).toMatchObject({ outcome: '02', adopted: false, identity: { status: 'PROV' } });
  });

  it('holds a douteuse identity at PROV and demotes from QUAL', async () => {
    const { identity } = await service.create({ traits: { ...adrtrois, birthDate: '1997-02-25' } }, 'a');
    await service.recordProof(identity.id, { type: 'PA' }, 'a');
    nextOutcome = { ...insiAdrtrois, identity: { ...insiAdrtrois.identity, traits: { ...adrtrois, birthDate: '1997-02-25' } } } as InsiOutcome;
    expect((await service.qualifyWithInsi(identity.id, {}, 'a')).identity.status).toBe('QUAL');
    expect((await service.setAttributes(identity.id, { set: ['DOUT'] }, 'a')).status).toBe('PROV');
    expect((await service.setAttributes(identity.id, { clear: ['DOUT'] }, 'a')).status).toBe('QUAL');
    expect((await service.updateTraits(identity.id, { birthGivenNames: 'DOMINIQUE MARIE' }, 'a')).status).toBe('VALI');
  });

  it('rejects bad traits with the field and the rule, in French', async () => {
    await expect(service.create({ traits: { ...adrtrois, birthName: 'LÆTITIA' } }, 'a')).rejects.toMatchObject({ code: 'invalid_traits', details: { field: 'birthName' } });
    await expect(service.recordProof('00000000-0000-0000-0000-000000000000', { type: 'CN' }, 'a')).rejects.toMatchObject({ status: 404 });
  });

  it('tells which identity another system\'s message is about: by IPP (the survivor of a merge), else by qualified INS, never a guess', async () => {
    const traits = { birthName: 'PAT-TROIS', birthGivenNames: 'DOMINIQUE', birthDate: '1979-03-28', sex: 'F' as const };
    const { identity } = await service.create({ traits }, 'agent-1');
    await service.recordProof(identity.id, { type: 'CN' }, 'agent-1');
    nextOutcome = { code: '00', calls: 1, identity: { matricule: '279035121518989', oid: '1.2.250.1.213.1.4.10', traits, history: [], warnings: [] } };
    expect((await service.qualifyWithInsi(identity.id, {}, 'agent-1')).identity.status).toBe('QUAL');
    const ipp = { id: identity.ipp, authority: identity.ippAuthority };

    expect(await service.identityOf({ ins: { matricule: '279035121518989' } })).toBe(identity.id);
    expect(await service.identityOf({ ipp, ins: { matricule: '279035121518989' } })).toBe(identity.id);
    expect(await service.identityOf({ ipp: { ...ipp, authority: 'AUTRE' }, ins: { matricule: '279035121518989' } })).toBe(identity.id);
    // The IPP's identity carries another INS: not this patient, whatever the INS finds.
    expect(await service.identityOf({ ipp, ins: { matricule: '146026322000196' } })).toBeUndefined();
    expect(await service.identityOf({ ins: { matricule: '146026322000196' } })).toBeUndefined();
    expect(await service.identityOf({})).toBeUndefined();

    // Merges chain: an IPP absorbed twice leads to the last survivor, whose INS is the one compared.
    const { identity: absorbed } = await service.create({ traits: { ...traits, birthGivenNames: 'DOMINIQUE MARIE' } }, 'agent-1');
    const { identity: first } = await service.create({ traits: { ...traits, birthGivenNames: 'DOMINIQUE ANNE' } }, 'agent-1');
    await service.merge(absorbed.id, first.id, 'agent-1');
    await service.merge(identity.id, absorbed.id, 'agent-1');
    const firstIpp = { id: first.ipp, authority: first.ippAuthority };
    expect(await service.identityOf({ ipp: firstIpp })).toBe(identity.id);
    expect(await service.identityOf({ ipp: firstIpp, ins: { matricule: '146026322000196' } })).toBeUndefined();
  });

  it('finds by traits, reports duplicates, merges', async () => {
    const a = await service.create({ traits: { birthName: 'HOMONYME', birthGivenNames: 'JEAN', birthDate: '1950-01-01', sex: 'M' } }, 'a');
    const b = await service.create({ traits: { birthName: 'HOMONYME', birthGivenNames: 'JEAN PAUL', birthDate: '1950-01-01', sex: 'M' } }, 'a');
    expect(b.possibleDuplicates.map((d) => d.id)).toEqual([a.identity.id]);
    expect((await service.search({ birthName: 'homo', birthDate: '1950-01-01' }, 'a'))).toHaveLength(2);
    await service.merge(a.identity.id, b.identity.id, 'a');
    expect((await service.search({ birthName: 'HOMONYME' }, 'a')).map((i) => i.id)).toEqual([a.identity.id]);
    await expect(service.recordProof(b.identity.id, { type: 'CN' }, 'a')).rejects.toMatchObject({ code: 'merged' });
  });
});
