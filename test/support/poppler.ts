/**
 * Test helper: poppler-utils (Debian package `poppler-utils`) as an independent PDF reader —
 * pdftotext, pdfinfo, pdffonts, pdftoppm — and qpdf (Debian package `qpdf`) as an independent
 * checker of the file structure (cross-reference table, object syntax, stream lengths and
 * compression). Without them the tests that need them are skipped with `POPPLER_SKIP_REASON`,
 * except in CI (`CI=true`), where a missing tool is a failure.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

function has(tool: string, versionFlag = '-v'): boolean {
  try {
    execFileSync(tool, [versionFlag], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const POPPLER_SKIP_REASON = 'skipped: poppler-utils or qpdf not installed — apt-get install -y poppler-utils qpdf';

/** True when poppler-utils and qpdf are installed; throws when CI=true and they are not. */
export function requirePoppler(): boolean {
  const available = ['pdftotext', 'pdftoppm', 'pdfinfo', 'pdffonts'].every((tool) => has(tool)) && has('qpdf', '--version');
  if (!available && process.env.CI === 'true') throw new Error('poppler-utils and qpdf are required when CI=true (apt-get install -y poppler-utils qpdf)');
  return available;
}

/**
 * qpdf's structural check: the empty list when it finds no error and no warning, else its
 * messages (qpdf exits 2 on errors, 3 on warnings).
 */
export function qpdfProblems(pdf: Uint8Array): string[] {
  return withPdf(pdf, (file) => {
    try {
      execFileSync('qpdf', ['--check', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      return [];
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      return `${stdout}\n${stderr}`.split('\n').filter((l) => /error|warning/i.test(l));
    }
  });
}

function withPdf<T>(pdf: Uint8Array, run: (file: string, dir: string) => T): T {
  const dir = mkdtempSync(path.join(tmpdir(), 'passerelle-pdf-'));
  try {
    const file = path.join(dir, 'document.pdf');
    writeFileSync(file, pdf);
    return run(file, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Text of the document as pdftotext extracts it (UTF-8, layout kept). */
export const pdfToText = (pdf: Uint8Array): string =>
  withPdf(pdf, (file) => execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', file, '-'], { encoding: 'utf8' }));

/** pdfinfo fields (`Title`, `Pages`, `PDF version`…), dates in ISO 8601. */
export function pdfInfo(pdf: Uint8Array): Record<string, string> {
  const out = withPdf(pdf, (file) => execFileSync('pdfinfo', ['-isodates', file], { encoding: 'utf8' }));
  return Object.fromEntries(out.split('\n').filter((l) => l.includes(':')).map((l) => {
    const at = l.indexOf(':');
    return [l.slice(0, at).trim(), l.slice(at + 1).trim()];
  }));
}

/** pdffonts table rows: name, type, embedded, subset, unicode. */
export function pdfFonts(pdf: Uint8Array): Array<{ name: string; type: string; embedded: boolean; unicode: boolean }> {
  const out = withPdf(pdf, (file) => execFileSync('pdffonts', [file], { encoding: 'utf8' }));
  return out.split('\n').slice(2).filter((l) => l.trim().length > 0).map((l) => {
    const cols = l.trim().split(/\s+/);
    // name, type words…, encoding, emb, sub, uni, object, id
    const [emb, , uni] = cols.slice(-5, -2);
    return { name: cols[0] ?? '', type: cols.slice(1, -6).join(' '), embedded: emb === 'yes', unicode: uni === 'yes' };
  });
}

/** One page rasterised to PNG at the given resolution (pdftoppm). */
export function rasterizePage(pdf: Uint8Array, page = 1, dpi = 200): Uint8Array {
  return withPdf(pdf, (file, dir) => {
    execFileSync('pdftoppm', ['-r', String(dpi), '-png', '-f', String(page), '-l', String(page), file, path.join(dir, 'page')]);
    const png = readdirSync(dir).find((f) => f.startsWith('page') && f.endsWith('.png'));
    if (!png) throw new Error('pdftoppm produced no image');
    return new Uint8Array(readFileSync(path.join(dir, png)));
  });
}
