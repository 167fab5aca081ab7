/**
 * The sRGB ICC profile of the PDF/A output intent (ISO 19005-2 §6.2.3: a device-dependent
 * colour space — our DeviceRGB — needs an output intent with an ICC profile of the same
 * colour space).
 *
 * Built from its definition rather than shipped as a file: an ICC.1 version 2.1 display
 * profile ('mntr', RGB → PCSXYZ) of the matrix/TRC kind, with
 * - the sRGB primaries of IEC 61966-2-1 adapted to the D50 PCS illuminant (Bradford), as the
 *   colorant tags rXYZ/gXYZ/bXYZ (they add up to D50, the PCS white);
 * - the sRGB transfer function (linear below 0.04045, then a 2.4 power) sampled at 1,024
 *   points as one `curv` shared by rTRC/gTRC/bTRC;
 * - the D65 media white of sRGB (wtpt), a description and a copyright text.
 * Layout per ICC.1:2001-04: 128-byte header, tag table, tag data on 4-byte boundaries.
 */

const D50 = [0.9642, 1.0, 0.8249] as const;
const D65 = [0.9505, 1.0, 1.089] as const;
/** IEC 61966-2-1 primaries, Bradford-adapted to D50 (columns of the RGB → XYZ matrix). */
const COLORANTS = {
  rXYZ: [0.4361, 0.2225, 0.0139],
  gXYZ: [0.3851, 0.7169, 0.0971],
  bXYZ: [0.1431, 0.0606, 0.7141],
} as const;
const CURVE_POINTS = 1024;
const DESCRIPTION = 'sRGB IEC61966-2.1';
const COPYRIGHT = 'No copyright, use freely';

/** The sRGB decoding function (IEC 61966-2-1 §5.2). */
export const srgbToLinear = (c: number): number => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);

const ascii = (text: string): number[] => Array.from(text, (c) => c.charCodeAt(0));
const u32 = (n: number): number[] => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
const u16 = (n: number): number[] => [(n >>> 8) & 0xff, n & 0xff];
const s15Fixed16 = (v: number): number[] => u32(Math.round(v * 65536) >>> 0);

const xyzType = (xyz: readonly number[]): number[] => [...ascii('XYZ '), 0, 0, 0, 0, ...xyz.flatMap(s15Fixed16)];

function curveType(): number[] {
  const out = [...ascii('curv'), 0, 0, 0, 0, ...u32(CURVE_POINTS)];
  for (let i = 0; i < CURVE_POINTS; i += 1) out.push(...u16(Math.round(srgbToLinear(i / (CURVE_POINTS - 1)) * 65535)));
  return out;
}

const textType = (text: string): number[] => [...ascii('text'), 0, 0, 0, 0, ...ascii(text), 0];

/** textDescriptionType (ICC.1:2001 §6.5.16): ASCII part, empty Unicode and ScriptCode parts. */
const descriptionType = (text: string): number[] => [
  ...ascii('desc'), 0, 0, 0, 0, ...u32(text.length + 1), ...ascii(text), 0,
  ...u32(0), ...u32(0), ...u16(0), 0, ...new Array<number>(67).fill(0),
];

function buildProfile(): Uint8Array {
  const curve = curveType();
  const tags: Array<[string, number[]]> = [
    ['desc', descriptionType(DESCRIPTION)],
    ['cprt', textType(COPYRIGHT)],
    ['wtpt', xyzType(D65)],
    ['rXYZ', xyzType(COLORANTS.rXYZ)],
    ['gXYZ', xyzType(COLORANTS.gXYZ)],
    ['bXYZ', xyzType(COLORANTS.bXYZ)],
    ['rTRC', curve],
    ['gTRC', curve],
    ['bTRC', curve],
  ];
  const tableLength = 4 + 12 * tags.length;
  const table: number[] = u32(tags.length);
  const data: number[] = [];
  const placed = new Map<number[], number>();
  for (const [signature, body] of tags) {
    let offset = placed.get(body);
    if (offset === undefined) {
      while (data.length % 4 !== 0) data.push(0);
      offset = 128 + tableLength + data.length;
      data.push(...body);
      placed.set(body, offset);
    }
    table.push(...ascii(signature), ...u32(offset), ...u32(body.length));
  }
  while (data.length % 4 !== 0) data.push(0);
  const size = 128 + tableLength + data.length;
  const header = [
    ...u32(size), ...u32(0), ...u32(0x02100000), ...ascii('mntr'), ...ascii('RGB '), ...ascii('XYZ '),
    // Creation date 2026-11-30 00:00:00.
    ...u16(2026), ...u16(11), ...u16(30), ...u16(0), ...u16(0), ...u16(0),
    ...ascii('acsp'), ...u32(0), ...u32(0), ...u32(0), ...u32(0), ...u32(0), ...u32(0),
    ...u32(0), ...D50.flatMap(s15Fixed16), ...u32(0),
  ];
  while (header.length < 128) header.push(0);
  return Uint8Array.from([...header, ...table, ...data]);
}

let profile: Uint8Array | undefined;

/** The profile bytes (built once per process). */
export function srgbProfile(): Uint8Array {
  profile ??= buildProfile();
  return profile;
}
