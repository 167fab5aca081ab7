import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildMtom, cidUrl, inlineXop, isMultipartRelated, parseMtom, XOP_NS } from './mtom.ts';

const ACTION = 'urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b';
const envelope = (href: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><d xmlns="urn:x"><Document><xop:Include xmlns:xop="${XOP_NS}" href="${href}"/></Document></d></s:Body></s:Envelope>`;

describe('MTOM/XOP', () => {
  it('builds the multipart/related the DMP expects and reads it back byte for byte', () => {
    const cda = new Uint8Array([0, 1, 2, 13, 10, 45, 45, 255, 0x3c]);
    const built = buildMtom({ envelope: envelope(cidUrl('0.2')), action: ACTION, attachments: [{ contentId: '0.2', bytes: cda }], boundary: 'MIMEBoundary_test' });
    if (!built.ok) throw new Error(built.error.rule);
    expect(built.value.contentType).toBe(`multipart/related; boundary="MIMEBoundary_test"; type="application/xop+xml"; start="<0.1>"; start-info="application/soap+xml"; action="${ACTION}"`);
    const text = built.value.body.toString('latin1');
    expect(text).toContain('Content-Type: application/xop+xml; charset=UTF-8; type="application/soap+xml"');
    expect(text).toContain('Content-ID: <0.2>');
    expect(isMultipartRelated(built.value.contentType)).toBe(true);
    const parsed = parseMtom(built.value.contentType, built.value.body);
    if (!parsed.ok) throw new Error(parsed.error.rule);
    expect(parsed.value.envelope).toBe(envelope('cid:0.2'));
    expect(parsed.value.action).toBe(ACTION);
    expect(Buffer.from(parsed.value.attachments.get('0.2')!.bytes)).toEqual(Buffer.from(cda));
    const inlined = inlineXop(parsed.value.envelope, parsed.value.attachments);
    expect(inlined.ok && inlined.value).toContain(`<Document>${Buffer.from(cda).toString('base64')}</Document>`);
  });

  it('round-trips any attachments (property)', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 4 }), (blobs) => {
      const attachments = blobs.map((bytes, i) => ({ contentId: `0.${i + 2}`, bytes }));
      const built = buildMtom({ envelope: envelope('cid:0.2'), attachments });
      if (!built.ok) return false;
      const parsed = parseMtom(built.value.contentType, built.value.body);
      if (!parsed.ok) return false;
      return attachments.every((a) => Buffer.from(parsed.value.attachments.get(a.contentId)!.bytes).equals(Buffer.from(a.bytes)));
    }), { numRuns: 100 });
  });

  it('reports bad input by naming the header or part, never throws', () => {
    expect(parseMtom(undefined, new Uint8Array())).toMatchObject({ ok: false, error: { field: 'Content-Type' } });
    expect(parseMtom('application/soap+xml', new Uint8Array())).toMatchObject({ ok: false, error: { field: 'Content-Type' } });
    expect(parseMtom('multipart/related; type="application/xop+xml"', new Uint8Array())).toMatchObject({ ok: false, error: { rule: 'boundary parameter missing' } });
    expect(parseMtom('multipart/related; boundary=x; start="<9>"', Buffer.from('--x\r\nContent-ID: <1>\r\nContent-Type: application/xop+xml\r\n\r\n<a/>\r\n--x--\r\n'))).toMatchObject({ ok: false, error: { field: 'Content-Type' } });
    expect(parseMtom('multipart/related; boundary=x', Buffer.from('garbage'))).toMatchObject({ ok: false });
    expect(buildMtom({ envelope: '<a/>', attachments: [{ contentId: '0.1', bytes: new Uint8Array() }] })).toMatchObject({ ok: false, error: { field: 'attachments[0].contentId' } });
    expect(inlineXop(envelope('cid:9.9'), new Map())).toMatchObject({ ok: false, error: { field: 'xop:Include/@href' } });
    fc.assert(fc.property(fc.string(), fc.uint8Array({ maxLength: 200 }), (header, body) => {
      const r = parseMtom(`multipart/related; boundary=b; ${header}`, body);
      return typeof r.ok === 'boolean';
    }), { numRuns: 200 });
  });
});
