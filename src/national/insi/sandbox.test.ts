/**
 * End to end over real mTLS on loopback: the INSi client against the INSi sandbox.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireFixtures, skipReason } from '../../../test/support/fixtures.ts';
import { ensureTestPki, issueCertificate, type KeyPair, type TestPki } from '../../platform/pki/index.ts';
import { formatXsdProblems, loadXsd } from '../../platform/xsd.ts';
import { soapContentType } from '../../formats/soap/index.ts';
import { createInsiClient, type InsiClient } from './client.ts';
import { InsiError } from './errors.ts';
import { SANDBOX_IDAM, startInsiSandbox, type InsiSandbox } from './sandbox.ts';
import { buildTraitsRequest, buildVitaleRequest, INSI_ACTION, INSI_NS, parseInsiResponse } from './wire.ts';

const software = { idam: SANDBOX_IDAM, name: 'PASSERELLE', version: '0.1.0' };
let dir: string;
let pki: TestPki;
let sandbox: InsiSandbox;
let client: InsiClient;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'insi-'));
  pki = await ensureTestPki(dir);
  sandbox = await startInsiSandbox({ pki });
  client = createInsiClient({ endpoint: sandbox.url, tls: { ...pki.clients.insi, ca: pki.ca.cert }, software, emitter: '000000000', timeoutMs: 5_000 });
});

afterAll(async () => {
  client?.close();
  await sandbox?.close();
  await rm(dir, { recursive: true, force: true });
});

const rejection = async (promise: Promise<unknown>): Promise<InsiError> => {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(InsiError);
    return error as InsiError;
  }
  throw new Error('expected an InsiError');
};

/** Raw POST with the INSI-AUTO certificate: for answers the client would not produce. */
function post(body: string, headers: Record<string, string>, cert: KeyPair = pki.clients.insi): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(sandbox.url, { method: 'POST', cert: cert.cert, key: cert.key, ca: pki.ca.cert, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const ctx = { software: { ...software, instance: 'd3b07384-d9a0-4c4b-8a3e-2b1f5c6d7e8f' } };

describe('INSi client ↔ sandbox over mTLS', () => {
  it('ADRTROIS DOMINIQUE → 00 with the Corsican matricule and its traits', async () => {
    sandbox.resetCounters();
    const r = await client.searchByTraits({ birthName: 'Adrtrois', givenNames: ['Dominique'], sex: 'F', birthDate: '1997-02-26' });
    expect(r).toMatchObject({
      code: '00', calls: 1,
      identity: { matricule: '297022A02077878', oid: '1.2.250.1.213.1.4.8', traits: { birthName: 'ADRTROIS', birthGivenNames: 'DOMINIQUE', sex: 'F', birthDate: '1997-02-26', birthplace: '2A020' }, history: [], warnings: [] },
    });
    expect(sandbox.counters()).toMatchObject({ requests: 1, traits: 1, results: { '00': 1 } });
  });

  it('DE VINCI LEONARDO → 02 with a French "plusieurs identités" message', async () => {
    const r = await client.searchByTraits({ birthName: 'DE VINCI', givenNames: ['LEONARDO'], sex: 'M', birthDate: '2014-02-01' });
    expect(r).toMatchObject({ code: '02', calls: 1, message: expect.stringMatching(/plusieurs identités/) });
  });

  it('DE VINCI LEONARDO with the birthplace → 00', async () => {
    const r = await client.searchByTraits({ birthName: 'DE VINCI', givenNames: ['LEONARDO'], sex: 'M', birthDate: '2014-02-01', birthplace: '99127' });
    expect(r.code).toBe('00');
  });

  it('HOUILLES PIERRE, PAUL, JACQUES → 4 calls then 01', async () => {
    sandbox.resetCounters();
    const r = await client.searchByTraits({ birthName: 'HOUILLES', givenNames: ['PIERRE', 'PAUL', 'JACQUES'], sex: 'M', birthDate: '1993-01-27' });
    expect(r).toMatchObject({ code: '01', calls: 4, message: expect.stringMatching(/Aucune identité/) });
    expect(r.messageIds).toHaveLength(4);
    expect(new Set(r.messageIds).size).toBe(4);
    expect(sandbox.counters()).toMatchObject({ requests: 4, traits: 4, results: { '01': 4 } });
    // Keep-alive: the four calls share one TLS connection (possibly opened by an earlier test).
    expect(sandbox.counters().connections).toBeLessThanOrEqual(1);
  });

  it('TCHITCHI [OLA, CATARINA] → OLA gives 01, CATARINA gives 00: stops after 2 calls', async () => {
    sandbox.resetCounters();
    const r = await client.searchByTraits({ birthName: 'TCHITCHI', givenNames: ['OLA', 'CATARINA'], sex: 'F', birthDate: '1936-06-21' });
    expect(r).toMatchObject({ code: '00', calls: 2, identity: { matricule: '236066322083656', traits: { birthGivenNames: 'CATARINA BELLA' } } });
    expect(sandbox.counters().traits).toBe(2);
  });

  it('ECETINSI → 00 with INSHISTO as a list and the date-order warning', async () => {
    const r = await client.searchByTraits({ birthName: 'ECETINSI', givenNames: ['PIERRE-ALAIN', 'MURIEL'], sex: 'M', birthDate: '2009-07-14' });
    expect(r.code).toBe('00');
    if (r.code !== '00') return;
    expect(r.calls).toBe(1);
    expect(r.identity.history.map((h) => h.matricule)).toEqual(['209076322083439', '209066322012355']);
    expect(r.identity.warnings[0]).toMatch(/DateDeb .* after DateFin/);
  });

  it('HERMANN GATIEN → 00 with the wrong key kept and a warning', async () => {
    const r = await client.searchByTraits({ birthName: 'HERMANN', givenNames: ['GATIEN'], sex: 'M', birthDate: '1981-03-24' });
    expect(r).toMatchObject({ code: '00', identity: { matricule: '181036322045660', warnings: expect.arrayContaining(['INSACTIF: INS key 60 does not match 76']) } });
  });

  it('PROVISOIRE MATRICULE → NIA with OID .9', async () => {
    const r = await client.searchByTraits({ birthName: 'PROVISOIRE', givenNames: ['MATRICULE'], sex: 'M', birthDate: '2009-07-01' });
    expect(r).toMatchObject({ code: '00', identity: { matricule: '109076322088835', oid: '1.2.250.1.213.1.4.9' } });
  });

  it('carte Vitale: finds ADRTROIS DOMINIQUE by matricule, 01 for an unknown card', async () => {
    sandbox.resetCounters();
    expect(await client.searchByCarteVitale({ matricule: '297022A02077878', birthDate: '1997-02-26', rank: 1 })).toMatchObject({ code: '00', calls: 1, identity: { matricule: '297022A02077878' } });
    expect(await client.searchByCarteVitale({ matricule: '1010199999999', birthDate: '2001-01-01' })).toMatchObject({ code: '01', calls: 1 });
    expect(sandbox.counters()).toMatchObject({ vitale: 2 });
  });

  it('finds a generated identity', async () => {
    const g = sandbox.dataset.find((i) => i.source.startsWith('generated'))!;
    const r = await client.searchByTraits({ birthName: g.birthName, givenNames: g.birthGivenNames.split(' '), sex: g.sex, birthDate: g.birthDate });
    expect(r).toMatchObject({ code: '00', calls: 1, identity: { matricule: g.matricule, oid: '1.2.250.1.213.1.4.10' } });
  });

  it('refuses invalid traits before calling, in French', async () => {
    const e = await rejection(client.searchByTraits({ birthName: 'LÆTITIA', givenNames: ['X'], sex: 'F', birthDate: '2000-01-01' }));
    expect(e.code).toBe('invalid_request');
    expect(e.message).toMatch(/^Traits invalides pour une recherche INSi : nom de naissance/);
    expect((await rejection(client.searchByTraits({ birthName: 'A', givenNames: [], sex: 'F', birthDate: '2000-01-01' }))).code).toBe('invalid_request');
    expect((await rejection(client.searchByTraits({ birthName: 'A', givenNames: ['B'], sex: 'F', birthDate: '2000-02-30' }))).code).toBe('invalid_request');
  });
});

describe('INSi sandbox enforcement', () => {
  it('wrong certificate CN → InsiError DESIR_560 with the French message', async () => {
    const other = createInsiClient({ endpoint: sandbox.url, tls: { ...pki.clients.establishment, ca: pki.ca.cert }, software });
    try {
      const e = await rejection(other.searchByTraits({ birthName: 'ADRUN', givenNames: ['ZOE'], sex: 'F', birthDate: '1975-12-31' }));
      expect(e).toMatchObject({ code: 'DESIR_560', subcode: 'siram_100', httpStatus: 500, retryable: false, reason: 'Vous ne disposez pas des droits suffisants pour accéder à ce service' });
      expect(e.message).toBe("Le certificat présenté n'est pas un certificat INSi (CN attendu INSI-AUTO ou INSI-MANU)");
    } finally {
      other.close();
    }
  });

  it('INSI-MANU is accepted too', async () => {
    const manu = await issueCertificate(pki.ca, 'INSI-MANU', 'client');
    const c = createInsiClient({ endpoint: sandbox.url, tls: { ...manu, ca: pki.ca.cert }, software });
    try {
      expect((await c.searchByTraits({ birthName: 'ADRUN', givenNames: ['ZOE'], sex: 'F', birthDate: '1975-12-31' })).code).toBe('00');
    } finally {
      c.close();
    }
  });

  it('unknown IDAM → desir_550 with subcode siram_100', async () => {
    const other = createInsiClient({ endpoint: sandbox.url, tls: { ...pki.clients.insi, ca: pki.ca.cert }, software: { ...software, idam: 'UNKNOWN-IDAM' } });
    try {
      const e = await rejection(other.searchByTraits({ birthName: 'ADRUN', givenNames: ['ZOE'], sex: 'F', birthDate: '1975-12-31' }));
      expect(e).toMatchObject({ code: 'desir_550', subcode: 'siram_100', httpStatus: 500 });
      expect(e.message).toMatch(/IDAM/);
    } finally {
      other.close();
    }
  });

  it('client without certificate → transport error', async () => {
    const bare = createInsiClient({ endpoint: sandbox.url, tls: { cert: undefined as unknown as string, key: undefined as unknown as string, ca: pki.ca.cert }, software });
    try {
      const e = await rejection(bare.searchByTraits({ birthName: 'ADRUN', givenNames: ['ZOE'], sex: 'F', birthDate: '1975-12-31' }));
      expect(e.code).toBe('transport');
      expect(e.retryable).toBe(true);
      expect(e.message).toMatch(/injoignable/);
    } finally {
      bare.close();
    }
  });

  it('client certificate from another CA → transport error', async () => {
    const { ensureTestPki: again } = await import('../../platform/pki/index.ts');
    const foreign = await again(path.join(dir, 'foreign'));
    const c = createInsiClient({ endpoint: sandbox.url, tls: { ...foreign.clients.insi, ca: pki.ca.cert }, software });
    try {
      expect((await rejection(c.searchByTraits({ birthName: 'ADRUN', givenNames: ['ZOE'], sex: 'F', birthDate: '1975-12-31' }))).code).toBe('transport');
    } finally {
      c.close();
    }
  });

  it('server unreachable → transport error; slow server → transport error with the timeout message', async () => {
    const closed = await startInsiSandbox({ pki, generated: false });
    const url = closed.url;
    await closed.close();
    const c = createInsiClient({ endpoint: url, tls: { ...pki.clients.insi, ca: pki.ca.cert }, software });
    expect((await rejection(c.searchByTraits({ birthName: 'ADRUN', givenNames: ['ZOE'], sex: 'F', birthDate: '1975-12-31' }))).code).toBe('transport');
    c.close();

    const slow = await startInsiSandbox({ pki, generated: false, responseDelayMs: 1_000 });
    const s = createInsiClient({ endpoint: slow.url, tls: { ...pki.clients.insi, ca: pki.ca.cert }, software, timeoutMs: 150 });
    try {
      const e = await rejection(s.searchByTraits({ birthName: 'ADRUN', givenNames: ['ZOE'], sex: 'F', birthDate: '1975-12-31' }));
      expect(e.code).toBe('transport');
      expect(e.message).toMatch(/délai/);
    } finally {
      s.close();
      await slow.close();
    }
  });

  it('simulated service faults: insi_102 and siram_40 are retryable', async () => {
    const e1 = await rejection(client.searchByTraits({ birthName: 'INSI ERREUR TECHNIQUE', givenNames: ['A'], sex: 'M', birthDate: '2000-01-01' }));
    expect(e1).toMatchObject({ code: 'insi_102', retryable: true });
    const e2 = await rejection(client.searchByTraits({ birthName: 'INSI INDISPONIBLE', givenNames: ['A'], sex: 'M', birthDate: '2000-01-01' }));
    expect(e2).toMatchObject({ code: 'siram_40', retryable: true, message: expect.stringMatching(/temporairement indisponible/) });
  });

  const traits = () => buildTraitsRequest({ birthName: 'ADRUN', givenNames: ['ZOE'], sex: 'F', birthDate: '1975-12-31' }, ctx);
  const faultOf = async (body: string, headers: Record<string, string>) => {
    const res = await post(body, headers);
    const parsed = parseInsiResponse(res.body);
    if (!parsed.ok || parsed.value.kind !== 'fault') throw new Error(`expected a fault, got ${res.status} ${res.body.slice(0, 200)}`);
    return { status: res.status, ...parsed.value.fault };
  };

  it('unknown SOAP action → wsa:ActionNotSupported fault', async () => {
    const { xml } = traits();
    const bad = xml.replace(INSI_ACTION.traits, 'urn:ServiceIdentiteCertifiee:1.0.0:verifierIns');
    const f = await faultOf(bad, { 'content-type': soapContentType('urn:ServiceIdentiteCertifiee:1.0.0:verifierIns') });
    expect(f).toMatchObject({ status: 500, soapCode: 'Sender', code: 'ActionNotSupported', reason: expect.stringMatching(/verifierIns.*not supported/) });
  });

  it('action and body that disagree → InvalidAddressingHeader', async () => {
    const { xml } = buildVitaleRequest({ matricule: { number: '297022A020778' }, birthDate: '1997-02-26' }, ctx);
    const bad = xml.replace(INSI_ACTION.vitale, INSI_ACTION.traits);
    const f = await faultOf(bad, { 'content-type': soapContentType(INSI_ACTION.traits) });
    expect(f).toMatchObject({ code: 'InvalidAddressingHeader', reason: expect.stringMatching(/does not match the body/) });
  });

  it.each([
    ['not XML at all', /not well-formed/],
    ['<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body/></s:Envelope>', /SOAP 1\.1/],
    ['<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>', /empty body/],
  ])('malformed envelope %# → fault with a precise reason', async (body, reason) => {
    const f = await faultOf(body, { 'content-type': soapContentType(INSI_ACTION.traits) });
    expect(f.status).toBe(500);
    expect(f.reason).toMatch(reason);
  });

  it('malformed body → Sender fault naming the element', async () => {
    const { xml } = traits();
    const bad = xml.replace(/<Sexe>F<\/Sexe>/, '<Sexe>X</Sexe>');
    const f = await faultOf(bad, { 'content-type': soapContentType(INSI_ACTION.traits) });
    expect(f).toMatchObject({ soapCode: 'Sender', reason: 'RECSANSVITALE/Sexe: expected M or F' });
  });

  it('wrong media type → fault (HTTP 415)', async () => {
    const f = await faultOf(traits().xml, { 'content-type': 'text/xml; charset=utf-8' });
    expect(f).toMatchObject({ status: 415, reason: expect.stringMatching(/SOAP 1\.1/) });
  });

  const insi = requireFixtures('insi');
  it.skipIf(!insi)(`every sandbox answer body validates against INSi_RESULTAT_INS.xsd, faults against schema_faultSOAP ${insi ? '' : skipReason('insi')}`, async () => {
    const result = loadXsd(path.join(insi!, 'wsdl/xsd/ServiceIdentiteCertifiee/INSi_RESULTAT_INS.xsd'));
    const fault = loadXsd(path.join(insi!, 'wsdl/xsd/schema_faultSOAP_V01_01.xsd'));
    const cases: Array<[string, string[], 'M' | 'F', string]> = [
      ['ADRUN', ['ZOE'], 'F', '1975-12-31'], ['ADRTROIS', ['DOMINIQUE'], 'F', '1997-02-26'], ['ADRTROIS', ['TOUSSAINT'], 'M', '1960-01-01'],
      ['TCHITCHI', ['OLA'], 'F', '1936-06-21'], ['TCHITCHI', ['CATARINA'], 'F', '1936-06-21'], ['ECETINSI', ['PIERRE-ALAIN'], 'M', '2009-07-14'],
      ['CORSE', ['ANTHONY'], 'M', '1980-03-02'], ['HERMANN', ['GATIEN'], 'M', '1981-03-24'], ['PROVISOIRE', ['MATRICULE'], 'M', '2009-07-01'],
      ['NESSI', ['MICHELANGELO'], 'M', '2010-08-07'], ['HOUILLES', ['PIERRE PAUL JACQUES'], 'M', '1993-01-27'], ['DE VINCI', ['LEONARDO'], 'M', '2014-02-01'],
    ];
    for (const [birthName, givenNames, sex, birthDate] of cases) {
      const { xml, action } = buildTraitsRequest({ birthName, givenNames, sex, birthDate }, ctx);
      const res = await post(xml, { 'content-type': soapContentType(action) });
      expect(res.status).toBe(200);
      const problems = result.validate(res.body, { element: { namespace: INSI_NS.resultat, localName: 'RESULTAT' } });
      expect(problems, `${birthName}: ${formatXsdProblems(problems)}`).toEqual([]);
    }
    const vitale = buildVitaleRequest({ matricule: { number: '180032B020401', key: '23' }, birthDate: '1980-03-02' }, ctx);
    const v = await post(vitale.xml, { 'content-type': soapContentType(vitale.action) });
    expect(result.validate(v.body, { element: { namespace: INSI_NS.resultat, localName: 'RESULTAT' } })).toEqual([]);

    const denied = await post(traits().xml, { 'content-type': soapContentType(INSI_ACTION.traits) }, pki.clients.establishment);
    expect(denied.status).toBe(500);
    expect(fault.validate(denied.body, { element: { namespace: INSI_NS.siram, localName: 'Erreur' } })).toEqual([]);
  });
});
