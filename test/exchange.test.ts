/**
 * The intermediation platform end to end on loopback: an LDL validated in the DPI for a
 * patient qualified through the INSi sandbox goes to the DMP sandbox (ITI-41 over mTLS with a
 * signed VIHF), to the correspondent's MSSanté mailbox and to the patient's Mon espace santé
 * mailbox (SMTP with client certificate, XDM), and every status comes back delivered (DMP
 * acceptance, DSN read back by IMAP). A lab's CR-BIO sent by MSSanté lands in the patient's
 * record. Faults: the DMP sandbox down, the operator refusing, a permanent refusal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCda } from '../src/formats/cda/index.ts';
import { createMssanteClient, readReceivedMessage, SANDBOX_LAB_CERTIFICATE_CN, SANDBOX_LAB_MAILBOX, SANDBOX_HOSPITAL_MAILBOX } from '../src/national/mssante/index.ts';
import { issueCertificate } from '../src/platform/pki/index.ts';
import { eq, sql } from 'drizzle-orm';

const rowsOf = (result: unknown): Array<Record<string, unknown>> => (result as { rows: Array<Record<string, unknown>> }).rows;
import { createDmpClient, startDmpSandbox } from '../src/national/dmp/index.ts';
import { dmpSandboxEntries } from '../src/national/dmp/tables.ts';
import { PAT_TROIS_QUALIFIED, sampleDocument } from './support/cda.ts';
import { startTestApp, type TestApp } from './support/app.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ 'outbox.pollMs': 50, 'outbox.backoffBaseMs': 50, 'outbox.backoffMaxMs': 200, 'mssante.pollMs': 100 });
});
afterAll(async () => { await app?.stop(); });

async function call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const response = await fetch(`${app.url}${path}`, {
    method, headers: { 'x-passerelle-user': 'dr.medecin', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: await response.json() as T };
}

const doctor = { rpps: '10001234567', family: 'MEDECIN', given: 'Jean', specialty: 'G15_10/SM26' };
const PAT_TROIS = { birthName: 'PAT-TROIS', birthGivenNames: 'DOMINIQUE', birthDate: '1979-03-28', sex: 'F' };
const SECTIONS = [{ heading: 'Motif d’hospitalisation', paragraphs: ['Pneumopathie communautaire.'] }, { heading: 'Traitement de sortie', paragraphs: ['Amoxicilline 1 g x3/j, 7 jours.'] }];

interface Dispatch { id: string; action: string; channel: string; recipient: string | null; status: string; reason?: string; errorCode?: string; attempts: number; history: Array<{ status: string }> }

async function qualified(traits: Record<string, string>): Promise<string> {
  const created = await call<{ identity: { id: string } }>('POST', '/api/identities', { traits });
  const id = created.json.identity.id;
  await call('POST', `/api/identities/${id}/proofs`, { type: 'CN' });
  const insi = await call<{ identity: { status: string } }>('POST', `/api/identities/${id}/insi`, {});
  expect(insi.json.identity.status).toBe('QUAL');
  return id;
}

async function validatedLdl(identityId: string, distribution: Record<string, unknown> = { correspondents: [{ role: 'medecin-traitant', rpps: '10001234567' }] }): Promise<{ id: string; cdaId: string }> {
  const draft = await call<{ id: string }>('POST', '/api/documents', { identityId, type: 'ldl', author: doctor, sections: SECTIONS, distribution });
  expect(draft.status).toBe(201);
  const validated = await call<{ id: string; cdaId: string; status: string }>('POST', `/api/documents/${draft.json.id}/validate`, { legalAuthenticator: doctor });
  expect(validated.json.status).toBe('validated');
  return validated.json;
}

/** Polls the dispatches until `done` holds (reading the mailbox for receipts meanwhile). */
async function dispatchesUntil(documentId: string, done: (d: Dispatch[]) => boolean, timeoutMs = 20_000): Promise<Dispatch[]> {
  const deadline = Date.now() + timeoutMs;
  let last: Dispatch[] = [];
  while (Date.now() < deadline) {
    last = (await call<{ items: Dispatch[] }>('GET', `/api/documents/${documentId}/dispatches`)).json.items;
    if (last.length > 0 && done(last)) return last;
    await app.readMailbox();
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timeout; dispatches: ${JSON.stringify(last.map((d) => [d.channel, d.recipient, d.status, d.reason]))}`);
}
const settled = (d: Dispatch[]): boolean => d.every((x) => x.status === 'delivered' || x.status === 'read' || x.status === 'blocked' || x.status === 'failed');

describe('PFI: a validated LDL goes to the DMP, to the médecin traitant and to the patient', () => {
  let ldl: { id: string; cdaId: string };
  let replacement: { id: string; cdaId: string };
  let patient: string;

  it('ends with every channel delivered', async () => {
    patient = await qualified(PAT_TROIS);
    ldl = await validatedLdl(patient);
    const dispatches = await dispatchesUntil(ldl.id, settled);
    expect(dispatches.map((d) => [d.channel, d.recipient, d.status]).sort()).toEqual([
      ['dmp', null, 'delivered'],
      ['mssante-patient', '279035121518989@patient.mssante.fr', 'delivered'],
      ['mssante-pro', 'jean.medecin@medecin.mssante.fr', 'delivered'],
    ]);
    const counters = await call<Record<string, number>>('GET', '/api/exchange/counters');
    expect(counters.json).toMatchObject({ dmpDocuments: 1, mssanteProDocuments: 1, mssantePatientMessages: 1, failed: 0 });
  });

  it('the DMP sandbox returns the CDA byte for byte', async () => {
    const cda = (await fetch(`${app.url}/api/documents/${ldl.id}/cda`, { headers: { 'x-passerelle-user': 'dr' } }).then((r) => r.text()));
    const client = createDmpClient({
      endpoint: app.sandboxes!.dmp.url, tls: { ...app.pki.clients.establishment, ca: app.pki.ca.cert }, signing: app.pki.signing.establishment,
      structure: { id: '1000000000', sector: 'SA01' }, software: { name: 'TEST', version: '1', homologation: 'X' }, sourceId: '1.2.250.1.999.1.9',
    });
    try {
      const found = await client.findDocuments({ patient: { matricule: '279035121518989', oid: '1.2.250.1.213.1.4.10' } });
      expect(found.map((d) => d.entry.uniqueId)).toContain(ldl.cdaId);
      const retrieved = await client.retrieve(ldl.cdaId, { patient: { matricule: '279035121518989', oid: '1.2.250.1.213.1.4.10' } });
      expect(Buffer.from(retrieved.bytes).toString('utf8')).toBe(cda);
    } finally {
      client.close();
    }
  });

  it('the correspondent and the patient receive the XDM with the right subject and headers', async () => {
    const [message] = (await app.sandboxes!.mssante.messages('jean.medecin@medecin.mssante.fr'));
    const read = await readReceivedMessage(message!.raw);
    expect(read.subject).toBe('XDM/1.0/DDM+Lettre de liaison à la sortie PAT-TROIS DOMINIQUE 28/03/1979');
    expect(read.xMss).toMatchObject({ codeCda: ['11490-0'], ins: 'O', nil: 'SANDBOX-NIL' });
    expect(read.xMss.mes).toBeUndefined();
    expect(read.cdas.map((c) => [c.uniqueId, c.integrity])).toEqual([[ldl.cdaId, 'ok']]);
    const inbox = await app.sandboxes!.mssante.patientMailbox('279035121518989');
    expect(inbox).toHaveLength(1);
    expect(inbox[0]).toMatchObject({ noReply: true });
    expect(inbox[0]!.documents.map((d) => d.uniqueId)).toEqual([ldl.cdaId]);
    expect(inbox[0]!.pdfs.length).toBeGreaterThan(0);

    // The same mailbox as a tester sees it: a page in French, JSON, and the PDF itself.
    const page = await fetch(`${app.url}/sandbox/mon-espace-sante/279035121518989`);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain('<h2>Lettre de liaison à la sortie PAT-TROIS DOMINIQUE 28/03/1979</h2>');
    expect(html).toContain('réponse impossible');
    const listed = (await call<{ items: Array<{ uid: number; subject: string; documents: Array<{ uniqueId: string }>; pdfs: Array<{ name: string; size: number }> }> }>('GET', '/sandbox/mon-espace-sante/279035121518989/messages')).json.items;
    expect(listed.map((m) => m.documents.map((d) => d.uniqueId))).toEqual([[ldl.cdaId]]);
    const pdf = await fetch(`${app.url}/sandbox/mon-espace-sante/279035121518989/messages/${listed[0]!.uid}/pdfs/0`);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    const bytes = Buffer.from(await pdf.arrayBuffer());
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(bytes.length).toBe(listed[0]!.pdfs[0]!.size);
    expect((await fetch(`${app.url}/sandbox/mon-espace-sante/279035121518989/messages/${listed[0]!.uid}/pdfs/9`)).status).toBe(404);
    expect((await fetch(`${app.url}/sandbox/mon-espace-sante/12345`)).status).toBe(400);
  });

  it('routing again changes nothing (idempotent), and a replacement is sent after its original', async () => {
    const counts = async () => rowsOf(await app.database.db.execute(sql`
      select (select count(*)::int from dispatches d join outgoing_documents o on o.id = d.outgoing_id where o.source_id = ${ldl.id}) as dispatches,
        (select count(*)::int from dispatch_events e join dispatches d on d.id = e.dispatch_id join outgoing_documents o on o.id = d.outgoing_id where o.source_id = ${ldl.id}) as events,
        (select count(*)::int from jobs j join dispatches d on d.id::text = j.payload->>'dispatchId' join outgoing_documents o on o.id = d.outgoing_id where o.source_id = ${ldl.id}) as jobs`))[0];
    const before = await counts();
    await app.exchange.route({ id: 0, queue: 'document.validated', orderingKey: null, payload: { documentId: ldl.id }, attempts: 2, maxAttempts: 10 });
    expect(await counts()).toEqual(before);
    const again = await call<{ items: Dispatch[] }>('GET', `/api/documents/${ldl.id}/dispatches`);
    expect(again.json.items).toHaveLength(3);
    const v2 = await call<{ id: string }>('POST', `/api/documents/${ldl.id}/versions`, { sections: SECTIONS });
    const validated = await call<{ id: string; cdaId: string }>('POST', `/api/documents/${v2.json.id}/validate`, { legalAuthenticator: doctor });
    const dispatches = await dispatchesUntil(validated.json.id, settled);
    expect(dispatches.find((d) => d.channel === 'dmp')).toMatchObject({ status: 'delivered' });
    replacement = validated.json;
  });

  it('withdrawing the current version deletes it from the DMP (ITI-57), tracked as one more DMP dispatch', async () => {
    const withdrawn = await call<{ status: string }>('POST', `/api/documents/${replacement.id}/withdraw`, { reason: 'erreur de patient' });
    expect(withdrawn.json.status).toBe('withdrawn');
    const dispatches = await dispatchesUntil(replacement.id, (d) => d.some((x) => x.action === 'delete' && x.status === 'delivered'));
    expect(dispatches.filter((d) => d.channel === 'dmp').map((d) => [d.action, d.status])).toEqual([['publish', 'delivered'], ['delete', 'delivered']]);
    const registry = await app.database.db.select({ status: dmpSandboxEntries.status }).from(dmpSandboxEntries).where(eq(dmpSandboxEntries.uniqueId, replacement.cdaId));
    expect(registry.map((r) => r.status)).toEqual(['urn:asip:ci-sis:2010:StatusType:Deleted']);
    expect((await call('POST', `/api/documents/${replacement.id}/withdraw`, { reason: 'encore' })).status).toBe(409);
  });

  it('tracking lists every outgoing document newest first, page by page, and audits the access', async () => {
    interface Listed { id: string; sourceId: string; action: string; createdAt: string; dispatches: Dispatch[] }
    const all = (await call<{ items: Listed[] }>('GET', '/api/exchange/documents?source=dpi')).json.items;
    // The withdrawal, the replacement, the original: newest first.
    expect(all.map((d) => [d.sourceId, d.action])).toEqual([[`${replacement.id}#withdrawal`, 'delete'], [replacement.id, 'publish'], [ldl.id, 'publish']]);
    const first = (await call<{ items: Listed[]; next?: string }>('GET', '/api/exchange/documents?source=dpi&limit=2')).json;
    const second = (await call<{ items: Listed[]; next?: string }>('GET', `/api/exchange/documents?source=dpi&limit=2&cursor=${first.next!}`)).json;
    const next = second.items;
    expect([...first.items, ...next].map((d) => d.id)).toEqual(all.map((d) => d.id));
    expect(second.next).toBeUndefined();
    expect((await call('GET', '/api/exchange/documents?cursor=abc')).status).toBe(400);
    expect((await call('GET', `/api/exchange/documents?cursor=${Buffer.from(`2026|${all[0]!.id}`).toString('base64url')}`)).status).toBe(400);

    expect(all[2]!.dispatches.map((d) => d.status)).toEqual(['delivered', 'delivered', 'delivered']);
    // The aptitude counters count the two publications, not the deletion.
    expect((await call<Record<string, number>>('GET', '/api/exchange/counters')).json).toMatchObject({ dmpDocuments: 2 });
    const audit = rowsOf(await app.database.db.execute(sql`select details from audit_events where action = 'exchange.outgoing.list' order by id desc limit 1`));
    expect(audit[0]!.details).toEqual({ results: next.map((d) => d.id) });

    // Documents created in the same millisecond, or by the same transaction (one HL7 message carrying several), each come once, page after page.
    const ids = all.map((d) => d.id);
    await app.database.db.execute(sql`update outgoing_documents set created_at = case when id = ${ids[2]} then '2026-12-01T10:00:00.123456Z'::timestamptz else '2026-12-01T10:00:00.123789Z'::timestamptz end where id in (${sql.join(ids.map((id) => sql`${id}`), sql`, `)})`);
    const paged: string[] = [];
    let cursor: string | undefined;
    do {
      const page = (await call<{ items: Listed[]; next?: string }>('GET', `/api/exchange/documents?source=dpi&limit=1${cursor ? `&cursor=${cursor}` : ''}`)).json;
      paged.push(...page.items.map((d) => d.id));
      cursor = page.next;
    } while (cursor);
    expect(paged).toEqual([...ids.slice(0, 2).sort().reverse(), ids[2]]);
  });
});

