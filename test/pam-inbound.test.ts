/**
 * PAM FR inbound end to end (identity.md §7, §9): official ANS messages sent over MLLP on
 * loopback to the running platform, acknowledged, stored raw, applied to the identity
 * referential and to the stays. One app for the file; the tests run in order and build on
 * each other (the SGL patient PAT-TROIS is admitted, discharged, then its INS is removed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { and, count, eq } from 'drizzle-orm';
import { parse, readAck, type AckRead, type ErrRead } from '../src/formats/hl7v2/index.ts';
import { identities } from '../src/identity/tables.ts';
import { auditEvents } from '../src/platform/audit/tables.ts';
import { decodeHl7 } from '../src/platform/hl7-inbox/index.ts';
import { hl7Messages } from '../src/platform/hl7-inbox/tables.ts';
import { MllpDecoder, createMllpClient, encodeMllpFrame, type MllpClient } from '../src/platform/mllp/index.ts';
import { stays } from '../src/record/tables.ts';
import { startTestApp, type TestApp } from './support/app.ts';
import { requireFixtures, skipReason } from './support/fixtures.ts';

const HL7V2 = requireFixtures('hl7v2');

/** An official example with its LF separators turned into the CR that HL7 v2 requires. */
const fixture = (relative: string): string => readFileSync(join(HL7V2!, relative), 'utf8').replace(/\r\n|\n/g, '\r');

const CONSENT_DIR = 'Vague 2/Consentement_DMP_PAMFR';
const TRANS_ORU_DIR = 'Volets/TRANS_DOC_CDA_HL7V2/V2.0/ORU';

/** Replaces field `n` of the first `segment` (MSH-n counted as HL7 does: MSH-1 is the separator). */
function withField(message: string, segment: string, n: number, value: string): string {
  const segments = message.split('\r');
  const index = segments.findIndex((s) => s.startsWith(`${segment}|`));
  if (index === -1) throw new Error(`no ${segment} segment`);
  const fields = segments[index]!.split('|');
  const position = segment === 'MSH' ? n - 1 : n;
  while (fields.length <= position) fields.push('');
  fields[position] = value;
  segments[index] = fields.join('|');
  return segments.join('\r');
}

const fieldOf = (message: string, segment: string, n: number): string => {
  const line = message.split('\r').find((s) => s.startsWith(`${segment}|`)) ?? '';
  return line.split('|')[segment === 'MSH' ? n - 1 : n] ?? '';
};

function ackOf(bytes: Buffer): AckRead {
  const parsed = parse(decodeHl7(bytes)); // per the ACK's own MSH-18
  if (!parsed.ok) throw new Error(`ACK does not parse: ${parsed.error.field}: ${parsed.error.rule}`);
  const ack = readAck(parsed.value);
  if (!ack.ok) throw new Error(`not an ACK: ${ack.error.field}: ${ack.error.rule}`);
  return ack.value;
}

const at = (error: ErrRead): string => `${error.location?.segment ?? '?'}-${error.location?.field ?? ''}`;
const errorsAt = (ack: AckRead, location: string): ErrRead[] => ack.errors.filter((e) => at(e) === location);
const blocking = (ack: AckRead): ErrRead[] => ack.errors.filter((e) => e.severity === 'E');

const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');

/** A PAM FR message of the sending system GAM/CHU-X (same header as the SGL templates). */
function pam(trigger: string, structure: string, controlId: string, segments: string[]): string {
  return [
    `MSH|^~\\&|GAM|CHU-X|DPI|CHU-X|20240312101010||ADT^${trigger}^${structure}|${controlId}|D|2.5^FRA^2.11|||||FRA|UNICODE UTF-8|FR||2.11^IHE_FRANCE-2.11-PAM`,
    'EVN||20240312101010',
    ...segments,
  ].join('\r');
}

const IPP_AUTHORITY = 'CHU-X&000897406&N';
const BIRTHPLACE = '28 Av de Breteuil^^PARIS^^75007^FRA^H~^^^^^^BDL^^63220';

