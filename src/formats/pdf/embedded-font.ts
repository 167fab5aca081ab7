/**
 * A face as one document embeds it (ISO 32000-1 §9.7, §9.9, §9.10): a Type0 font with the
 * Identity-H encoding over a CIDFontType2 descendant whose CIDs are the glyph ids of the
 * document's own TrueType subset (CIDToGIDMap /Identity), the subset as FontFile2, the widths
 * of every used glyph, and a ToUnicode map so that text can be extracted and searched (a
 * ligature glyph maps back to its letters). PDF/A-2b (ISO 19005-2 §6.2.11) is satisfied:
 * the program is embedded, widths agree with it, CIDToGIDMap is present.
 */
import type { FontFace, ShapedText } from './fonts.ts';
import { num, ref, type PdfFile, type PdfRef } from './file.ts';
import { TrueTypeSubset } from './subset.ts';

const HEX4 = Array.from({ length: 0x10000 }, (_, i) => i.toString(16).padStart(4, '0'));
/** Symbolic (bit 3): the font's own glyph set, addressed by glyph id (§9.8.2). */
const FLAG_SYMBOLIC = 4;

export class EmbeddedFont {
  private readonly subset: TrueTypeSubset;
  /** Text of each CID, for the ToUnicode map. */
  private readonly unicode: string[] = [''];

  constructor(readonly face: FontFace, readonly resourceName: string) {
    this.subset = new TrueTypeSubset(face.glyphSource);
  }

  /**
   * The glyphs of shaped text as a TJ array body: hexadecimal CIDs, with a position adjustment
   * wherever the shaped advance (kerning) differs from the glyph's own width.
   */
  show(shaped: ShapedText): string {
    const { glyphs, advances, texts } = shaped;
    const unitsToText = 1000 / this.face.unitsPerEm;
    let out = '';
    let open = false;
    for (let i = 0; i < glyphs.length; i += 1) {
      const gid = glyphs[i]!;
      const cid = this.subset.includeGlyph(gid);
      if (this.unicode[cid] === undefined) this.unicode[cid] = texts[i]!;
      out += open ? HEX4[cid]! : `<${HEX4[cid]!}`;
      open = true;
      const delta = (this.face.glyphSource.glyph(gid).advance - advances[i]!) * unitsToText;
      if (delta !== 0) {
        out += `> ${num(delta)} `;
        open = false;
      }
    }
    return open ? `${out}>` : out;
  }

  /** Writes the font's objects; returns the Type0 font's reference. */
  write(file: PdfFile): PdfRef {
    const { face } = this;
    const cidCount = this.subset.glyphs.length;
    const program = this.subset.encode();
    const scale = 1000 / face.unitsPerEm;
    const widths: string[] = [];
    for (let cid = 0; cid < cidCount; cid += 1) widths.push(num(face.glyphSource.glyph(this.subset.glyphs[cid]!).advance * scale));
    const baseFont = `${subsetTag(this.subset.glyphs)}+${face.postscriptName}`;
    const [minX, minY, maxX, maxY] = face.bbox.map((v) => num(v * scale));

    const fontFile = file.stream(` /Length1 ${program.byteLength}`, program, { compress: true });
    const descriptor = file.object(`<< /Type /FontDescriptor /FontName /${baseFont} /Flags ${FLAG_SYMBOLIC} /FontBBox [${minX} ${minY} ${maxX} ${maxY}] /ItalicAngle ${num(face.italicAngle)} /Ascent ${num(face.ascent * scale)} /Descent ${num(face.descent * scale)} /CapHeight ${num(face.capHeight * scale)} /StemV 0 /FontFile2 ${ref(fontFile)} >>`);
    const cidFont = file.object(`<< /Type /Font /Subtype /CIDFontType2 /BaseFont /${baseFont} /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor ${ref(descriptor)} /CIDToGIDMap /Identity /W [0 [${widths.join(' ')}]] >>`);
    const toUnicode = file.stream('', Buffer.from(toUnicodeCMap(this.unicode), 'latin1'), { compress: true });
    return file.object(`<< /Type /Font /Subtype /Type0 /BaseFont /${baseFont} /Encoding /Identity-H /DescendantFonts [${ref(cidFont)}] /ToUnicode ${ref(toUnicode)} >>`);
  }
}

/** Six capital letters naming the subset (§9.6.4), derived from its glyphs: reproducible. */
function subsetTag(glyphs: readonly number[]): string {
  let hash = 0x811c9dc5;
  for (const g of glyphs) hash = Math.imul(hash ^ g, 0x01000193) >>> 0;
  let tag = '';
  for (let i = 0; i < 6; i += 1) {
    tag += String.fromCharCode(65 + (hash % 26));
    hash = Math.floor(hash / 26) + Math.imul(i + 1, 0x9e3779b1) >>> 0;
  }
  return tag;
}

const utf16Hex = (text: string): string => {
  let hex = '';
  for (let i = 0; i < text.length; i += 1) hex += HEX4[text.charCodeAt(i)]!;
  return hex;
};

/** A ToUnicode CMap (§9.10.3) from CIDs to UTF-16BE, in blocks of at most 100 entries. */
function toUnicodeCMap(unicode: readonly string[]): string {
  const entries: string[] = [];
  for (let cid = 1; cid < unicode.length; cid += 1) {
    const text = unicode[cid];
    if (text) entries.push(`<${HEX4[cid]}> <${utf16Hex(text)}>`);
  }
  let blocks = '';
  for (let i = 0; i < entries.length; i += 100) {
    const block = entries.slice(i, i + 100);
    blocks += `${block.length} beginbfchar\n${block.join('\n')}\nendbfchar\n`;
  }
  return '/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n'
    + '/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n'
    + '/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n'
    + '1 begincodespacerange\n<0000> <ffff>\nendcodespacerange\n'
    + blocks
    + 'endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n';
}