describe('PFI: rules and faults', () => {
  it('refuses contradictory sending choices at validation (422), naming the rule', async () => {
    const patient = await qualified({ birthName: 'ADRUN', birthGivenNames: 'ZOE', birthDate: '1975-12-31', sex: 'F' });
    const draft = await call<{ id: string }>('POST', '/api/documents', { identityId: patient, type: 'ldl', author: doctor, sections: SECTIONS });
    const refused = await call<{ detail: string }>('POST', `/api/documents/${draft.json.id}/validate`, { legalAuthenticator: doctor, distribution: { invisibleToPatient: true } });
    expect(refused.status).toBe(422);
    expect(refused.json.detail).toMatch(/invisible au patient/);
  });

  it('a production INS OID is refused by the DMP sandbox: failed with the code, the other channels still delivered', async () => {
    const patient = await qualified({ birthName: 'ADRTROIS', birthGivenNames: 'DOMINIQUE', birthDate: '1997-02-26', sex: 'F' });
    const doc = await validatedLdl(patient);
    const dispatches = await dispatchesUntil(doc.id, settled);
    expect(dispatches.find((d) => d.channel === 'dmp')).toMatchObject({ status: 'failed', errorCode: 'SANDBOX_INS_PRODUCTION_OID' });
    expect(dispatches.filter((d) => d.channel !== 'dmp').map((d) => d.status)).toEqual(['delivered', 'delivered']);
  });

  it('the operator refusing for a while: retried with backoff, delivered once, no duplicate', async () => {
    const patient = await qualified({ birthName: 'TCHITCHI', birthGivenNames: 'CATARINA', birthDate: '1936-06-21', sex: 'F' });
    app.sandboxes!.mssante.refuseSmtp('temporary');
    const before = app.sandboxes!.mssante.counters().accepted;
    const doc = await validatedLdl(patient, { correspondents: [{ role: 'correspondant', address: 'adam.hoda@test-ci-sis.mssante.fr' }], blocked: ['dmp'] });
    const retried = await dispatchesUntil(doc.id, (d) => d.some((x) => x.channel === 'mssante-pro' && x.attempts >= 2));
    expect(retried.find((d) => d.channel === 'mssante-pro')!.history.map((h) => h.status)).toContain('retry');
    app.sandboxes!.mssante.refuseSmtp(undefined);
    const dispatches = await dispatchesUntil(doc.id, settled);
    expect(dispatches.map((d) => [d.channel, d.status]).sort()).toEqual([['dmp', 'blocked'], ['mssante-patient', 'delivered'], ['mssante-pro', 'delivered']]);
    expect(app.sandboxes!.mssante.counters().accepted - before).toBe(2);
    const received = await Promise.all((await app.sandboxes!.mssante.messages('adam.hoda@test-ci-sis.mssante.fr')).map((m) => readReceivedMessage(m.raw)));
    expect(received.filter((m) => m.cdas.some((c) => c.uniqueId === doc.cdaId))).toHaveLength(1);
  });

  it('an unknown mailbox comes back as failed from the DSN, and a manual retry is refused until then only for failed ones', async () => {
    const patient = await qualified({ birthName: 'ADRUN', birthGivenNames: 'ZOE', birthDate: '1975-12-31', sex: 'F' });
    const doc = await validatedLdl(patient, { correspondents: [{ role: 'correspondant', address: 'personne@inconnu.mssante.fr' }], blocked: ['dmp', 'mssante-patient'] });
    const dispatches = await dispatchesUntil(doc.id, settled);
    const pro = dispatches.find((d) => d.channel === 'mssante-pro')!;
    expect(pro).toMatchObject({ status: 'failed', errorCode: '5.1.1' });
    const blocked = dispatches.find((d) => d.channel === 'dmp')!;
    expect((await call('POST', `/api/dispatches/${blocked.id}/retry`)).status).toBe(409);
    expect((await call('POST', `/api/dispatches/${pro.id}/retry`)).status).toBe(202);
  });
});

