/**
 * From the wire RESULTAT to what the identity workflow uses: the 15-character matricule with
 * its OID, the traits INS, the INS history as a list, and receipt warnings (wrong check key,
 * validity dates in the wrong order, missing key). Warnings never reject an answer: official
 * CNDA data carries wrong keys (HERMANN GATIEN, identity.md §2).
 */
import { checkMatriculeOnReceipt, computeKey, type InsTraits, type Sex } from '../../formats/ins/index.ts';
import { fail, ok, type Result } from '../../formats/result.ts';
import { INSI_RESULT_MESSAGE } from './codes.ts';
import { parseInsiResponse, type WireFault, type WireIndividual, type WireIns } from './wire.ts';

export interface InsiHistoryEntry {
  /** 15 characters (13 + key). */
  matricule: string;
  oid: string;
  start?: string;
  end?: string;
}

export interface InsiIdentity {
  /** Matricule INS, 15 characters (13 + key as received). */
  matricule: string;
  /** 1.2.250.1.213.1.4.8 (NIR), .9 (NIA), .10/.11 (test/demo). */
  oid: string;
  traits: InsTraits;
  /** Former INS (INSHISTO), possibly including the active one. */
  history: InsiHistoryEntry[];
  /** Receipt warnings (English, field-named): wrong key, dates in the wrong order… */
  warnings: string[];
}

export type InsiAnswer =
  | { kind: 'found'; code: '00'; identity: InsiIdentity; label: string }
  | { kind: 'none'; code: '01' | '02'; label: string; message: string }
  | { kind: 'fault'; fault: WireFault }
  | { kind: 'unexpected'; code: string; label: string };

function matriculeOf(ins: WireIns, field: string, warnings: string[]): string {
  let key = ins.key;
  if (!key) {
    key = computeKey(ins.number) ?? '';
    warnings.push(`${field}: Cle absent, computed ${key || '(impossible)'}`);
  }
  const matricule = `${ins.number}${key}`;
  const check = checkMatriculeOnReceipt(matricule, field);
  if (!check.ok) warnings.push(`${check.error.field}: ${check.error.rule}`);
  else if (check.value.warning) warnings.push(check.value.warning);
  if (ins.start && ins.end && ins.start > ins.end) warnings.push(`${field}: DateDeb ${ins.start} is after DateFin ${ins.end}`);
  return matricule;
}

export function toInsiIdentity(individual: WireIndividual): InsiIdentity {
  const warnings: string[] = [];
  const matricule = matriculeOf(individual.active, 'INSACTIF', warnings);
  const history = individual.history.map((h, i) => {
    const entry: InsiHistoryEntry = { matricule: matriculeOf(h, `INSHISTO[${i + 1}]`, warnings), oid: h.oid };
    if (h.start) entry.start = h.start;
    if (h.end) entry.end = h.end;
    return entry;
  });
  const t = individual.traits;
  let sex: Sex = 'U';
  if (t.sex === 'M' || t.sex === 'F') sex = t.sex;
  else warnings.push(`TIQ/Sexe: "${t.sex.length === 1 ? t.sex : '?'}" is neither M nor F`);
  const traits: InsTraits = { birthName: t.birthName, birthGivenNames: t.givenNames, birthDate: t.birthDate, sex };
  if (t.birthplace) traits.birthplace = t.birthplace;
  if (t.firstGivenName && t.givenNames.split(' ')[0] !== t.firstGivenName) {
    warnings.push('TIQ/Prenom: differs from the first prénom of ListePrenom');
  }
  return { matricule, oid: individual.active.oid, traits, history, warnings };
}

/** Reads an INSi answer body (the client's response parser). Never throws. */
export function readInsiAnswer(xml: string): Result<InsiAnswer> {
  const parsed = parseInsiResponse(xml);
  if (!parsed.ok) return parsed;
  if (parsed.value.kind === 'fault') return ok({ kind: 'fault', fault: parsed.value.fault });
  const { code, label, individual } = parsed.value.result;
  if (code === '00') {
    if (!individual) return fail('RESULTAT/INDIVIDU', 'required when CodeCR is 00');
    return ok({ kind: 'found', code, identity: toInsiIdentity(individual), label });
  }
  if (code === '01' || code === '02') return ok({ kind: 'none', code, label, message: INSI_RESULT_MESSAGE[code] });
  return ok({ kind: 'unexpected', code, label });
}
