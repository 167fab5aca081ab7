import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { simpleParser } from 'mailparser';
import { buildDsn, buildMdn, MDN_PROCESSING_CODES, readReceipts } from './receipts.ts';
import { checkRecipients } from './recipients.ts';
import { patientAddress } from './addresses.ts';

const ORIGINAL = Buffer.from('From: passerelle@ch-test.mssante.fr\r\nTo: a@b.mssante.fr\r\nSubject: XDM/1.0/DDM+LDL\r\nMessage-ID: <m1@ch-test.mssante.fr>\r\n\r\ncorps\r\n');

describe('MSSanté receipts (DSN RFC 3464, MDN RFC 8098)', () => {
  it('reads back every MDN processing code 900–906 with its label, and success', async () => {
    for (const code of Object.keys(MDN_PROCESSING_CODES).map(Number) as Array<keyof typeof MDN_PROCESSING_CODES>) {
      const mdn = buildMdn({ from: 'a@b.mssante.fr', to: 'passerelle@ch-test.mssante.fr', originalMessageId: '<m1@ch-test.mssante.fr>', originalSubject: 'XDM/1.0/DDM+LDL', outcome: { code }, original: ORIGINAL });
      expect(readReceipts(mdn.raw)).toEqual([{ kind: 'mdn', source: 'mdn', success: false, originalMessageId: '<m1@ch-test.mssante.fr>', recipient: 'a@b.mssante.fr',
        disposition: `automatic-action/MDN-sent-automatically; processed/Error: ${code}^${MDN_PROCESSING_CODES[code]}`, error: { code: String(code), label: MDN_PROCESSING_CODES[code] } }]);
      expect((await simpleParser(mdn.raw)).subject).toBe(`[KO Intégration système !][${code}] XDM/1.0/DDM+LDL`);
      expect(mdn.raw.toString('latin1').split('\r\n').filter((l) => /=\?UTF-8\?B\?/.test(l)).every((l) => /^(Subject:)? ?=\?UTF-8\?B\?[A-Za-z0-9+/=]{1,60}\?=$/.test(l))).toBe(true); // RFC 2047: words ≤ 75 characters
    }
    const ok = buildMdn({ from: 'a@b.mssante.fr', to: 'x@y.mssante.fr', originalMessageId: '<m1@h>', originalSubject: 's', outcome: { processed: true } });
    expect(readReceipts(ok.raw)).toMatchObject([{ kind: 'mdn', success: true, originalMessageId: '<m1@h>' }]);
  });

  it('reads the plain KO mail sent when no MDN was requested', () => {
    const raw = Buffer.from(`From: a@b.mssante.fr\r\nTo: x@y.mssante.fr\r\nSubject: =?UTF-8?B?${Buffer.from('[KO Intégration système !][903] XDM/1.0/DDM+LDL').toString('base64')}?=\r\nIn-Reply-To: <m1@h>\r\n\r\nKO\r\n`);
    expect(readReceipts(raw)).toEqual([{ kind: 'mdn', source: 'mail', success: false, disposition: 'processed/Error: 903', error: { code: '903', label: 'INS absente' }, originalMessageId: '<m1@h>' }]);
  });

  it('reads a DSN per recipient with the original Message-ID and ENVID', () => {
    const dsn = buildDsn({ reportingMta: 'mx.test', from: 'mailer-daemon@mx.test', to: 'passerelle@ch-test.mssante.fr', envelopeId: 'env-1', original: ORIGINAL,
      recipients: [{ address: 'x@y.mssante.fr', action: 'failed', status: '5.1.1', diagnostic: '550 5.1.1 inconnu' }, { address: 'z@y.mssante.fr', action: 'delivered', status: '2.0.0' }] });
    expect(readReceipts(dsn.raw)).toEqual([
      { kind: 'dsn', recipient: 'x@y.mssante.fr', action: 'failed', status: '5.1.1', diagnostic: '550 5.1.1 inconnu', originalMessageId: '<m1@ch-test.mssante.fr>', envelopeId: 'env-1', reportingMta: 'mx.test' },
      { kind: 'dsn', recipient: 'z@y.mssante.fr', action: 'delivered', status: '2.0.0', originalMessageId: '<m1@ch-test.mssante.fr>', envelopeId: 'env-1', reportingMta: 'mx.test' },
    ]);
  });

  it('never throws on arbitrary bytes (property)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), (b) => Array.isArray(readReceipts(Buffer.from(b)))));
    fc.assert(fc.property(fc.string(), (s) => Array.isArray(readReceipts(Buffer.from(`Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\n${s}\r\n--b--`)))));
  });
});

describe('recipient / visibility consistency (mssante.md §5.1)', () => {
  const M = '279035121518989';
  it('allows each documented combination', () => {
    expect(checkRecipients({ professionals: ['a@b.mssante.fr'], patientMatricule: M, visibility: {} }, M)).toMatchObject({ ok: true, value: { patient: patientAddress(M), flags: [] } });
    expect(checkRecipients({ professionals: ['a@b.mssante.fr'], visibility: { invisibleToPatient: true } }, M)).toMatchObject({ ok: true, value: { flags: ['INVISIBLE_PATIENT'] } });
    expect(checkRecipients({ professionals: [], patientMatricule: M, visibility: {} }, M)).toMatchObject({ ok: true });
  });
  it('refuses every other combination with a French reason', () => {
    const refused = (c: Parameters<typeof checkRecipients>[0], m: string | undefined = M): string[] => {
      const r = checkRecipients(c, m);
      return r.ok ? [] : r.problems;
    };
    expect(refused({ professionals: ['a@b.mssante.fr'], patientMatricule: M, visibility: { hiddenFromProfessionals: true } })[0]).toContain('masqué');
    expect(refused({ professionals: ['a@b.mssante.fr'], patientMatricule: M, visibility: { invisibleToLegalRepresentatives: true } })[0]).toContain('représentants légaux');
    expect(refused({ professionals: [], patientMatricule: M, visibility: { invisibleToPatient: true } })[0]).toContain('invisible au patient');
    expect(refused({ professionals: [], patientMatricule: M, visibility: { secretConnection: true } })[0]).toContain('connexion secrète');
    expect(refused({ professionals: [], patientMatricule: M, visibility: { alsoToDmp: true } })[0]).toContain('DMP');
    expect(checkRecipients({ professionals: [], patientMatricule: M, visibility: {} }, undefined)).toMatchObject({ ok: false, problems: [expect.stringContaining('INS qualifiée')] });
    expect(refused({ professionals: [], visibility: {} })[0]).toContain('Aucun destinataire');
    expect(refused({ professionals: [`${M}@patient.mssante.fr`], visibility: {} })[0]).toContain('adresse patient');
    expect(refused({ professionals: ['pas une adresse'], visibility: {} })[0]).toContain('invalide');
  });
});
