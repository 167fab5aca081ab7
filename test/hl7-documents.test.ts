/**
 * CDA documents from the plateaux techniques end to end (TRANS volet "Transmission de
 * document(s) CDA en HL7 v2"; mssante.md §5–6, dmp.md §5.5, §6, §9): official ANS ORU^R01 and
 * MDM^T02/T10/T04 sent over MLLP on loopback to the running platform, acknowledged by the
 * inbox, routed by the PFI to the DMP sandbox and the MSSanté operator sandbox, and answered
 * with ZAM^Z01/Z02/Z03 to a listener playing the producer. One app for the file; the tests
 * run in order (the ORU replacement replaces the ORU sent first; the MDM chain builds on itself).
 *
 * What is changed in the official messages: MSH-10 (every example says 015, and the inbox
 * refuses a control id reused for a different message), one extra PRT RCT (a sandbox mailbox
 * that answers with an MDN, for Z03; in the running app the one answering "processed" is
 * shadowed by the Annuaire's entry without MDN, so the one answering with error 902 is used), and in the replacement's CDA the parent id (the Ségur
 * replacement names .12, a document of another example, instead of the .9 sent here).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { and, eq } from 'drizzle-orm';
import { buildAck, parse, readAck, readZam, serialize, type AckRead, type ZamRead } from '../src/formats/hl7v2/index.ts';
import { createDmpClient, type DmpClient } from '../src/national/dmp/index.ts';
import { readReceivedMessage } from '../src/national/mssante/index.ts';
import { dispatches, outgoingDocuments } from '../src/exchange/tables.ts';
import { dmpSandboxEntries } from '../src/national/dmp/tables.ts';
import { decodeHl7 } from '../src/platform/hl7-inbox/index.ts';
import { hl7Messages } from '../src/platform/hl7-inbox/tables.ts';
import { createMllpClient, createMllpServer, type MllpClient, type MllpServer } from '../src/platform/mllp/index.ts';
import { startTestApp, type TestApp } from './support/app.ts';
import { requireFixtures, skipReason } from './support/fixtures.ts';

const HL7V2 = requireFixtures('hl7v2');
const SEGUR = 'Vague 2/Trans_Doc-CDA-HL7V2/TRANSMISSION_DOCS_CDA_EN_HL7V2_V2.1';
const PAT_TROIS = { matricule: '279035121518989', oid: '1.2.250.1.213.1.4.10' };
/** A sandbox mailbox whose system answers every document with an MDN "processed/Error: 902" (unknown patient). */
const MDN_MAILBOX = 'integration.ko@test-ci-sis.mssante.fr';

/** An official example, CR separators, MSH-10 replaced. */
function fixture(relative: string, controlId: string): string {
  const text = readFileSync(join(HL7V2!, relative), 'utf8').replace(/\r\n|\n/g, '\r').replace(/\r+$/, '');
  return withSegments(text, (s) => (s.startsWith('MSH|') ? replaceField(s, 9, controlId) : s));
}
function replaceField(segment: string, index: number, value: string): string {
  const fields = segment.split('|');
  fields[index] = value;
  return fields.join('|');
}
const withSegments = (message: string, map: (segment: string) => string | string[]): string => message.split('\r').flatMap(map).join('\r');

/** Rewrites the base64 CDA of the first document OBX. */
function withCda(message: string, rewrite: (cda: string) => string): string {
  let done = false;
  return withSegments(message, (s) => {
    if (done || !s.startsWith('OBX|') || s.split('|')[2] !== 'ED' || !/\^XML\^Base64\^/i.test(s)) return s;
    done = true;
    const fields = s.split('|');
    const parts = fields[5]!.split('^');
    parts[4] = Buffer.from(rewrite(Buffer.from(parts[4]!, 'base64').toString('utf8')), 'utf8').toString('base64');
    fields[5] = parts.join('^');
    return fields.join('|');
  });
}

function ackOf(bytes: Buffer): AckRead {
  const parsed = parse(decodeHl7(bytes));
  if (!parsed.ok) throw new Error(`ACK does not parse: ${parsed.error.rule}`);
  const ack = readAck(parsed.value);
  if (!ack.ok) throw new Error(`not an ACK: ${ack.error.rule}`);
  return ack.value;
}

