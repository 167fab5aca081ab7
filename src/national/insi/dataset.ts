/**
 * The identities the INSi sandbox knows.
 *
 * 1. Every public test identity of identity.md §6.5 (CNAM live test base and CNDA canned
 *    cases), with the outcome the real service gives: ADRUN ZOE, ADRTROIS DOMINIQUE and
 *    TOUSSAINT, TCHITCHI CATARINA (OLA → 01), ECETINSI PIERRE-ALAIN (INSHISTO), CORSE ANTHONY,
 *    HERMANN GATIEN (wrong key kept as is), PROVISOIRE MATRICULE (NIA), NESSI MICHELANGELO,
 *    HOUILLES (absent: 01 for every prénom), DE VINCI LEONARDO (two homonyms: 02).
 * 2. PAT-TROIS DOMINIQUE, the ANS DMP test patient (OID .10), so that the demo can qualify the
 *    patient used with the DMP sandbox.
 * 3. A deterministic generated population (seeded PRNG): `generateIdentities(count, seed)`,
 *    default 300 identities with seed `SANDBOX_SEED`, valid keys, OID .10 (INS-NIR test) so that
 *    none can be mistaken for a real person. List them with
 *    `npx tsx -e "import('./src/national/insi/index.ts').then(m => console.table(m.sandboxDataset().map(m.describeSandboxIdentity)))"`.
 *
 * Matching rule (sandbox): birth name, sex and birth date equal; the requested prénom(s),
 * space-joined, equal the first prénom or the whole list; the birthplace, when sent, equals.
 * 0 match → 01, 1 → 00, 2 or more → 02.
 */
import { computeKey, INS_OID } from '../../formats/ins/index.ts';
import type { TraitsQuery, VitaleQuery } from './wire.ts';

export interface SandboxIns {
  /** 15 characters (13 + key as the service returns it, even when the key is wrong). */
  matricule: string;
  oid: string;
  start?: string;
  end?: string;
}

export interface SandboxIdentity extends SandboxIns {
  birthName: string;
  /** ListePrenom: space-separated birth prénoms. */
  birthGivenNames: string;
  sex: 'M' | 'F';
  birthDate: string;
  birthplace?: string;
  history?: SandboxIns[];
  /** Where the identity comes from (identity.md row, or `generated`). */
  source: string;
}

/** Public test identities (identity.md §6.5). */
export const PUBLIC_TEST_IDENTITIES: readonly SandboxIdentity[] = [
  { birthName: 'ADRUN', birthGivenNames: 'ZOE', sex: 'F', birthDate: '1975-12-31', birthplace: '63220', matricule: '275126322074974', oid: INS_OID.nir, source: 'identity.md §6.5 (live)' },
  { birthName: 'ADRTROIS', birthGivenNames: 'DOMINIQUE', sex: 'F', birthDate: '1997-02-26', birthplace: '2A020', matricule: '297022A02077878', oid: INS_OID.nir, source: 'identity.md §6.5 (live)' },
  { birthName: 'ADRTROIS', birthGivenNames: 'TOUSSAINT', sex: 'M', birthDate: '1960-01-01', birthplace: '2B020', matricule: '160012B02077713', oid: INS_OID.nir, source: 'identity.md §6.5 (live)' },
  // TCHITCHI OLA (01): OLA is not a prénom of this identity, so it finds nothing.
  { birthName: 'TCHITCHI', birthGivenNames: 'CATARINA BELLA', sex: 'F', birthDate: '1936-06-21', birthplace: '63220', matricule: '236066322083656', oid: INS_OID.nir, source: 'identity.md §6.5 (live)' },
  {
    birthName: 'ECETINSI', birthGivenNames: 'PIERRE-ALAIN MURIEL FLORIANT', sex: 'M', birthDate: '2009-07-14', birthplace: '63220',
    matricule: '109076322083489', oid: INS_OID.nir, source: 'identity.md §6.5; TEST_2.04_cas2.xml',
    history: [
      // DateDeb after DateFin, as in the CNDA case: clients must tolerate it.
      { matricule: '209076322083439', oid: INS_OID.nir, start: '2019-03-01', end: '2019-02-28' },
      { matricule: '209066322012355', oid: INS_OID.nir },
    ],
  },
  {
    birthName: 'CORSE', birthGivenNames: 'ANTHONY', sex: 'M', birthDate: '1980-03-02', birthplace: '2B020',
    matricule: '180032B02040123', oid: INS_OID.nir, source: 'identity.md §6.5; TEST_2.08_cas1.xml',
    history: [{ matricule: '180032B02040123', oid: INS_OID.nir }],
  },
  {
    // Wrong keys (76 and 26 expected) are kept: the CNDA case carries them.
    birthName: 'HERMANN', birthGivenNames: 'GATIEN', sex: 'M', birthDate: '1981-03-24', birthplace: '63220',
    matricule: '181036322045660', oid: INS_OID.nir, source: 'identity.md §6.5; TEST_2.08_cas2.xml',
    history: [{ matricule: '181036322045660', oid: INS_OID.nir }, { matricule: '281036322045610', oid: INS_OID.nir }],
  },
  { birthName: 'PROVISOIRE', birthGivenNames: 'MATRICULE', sex: 'M', birthDate: '2009-07-01', birthplace: '63220', matricule: '109076322088835', oid: INS_OID.nia, source: 'identity.md §6.5; TEST_2.05.xml (NIA)' },
  { birthName: 'NESSI', birthGivenNames: 'MICHELANGELO ANTHONY', sex: 'M', birthDate: '2010-08-07', birthplace: '63220', matricule: '110086322083060', oid: INS_OID.nir, source: 'identity.md §6.5' },
  // HOUILLES PIERRE PAUL JACQUES M 1993-01-27: deliberately absent (01 on all four calls).
  // DE VINCI LEONARDO M 2014-02-01 → 02 on the live base. The base's homonyms are not public:
  // the sandbox holds two (invented matricules, valid keys) that differ by prénom list and
  // birthplace, so that adding the birthplace or all prénoms narrows the search to one.
  { birthName: 'DE VINCI', birthGivenNames: 'LEONARDO', sex: 'M', birthDate: '2014-02-01', birthplace: '99127', matricule: sandboxMatricule('1140299127001'), oid: INS_OID.nir, source: 'identity.md §6.5 (02, sandbox homonym 1)' },
  { birthName: 'DE VINCI', birthGivenNames: 'LEONARDO PIERO', sex: 'M', birthDate: '2014-02-01', birthplace: '63220', matricule: sandboxMatricule('1140263220002'), oid: INS_OID.nir, source: 'identity.md §6.5 (02, sandbox homonym 2)' },
  // ANS DMP test patient (identity.md §6.5, fixtures README): traits as in the HL7 v2 examples.
  { birthName: 'PAT-TROIS', birthGivenNames: 'DOMINIQUE', sex: 'F', birthDate: '1979-03-28', birthplace: '63220', matricule: '279035121518989', oid: INS_OID.test, source: 'ANS DMP test patient (HL7 v2 examples)' },
];

