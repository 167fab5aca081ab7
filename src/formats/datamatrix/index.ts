/**
 * DataMatrix INS (ANS *Datamatrix INS* v2.2; identity.md §8): payload text codec and symbol.
 * Pure: no I/O.
 */
export {
  decodeInsPayload, encodeInsPayload, GS, INS_DATAMATRIX_HEADER, INS_DATAMATRIX_VERSION,
  type DecodedInsPayload, type InsDataMatrixContent, type InsPayloadInput,
} from './payload.ts';
export { encodeEcc200, type Ecc200Options } from './ecc200.ts';
export {
  insSymbolMatrix, renderInsSymbolPng, renderInsSymbolSvg, renderSymbolPng, renderSymbolSvg, type DataMatrixSymbol, type SymbolImageOptions,
} from './symbol.ts';
