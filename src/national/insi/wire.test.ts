import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { requireFixtures, skipReason } from '../../../test/support/fixtures.ts';
import { formatXsdProblems, loadXsd } from '../../platform/xsd.ts';
import { readInsiAnswer } from './answer.ts';
import { PUBLIC_TEST_IDENTITIES } from './dataset.ts';
import {
  buildFaultResponse,
  buildResultResponse,
  buildTraitsRequest,
  buildVitaleRequest,
  INSI_NS,
  parseInsiResponse,
  siramSubcode,
  type RequestContext,
} from './wire.ts';
import { parseEnvelope } from '../../formats/soap/index.ts';
import { parseInsiRequest } from './wire.ts';

const insi = requireFixtures('insi');
const xsdDir = insi ? path.join(insi, 'wsdl/xsd') : '';
const schema = (file: string) => loadXsd(path.join(xsdDir, file));
const expectValid = (file: string, xml: string, namespace: string, localName: string): void => {
  const problems = schema(file).validate(xml, { element: { namespace, localName } });
  expect(problems, formatXsdProblems(problems)).toEqual([]);
};

const ctx: RequestContext = {
  software: { idam: 'SANDBOX-IDAM-0001', name: 'PASSERELLE', version: '0.1.0', instance: '5f0c7f1e-8d6f-4d8a-9a3c-1e2f3a4b5c6d' },
  emitter: '000000000',
  now: new Date('2025-01-02T03:04:05.000Z'),
};

describe.skipIf(!insi)(`INSi answers of the CNDA (fixtures) ${insi ? '' : skipReason('insi')}`, () => {
  const read = (file: string) => {
    const r = readInsiAnswer(readFileSync(path.join(insi!, 'responses', file), 'utf8'));
    if (!r.ok) throw new Error(`${r.error.field}: ${r.error.rule}`);
    return r.value;
  };

  it('reads every response file without error', () => {
    const files = readdirSync(path.join(insi!, 'responses')).filter((f) => f.endsWith('.xml'));
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const f of files) expect(read(f).kind).not.toBe('unexpected');
  });

  it('REP_CR01 → 01 with a French message', () => {
    expect(read('REP_CR01.xml')).toMatchObject({ kind: 'none', code: '01', label: 'Aucune identite trouvee', message: expect.stringMatching(/Aucune identité/) });
  });

  it('TEST_2.04_cas2 → 00 with two INSHISTO, DateDeb after DateFin tolerated', () => {
    const a = read('TEST_2.04_cas2.xml');
    expect(a.kind).toBe('found');
    if (a.kind !== 'found') return;
    expect(a.identity).toMatchObject({
      matricule: '109076322083489',
      oid: '1.2.250.1.213.1.4.8',
      traits: { birthName: 'ECETINSI', birthGivenNames: 'PIERRE-ALAIN MURIEL FLORIANT', sex: 'M', birthDate: '2009-07-14', birthplace: '63220' },
      history: [
        { matricule: '209076322083439', oid: '1.2.250.1.213.1.4.8', start: '2019-03-01', end: '2019-02-28' },
        { matricule: '209066322012355', oid: '1.2.250.1.213.1.4.8' },
      ],
    });
    expect(a.identity.warnings).toEqual(['INSHISTO[1]: DateDeb 2019-03-01 is after DateFin 2019-02-28']);
  });

  it('TEST_2.05 → NIA with OID .9 (XML comment ignored)', () => {
    const a = read('TEST_2.05.xml');
    expect(a).toMatchObject({ kind: 'found', identity: { matricule: '109076322088835', oid: '1.2.250.1.213.1.4.9', history: [], warnings: [] } });
  });

  it('TEST_2.08_cas1 → Corsica 2B, INSHISTO = INSACTIF', () => {
    const a = read('TEST_2.08_cas1.xml');
    expect(a).toMatchObject({
      kind: 'found',
      identity: { matricule: '180032B02040123', traits: { birthplace: '2B020', birthGivenNames: 'ANTHONY' }, history: [{ matricule: '180032B02040123' }], warnings: [] },
    });
  });

  it('TEST_2.08_cas2 → 00 with key warnings, keys kept as received', () => {
    const a = read('TEST_2.08_cas2.xml');
    expect(a.kind).toBe('found');
    if (a.kind !== 'found') return;
    expect(a.identity.matricule).toBe('181036322045660');
    expect(a.identity.history.map((h) => h.matricule)).toEqual(['181036322045660', '281036322045610']);
    expect(a.identity.warnings).toEqual([
      'INSACTIF: INS key 60 does not match 76',
      'INSHISTO[1]: INS key 60 does not match 76',
      'INSHISTO[2]: INS key 10 does not match 26',
    ]);
  });

  it('never throws on mutated fixture answers', () => {
    const sources = readdirSync(path.join(insi!, 'responses')).map((f) => readFileSync(path.join(insi!, 'responses', f), 'utf8'));
    fc.assert(
      fc.property(fc.constantFrom(...sources), fc.array(fc.tuple(fc.nat(), fc.nat(12), fc.string({ maxLength: 8 })), { maxLength: 4 }), (xml, edits) => {
        let s = xml;
        for (const [at, len, insert] of edits) {
          const i = at % (s.length + 1);
          s = s.slice(0, i) + insert + s.slice(i + len);
        }
        const r = readInsiAnswer(s);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 1000 },
    );
  });
});

