import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { TrueTypeGlyphSource, TrueTypeSubset } from './subset.ts';

interface FontkitFont {
  numGlyphs: number;
  glyphsForString(text: string): Array<{ id: number }>;
  createSubset(): { includeGlyph(id: number): number; encode(): Uint8Array };
}
const fontkit = createRequire(import.meta.url)('fontkit') as { create(data: Uint8Array): FontkitFont };

describe.each(['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'])('TrueType subset of %s', (file) => {
  const bytes = new Uint8Array(readFileSync(new URL(`./fonts/${file}`, import.meta.url)));
  const font = fontkit.create(bytes);
  const source = new TrueTypeGlyphSource(bytes);

  const both = (ids: number[]): [Uint8Array, Uint8Array, number[], number[]] => {
    const reference = font.createSubset();
    const ours = new TrueTypeSubset(source);
    const referenceIds = ids.map((id) => reference.includeGlyph(id));
    const ourIds = ids.map((id) => ours.includeGlyph(id));
    return [reference.encode(), ours.encode(), referenceIds, ourIds];
  };

  it.each([
    ['French text with accents (composite glyphs)', 'Évolution favorable ; œdème régressif à J3. Ça, où, Île, ÿ « » — 1 g × 3 · 63220 « Né(e) » ç É À Ç Œ'],
    ['the empty subset (glyph 0 only)', ''],
    ['Latin-1 and Latin Extended-A', Array.from({ length: 0x17f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).join('')],
  ])('writes the same bytes as fontkit: %s', (_label, text) => {
    const ids = font.glyphsForString(text).map((g) => g.id);
    const [reference, ours, referenceIds, ourIds] = both(ids);
    expect(ourIds).toEqual(referenceIds);
    expect(Buffer.from(ours).equals(Buffer.from(reference))).toBe(true);
  });

  it('writes the same bytes as fontkit for random glyph sets, reusing glyphs read before', () => {
    let seed = 42;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let round = 0; round < 20; round += 1) {
      const ids = Array.from({ length: 1 + (next() % 200) }, () => next() % font.numGlyphs);
      const [reference, ours] = both(ids);
      expect(Buffer.from(ours).equals(Buffer.from(reference))).toBe(true);
    }
  });

  it('rejects a glyph id outside the font', () => {
    const subset = new TrueTypeSubset(source);
    subset.includeGlyph(font.numGlyphs);
    expect(() => subset.encode()).toThrow(/not in the font/);
  });
});
