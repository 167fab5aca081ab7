/**
 * Draws a DataMatrix module matrix as vector rectangles: sharp at any zoom or print
 * resolution (a scaled bitmap may be smoothed by the viewer or the printer driver), and no
 * image to encode or decode per document. One rectangle per horizontal run of dark modules,
 * one fill for the whole symbol.
 *
 * The rectangles are written in module units as one block of path operators under a single
 * `cm` that places and scales the symbol.
 */
import type { DataMatrixSymbol } from '../datamatrix/symbol.ts';
import type { PageContent } from './page.ts';

/** `x y w 1 re` for each horizontal run of dark modules, in module units, rows top-down. */
export function dataMatrixPath(symbol: DataMatrixSymbol): string {
  const { size, modules } = symbol;
  const parts: string[] = [];
  for (let row = 0; row < size; row += 1) {
    let col = 0;
    while (col < size) {
      if (modules[row * size + col] !== 1) {
        col += 1;
        continue;
      }
      const start = col;
      while (col < size && modules[row * size + col] === 1) col += 1;
      parts.push(`${start} ${row} ${col - start} 1 re`);
    }
  }
  return parts.join('\n');
}

/** Draws the symbol with its top-left corner at (x, top), `moduleSize` points per module. */
export function drawDataMatrix(page: PageContent, symbol: DataMatrixSymbol, x: number, top: number, moduleSize: number): void {
  page.fillPath(dataMatrixPath(symbol), x, top, moduleSize, '#000000');
}