describe('INSi answer parser robustness', () => {
  it('never throws on random strings or random XML-ish input', () => {
    const tag = fc.constantFrom('RESULTAT', 'CR', 'CodeCR', 'INDIVIDU', 'INSACTIF', 'INSHISTO', 'TIQ', 'IdIndividu', 'NumIdentifiant', 'Cle', 'OID', 'soap:Body', 'soap:Fault', 'soap:Code', 'soap:Value', 'x');
    const xmlish = fc.array(fc.oneof(tag.map((t) => `<${t}>`), tag.map((t) => `</${t}>`), fc.string({ maxLength: 6 })), { maxLength: 30 }).map((parts) =>
      `<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><RESULTAT xmlns="${INSI_NS.resultat}">${parts.join('')}</RESULTAT></soap:Body></soap:Envelope>`);
    fc.assert(fc.property(fc.oneof(fc.string(), xmlish), (s) => { readInsiAnswer(s); parseInsiResponse(s); }), { numRuns: 1000 });
  });

  it('names the missing field of a 00 answer', () => {
    const xml = `<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><RESULTAT xmlns="${INSI_NS.resultat}"><CR><CodeCR>00</CodeCR><LibelleCR>OK</LibelleCR></CR></RESULTAT></e:Body></e:Envelope>`;
    expect(readInsiAnswer(xml)).toEqual({ ok: false, error: { field: 'RESULTAT/INDIVIDU', rule: 'required when CodeCR is 00' } });
  });

  it('reads INSi faults: subcode, detail code, reason', () => {
    const xml = buildFaultResponse({ soapCode: 'Sender', subcode: siramSubcode('siram_100'), reason: 'IDAM inconnu', erreur: { code: 'desir_550', severity: 'erreur', text: 'IDAM inconnu' } });
    expect(parseInsiResponse(xml)).toEqual({
      ok: true,
      value: { kind: 'fault', fault: { soapCode: 'Sender', subcode: 'siram_100', detailCode: 'desir_550', severity: 'erreur', detailText: 'IDAM inconnu', reason: 'IDAM inconnu', code: 'desir_550' } },
    });
  });
});

