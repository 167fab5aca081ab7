/**
 * Exit documents end to end through the HTTP API: a draft LDL for a patient qualified through
 * INSi is validated into a PDF/A and a CDA R2 N1 carrying the qualified INS, retrieved as PDF,
 * CDA and HTML, then replaced by a version 2 whose CDA points to version 1 (RPLC).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { parseCda } from '../src/formats/cda/index.ts';
import { loadXsd } from '../src/platform/xsd.ts';
import { PFI_ACTOR } from '../src/exchange/index.ts';
import { auditTrailOf } from '../src/platform/audit/index.ts';
import { documents } from '../src/record/tables.ts';
import { startTestApp, type TestApp } from './support/app.ts';
import { fixturesDir } from './support/fixtures.ts';

let app: TestApp;
beforeAll(async () => { app = await startTestApp(); });
afterAll(async () => { await app?.stop(); });

async function call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const response = await fetch(`${app.url}${path}`, {
    method, headers: { 'content-type': 'application/json', 'x-passerelle-user': 'dr.medecin' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: await response.json() as T };
}

const doctor = { rpps: '10001234567', family: 'MEDECIN', given: 'Jean', specialty: 'G15_10/SM26' };
const fixtures = fixturesDir();
const xsd = fixtures ? loadXsd(join(fixtures, 'cda', 'infrastructure', 'cda', 'CDA_extended.xsd')) : undefined;

async function qualifiedPatient(): Promise<string> {
  const created = await call<{ identity: { id: string } }>('POST', '/api/identities', {
    traits: { birthName: 'ADRUN', birthGivenNames: 'ZOE', birthDate: '1975-12-31', sex: 'F' },
  });
  const id = created.json.identity.id;
  await call('POST', `/api/identities/${id}/proofs`, { type: 'PA' });
  const insi = await call<{ identity: { status: string } }>('POST', `/api/identities/${id}/insi`, {});
  expect(insi.json.identity.status).toBe('QUAL');
  return id;
}

describe('exit documents through the API', () => {
  it('validates an LDL into PDF/A + CDA N1 with the qualified INS, then replaces it (RPLC)', async () => {
    const patient = await qualifiedPatient();
    const stay = await call<{ id: string; status: string }>('POST', `/api/identities/${patient}/stays`, { nda: 'NDA-77', patientClass: 'I', admitAt: '2026-11-10T08:00:00+01:00' });
    expect(stay.status).toBe(201);
    const discharged = await call<{ id: string; status: string; dischargeAt: string }>('POST', `/api/identities/${patient}/stays`, { nda: 'NDA-77', event: 'sortie', dischargeAt: '2026-11-15T10:00:00+01:00' });
    expect(discharged.json).toMatchObject({ id: stay.json.id, status: 'discharged' });
    const draft = await call<{ id: string; status: string; version: number }>('POST', '/api/documents', {
      identityId: patient, stayId: stay.json.id, type: 'ldl', author: doctor,
      sections: [{ heading: 'Motif d’hospitalisation', paragraphs: ['Pneumopathie communautaire.'] }, { heading: 'Traitement de sortie', paragraphs: ['Amoxicilline 1 g x3/j, 7 jours.'] }],
    });
    expect(draft.status).toBe(201);
    expect(draft.json).toMatchObject({ status: 'draft', version: 1 });

    const notYet = await call('GET', `/api/documents/${draft.json.id}/pdf`);
    expect(notYet.status).toBe(409);

    const validated = await call<{ status: string; cdaId: string }>('POST', `/api/documents/${draft.json.id}/validate`, { legalAuthenticator: doctor });
    expect(validated.status).toBe(200);
    expect(validated.json.status).toBe('validated');

    const pdf = await fetch(`${app.url}/api/documents/${draft.json.id}/pdf`);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');

    const cda = await (await fetch(`${app.url}/api/documents/${draft.json.id}/cda`)).text();
    const parsed = parseCda(cda);
    expect(parsed.ok && parsed.value.document.encounter?.effectiveTime).toMatchObject({ low: expect.stringMatching(/^20261110/), high: expect.stringMatching(/^20261115/) });
    expect(parsed.ok && parsed.value.document).toMatchObject({
      code: { code: '11490-0' }, versionNumber: 1, patient: { ins: { matricule: '275126322074974', oid: '1.2.250.1.213.1.4.8' }, birthName: 'ADRUN' },
    });
    if (xsd) expect(xsd.validate(cda).filter((p) => p.level !== 'warning')).toEqual([]);

    const html = await (await fetch(`${app.url}/api/documents/${draft.json.id}/html`)).text();
    expect(html).toContain('<strong>ADRUN</strong>');
    expect(html).toContain('Amoxicilline 1 g x3/j, 7 jours.');
    expect(html).toContain('INS : 275126322074974');

    const v2 = await call<{ id: string; version: number; status: string }>('POST', `/api/documents/${draft.json.id}/versions`, {
      sections: [{ heading: 'Traitement de sortie', paragraphs: ['Amoxicilline 1 g x3/j, 5 jours (corrigé).'] }],
    });
    expect(v2.json).toMatchObject({ version: 2, status: 'draft' });
    await call('POST', `/api/documents/${v2.json.id}/validate`, { legalAuthenticator: doctor });
    const cda2 = parseCda(await (await fetch(`${app.url}/api/documents/${v2.json.id}/cda`)).text());
    expect(cda2.ok && cda2.value.document).toMatchObject({ versionNumber: 2, replaces: { root: validated.json.cdaId } });
    expect((await call<{ status: string }>('GET', `/api/documents/${draft.json.id}`)).json.status).toBe('replaced');

    const list = await call<{ items: Array<{ version: number; status: string }> }>('GET', `/api/identities/${patient}/documents`);
    expect(list.json.items.map((d) => `${d.version}:${d.status}`)).toEqual(['2:validated', '1:replaced']);

    const trail = await auditTrailOf(app.database.db, 'document', draft.json.id);
    // The intermediation platform reads each validated version to send it (asynchronously): audited under its own name.
    expect(trail.filter((e) => e.actor !== PFI_ACTOR).map((e) => e.action)).toEqual(['document.create', 'document.validate', 'document.read.pdf', 'document.read.cda', 'document.read', 'document.read']);
    expect(trail.filter((e) => e.actor === PFI_ACTOR).every((e) => e.action === 'document.read.exchange')).toBe(true);

    // What the PFI gets of a validated version: its header, and its bytes as SQL the database copies itself.
    const cda2Text = await (await fetch(`${app.url}/api/documents/${v2.json.id}/cda`)).text();
    const pdf2 = Buffer.from(await (await fetch(`${app.url}/api/documents/${v2.json.id}/pdf`)).arrayBuffer());
    const forExchange = await app.documents.validatedForExchange(v2.json.id, PFI_ACTOR);
    expect(forExchange).toMatchObject({ header: { code: { code: '11490-0' } }, replacesCdaId: validated.json.cdaId });
    expect(forExchange.cda).toBeUndefined();
    const copied = ((await app.database.db.execute(sql`select ${forExchange.bytes.cda} as cda, ${forExchange.bytes.pdf} as pdf`)) as unknown as { rows: Array<{ cda: string; pdf: Uint8Array }> }).rows[0]!;
    expect(copied.cda).toBe(cda2Text);
    expect(Buffer.from(copied.pdf).equals(pdf2)).toBe(true);
    // A version validated before the header was kept comes with its CDA, to read the header from.
    await app.database.db.update(documents).set({ header: null }).where(eq(documents.id, v2.json.id));
    const legacy = await app.documents.validatedForExchange(v2.json.id, PFI_ACTOR);
    expect(legacy.header).toBeUndefined();
    expect(legacy.cda).toBe(cda2Text);
  });

  it('produces a CDA without INS for a patient who is not qualified', async () => {
    const created = await call<{ identity: { id: string } }>('POST', '/api/identities', {
      traits: { birthName: 'PROVISOIRE', birthGivenNames: 'JEANNE', birthDate: '1950-02-03', sex: 'F' },
    });
    const draft = await call<{ id: string }>('POST', '/api/documents', {
      identityId: created.json.identity.id, type: 'cro', author: doctor, sections: [{ heading: 'Intervention', paragraphs: ['Cholécystectomie.'] }],
    });
    await call('POST', `/api/documents/${draft.json.id}/validate`, { legalAuthenticator: doctor });
    const cda = await (await fetch(`${app.url}/api/documents/${draft.json.id}/cda`)).text();
    const parsed = parseCda(cda);
    expect(parsed.ok && parsed.value.document.patient.ins).toBeUndefined();
    expect(parsed.ok && parsed.value.document.code.code).toBe('34874-8');
    if (xsd) expect(xsd.validate(cda).filter((p) => p.level !== 'warning')).toEqual([]);
  });

  it('rejects bad input with the field and the rule', async () => {
    const bad = await call<{ detail: string }>('POST', '/api/documents', {
      identityId: '00000000-0000-4000-8000-000000000000', type: 'ldl', author: { ...doctor, rpps: '123' }, sections: [{ heading: 'X', paragraphs: [] }],
    });
    expect(bad.status).toBe(400);
    expect(bad.json.detail).toMatch(/author\.rpps/);
  });
});
