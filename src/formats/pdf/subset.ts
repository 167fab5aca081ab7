/**
 * TrueType subsetting for the embedded fonts, fast enough to run for every document.
 *
 * Each document embeds a subset of each font holding the glyphs it uses (`includeGlyph(id)`
 * while text is written, `encode()` when the document is written). fontkit's own TrueType
 * subset decodes every glyph outline just to learn whether it is composite, and re-encodes
 * every table field by field; this one writes the same file, byte for byte (tested against
 * fontkit), from the font's raw tables: each glyph's bytes, composite components and metrics
 * are read once per process and kept; the fixed tables are copied as they are.
 *
 * Tables written, in fontkit's order (the ones PDF needs of an embedded TrueType font,
 * ISO 32000-1 §9.9): head, hhea, loca, maxp, cvt , prep, glyf, hmtx, fpgm. Like fontkit:
 * sfnt version tag `true`, table checksums 0, head's checkSumAdjustment copied, loca in the
 * font's own format, one long metric per glyph in hmtx, no padding between tables.
 * TrueType references: OpenType spec, "glyf" (composite glyph description) and "loca".
 */

interface GlyphData {
  /** The glyph's bytes in the font's glyf table (empty for a glyph without outline). */
  bytes: Uint8Array;
  /** Composite glyph: byte positions of the component glyph ids, and those ids. */
  componentPositions: number[];
  componentGlyphs: number[];
  advance: number;
  bearing: number;
}

const SUBSET_TABLES = ['head', 'hhea', 'loca', 'maxp', 'cvt ', 'prep', 'glyf', 'hmtx', 'fpgm'] as const;

// Composite glyph flags (OpenType "glyf").
const ARG_1_AND_2_ARE_WORDS = 0x0001;
const WE_HAVE_A_SCALE = 0x0008;
const MORE_COMPONENTS = 0x0020;
const WE_HAVE_AN_X_AND_Y_SCALE = 0x0040;
const WE_HAVE_A_TWO_BY_TWO = 0x0080;

/** A TrueType font's raw tables, read once; glyphs decoded on first use and kept. */
export class TrueTypeGlyphSource {
  private readonly tables = new Map<string, Uint8Array>();
  private readonly view: DataView;
  private readonly locaLong: boolean;
  private readonly numGlyphs: number;
  private readonly numberOfHMetrics: number;
  private readonly glyphs = new Map<number, GlyphData>();

  constructor(private readonly file: Uint8Array) {
    this.view = new DataView(file.buffer, file.byteOffset, file.byteLength);
    const numTables = this.view.getUint16(4);
    for (let i = 0; i < numTables; i += 1) {
      const entry = 12 + 16 * i;
      const tag = String.fromCharCode(file[entry]!, file[entry + 1]!, file[entry + 2]!, file[entry + 3]!);
      const offset = this.view.getUint32(entry + 8);
      const length = this.view.getUint32(entry + 12);
      if (offset + length > file.byteLength) throw new Error(`table ${tag} runs past the end of the font file`);
      this.tables.set(tag, file.subarray(offset, offset + length));
    }
    for (const tag of ['head', 'hhea', 'maxp', 'loca', 'glyf', 'hmtx']) {
      if (!this.tables.has(tag)) throw new Error(`not a TrueType font with outlines: no ${tag} table`);
    }
    this.locaLong = this.tableView('head').getInt16(50) === 1;
    this.numGlyphs = this.tableView('maxp').getUint16(4);
    this.numberOfHMetrics = this.tableView('hhea').getUint16(34);
  }

  table(tag: string): Uint8Array | undefined {
    return this.tables.get(tag);
  }

  tableView(tag: string): DataView {
    const table = this.tables.get(tag);
    if (!table) throw new Error(`no ${tag} table`);
    return new DataView(table.buffer, table.byteOffset, table.byteLength);
  }

  /** Whether the font uses long (32-bit) loca offsets, which the subset keeps. */
  get longLoca(): boolean {
    return this.locaLong;
  }

  glyph(gid: number): GlyphData {
    let data = this.glyphs.get(gid);
    if (!data) {
      data = this.readGlyph(gid);
      this.glyphs.set(gid, data);
    }
    return data;
  }

  private readGlyph(gid: number): GlyphData {
    if (!Number.isInteger(gid) || gid < 0 || gid >= this.numGlyphs) throw new Error(`glyph ${gid} is not in the font`);
    const loca = this.tableView('loca');
    const start = this.locaLong ? loca.getUint32(gid * 4) : loca.getUint16(gid * 2) * 2;
    const end = this.locaLong ? loca.getUint32(gid * 4 + 4) : loca.getUint16(gid * 2 + 2) * 2;
    const glyf = this.tables.get('glyf')!;
    const bytes = glyf.subarray(start, end);
    const componentPositions: number[] = [];
    const componentGlyphs: number[] = [];
    if (bytes.byteLength >= 10) {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      if (view.getInt16(0) < 0) {
        let at = 10;
        let flags: number;
        do {
          flags = view.getUint16(at);
          componentPositions.push(at + 2);
          componentGlyphs.push(view.getUint16(at + 2));
          at += 4 + ((flags & ARG_1_AND_2_ARE_WORDS) !== 0 ? 4 : 2);
          if ((flags & WE_HAVE_A_SCALE) !== 0) at += 2;
          else if ((flags & WE_HAVE_AN_X_AND_Y_SCALE) !== 0) at += 4;
          else if ((flags & WE_HAVE_A_TWO_BY_TWO) !== 0) at += 8;
        } while ((flags & MORE_COMPONENTS) !== 0 && at + 4 <= bytes.byteLength);
      }
    }
    const hmtx = this.tableView('hmtx');
    const long = Math.min(gid, this.numberOfHMetrics - 1);
    const advance = hmtx.getUint16(long * 4);
    const bearing = gid < this.numberOfHMetrics
      ? hmtx.getInt16(gid * 4 + 2)
      : hmtx.getInt16(this.numberOfHMetrics * 4 + (gid - this.numberOfHMetrics) * 2);
    return { bytes, componentPositions, componentGlyphs, advance, bearing };
  }
}

