/**
 * ECC200 DataMatrix encoder (ISO/IEC 16022:2006), square symbols 10×10 to 144×144.
 *
 * Read top-down, as a symbol is made:
 *   1. encodation (§5.2): the text becomes data codewords. The first `c40HeaderLength`
 *      characters are forced into C40 (the DataMatrix INS header); the rest is encoded with the
 *      fewest codewords over ASCII, C40, Text, X12, EDIFACT and Base 256 (a shortest path over
 *      the text);
 *   2. the smallest square symbol that holds them (§5.5, Table 7), padded (§5.2.3, Annex H);
 *   3. Reed-Solomon error correction per block, interleaved (§5.7, Annex E);
 *   4. module placement of the codewords (§5.8, Annex F) inside the finder and alignment
 *      patterns (§5.3, §5.6).
 *
 * Pure and total: bad input is a `Result` error, never an exception. Per-size layouts
 * (placement, finder pattern) and Reed-Solomon generators are computed once per size, on
 * first use, and only read afterwards.
 */
import { fail, ok, type Result } from '../result.ts';

/** A square module matrix: `modules[row * size + column]` is 1 for a dark module. */
export interface DataMatrixSymbol {
  /** Modules per side, finder pattern included, quiet zone excluded (36 for a typical INS). */
  size: number;
  modules: Uint8Array;
}

export interface Ecc200Options {
  /**
   * Number of leading characters to encode in C40, latched by the very first codeword (230).
   * The DataMatrix INS needs its 26-character header so (ANS *Datamatrix INS* v2.2). Default 0.
   */
  c40HeaderLength?: number;
}

const FIELD = 'DataMatrix';

/** Encodes ISO 8859-1 text (code points 0–255; GS 0x1D as the raw character) to a square ECC200 symbol. */
export function encodeEcc200(data: string, options: Ecc200Options = {}): Result<DataMatrixSymbol> {
  const n = data.length;
  if (n === 0) return fail(FIELD, 'the data must not be empty');
  const chars = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const code = data.charCodeAt(i);
    if (code > 0xff) return fail(FIELD, `character "${data[i]}" at position ${i + 1} is outside ISO 8859-1`);
    chars[i] = code;
  }
  const headerLength = options.c40HeaderLength ?? 0;
  if (!Number.isInteger(headerLength) || headerLength < 0) {
    return fail(FIELD, `c40HeaderLength must be a whole number ≥ 0, got ${headerLength}`);
  }
  if (headerLength > n) return fail(FIELD, `c40HeaderLength ${headerLength} exceeds the ${n} characters of the data`);

  const plan = planEncodation(chars, headerLength);
  const needed = plan.codewords;
  const largest = SYMBOLS[SYMBOLS.length - 1]!;
  const attributes = SYMBOLS.find((s) => s.dataCodewords >= needed);
  if (!attributes) {
    return fail(FIELD, `the data needs ${needed} data codewords, more than the ${largest.dataCodewords} of the largest symbol (${largest.size}×${largest.size})`);
  }
  const codewords = new Uint8Array(attributes.dataCodewords + attributes.blocks * attributes.eccPerBlock);
  emitCodewords(chars, plan, codewords, attributes.dataCodewords);
  addErrorCorrection(codewords, attributes);
  return ok(placeModules(codewords, layoutOf(attributes)));
}

// ---------------------------------------------------------------------------------------------
// 1. Encodation (§5.2)
// ---------------------------------------------------------------------------------------------

/** Codewords with a meaning of their own (§5.2.3 Table 2, §5.2.5–5.2.9). */
const PAD = 129;
const DIGIT_PAIR = 130;
const LATCH_C40 = 230;
const LATCH_BASE256 = 231;
const UPPER_SHIFT = 235;
const LATCH_X12 = 238;
const LATCH_TEXT = 239;
const LATCH_EDIFACT = 240;
const UNLATCH = 254;
/** The EDIFACT unlatch value (§5.2.8.1). */
const EDIFACT_UNLATCH = 0x1f;

