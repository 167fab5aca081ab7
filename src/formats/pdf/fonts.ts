/**
 * The embedded fonts of every PDF we produce: DejaVu Sans regular and bold 2.37 (Bitstream Vera
 * licence, `fonts/LICENSE`). PDF/A forbids non-embedded fonts, so the standard 14 are never
 * used. The files ship in the repository beside this module and are read once per process,
 * on first use — the only file reads of formats/pdf.
 *
 * A face gives what layout and embedding need: metrics, and text shaped into glyphs with
 * their advances (fontkit's OpenType layout: kerning and ligatures such as "fi"). Shaping is
 * the costly part (≈ 0.1 ms per word), so shaped words are remembered across documents,
 * bounded; French clinical prose reuses a few thousand words. The output is byte-identical
 * with and without this cache (tested). Subsets for embedding are written by `subset.ts` from
 * glyph data read once per process.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { TrueTypeGlyphSource } from './subset.ts';

export const FONT_REGULAR = 'DejaVuSans';
export const FONT_BOLD = 'DejaVuSans-Bold';

const FILES = {
  [FONT_REGULAR]: 'DejaVuSans.ttf',
  [FONT_BOLD]: 'DejaVuSans-Bold.ttf',
} as const;

export type FontName = keyof typeof FILES;

/** Text shaped into glyphs: ids, advances in font units, and the text each glyph stands for. */
export interface ShapedText {
  glyphs: readonly number[];
  advances: readonly number[];
  /** Characters of each glyph (several for a ligature), for the ToUnicode map. */
  texts: readonly string[];
  /** Sum of the advances, in font units. */
  width: number;
}

/** What we use of a fontkit font. */
interface FontkitFont {
  layout(text: string): { glyphs: Array<{ id: number; codePoints: number[] }>; positions: Array<{ xAdvance: number }> };
  postscriptName: string;
  unitsPerEm: number;
  ascent: number;
  descent: number;
  lineGap: number;
  /** Undefined when the OS/2 table is older than version 2 (DejaVu's). */
  capHeight: number | undefined;
  italicAngle: number;
  glyphForCodePoint(codePoint: number): { bbox: { maxY: number } };
  bbox: { minX: number; minY: number; maxX: number; maxY: number };
}

/** Shaped words kept per face. */
const SHAPE_CACHE_SIZE = 20_000;

export class FontFace {
  readonly postscriptName: string;
  readonly unitsPerEm: number;
  readonly ascent: number;
  readonly descent: number;
  readonly lineGap: number;
  readonly capHeight: number;
  readonly italicAngle: number;
  readonly bbox: readonly [number, number, number, number];
  /** Advance of a space, font units. */
  readonly spaceWidth: number;
  readonly space: ShapedText;
  private readonly cache = new Map<string, ShapedText>();

  constructor(private readonly font: FontkitFont, readonly glyphSource: TrueTypeGlyphSource, private readonly cacheShapes: boolean) {
    this.postscriptName = font.postscriptName;
    this.unitsPerEm = font.unitsPerEm;
    this.ascent = font.ascent;
    this.descent = font.descent;
    this.lineGap = font.lineGap;
    // Without an OS/2 cap height, the top of "H" is the cap height by definition.
    this.capHeight = font.capHeight ?? font.glyphForCodePoint(0x48).bbox.maxY;
    this.italicAngle = font.italicAngle;
    this.bbox = [font.bbox.minX, font.bbox.minY, font.bbox.maxX, font.bbox.maxY];
    this.space = this.shape(' ');
    this.spaceWidth = this.space.width;
  }

  /** Shapes a piece of text (a word, usually) with the font's default OpenType features. */
  shape(text: string): ShapedText {
    const cached = this.cache.get(text);
    if (cached) return cached;
    const run = this.font.layout(text);
    const glyphs = run.glyphs.map((g) => g.id);
    const advances = run.positions.map((p) => p.xAdvance);
    const texts = run.glyphs.map((g) => String.fromCodePoint(...g.codePoints));
    const shaped: ShapedText = { glyphs, advances, texts, width: advances.reduce((a, b) => a + b, 0) };
    if (this.cacheShapes) {
      if (this.cache.size >= SHAPE_CACHE_SIZE) this.cache.delete(this.cache.keys().next().value ?? '');
      this.cache.set(text, shaped);
    }
    return shaped;
  }

  /** Height of a line at a size (ascent to descent plus the font's line gap), in points. */
  lineHeight(size: number): number {
    return ((this.ascent - this.descent + this.lineGap) * size) / this.unitsPerEm;
  }
}

export type EmbeddedFonts = ReadonlyMap<FontName, FontFace>;

let shared: EmbeddedFonts | undefined;

function loadFontkit(): { create: (data: Uint8Array) => unknown } {
  return createRequire(import.meta.url)('fontkit') as { create: (data: Uint8Array) => unknown };
}

function isFontkitFont(font: unknown): font is FontkitFont {
  return typeof font === 'object' && font !== null && typeof (font as FontkitFont).layout === 'function' && typeof (font as FontkitFont).unitsPerEm === 'number';
}

/** The two faces, parsed once per process. */
export function embeddedFonts(): EmbeddedFonts {
  shared ??= loadEmbeddedFonts({ shapeCache: true });
  return shared;
}

export interface FontLoadOptions {
  /** Shaped words remembered across documents (tests compare the output without it). */
  shapeCache: boolean;
}

/** Reads and parses both faces. */
export function loadEmbeddedFonts(options: FontLoadOptions): EmbeddedFonts {
  const fontkit = loadFontkit();
  const fonts = new Map<FontName, FontFace>();
  for (const [name, file] of Object.entries(FILES) as Array<[FontName, string]>) {
    const bytes = new Uint8Array(readFileSync(new URL(`./fonts/${file}`, import.meta.url)));
    const font = fontkit.create(bytes);
    if (!isFontkitFont(font)) throw new Error(`fonts/${file} is not a single TrueType font`);
    fonts.set(name, new FontFace(font, new TrueTypeGlyphSource(bytes), options.shapeCache));
  }
  return fonts;
}
