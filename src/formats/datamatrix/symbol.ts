/**
 * The DataMatrix INS symbol (identity.md §8): ISO/IEC 16022 ECC200, square, from our encoder
 * (ecc200.ts), drawn as a module matrix, a PNG or an SVG.
 *
 * The 26-character header must be C40-encoded or the ANS validator rejects the symbol
 * (ZXing.Net #403, zxing #1486, bwip-js #245): the encoder latches C40 at the first codeword
 * for it (`c40HeaderLength`, as bwip-js / BWIPP `c40headerlength: 26`). GS (0x1D) is passed as
 * the raw character, so no escapes are needed and a `^` in the data could never be misread.
 *
 * No cache: a symbol takes a few hundredths of a millisecond to encode, about what looking up
 * and copying a cached matrix costs (bwip-js needed ≈ 3–5 ms, hence the cache it had).
 */
import { deflateSync } from 'node:zlib';
import { fail, ok, type Result } from '../result.ts';
import { encodeEcc200, type DataMatrixSymbol } from './ecc200.ts';
import { INS_DATAMATRIX_HEADER } from './payload.ts';

export type { DataMatrixSymbol } from './ecc200.ts';

export interface SymbolImageOptions {
  /** Pixels per module (PNG) or user units per module (SVG); default 4. */
  moduleSize?: number;
  /** Light modules around the symbol; default 1 (ISO/IEC 16022 asks for at least 1). */
  quietZone?: number;
}

/** Encodes the payload to its module matrix (for vector drawing, e.g. in a PDF). */
export function insSymbolMatrix(payload: string): Result<DataMatrixSymbol> {
  // Clamped so that any short text still encodes (a real INS payload is always longer).
  return encodeEcc200(payload, { c40HeaderLength: Math.min(INS_DATAMATRIX_HEADER.length, payload.length) });
}

/** PNG of the symbol: 1-bit grey, opaque white background, quiet zone included. */
export async function renderInsSymbolPng(payload: string, options?: SymbolImageOptions): Promise<Result<Uint8Array>> {
  const symbol = insSymbolMatrix(payload);
  return symbol.ok ? renderSymbolPng(symbol.value, options) : symbol;
}

/** SVG of the symbol (quiet zone included): a white rectangle and one path of the dark modules. */
export function renderInsSymbolSvg(payload: string, options?: SymbolImageOptions): Result<string> {
  const symbol = insSymbolMatrix(payload);
  return symbol.ok ? renderSymbolSvg(symbol.value, options) : symbol;
}

/** PNG of any module matrix: 1-bit grey, opaque white background, quiet zone included. */
export function renderSymbolPng(symbol: DataMatrixSymbol, options?: SymbolImageOptions): Result<Uint8Array> {
  const geometry = imageGeometry(options);
  return geometry.ok ? ok(symbolPng(symbol, geometry.value.moduleSize, geometry.value.quietZone)) : geometry;
}

/** SVG of any module matrix (quiet zone included). */
export function renderSymbolSvg(symbol: DataMatrixSymbol, options?: SymbolImageOptions): Result<string> {
  const geometry = imageGeometry(options);
  return geometry.ok ? ok(symbolSvg(symbol, geometry.value.moduleSize, geometry.value.quietZone)) : geometry;
}

function imageGeometry(options: SymbolImageOptions = {}): Result<{ moduleSize: number; quietZone: number }> {
  const moduleSize = options.moduleSize ?? 4;
  const quietZone = options.quietZone ?? 1;
  if (!Number.isInteger(moduleSize) || moduleSize < 1 || moduleSize > 100) return fail('DataMatrix', `moduleSize must be a whole number from 1 to 100, got ${moduleSize}`);
  if (!Number.isInteger(quietZone) || quietZone < 0 || quietZone > 100) return fail('DataMatrix', `quietZone must be a whole number from 0 to 100, got ${quietZone}`);
  return ok({ moduleSize, quietZone });
}

function symbolSvg({ size, modules }: DataMatrixSymbol, moduleSize: number, quietZone: number): string {
  const side = (size + 2 * quietZone) * moduleSize;
  let path = '';
  // One rectangle per horizontal run of dark modules.
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      if (modules[row * size + col] !== 1) continue;
      let end = col + 1;
      while (end < size && modules[row * size + end] === 1) end++;
      const x = (col + quietZone) * moduleSize;
      const y = (row + quietZone) * moduleSize;
      path += `M${x} ${y}h${(end - col) * moduleSize}v${moduleSize}h${-(end - col) * moduleSize}z`;
      col = end;
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="${side}" height="${side}" viewBox="0 0 ${side} ${side}">`
    + `<rect width="${side}" height="${side}" fill="#fff"/><path fill="#000" d="${path}"/></svg>\n`;
}

// PNG (ISO/IEC 15948): signature, IHDR, one zlib IDAT, IEND; each chunk with its CRC-32.

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function symbolPng({ size, modules }: DataMatrixSymbol, moduleSize: number, quietZone: number): Uint8Array {
  const side = (size + 2 * quietZone) * moduleSize;
  const rowBytes = Math.ceil(side / 8);
  // 1-bit grey, 1 = white: every scanline is filter byte 0 then the pixels, white by default.
  const raw = new Uint8Array((rowBytes + 1) * side);
  for (let y = 0; y < side; y++) raw.fill(0xff, y * (rowBytes + 1) + 1, (y + 1) * (rowBytes + 1));
  for (let y = 0; y < side; y++) raw[y * (rowBytes + 1)] = 0;
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      if (modules[row * size + col] !== 1) continue;
      const x0 = (col + quietZone) * moduleSize;
      for (let dy = 0; dy < moduleSize; dy++) {
        const line = ((row + quietZone) * moduleSize + dy) * (rowBytes + 1) + 1;
        for (let x = x0; x < x0 + moduleSize; x++) raw[line + (x >> 3)]! &= ~(0x80 >> (x & 7));
      }
    }
  }
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, side);
  view.setUint32(4, side);
  header.set([1, 0, 0, 0, 0], 8); // bit depth 1, colour type 0 (grey), deflate, filter 0, no interlace
  const chunks = [pngChunk('IHDR', header), pngChunk('IDAT', deflateSync(raw)), pngChunk('IEND', new Uint8Array(0))];
  const png = new Uint8Array(PNG_SIGNATURE.length + chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  png.set(PNG_SIGNATURE, 0);
  let at = PNG_SIGNATURE.length;
  for (const chunk of chunks) {
    png.set(chunk, at);
    at += chunk.length;
  }
  return png;
}

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const chunk = new Uint8Array(12 + data.length);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) chunk[4 + i] = type.charCodeAt(i);
  chunk.set(data, 8);
  view.setUint32(8 + data.length, crc32(chunk.subarray(4, 8 + data.length)));
  return chunk;
}

/** CRC-32 of PNG chunks (ISO 3309, reflected polynomial 0xEDB88320). */
const CRC_TABLE = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
