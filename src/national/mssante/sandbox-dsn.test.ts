/**
 * The sandbox's DSNs return the original headers (RET=HDRS) from the header section alone:
 * the same text/rfc822-headers part as from the whole message, whatever its line ends.
 */
import { describe, expect, it } from 'vitest';
import { parseMime } from './mime.ts';
import { buildDsn } from './receipts.ts';
import { headerSection } from './sandbox.ts';

const returnedHeaders = (original: Buffer): string => {
  const dsn = buildDsn({ reportingMta: 'mta.test', from: 'mailer-daemon@mta.test', to: 'a@b.mssante.fr', original, recipients: [{ address: 'c@d.mssante.fr', action: 'delivered', status: '2.0.0' }], date: new Date(0) });
  const part = parseMime(dsn.raw).parts.find((p) => p.contentType === 'text/rfc822-headers');
  return part!.body.toString('latin1');
};

describe('MSSanté sandbox DSN: original headers', () => {
  const body = `${'x'.repeat(5000)}\r\n\r\nmore\n\nand more\r\n`;
  const cases: Record<string, string> = {
    'CRLF': `From: a@b.mssante.fr\r\nSubject: é\r\n\r\n${body}`,
    'LF': `From: a@b.mssante.fr\nSubject: s\n\n${body}`,
    'mixed, CR LF LF': `From: a@b.mssante.fr\r\nSubject: s\r\n\n${body}`,
    'mixed, LF CR LF': `From: a@b.mssante.fr\nSubject: s\n\r\n${body}`,
    'empty line first': `\r\nFrom: a@b.mssante.fr\r\n\r\n${body}`,
    'no empty line': 'From: a@b.mssante.fr\r\nSubject: s\r\n',
    'blank line at the very end': 'From: a@b.mssante.fr\n\n',
    'empty': '',
  };
  for (const [name, text] of Object.entries(cases)) {
    it(name, () => {
      const raw = Buffer.from(text, 'latin1');
      expect(returnedHeaders(headerSection(raw))).toBe(returnedHeaders(raw));
      expect(headerSection(raw).length).toBeLessThanOrEqual(Math.min(raw.length, 60));
    });
  }
});