/**
 * C40 and Text values of each ISO 8859-1 character (§5.2.5.1 Table 5, §5.2.6 Table 6): 1 value
 * for the basic set, 2 with a shift (Shift 1: controls, Shift 2: punctuation, Shift 3: the other
 * case), and Shift 2 + Upper Shift (values 1, 30) before the values of `c - 128` above 127.
 */
interface TripletTable {
  /** Number of values of character c (1–4). */
  count: Uint8Array;
  /** Values of character c at `4 * c`. */
  values: Uint8Array;
}

const C40 = tripletTable((c) => (c === 32 ? 3 : c >= 48 && c <= 57 ? c - 44 : c >= 65 && c <= 90 ? c - 51 : -1), (c) => (c >= 96 ? c - 96 : -1));
const TEXT = tripletTable(
  (c) => (c === 32 ? 3 : c >= 48 && c <= 57 ? c - 44 : c >= 97 && c <= 122 ? c - 83 : -1),
  (c) => (c === 96 ? 0 : c >= 65 && c <= 90 ? c - 64 : c >= 123 ? c - 96 : -1),
);

/** Shift 2 set, shared by C40 and Text (§5.2.5.1 Table 5). */
function shift2Value(c: number): number {
  if (c >= 33 && c <= 47) return c - 33;
  if (c >= 58 && c <= 64) return c - 43;
  if (c >= 91 && c <= 95) return c - 69;
  return -1;
}

function tripletTable(basic: (c: number) => number, shift3: (c: number) => number): TripletTable {
  const count = new Uint8Array(256);
  const values = new Uint8Array(1024);
  const valuesOf = (c: number): number[] => {
    if (c >= 128) return [1, 30, ...valuesOf(c - 128)];
    if (basic(c) >= 0) return [basic(c)];
    if (c < 32) return [0, c];
    if (shift2Value(c) >= 0) return [1, shift2Value(c)];
    return [2, shift3(c)];
  };
  for (let c = 0; c < 256; c++) {
    const v = valuesOf(c);
    count[c] = v.length;
    values.set(v, 4 * c);
  }
  return { count, values };
}

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 48 && c <= 57;
/** §5.2.7 X12 values (Table 8): CR * > space, digits, A–Z; -1 for the other characters. */
const X12_VALUE = new Int8Array(256).map((_, c) =>
  c === 13 ? 0 : c === 42 ? 1 : c === 62 ? 2 : c === 32 ? 3 : c >= 48 && c <= 57 ? c - 44 : c >= 65 && c <= 90 ? c - 51 : -1);
/** §5.2.8: EDIFACT holds ASCII 32–94 as their 6 low bits. */
const isEdifact = (c: number): boolean => c >= 32 && c <= 94;

/**
 * Encoder states of the shortest path. C40 and Text keep how many values of the current
 * triplet are already written (0–2): a character's values may straddle two triplets, but a
 * segment may only be left on a triplet boundary (§5.2.5.2); X12 likewise, one value per
 * character and no shifts. EDIFACT keeps how many values of the current 4-value group are
 * written (0–3).
 */
const ASCII = 0;
const C40_0 = 1;
const TEXT_0 = 4;
const X12_0 = 7;
const EDIFACT_0 = 10;
const BASE256 = 14;
const STATES = 15;

const isC40 = (state: number): boolean => state >= C40_0 && state < TEXT_0;
const isText = (state: number): boolean => state >= TEXT_0 && state < X12_0;
const isX12 = (state: number): boolean => state >= X12_0 && state < EDIFACT_0;
const inTriplets = (state: number): boolean => state >= C40_0 && state < EDIFACT_0;
const isEdifactState = (state: number): boolean => state >= EDIFACT_0 && state < BASE256;
/** Costs in twelfths of a codeword: a C40/Text value is 2/3 of a codeword, an EDIFACT value 3/4. */
const CODEWORD = 12;
const TRIPLET_VALUE = 8;
const EDIFACT_VALUE = 9;
/**
 * Cost of the EDIFACT unlatch after p values of a group: the group's values and the unlatch
 * take ⌈6(p + 1) / 8⌉ codewords, of which 9p twelfths are already counted.
 */
