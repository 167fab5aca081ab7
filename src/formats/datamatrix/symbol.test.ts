import bwipjs from 'bwip-js';
import { describe, expect, it } from 'vitest';
import { readDataMatrixCodewords } from '../../../test/support/datamatrix-codewords.ts';
import { readDataMatrix } from '../../../test/support/zxing.ts';
import { INS_OID } from '../ins/oid.ts';
import { decodeInsPayload, encodeInsPayload, INS_DATAMATRIX_HEADER, type InsDataMatrixContent } from './payload.ts';
import { insSymbolMatrix, renderInsSymbolPng, renderInsSymbolSvg } from './symbol.ts';

const PAT_TROIS: InsDataMatrixContent = {
  matricule: '279035121518989', oid: INS_OID.test, birthGivenNames: 'DOMINIQUE', birthName: 'PAT-TROIS', sex: 'F', birthDate: '1979-03-28', birthplace: '63220',
};

function payloadOf(content: InsDataMatrixContent): string {
  const r = encodeInsPayload(content);
  if (!r.ok) throw new Error(`${r.error.field}: ${r.error.rule}`);
  return r.value;
}

describe('DataMatrix INS symbol', () => {
  const payload = payloadOf(PAT_TROIS);

  it('is a square ECC200 symbol of 36×36 modules for PAT-TROIS', () => {
    const symbol = insSymbolMatrix(payload);
    expect(symbol).toMatchObject({ ok: true, value: { size: 36 } });
    expect(symbol.ok && symbol.value.modules).toHaveLength(36 * 36);
  });

  it('encodes the 26-character header in C40 (c40headerlength), the ANS validator rejects anything else', () => {
    const symbol = insSymbolMatrix(payload);
    if (!symbol.ok) throw new Error(symbol.error.rule);
    const read = readDataMatrixCodewords(symbol.value.size, symbol.value.modules);
    expect(read.text).toBe(payload);
    expect(read.data[0]).toBe(230); // latch to C40 as the very first codeword
    expect(read.segments[0]?.mode).toBe('C40');
    expect(read.segments[0]?.text.startsWith(INS_DATAMATRIX_HEADER)).toBe(true);
  });

  it('would not use C40 for the header without the option (why the option is needed)', () => {
    const [plain] = bwipjs.raw({ bcid: 'datamatrix', text: payload });
    if (!plain || !('pixs' in plain)) throw new Error('no matrix');
    const read = readDataMatrixCodewords(plain.pixx, plain.pixs);
    expect(read.text).toBe(payload);
    expect(read.segments[0]?.mode).toBe('ASCII');
  });

  it('keeps C40 for the header with the longest traits and reports the size', () => {
    const long = payloadOf({ ...PAT_TROIS, oid: INS_OID.nir, birthGivenNames: `${'A'.repeat(49)} ${'B'.repeat(50)}`, birthName: 'C'.repeat(100) });
    const symbol = insSymbolMatrix(long);
    expect(symbol.ok && symbol.value.size).toBeGreaterThan(36);
    expect(symbol.ok && symbol.value.size).toBeLessThanOrEqual(64);
  });

  it('renders a PNG that an independent reader (ZXing C++) decodes to the payload and the traits', async () => {
    const png = await renderInsSymbolPng(payload, { moduleSize: 4, quietZone: 2 });
    if (!png.ok) throw new Error(png.error.rule);
    expect(Array.from(png.value.slice(1, 4))).toEqual([0x50, 0x4e, 0x47]); // PNG signature
    const found = await readDataMatrix(png.value);
    expect(found).toHaveLength(1);
    expect(found[0]?.text).toBe(payload);
    expect(found[0]?.version).toBe('36x36');
    expect(decodeInsPayload(found[0]?.text ?? '')).toMatchObject({ ok: true, value: { content: PAT_TROIS, warnings: [] } });
  });

  it('renders an SVG', () => {
    const svg = renderInsSymbolSvg(payload);
    expect(svg.ok && svg.value).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
  });

  it('fails instead of throwing on what it cannot encode', async () => {
    expect(insSymbolMatrix('')).toMatchObject({ ok: false, error: { field: 'DataMatrix' } });
    expect(insSymbolMatrix('IS01€')).toMatchObject({ ok: false, error: { field: 'DataMatrix' } });
    expect(insSymbolMatrix('A'.repeat(5000))).toMatchObject({ ok: false, error: { field: 'DataMatrix' } });
    expect(await renderInsSymbolPng('')).toMatchObject({ ok: false });
  });
});