/** One document's subset: new glyph ids in order of first use, glyph 0 (.notdef) first. */
export class TrueTypeSubset {
  readonly glyphs: number[] = [];
  readonly mapping = new Map<number, number>();

  constructor(private readonly source: TrueTypeGlyphSource) {
    this.includeGlyph(0);
  }

  includeGlyph(gid: number): number {
    let mapped = this.mapping.get(gid);
    if (mapped === undefined) {
      mapped = this.glyphs.length;
      this.glyphs.push(gid);
      this.mapping.set(gid, mapped);
    }
    return mapped;
  }

  encode(): Uint8Array {
    const { source } = this;
    // Components of composite glyphs join the subset as they are met (the list grows).
    const entries: GlyphData[] = [];
    let glyfLength = 0;
    for (let i = 0; i < this.glyphs.length; i += 1) {
      const data = source.glyph(this.glyphs[i]!);
      for (const component of data.componentGlyphs) this.includeGlyph(component);
      entries.push(data);
      glyfLength += data.bytes.byteLength;
    }
    const count = entries.length;
    const locaEntry = source.longLoca ? 4 : 2;
    const lengths: Record<(typeof SUBSET_TABLES)[number], number> = {
      head: source.table('head')!.byteLength,
      hhea: source.table('hhea')!.byteLength,
      loca: (count + 1) * locaEntry,
      maxp: source.table('maxp')!.byteLength,
      'cvt ': source.table('cvt ')?.byteLength ?? 0,
      prep: source.table('prep')?.byteLength ?? 0,
      glyf: glyfLength,
      hmtx: count * 4,
      fpgm: source.table('fpgm')?.byteLength ?? 0,
    };
    const present = SUBSET_TABLES.filter((tag) => tag === 'glyf' || tag === 'loca' || tag === 'hmtx' || source.table(tag) !== undefined);
    const headerLength = 12 + 16 * present.length;
    const total = present.reduce((n, tag) => n + lengths[tag], headerLength);
    const out = new Uint8Array(total);
    const view = new DataView(out.buffer);

    // Offset table: 'true', numTables, searchRange, entrySelector, rangeShift.
    out.set([0x74, 0x72, 0x75, 0x65], 0);
    const exponent = Math.floor(Math.log2(present.length));
    view.setUint16(4, present.length);
    view.setUint16(6, 2 ** exponent * 16);
    view.setUint16(8, exponent);
    view.setUint16(10, present.length * 16 - 2 ** exponent * 16);
    const offsets = new Map<string, number>();
    let at = headerLength;
    present.forEach((tag, i) => {
      const entry = 12 + 16 * i;
      for (let c = 0; c < 4; c += 1) out[entry + c] = tag.charCodeAt(c);
      view.setUint32(entry + 4, 0);
      view.setUint32(entry + 8, at);
      view.setUint32(entry + 12, lengths[tag]);
      offsets.set(tag, at);
      at += lengths[tag];
    });

    for (const tag of ['head', 'hhea', 'maxp', 'cvt ', 'prep', 'fpgm'] as const) {
      const table = source.table(tag);
      if (table) out.set(table, offsets.get(tag)!);
    }
    view.setUint16(offsets.get('hhea')! + 34, count);
    view.setUint16(offsets.get('maxp')! + 4, count);

    let locaAt = offsets.get('loca')!;
    let glyfAt = offsets.get('glyf')!;
    let hmtxAt = offsets.get('hmtx')!;
    let glyphOffset = 0;
    const writeLoca = (offset: number): void => {
      if (locaEntry === 4) view.setUint32(locaAt, offset);
      else view.setUint16(locaAt, offset >>> 1);
      locaAt += locaEntry;
    };
    for (const data of entries) {
      writeLoca(glyphOffset);
      out.set(data.bytes, glyfAt);
      for (let c = 0; c < data.componentPositions.length; c += 1) {
        view.setUint16(glyfAt + data.componentPositions[c]!, this.mapping.get(data.componentGlyphs[c]!)!);
      }
      glyfAt += data.bytes.byteLength;
      glyphOffset += data.bytes.byteLength;
      view.setUint16(hmtxAt, data.advance);
      view.setInt16(hmtxAt + 2, data.bearing);
      hmtxAt += 4;
    }
    writeLoca(glyphOffset);
    return out;
  }
}
