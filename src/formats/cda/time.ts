/**
 * HL7 TS values as CI-SIS writes them: `YYYYMMDDHHMMSS+ZZZZ` (documents.md §3, STRUCMIN
 * pattern `^[0-9]{4,14}` + optional zone), and the patient's birth date.
 */

/** A TS: 4 to 14 digits, optional fraction of seconds, optional zone offset. */
export const TS_PATTERN = /^\d{4,14}(\.\d{1,4})?([+-]\d{4})?$/;
/** Full precision with zone, as required for the document's `effectiveTime` by the builder. */
export const FULL_TS_PATTERN = /^\d{14}[+-]\d{4}$/;

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** One formatter per time zone: building an Intl.DateTimeFormat costs far more than using it. */
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-GB', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/**
 * `YYYYMMDDHHMMSS+ZZZZ` of an instant in a time zone (Europe/Paris by default), computed with
 * Intl, so the offset follows daylight saving time.
 */
export function toCdaTimestamp(date: Date, timeZone = 'Europe/Paris'): string {
  const parts = formatterFor(timeZone).formatToParts(date);
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  const offsetMinutes = Math.round((local - Math.floor(date.getTime() / 1000) * 1000) / 60_000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${pad(get('year'), 4)}${pad(get('month'))}${pad(get('day'))}${pad(get('hour'))}${pad(get('minute'))}${pad(get('second'))}${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
}

/**
 * ISO birth date (`1979-03-28`, `1979-03`, `1979`, or INSi's `1979-00-00` with unknown parts)
 * → TS (`19790328`, `197903`, `1979`). Undefined when not a date of that shape.
 */
export function birthDateToTs(iso: string): string | undefined {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(iso);
  if (!m) return undefined;
  const [, year, month, day] = m;
  if (month === undefined || month === '00') return year;
  if (Number(month) > 12) return undefined;
  if (day === undefined || day === '00') return `${year}${month}`;
  if (Number(day) > 31) return undefined;
  return `${year}${month}${day}`;
}

/** TS birth time (`19790328`, `197903`, `1979`, possibly with a time) → ISO date, possibly partial. */
export function tsToBirthDate(ts: string): string | undefined {
  const m = /^(\d{4})(\d{2})?(\d{2})?/.exec(ts);
  if (!m) return undefined;
  const [, year, month, day] = m;
  if (month === undefined) return year;
  if (day === undefined) return `${year}-${month}`;
  return `${year}-${month}-${day}`;
}