describe.skipIf(!insi)(`INSi messages against the official XSDs ${insi ? '' : skipReason('insi')}`, () => {
  it('traits requests validate against INSi_RECSANS_INS.xsd and the CTX headers against their XSDs', () => {
    for (const query of [
      { birthName: 'ADRTROIS', givenNames: ['DOMINIQUE'], sex: 'F', birthDate: '1997-02-26' },
      { birthName: 'HOUILLES', givenNames: ['PIERRE PAUL JACQUES'], sex: 'M', birthDate: '1993-01-27', birthplace: '63220' },
    ]) {
      const { xml } = buildTraitsRequest(query, ctx);
      expectValid('ServiceIdentiteCertifiee/INSi_RECSANS_INS.xsd', xml, INSI_NS.recSans, 'RECSANSVITALE');
      expectValid('CTX/ROOT_ctxbam_CTXBAM_V01_02.xsd', xml, INSI_NS.ctxbam, 'ContexteBAM');
      expectValid('CTX/ROOT_ctxlps_CTXLPS_V01_00.xsd', xml, INSI_NS.ctxlps, 'ContexteLPS');
    }
  });

  it('carte Vitale requests validate against INSi_RECVITALE_INS.xsd', () => {
    const { xml } = buildVitaleRequest({ matricule: { number: '2970228020778', key: '78' }, matriculeOd: { number: '1600128020777' }, birthName: 'ADRTROIS', birthDate: '1997-02-26', rank: '1' }, { ...ctx, emitter: undefined });
    expectValid('ServiceIdentiteCertifiee/INSi_RECVITALE_INS.xsd', xml, INSI_NS.recVit, 'RECVITALE');
    expectValid('CTX/ROOT_ctxbam_CTXBAM_V01_02.xsd', xml, INSI_NS.ctxbam, 'ContexteBAM');
    expectValid('CTX/ROOT_ctxlps_CTXLPS_V01_00.xsd', xml, INSI_NS.ctxlps, 'ContexteLPS');
  });

  it('sandbox answers for every public identity, 01 and 02 validate against INSi_RESULTAT_INS.xsd', () => {
    for (const i of PUBLIC_TEST_IDENTITIES) {
      const xml = buildResultResponse({
        code: '00', label: 'OK',
        individual: {
          active: { number: i.matricule.slice(0, 13), key: i.matricule.slice(13), oid: i.oid },
          history: (i.history ?? []).map((h) => ({ number: h.matricule.slice(0, 13), key: h.matricule.slice(13), oid: h.oid, ...(h.start ? { start: h.start } : {}), ...(h.end ? { end: h.end } : {}) })),
          traits: { birthName: i.birthName, firstGivenName: i.birthGivenNames.split(' ')[0]!, givenNames: i.birthGivenNames, sex: i.sex, birthDate: i.birthDate, ...(i.birthplace ? { birthplace: i.birthplace } : {}) },
        },
      });
      expectValid('ServiceIdentiteCertifiee/INSi_RESULTAT_INS.xsd', xml, INSI_NS.resultat, 'RESULTAT');
    }
    for (const code of ['01', '02']) {
      expectValid('ServiceIdentiteCertifiee/INSi_RESULTAT_INS.xsd', buildResultResponse({ code, label: 'x' }), INSI_NS.resultat, 'RESULTAT');
    }
  });

  it('fault details validate against schema_faultSOAP_V01_01.xsd', () => {
    const xml = buildFaultResponse({ soapCode: 'Sender', subcode: siramSubcode('siram_100'), reason: 'r', erreur: { code: 'DESIR_560', severity: 'erreur', text: 'r', messageId: 'urn:uuid:1' } });
    expectValid('schema_faultSOAP_V01_01.xsd', xml, INSI_NS.siram, 'Erreur');
  });
});

describe('INSi requests read back (sandbox side)', () => {
  it('round-trips a traits request with its context', () => {
    const built = buildTraitsRequest({ birthName: 'DE VINCI', givenNames: ['LEONARDO'], sex: 'M', birthDate: '2014-02-01' }, ctx);
    const env = parseEnvelope(built.xml);
    if (!env.ok) throw new Error(env.error.rule);
    expect(parseInsiRequest(env.value)).toEqual({
      ok: true,
      value: {
        operation: 'traits', action: built.action, messageId: built.messageId, hasContexteBam: true,
        lps: { idam: 'SANDBOX-IDAM-0001', version: '0.1.0', instance: ctx.software.instance, name: 'urn:lps:PASSERELLE:0.1.0' },
        traits: { birthName: 'DE VINCI', givenNames: ['LEONARDO'], sex: 'M', birthDate: '2014-02-01' },
      },
    });
  });

  it.each([
    ['<x:RECSANSVITALE xmlns:x="http://www.cnamts.fr/INSiRecSans"><x:Prenom>A</x:Prenom></x:RECSANSVITALE>', 'RECSANSVITALE/NomNaissance', /required/],
    ['<x:RECSANSVITALE xmlns:x="http://www.cnamts.fr/INSiRecSans"><x:Sexe>M</x:Sexe><x:NomNaissance>A</x:NomNaissance></x:RECSANSVITALE>', 'RECSANSVITALE/NomNaissance', /out of order/],
    ['<x:RECSANSVITALE xmlns:x="http://www.cnamts.fr/INSiRecSans"><x:NomNaissance>A</x:NomNaissance><x:Prenom>B</x:Prenom><x:Sexe>M</x:Sexe><x:DateNaissance>01/02/2000</x:DateNaissance></x:RECSANSVITALE>', 'RECSANSVITALE/DateNaissance', /YYYY-MM-DD/],
    ['<RECSANSVITALE xmlns="urn:wrong"/>', 'soap:Body', /not an INSi request/],
    ['<x:RECVITALE xmlns:x="http://www.cnamts.fr/INSiRecVit"><x:MatriculeIndividu><x:NumIdentifiant>12</x:NumIdentifiant></x:MatriculeIndividu><x:DateNaissance>2000-01-01</x:DateNaissance></x:RECVITALE>', 'RECVITALE/MatriculeIndividu/NumIdentifiant', /13 characters/],
  ])('refuses a malformed body naming the element (%#)', (body, field, rule) => {
    const env = parseEnvelope(`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>${body}</s:Body></s:Envelope>`);
    if (!env.ok) throw new Error(env.error.rule);
    const r = parseInsiRequest(env.value);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.field).toBe(field);
    expect(r.error.rule).toMatch(rule);
  });
});