describe.skipIf(!HL7V2)(`CDA documents in HL7 v2 from the plateaux techniques${HL7V2 ? '' : ` (${skipReason('hl7v2')})`}`, () => {
  let app: TestApp;
  let client: MllpClient;
  let producer: MllpServer;
  let dmp: DmpClient;
  const zams: ZamRead[] = [];
  /** PAT-TROIS in the identity referential (qualified through the INSi sandbox). */
  let patientId: string;

  beforeAll(async () => {
    producer = createMllpServer({
      handler: async (raw) => {
        const parsed = parse(decodeHl7(raw));
        if (!parsed.ok) throw new Error(parsed.error.rule);
        const zam = readZam(parsed.value);
        if (!zam.ok) throw new Error(`${zam.error.field}: ${zam.error.rule}`);
        zams.push(zam.value);
        return Buffer.from(serialize(buildAck(parsed.value, { code: 'AA', controlId: `SIL${zams.length}`, timestamp: new Date() }), { segmentSeparator: '\r' }));
      },
    });
    const port = await producer.listen(0, '127.0.0.1');
    app = await startTestApp({
      'outbox.pollMs': 50, 'outbox.backoffBaseMs': 50, 'outbox.backoffMaxMs': 200, 'mssante.pollMs': 100,
      plateaux: [{ application: 'SIL-Y', host: '127.0.0.1', port }, { application: 'RIS-Y', facility: 'Organisation-Y', host: '127.0.0.1', port }],
    });
    client = createMllpClient({ host: '127.0.0.1', port: app.ports.mllp });
    dmp = createDmpClient({
      endpoint: app.sandboxes!.dmp.url, tls: { ...app.pki.clients.establishment, ca: app.pki.ca.cert }, signing: app.pki.signing.establishment,
      structure: { id: '1000000000', sector: 'SA01' }, software: { name: 'TEST', version: '1', homologation: 'X' }, sourceId: '1.2.250.1.999.1.9',
    });
    // The patient qualified in the identity referential first, as the DPI path does (INSi sandbox).
    const headers = { 'x-passerelle-user': 'dr.medecin', 'content-type': 'application/json' };
    const created = await fetch(`${app.url}/api/identities`, { method: 'POST', headers, body: JSON.stringify({ traits: { birthName: 'PAT-TROIS', birthGivenNames: 'DOMINIQUE', birthDate: '1979-03-28', sex: 'F' } }) });
    const id = ((await created.json()) as { identity: { id: string } }).identity.id;
    patientId = id;
    await fetch(`${app.url}/api/identities/${id}/proofs`, { method: 'POST', headers, body: JSON.stringify({ type: 'CN' }) });
    const insi = await fetch(`${app.url}/api/identities/${id}/insi`, { method: 'POST', headers, body: '{}' });
    expect(((await insi.json()) as { identity: { status: string } }).identity.status).toBe('QUAL');
  });
  afterAll(async () => {
    dmp?.close();
    await client?.close().catch(() => undefined);
    await app?.stop();
    await producer?.close({ timeoutMs: 500 });
  });

  const send = async (message: string): Promise<AckRead> => ackOf(await client.send(message));

  /** The dispatches of the documents of one inbox message, once `done` holds (reading the mailbox for receipts). */
  async function dispatchesOf(uniqueId: string, done: (d: Array<typeof dispatches.$inferSelect>) => boolean, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    let last: Array<typeof dispatches.$inferSelect> = [];
    while (Date.now() < deadline) {
      const [outgoing] = await app.database.db.select().from(outgoingDocuments).where(and(eq(outgoingDocuments.source, 'hl7'), eq(outgoingDocuments.uniqueId, uniqueId)));
      last = outgoing ? await app.database.db.select().from(dispatches).where(eq(dispatches.outgoingId, outgoing.id)) : [];
      if (last.length > 0 && done(last)) return last;
      await app.readMailbox();
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timeout; dispatches: ${JSON.stringify(last.map((d) => [d.channel, d.recipient, d.status, d.reason]))}`);
  }
  const settled = (d: Array<{ status: string }>): boolean => d.every((x) => ['delivered', 'read', 'blocked', 'failed'].includes(x.status));

  async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const value = await check();
      if (value !== undefined) return value;
      await app.readMailbox();
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${what}; ZAMs: ${JSON.stringify(zams.map((z) => [z.type, z.acknowledgedControlId, z.success, z.recipient?.address]))}`);
  }

  const statusInDmp = async (uniqueId: string): Promise<string | undefined> =>
    (await dmp.getDocuments({ uniqueIds: [uniqueId] }, PAT_TROIS)).map((d) => d.status.split(':').pop()).sort().join(',') || undefined;

  const CR_BIO = '1.2.250.1.213.1.1.9';

  it('an ORU^R01 CR-BIO: AA, published in the DMP, sent to the correspondents and to the patient; the producer gets ZAM^Z01 Y, a Z02 per recipient and a Z03 from the MDN', async () => {
    const message = withSegments(fixture(`${SEGUR}/ORU/Transmission initiale ORU/message_ORU_CR_Bio_INIT_N3_SEGUR.hl7`, 'ORU-INIT-1'), (s) => (
      s.startsWith('PRT||UC||REPLY') ? [`PRT||UC||RCT^^participation|801234567890^Test^Cabinet^^^^^^ASIP-SANTE- PS&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS||||||||||^^X.400^${MDN_MAILBOX}`, s] : s));
    const ack = await send(message);
    expect(ack).toMatchObject({ code: 'AA', acknowledgedControlId: 'ORU-INIT-1' });
    expect(ack.errors.filter((e) => e.severity === 'E')).toEqual([]);

    const sent = await dispatchesOf(CR_BIO, (d) => settled(d) && d.some((x) => x.recipient === MDN_MAILBOX && x.status === 'failed'));
    expect(sent.map((d) => [d.channel, d.recipient, d.status]).sort()).toEqual([
      ['dmp', '', 'delivered'],
      ['mssante-patient', '279035121518989@patient.mssante.fr', 'delivered'],
      ['mssante-pro', 'adam.hoda@test-ci-sis.mssante.fr', 'delivered'],
      ['mssante-pro', MDN_MAILBOX, 'failed'],
    ]);

    // Hospital IT tracks it like a DPI document: listed with its channels, found among the documents with a failed channel, then in full.
    const api = async <T>(path: string): Promise<{ status: number; json: T }> => {
      const response = await fetch(`${app.url}${path}`, { headers: { 'x-passerelle-user': 'admin.si' } });
      return { status: response.status, json: await response.json() as T };
    };
    interface Listed { id: string; source: string; identityId: string | null; sourceId: string; uniqueId: string; label: string; dispatches: Array<{ channel: string; recipient: string | null; status: string; history: unknown[] }> }
    const listed = (await api<{ items: Listed[] }>('/api/exchange/documents?source=hl7')).json.items.find((d) => d.uniqueId === CR_BIO)!;
    // Linked to PAT-TROIS by her INS (the producer's IPP is not one of ours), so it is among her documents.
    expect(listed).toMatchObject({ source: 'hl7', identityId: patientId, label: expect.any(String) });
    expect((await api<{ items: Listed[] }>(`/api/exchange/documents?identityId=${patientId}`)).json.items.map((d) => d.id)).toContain(listed.id);
    expect(listed.dispatches.map((d) => [d.channel, d.recipient, d.status]).sort()).toEqual(sent.map((d) => [d.channel, d.recipient || null, d.status]).sort());
    expect((await api<{ items: Listed[] }>('/api/exchange/documents?status=failed')).json.items.map((d) => d.id)).toContain(listed.id);
    expect((await api<{ items: Listed[] }>('/api/exchange/documents?source=dpi')).json.items.map((d) => d.id)).not.toContain(listed.id);
    const one = await api<Listed>(`/api/exchange/documents/${listed.id}`);
    expect(one.json.dispatches.find((d) => d.recipient === MDN_MAILBOX)?.history.length).toBeGreaterThanOrEqual(2);
    expect((await api('/api/exchange/documents?status=perdu')).status).toBe(400);
    expect((await api(`/api/exchange/documents/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`)).status).toBe(404);

    // The DMP holds the CDA as sent, byte for byte.
    const carried = await app.database.db.select({ cda: outgoingDocuments.cda }).from(outgoingDocuments).where(eq(outgoingDocuments.uniqueId, CR_BIO));
    const retrieved = await dmp.retrieve(CR_BIO, { patient: PAT_TROIS });
    expect(Buffer.from(retrieved.bytes).toString('utf8')).toBe(carried[0]!.cda);
    expect(await statusInDmp(CR_BIO)).toBe('Approved');

    // The correspondent and the patient received the XDM.
    const [mail] = await app.sandboxes!.mssante.messages('adam.hoda@test-ci-sis.mssante.fr');
    const received = await readReceivedMessage(mail!.raw);
    expect(received.cdas.map((c) => c.uniqueId)).toEqual([CR_BIO]);
    const patientBox = await app.sandboxes!.mssante.patientMailbox(PAT_TROIS.matricule);
    expect(patientBox.flatMap((m) => m.documents.map((d) => d.uniqueId))).toContain(CR_BIO);

    // The producer's mail: CORPSMAIL_PS is the professionals' text (the patient gets the default one), PRT REPLY the Reply-To.
    const corpsmailPs = /^OBX\|\d+\|ED\|CORPSMAIL_PS\^[^|]*\|\|\^TEXT\^\^Base64\^([^|]+)\|/m.exec(message.replace(/\r/g, '\n'))![1]!;
    expect(received.text?.trim()).toBe(Buffer.from(corpsmailPs, 'base64').toString('utf8').trim());
    expect(patientBox.find((m) => m.documents.some((d) => d.uniqueId === CR_BIO))?.text).not.toContain(received.text!.trim());
    expect(mail!.raw.toString('latin1')).toMatch(/^Reply-To: adam\.hoda@test-ci-sis\.mssante\.fr\r$/m);
    // The patient may not reply (X-MSS-MES: FIN): her copy has no Reply-To.
    const patientRaw = (await app.sandboxes!.mssante.messages('279035121518989@patient.mssante.fr')).map((m) => m.raw.toString('latin1'));
    expect(patientRaw.filter((r) => /^X-MSS-MES: FIN\r$/m.test(r))).not.toEqual([]);
    expect(patientRaw.filter((r) => /^Reply-To:/m.test(r))).toEqual([]);

    // Business acknowledgements: Z01 from the DMP, one Z02 per recipient from the DSNs, Z03 from the MDN.
    const mine = (): ZamRead[] => zams.filter((z) => z.acknowledgedControlId === 'ORU-INIT-1');
    await until('ZAMs of ORU-INIT-1', () => (mine().length >= 5 ? true : undefined));
    expect(mine().filter((z) => z.type === 'Z01')).toMatchObject([{ success: true, errors: [], code: { code: 'ACK_RECEPTION_DMP' } }]);
    expect(mine().filter((z) => z.type === 'Z02').map((z) => [z.recipient?.address, z.success]).sort()).toEqual([
      ['279035121518989@patient.mssante.fr', true], ['adam.hoda@test-ci-sis.mssante.fr', true], [MDN_MAILBOX, true],
    ]);
    expect(mine().find((z) => z.type === 'Z02' && z.recipient?.address === 'adam.hoda@test-ci-sis.mssante.fr')?.recipient?.id).toBe('801234567897');
    expect(mine().filter((z) => z.type === 'Z03')).toMatchObject([{
      success: false, recipient: { address: MDN_MAILBOX, id: '801234567890' }, errors: [{ severity: 'E', applicationError: { code: '902', codingSystem: 'applicationErrorCode' } }],
    }]);
  });

  it('a message the PFI must not route gets AE with ERR naming segment-field and rule; nothing is routed, the raw message is kept', async () => {
    // The Ségur deletion example carries a CDA of another patient (INS 277076322082910).
    const ack = await send(fixture(`${SEGUR}/ORU/Suppression ORU/message_ORU_CR_Bio_DEL_N3_SEGUR.hl7`, 'ORU-BAD-1'));
    expect(ack.code).toBe('AE');
    const error = ack.errors.find((e) => e.severity === 'E');
    expect(error).toMatchObject({ location: { segment: 'OBX', sequence: 1, field: 5, component: 5 } });
    expect(error?.userMessage).toMatch(/INS differs from PID-3/);
    const [row] = await app.database.db.select().from(hl7Messages).where(eq(hl7Messages.controlId, 'ORU-BAD-1'));
    expect(row).toMatchObject({ status: 'error' });
    expect(row!.raw.length).toBeGreaterThan(0);
    const routed = await app.database.db.select().from(outgoingDocuments).where(eq(outgoingDocuments.sourceId, `${row!.id}:1`));
    expect(routed).toEqual([]);

    // An MDM without its TXA cannot be read at all: AR naming TXA.
    const noTxa = withSegments(fixture(`${SEGUR}/MDM/Transmission initiale MDM/message_MDM_CR_Radio_INIT_N1_Base64.er7`, 'MDM-BAD-1'), (s) => (s.startsWith('TXA|') ? [] : s));
    const refused = await send(noTxa);
    expect(refused.code).toBe('AR');
    expect(refused.errors[0]).toMatchObject({ location: { segment: 'TXA' }, severity: 'E' });

    // A reply-to that is not an address would make every message fail: AE naming PRT-15.
    const badReplyTo = withSegments(fixture(`${SEGUR}/ORU/Transmission initiale ORU/message_ORU_CR_Bio_INIT_N3_SEGUR.hl7`, 'ORU-BAD-2'),
      (s) => (s.startsWith('PRT||UC||REPLY') ? s.replace(/X\.400\^[^|]*/, 'X.400^pas une adresse') : s));
    const ae = await send(badReplyTo);
    expect(ae.code).toBe('AE');
    expect(ae.errors.find((e) => e.severity === 'E')).toMatchObject({ location: { segment: 'PRT', field: 15 }, userMessage: 'PRT-15: the reply-to address (PRT-4 REPLY) is not an e-mail address' });
  });

  it('a replacement ORU^R01 replaces the document in the DMP (RPLC): the new version Approved, the old one Deprecated', async () => {
    const message = withCda(fixture(`${SEGUR}/ORU/Remplacement ORU/message_ORU_CR_Bio_RPLC_N3_SEGUR.hl7`, 'ORU-RPLC-1'),
      (cda) => cda.replace('1.2.250.1.213.1.1.12', CR_BIO));
    const ack = await send(message);
    expect(ack).toMatchObject({ code: 'AA', acknowledgedControlId: 'ORU-RPLC-1' });
    const sent = await dispatchesOf('1.2.250.1.213.1.1.13', settled);
    expect(sent.find((d) => d.channel === 'dmp')).toMatchObject({ status: 'delivered' });
    expect(await statusInDmp('1.2.250.1.213.1.1.13')).toBe('Approved');
    expect(await statusInDmp(CR_BIO)).toBe('Deprecated');
    // ACK_RECEPTION=N: no ZAM for this one.
    expect(zams.filter((z) => z.acknowledgedControlId === 'ORU-RPLC-1')).toEqual([]);
  });

  it('an MDM^T02, T10 then T04 (RIS, INS from the CDA): published, replaced, then deleted from the DMP (status Deleted)', async () => {
    const V1 = '1.2.250.1.71.4.2.2.120456789.71024000081';
    const V2 = '1.2.250.1.71.4.2.2.120456789.71024000082';
    expect(await send(fixture(`${SEGUR}/MDM/Transmission initiale MDM/message_MDM_CR_Radio_INIT_N1_Base64.er7`, 'MDM-T02-1'))).toMatchObject({ code: 'AA' });
    const first = await dispatchesOf(V1, settled);
    expect(first.map((d) => [d.channel, d.status]).sort()).toEqual([['dmp', 'delivered'], ['mssante-pro', 'delivered']]);
    expect(await statusInDmp(V1)).toBe('Approved');
    const [entry] = await dmp.getDocuments({ uniqueIds: [V1] }, PAT_TROIS);
    expect(entry!.entry.confidentialityCodes.map((c) => c.code)).toEqual(expect.arrayContaining(['INVISIBLE_PATIENT', 'INVISIBLE_REPRESENTANTS_LEGAUX']));

    expect(await send(fixture(`${SEGUR}/MDM/Remplacement MDM/message_MDM_CR_Radio_RPLC_N1.er7`, 'MDM-T10-1'))).toMatchObject({ code: 'AA' });
    await dispatchesOf(V2, (d) => d.some((x) => x.channel === 'dmp' && x.status === 'delivered'));
    expect(await statusInDmp(V2)).toBe('Approved');
    expect(await statusInDmp(V1)).toBe('Deprecated');

    expect(await send(fixture(`${SEGUR}/MDM/Suppression MDM/message_MDM_CR_Radio_DEL_N1.er7`, 'MDM-T04-1'))).toMatchObject({ code: 'AA' });
    const [deletion] = await app.database.db.select().from(hl7Messages).where(eq(hl7Messages.controlId, 'MDM-T04-1'));
    const deleted = await until('the deletion dispatch', async () => {
      const [outgoing] = await app.database.db.select().from(outgoingDocuments).where(eq(outgoingDocuments.sourceId, `${deletion!.id}:1`));
      const rows = outgoing ? await app.database.db.select().from(dispatches).where(eq(dispatches.outgoingId, outgoing.id)) : [];
      return rows.length > 0 && settled(rows) ? rows : undefined;
    });
    expect(deleted.map((d) => [d.channel, d.status]).sort()).toEqual([['dmp', 'delivered'], ['mssante-pro', 'blocked']]);
    // A deleted entry is hidden from every query: its status is read in the sandbox registry.
    expect(await statusInDmp(V2)).toBeUndefined();
    const registry = await app.database.db.select({ status: dmpSandboxEntries.status }).from(dmpSandboxEntries).where(eq(dmpSandboxEntries.uniqueId, V2));
    expect(registry.map((r) => r.status)).toEqual(['urn:asip:ci-sis:2010:StatusType:Deleted']);
  });

  it('the DMP refusing (DMP closed): the producer gets ZAM^Z01 N with ERR-5 DMPClosed^…^DMPERRORCODE; MSSanté still delivered', async () => {
    await app.sandboxes!.dmp.setPatient(PAT_TROIS.matricule, { status: 'closed', closedOn: '2024-01-01', closingReason: 'test' });
    try {
      const message = withCda(fixture(`${SEGUR}/ORU/Transmission initiale ORU/message_ORU_CR_Bio_INIT_N3_SEGUR.hl7`, 'ORU-CLOSED-1'),
        (cda) => cda.replaceAll(`"${CR_BIO}"`, '"1.2.250.1.213.1.1.99"'));
      expect(await send(message)).toMatchObject({ code: 'AA' });
      const sent = await dispatchesOf('1.2.250.1.213.1.1.99', settled);
      expect(sent.find((d) => d.channel === 'dmp')).toMatchObject({ status: 'failed', errorCode: 'DMPClosed' });
      const z01 = await until('Z01 of ORU-CLOSED-1', () => zams.find((z) => z.acknowledgedControlId === 'ORU-CLOSED-1' && z.type === 'Z01'));
      expect(z01).toMatchObject({ success: false, errors: [{ severity: 'E', code: { code: '207' }, applicationError: { code: 'DMPClosed', codingSystem: 'DMPERRORCODE' } }] });
      await until('Z02 of ORU-CLOSED-1', () => (zams.filter((z) => z.acknowledgedControlId === 'ORU-CLOSED-1' && z.type === 'Z02' && z.success).length === 2 ? true : undefined));
    } finally {
      await app.sandboxes!.dmp.setPatient(PAT_TROIS.matricule, { status: 'active', closedOn: null, closingReason: null });
    }
  });
});