/** A PID without INS, PROV by default. */
function pid(ipp: string, options: { name?: string; birthDate?: string; status?: string; extraIds?: string } = {}): string {
  const fields: string[] = Array.from({ length: 33 }, () => '');
  fields[0] = 'PID';
  fields[1] = '1';
  fields[3] = `${ipp}^^^${IPP_AUTHORITY}^PI${options.extraIds ? `~${options.extraIds}` : ''}`;
  fields[5] = options.name ?? 'MARTIN^CLAIRE^CLAIRE ANNE^^^^L';
  fields[7] = options.birthDate ?? '19850412';
  fields[8] = 'F';
  fields[11] = BIRTHPLACE;
  fields[32] = options.status ?? 'PROV';
  return fields.join('|');
}

describe.skipIf(!HL7V2)(`PAM FR inbound over MLLP${HL7V2 ? '' : ` (${skipReason('hl7v2')})`}`, () => {
  let app: TestApp;
  let client: MllpClient;
  const send = async (message: string | Buffer): Promise<{ bytes: Buffer; ack: AckRead }> => {
    const bytes = await client.send(message);
    return { bytes, ack: ackOf(bytes) };
  };
  const rowByIpp = async (ipp: string) => {
    const [row] = await app.database.db.select().from(identities)
      .where(and(eq(identities.ipp, ipp), eq(identities.ippAuthority, 'CHU-X')));
    return row;
  };
  const countRows = async (table: typeof auditEvents | typeof hl7Messages | typeof identities | typeof stays): Promise<number> => {
    const [row] = await app.database.db.select({ n: count() }).from(table);
    return Number(row!.n);
  };
  const storedRaw = async (bytes: Buffer | string) => app.database.db.select().from(hl7Messages).where(eq(hl7Messages.sha256, sha256(bytes)));

  beforeAll(async () => {
    app = await startTestApp();
    client = createMllpClient({ host: '127.0.0.1', port: app.ports.mllp });
  });
  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await app?.stop();
  });

  const admission = (): string => fixture('SGL/admission.er7');
  let firstAdmissionAck: Buffer;
  let patientId: string;

  it('SGL admission (A01, PID-32 VALI): AA, identity qualifiée with its INS and birthplace, stay opened', async () => {
    const message = admission();
    const { bytes, ack } = await send(message);
    firstAdmissionAck = bytes;
    expect(ack.code).toBe('AA');
    expect(ack.acknowledgedControlId).toBe(fieldOf(message, 'MSH', 10));
    expect(ack.acknowledgedControlId).toBe('3975');
    expect(blocking(ack)).toEqual([]);

    const found = await app.identities.search({ ipp: '000003' }, 'test');
    expect(found).toHaveLength(1);
    const identity = found[0]!;
    patientId = identity.id;
    expect(identity.status).toBe('QUAL');
    expect(identity.ins).toEqual({ matricule: '279035121518989', oid: '1.2.250.1.213.1.4.10' });
    expect(identity.traits).toMatchObject({ birthName: 'PAT-TROIS', birthDate: '1979-03-28', sex: 'F', birthplace: '63220' });
    expect((await app.identities.search({ ins: '279035121518989' }, 'test')).map((i) => i.id)).toEqual([identity.id]);

    const response = await fetch(`${app.url}/api/identities/${identity.id}/stays`);
    expect(response.status).toBe(200);
    const { items } = await response.json() as { items: Array<{ nda: string; status: string; identityId: string }> };
    expect(items).toEqual([expect.objectContaining({ nda: '24000006', status: 'active', identityId: identity.id })]);

    const [stored] = await storedRaw(message);
    expect(stored).toMatchObject({ status: 'accepted', sender: 'GAM^CHU-X', controlId: '3975', messageType: 'ADT^A01' });
    expect(stored!.raw.equals(Buffer.from(message, 'utf8'))).toBe(true);
    expect(stored!.ack).toBe(bytes.toString('utf8'));
  });

  it('SGL discharge (A03, ZBE shifted by one field) closes the stay', async () => {
    const message = fixture('SGL/sortie.er7');
    const { ack } = await send(message);
    expect(ack.code).toBe('AA');
    expect(ack.acknowledgedControlId).toBe('3995');
    const rows = await app.database.db.select().from(stays).where(eq(stays.nda, '24000006'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ identityId: patientId, status: 'discharged' });
    expect(rows[0]!.movements.map((m) => m.trigger)).toEqual(['A01', 'A03']);
  });

  it('a byte-identical retransmission gets the very same ACK bytes and changes nothing', async () => {
    const before = {
      audit: await countRows(auditEvents), identities: await countRows(identities), stays: await countRows(stays),
      version: (await rowByIpp('000003'))!.version,
      movements: (await app.database.db.select().from(stays).where(eq(stays.nda, '24000006')))[0]!.movements.length,
      messages: await countRows(hl7Messages),
    };
    const { bytes } = await send(admission());
    expect(bytes.equals(firstAdmissionAck)).toBe(true);
    expect(await countRows(auditEvents)).toBe(before.audit);
    expect(await countRows(identities)).toBe(before.identities);
    expect(await countRows(stays)).toBe(before.stays);
    expect((await rowByIpp('000003'))!.version).toBe(before.version);
    const [stay] = await app.database.db.select().from(stays).where(eq(stays.nda, '24000006'));
    expect(stay!.movements).toHaveLength(before.movements);
    expect(stay!.status).toBe('discharged'); // the A01 was not applied again
    // The retransmission itself is kept, marked as a duplicate.
    expect(await countRows(hl7Messages)).toBe(before.messages + 1);
    const copies = await storedRaw(admission());
    expect(copies.map((c) => c.status).sort()).toEqual(['accepted', 'duplicate']);
  });

  it('a different message reusing an accepted sender + MSH-10 is rejected (AR on MSH-10)', async () => {
    // The first consent example has the admission's sender GAM/CHU-X and MSH-10 3975.
    const message = fixture(`${CONSENT_DIR}/ConsentementConsultation_NonOppositionAlimentation.er7`);
    expect(fieldOf(message, 'MSH', 10)).toBe('3975');
    const before = await countRows(auditEvents);
    const { ack } = await send(message);
    expect(ack.code).toBe('AR');
    expect(ack.acknowledgedControlId).toBe('3975');
    expect(errorsAt(ack, 'MSH-10')).toHaveLength(1);
    expect(errorsAt(ack, 'MSH-10')[0]!.severity).toBe('E');
    expect(await countRows(auditEvents)).toBe(before);
    const [stored] = await storedRaw(message);
    expect(stored).toMatchObject({ status: 'rejected', controlId: '3975' });
  });

  it('the five DMP consent examples (ZFA-9 × ZFA-11) are accepted', async () => {
    const files = readdirSync(join(HL7V2!, CONSENT_DIR)).filter((f) => f.endsWith('.er7')).sort();
    expect(files).toHaveLength(5);
    for (const file of files) {
      let message = fixture(`${CONSENT_DIR}/${file}`);
      // 3975 is already taken by the SGL admission of the same sender: MSH-10 may be changed (SGL readme).
      if (fieldOf(message, 'MSH', 10) === '3975') message = withField(message, 'MSH', 10, '3975-CONSENT');
      const { ack } = await send(message);
      expect(ack.code, file).toBe('AA');
      expect(ack.acknowledgedControlId, file).toBe(fieldOf(message, 'MSH', 10));
      expect(blocking(ack), file).toEqual([]);
    }
    const identity = await rowByIpp('000003');
    expect(identity).toMatchObject({ status: 'QUAL', insMatricule: '279035121518989' });
    const ndas = (await app.database.db.select().from(stays).where(eq(stays.identityId, identity!.id))).map((s) => s.nda).sort();
    expect(ndas).toEqual(['24000006', '24000007', '24000008', '24000009', '24000010']);
  });

  it('an INS sent with PID-32 PROV is discarded with a warning on PID-32 (AA)', async () => {
    let message = withField(admission(), 'MSH', 10, 'PROV-1');
    message = withField(message, 'PID', 3, fieldOf(message, 'PID', 3).replace('000003^', '000104^'));
    message = withField(message, 'PID', 18, '24000104^^^CHU-X&000897406&M^AN');
    message = withField(message, 'PID', 32, 'PROV');
    const { ack } = await send(message);
    expect(ack.code).toBe('AA');
    expect(ack.acknowledgedControlId).toBe('PROV-1');
    const warnings = errorsAt(ack, 'PID-32');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.severity).toBe('W');
    const row = await rowByIpp('000104');
    expect(row).toMatchObject({ status: 'PROV', insMatricule: null, insOid: null });
    const [identity] = await app.identities.search({ ipp: '000104' }, 'test');
    expect(identity!.ins).toBeUndefined();
    expect((await app.identities.search({ ins: '279035121518989' }, 'test')).map((i) => i.ipp)).toEqual(['000003']);
  });

  it('A47 with a null INS and PID-32 PROV removes the INS (qualifiée → provisoire)', async () => {
    const message = pam('A47', 'ADT_A30', 'A47-1', [
      pid('000003', {
        name: 'PAT-TROIS^DOMINIQUE^DOMINIQUE^^^^L', birthDate: '19790328', status: 'PROV',
        extraIds: '""^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS',
      }),
      'MRG|279035121518989^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS',
    ]);
    const { ack } = await send(message);
    expect(ack.code).toBe('AA');
    expect(blocking(ack)).toEqual([]);
    const row = await rowByIpp('000003');
    expect(row).toMatchObject({ status: 'PROV', insMatricule: null, insOid: null });
    expect(await app.identities.search({ ins: '279035121518989' }, 'test')).toEqual([]);
  });

  it('A40 merges: the absorbed identity is no longer searchable', async () => {
    for (const [ipp, controlId] of [['000201', 'A28-201'], ['000202', 'A28-202']] as const) {
      const { ack } = await send(pam('A28', 'ADT_A05', controlId, [pid(ipp), 'PV1|1|N']));
      expect(ack.code).toBe('AA');
    }
    const survivor = await rowByIpp('000201');
    const absorbed = await rowByIpp('000202');
    expect(survivor && absorbed).toBeTruthy();

    const { ack } = await send(pam('A40', 'ADT_A39', 'A40-1', [pid('000201'), `MRG|000202^^^${IPP_AUTHORITY}^PI`]));
    expect(ack.code).toBe('AA');
    expect(await app.identities.search({ ipp: '000202' }, 'test')).toEqual([]);
    expect((await app.identities.search({ ipp: '000201' }, 'test')).map((i) => i.id)).toEqual([survivor!.id]);
    expect((await rowByIpp('000202'))!.mergedInto).toBe(survivor!.id);
  });

  it('A08 (excluded in France) is rejected: AR, ERR 201 on MSH-9', async () => {
    const { ack } = await send(pam('A08', 'ADT_A01', 'A08-1', [pid('000301'), 'PV1|1|I']));
    expect(ack.code).toBe('AR');
    expect(ack.acknowledgedControlId).toBe('A08-1');
    const errors = errorsAt(ack, 'MSH-9');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.code.code).toBe('201');
    expect(await rowByIpp('000301')).toBeUndefined();
  });

  it('a sender in ISO 8859-15 (the PAM FR default) gets its ACK in ISO 8859-15, as its MSH-18 says', async () => {
    const message = pam('A08', 'ADT_A01', 'LATIN-9', [pid('000304', { name: 'GÉRARD^HÉLÈNE^HÉLÈNE^^^^L' }), 'PV1|1|I'])
      .replace('UNICODE UTF-8', '8859/15');
    const { bytes, ack } = await send(Buffer.from(message, 'latin1')); // é, È, É are the same bytes in 8859-1 and 8859-15
    expect(ack.code).toBe('AR');
    const latin9 = new TextDecoder('iso-8859-15').decode(bytes);
    expect(latin9.split('\r')[0]!.split('|')[17]).toBe('8859/15');
    expect(latin9).toContain('événement');
    expect(bytes.includes(Buffer.from('é', 'utf8'))).toBe(false);
    const [stored] = await storedRaw(Buffer.from(message, 'latin1'));
    expect(stored!.ack).toBe(latin9);
  });

  it('an impossible birth date is refused: AE with ERR on PID-7, nothing written', async () => {
    const before = await countRows(auditEvents);
    const { ack } = await send(pam('A28', 'ADT_A05', 'BAD-DATE', [pid('000302', { birthDate: '20230230' }), 'PV1|1|N']));
    expect(ack.code).toBe('AE');
    expect(errorsAt(ack, 'PID-7').length).toBeGreaterThan(0);
    expect(await rowByIpp('000302')).toBeUndefined();
    expect(await countRows(auditEvents)).toBe(before);
    const [stored] = await app.database.db.select().from(hl7Messages).where(eq(hl7Messages.controlId, 'BAD-DATE'));
    expect(stored).toMatchObject({ status: 'error' });
  });

  it('a missing birth name is refused: AE with ERR on PID-5', async () => {
    const { ack } = await send(pam('A28', 'ADT_A05', 'NO-NAME', [pid('000303', { name: '' }), 'PV1|1|N']));
    expect(ack.code).toBe('AE');
    expect(errorsAt(ack, 'PID-5').length).toBeGreaterThan(0);
    expect(await rowByIpp('000303')).toBeUndefined();
  });

  it('garbage gets a rejection ACK, and its raw bytes are stored', async () => {
    const garbage = Buffer.from([0x00, 0xff, 0xfe, 0x41, 0x42, 0x0d, 0x7c, 0x5e, 0x80, 0x0a]);
    const { ack } = await send(garbage);
    expect(['AR', 'AE']).toContain(ack.code);
    expect(blocking(ack).map((e) => e.location?.segment)).toContain('MSH');
    const [stored] = await storedRaw(garbage);
    expect(stored!.raw.equals(garbage)).toBe(true);
    expect(stored!.status).toBe('rejected');
  });

  it('an official ORU with U+02DC in MSH-2 gets an ACK naming MSH-2, and is stored byte for byte', async () => {
    const files = ['Transmission initiale ORU/message_ORU_CR_Bio_INIT_N1_N3.hl7', 'Suppression ORU/message_ORU_CR_Bio_DEL_N1_N3.er7'];
    for (const file of files) {
      const raw = Buffer.from(fixture(`${TRANS_ORU_DIR}/${file}`), 'utf8');
      const { ack } = await send(raw);
      expect(['AR', 'AE'], file).toContain(ack.code);
      expect(ack.acknowledgedControlId, file).toBe('015');
      expect(errorsAt(ack, 'MSH-2'), file).toHaveLength(1);
      const [stored] = await storedRaw(raw);
      expect(stored!.raw.equals(raw), file).toBe(true);
    }
  });

  it('several messages written at once on one connection are answered in order', async () => {
    const controlIds = ['ORDER-1', 'ORDER-2', 'ORDER-3', 'ORDER-4'];
    const messages = controlIds.map((id, i) => i === 2
      ? pam('A08', 'ADT_A01', id, [pid('000401'), 'PV1|1|I']) // one AR in the middle
      : pam('A28', 'ADT_A05', id, [pid(`00040${i}`), 'PV1|1|N']));
    const socket = net.connect({ host: '127.0.0.1', port: app.ports.mllp });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const decoder = new MllpDecoder();
    const acks: Buffer[] = [];
    const received = new Promise<void>((resolve, reject) => {
      socket.on('data', (chunk: Buffer) => {
        for (const event of decoder.push(chunk)) {
          if (event.kind === 'message') acks.push(event.message);
          else reject(event.error);
        }
        if (acks.length >= messages.length) resolve();
      });
      socket.once('close', () => resolve());
      socket.once('error', reject);
    });
    socket.write(Buffer.concat(messages.map((m) => encodeMllpFrame(m))));
    await received;
    socket.destroy();
    const read = acks.map(ackOf);
    expect(read.map((a) => a.acknowledgedControlId)).toEqual(controlIds);
    expect(read.map((a) => a.code)).toEqual(['AA', 'AA', 'AR', 'AA']);
  });
});
