/**
 * French display text of CR-BIO results for the narrative block (`section/text`): values,
 * units, reference ranges, interpretations and HL7 timestamps as staff read them.
 */
import { INTERPRETATIONS, type Decimal, type InterpretationCode, type LabValue, type ReferenceRange } from './cr-bio-model.ts';

export const decimalText = (d: Decimal): string => (typeof d === 'number' ? String(d) : d);

/** The result cell: `4.89`, `< 1.0`, `>= 0.512`, a coded or free text, `oui`/`non`. */
export function valueText(v: LabValue | undefined): string {
  if (!v) return 'non réalisé';
  switch (v.type) {
    case 'PQ':
      return decimalText(v.value);
    case 'IVL_PQ': {
      const low = v.low ? decimalText(v.low.value) : undefined;
      const high = v.high ? decimalText(v.high.value) : undefined;
      if (low !== undefined && high !== undefined) return `${low} - ${high}`;
      if (low !== undefined) return `${v.low!.inclusive === false ? '>' : '>='} ${low}`;
      return `${v.high!.inclusive === false ? '<' : '<='} ${high}`;
    }
    case 'CD':
      return v.text ?? v.code?.displayName ?? v.code?.code ?? '';
    case 'ST':
      return v.text;
    case 'INT':
      return String(v.value);
    case 'BL':
      return v.value ? 'oui' : 'non';
  }
}

/** The unit cell (UCUM code as written in the entry), empty when the value has none. */
export function unitText(v: LabValue | undefined): string {
  if (v?.type === 'PQ') return v.unit;
  if (v?.type === 'IVL_PQ') return (v.low ?? v.high)?.unit ?? '';
  return '';
}

/** The reference range cell: `3.89 - 6.00`, `< 5.0`, `> 10`, or the range text. */
export function rangeText(r: ReferenceRange | undefined): string {
  if (!r) return '';
  if (r.text) return r.text;
  if (r.low !== undefined && r.high !== undefined) return `${decimalText(r.low)} - ${decimalText(r.high)}`;
  if (r.high !== undefined) return `< ${decimalText(r.high)}`;
  if (r.low !== undefined) return `> ${decimalText(r.low)}`;
  return '';
}

export const interpretationText = (code: InterpretationCode | undefined): string => (code ? INTERPRETATIONS[code] : '');

/** HL7 TS → `JJ/MM/AAAA HH:MM` (date only when the time is absent). */
export function tsText(ts: string | undefined): string {
  if (!ts) return '';
  const m = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?/.exec(ts);
  if (!m) return ts;
  const [, y, mo, d, h, mi] = m;
  const date = [d, mo, y].filter(Boolean).join('/');
  return h ? `${date} ${h}:${mi ?? '00'}` : date;
}
