/**
 * Input rules of a CR-BIO level 3 document (documents.md §5; volet BIO-CR-BIO 2024.01), checked
 * on the model by `buildCda` before any XML is written: the header specifics (code, title,
 * templateIds, specialty of the first serviceEvent) and the body (chapters, results, typed
 * values, UCUM units, interpretation codes, PDF copy). The first broken rule is returned,
 * naming the model field.
 */
import { fail, type Result } from '../result.ts';
import {
  CR_BIO_CODE,
  CR_BIO_TEMPLATE_IDS,
  CR_BIO_TITLE,
  INTERPRETATIONS,
  type CrBioBody,
  type Decimal,
  type LabExam,
  type LabReportContent,
  type LabResult,
  type LabValue,
  type QuantityBound,
  type ReferenceRange,
  type Specimen,
} from './cr-bio-model.ts';
import { unitText } from './cr-bio-narrative.ts';
import { OID, type CdaDocument, type CodedValue } from './model.ts';
import { coded, identifier, interval, OK, organization, professional, ts, type Check } from './validate.ts';

const CRBIO = 'CI-SIS BIO-CR-BIO 2024.01';
/** HL7 REAL as text. */
const REAL = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;
/** UCUM codes are printable ASCII without spaces (`mmol/L`, `m[IU]/L`, `10*9/L`, `{ratio}`). */
const UCUM = /^[!-~]+$/;

type Run = Array<() => Check>;
const first = (checks: Run): Check => {
  for (const check of checks) {
    const r = check();
    if (!r.ok) return r;
  }
  return OK;
};
const each = <T>(list: readonly T[] | undefined, field: string, check: (item: T, f: string) => Check): Check => {
  for (const [i, item] of (list ?? []).entries()) {
    const r = check(item, `${field}[${i}]`);
    if (!r.ok) return r;
  }
  return OK;
};

const decimal = (value: Decimal | undefined, field: string): Check => {
  if (typeof value === 'number') return Number.isFinite(value) ? OK : fail(field, `must be a finite number, got ${value}`);
  return typeof value === 'string' && REAL.test(value) ? OK : fail(field, `expected a decimal (HL7 REAL, e.g. 4.89), got "${String(value)}"`);
};
const ucum = (unit: string | undefined, field: string): Check =>
  typeof unit === 'string' && UCUM.test(unit) ? OK : fail(field, `expected a UCUM unit (ASCII, no space, e.g. mmol/L, m[IU]/L), got "${String(unit)}"`);

/** A LOINC-coded analysis needs code, displayName and codeSystem; otherwise a translation. */
function analysisCode(item: { code?: CodedValue; translation?: CodedValue; label?: string }, f: string): Check {
  if (item.label !== undefined && typeof item.label !== 'string') return fail(`${f}.label`, 'expected a text');
  if (item.code) {
    const c = coded(item.code, `${f}.code`, true);
    if (!c.ok) return c;
    if (!item.code.displayName) return fail(`${f}.code.displayName`, `required with a LOINC code (${CRBIO})`);
  }
  if (item.translation) {
    const t = coded(item.translation, `${f}.translation`, true);
    if (!t.ok) return t;
  }
  if (!item.code && !item.translation) {
    return fail(`${f}.code`, `a LOINC code, or a translation carrying the local or national waiting code (${CRBIO})`);
  }
  if (!item.code && !(item.label ?? item.translation?.displayName)) {
    return fail(`${f}.label`, 'required for an analysis without LOINC (originalText)');
  }
  return OK;
}

function bound(b: QuantityBound | undefined, f: string): Check {
  if (!b) return OK;
  return first([() => decimal(b.value, `${f}.value`), () => ucum(b.unit, `${f}.unit`)]);
}

function labValue(v: LabValue, f: string): Check {
  switch (v.type) {
    case 'PQ':
      return first([() => decimal(v.value, `${f}.value`), () => ucum(v.unit, `${f}.unit`)]);
    case 'IVL_PQ':
      if (!v.low && !v.high) return fail(f, 'an interval needs a low or a high bound');
      return first([() => bound(v.low, `${f}.low`), () => bound(v.high, `${f}.high`)]);
    case 'CD':
      if (!v.code && !v.text) return fail(f, 'a coded value needs a code or a text');
      return coded(v.code, `${f}.code`, false);
    case 'ST':
      return v.text ? OK : fail(`${f}.text`, 'required');
    case 'INT':
      return Number.isInteger(v.value) ? OK : fail(`${f}.value`, `expected an integer, got ${String(v.value)}`);
    case 'BL':
      return typeof v.value === 'boolean' ? OK : fail(`${f}.value`, 'expected a boolean');
    default:
      return fail(`${f}.type`, `expected PQ, IVL_PQ, CD, ST, INT or BL, got "${String((v as { type?: unknown }).type)}"`);
  }
}

function referenceRange(r: ReferenceRange | undefined, value: LabValue | undefined, f: string): Check {
  if (!r) return OK;
  if (r.low === undefined && r.high === undefined) return r.text ? OK : fail(f, 'a reference range needs a low or high bound, or a text');
  const unit = r.unit ?? (unitText(value) || undefined);
  return first([
    () => (r.low === undefined ? OK : decimal(r.low, `${f}.low`)),
    () => (r.high === undefined ? OK : decimal(r.high, `${f}.high`)),
    () => ucum(unit, `${f}.unit`),
  ]);
}

