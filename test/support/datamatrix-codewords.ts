/**
 * Test helper: reads the data codewords back out of an ECC200 module matrix and decodes their
 * encodation modes (ISO/IEC 16022 §5.2, Annex F placement), so that a test can see HOW the
 * encoder encoded the data (e.g. that the DataMatrix INS header really is in C40), which a
 * barcode reader does not tell. Square, single-block symbols only (10×10 to 48×48); enough for
 * the DataMatrix INS. Errors are not corrected: the matrix must come straight from the encoder.
 */

/** Data codewords of square single-block symbols, by modules per side. */
const DATA_CAPACITY: Record<number, number> = {
  10: 3, 12: 5, 14: 8, 16: 12, 18: 18, 20: 22, 22: 30, 24: 36, 26: 44, 32: 62, 36: 86, 40: 114, 44: 144, 48: 174,
};

export interface ModeSegment {
  mode: 'ASCII' | 'C40' | 'Text' | 'X12' | 'EDIFACT' | 'Base256';
  text: string;
}

export interface ReadCodewords {
  /** Data codewords, pads included. */
  data: number[];
  /** Every codeword in placement order: data, then the (interleaved) error correction. */
  all: number[];
  segments: ModeSegment[];
  /** Concatenated text of all segments (pads excluded). */
  text: string;
}

/** `modules[row * size + column]` = 1 for dark, finder pattern included, no quiet zone. */
export function readDataMatrixCodewords(size: number, modules: ArrayLike<number>): ReadCodewords {
  const capacity = DATA_CAPACITY[size];
  if (capacity === undefined) throw new Error(`unsupported symbol size ${size}`);
  const regions = size >= 32 ? 2 : 1;
  const regionSize = (size - 2 * regions) / regions;
  const n = regions * regionSize;
  const dark = (row: number, col: number): boolean => {
    const r = 1 + Math.floor(row / regionSize) * (regionSize + 2) + (row % regionSize);
    const c = 1 + Math.floor(col / regionSize) * (regionSize + 2) + (col % regionSize);
    return modules[r * size + c] === 1;
  };
  const codewords = placementOrder(n, n).map((bits) => bits.reduce((byte, [row, col]) => (byte << 1) | (dark(row, col) ? 1 : 0), 0));
  const data = codewords.slice(0, capacity);
  const segments = decodeModes(data);
  return { data, all: codewords, segments, text: segments.map((s) => s.text).join('') };
}

/** For each codeword in order, the (row, col) of its 8 bits, most significant first (Annex F). */
function placementOrder(nrow: number, ncol: number): Array<Array<[number, number]>> {
  const taken = new Uint8Array(nrow * ncol);
  const out: Array<Array<[number, number]>> = [];
  let current: Array<[number, number]> = [];
  const place = (row: number, col: number): void => {
    if (row < 0) { row += nrow; col += 4 - ((nrow + 4) % 8); }
    if (col < 0) { col += ncol; row += 4 - ((ncol + 4) % 8); }
    taken[row * ncol + col] = 1;
    current.push([row, col]);
  };
  const emit = (cells: Array<[number, number]>): void => {
    current = [];
    for (const [r, c] of cells) place(r, c);
    out.push(current);
  };
  const utah = (r: number, c: number): void => emit([[r - 2, c - 2], [r - 2, c - 1], [r - 1, c - 2], [r - 1, c - 1], [r - 1, c], [r, c - 2], [r, c - 1], [r, c]]);
  const corner1 = (): void => emit([[nrow - 1, 0], [nrow - 1, 1], [nrow - 1, 2], [0, ncol - 2], [0, ncol - 1], [1, ncol - 1], [2, ncol - 1], [3, ncol - 1]]);
  const corner2 = (): void => emit([[nrow - 3, 0], [nrow - 2, 0], [nrow - 1, 0], [0, ncol - 4], [0, ncol - 3], [0, ncol - 2], [0, ncol - 1], [1, ncol - 1]]);
  const corner3 = (): void => emit([[nrow - 3, 0], [nrow - 2, 0], [nrow - 1, 0], [0, ncol - 2], [0, ncol - 1], [1, ncol - 1], [2, ncol - 1], [3, ncol - 1]]);
  const corner4 = (): void => emit([[nrow - 1, 0], [nrow - 1, ncol - 1], [0, ncol - 3], [0, ncol - 2], [0, ncol - 1], [1, ncol - 3], [1, ncol - 2], [1, ncol - 1]]);
  const free = (r: number, c: number): boolean => taken[r * ncol + c] === 0;

  let row = 4;
  let col = 0;
  do {
    if (row === nrow && col === 0) corner1();
    if (row === nrow - 2 && col === 0 && ncol % 4 !== 0) corner2();
    if (row === nrow - 2 && col === 0 && ncol % 8 === 4) corner3();
    if (row === nrow + 4 && col === 2 && ncol % 8 === 0) corner4();
    do {
      if (row < nrow && col >= 0 && free(row, col)) utah(row, col);
      row -= 2; col += 2;
    } while (row >= 0 && col < ncol);
    row += 1; col += 3;
    do {
      if (row >= 0 && col < ncol && free(row, col)) utah(row, col);
      row += 2; col -= 2;
    } while (row < nrow && col >= 0);
    row += 3; col += 1;
  } while (row < nrow || col < ncol);
  return out;
}

