/**
 * The embedded fonts of every PDF we produce: DejaVu Sans regular and bold 2.37 (Bitstream Vera
 * licence, `fonts/LICENSE`). PDF/A forbids non-embedded fonts, so the standard 14 are never
 * used. The files ship in the repository beside this module and are read once per process,
 * on first use — the only file reads of formats/pdf.
 *
 * Speed: pdfkit parses a font given as bytes again for every document (≈ 70 ms for the two
 * DejaVu faces, most of the rendering time). It also accepts an already parsed fontkit font,
 * so both faces are parsed once, with the fontkit that pdfkit itself depends on, and shared by
 * all documents: each document still embeds its own subset. Rendering is synchronous, so no
 * two documents use a font at the same time.
 *
 * Text shaping (fontkit `layout`, OpenType kerning and ligatures) is the next cost: pdfkit
 * shapes word by word and caches per document only. The shared fonts remember the shaped
 * words across documents (bounded); each call gets fresh position objects because pdfkit
 * scales them in place. The output is byte-identical with and without this cache (tested).
 *
 * Each document embeds a subset of each face (the glyphs it uses). fontkit's subset writer
 * decoded and re-encoded every glyph and table for every document (a third of the rendering
 * time); `subset.ts` writes the same bytes from glyph data read once per process (tested
 * against fontkit), and the shared fonts hand it to pdfkit through `createSubset`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { TrueTypeGlyphSource, TrueTypeSubset, type FontSubset } from './subset.ts';

export const FONT_REGULAR = 'DejaVuSans';
export const FONT_BOLD = 'DejaVuSans-Bold';

const FILES = {
  [FONT_REGULAR]: 'DejaVuSans.ttf',
  [FONT_BOLD]: 'DejaVuSans-Bold.ttf',
} as const;

export type FontName = keyof typeof FILES;

/** The part of a fontkit font that pdfkit relies on to accept it as a font source. */
interface FontkitFont {
  layout: (text: string, ...options: unknown[]) => GlyphRun;
  createSubset: () => FontSubset;
  postscriptName: string;
}

/** What pdfkit reads of a fontkit GlyphRun. */
interface GlyphRun {
  glyphs: unknown[];
  positions: GlyphPosition[];
  readonly advanceWidth: number;
}

interface GlyphPosition {
  xAdvance: number;
  yAdvance: number;
  xOffset: number;
  yOffset: number;
}

/** Shaped words kept per font; French clinical prose reuses a few thousand words. */
const LAYOUT_CACHE_SIZE = 20_000;

const copyPosition = (p: GlyphPosition): GlyphPosition => ({ xAdvance: p.xAdvance, yAdvance: p.yAdvance, xOffset: p.xOffset, yOffset: p.yOffset });

function freshRun(glyphs: unknown[], positions: GlyphPosition[]): GlyphRun {
  const run = {
    glyphs,
    positions: positions.map(copyPosition),
    get advanceWidth(): number {
      let width = 0;
      for (const p of run.positions) width += p.xAdvance;
      return width;
    },
  };
  return run;
}

/** Memoises `layout(text)` without options; calls with features or script go straight through. */
function cacheLayout(font: FontkitFont): void {
  const layout = font.layout.bind(font);
  const cache = new Map<string, { glyphs: unknown[]; positions: GlyphPosition[] }>();
  font.layout = (text: string, ...options: unknown[]): GlyphRun => {
    if (options.some((o) => o !== undefined)) return layout(text, ...options);
    let shaped = cache.get(text);
    if (!shaped) {
      const run = layout(text);
      shaped = { glyphs: run.glyphs, positions: run.positions.map(copyPosition) };
      if (cache.size >= LAYOUT_CACHE_SIZE) cache.delete(cache.keys().next().value ?? '');
      cache.set(text, shaped);
    }
    return freshRun(shaped.glyphs, shaped.positions);
  };
}

export type EmbeddedFonts = ReadonlyMap<FontName, PDFKit.Mixins.PDFFontSource>;

let shared: EmbeddedFonts | undefined;

function loadFontkit(): { create: (data: Uint8Array) => unknown } {
  // The fontkit pdfkit depends on, resolved from pdfkit's own location.
  const requireFromPdfkit = createRequire(createRequire(import.meta.url).resolve('pdfkit'));
  return requireFromPdfkit('fontkit') as { create: (data: Uint8Array) => unknown };
}

function isFontkitFont(font: unknown): font is FontkitFont {
  return typeof font === 'object' && font !== null && typeof (font as FontkitFont).layout === 'function';
}

/** The two faces, parsed once per process, as pdfkit font sources. */
export function embeddedFonts(): EmbeddedFonts {
  shared ??= loadEmbeddedFonts({ layoutCache: true, subsetCache: true });
  return shared;
}

export interface FontLoadOptions {
  /** Shaped words remembered across documents. */
  layoutCache: boolean;
  /** Subsets written by `subset.ts` from glyphs read once per process, instead of fontkit's. */
  subsetCache: boolean;
}

/** Reads and parses both faces (tests compare the output with and without each cache). */
export function loadEmbeddedFonts(options: FontLoadOptions): EmbeddedFonts {
  const fontkit = loadFontkit();
  const fonts = new Map<FontName, PDFKit.Mixins.PDFFontSource>();
  for (const [name, file] of Object.entries(FILES) as Array<[FontName, string]>) {
    const bytes = new Uint8Array(readFileSync(new URL(`./fonts/${file}`, import.meta.url)));
    const font = fontkit.create(bytes);
    if (!isFontkitFont(font)) throw new Error(`fonts/${file} is not a single TrueType font`);
    if (options.layoutCache) cacheLayout(font);
    if (options.subsetCache) {
      const source = new TrueTypeGlyphSource(bytes);
      font.createSubset = () => new TrueTypeSubset(source);
    }
    // pdfkit takes a parsed fontkit font as it takes bytes; its typings only know the latter.
    fonts.set(name, font as unknown as PDFKit.Mixins.PDFFontSource);
  }
  return fonts;
}