const EDIFACT_UNLATCH_COST = [12, 15, 18, 9];
const UNREACHED = 0x3fffffff;

/** How the last characters end the data (§5.2.5.2 end-of-data rules for C40 and Text). */
type Ending =
  /**
   * ASCII or Base 256; C40/Text on a triplet boundary (unlatch only when at least 2 codewords
   * remain); EDIFACT (unlatch only when at least 3 remain, or the last values in ASCII, §5.2.8.2).
   */
  | 'plain'
  /** C40/Text with 2 values of a triplet written: a Shift 1 value completes it (rule b; not in X12, which has no shifts). */
  | 'shift-pad'
  /** C40/Text on a triplet boundary, then one ASCII codeword: the unlatch is left out when it is the symbol's last (rule c). */
  | 'last-ascii';

interface EncodationPlan {
  /** For each (position, state) node, the node it was reached from (`position * STATES + state`). */
  previous: Int32Array;
  /** The node the path ends on. */
  end: number;
  ending: Ending;
  /** Data codewords needed (pads excluded), counting any unlatch as free when a symbol could end there. */
  codewords: number;
}

/**
 * Fewest codewords for the text: a shortest path over (position, state) nodes, each edge one
 * character (two digits in ASCII), or a latch/unlatch at the same position. The first
 * `headerLength` characters are C40, latched at the first codeword.
 *
 * A header can end where no C40 triplet closes (e.g. `00'` with a 1-character header: 2
 * values, then a 2-value character). Only then, `padBeforeUnlatch` lets a Shift 1 value pad
 * the triplet before an unlatch (rule b's padding, used before more data); if even that leaves
 * no way, the header is shortened by one character.
 */