describe('PFI: a document invisible to the patient until the announcement consultation', () => {
  it('is published invisible to the patient, made visible after the consultation (ITI-57), and can never be hidden from them again', async () => {
    const patient = (await call<{ items: Array<{ id: string }> }>('GET', '/api/identities?ins=279035121518989')).json.items[0]?.id ?? await qualified(PAT_TROIS);
    const doc = await validatedLdl(patient, { correspondents: [{ role: 'medecin-traitant', rpps: '10001234567' }], blocked: ['mssante-patient'], invisibleToPatient: true });
    const sent = await dispatchesUntil(doc.id, settled);
    expect(sent.map((d) => [d.action, d.channel, d.status]).sort()).toEqual([['publish', 'dmp', 'delivered'], ['publish', 'mssante-patient', 'blocked'], ['publish', 'mssante-pro', 'delivered']]);
    const inDmp = async () => (await app.database.db.select({ confidentiality: dmpSandboxEntries.confidentiality, version: dmpSandboxEntries.version, status: dmpSandboxEntries.status })
      .from(dmpSandboxEntries).where(eq(dmpSandboxEntries.uniqueId, doc.cdaId))).sort((a, b) => a.version - b.version);
    expect((await inDmp()).map((e) => e.confidentiality)).toEqual([['N', 'INVISIBLE_PATIENT']]);
    // Still invisible to the patient: her mailbox cannot be unblocked yet.
    const patientChannel = sent.find((d) => d.channel === 'mssante-patient')!;
    const early = await call<{ detail: string }>('POST', `/api/dispatches/${patientChannel.id}/unblock`);
    expect(early.status).toBe(422);
    expect(early.json.detail).toMatch(/invisible au patient/);

    const shown = await call<{ distribution: { invisibleToPatient: boolean } }>('POST', `/api/documents/${doc.id}/visibility`, { invisibleToPatient: false, reason: 'consultation d’annonce réalisée' });
    expect(shown.status).toBe(200);
    expect(shown.json.distribution.invisibleToPatient).toBe(false);
    const updated = await dispatchesUntil(doc.id, (d) => d.some((x) => x.action === 'visibility' && x.status === 'delivered'));
    // The document's events share one ordering key: the PFI applies them in the order they happened.
    const events = rowsOf(await app.database.db.execute(sql`select queue, ordering_key from jobs where payload->>'documentId' = ${doc.id} order by id`));
    expect(events).toEqual([{ queue: 'document.validated', ordering_key: `document:${doc.id}` }, { queue: 'document.visibility', ordering_key: `document:${doc.id}` }]);
    expect(updated.filter((d) => d.channel === 'dmp').map((d) => [d.action, d.status])).toEqual([['publish', 'delivered'], ['visibility', 'delivered']]);
    const versions = await inDmp();
    expect(versions.map((e) => [e.version, e.confidentiality, e.status.split(':').pop()])).toEqual([[1, ['N', 'INVISIBLE_PATIENT'], 'Deprecated'], [2, ['N'], 'Approved']]);

    // Now the patient receives it in her Mon espace santé mailbox, once her channel is unblocked.
    const before = (await app.sandboxes!.mssante.patientMailbox('279035121518989')).length;
    expect((await call('POST', `/api/dispatches/${patientChannel.id}/unblock`)).status).toBe(202);
    const delivered = await dispatchesUntil(doc.id, (d) => d.some((x) => x.channel === 'mssante-patient' && x.status === 'delivered'));
    expect(delivered.find((d) => d.channel === 'mssante-patient')!.history.map((h) => h.status)).toEqual(['blocked', 'pending', 'sent', 'delivered']);
    const inbox = await app.sandboxes!.mssante.patientMailbox('279035121518989');
    expect(inbox).toHaveLength(before + 1);
    expect(inbox.at(-1)!.documents.map((d) => d.uniqueId)).toEqual([doc.cdaId]);
    expect((await call('POST', `/api/dispatches/${patientChannel.id}/unblock`)).status).toBe(409);
    expect((await call('POST', `/api/dispatches/${sent.find((d) => d.channel === 'dmp')!.id}/unblock`)).status).toBe(409);
    // The DPI's choices follow: the patient's channel is in use, so the document sent to her and to the médecin traitant cannot be masked now.
    expect((await call<{ distribution: { blocked: string[] } }>('GET', `/api/documents/${doc.id}`)).json.distribution.blocked).toEqual([]);
    const masked = await call<{ detail: string }>('POST', `/api/documents/${doc.id}/visibility`, { maskedToProfessionals: true, reason: 'masquage' });
    expect(masked.status).toBe(422);
    expect(masked.json.detail).toMatch(/professionnels et au patient/);

    // Visible once, visible for ever: refused here (422) before anything reaches the DMP; the same choices again change nothing.
    const hidden = await call<{ detail: string; code: string }>('POST', `/api/documents/${doc.id}/visibility`, { invisibleToPatient: true, reason: 'erreur' });
    expect(hidden.status).toBe(422);
    expect(hidden.json.detail).toMatch(/déjà visible par le patient/);
    expect((await call('POST', `/api/documents/${doc.id}/visibility`, { invisibleToPatient: false, reason: 'encore' })).status).toBe(200);
    const audit = rowsOf(await app.database.db.execute(sql`select details from audit_events where action = 'document.visibility' and subject_id = ${doc.id}`));
    expect(audit).toEqual([{ details: { before: { maskedToProfessionals: false, invisibleToPatient: true, invisibleToLegalRepresentatives: false }, after: { maskedToProfessionals: false, invisibleToPatient: false, invisibleToLegalRepresentatives: false }, reason: 'consultation d’annonce réalisée' } }]);
    expect((await dispatchesUntil(doc.id, settled)).filter((d) => d.action === 'visibility')).toHaveLength(1);

    // Only the current validated version changes visibility, or has a channel unblocked.
    const draft = await call<{ id: string }>('POST', `/api/documents/${doc.id}/versions`, { sections: SECTIONS });
    expect((await call('POST', `/api/documents/${draft.json.id}/visibility`, { maskedToProfessionals: true, reason: 'brouillon' })).status).toBe(409);
    const v2 = await call<{ id: string }>('POST', `/api/documents/${draft.json.id}/validate`, { legalAuthenticator: doctor, distribution: { blocked: ['mssante-pro', 'mssante-patient'] } });
    expect(v2.status).toBe(200);
    const ofV2 = await dispatchesUntil(v2.json.id, settled);
    expect(ofV2.find((d) => d.channel === 'mssante-pro')).toMatchObject({ status: 'blocked' });
    // v2 is the current version: its own blocked channel may go; once it is withdrawn, none may.
    expect((await call('POST', `/api/dispatches/${ofV2.find((d) => d.channel === 'mssante-patient')!.id}/unblock`)).status).toBe(202);
    await call('POST', `/api/documents/${v2.json.id}/withdraw`, { reason: 'erreur' });
    const withdrawnVersion = await call<{ detail: string }>('POST', `/api/dispatches/${ofV2.find((d) => d.channel === 'mssante-pro')!.id}/unblock`);
    expect(withdrawnVersion.status).toBe(409);
    expect(withdrawnVersion.json.detail).toMatch(/Version remplacée ou retirée/);
  });
});

