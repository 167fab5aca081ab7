/**
 * Line breaking: text in one or several styles (runs) broken into lines that fit a width.
 *
 * Breaks happen at spaces (U+0020; the no-break spaces of French typography, U+00A0 and
 * U+202F, never break) and at newlines, which force one. Runs that meet without a space stay
 * together. A word wider than the line is cut between characters. Consecutive spaces count as
 * one. Widths come from the shaped glyphs (kerning and ligatures included), so what is
 * measured is exactly what is drawn.
 */
import type { EmbeddedFont } from './embedded-font.ts';
import type { ShapedText } from './fonts.ts';

export interface TextStyle {
  font: EmbeddedFont;
  size: number;
  /** `#rrggbb`. */
  color: string;
}

export interface TextRun {
  text: string;
  style: TextStyle;
}

/** A shaped piece of a line, preceded or not by a space in its own style. */
export interface LinePiece {
  style: TextStyle;
  shaped: ShapedText;
  spaceBefore: boolean;
}

export interface Line {
  pieces: LinePiece[];
  /** Points. */
  width: number;
  /** Line box height and the baseline's distance from its top, points. */
  height: number;
  ascent: number;
}

interface Token {
  style: TextStyle;
  text: string;
  /** A space separates it from the previous token: a break is allowed there. */
  spaceBefore: boolean;
  /** A newline precedes it (may be several). */
  breaksBefore: number;
}

const points = (style: TextStyle, fontUnits: number): number => (fontUnits * style.size) / style.font.face.unitsPerEm;
const pieceWidth = (p: LinePiece): number => points(p.style, p.shaped.width + (p.spaceBefore ? p.style.font.face.spaceWidth : 0));

function tokenize(runs: readonly TextRun[]): { tokens: Token[]; trailingBreaks: number } {
  const tokens: Token[] = [];
  let spaceBefore = false;
  let breaksBefore = 0;
  for (const { text, style } of runs) {
    const lines = text.replace(/\r\n?/g, '\n').replace(/\t/g, ' ').split('\n');
    lines.forEach((lineText, i) => {
      if (i > 0) {
        breaksBefore += 1;
        spaceBefore = false;
      }
      lineText.split(' ').forEach((word, j) => {
        if (j > 0) spaceBefore = true;
        if (word === '') return;
        tokens.push({ style, text: word, spaceBefore: spaceBefore && breaksBefore === 0, breaksBefore });
        spaceBefore = false;
        breaksBefore = 0;
      });
    });
  }
  return { tokens, trailingBreaks: breaksBefore };
}

class LineBuilder {
  readonly lines: Line[] = [];
  private pieces: LinePiece[] = [];
  private width = 0;

  constructor(private readonly firstStyle: TextStyle) {}

  get empty(): boolean {
    return this.pieces.length === 0;
  }

  get used(): number {
    return this.width;
  }

  add(piece: LinePiece): void {
    const p = this.pieces.length === 0 ? { ...piece, spaceBefore: false } : piece;
    this.pieces.push(p);
    this.width += pieceWidth(p);
  }

  /** Ends the current line (an empty one takes the height of the given style). */
  end(style: TextStyle = this.firstStyle): void {
    let height = 0;
    let ascent = 0;
    for (const p of this.pieces.length > 0 ? this.pieces.map((x) => x.style) : [style]) {
      height = Math.max(height, p.font.face.lineHeight(p.size));
      ascent = Math.max(ascent, points(p, p.font.face.ascent));
    }
    this.lines.push({ pieces: this.pieces, width: this.width, height, ascent });
    this.pieces = [];
    this.width = 0;
  }
}

/** Cuts a word that is wider than the line into pieces that fit (at least one character each). */
function cutWord(token: Token, width: number): LinePiece[] {
  const { face } = token.style.font;
  const characters = Array.from(token.text);
  const out: LinePiece[] = [];
  let start = 0;
  while (start < characters.length) {
    let end = start + 1;
    while (end < characters.length && points(token.style, face.shape(characters.slice(start, end + 1).join('')).width) <= width) end += 1;
    out.push({ style: token.style, shaped: face.shape(characters.slice(start, end).join('')), spaceBefore: false });
    start = end;
  }
  return out;
}

/** Breaks runs into lines of at most `width` points. No text gives no line. */
export function wrapText(runs: readonly TextRun[], width: number): Line[] {
  if (runs.length === 0) return [];
  const { tokens, trailingBreaks } = tokenize(runs);
  const builder = new LineBuilder(runs[0]!.style);
  for (let i = 0; i < tokens.length;) {
    const token = tokens[i]!;
    for (let b = 0; b < token.breaksBefore; b += 1) builder.end(token.style);
    // A cluster: this token and the ones glued to it (no space between).
    const cluster: LinePiece[] = [{ style: token.style, shaped: token.style.font.face.shape(token.text), spaceBefore: token.spaceBefore }];
    let j = i + 1;
    while (j < tokens.length && !tokens[j]!.spaceBefore && tokens[j]!.breaksBefore === 0) {
      const next = tokens[j]!;
      cluster.push({ style: next.style, shaped: next.style.font.face.shape(next.text), spaceBefore: false });
      j += 1;
    }
    const clusterWidth = cluster.reduce((n, p, k) => n + pieceWidth(k === 0 ? { ...p, spaceBefore: false } : p), 0);
    const space = token.spaceBefore ? points(token.style, token.style.font.face.spaceWidth) : 0;
    if (!builder.empty && builder.used + space + clusterWidth > width) builder.end();
    if (builder.empty && clusterWidth > width) {
      for (const t of tokens.slice(i, j)) {
        for (const piece of cutWord(t, width)) {
          if (!builder.empty && builder.used + pieceWidth(piece) > width) builder.end();
          builder.add(piece);
        }
      }
    } else {
      for (const piece of cluster) builder.add(piece);
    }
    i = j;
  }
  if (!builder.empty) builder.end();
  for (let b = 0; b < trailingBreaks; b += 1) builder.end();
  return builder.lines;
}

const ELLIPSIS = '…';

/** One line of the run that fits `width`, cut with an ellipsis when it is wider. */
export function singleLine(run: TextRun, width: number): Line {
  const text = run.text.replace(/\s+/g, ' ').trim();
  const lineOf = (t: string): Line => {
    const builder = new LineBuilder(run.style);
    if (t.length > 0) builder.add({ style: run.style, shaped: run.style.font.face.shape(t), spaceBefore: false });
    builder.end();
    return builder.lines[0]!;
  };
  const whole = lineOf(text);
  if (whole.width <= width) return whole;
  // The longest prefix that fits with the ellipsis (binary search: widths grow with length).
  const characters = Array.from(text);
  let low = 0;
  let high = characters.length - 1;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (lineOf(`${characters.slice(0, middle).join('').trimEnd()}${ELLIPSIS}`).width <= width) low = middle;
    else high = middle - 1;
  }
  return lineOf(`${characters.slice(0, low).join('').trimEnd()}${ELLIPSIS}`);
}