function planEncodation(chars: Uint8Array, headerLength: number, padBeforeUnlatch = false): EncodationPlan {
  const n = chars.length;
  const cost = new Int32Array((n + 1) * STATES).fill(UNREACHED);
  const previous = new Int32Array((n + 1) * STATES).fill(-1);
  const relax = (from: number, to: number, added: number): void => {
    const total = cost[from]! + added;
    if (total < cost[to]!) {
      cost[to] = total;
      previous[to] = from;
    }
  };
  if (headerLength > 0) cost[C40_0] = CODEWORD;
  else cost[ASCII] = 0;

  for (let i = 0; i <= n; i++) {
    const node = i * STATES;
    const free = i >= headerLength;
    if (free) {
      // Mode changes at this position: unlatches first (254; Base 256 ends by its length
      // field), then latches, so that e.g. C40 → ASCII → Text is found.
      relax(node + C40_0, node + ASCII, CODEWORD);
      if (padBeforeUnlatch) relax(node + C40_0 + 2, node + ASCII, TRIPLET_VALUE + CODEWORD);
      relax(node + TEXT_0, node + ASCII, CODEWORD);
      relax(node + X12_0, node + ASCII, CODEWORD);
      relax(node + BASE256, node + ASCII, 0);
      for (let written = 0; written < 4; written++) relax(node + EDIFACT_0 + written, node + ASCII, EDIFACT_UNLATCH_COST[written]!);
      relax(node + ASCII, node + C40_0, CODEWORD);
      relax(node + ASCII, node + TEXT_0, CODEWORD);
      relax(node + ASCII, node + X12_0, CODEWORD);
      relax(node + ASCII, node + EDIFACT_0, CODEWORD);
      // Latch and a one-byte length field (segments over 249 bytes need a second byte, added
      // to the count afterwards: the path may then be a codeword longer than the best).
      relax(node + ASCII, node + BASE256, 2 * CODEWORD);
    }
    if (i === n) break;
    const c = chars[i]!;
    const next = node + STATES;
    if (free) {
      // §5.2.3 ASCII: two digits in one codeword, above 127 an Upper Shift first.
      if (isDigit(c) && isDigit(chars[i + 1])) relax(node + ASCII, next + STATES + ASCII, CODEWORD);
      else relax(node + ASCII, next + ASCII, c >= 128 ? 2 * CODEWORD : CODEWORD);
      relax(node + BASE256, next + BASE256, CODEWORD);
      if (isEdifact(c)) {
        for (let written = 0; written < 4; written++) relax(node + EDIFACT_0 + written, next + EDIFACT_0 + ((written + 1) % 4), EDIFACT_VALUE);
      }
    }
    const c40Count = C40.count[c]!;
    const textCount = TEXT.count[c]!;
    for (let written = 0; written < 3; written++) {
      relax(node + C40_0 + written, next + C40_0 + ((written + c40Count) % 3), c40Count * TRIPLET_VALUE);
      if (!free) continue;
      relax(node + TEXT_0 + written, next + TEXT_0 + ((written + textCount) % 3), textCount * TRIPLET_VALUE);
      if (X12_VALUE[c]! >= 0) relax(node + X12_0 + written, next + X12_0 + ((written + 1) % 3), TRIPLET_VALUE);
    }
  }

  // Ways to end the data, cheapest first on ties (plain ASCII endings win ties).
  const last = n * STATES;
  let best: { end: number; ending: Ending; units: number } = { end: last + ASCII, ending: 'plain', units: cost[last + ASCII]! };
  const consider = (end: number, ending: Ending, units: number): void => {
    if (units < best.units) best = { end, ending, units };
  };
  consider(last + BASE256, 'plain', cost[last + BASE256]!);
  // EDIFACT: a full group needs no unlatch; after p values of a group, p codewords suffice
  // (the group with its unlatch when 3 or more remain, else the p characters in ASCII).
  for (let written = 0; written < 4; written++) consider(last + EDIFACT_0 + written, 'plain', cost[last + EDIFACT_0 + written]! + 3 * written);
  for (const segment of [C40_0, TEXT_0, X12_0]) {
    consider(last + segment, 'plain', cost[last + segment]!);
    if (segment !== X12_0) consider(last + segment + 2, 'shift-pad', cost[last + segment + 2]! + TRIPLET_VALUE);
    // Rule c: the last character (or digit pair) as one ASCII codeword after a full triplet.
    if (chars[n - 1]! < 128 && n - 1 >= headerLength) consider((n - 1) * STATES + segment, 'last-ascii', cost[(n - 1) * STATES + segment]! + CODEWORD);
    if (isDigit(chars[n - 1]) && isDigit(chars[n - 2]) && n - 2 >= headerLength) {
      consider((n - 2) * STATES + segment, 'last-ascii', cost[(n - 2) * STATES + segment]! + CODEWORD);
    }
  }
  if (best.units >= UNREACHED) return padBeforeUnlatch ? planEncodation(chars, headerLength - 1) : planEncodation(chars, headerLength, true);
  return { previous, end: best.end, ending: best.ending, codewords: Math.ceil(best.units / CODEWORD) + longBase256Segments(previous, best.end) };
}

/** Base 256 segments over 249 bytes on the path: each takes a second length byte. */
function longBase256Segments(previous: Int32Array, end: number): number {
  let segments = 0;
  let run = 0;
  for (let node = end; node !== -1; node = previous[node]!) {
    if (node % STATES === BASE256) run++;
    else {
      // The run counts the segment's nodes: its bytes plus the node where it starts.
      if (run - 1 > 249) segments++;
      run = 0;
    }
  }
  return segments;
}

/**
 * Writes the planned path as data codewords into `out[0 .. capacity)`, then the end of data
 * and the pads. `capacity` ≥ the planned count.
 */
