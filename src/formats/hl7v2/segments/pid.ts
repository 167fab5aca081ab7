/**
 * PID — patient identification per IHE PAM FR 2.11 §6.6 (identity.md §7.3–7.4).
 *
 * PID-3 carries the IPP (CX-5 `PI`) and, for a qualified identity only, the INS (CX-5 `INS`,
 * CX-4 `ASIP-SANTE-INS-NIR&<OID>&ISO`). The reader reports every INS with its key check
 * (a wrong key is a warning, per the receipt rule) but never drops it: the identity module
 * applies "INS without PID-32 = VALI is discarded" (see `insIsUsable`).
 * Lenient with the ANS examples: CX-7 on the INS and PID-25 = 1 are accepted.
 */
import { checkMatriculeOnReceipt, isInsOid } from '../../ins/index.ts';
import { component, readCx, readXad, readXpn, type CX, type XAD, type XPN } from '../datatypes.ts';
import { hl7DateToIso } from '../datetime.ts';
import { error, warning, type Issue } from '../issue.ts';
import type { Segment } from '../segment.ts';

export type IdentityStatus = 'PROV' | 'VALI';
export type IdentityAttribute = 'DOUT' | 'FICT' | 'HOMA' | 'HOMD';
const ATTRIBUTES: ReadonlySet<string> = new Set(['DOUT', 'FICT', 'HOMA', 'HOMD']);

export interface InsIdentifier {
  /** The 15 characters (upper-cased, trimmed). */
  matricule: string;
  /** CX-4.2 */
  oid: string;
  /** CX-4.1 (ASIP-SANTE-INS-NIR / -NIA). */
  namespace: string;
  keyValid: boolean;
  /** 1-based repetition of PID-3. */
  repetition: number;
}

export interface Pid {
  /** All PID-3 repetitions, as read. */
  identifiers: CX[];
  /** The first identifier with CX-5 = PI (the IPP). */
  ipp?: CX;
  /** Well-formed INS identifiers (CX-5 = INS), key checked. */
  ins: InsIdentifier[];
  /** True when PID-3 holds an INS whose id is the HL7 null `""` (A47: delete the INS). */
  insNullified: boolean;
  names: XPN[];
  /** PID-5 repetition of type L (nom de naissance). */
  birthName?: XPN;
  /** PID-5 repetition of type D (nom utilisé). */
  usedName?: XPN;
  /** PID-7 raw and as ISO date. */
  birthDateRaw: string;
  birthDate?: string;
  /** PID-8: F, M, U (or whatever was sent). */
  sex: string;
  addresses: XAD[];
  /** PID-11 repetition of type BDL and its XAD-9 COG. */
  birthplace?: XAD;
  birthplaceCog?: string;
  /** First PID-11 repetition of type H (or untyped). */
  homeAddress?: XAD;
  /** PID-18: NDA (numéro de dossier administratif). */
  accountNumber?: CX;
  /** PID-21 */
  mothersIdentifiers: CX[];
  /** PID-24 / PID-25 */
  multipleBirth: string;
  birthOrder: string;
  /** PID-26 first repetition (ISO alpha-3). */
  citizenship: string;
  /** PID-29 / PID-30 */
  deathDateTime: string;
  deathIndicator: string;
  /** PID-32 repetition 1 when PROV/VALI (undefined when absent: treat as PROV). */
  status?: IdentityStatus;
  attributes: IdentityAttribute[];
  /** PID-32 codes as sent. */
  reliabilityCodes: string[];
  /** PID-33 */
  lastUpdateDateTime: string;
  issues: Issue[];
}

