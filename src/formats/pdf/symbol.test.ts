import { describe, expect, it } from 'vitest';
import { dataMatrixPath } from './symbol.ts';

describe('DataMatrix drawn as one path', () => {
  it('writes one rectangle per horizontal run of dark modules, in module units, rows top-down', () => {
    const modules = Uint8Array.from([
      1, 1, 0, 1,
      0, 0, 0, 0,
      1, 0, 1, 1,
      1, 1, 1, 1,
    ]);
    expect(dataMatrixPath({ size: 4, modules }).split('\n')).toEqual([
      '0 0 2 1 re', '3 0 1 1 re',
      '0 2 1 1 re', '2 2 2 1 re',
      '0 3 4 1 re',
    ]);
  });

  it('writes nothing for an all-light matrix', () => {
    expect(dataMatrixPath({ size: 2, modules: new Uint8Array(4) })).toBe('');
  });
});