const C40_BASIC = (v: number): string => (v === 3 ? ' ' : v <= 13 ? String.fromCharCode(48 + v - 4) : String.fromCharCode(65 + v - 14));
const TEXT_BASIC = (v: number): string => (v === 3 ? ' ' : v <= 13 ? String.fromCharCode(48 + v - 4) : String.fromCharCode(97 + v - 14));
const SHIFT2 = '!"#$%&\'()*+,-./:;<=>?@[\\]^_';

function decodeModes(data: number[]): ModeSegment[] {
  const segments: ModeSegment[] = [];
  let segment: ModeSegment = { mode: 'ASCII', text: '' };
  const switchTo = (mode: ModeSegment['mode']): void => {
    shift = 0; // a pending shift (e.g. a Shift 1 pad) ends with its segment
    if (segment.text.length > 0) segments.push(segment);
    segment = { mode, text: '' };
  };
  let i = 0;
  let upperShift = false;
  /** C40/Text shift set (1–3) pending; a shift may end one triplet and apply in the next. */
  let shift = 0;
  const add = (ch: number): void => {
    segment.text += String.fromCharCode(upperShift ? ch + 128 : ch);
    upperShift = false;
  };
  while (i < data.length) {
    const mode = segment.mode;
    if (mode === 'ASCII') {
      const cw = data[i++] ?? 0;
      if (cw === 129) break; // pad: end of data
      if (cw <= 128) add(cw - 1);
      else if (cw <= 229) { segment.text += String(cw - 130).padStart(2, '0'); }
      else if (cw === 230) switchTo('C40');
      else if (cw === 239) switchTo('Text');
      else if (cw === 238) switchTo('X12');
      else if (cw === 240) switchTo('EDIFACT');
      else if (cw === 235) upperShift = true;
      else if (cw === 231) {
        // Base 256: length then bytes, each randomised by the 255-state algorithm of its
        // 1-based position; length 0 runs to the end of the symbol.
        const unrandomise = (at: number): number => {
          const v = (data[at] ?? 0) - (((149 * (at + 1)) % 255) + 1);
          return v < 0 ? v + 256 : v;
        };
        let length = unrandomise(i++);
        if (length === 0) length = data.length - i;
        else if (length >= 250) length = 250 * (length - 249) + unrandomise(i++);
        switchTo('Base256');
        for (let k = 0; k < length; k++) segment.text += String.fromCharCode(unrandomise(i++));
        switchTo('ASCII');
      }
      else throw new Error(`codeword ${cw} (FNC1, ECI, Structured Append…) not supported by this helper`);
    } else if (mode === 'EDIFACT') {
      // Four 6-bit values per 3 codewords; after the unlatch value (0x1F) the rest of its
      // codeword is padding and ASCII resumes at the next codeword. With 2 codewords or fewer
      // left at the start of a group, they are ASCII (ISO/IEC 16022 §5.2.8.2).
      if (data.length - i <= 2) { switchTo('ASCII'); continue; }
      const start = i;
      const bits = ((data[i] ?? 0) << 16) | ((data[i + 1] ?? 0) << 8) | (data[i + 2] ?? 0);
      i += 3;
      for (let k = 0; k < 4; k += 1) {
        const v = (bits >> (18 - 6 * k)) & 0x3f;
        if (v === 0x1f) {
          i = start + Math.ceil(((k + 1) * 6) / 8);
          switchTo('ASCII');
          break;
        }
        segment.text += String.fromCharCode(v < 32 ? v + 64 : v);
      }
    } else {
      const c1 = data[i] ?? 0;
      if (c1 === 254) { i += 1; switchTo('ASCII'); continue; }
      if (i + 1 >= data.length) { switchTo('ASCII'); continue; }
      const v = c1 * 256 + (data[i + 1] ?? 0) - 1;
      i += 2;
      const triple = [Math.floor(v / 1600), Math.floor((v % 1600) / 40), v % 40];
      if (mode === 'X12') {
        for (const t of triple) segment.text += t === 0 ? '\r' : t === 1 ? '*' : t === 2 ? '>' : t === 3 ? ' ' : t <= 13 ? String.fromCharCode(48 + t - 4) : String.fromCharCode(65 + t - 14);
        continue;
      }
      for (const t of triple) {
        if (shift === 0) {
          if (t <= 2) shift = t + 1;
          else add((mode === 'C40' ? C40_BASIC(t) : TEXT_BASIC(t)).charCodeAt(0));
        } else if (shift === 1) { add(t); shift = 0; }
        else if (shift === 2) {
          if (t < SHIFT2.length) add(SHIFT2.charCodeAt(t));
          else if (t === 30) upperShift = true;
          else throw new Error(`C40 shift 2 value ${t} not supported by this helper`);
          shift = 0;
        } else {
          add(mode === 'C40' ? 96 + t : t === 0 ? 96 : t <= 26 ? 64 + t : 123 + t - 27);
          shift = 0;
        }
      }
    }
  }
  if (segment.text.length > 0) segments.push(segment);
  return segments;
}
