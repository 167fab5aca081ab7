import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  appendAddressing,
  appendElement,
  buildFaultEnvelope,
  createEnvelope,
  newMessageId,
  parseEnvelope,
  parseSoapContentType,
  readAddressing,
  serializeEnvelope,
  soapContentType,
  SOAP12_NS,
  WSA_NS,
} from './index.ts';

describe('SOAP 1.2 envelope', () => {
  it('builds namespace-exact envelopes that read back', () => {
    const env = createEnvelope();
    appendAddressing(env.header!, { action: 'urn:a', messageId: 'urn:uuid:1', to: 'https://x' });
    appendElement(env.body, 'urn:payload', 'p:Thing', 'v');
    const xml = serializeEnvelope(env);
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?><soap:Envelope xmlns:soap="http:\/\/www.w3.org\/2003\/05\/soap-envelope">/);
    const parsed = parseEnvelope(xml);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.payload?.namespaceURI).toBe('urn:payload');
    expect(readAddressing(parsed.value.headerBlocks)).toEqual({ action: 'urn:a', messageId: 'urn:uuid:1', to: 'https://x' });
  });

  it('accepts an envelope without Header, with comments and free prefixes', () => {
    const xml = `<?xml version="1.0"?><!-- c --><e:Envelope xmlns:e="${SOAP12_NS}"><!-- x --><S:Body xmlns:S="${SOAP12_NS}"> <p xmlns="urn:p"/></S:Body></e:Envelope>`;
    const parsed = parseEnvelope(xml);
    expect(parsed.ok && parsed.value.header).toBeUndefined();
    expect(parsed.ok && parsed.value.payload?.localName).toBe('p');
  });

  it.each([
    ['<Envelope/>', 'soap:Envelope', /expected \{http:\/\/www.w3.org\/2003\/05\/soap-envelope\}Envelope/],
    ['<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body/></s:Envelope>', 'soap:Envelope', /SOAP 1.1/],
    [`<s:Envelope xmlns:s="${SOAP12_NS}"/>`, 'soap:Body', /missing/],
    [`<s:Envelope xmlns:s="${SOAP12_NS}"><s:Body/><s:Header/></s:Envelope>`, 'soap:Envelope', /may not follow/],
    [`<s:Envelope xmlns:s="${SOAP12_NS}"><s:Body>`, 'soap:Envelope', /not well-formed/],
    [`<!DOCTYPE x [<!ENTITY a "b">]><s:Envelope xmlns:s="${SOAP12_NS}"><s:Body/></s:Envelope>`, 'soap:Envelope', /DOCTYPE/],
    ['', 'soap:Envelope', /empty/],
  ])('rejects %s naming the rule', (xml, field, rule) => {
    const parsed = parseEnvelope(xml);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error.field).toBe(field);
    expect(parsed.error.rule).toMatch(rule);
  });

  it('never throws on arbitrary or mutated input', () => {
    const base = serializeEnvelope(createEnvelope());
    fc.assert(fc.property(fc.string(), (s) => { parseEnvelope(s); }));
    fc.assert(fc.property(fc.nat(base.length), fc.string({ maxLength: 5 }), (at, insert) => {
      parseEnvelope(base.slice(0, at) + insert + base.slice(at + 1));
    }), { numRuns: 500 });
  });
});

describe('SOAP 1.2 fault', () => {
  it('builds and reads code, subcodes with their namespace, reason, detail', () => {
    const env = buildFaultEnvelope({
      code: 'Sender',
      subcodes: [{ namespace: 'urn:siram', localName: 'siram_100', prefix: 'siram' }],
      reason: 'Refusé',
      detail: (detail) => { appendElement(detail, 'urn:siram', 'siram:Erreur', 'x').setAttribute('code', 'desir_550'); },
    });
    const xml = serializeEnvelope(env);
    expect(xml).toContain('<soap:Value xmlns:siram="urn:siram">siram:siram_100</soap:Value>');
    expect(xml).toContain('xml:lang="fr"');
    const parsed = parseEnvelope(xml);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const fault = parsed.value.fault!;
    expect(fault.code).toBe('Sender');
    expect(fault.subcodes).toEqual([{ namespace: 'urn:siram', localName: 'siram_100', prefix: 'siram' }]);
    expect(fault.reason).toBe('Refusé');
    expect(fault.reasonLang).toBe('fr');
    expect(fault.detail[0]?.getAttribute('code')).toBe('desir_550');
  });

  it('refuses a fault without a SOAP 1.2 code', () => {
    const xml = `<s:Envelope xmlns:s="${SOAP12_NS}"><s:Body><s:Fault><s:Code><s:Value>s:Oops</s:Value></s:Code></s:Fault></s:Body></s:Envelope>`;
    expect(parseEnvelope(xml)).toMatchObject({ ok: false, error: { rule: expect.stringMatching(/not a SOAP 1.2 fault code/) } });
  });
});

describe('WS-Addressing and media type', () => {
  it('marks headers mustUnderstand on request', () => {
    const env = createEnvelope();
    appendAddressing(env.header!, { action: 'urn:a' }, { mustUnderstand: true });
    const xml = serializeEnvelope(env);
    expect(xml).toContain(`<wsa:Action soap:mustUnderstand="true" xmlns:wsa="${WSA_NS}">urn:a</wsa:Action>`);
  });

  it('creates urn:uuid message ids', () => {
    expect(newMessageId()).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
  });

  it('writes and reads the action parameter', () => {
    expect(soapContentType('urn:x')).toBe('application/soap+xml; charset=utf-8; action="urn:x"');
    expect(parseSoapContentType('application/soap+xml;charset=UTF-8;action="urn:x"')).toEqual({ ok: true, value: { mediaType: 'application/soap+xml', charset: 'utf-8', action: 'urn:x' } });
    expect(parseSoapContentType('text/xml; charset=utf-8')).toMatchObject({ ok: false, error: { rule: expect.stringMatching(/SOAP 1.1/) } });
    expect(parseSoapContentType(undefined).ok).toBe(false);
    expect(parseSoapContentType('application/soap+xml; charset=iso-8859-1').ok).toBe(false);
  });
});