function emitCodewords(chars: Uint8Array, plan: EncodationPlan, out: Uint8Array, capacity: number): void {
  // The path, start to end.
  const path: number[] = [];
  for (let node = plan.end; node !== -1; node = plan.previous[node]!) path.push(node);
  path.reverse();

  let length = 0;
  const put = (codeword: number): void => {
    out[length++] = codeword;
  };
  const putAscii = (c: number): void => {
    if (c >= 128) put(UPPER_SHIFT);
    put((c & 0x7f) + 1);
  };
  const putDigitPair = (at: number): void => put(DIGIT_PAIR + (chars[at]! - 48) * 10 + (chars[at + 1]! - 48));

  // §5.2.5.2 C40 and Text: three values in two codewords, 1600 v1 + 40 v2 + v3 + 1.
  let triplet = 0;
  let tripletValues = 0;
  const putTripletValue = (value: number): void => {
    triplet = triplet * 40 + value;
    if (++tripletValues === 3) {
      put((triplet + 1) >> 8);
      put((triplet + 1) & 0xff);
      triplet = 0;
      tripletValues = 0;
    }
  };

  // §5.2.8 EDIFACT: four 6-bit values in three codewords.
  let group = 0;
  let groupValues = 0;
  const putEdifactValue = (value: number): void => {
    group = (group << 6) | value;
    if (++groupValues === 4) {
      put(group >> 16);
      put((group >> 8) & 0xff);
      put(group & 0xff);
      group = 0;
      groupValues = 0;
    }
  };
  /**
   * §5.2.8.2: with 3 or more codewords left, the unlatch value ends the group, zero bits fill
   * its last codeword; with 2 or fewer left the decoder reads ASCII, so the group's characters
   * go in ASCII and there is no unlatch.
   */
  const endEdifact = (): void => {
    if (capacity - length <= 2) {
      for (let k = groupValues - 1; k >= 0; k--) {
        const value = (group >> (6 * k)) & 0x3f;
        put((value < 32 ? value + 64 : value) + 1);
      }
    } else {
      const values = groupValues + 1;
      group = (group << 6) | EDIFACT_UNLATCH;
      const bits = 6 * values;
      const codewords = Math.ceil(bits / 8);
      const aligned = group << (8 * codewords - bits);
      for (let k = codewords - 1; k >= 0; k--) put((aligned >> (8 * k)) & 0xff);
    }
    group = 0;
    groupValues = 0;
  };

  let base256Start = -1;
  for (let k = 0; k < path.length; k++) {
    const node = path[k]!;
    const position = Math.floor(node / STATES);
    const state = node % STATES;
    const nextNode = path[k + 1];
    if (k === 0 && state === C40_0) put(LATCH_C40);
    if (nextNode === undefined) break;
    const nextPosition = Math.floor(nextNode / STATES);
    const nextState = nextNode % STATES;
    if (nextPosition === position) {
      // A mode change.
      if (nextState === C40_0) put(LATCH_C40);
      else if (nextState === TEXT_0) put(LATCH_TEXT);
      else if (nextState === X12_0) put(LATCH_X12);
      else if (nextState === EDIFACT_0) put(LATCH_EDIFACT);
      else if (nextState === BASE256) base256Start = position;
      else if (state === BASE256) length = putBase256(chars, base256Start, position, out, length);
      else if (isEdifactState(state)) endEdifact();
      else {
        if (tripletValues === 2) putTripletValue(0); // Shift 1 pad (see padBeforeUnlatch)
        put(UNLATCH);
      }
      continue;
    }
    const c = chars[position]!;
    if (state === ASCII) {
      if (nextPosition === position + 2) putDigitPair(position);
      else putAscii(c);
    } else if (isC40(state) || isText(state)) {
      const table = isC40(state) ? C40 : TEXT;
      for (let v = 0; v < table.count[c]!; v++) putTripletValue(table.values[4 * c + v]!);
    } else if (isX12(state)) {
      putTripletValue(X12_VALUE[c]!);
    } else if (isEdifactState(state)) {
      putEdifactValue(c & 0x3f);
    }
  }

  const endState = plan.end % STATES;
  if (endState === BASE256) length = putBase256(chars, base256Start, chars.length, out, length);
  else if (isEdifactState(endState) && (groupValues > 0 || capacity - length >= 3)) endEdifact();
  else if (inTriplets(endState)) {
    if (plan.ending === 'shift-pad') putTripletValue(0);
    if (plan.ending === 'last-ascii') {
      // Rule c: no unlatch when this codeword is the symbol's last.
      if (capacity - length > 1) put(UNLATCH);
      const tail = Math.floor(plan.end / STATES);
      if (tail === chars.length - 2) putDigitPair(tail);
      else putAscii(chars[tail]!);
    } else if (capacity - length > 1) {
      // One codeword left after a triplet is read as ASCII (§5.2.5.2): the pad below suffices.
      put(UNLATCH);
    }
  }

  // §5.2.3 pad: 129, then 129 randomised by the 253-state algorithm (Annex H) of its 1-based position.
  if (length < capacity) put(PAD);
  while (length < capacity) {
    const pseudoRandom = ((149 * (length + 1)) % 253) + 1;
    const value = PAD + pseudoRandom;
    put(value <= 254 ? value : value - 254);
  }
}

