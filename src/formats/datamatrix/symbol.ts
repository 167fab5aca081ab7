/**
 * The DataMatrix INS symbol (identity.md §8): ISO/IEC 16022 ECC200, square, drawn by bwip-js.
 *
 * The 26-character header must be C40-encoded or the ANS validator rejects the symbol
 * (ZXing.Net #403, zxing #1486, bwip-js #245): bwip-js / BWIPP option `c40headerlength: 26`
 * (bwip-js PR #283, BWIPP #216) forces it. GS (0x1D) is passed as the raw character, so no
 * `parse` escapes are needed and a `^` in the data could never be misread.
 */
import bwipjs from 'bwip-js';
import { fail, ok, type Result } from '../result.ts';
import { INS_DATAMATRIX_HEADER } from './payload.ts';

/** A square module matrix: `modules[row * size + column]` is 1 for a dark module. */
export interface DataMatrixSymbol {
  /** Modules per side, finder pattern included, quiet zone excluded (36 for a typical INS). */
  size: number;
  modules: Uint8Array;
}

export interface SymbolImageOptions {
  /** Pixels per module (PNG) or user units per module (SVG); default 4. */
  moduleSize?: number;
  /** Light modules around the symbol; default 1 (ISO/IEC 16022 asks for at least 1). */
  quietZone?: number;
}

/** BWIPP options beyond the bwip-js typings. */
type DataMatrixOptions = bwipjs.RenderOptions & { c40headerlength: number; format: 'square' };

function bwipOptions(payload: string, image: SymbolImageOptions = {}): DataMatrixOptions {
  const moduleSize = image.moduleSize ?? 4;
  const quietZone = image.quietZone ?? 1;
  return {
    bcid: 'datamatrix',
    text: payload,
    format: 'square',
    c40headerlength: INS_DATAMATRIX_HEADER.length,
    scale: moduleSize,
    // Opaque white: bwip-js leaves the background transparent by default, which readers that
    // ignore alpha see as black.
    backgroundcolor: 'FFFFFF',
    // bwip-js paddings are in points at scale 1, i.e. in modules for datamatrix (2 units per module).
    padding: quietZone * 2,
  };
}

function checkPayload(payload: string): Result<string> {
  if (payload.length === 0) return fail('DataMatrix', 'the payload must not be empty');
  const wide = /[^\x00-\xff]/.exec(payload);
  if (wide) return fail('DataMatrix', `character "${wide[0]}" is outside ISO 8859-1`);
  return ok(payload);
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * bwip-js needs ≈ 5 ms per symbol (BWIPP's PostScript run in JavaScript), a quarter of a
 * document's rendering; one patient's documents (LDL, ordonnances, CRO…) share their symbol,
 * so recent matrices are kept (bounded, per process, recomputable: no shared state).
 */
const MATRIX_CACHE_SIZE = 256;
const matrixCache = new Map<string, DataMatrixSymbol>();

/** Encodes the payload to its module matrix (for vector drawing, e.g. in a PDF). */
export function insSymbolMatrix(payload: string): Result<DataMatrixSymbol> {
  const checked = checkPayload(payload);
  if (!checked.ok) return checked;
  let symbol = matrixCache.get(payload);
  if (!symbol) {
    try {
      const [raw] = bwipjs.raw(bwipOptions(payload));
      if (!raw || !('pixs' in raw) || raw.pixx !== raw.pixy) return fail('DataMatrix', 'bwip-js returned no square symbol');
      symbol = { size: raw.pixx, modules: Uint8Array.from(raw.pixs) };
    } catch (error) {
      return fail('DataMatrix', `cannot encode: ${message(error)}`);
    }
    if (matrixCache.size >= MATRIX_CACHE_SIZE) matrixCache.delete(matrixCache.keys().next().value ?? '');
    matrixCache.set(payload, symbol);
  }
  // A copy, so that no caller can alter the cached matrix.
  return ok({ size: symbol.size, modules: symbol.modules.slice() });
}

/** PNG of the symbol (grey-level, quiet zone included). */
export async function renderInsSymbolPng(payload: string, options?: SymbolImageOptions): Promise<Result<Uint8Array>> {
  const checked = checkPayload(payload);
  if (!checked.ok) return checked;
  try {
    const png = await bwipjs.toBuffer(bwipOptions(payload, options));
    return ok(new Uint8Array(png.buffer, png.byteOffset, png.byteLength));
  } catch (error) {
    return fail('DataMatrix', `cannot encode: ${message(error)}`);
  }
}

/** SVG of the symbol (quiet zone included). */
export function renderInsSymbolSvg(payload: string, options?: SymbolImageOptions): Result<string> {
  const checked = checkPayload(payload);
  if (!checked.ok) return checked;
  try {
    return ok(bwipjs.toSVG(bwipOptions(payload, options)));
  } catch (error) {
    return fail('DataMatrix', `cannot encode: ${message(error)}`);
  }
}