describe('PFI: the DMP down', () => {
  it('retries with backoff while the DMP is unreachable, and delivers once it is back', async () => {
    // The same PAT-TROIS as above: a second qualified identity with her INS would be a duplicate.
    const patient = (await call<{ items: Array<{ id: string }> }>('GET', '/api/identities?ins=279035121518989')).json.items[0]!.id;
    const sandbox = app.sandboxes!.dmp;
    const port = Number(new URL(sandbox.url).port);
    await sandbox.close();
    const doc = await validatedLdl(patient, { blocked: ['mssante-patient'] });
    const retrying = await dispatchesUntil(doc.id, (d) => (d.find((x) => x.channel === 'dmp')?.attempts ?? 0) >= 2);
    const dmp = retrying.find((d) => d.channel === 'dmp')!;
    expect(dmp.status).toBe('pending');
    expect(dmp.history.map((h) => h.status)).toContain('retry');
    expect(dmp.reason).toMatch(/DMP/);
    const back = await startDmpSandbox({ pki: app.pki, database: app.database.db, host: '127.0.0.1', port });
    try {
      const done = await dispatchesUntil(doc.id, (d) => d.find((x) => x.channel === 'dmp')?.status === 'delivered');
      expect(done.find((d) => d.channel === 'dmp')!.history.filter((h) => h.status === 'delivered')).toHaveLength(1);
    } finally {
      await back.close();
    }
  });
});

