/**
 * Draws a DataMatrix module matrix as vector rectangles: sharp at any zoom or print
 * resolution (a scaled bitmap may be smoothed by the viewer or the printer driver), and no
 * image to encode or decode per document. One rectangle per horizontal run of dark modules,
 * one fill for the whole symbol.
 */
import type { DataMatrixSymbol } from '../datamatrix/symbol.ts';

export function drawDataMatrix(doc: PDFKit.PDFDocument, symbol: DataMatrixSymbol, x: number, y: number, moduleSize: number): void {
  const { size, modules } = symbol;
  doc.save();
  for (let row = 0; row < size; row += 1) {
    let col = 0;
    while (col < size) {
      if (modules[row * size + col] !== 1) {
        col += 1;
        continue;
      }
      const start = col;
      while (col < size && modules[row * size + col] === 1) col += 1;
      doc.rect(x + start * moduleSize, y + row * moduleSize, (col - start) * moduleSize, moduleSize);
    }
  }
  doc.fill('#000000');
  doc.restore();
}
