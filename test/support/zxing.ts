/**
 * Test helper: zxing-wasm (ZXing C++) as an independent DataMatrix reader. The WASM binary is
 * read from node_modules and handed over as `wasmBinary`, so nothing is ever fetched from the
 * network (the default would download it from a CDN).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { prepareZXingModule, readBarcodes, type ReadResult } from 'zxing-wasm/reader';

let ready: Promise<unknown> | undefined;

function prepare(): Promise<unknown> {
  if (!ready) {
    const wasmPath = createRequire(import.meta.url).resolve('zxing-wasm/reader/zxing_reader.wasm');
    const wasmBinary = readFileSync(wasmPath);
    ready = prepareZXingModule({
      overrides: {
        wasmBinary: wasmBinary.buffer.slice(wasmBinary.byteOffset, wasmBinary.byteOffset + wasmBinary.byteLength),
        // Asked for even when wasmBinary is given: answer with the local file, never a CDN URL.
        locateFile: () => wasmPath,
      },
      fireImmediately: true,
    });
  }
  return ready;
}

/** All DataMatrix symbols found in an image file (PNG, JPEG…); `text` is the plain content (GS as 0x1D). */
export async function readDataMatrix(image: Uint8Array): Promise<ReadResult[]> {
  await prepare();
  return readBarcodes(image, { formats: ['DataMatrix'], tryHarder: true, maxNumberOfSymbols: 4, textMode: 'Plain' });
}
