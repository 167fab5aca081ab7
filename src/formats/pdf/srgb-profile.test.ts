import { describe, expect, it } from 'vitest';
import { srgbProfile, srgbToLinear } from './srgb-profile.ts';

const profile = srgbProfile();
const view = new DataView(profile.buffer, profile.byteOffset, profile.byteLength);
const ascii = (at: number, length = 4): string => String.fromCharCode(...profile.slice(at, at + length));
const s15Fixed16 = (at: number): number => view.getInt32(at) / 65536;

function tags(): Map<string, { offset: number; size: number }> {
  const out = new Map<string, { offset: number; size: number }>();
  for (let i = 0; i < view.getUint32(128); i += 1) {
    const at = 132 + 12 * i;
    out.set(ascii(at), { offset: view.getUint32(at + 4), size: view.getUint32(at + 8) });
  }
  return out;
}

describe('sRGB ICC profile of the PDF/A output intent', () => {
  it('has an ICC v2 display-class RGB → XYZ header with its own size and the D50 illuminant', () => {
    expect(view.getUint32(0)).toBe(profile.byteLength);
    expect(view.getUint32(8)).toBe(0x02100000);
    expect([ascii(12), ascii(16), ascii(20), ascii(36)]).toEqual(['mntr', 'RGB ', 'XYZ ', 'acsp']);
    expect([s15Fixed16(68), s15Fixed16(72), s15Fixed16(76)].map((v) => v.toFixed(4))).toEqual(['0.9642', '1.0000', '0.8249']);
  });

  it('holds the tags of a matrix/TRC profile, each inside the file on a 4-byte boundary with its type', () => {
    const table = tags();
    expect([...table.keys()].sort()).toEqual(['bTRC', 'bXYZ', 'cprt', 'desc', 'gTRC', 'gXYZ', 'rTRC', 'rXYZ', 'wtpt']);
    for (const [signature, { offset, size }] of table) {
      expect(offset % 4, signature).toBe(0);
      expect(offset + size, signature).toBeLessThanOrEqual(profile.byteLength);
      const type = ascii(offset);
      expect(type, signature).toBe(signature.endsWith('TRC') ? 'curv' : signature.endsWith('XYZ') || signature === 'wtpt' ? 'XYZ ' : signature === 'desc' ? 'desc' : 'text');
    }
  });

  it('has colorants that add up to the D50 white (RGB white maps to the PCS white)', () => {
    const table = tags();
    const sum = [0, 1, 2].map((c) => ['rXYZ', 'gXYZ', 'bXYZ'].reduce((n, t) => n + s15Fixed16(table.get(t)!.offset + 8 + 4 * c), 0));
    expect(sum[0]).toBeCloseTo(0.9642, 3);
    expect(sum[1]).toBeCloseTo(1.0, 3);
    expect(sum[2]).toBeCloseTo(0.8249, 3);
  });

  it('has the sRGB transfer curve: 0 to 1, increasing, 0.5 → 0.214', () => {
    const { offset } = tags().get('rTRC')!;
    const count = view.getUint32(offset + 8);
    const points = Array.from({ length: count }, (_, i) => view.getUint16(offset + 12 + 2 * i));
    expect(points[0]).toBe(0);
    expect(points[count - 1]).toBe(65535);
    expect(points.every((p, i) => i === 0 || p >= points[i - 1]!)).toBe(true);
    expect(srgbToLinear(0.5)).toBeCloseTo(0.214, 3);
  });
});
