/**
 * French labels of the documents read by hospital staff and patients.
 */
import { insAuthorityOf } from '../ins/oid.ts';

const SEX_LABELS: Record<string, string> = { M: 'Masculin', F: 'Féminin', U: 'Indéterminé' };

export const sexLabel = (sex: string): string => SEX_LABELS[sex] ?? sex;

const AUTHORITY_LABELS = { nir: 'NIR', nia: 'NIA', test: 'TEST', demo: 'DEMO' } as const;

/** Nature of the matricule INS by its OID: NIR, NIA, TEST or DEMO; the OID itself when unknown. */
export function insAuthorityLabel(oid: string): string {
  const authority = insAuthorityOf(oid);
  return authority ? AUTHORITY_LABELS[authority] : oid;
}

/** YYYY-MM-DD (or YYYYMMDD) → JJ/MM/AAAA; partial dates keep their 00 parts. */
export function formatIsoDate(value: string): string {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(value);
  return m ? `${m[3]}/${m[2]}/${m[1]}` : value;
}

const PARIS_DATE = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', day: '2-digit', month: '2-digit', year: 'numeric' });

/** A point in time as the date in France (JJ/MM/AAAA). */
export const formatDate = (date: Date): string => PARIS_DATE.format(date);
