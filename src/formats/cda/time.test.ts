import { describe, expect, it } from 'vitest';
import { birthDateToTs, toCdaTimestamp, tsToBirthDate } from './time.ts';

describe('CDA timestamps', () => {
  it('writes YYYYMMDDHHMMSS+ZZZZ in Europe/Paris, following daylight saving time', () => {
    expect(toCdaTimestamp(new Date('2024-01-15T09:30:05Z'))).toBe('20240115103005+0100');
    expect(toCdaTimestamp(new Date('2024-07-01T22:00:00Z'))).toBe('20240702000000+0200');
    expect(toCdaTimestamp(new Date('2024-07-01T22:00:00Z'), 'UTC')).toBe('20240701220000+0000');
  });

  it('converts birth dates, partial ones included', () => {
    expect(birthDateToTs('1979-03-28')).toBe('19790328');
    expect(birthDateToTs('1979-03')).toBe('197903');
    expect(birthDateToTs('1979-00-00')).toBe('1979');
    expect(birthDateToTs('1979-03-00')).toBe('197903');
    expect(birthDateToTs('1979-13-01')).toBeUndefined();
    expect(birthDateToTs('28/03/1979')).toBeUndefined();
    expect(tsToBirthDate('19790328')).toBe('1979-03-28');
    expect(tsToBirthDate('197903')).toBe('1979-03');
    expect(tsToBirthDate('1979')).toBe('1979');
    expect(tsToBirthDate('197903281200+0100')).toBe('1979-03-28');
  });
});