/**
 * §5.2.9 Base 256: latch, length field (1 byte up to 249, else 2), the bytes; the length field
 * and the bytes are randomised by the 255-state algorithm (Annex B) of their 1-based position.
 */
function putBase256(chars: Uint8Array, from: number, to: number, out: Uint8Array, length: number): number {
  out[length++] = LATCH_BASE256;
  const count = to - from;
  const put255 = (byte: number): void => {
    const value = byte + ((149 * (length + 1)) % 255) + 1;
    out[length++] = value <= 255 ? value : value - 256;
  };
  if (count <= 249) put255(count);
  else {
    put255(249 + Math.floor(count / 250));
    put255(count % 250);
  }
  for (let i = from; i < to; i++) put255(chars[i]!);
  return length;
}

// ---------------------------------------------------------------------------------------------
// 2. Symbol attributes (§5.5, Table 7: square ECC200 symbols)
// ---------------------------------------------------------------------------------------------

interface SymbolAttributes {
  /** Modules per side, finder pattern included. */
  size: number;
  /** Data regions per side (1, 2, 4 or 6). */
  regionsPerSide: number;
  dataCodewords: number;
  /** Interleaved Reed-Solomon blocks; data codeword k belongs to block k mod blocks. */
  blocks: number;
  eccPerBlock: number;
}

const SYMBOLS: readonly SymbolAttributes[] = [
  [10, 1, 3, 1, 5], [12, 1, 5, 1, 7], [14, 1, 8, 1, 10], [16, 1, 12, 1, 12], [18, 1, 18, 1, 14],
  [20, 1, 22, 1, 18], [22, 1, 30, 1, 20], [24, 1, 36, 1, 24], [26, 1, 44, 1, 28],
  [32, 2, 62, 1, 36], [36, 2, 86, 1, 42], [40, 2, 114, 1, 48], [44, 2, 144, 1, 56], [48, 2, 174, 1, 68],
  [52, 2, 204, 2, 42], [64, 4, 280, 2, 56], [72, 4, 368, 4, 36], [80, 4, 456, 4, 48], [88, 4, 576, 4, 56],
  [96, 4, 696, 4, 68], [104, 4, 816, 6, 56], [120, 6, 1050, 6, 68], [132, 6, 1304, 8, 62], [144, 6, 1558, 10, 62],
].map(([size, regionsPerSide, dataCodewords, blocks, eccPerBlock]) => ({ size: size!, regionsPerSide: regionsPerSide!, dataCodewords: dataCodewords!, blocks: blocks!, eccPerBlock: eccPerBlock! }));

// ---------------------------------------------------------------------------------------------
// 3. Reed-Solomon error correction (§5.7, Annex E)
// ---------------------------------------------------------------------------------------------

/** GF(256) with the prime modulus polynomial x^8 + x^5 + x^3 + x^2 + 1 (0x12D), α = 2. */
const GF_EXP = new Uint8Array(512);
const GF_LOG = new Uint8Array(256);
{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    GF_EXP[i] = x;
    GF_LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= 0x12d;
  }
  for (let i = 255; i < 512; i++) GF_EXP[i] = GF_EXP[i - 255]!;
}

/** log α of the generator coefficients, highest degree first (x^(n−1) … x^0; the x^n coefficient is 1). */
const generators = new Map<number, Uint8Array>();

