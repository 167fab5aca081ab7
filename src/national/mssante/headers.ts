/**
 * MSSanté message conventions (mssante.md §4, §4.1): the `XDM/1.0/DDM+` subject and the
 * X-MSS-* headers of REF2 §3.8 (ECO.2.4.1–2.4.3, ECO.2.2.8).
 */
import type { CdaHeader } from '../../formats/cda/index.ts';

export const X_MSS = {
  /** `code` of each CDA in the XDM, comma-separated; omitted without CDA (ECO.2.4.1). */
  codeCda: 'X-MSS-CODECDA',
  /** `O` when the XDM holds a qualified INS with its traits, else `N`; omitted without CDA (ECO.2.4.2). */
  ins: 'X-MSS-INS',
  /** Product reference from convergence.esante.gouv.fr; on every message (ECO.2.4.3). */
  nil: 'X-MSS-NIL',
  /** `FIN`: the patient may not reply (ECO.2.2.8). */
  mes: 'X-MSS-MES',
} as const;

export const XDM_SUBJECT_PREFIX = 'XDM/1.0/DDM';

/** `28/03/1979` from `1979-03-28`; partial dates keep what they have. */
function frenchDate(iso: string | undefined): string {
  const m = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$/.exec(iso ?? '');
  if (!m) return '';
  return [m[3], m[2], m[1]].filter((p) => p !== undefined && p !== '00').join('/');
}

const clean = (s: string | undefined): string => (s ?? '').replace(/[\r\n\t]+/g, ' ').replace(/\s+/g, ' ').trim();

/** `XDM/1.0/DDM+<libellé> <NOM> <prénom> <date de naissance>` (MSSLPS cas-usage.md). */
export function xdmSubject(label: string, cda: CdaHeader): string {
  const p = cda.patient;
  const given = p.firstBirthGivenName ?? p.birthGivenNames?.split(' ')[0];
  return `${XDM_SUBJECT_PREFIX}+${[clean(label), clean(p.birthName ?? p.usedName), clean(given), frenchDate(p.birthDate)].filter((s) => s !== '').join(' ')}`;
}

/** True when the CDA carries a qualified INS with the traits that go with it (ECO.2.4.2). */
export function hasQualifiedIns(cda: CdaHeader): boolean {
  const p = cda.patient;
  return Boolean(p.ins?.matricule && p.ins.oid && p.birthName && (p.firstBirthGivenName || p.birthGivenNames) && p.birthDate && p.sex);
}

/** The X-MSS-* headers of a message carrying these CDA documents. */
export function xMssHeaders(cdas: CdaHeader[], nil: string, options: { patientMayNotReply?: boolean } = {}): Record<string, string> {
  const headers: Record<string, string> = { [X_MSS.nil]: nil };
  if (cdas.length > 0) {
    headers[X_MSS.codeCda] = cdas.map((c) => c.code.code).join(',');
    headers[X_MSS.ins] = cdas.every(hasQualifiedIns) ? 'O' : 'N';
  }
  if (options.patientMayNotReply) headers[X_MSS.mes] = 'FIN';
  return headers;
}