describe('PFI: documents received by MSSanté', () => {
  it('a CR-BIO sent by a sandbox lab lands in the patient\'s record, and the lab gets an MDN "processed"', async () => {
    const patient = (await call<{ items: Array<{ id: string }> }>('GET', '/api/identities?ins=279035121518989')).json.items[0]?.id ?? await qualified(PAT_TROIS);
    const cda = buildCda({ ...sampleDocument('cr-bio', PAT_TROIS_QUALIFIED), id: { root: '1.2.250.1.999.7.1' } });
    if (!cda.ok) throw new Error(cda.error.rule);
    const lab = await issueCertificate(app.pki.ca, SANDBOX_LAB_CERTIFICATE_CN, 'client');
    const client = createMssanteClient({
      smtp: { host: '127.0.0.1', port: app.sandboxes!.mssante.smtpPort, security: 'tls', tls: { ...lab, ca: app.pki.ca.cert } },
      sender: { address: SANDBOX_LAB_MAILBOX, nil: 'LAB-NIL', establishment: 'Laboratoire de test', sourceId: '1.2.250.1.999.8', contentTypeCode: { code: '04', codingScheme: '1.2.250.1.213.2.2', displayName: 'Hospitalisation de jour' } },
    });
    try {
      await client.sendDocuments({ documents: [{ cda: Buffer.from(cda.value) }], label: 'CR de biologie', professionals: [SANDBOX_HOSPITAL_MAILBOX], visibility: {} });
    } finally {
      client.close();
    }
    const deadline = Date.now() + 15_000;
    let items: Array<{ uniqueId: string; matchedBy: string; source: string }> = [];
    while (Date.now() < deadline && items.length === 0) {
      await app.readMailbox();
      items = (await app.received.listFor(patient, 'test')).filter((d) => d.uniqueId === '1.2.250.1.999.7.1') as typeof items;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(items).toMatchObject([{ uniqueId: '1.2.250.1.999.7.1', matchedBy: 'ins', source: 'mssante' }]);
    const listed = await call<{ items: Array<{ id: string; uniqueId: string; code: string }> }>('GET', `/api/identities/${patient}/received-documents`);
    const item = listed.json.items.find((d) => d.uniqueId === '1.2.250.1.999.7.1')!;
    expect(item.code).toBe('11502-2');
    const cdaText = await fetch(`${app.url}/api/received-documents/${item.id}/cda`, { headers: { 'x-passerelle-user': 'dr' } }).then((r) => r.text());
    expect(cdaText).toBe(cda.value);
    const mdnDeadline = Date.now() + 10_000;
    let mdn = '';
    while (Date.now() < mdnDeadline && !mdn) {
      mdn = (await app.sandboxes!.mssante.messages(SANDBOX_LAB_MAILBOX)).map((m) => m.raw.toString('latin1')).find((r) => /report-type="?disposition-notification/i.test(r)) ?? '';
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(mdn).toMatch(/Disposition: automatic-action\/MDN-sent-automatically; processed/i);
  });
});
