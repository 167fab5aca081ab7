import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EmbeddedFont } from './embedded-font.ts';
import { embeddedFonts, FONT_BOLD, FONT_REGULAR } from './fonts.ts';
import { singleLine, wrapText, type Line, type TextStyle } from './text-layout.ts';

const fonts = embeddedFonts();
const regular: TextStyle = { font: new EmbeddedFont(fonts.get(FONT_REGULAR)!, 'F1'), size: 10, color: '#000000' };
const bold: TextStyle = { ...regular, font: new EmbeddedFont(fonts.get(FONT_BOLD)!, 'F2') };

/** The text of a line as drawn: pieces with their spaces (ligatures give back their letters). */
const textOf = (line: Line): string => line.pieces.map((p) => `${p.spaceBefore ? ' ' : ''}${p.shaped.texts.join('')}`).join('');

describe('line breaking', () => {
  it('breaks at spaces so that every line fits, and measures what it draws (kerning, ligatures)', () => {
    const lines = wrapText([{ text: 'Efficace, affiné : AVA WAVE Tâ office fiche suffixe. '.repeat(6), style: regular }], 200);
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) {
      expect(line.width).toBeLessThanOrEqual(200);
      const measured = line.pieces.reduce((n, p) => n + ((p.shaped.width + (p.spaceBefore ? regular.font.face.spaceWidth : 0)) * 10) / 2048, 0);
      expect(line.width).toBeCloseTo(measured, 6);
    }
    expect(lines.map(textOf).join(' ')).toBe('Efficace, affiné : AVA WAVE Tâ office fiche suffixe. '.repeat(6).trim());
  });

  it('never breaks at the no-break spaces of French typography', () => {
    const text = 'dose 1\u00a0000\u202fmg ; '.repeat(20);
    for (const width of [60, 90, 150]) {
      for (const line of wrapText([{ text, style: regular }], width)) expect(textOf(line)).not.toMatch(/^[\u00a0\u202f]|[\u00a0\u202f]$/);
    }
  });

  it('forces a line at each newline, empty lines included', () => {
    expect(wrapText([{ text: 'un\ndeux\r\n\ntrois', style: regular }], 500).map(textOf)).toEqual(['un', 'deux', '', 'trois']);
  });

  it('keeps runs that meet without a space together, and mixes styles on a line', () => {
    const lines = wrapText([{ text: 'Matricule INS : ', style: regular }, { text: '279035121518989', style: bold }, { text: '(TEST)', style: regular }], 500);
    expect(lines.map(textOf)).toEqual(['Matricule INS : 279035121518989(TEST)']);
    expect(lines[0]!.pieces.map((p) => p.style)).toEqual([regular, regular, regular, bold, regular]);
    const narrow = wrapText([{ text: 'Matricule INS : ', style: regular }, { text: '279035121518989', style: bold }, { text: '(TEST)', style: regular }], 150);
    expect(narrow.map(textOf)).toEqual(['Matricule INS :', '279035121518989(TEST)']);
  });

  it('cuts a word wider than the line between characters', () => {
    const word = 'Anticonstitutionnellement'.repeat(4);
    const lines = wrapText([{ text: `avant ${word} après`, style: regular }], 150);
    expect(lines.every((l) => l.width <= 150)).toBe(true);
    expect(lines.map(textOf).join('').replace(/ /g, '')).toBe(`avant${word}après`);
    expect(textOf(lines[0]!)).toBe('avant');
  });

  it('gives no line for no text and takes the line height of the tallest style', () => {
    expect(wrapText([], 100)).toEqual([]);
    expect(wrapText([{ text: '', style: regular }], 100)).toEqual([]);
    const [line] = wrapText([{ text: 'a ', style: regular }, { text: 'b', style: { ...bold, size: 20 } }], 500);
    expect(line!.height).toBeCloseTo(regular.font.face.lineHeight(20), 6);
  });

  it('cuts a single line with an ellipsis when it is too wide', () => {
    const line = singleLine({ text: 'PAT-TROIS DOMINIQUE · née le 28/03/1979 · IPP 000123456', style: regular }, 120);
    expect(line.width).toBeLessThanOrEqual(120);
    expect(textOf(line)).toMatch(/^PAT-TROIS.*…$/);
    expect(textOf(singleLine({ text: 'court', style: regular }, 120))).toBe('court');
    expect(textOf(singleLine({ text: '  ', style: regular }, 120))).toBe('');
  });

  it('for any text and width: lines fit (or hold one character), and no character is lost', () => {
    const word = fc.stringMatching(/^[A-Za-zÀ-ÿœŒ'’.,;:!?()0-9«»–-]{1,30}$/);
    fc.assert(fc.property(fc.array(word, { maxLength: 40 }), fc.integer({ min: 20, max: 500 }), (words, width) => {
      const text = words.join(' ');
      const lines = wrapText([{ text, style: regular }], width);
      for (const line of lines) {
        const oneCharacter = line.pieces.length === 1 && Array.from(line.pieces[0]!.shaped.texts.join('')).length === 1;
        expect(line.width <= width + 1e-9 || oneCharacter).toBe(true);
      }
      expect(lines.map(textOf).join('').replace(/ /g, '')).toBe(text.replace(/ /g, ''));
    }), { numRuns: 200 });
  });
});