export function readPid(segment: Segment): Pid {
  const enc = segment.encoding;
  const issues: Issue[] = [];
  const identifiers = segment.repetitions(3).map((r) => readCx(r, enc));
  const ins: InsIdentifier[] = [];
  let insNullified = false;
  let ipp: CX | undefined;
  identifiers.forEach((cx, index) => {
    const rep = index + 1;
    const where = `PID-3[${rep}]`;
    if (cx.type === 'PI' && ipp === undefined && cx.id !== '') ipp = cx;
    if (cx.type !== 'INS') return;
    if (cx.id === '""') {
      insNullified = true;
      return;
    }
    const oid = cx.authority.universalId ?? '';
    if (oid === '') {
      issues.push(error(`${where}.4.2`, 'an INS needs the OID of its assigning authority'));
      return;
    }
    if (!isInsOid(oid)) issues.push(warning(`${where}.4.2`, `OID ${oid} is not an INS authority (1.2.250.1.213.1.4.8/.9/.10/.11)`));
    const checked = checkMatriculeOnReceipt(cx.id, `${where}.1`);
    if (!checked.ok) {
      issues.push(error(checked.error.field, checked.error.rule));
      return;
    }
    if (checked.value.warning !== undefined) {
      const w = checked.value.warning;
      const colon = w.indexOf(': ');
      issues.push(warning(`${where}.1`, colon >= 0 ? w.slice(colon + 2) : w));
    }
    if (cx.effectiveDate !== undefined || cx.expirationDate !== undefined) {
      issues.push(warning(`${where}.7`, 'CX-7/CX-8 should be empty for an INS (accepted)'));
    }
    const m = checked.value.matricule;
    ins.push({ matricule: m.value, oid, namespace: cx.authority.namespace ?? '', keyValid: m.keyValid, repetition: rep });
  });
  if (identifiers.length === 0) issues.push(error('PID-3', 'at least one patient identifier is required'));

  const names = segment.repetitions(5).map((r) => readXpn(r, enc));
  const addresses = segment.repetitions(11).map((r) => readXad(r, enc));
  const birthDateRaw = segment.value(7);
  const codes = segment.repetitions(32).map((r) => component(r, 1, enc));

  const pid: Pid = {
    identifiers,
    ins,
    insNullified,
    names,
    birthDateRaw,
    sex: segment.value(8),
    addresses,
    mothersIdentifiers: segment.repetitions(21).map((r) => readCx(r, enc)),
    multipleBirth: segment.value(24),
    birthOrder: segment.value(25),
    citizenship: segment.value(26),
    deathDateTime: segment.value(29),
    deathIndicator: segment.value(30),
    attributes: [],
    reliabilityCodes: codes,
    lastUpdateDateTime: segment.value(33),
    issues,
  };
  if (ipp !== undefined) pid.ipp = ipp;
  const birthName = names.find((n) => n.type === 'L');
  if (birthName !== undefined) pid.birthName = birthName;
  const usedName = names.find((n) => n.type === 'D');
  if (usedName !== undefined) pid.usedName = usedName;
  for (const n of names) {
    if (n.type !== '' && !['L', 'D', 'S', 'U'].includes(n.type)) issues.push(warning('PID-5.7', `name type must be L, D, S or U, got "${n.type}"`));
  }
  if (birthDateRaw !== '') {
    const iso = hl7DateToIso(birthDateRaw);
    if (iso === undefined) issues.push(error('PID-7', `birth date must be YYYYMMDD, got "${birthDateRaw}"`));
    else pid.birthDate = iso;
  }
  if (pid.sex !== '' && !['F', 'M', 'U'].includes(pid.sex)) issues.push(warning('PID-8', `sex must be F, M or U, got "${pid.sex}"`));
  const birthplace = addresses.find((a) => a.type === 'BDL');
  if (birthplace !== undefined) {
    pid.birthplace = birthplace;
    if (birthplace.countyParish !== '') pid.birthplaceCog = birthplace.countyParish;
  }
  const home = addresses.find((a) => a.type === 'H') ?? addresses.find((a) => a.type === '' && (a.street !== '' || a.city !== '' || a.postalCode !== ''));
  if (home !== undefined) pid.homeAddress = home;
  const account = segment.repetitions(18)[0];
  if (account !== undefined) pid.accountNumber = readCx(account, enc);

  codes.forEach((code, i) => {
    if (code === 'PROV' || code === 'VALI') {
      if (i === 0) pid.status = code;
      else issues.push(warning(`PID-32[${i + 1}]`, `status ${code} must be the first repetition`));
    } else if (ATTRIBUTES.has(code)) {
      pid.attributes.push(code as IdentityAttribute);
    } else if (code !== '') {
      issues.push(warning(`PID-32[${i + 1}]`, `unknown identity reliability code "${code}" (PROV, VALI, DOUT, FICT, HOMA, HOMD)`));
    }
  });
  if (pid.status === undefined) {
    issues.push(warning('PID-32', codes.length === 0 ? 'identity status missing: read as PROV' : 'first repetition must be PROV or VALI: status read as PROV'));
  }
  return pid;
}

/**
 * PAM FR receipt rule (§6.6.15): an INS may be kept only when PID-32 says VALI (qualified
 * identity at the sender). Also requires one well-formed INS.
 */
export const insIsUsable = (pid: Pid): boolean => pid.status === 'VALI' && pid.ins.length > 0;