function result(r: LabResult, f: string): Check {
  if (!r || typeof r !== 'object') return fail(f, 'expected a result');
  return first([
    () => analysisCode(r, f),
    () => (r.status === undefined || r.status === 'completed' || r.status === 'aborted' ? OK : fail(`${f}.status`, `expected completed or aborted, got "${String(r.status)}"`)),
    () => (r.value === undefined ? (r.status === 'aborted' ? OK : fail(`${f}.value`, 'required for a completed result')) : labValue(r.value, `${f}.value`)),
    () => (r.interpretation === undefined || Object.prototype.hasOwnProperty.call(INTERPRETATIONS, r.interpretation)
      ? OK : fail(`${f}.interpretation`, `not in HL7 ObservationInterpretation (JDV_HL7_ObservationInterpretation_CISIS): "${String(r.interpretation)}"`)),
    () => referenceRange(r.referenceRange, r.value, `${f}.referenceRange`),
    () => ts(r.effectiveTime, `${f}.effectiveTime`, false),
    () => {
      if (!r.performer) return OK;
      return first([
        () => professional(r.performer!.professional, `${f}.performer.professional`, false),
        () => interval(r.performer!.time, `${f}.performer.time`),
        () => organization(r.performer!.organization, `${f}.performer.organization`, [], true),
      ]);
    },
    () => (r.author ? first([() => ts(r.author!.time, `${f}.author.time`), () => professional(r.author!.professional, `${f}.author.professional`, true)]) : OK),
  ]);
}

function exam(e: LabExam, f: string): Check {
  if (!e || typeof e !== 'object') return fail(f, 'expected an exam');
  return first([
    () => analysisCode(e, f),
    () => (e.status === undefined || ['completed', 'aborted', 'active'].includes(e.status) ? OK : fail(`${f}.status`, `expected completed, aborted or active, got "${String(e.status)}"`)),
    () => ts(e.effectiveTime, `${f}.effectiveTime`, false),
    () => (Array.isArray(e.results) && e.results.length > 0 ? OK : fail(`${f}.results`, 'an exam (BATTERY) holds at least one result')),
    () => each(e.results, `${f}.results`, result),
  ]);
}

function specimen(s: Specimen, f: string): Check {
  return first([
    () => coded(s.type, `${f}.type`, true),
    () => (s.id ? identifier(s.id, `${f}.id`) : OK),
    () => coded(s.procedureCode, `${f}.procedureCode`, false),
    () => ts(s.collectionTime, `${f}.collectionTime`, false),
    () => ts(s.receptionTime, `${f}.receptionTime`, false),
  ]);
}

const hasContent = (c: LabReportContent): boolean => (c.exams?.length ?? 0) + (c.results?.length ?? 0) > 0;

function content(c: LabReportContent, f: string): Check {
  if (!hasContent(c)) return fail(f, 'at least one exam or result');
  return first([
    () => each(c.specimens, `${f}.specimens`, specimen),
    () => each(c.exams, `${f}.exams`, exam),
    () => each(c.results, `${f}.results`, result),
    () => each(c.comments, `${f}.comments`, (text, cf) => (typeof text === 'string' && text.trim() ? OK : fail(cf, 'a comment is a non-empty text'))),
  ]);
}

function body(b: CrBioBody): Check {
  const f = 'component.crBio';
  if (!Array.isArray(b.chapters) || b.chapters.length === 0) return fail(`${f}.chapters`, `at least one chapter section (${CRBIO})`);
  const chapters = each(b.chapters, `${f}.chapters`, (chapter, cf) => {
    const code = coded(chapter.code, `${cf}.code`, true);
    if (!code.ok) return code;
    const subs = chapter.subChapters ?? [];
    if (subs.length > 0) {
      if (hasContent(chapter) || (chapter.specimens?.length ?? 0) + (chapter.comments?.length ?? 0) > 0) {
        return fail(cf, 'a chapter holds either sub-chapters or its own results, not both');
      }
      return each(subs, `${cf}.subChapters`, (sub, sf) => first([() => coded(sub.code, `${sf}.code`, true), () => content(sub, sf)]));
    }
    return content(chapter, cf);
  });
  if (!chapters.ok) return chapters;
  const pdf = b.pdfCopy?.content;
  if (!(pdf instanceof Uint8Array) || pdf.length === 0) return fail(`${f}.pdfCopy.content`, `required: the PDF copy of the report (${CRBIO})`);
  if (!(pdf[0] === 0x25 && pdf[1] === 0x50 && pdf[2] === 0x44 && pdf[3] === 0x46)) return fail(`${f}.pdfCopy.content`, 'must be a PDF (starts with %PDF)');
  return OK;
}

/** The CR-BIO header specifics and body (called by `validateDocument` for kind `cr-bio`). */
export function validateCrBio(doc: CdaDocument, b: CrBioBody): Result<void> {
  return first([
    () => (doc.code.code === CR_BIO_CODE && doc.code.codeSystem === OID.loinc ? OK : fail('code', `must be LOINC ${CR_BIO_CODE} for a CR-BIO (${CRBIO})`)),
    () => (doc.title === CR_BIO_TITLE ? OK : fail('title', `must be exactly "${CR_BIO_TITLE}" (${CRBIO})`)),
    () => {
      const roots = (doc.templateIds ?? CR_BIO_TEMPLATE_IDS.map((root) => ({ root }))).map((t) => t.root);
      const missing = CR_BIO_TEMPLATE_IDS.filter((r) => !roots.includes(r));
      return missing.length === 0 ? OK : fail('templateIds', `a CR-BIO carries ${CR_BIO_TEMPLATE_IDS.join(', ')}; missing ${missing.join(', ')} (${CRBIO})`);
    },
    () => body(b),
    () => (doc.serviceEvents?.[0]?.code ? OK : fail('documentationOf[0].serviceEvent.code', `required: the LOINC specialty of the report (${CRBIO})`)),
  ]);
}
