import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { simpleParser } from 'mailparser';
import { encodeHeaderText, mailbox, writeMultipart } from './mime.ts';

/** Header text without line breaks or controls, as a subject or display name can be. */
const headerText = fc.array(fc.oneof(fc.constantFrom('é', 'É', 'ç', 'ß', '’', '😀', '"', '\\', ' ', '-'), fc.string({ unit: 'grapheme-ascii', maxLength: 3 }), fc.string({ unit: 'grapheme', maxLength: 2 })), { maxLength: 60 }).map((parts) => parts.join(''))
  .map((s) => s.replace(/[\u0000-\u001f\u007f]/g, '').replace(/\s+/g, ' ').trim());

describe('MIME headers written by hand', () => {
  it('subjects and display names read back exactly, in lines of at most 78 characters (RFC 5322, RFC 2047)', async () => {
    await fc.assert(fc.asyncProperty(headerText, headerText, async (subject, name) => {
      const raw = writeMultipart({ From: mailbox('passerelle@ch-test.mssante.fr', name || undefined), To: 'a@b.mssante.fr', Subject: encodeHeaderText(subject) }, 'mixed', {}, [{ contentType: 'text/plain; charset=utf-8', body: Buffer.from('corps') }]);
      const head = raw.toString('latin1').split('\r\n\r\n')[0]!;
      for (const line of head.split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);
      const parsed = await simpleParser(raw);
      expect(parsed.subject ?? '').toBe(subject);
      expect(parsed.from?.value[0]).toMatchObject({ address: 'passerelle@ch-test.mssante.fr', name: name });
    }), { numRuns: 300 });
  });

  it('binary attachments read back byte for byte, in base64 lines of 76 characters', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 700 }), fc.string({ maxLength: 200 }), async (bytes, text) => {
      const raw = writeMultipart({ From: 'a@b.mssante.fr', To: 'c@d.mssante.fr', Subject: 'pièce jointe' }, 'mixed', {}, [
        { contentType: 'text/plain; charset=utf-8', body: text },
        { contentType: 'application/octet-stream; name="x.bin"', headers: { 'Content-Disposition': 'attachment; filename="x.bin"' }, body: Buffer.from(bytes) },
      ]);
      for (const line of raw.toString('latin1').split('\r\n')) expect(line.length).toBeLessThanOrEqual(998);
      const base64 = raw.toString('latin1').split('\r\n\r\n')[3]!.split('\r\n--')[0]!;
      expect(base64.split('\r\n').filter((l) => l !== '').every((l, i, all) => l.length === 76 || i === all.length - 1)).toBe(true);
      const parsed = await simpleParser(raw);
      expect(Buffer.from(parsed.attachments[0]?.content ?? Buffer.alloc(0)).equals(Buffer.from(bytes))).toBe(true);
    }), { numRuns: 200 });
  });
});