/** Annex E.1: g(x) = (x − α^1)(x − α^2)…(x − α^n). */
function generatorLogs(n: number): Uint8Array {
  let logs = generators.get(n);
  if (!logs) {
    // Coefficients by degree, g[k] of x^k.
    const g = new Uint8Array(n + 1);
    g[0] = 1;
    for (let i = 1; i <= n; i++) {
      // Multiply by (x + α^i): subtraction is addition (XOR) in GF(2^8).
      for (let k = i; k >= 0; k--) {
        const shifted = k > 0 ? g[k - 1]! : 0;
        const scaled = g[k] === 0 ? 0 : GF_EXP[GF_LOG[g[k]!]! + i]!;
        g[k] = shifted ^ scaled;
      }
    }
    logs = new Uint8Array(n);
    for (let j = 0; j < n; j++) logs[j] = GF_LOG[g[n - 1 - j]!]!;
    generators.set(n, logs);
  }
  return logs;
}

/**
 * Appends each block's check codewords: the remainder of data(x)·x^n divided by g(x). Blocks
 * interleave (§5.7.2): data codeword k is in block k mod B, check codeword j of block b lands
 * at `dataCodewords + j·B + b`. In 144×144 the last two blocks (8, 9) hold one data codeword
 * fewer and their check codewords lead each round (slot 0 = block 8, as readers de-interleave
 * it: ZXing, BWIPP).
 */
function addErrorCorrection(codewords: Uint8Array, symbol: SymbolAttributes): void {
  const { dataCodewords, blocks, eccPerBlock } = symbol;
  const generator = generatorLogs(eccPerBlock);
  // 144×144: the check codewords of the two shorter blocks come first in each round.
  const longerBlocks = dataCodewords % blocks;
  const firstEccBlock = longerBlocks === 0 ? 0 : longerBlocks;
  const remainder = new Uint8Array(eccPerBlock);
  for (let b = 0; b < blocks; b++) {
    remainder.fill(0);
    for (let k = b; k < dataCodewords; k += blocks) {
      const feedback = codewords[k]! ^ remainder[0]!;
      remainder.copyWithin(0, 1);
      remainder[eccPerBlock - 1] = 0;
      if (feedback !== 0) {
        const logFeedback = GF_LOG[feedback]!;
        for (let j = 0; j < eccPerBlock; j++) remainder[j]! ^= GF_EXP[logFeedback + generator[j]!]!;
      }
    }
    const slot = (b - firstEccBlock + blocks) % blocks;
    for (let j = 0; j < eccPerBlock; j++) codewords[dataCodewords + j * blocks + slot] = remainder[j]!;
  }
}

// ---------------------------------------------------------------------------------------------
// 4. Module placement (§5.8, Annex F) in the finder and alignment patterns (§5.3, §5.6)
// ---------------------------------------------------------------------------------------------

interface SymbolLayout {
  size: number;
  /** Finder and alignment patterns, and the fixed corner modules when the mapping leaves them. */
  fixed: Uint8Array;
  /** Symbol module of bit b (0 = most significant) of codeword k, at `8k + b`. */
  bitModules: Int32Array;
}

const layouts = new Map<number, SymbolLayout>();

function placeModules(codewords: Uint8Array, layout: SymbolLayout): DataMatrixSymbol {
  const modules = layout.fixed.slice();
  const bitModules = layout.bitModules;
  for (let k = 0; k < codewords.length; k++) {
    const codeword = codewords[k]!;
    if (codeword === 0) continue;
    const at = 8 * k;
    for (let bit = 0; bit < 8; bit++) if ((codeword << bit) & 0x80) modules[bitModules[at + bit]!] = 1;
  }
  return { size: layout.size, modules };
}

function layoutOf(symbol: SymbolAttributes): SymbolLayout {
  let layout = layouts.get(symbol.size);
  if (!layout) {
    layout = buildLayout(symbol);
    layouts.set(symbol.size, layout);
  }
  return layout;
}