function sandboxMatricule(number: string): string {
  return number + (computeKey(number) ?? '00');
}

/** Seed of the default generated population. */
export const SANDBOX_SEED = 20_250_101;
export const SANDBOX_GENERATED_COUNT = 300;

/** mulberry32: a tiny deterministic PRNG (public-domain algorithm). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const SURNAMES = [
  'MARTIN', 'BERNARD', 'THOMAS', 'PETIT', 'ROBERT', 'RICHARD', 'DURAND', 'DUBOIS', 'MOREAU', 'LAURENT',
  'SIMON', 'MICHEL', 'LEFEBVRE', 'LEROY', 'ROUX', 'DAVID', 'BERTRAND', 'MOREL', 'FOURNIER', 'GIRARD',
  'BONNET', 'DUPONT', 'LAMBERT', 'FONTAINE', 'ROUSSEAU', 'VINCENT', 'MULLER', 'LEFEVRE', 'FAURE', 'ANDRE',
  'MERCIER', 'BLANC', 'GUERIN', 'BOYER', 'GARNIER', 'CHEVALIER', 'FRANCOIS', 'LEGRAND', 'GAUTHIER', 'GARCIA',
  "D'ALMEIDA", 'LE GOFF', 'MARTIN--DURAND', 'SAINT-JEAN', 'N\'DIAYE',
];
const MALE = ['JEAN', 'PIERRE', 'MICHEL', 'ANDRE', 'PHILIPPE', 'LOUIS', 'NICOLAS', 'THOMAS', 'LUCAS', 'HUGO', 'JULIEN', 'ANTOINE', 'PAUL', 'JEAN-PIERRE', 'MARC', 'YANNICK', 'KARIM', 'MOHAMED', 'GABRIEL', 'RAPHAEL'];
const FEMALE = ['MARIE', 'JEANNE', 'FRANCOISE', 'MONIQUE', 'CATHERINE', 'NATHALIE', 'ISABELLE', 'SYLVIE', 'EMMA', 'LEA', 'CHLOE', 'CAMILLE', 'MARIE-CLAIRE', 'ANNE', 'SOPHIE', 'FATIMA', 'INES', 'JADE', 'LOUISE', 'ROSE'];
/** Birthplaces: COG of communes (Paris, Lyon, Marseille, Toulouse, Clermont-Ferrand, Ajaccio, Bastia…) and countries (99xxx). */
const BIRTHPLACES = ['75056', '69123', '13055', '31555', '63113', '33063', '59350', '67482', '44109', '35238', '2A004', '2B033', '97411', '99134', '99350', '99109'];

