import { describe, expect, it } from 'vitest';
import { buildSegment, parse, serialize } from './index.ts';

const ADT = 'MSH|^~\\&|GAM|CHU-X|DPI|CHU-X|20240306111154||ADT^A01^ADT_A01|3975|D|2.5^FRA^2.11\rPID|1||000003^^^CHU-X&000897406&N^PI~X||A\\S\\B^C\\T\\D\\F\\\\E\\\\R\\\\X0A\\\\.br\\||\r';

describe('parse', () => {
  it('reads fields, repetitions, components, subcomponents and escapes', () => {
    const r = parse(ADT);
    if (!r.ok) throw new Error(r.error.rule);
    const msh = r.value.segments[0]!;
    expect(msh.field(1)).toBe('|');
    expect(msh.field(2)).toBe('^~\\&');
    expect(msh.value(2)).toBe('^~\\&');
    expect(msh.value(9, 2)).toBe('A01');
    expect(msh.value(12, 3)).toBe('2.11');
    const pid = r.value.segment('PID')!;
    expect(pid.repetitions(3)).toHaveLength(2);
    expect(pid.value(3, 4, 2)).toBe('000897406');
    expect(pid.value(3, 1, 1, 2)).toBe('X');
    expect(pid.value(5, 1)).toBe('A^B');
    expect(pid.value(5, 2)).toBe('C&D|\\~\\X0A\\\\.br\\');
    expect(pid.fieldCount).toBe(7);
    expect(pid.field(7)).toBe('');
    expect(pid.field(99)).toBe('');
    expect(serialize(r.value)).toBe(ADT);
  });

  it.each([['\r'], ['\n'], ['\r\n']])('accepts %j between segments and keeps it', (sep) => {
    const text = `MSH|^~\\&|A${sep}EVN||2024${sep}PID|1${sep}${sep}`;
    const r = parse(text);
    if (!r.ok) throw new Error(r.error.rule);
    expect(r.value.segmentSeparator).toBe(sep);
    expect(r.value.segments.map((s) => s.name)).toEqual(['MSH', 'EVN', 'PID']);
    expect(serialize(r.value)).toBe(text);
    expect(serialize(r.value, { segmentSeparator: '\r' })).toBe('MSH|^~\\&|A\rEVN||2024\rPID|1\r');
  });

  it('keeps a message without final terminator and trailing empty fields', () => {
    const text = 'MSH|^~\\&|A||||\rPID|1||||';
    const r = parse(text);
    expect(r.ok && serialize(r.value)).toBe(text);
  });

  it('uses the message own delimiters', () => {
    const text = 'MSH*!@#$*APP*FAC\rPID*1**ID!!!NS$OID$ISO!PI@ID2';
    const r = parse(text);
    if (!r.ok) throw new Error(r.error.rule);
    const pid = r.value.segment('PID')!;
    expect(pid.value(3, 4, 2)).toBe('OID');
    expect(pid.value(3, 1, 1, 2)).toBe('ID2');
    expect(serialize(r.value)).toBe(text);
  });

  it.each([
    ['', 'MSH', 'message is empty'],
    ['PID|1', 'MSH', 'a message must start with an MSH segment'],
    ['MSH', 'MSH-1', 'field separator'],
    ['MSHA^~\\&', 'MSH-1', 'printable ASCII punctuation'],
    ['MSH|^~\\|', 'MSH-2', 'encoding characters must be 4 distinct characters'],
    ['MSH|^~\\^|', 'MSH-2', 'repeated'],
    ['MSH|^˜\\&|A', 'MSH-2', 'encoding characters must be 4 distinct printable ASCII punctuation characters, got "^˜\\\\&" (character 2 is U+02DC)'],
    ['MSH|^~\\&|A\rpid|1', 'segment 2', 'a segment starts with a 3-character id'],
    ['MSH|^~\\&|A\rPID1', 'segment 2', 'a segment starts with a 3-character id'],
    ['FHS|^~\\&', 'FHS', 'batch'],
  ])('rejects %j with an error on %s', (text, field, rule) => {
    const r = parse(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.field).toBe(field);
    expect(r.error.rule).toContain(rule);
  });

  it('never throws on non-string input', () => {
    expect(parse(undefined as unknown as string).ok).toBe(false);
  });
});

describe('segments', () => {
  it('withField replaces a field and keeps the others', () => {
    const r = parse('MSH|^~\\&|A|B\rPID|1||X');
    if (!r.ok) throw new Error(r.error.rule);
    const pid = r.value.segment('PID')!.withField(5, 'DOE^JOHN');
    expect(pid.raw).toBe('PID|1||X||DOE^JOHN');
    expect(r.value.segments[0]!.withField(4, 'C').raw).toBe('MSH|^~\\&|A|C');
    const msg = r.value.withSegments([r.value.segments[0]!, pid]);
    expect(serialize(msg)).toBe('MSH|^~\\&|A|B\rPID|1||X||DOE^JOHN');
  });

  it('buildSegment escapes leaves and trims trailing empties', () => {
    const s = buildSegment('PID', ['1', undefined, { repetitions: [['a|b', undefined, undefined, ['NS', 'O&ID', 'ISO'], 'PI', ''], '""'] }, undefined]);
    expect(s.raw).toBe('PID|1||a\\F\\b^^^NS&O\\T\\ID&ISO^PI~""');
    expect(s.value(3, 4, 2)).toBe('O&ID');
    expect(buildSegment('MSH', [undefined, undefined, 'APP']).raw).toBe('MSH|^~\\&|APP');
  });
});