function buildLayout({ size, regionsPerSide }: SymbolAttributes): SymbolLayout {
  const regionSize = size / regionsPerSide - 2;
  /** The mapping matrix: the data regions side by side, without their patterns. */
  const n = regionsPerSide * regionSize;
  const fixed = new Uint8Array(size * size);
  const toSymbol = (row: number, col: number): number =>
    (Math.floor(row / regionSize) * (regionSize + 2) + 1 + (row % regionSize)) * size +
    Math.floor(col / regionSize) * (regionSize + 2) + 1 + (col % regionSize);

  // §5.3 finder pattern (solid left column and bottom row, alternating top row and right column)
  // around every data region; between regions the same patterns form the alignment patterns (§5.6).
  const block = regionSize + 2;
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      const r = row % block;
      const c = col % block;
      if (c === 0 || r === block - 1 || (r === 0 && c % 2 === 0) || (c === block - 1 && r % 2 === 1)) fixed[row * size + col] = 1;
    }
  }

  // Annex F: the "utah" walk along diagonals, with four corner shapes.
  const bitModules = new Int32Array(Math.floor((n * n) / 8) * 8);
  const taken = new Uint8Array(n * n);
  let codeword = 0;
  const module = (row: number, col: number, bit: number): void => {
    if (row < 0) {
      row += n;
      col += 4 - ((n + 4) % 8);
    }
    if (col < 0) {
      col += n;
      row += 4 - ((n + 4) % 8);
    }
    taken[row * n + col] = 1;
    bitModules[8 * codeword + bit] = toSymbol(row, col);
  };
  /** Places one codeword's 8 bits, most significant first, at the given mapping-matrix cells. */
  const shape = (cells: readonly number[]): void => {
    for (let bit = 0; bit < 8; bit++) module(cells[2 * bit]!, cells[2 * bit + 1]!, bit);
    codeword++;
  };
  const utah = (r: number, c: number): void => shape([r - 2, c - 2, r - 2, c - 1, r - 1, c - 2, r - 1, c - 1, r - 1, c, r, c - 2, r, c - 1, r, c]);
  const corner1 = (): void => shape([n - 1, 0, n - 1, 1, n - 1, 2, 0, n - 2, 0, n - 1, 1, n - 1, 2, n - 1, 3, n - 1]);
  const corner2 = (): void => shape([n - 3, 0, n - 2, 0, n - 1, 0, 0, n - 4, 0, n - 3, 0, n - 2, 0, n - 1, 1, n - 1]);
  const corner3 = (): void => shape([n - 3, 0, n - 2, 0, n - 1, 0, 0, n - 2, 0, n - 1, 1, n - 1, 2, n - 1, 3, n - 1]);
  const corner4 = (): void => shape([n - 1, 0, n - 1, n - 1, 0, n - 3, 0, n - 2, 0, n - 1, 1, n - 3, 1, n - 2, 1, n - 1]);
  const free = (row: number, col: number): boolean => row >= 0 && row < n && col >= 0 && col < n && taken[row * n + col] === 0;

  let row = 4;
  let col = 0;
  do {
    if (row === n && col === 0) corner1();
    if (row === n - 2 && col === 0 && n % 4 !== 0) corner2();
    if (row === n - 2 && col === 0 && n % 8 === 4) corner3();
    if (row === n + 4 && col === 2 && n % 8 === 0) corner4();
    // Up and to the right…
    do {
      if (free(row, col)) utah(row, col);
      row -= 2;
      col += 2;
    } while (row >= 0 && col < n);
    row += 1;
    col += 3;
    // …then down and to the left.
    do {
      if (free(row, col)) utah(row, col);
      row += 2;
      col -= 2;
    } while (row < n && col >= 0);
    row += 3;
    col += 1;
  } while (row < n || col < n);

  // Annex F.3: when the walk leaves the bottom-right 2×2 corner unused, it is fixed dark/light/light/dark.
  if (!taken[n * n - 1]) {
    fixed[toSymbol(n - 1, n - 1)] = 1;
    fixed[toSymbol(n - 2, n - 2)] = 1;
  }
  return { size, fixed, bitModules };
}