/** Deterministic identities with valid keys and OID .10; same seed and count → same list. */
export function generateIdentities(count = SANDBOX_GENERATED_COUNT, seed = SANDBOX_SEED, reserved: readonly SandboxIdentity[] = PUBLIC_TEST_IDENTITIES): SandboxIdentity[] {
  const random = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const taken = new Set(reserved.map(matchKey));
  const numbers = new Set(reserved.map((r) => r.matricule.slice(0, 13)));
  const out: SandboxIdentity[] = [];
  for (let attempts = 0; out.length < count && attempts < count * 20; attempts++) {
    const sex: 'M' | 'F' = random() < 0.5 ? 'M' : 'F';
    const names = sex === 'M' ? MALE : FEMALE;
    const givenCount = 1 + Math.floor(random() * 3);
    const given: string[] = [];
    while (given.length < givenCount) {
      const g = pick(names);
      if (!given.includes(g)) given.push(g);
    }
    const year = 1930 + Math.floor(random() * 94);
    const month = 1 + Math.floor(random() * 12);
    const day = 1 + Math.floor(random() * 28);
    const birthplace = pick(BIRTHPLACES);
    const order = String(1 + Math.floor(random() * 999)).padStart(3, '0');
    const number = `${sex === 'M' ? 1 : 2}${String(year % 100).padStart(2, '0')}${String(month).padStart(2, '0')}${birthplace}${order}`;
    const identity: SandboxIdentity = {
      birthName: pick(SURNAMES),
      birthGivenNames: given.join(' '),
      sex,
      birthDate: `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`,
      birthplace,
      matricule: sandboxMatricule(number),
      oid: INS_OID.test,
      source: `generated (seed ${seed})`,
    };
    const key = matchKey(identity);
    if (taken.has(key) || numbers.has(number)) continue;
    taken.add(key);
    numbers.add(number);
    out.push(identity);
  }
  return out;
}

/** Identities sharing this key would be homonyms for a one-prénom search. */
const matchKey = (i: SandboxIdentity): string => `${i.birthName}|${i.birthGivenNames.split(' ')[0]}|${i.sex}|${i.birthDate}`;

export interface DatasetOptions {
  /** Extra identities (added after the public ones). */
  identities?: readonly SandboxIdentity[];
  /** Generated population; `false` for none. Default `{ count: 300, seed: SANDBOX_SEED }`. */
  generated?: { count?: number; seed?: number } | false;
}

/** The full sandbox dataset: public test identities, extras, generated population. */
export function sandboxDataset(options: DatasetOptions = {}): SandboxIdentity[] {
  const base = [...PUBLIC_TEST_IDENTITIES, ...(options.identities ?? [])];
  const generated = options.generated === false ? [] : generateIdentities(options.generated?.count, options.generated?.seed, base);
  return [...base, ...generated];
}

/** One line per identity, for listings and demos (sandbox data only: fictitious people). */
export const describeSandboxIdentity = (i: SandboxIdentity): Record<string, string> => ({
  nom: i.birthName, prenoms: i.birthGivenNames, sexe: i.sex, naissance: i.birthDate, lieu: i.birthplace ?? '', ins: i.matricule, oid: i.oid, source: i.source,
});

const norm = (s: string): string => s.trim().replace(/\s+/g, ' ').toUpperCase();

/** Sandbox matching rule for a RECSANSVITALE (see module comment). */
export function matchTraits(dataset: readonly SandboxIdentity[], query: TraitsQuery): SandboxIdentity[] {
  const requested = norm(query.givenNames.join(' '));
  const name = norm(query.birthName);
  return dataset.filter((i) => {
    if (norm(i.birthName) !== name || i.sex !== query.sex || i.birthDate !== query.birthDate) return false;
    const list = norm(i.birthGivenNames);
    if (requested !== list && requested !== list.split(' ')[0]) return false;
    if (query.birthplace && norm(query.birthplace) !== (i.birthplace ?? '')) return false;
    return true;
  });
}

/** Sandbox rule for a RECVITALE: the beneficiary's matricule, then birth date (and name when sent). */
export function matchVitale(dataset: readonly SandboxIdentity[], query: VitaleQuery): SandboxIdentity[] {
  const number = query.matricule.number.toUpperCase();
  return dataset.filter((i) => {
    if (i.matricule.slice(0, 13) !== number) return false;
    if (query.matricule.key && i.matricule.slice(13) !== query.matricule.key) return false;
    if (i.birthDate !== query.birthDate) return false;
    if (query.birthName && norm(query.birthName) !== norm(i.birthName)) return false;
    return true;
  });
}
