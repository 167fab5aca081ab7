import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ENCODING as enc, escape, unescape } from './index.ts';

describe('escape / unescape', () => {
  it('decodes the delimiter escapes', () => {
    expect(unescape('a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f', enc)).toBe('a|b^c&d~e\\f');
  });

  it('keeps unknown escapes verbatim (\\X..\\, \\.br\\, \\H\\) and unterminated ones', () => {
    expect(unescape('x\\X0D0A\\y\\.br\\z\\H\\w', enc)).toBe('x\\X0D0A\\y\\.br\\z\\H\\w');
    expect(unescape('a\\F\\b\\', enc)).toBe('a|b\\');
    expect(unescape('\\\\F\\', enc)).toBe('\\\\F\\');
  });

  it('decodes hexadecimal data on request', () => {
    expect(unescape('a\\X0D0A\\b', enc, { hex: true })).toBe('a\r\nb');
    expect(unescape('a\\XZZ\\b', enc, { hex: true })).toBe('a\\XZZ\\b');
  });

  it('escapes delimiters, CR and LF', () => {
    expect(escape('a|b^c&d~e\\f\r\n', enc)).toBe('a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f\\X0D\\\\X0A\\');
    expect(escape('plain', enc)).toBe('plain');
  });

  it('round-trips any string (property)', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => {
      expect(unescape(escape(s, enc), enc, { hex: true })).toBe(s);
      const noNewline = s.replace(/[\r\n]/g, '');
      expect(unescape(escape(noNewline, enc), enc)).toBe(noNewline);
    }), { numRuns: 2000 });
  });

  it('escaped text contains no bare delimiter (property)', () => {
    fc.assert(fc.property(fc.string(), (s) => {
      const e = escape(s, enc);
      expect(/[|^&~\r\n]/.test(e)).toBe(false);
    }));
  });
});
