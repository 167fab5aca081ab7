import { describe, expect, it } from 'vitest';
import { dateString, num, PdfFile, textString } from './file.ts';

describe('PDF file writer', () => {
  it('writes numbers with at most 3 decimals and never an exponent', () => {
    expect([num(0), num(-0), num(1), num(1.5), num(595.28), num(1 / 3), num(1e-7), num(-2.0004), num(1e21 / 1e18)]).toEqual(['0', '0', '1', '1.5', '595.28', '0.333', '0', '-2', '1000']);
    expect(() => num(Number.NaN)).toThrow(/finite/);
  });

  it('writes text strings as literals when printable ASCII, else as UTF-16BE with a byte order mark', () => {
    expect(textString('Dr (Jean) \\ MARTIN')).toBe('(Dr \\(Jean\\) \\\\ MARTIN)');
    expect(textString('Né')).toBe('<FEFF004e00e9>');
    expect(textString('a\nb')).toBe('<FEFF0061000a0062>');
  });

  it('writes dates in UTC', () => {
    expect(dateString(new Date('2025-05-12T08:30:05.123Z'))).toBe('(D:20250512083005Z)');
  });

  it('writes a cross-reference table whose offsets point at their objects, and a content-derived /ID', () => {
    const file = new PdfFile();
    const catalog = file.reserve();
    const pages = file.object('<< /Type /Pages /Kids [] /Count 0 >>');
    file.stream(' /Type /Metadata', Buffer.from('é'.repeat(10), 'utf8'));
    file.stream('', Buffer.from('x'.repeat(1000)), { compress: true });
    file.object(`<< /Type /Catalog /Pages ${pages} 0 R >>`, catalog);
    const info = file.object('<< /Title (t) >>');
    const bytes = Buffer.from(file.toBytes({ root: catalog, info }));
    const text = bytes.toString('latin1');
    const startxref = Number(/startxref\n(\d+)\n%%EOF\n$/.exec(text)?.[1]);
    expect(text.slice(startxref, startxref + 4)).toBe('xref');
    const entries = text.slice(startxref).split('\n').slice(3, 3 + 5);
    entries.forEach((entry, i) => {
      expect(entry).toMatch(/^\d{10} 00000 n $/);
      expect(text.slice(Number(entry.slice(0, 10)))).toMatch(new RegExp(`^${i + 1} 0 obj\n`));
    });
    expect(text).toMatch(/\/Length 20>>\nstream\n/);
    expect(text).toMatch(/\/Filter \/FlateDecode \/Length \d+>>/);
    expect(text).toMatch(/\/ID \[<([0-9a-f]{32})> <\1>\]/);
    const unfinished = new PdfFile();
    unfinished.reserve();
    expect(() => unfinished.toBytes({ root: 1, info: 1 })).toThrow(/reserved but never written/);
  });
});
