/**
 * Comparison of the traits returned by INSi with the local traits, before adoption
 * (identity.md §6.4: "a 00 must be compared with local traits before adoption").
 */
import { firstGivenName, givenNameList, toInsiProfile, type InsTraits } from '../formats/ins/index.ts';

export interface TraitMismatch {
  trait: 'birthName' | 'birthGivenNames' | 'birthDate' | 'sex' | 'birthplace';
  label: string;
  local: string;
  insi: string;
}

const LABEL: Record<TraitMismatch['trait'], string> = {
  birthName: 'Nom de naissance',
  birthGivenNames: 'Prénom(s) de naissance',
  birthDate: 'Date de naissance',
  sex: 'Sexe',
  birthplace: 'Lieu de naissance',
};

/**
 * Coherent when birth name, birth date and sex are equal, the local first prénom is one of
 * INSi's birth prénoms, and the birthplaces agree when both are known.
 */
export function compareTraits(local: InsTraits, insi: InsTraits): TraitMismatch[] {
  const out: TraitMismatch[] = [];
  const push = (trait: TraitMismatch['trait'], l: string | undefined, i: string | undefined): void => {
    out.push({ trait, label: LABEL[trait], local: l ?? '', insi: i ?? '' });
  };
  if (toInsiProfile(local.birthName) !== toInsiProfile(insi.birthName)) push('birthName', local.birthName, insi.birthName);
  const localFirst = toInsiProfile(firstGivenName(local.birthGivenNames));
  if (!givenNameList(toInsiProfile(insi.birthGivenNames)).includes(localFirst)) push('birthGivenNames', local.birthGivenNames, insi.birthGivenNames);
  if (local.birthDate !== insi.birthDate) push('birthDate', local.birthDate, insi.birthDate);
  if (local.sex !== insi.sex) push('sex', local.sex, insi.sex);
  if (local.birthplace && insi.birthplace && local.birthplace !== insi.birthplace) push('birthplace', local.birthplace, insi.birthplace);
  return out;
}
