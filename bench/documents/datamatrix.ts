/**
 * DataMatrix INS symbols per second: our ECC200 encoder against bwip-js (the reference it
 * replaced, kept as a test dependency), on the same payloads in the same run. Each encoder
 * gets the same set of distinct INS payloads (a different patient every symbol, header in C40),
 * after an unmeasured warm-up.
 *
 *   npx tsx bench/documents/datamatrix.ts
 */
import bwipjs from 'bwip-js';
import { pathToFileURL } from 'node:url';
import { encodeEcc200 } from '../../src/formats/datamatrix/ecc200.ts';
import { encodeInsPayload, INS_DATAMATRIX_HEADER } from '../../src/formats/datamatrix/payload.ts';
import { computeKey } from '../../src/formats/ins/matricule.ts';
import { INS_OID } from '../../src/formats/ins/oid.ts';
import { fmt } from '../support/stats.ts';

const NAMES = ['MARTIN', 'BERNARD', "D'ARTAGNAN", 'DE LA TOUR-MAUBOURG', 'NGUYEN', 'PAT-TROIS', 'LE GOFF--KERBRAT'];
const GIVEN = ['DOMINIQUE', 'JEAN-MARIE PAUL', 'ZOE', 'PIERRE-ALAIN MURIEL FLORIANT', 'ANNE'];

/** `count` distinct, valid INS payloads. */
function payloads(count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const number = `${1 + (i % 2)}${String(50 + (i % 50)).padStart(2, '0')}${String(1 + (i % 12)).padStart(2, '0')}63220${String(i % 1000).padStart(3, '0')}`;
    const payload = encodeInsPayload({
      matricule: number + computeKey(number), oid: i % 3 === 0 ? INS_OID.nir : INS_OID.test,
      birthName: NAMES[i % NAMES.length]!, birthGivenNames: GIVEN[i % GIVEN.length]!, sex: i % 2 ? 'M' : 'F',
      birthDate: `19${String(50 + (i % 50))}-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`,
      birthplace: i % 4 === 0 ? undefined : '63220',
    });
    if (!payload.ok) throw new Error(`${payload.error.field}: ${payload.error.rule}`);
    out.push(payload.value);
  }
  return out;
}

function rate(label: string, inputs: string[], seconds: number, encode: (payload: string) => number): number {
  for (let i = 0; i < Math.min(200, inputs.length); i++) encode(inputs[i]!);
  let count = 0;
  let checksum = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  while (performance.now() < until) {
    for (let i = 0; i < 100; i++) checksum += encode(inputs[count++ % inputs.length]!);
  }
  const perSecond = count / ((performance.now() - started) / 1000);
  console.log(`  ${label.padEnd(28)} ${fmt(perSecond).padStart(9)} symbols/s  ${fmt(1000 / perSecond, 4)} ms/symbol  (${count} symbols, checksum ${checksum})`);
  return perSecond;
}

export function runDataMatrixBench(): void {
  const inputs = payloads(1000);
  const header = INS_DATAMATRIX_HEADER.length;
  console.log('\nDataMatrix INS symbol (ECC200, square, 26-character header in C40), distinct payloads:');
  const ours = rate('ours (ecc200.ts)', inputs, 2, (payload) => {
    const symbol = encodeEcc200(payload, { c40HeaderLength: header });
    if (!symbol.ok) throw new Error(symbol.error.rule);
    return symbol.value.size;
  });
  const reference = rate('bwip-js raw (reference)', inputs, 2, (payload) => {
    const [raw] = bwipjs.raw({ bcid: 'datamatrix', text: payload, format: 'square', c40headerlength: header } as bwipjs.RenderOptions);
    return raw && 'pixx' in raw ? raw.pixx : 0;
  });
  console.log(`  ours / bwip-js: ×${fmt(ours / reference, 0)}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) runDataMatrixBench();
