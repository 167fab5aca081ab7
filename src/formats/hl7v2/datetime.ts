/**
 * HL7 v2 DT / DTM (TS) values: `YYYY[MM[DD[HH[MM[SS[.S…]]]]]][±ZZZZ]`.
 * Outbound timestamps are written in French legal time (Europe/Paris) without offset, as in
 * the ANS PAM FR examples.
 */
const PATTERN = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\.\d{1,4})?([+-]\d{4})?$/;

/** `19790328` → `1979-03-28`; partial dates keep their precision (`1979-03`); undefined if not a date. */
export function hl7DateToIso(value: string): string | undefined {
  const m = PATTERN.exec(value);
  if (!m) return undefined;
  return [m[1], m[2], m[3]].filter((p) => p !== undefined).join('-');
}

/** `20240306111154` → `2024-03-06T11:11:54` (offset appended when given); undefined if malformed. */
export function hl7DateTimeToIso(value: string): string | undefined {
  const m = PATTERN.exec(value);
  if (!m) return undefined;
  let out = [m[1], m[2], m[3]].filter((p) => p !== undefined).join('-');
  if (m[4] !== undefined) out += `T${m[4]}:${m[5] ?? '00'}:${m[6] ?? '00'}${m[7] ?? ''}`;
  if (m[8] !== undefined && m[4] !== undefined) out += `${m[8].slice(0, 3)}:${m[8].slice(3)}`;
  return out;
}

/** `1979-03-28` → `19790328` (also accepts `1979-03` and `1979`); undefined if malformed. */
export function isoDateToHl7(value: string): string | undefined {
  return /^\d{4}(-\d{2}(-\d{2})?)?$/.test(value) ? value.replaceAll('-', '') : undefined;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** A Date as `YYYYMMDDHHMMSS` in `timeZone` (default Europe/Paris). */
export function formatHl7DateTime(date: Date, timeZone = 'Europe/Paris'): string {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  const parts: Record<string, string> = {};
  for (const p of f.formatToParts(date)) parts[p.type] = p.value;
  return `${parts.year}${parts.month}${parts.day}${parts.hour}${parts.minute}${parts.second}`;
}
