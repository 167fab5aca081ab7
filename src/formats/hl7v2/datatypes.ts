/**
 * Readers for the composite data types used by PAM FR (HL7 v2.5 ch. 2A; IHE France DT):
 * HD, CX, XPN, XAD, XON, XCN, EI, CWE, PL. Each takes the raw text of one repetition.
 */
import type { EncodingCharacters } from './encoding.ts';
import { unescape } from './escape.ts';
import { nth } from './segment.ts';

/** Unescaped component `i` (1-based, whole component text) of a raw repetition. */
export const component = (raw: string, i: number, enc: EncodingCharacters): string =>
  unescape(nth(raw, enc.component, i), enc);

/** Unescaped subcomponent `j` of component `i`. */
export const subcomponent = (raw: string, i: number, j: number, enc: EncodingCharacters): string =>
  unescape(nth(nth(raw, enc.component, i), enc.subcomponent, j), enc);

const opt = (value: string): string | undefined => (value === '' ? undefined : value);

/** HD: namespace id, universal id (OID), universal id type (ISO, M, N, L…). */
export interface HD {
  namespace?: string;
  universalId?: string;
  universalIdType?: string;
}

/** HD stored in a component (subcomponents) or in a whole field/repetition (components). */
export function readHd(raw: string, enc: EncodingCharacters, asSubcomponents: boolean): HD {
  const sep = asSubcomponents ? enc.subcomponent : enc.component;
  const hd: HD = {};
  const ns = opt(unescape(nth(raw, sep, 1), enc));
  const id = opt(unescape(nth(raw, sep, 2), enc));
  const type = opt(unescape(nth(raw, sep, 3), enc));
  if (ns !== undefined) hd.namespace = ns;
  if (id !== undefined) hd.universalId = id;
  if (type !== undefined) hd.universalIdType = type;
  return hd;
}

/** CX: identifier with its assigning authority (CX-4) and type (CX-5: PI, INS, NH, AN, VN…). */
export interface CX {
  id: string;
  authority: HD;
  type?: string;
  facility?: HD;
  /** CX-7 (PAM FR: empty for INS; the ANS examples carry a date there). */
  effectiveDate?: string;
  expirationDate?: string;
}

export function readCx(raw: string, enc: EncodingCharacters): CX {
  const cx: CX = { id: component(raw, 1, enc), authority: readHd(nth(raw, enc.component, 4), enc, true) };
  const type = opt(component(raw, 5, enc));
  if (type !== undefined) cx.type = type;
  const facilityRaw = nth(raw, enc.component, 6);
  if (facilityRaw !== '') cx.facility = readHd(facilityRaw, enc, true);
  const effective = opt(component(raw, 7, enc));
  if (effective !== undefined) cx.effectiveDate = effective;
  const expiration = opt(component(raw, 8, enc));
  if (expiration !== undefined) cx.expirationDate = expiration;
  return cx;
}

/** XPN: family name, XPN-2 premier prénom, XPN-3 list of prénoms, XPN-5 civilité, XPN-7 type. */
export interface XPN {
  family: string;
  given: string;
  /** XPN-3: further given names (PAM FR: the full list of prénoms de naissance). */
  secondGiven: string;
  suffix: string;
  prefix: string;
  degree: string;
  type: string;
}

export function readXpn(raw: string, enc: EncodingCharacters): XPN {
  return {
    family: subcomponent(raw, 1, 1, enc),
    given: component(raw, 2, enc),
    secondGiven: component(raw, 3, enc),
    suffix: component(raw, 4, enc),
    prefix: component(raw, 5, enc),
    degree: component(raw, 6, enc),
    type: component(raw, 7, enc),
  };
}

/** XAD: street, other designation, city, state, zip, country, type (H, BDL…), county/parish (COG). */
export interface XAD {
  street: string;
  otherDesignation: string;
  city: string;
  state: string;
  postalCode: string;
  country: string;
  type: string;
  otherGeographic: string;
  /** XAD-9: county/parish code — PAM FR: COG of the birthplace (BDL). */
  countyParish: string;
}

export function readXad(raw: string, enc: EncodingCharacters): XAD {
  return {
    street: subcomponent(raw, 1, 1, enc),
    otherDesignation: component(raw, 2, enc),
    city: component(raw, 3, enc),
    state: component(raw, 4, enc),
    postalCode: component(raw, 5, enc),
    country: component(raw, 6, enc),
    type: component(raw, 7, enc),
    otherGeographic: component(raw, 8, enc),
    countyParish: component(raw, 9, enc),
  };
}

/** XON: organisation name, type code (XON-7), identifier (XON-10: PAM FR UF code). */
export interface XON {
  name: string;
  authority: HD;
  typeCode: string;
  identifier: string;
}

export function readXon(raw: string, enc: EncodingCharacters): XON {
  return {
    name: component(raw, 1, enc),
    authority: readHd(nth(raw, enc.component, 6), enc, true),
    typeCode: component(raw, 7, enc),
    identifier: component(raw, 10, enc) || component(raw, 3, enc),
  };
}

/** XCN: person (practitioner) identifier and name. */
export interface XCN {
  id: string;
  family: string;
  given: string;
  prefix: string;
  authority: HD;
  nameType: string;
  identifierType: string;
}

export function readXcn(raw: string, enc: EncodingCharacters): XCN {
  return {
    id: component(raw, 1, enc),
    family: subcomponent(raw, 2, 1, enc),
    given: component(raw, 3, enc),
    prefix: component(raw, 6, enc),
    authority: readHd(nth(raw, enc.component, 9), enc, true),
    nameType: component(raw, 10, enc),
    identifierType: component(raw, 13, enc),
  };
}

/** EI: entity identifier, namespace, universal id, type. */
export interface EI {
  id: string;
  namespace: string;
  universalId: string;
  universalIdType: string;
}

export function readEi(raw: string, enc: EncodingCharacters): EI {
  return {
    id: component(raw, 1, enc),
    namespace: component(raw, 2, enc),
    universalId: component(raw, 3, enc),
    universalIdType: component(raw, 4, enc),
  };
}

/** CWE / CE: code, text, coding system. */
export interface CWE {
  code: string;
  text: string;
  codingSystem: string;
}

export function readCwe(raw: string, enc: EncodingCharacters): CWE {
  return { code: component(raw, 1, enc), text: component(raw, 2, enc), codingSystem: component(raw, 3, enc) };
}

/** PL: point of care, room, bed, facility (HD), status, … */
export interface PL {
  pointOfCare: string;
  room: string;
  bed: string;
  facility: HD;
  status: string;
}

export function readPl(raw: string, enc: EncodingCharacters): PL {
  return {
    pointOfCare: component(raw, 1, enc),
    room: component(raw, 2, enc),
    bed: component(raw, 3, enc),
    facility: readHd(nth(raw, enc.component, 4), enc, true),
    status: component(raw, 5, enc),
  };
}
